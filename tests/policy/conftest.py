"""Fixtures for the policy tests: a workspace directory and a home outside any temp dir."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from csup.policy import Decision, Policy, ToolCall
from csup.policy.programs.paths import HOME_VARIABLES

FAKE_HOME = "/home/csup-policy-tester"
"""A home directory that does not exist and is not under /tmp (where the workspace is)."""


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HOME", FAKE_HOME)
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.delenv("CSUP_POLICY", raising=False)
    for variable in HOME_VARIABLES:  # `$CODEX_HOME` & co. at their place in the fake home
        monkeypatch.delenv(variable, raising=False)
    return FAKE_HOME


@pytest.fixture
def workspace(tmp_path: Path, home: str) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
def bash(workspace: Path) -> Callable[[Policy, str], Decision]:
    """Decide on one Bash command run in the workspace."""

    def decide(policy: Policy, command: str) -> Decision:
        return policy.decide(ToolCall("Bash", {"command": command}, cwd=str(workspace)))

    return decide
