"""Fixtures for the escalation tests: a scripted model that answers reviews, and calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from csup.calls import Decision, ToolCall, ask
from csup.escalation import ReviewContext, Reviewer
from csup.testing import ReviewScript, ScriptedModel
from tests.actors.conftest import supervisor_factory

__all__ = ["supervisor_factory"]  # the real-binary runs use it

CWD = "/work/project"
PUSH = ToolCall("Bash", {"command": "git push origin main", "description": "push"}, CWD, "s1")
ASKED = ask("net.publish", "`git push origin main` publishes to a remote repository.")
CONTEXT = ReviewContext(task="Fix the failing test", cwd=CWD, session_id="s1")


def bash(command: str, cwd: str = CWD) -> ToolCall:
    return ToolCall("Bash", {"command": command}, cwd, "s1")


def asked(rule: str = "net.publish", reason: str = ASKED.reason) -> Decision:
    return ask(rule, reason)


@pytest.fixture
def review_model(
    scripted_model: Callable[..., ScriptedModel],
) -> Callable[..., ScriptedModel]:
    """``review_model(ReviewScript(...))``: a scripted model answering reviews."""

    def start(script: ReviewScript | None = None, **kwargs: Any) -> ScriptedModel:
        return scripted_model(None, reviews=script, **kwargs)

    return start


@pytest.fixture
def reviewer_for() -> Iterator[Callable[..., Reviewer]]:
    """``reviewer_for(model_or_url, timeout=..., spending_limit=...)``: a reviewer of that
    model; closed at teardown (its connections too)."""
    made: list[Reviewer] = []

    def make(model: ScriptedModel | str, **kwargs: Any) -> Reviewer:
        kwargs.setdefault("timeout", 10.0)
        url = model if isinstance(model, str) else model.base_url
        reviewer = Reviewer(api_key="csup-scripted", base_url=url, **kwargs)
        made.append(reviewer)
        return reviewer

    yield make
    for reviewer in made:
        reviewer.close()
