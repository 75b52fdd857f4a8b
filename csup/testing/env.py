"""The environment for a claude child process talking to a scripted model.

Claude must reach only the scripted model (no account, no network), must not read or write
the developer's ``~/.claude``, and must not inherit settings from a claude session the tests
happen to run in (``CLAUDECODE``, ``ANTHROPIC_*``, ``CLAUDE_*``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

__all__ = ["QUIET_ENV", "claude_env"]

QUIET_ENV: Mapping[str, str] = {
    # No update checks, telemetry, error reports, feedback surveys or other side traffic.
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_GROWTHBOOK": "1",
    "DISABLE_INSTALLATION_CHECKS": "1",
    "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY": "1",
    "CLAUDE_CODE_DISABLE_TERMINAL_TITLE": "1",
}
"""Variables that keep claude quiet and off the network (checked with claude 2.1.330)."""


class _HasBaseUrl(Protocol):
    @property
    def base_url(self) -> str: ...


def _inherited(name: str) -> bool:
    return name == "CLAUDECODE" or name.startswith(("ANTHROPIC_", "CLAUDE_"))


def claude_env(
    home: str | os.PathLike[str],
    model: _HasBaseUrl | str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for a claude child that talks to ``model``.

    A copy of ``os.environ`` without ``CLAUDECODE`` and any ``ANTHROPIC_*`` / ``CLAUDE_*``
    variable, plus ``HOME=home`` (created if missing), ``ANTHROPIC_BASE_URL`` (the model's
    ``base_url``, or ``model`` itself if it is a URL string), ``ANTHROPIC_API_KEY``, and
    :data:`QUIET_ENV`. ``extra`` is applied last.
    """
    home_path = Path(home)
    home_path.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not _inherited(k)}
    env.update(QUIET_ENV)
    env["HOME"] = str(home_path)
    env["ANTHROPIC_BASE_URL"] = model if isinstance(model, str) else model.base_url
    env["ANTHROPIC_API_KEY"] = "csup-scripted"
    if extra:
        env.update(extra)
    return env
