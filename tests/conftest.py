"""Fixtures shared by the whole suite: the real claude binary and a scripted model for it.

A test that drives claude uses them like this (mark it ``@pytest.mark.claude``)::

    def test_write(claude_bin, scripted_model, workspace, claude_env):
        model = scripted_model({"w": [[tool("Write", file_path="a.txt", content="x")]]})
        subprocess.run([claude_bin, "-p", ..., "[scenario:w] go"], cwd=workspace,
                       env=claude_env(model), timeout=60)

Each test gets its own scratch working directory and HOME, so claude never touches the
developer's ``~/.claude``. Subdirectory conftests add fixtures of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from csup.claude.locate import find_claude
from csup.errors import ClaudeNotFoundError
from csup.testing import ScriptedModel
from csup.testing import claude_env as make_claude_env
from csup.testing.script import ScenarioLike


@pytest.fixture(autouse=True)
def _scratch_record(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test records into a scratch database, never the developer's own."""
    path = tmp_path_factory.mktemp("record") / "csup.db"
    monkeypatch.setenv("CSUP_DB", str(path))
    monkeypatch.delenv("CSUP_NO_RECORD", raising=False)
    return path


@pytest.fixture(autouse=True)
def _scratch_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test keeps csup's state (the hook's session memories) in a scratch directory."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("CSUP_STATE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """The claude binary: ``CSUP_CLAUDE_BIN``, else the project's pinned install, else PATH.

    Missing claude fails the test (never skips): the suite's point is the real binary.
    """
    try:
        return find_claude()
    except ClaudeNotFoundError as exc:
        problem = str(exc)
    pytest.fail(  # outside the except: the message once, without the chained traceback
        f"{problem}\nThe test suite needs the real claude binary: run scripts/setup "
        "(or set CSUP_CLAUDE_BIN to the claude to test against).",
        pytrace=False,
    )


@pytest.fixture
def scripted_model() -> Iterator[Callable[..., ScriptedModel]]:
    """A factory: ``scripted_model(scenarios, **kwargs)`` starts a :class:`ScriptedModel`.

    Every model started is stopped at teardown.
    """
    started: list[ScriptedModel] = []

    def start(scenarios: Mapping[str, ScenarioLike] | None = None, **kwargs: Any) -> ScriptedModel:
        model = ScriptedModel(scenarios, **kwargs).start()
        started.append(model)
        return model

    yield start
    for model in started:
        model.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A scratch working directory for claude (its tools act here)."""
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def claude_home(tmp_path: Path) -> Path:
    """A scratch HOME for claude (its ``~/.claude`` and ``~/.claude.json`` go here)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def claude_env(
    claude_home: Path,
) -> Callable[..., dict[str, str]]:
    """A factory: ``claude_env(model, extra=None)`` is the env for a claude child.

    See :func:`csup.testing.claude_env`; HOME is the test's :func:`claude_home`.
    """

    def make(model: ScriptedModel | str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return make_claude_env(claude_home, model, extra)

    return make
