"""The escalation options of ``csup run`` and ``csup multi``, and the chain they build.

For the session core's CLI to wire in (see README "Escalation")::

    @escalation_options
    def run(..., escalate, reviewer_model, review_timeout, review_budget, approval_timeout):
        chain = make_escalation(escalate, policy.config.escalate, reviewer_model, ...)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from csup.calls import Decision, ToolCall
from csup.escalation import (
    DEFAULT_APPROVAL_TIMEOUT,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT,
    MODES,
    Escalation,
    Human,
    ReviewContext,
    Reviewer,
    Waiting,
)

__all__ = ["escalation_options", "make_escalation"]

F = TypeVar("F", bound=Callable[..., Any])


def escalation_options(func: F) -> F:
    """``--escalate``, ``--reviewer-model``, ``--review-timeout``, ``--review-budget`` and
    ``--approval-timeout``."""
    options = [
        click.option(
            "--escalate",
            type=click.Choice(MODES),
            default=None,
            help="Who settles a call the policy rates ask: deny (default), reviewer (a model), "
            "human (you, in this terminal), reviewer+human (the model; you when it cannot "
            "decide). Default: the policy file's escalate key, else deny.",
        ),
        click.option(
            "--reviewer-model",
            default=DEFAULT_MODEL,
            show_default=True,
            help="Messages API model of the reviewer.",
        ),
        click.option(
            "--review-timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            metavar="S",
            help="Deny a call whose review takes longer than S seconds.",
        ),
        click.option(
            "--review-budget",
            type=click.FloatRange(min=0),
            default=None,
            metavar="USD",
            help="Stop reviewing (deny) once the run's reviews cost USD.",
        ),
        click.option(
            "--approval-timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=DEFAULT_APPROVAL_TIMEOUT,
            show_default=True,
            metavar="S",
            help="Deny a question to you left unanswered for S seconds.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_escalation(  # noqa: PLR0917 - one argument per option
    escalate: str | None,
    policy_mode: str = "deny",
    reviewer_model: str = DEFAULT_MODEL,
    review_timeout: float = DEFAULT_TIMEOUT,
    review_budget: float | None = None,
    approval_timeout: float = DEFAULT_APPROVAL_TIMEOUT,
    *,
    on_prompt_start: Callable[[], object] | None = None,
    on_prompt_end: Callable[[], object] | None = None,
    on_waiting: Callable[[list[Waiting]], object] | None = None,
    on_asked: Callable[[ToolCall, Decision, ReviewContext], object] | None = None,
    on_answered: Callable[[ToolCall, Decision, ReviewContext, float], object] | None = None,
) -> Escalation:
    """The run's chain: ``--escalate`` if given, else the policy file's ``escalate``. The
    callbacks are :class:`~csup.escalation.Human`'s and :class:`~csup.escalation.Escalation`'s
    (pause the live view, show who waits, send the signals)."""
    mode = escalate or policy_mode or "deny"
    reviewer = human = None
    if "reviewer" in mode:
        reviewer = Reviewer(
            model=reviewer_model, timeout=review_timeout, spending_limit=review_budget
        )
    if "human" in mode:
        human = Human(
            timeout=approval_timeout,
            on_prompt_start=on_prompt_start,
            on_prompt_end=on_prompt_end,
            on_waiting=on_waiting,
        )
    return Escalation(
        mode, reviewer=reviewer, human=human, on_asked=on_asked, on_answered=on_answered
    )
