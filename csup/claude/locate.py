"""Finding the claude binary.

Order: an explicit path (``--claude-bin``), then ``CSUP_CLAUDE_BIN``, then the project's own
pinned install (``claude-code/node_modules/.bin/claude`` beside the package, made by
``scripts/setup``), then ``claude`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from csup.errors import ClaudeNotFoundError

__all__ = ["ENV_VAR", "find_claude", "project_claude"]

ENV_VAR = "CSUP_CLAUDE_BIN"


def project_claude() -> Path:
    """Where ``scripts/setup`` installs the pinned Claude Code."""
    return Path(__file__).resolve().parents[2] / "claude-code" / "node_modules" / ".bin" / "claude"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_claude(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the claude binary to run, or raise :class:`ClaudeNotFoundError`.

    An explicit path or ``CSUP_CLAUDE_BIN`` that does not point at an executable is an error
    of its own: csup does not fall back to another claude behind the user's back.
    """
    choices = (("--claude-bin", explicit), (ENV_VAR, os.environ.get(ENV_VAR)))
    for source, value in choices:
        if value:
            text = os.fspath(value)
            candidate = Path(text).expanduser()
            if not candidate.is_absolute() and os.sep not in text:
                found = shutil.which(text)
                if found:
                    return Path(found)
            if _executable(candidate):
                return candidate.absolute()
            others = "CSUP_CLAUDE_BIN, " if source == "--claude-bin" else ""
            raise ClaudeNotFoundError(
                f"{source} points at {text}, which is not an executable file: fix it, or "
                f"leave it out to use {others}the project's claude (scripts/setup) or PATH's"
            )
    own = project_claude()
    if _executable(own):
        return own
    on_path = shutil.which("claude")
    if on_path:
        return Path(on_path)
    raise ClaudeNotFoundError(
        "Could not find the claude binary: pass --claude-bin PATH or set CSUP_CLAUDE_BIN, "
        "or run scripts/setup to install the pinned Claude Code "
        "(npm install @anthropic-ai/claude-code@2.1.330)"
    )
