"""Where csup keeps its state: ``$CSUP_STATE_DIR``, else platformdirs' ``user_state_dir("csup")``.

State is what csup needs to go on judging a session correctly, not what the user reads (that
is the record, in the data dir): today the memory ``csup hook`` keeps of each Claude Code
session (:mod:`csup.hooks.memory`). Because a session that could edit it could make csup
forget what it wrote, the policy treats this directory as a control path
(:func:`csup.policy.programs.paths.is_control`).

On Linux the directory is computed here without importing platformdirs (which imports
:mod:`pathlib`): ``csup hook`` pays every import once per tool call. A test keeps the two equal.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["STATE_ENV", "state_dir"]

STATE_ENV = "CSUP_STATE_DIR"
APP = "csup"


def state_dir(env: Mapping[str, str] | None = None) -> str:
    """The absolute path of csup's state directory (it may not exist yet).

    ``env`` defaults to :data:`os.environ`: ``CSUP_STATE_DIR`` wins, then ``XDG_STATE_HOME``
    (Linux), then the platform's default (``~/.local/state/csup`` on Linux).
    """
    env = os.environ if env is None else env
    chosen = env.get(STATE_ENV, "").strip()
    if chosen:
        return os.path.abspath(os.path.expanduser(chosen))
    if sys.platform.startswith("linux"):
        base = env.get("XDG_STATE_HOME", "").strip()
        if not base:
            base = os.path.join(os.path.expanduser("~"), ".local", "state")
        return os.path.join(base, APP)
    import platformdirs  # noqa: PLC0415 - other platforms only

    return platformdirs.user_state_dir(APP, appauthor=False)
