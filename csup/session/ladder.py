"""The stop ladder: interrupt → close stdin → SIGTERM → SIGKILL of every process, each step
with a bounded wait. Plain functions: the core asks which step comes next and how long to
give it; the owner carries the step out.

A step ends early when claude does what it asks: the interrupt when claude prints its
``result``, the others when claude exits. Past the kill's wait the session ends anyway (a
process stuck in the kernel cannot be waited for forever): every path is bounded.
"""

from __future__ import annotations

import enum

from csup.claude.options import SessionOptions

__all__ = ["KILL_WAIT", "Step", "first_step", "next_step", "step_wait"]

KILL_WAIT = 5.0
"""Seconds to wait for claude's exit after SIGKILL before the session ends regardless."""


class Step(enum.StrEnum):
    INTERRUPT = "interrupt"  # ask claude to abort the turn: it kills its running tool
    CLOSE = "close"  # close stdin: claude finishes and exits
    TERMINATE = "terminate"  # SIGTERM to claude
    KILL = "kill"  # SIGKILL to claude and every process of the session


_ORDER = (Step.INTERRUPT, Step.CLOSE, Step.TERMINATE, Step.KILL)


def first_step(*, force: bool, turn_active: bool, initialized: bool) -> Step:
    """Where a stop starts: at the kill when forced; at the interrupt when a turn runs."""
    if force:
        return Step.KILL
    if turn_active and initialized:
        return Step.INTERRUPT
    return Step.CLOSE


def next_step(step: Step) -> Step | None:
    """The step after ``step``; ``None`` after the kill (the session ends regardless)."""
    index = _ORDER.index(step)
    return _ORDER[index + 1] if index + 1 < len(_ORDER) else None


def step_wait(step: Step, options: SessionOptions) -> float:
    """How long ``step`` is given before the next one."""
    return {
        Step.INTERRUPT: options.interrupt_wait,
        Step.CLOSE: options.close_wait,
        Step.TERMINATE: options.term_wait,
        Step.KILL: KILL_WAIT,
    }[step]
