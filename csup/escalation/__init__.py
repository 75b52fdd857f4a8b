"""Escalation: who settles the tool calls the policy rates "ask" (issue #11).

::

    from csup.escalation import Escalation, Human, ReviewContext, Reviewer

    chain = Escalation("reviewer+human", reviewer=Reviewer(timeout=20), human=Human())
    decision = chain.decide(call, asked, ReviewContext(task=..., cwd=..., session_id=...))

See :mod:`csup.escalation.chain` for the modes, :mod:`.reviewer` and :mod:`.prompt` for the
reviewer model, :mod:`.cache`, :mod:`.human` and :mod:`.usage`.
"""

from __future__ import annotations

from csup.escalation.cache import ReviewCache
from csup.escalation.chain import MODES, Escalation, verdict_decision
from csup.escalation.human import DEFAULT_APPROVAL_TIMEOUT, Human, Waiting
from csup.escalation.prompt import ReviewContext, Verdict
from csup.escalation.reviewer import DEFAULT_MODEL, DEFAULT_TIMEOUT, Reviewer
from csup.escalation.usage import PRICES, Usage

__all__ = [
    "DEFAULT_APPROVAL_TIMEOUT",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "MODES",
    "PRICES",
    "Escalation",
    "Human",
    "ReviewCache",
    "ReviewContext",
    "Reviewer",
    "Usage",
    "Verdict",
    "Waiting",
    "verdict_decision",
]
