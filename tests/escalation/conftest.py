"""Fixtures for the escalation tests: a scripted model that answers reviews, and calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from csup.calls import Decision, ToolCall, ask
from csup.escalation import ReviewContext, Reviewer
from csup.testing import ReviewScript, ScriptedModel

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
def reviewer_for() -> Callable[..., Reviewer]:
    """``reviewer_for(model, timeout=..., spending_limit=...)``: a reviewer of that model."""

    def make(model: ScriptedModel, **kwargs: Any) -> Reviewer:
        kwargs.setdefault("timeout", 10.0)
        return Reviewer(api_key="csup-scripted", base_url=model.base_url, **kwargs)

    return make
