"""The actor system: a coordinator, one session actor per claude, a shared policy actor and
a metrics actor (pykka threading actors, thin shells around plain classes).

Who may wait on whom: the façade (:class:`csup.MultiSessionSupervisor`, not an actor) asks
the coordinator and the metrics actor. Actors only ``tell`` each other, so no actor ever
blocks on a future of an actor that may be waiting on it. Decisions travel from a session's
reader thread to the policy actor and back to claude through a thread-safe callback, never
through the session actor's inbox, so a stop is handled at once even while a decision is
pending.
"""

from csup.actors.coordinator import CoordinatorActor
from csup.actors.metrics import MetricsActor
from csup.actors.policy import PolicyActor
from csup.actors.session import SessionActor

__all__ = ["CoordinatorActor", "MetricsActor", "PolicyActor", "SessionActor"]
