"""Signals csup sends while it runs sessions, for any subscriber.

Each signal's sender is the :class:`~csup.MultiSessionSupervisor` that runs the sessions, so
an application with two supervisors can subscribe to one. Receivers are called as
``receiver(sender, **kwargs)``; accept ``**extra`` so that new keyword arguments do not
break you. Receivers run in order on the supervisor's signal thread, never on a thread that
decides or stops: a slow receiver delays only the receivers after it. One that raises is
logged and changes nothing (the session, its decisions and the other receivers go on).
Connect with ``weak=False`` for functions defined inside other functions::

    from csup import signals

    def on_decision(supervisor, *, session_id, call, decision, **extra):
        print(session_id, call.tool_name, decision.behavior, decision.reason)

    signals.decision_made.connect(on_decision, weak=False)

Signals, with their keyword arguments:

``session_queued``
    ``session_id``, ``task``: a task waits for a free slot.
``session_started``
    ``session_id``, ``task``, ``pid``: claude was started for it.
``event_received``
    ``session_id``, ``event``: one event from claude (a :mod:`csup.claude.events` object,
    or a ``Diagnostic`` for a line that was not JSON).
``tool_requested``
    ``session_id``, ``call`` (:class:`~csup.claude.result.ToolCall`): claude asks to run a
    tool; the decision follows.
``decision_made``
    ``session_id``, ``call``, ``decision`` (:class:`~csup.claude.result.Decision`, with
    ``behavior``, ``reason``, ``rule``): the decision written to claude. Sent after claude
    has it, so a slow receiver never delays a tool call.
``session_finished``
    ``session_id``, ``result`` (:class:`~csup.claude.result.SessionResult`).
``escalation_asked``
    ``session_id``, ``call``, ``decision`` (the policy's "ask"), ``context``: a call goes to
    the reviewer or a person.
``escalation_answered``
    ``session_id``, ``call``, ``decision`` (the verdict), ``context``, ``latency_s``.
``stats_updated``
    ``stats`` (:class:`~csup.stats.AggregatedStats`): totals after a decision or a
    finished session.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal, Namespace

__all__ = [
    "decision_made",
    "escalation_answered",
    "escalation_asked",
    "event_received",
    "send",
    "session_finished",
    "session_queued",
    "session_started",
    "stats_updated",
    "tool_requested",
]

log = logging.getLogger(__name__)

_signals = Namespace()

session_queued = _signals.signal("session-queued", doc="A task waits for a free slot.")
session_started = _signals.signal("session-started", doc="claude was started for a task.")
event_received = _signals.signal("event-received", doc="One event from a session's claude.")
tool_requested = _signals.signal("tool-requested", doc="claude asks to run a tool.")
decision_made = _signals.signal("decision-made", doc="A decision was written to claude.")
session_finished = _signals.signal("session-finished", doc="A session ended.")
stats_updated = _signals.signal("stats-updated", doc="Totals changed.")
escalation_asked = _signals.signal("escalation-asked", doc="A call goes to a reviewer.")
escalation_answered = _signals.signal("escalation-answered", doc="A review was answered.")


def send(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` to every receiver; a receiver that raises is logged and skipped.

    blinker stops at the first receiver that raises and propagates the error, which inside
    an actor would kill it; so each receiver is called here on its own.
    """
    if not signal.receivers or signal.is_muted:
        return
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **kwargs)
        except Exception:
            log.exception("csup: a receiver of signal %r raised; ignored", signal.name)
