"""Where sessions run: the seam between the coordinator and a session's owner.

The coordinator asks a backend to start each session and keeps the handle it returns, to
tell it a :class:`~csup.actors.messages.StopSession` later. Whatever the backend, the
session reports to the :class:`~csup.session.owner.SessionObserver` it was given (in the
supervisor's process), so the board, the stats, the signals and the record are the same.

:class:`LocalBackend` (the default) runs each session as a pykka actor in this process.
``backend="ray"`` runs them on a Ray cluster (:mod:`csup.ray`, the ``csup[ray]`` extra).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from csup.actors.messages import SessionSpec
from csup.actors.session import SessionActor
from csup.clock import SYSTEM_CLOCK, Clock
from csup.errors import ConfigError
from csup.session.owner import Decider, SessionObserver

__all__ = ["Backend", "LocalBackend", "SessionHandle", "make_backend"]


class SessionHandle(Protocol):
    """A running session, as the coordinator holds it."""

    def tell(self, message: Any) -> None:
        """Hand ``message`` (a StopSession) to the session; raises
        :class:`pykka.ActorDeadError` once the session is gone."""
        ...


class Backend(Protocol):
    """Starts sessions somewhere; see the module docstring."""

    def start(
        self, spec: SessionSpec, *, observer: SessionObserver, decider: Decider
    ) -> SessionHandle:
        """Start one session (raise :class:`~csup.errors.CsupError` if it cannot). ``decider``
        is the supervisor's policy actor; a backend may decide where the session runs
        instead, with ``spec.policy``."""
        ...

    def close(self) -> None:
        """Every session has ended: let go of what the backend holds."""
        ...


class LocalBackend:
    """Each session is a :class:`~csup.actors.session.SessionActor` in this process."""

    name = "local"

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock

    def start(
        self, spec: SessionSpec, *, observer: SessionObserver, decider: Decider
    ) -> SessionHandle:
        return SessionActor.start(spec, decider=decider, observer=observer, clock=self._clock)

    def close(self) -> None:
        return None


def make_backend(backend: str | Backend, *, clock: Clock, **settings: Any) -> Backend:
    """The backend named ``backend`` ("local" or "ray"), or ``backend`` itself."""
    if not isinstance(backend, str):
        return backend
    if backend == "local":
        return LocalBackend(clock)
    if backend == "ray":
        try:
            module = importlib.import_module("csup.ray")  # the optional extra
        except ImportError as exc:
            raise ConfigError(
                f"the ray backend needs Ray: pip install 'csup[ray]' ({exc})"
            ) from exc
        ray_backend: Backend = module.RayBackend(**settings)
        return ray_backend
    raise ConfigError(f"unknown backend {backend!r}: use 'local' or 'ray'")
