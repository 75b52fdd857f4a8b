"""Names of csup's worktrees: a slug of the task text, the run id, the branch.

Pure functions. A slug holds only ``a-z``, ``0-9`` and single inner dashes, at most
:data:`SLUG_WIDTH` characters: it is a valid git ref component (no leading dash or dot, no
``..``, ``.lock``, ``@{``, control characters, spaces or ``~^:?*[\\``) and a valid file name on
any file system, case-insensitive ones included, whatever the task text was.
"""

from __future__ import annotations

import re
import unicodedata

from csup.errors import WorktreeError

__all__ = ["BRANCH_PREFIX", "SLUG_WIDTH", "branch_name", "check_run_id", "slugify", "subject"]

BRANCH_PREFIX = "csup/"
"""Every branch csup makes is ``csup/<run-id>/<slug>``; nothing else is csup's."""

SLUG_WIDTH = 40
_FALLBACK = "task"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(task: str, width: int = SLUG_WIDTH) -> str:
    """A short, safe name for ``task``: ``"Fix the login bug!"`` -> ``"fix-the-login-bug"``.

    Accents are folded (``"Résumé"`` -> ``"resume"``); text with no letter or digit left
    (``"日本語"``, ``"--"``, ``""``) becomes ``"task"``. Cut at a dash when it can be.
    """
    folded = unicodedata.normalize("NFKD", task).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > width:
        cut = slug[:width]
        dash = cut.rfind("-")
        slug = (cut[:dash] if dash >= width // 2 else cut).strip("-")
    return slug or _FALLBACK


def check_run_id(run_id: str) -> str:
    """``run_id`` if it can name a branch component and a directory; else :class:`WorktreeError`."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise WorktreeError(
            f"run id {run_id!r} cannot name a worktree: use 1 to 64 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return run_id


def branch_name(run_id: str, slug: str) -> str:
    """``csup/<run-id>/<slug>``."""
    return f"{BRANCH_PREFIX}{run_id}/{slug}"


def subject(task: str, width: int = 60) -> str:
    """``task`` in one printable line of at most ``width`` characters (commit subjects, tables)."""
    words = " ".join("".join(ch if ch.isprintable() else " " for ch in task).split())
    if not words:
        return "session"
    return words if len(words) <= width else words[: width - 1] + "…"
