"""What a session's owner needs from "a claude": the transport interface, and an in-memory one.

A transport carries JSON lines to claude and delivers what claude says, as messages, to a
``deliver`` callable (the owner's inbox): an :class:`Output` per line, then exactly one
:class:`Exited`. It never calls into the session itself, so nothing can run before the
session is ready for it. :class:`~csup.claude.process.ClaudeProcess` is the real one;
:class:`MemoryTransport` lets the session core be tested without a process, as httpx's
``MockTransport`` lets a client be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from csup.claude.events import Diagnostic, Event, parse_event

__all__ = ["Deliver", "Exited", "MemoryTransport", "Output", "Transport", "TransportFactory"]


@dataclass(frozen=True, slots=True)
class Output:
    """One line claude printed: a typed event, or a diagnostic for a line that is not JSON."""

    item: Event | Diagnostic


@dataclass(frozen=True, slots=True)
class Exited:
    """claude has exited and its output has been read to the end (or a short grace passed)."""

    code: int
    stderr_tail: str = ""


Deliver = Callable[[Output | Exited], None]


class Transport(Protocol):
    """A running claude, as its session's owner drives it. Only the owner calls these."""

    @property
    def pid(self) -> int | None: ...

    @property
    def backlog(self) -> int:
        """Bytes written but not yet taken by claude (a claude that stopped reading grows it)."""
        ...

    def send(self, message: Mapping[str, Any]) -> bool:
        """Queue one JSON line for claude; ``False`` once claude no longer reads its input."""
        ...

    def flush(self) -> None:
        """Write what is queued, as far as claude takes it now (never blocks)."""
        ...

    def close_input(self) -> None:
        """Close claude's stdin once what is queued has been written: it finishes and exits."""
        ...

    def note_descendants(self) -> None:
        """Remember claude's descendants now, so they can be killed after claude is gone."""
        ...

    def terminate(self) -> None:
        """SIGTERM to claude (it kills its running tool and exits)."""
        ...

    def kill_tree(self) -> list[int]:
        """SIGKILL claude and every process of the session; the pids that got the signal."""
        ...


TransportFactory = Callable[[Deliver], Transport]


@dataclass
class MemoryTransport:
    """A transport with no process: tests play claude's side by hand.

    ``sent`` holds every message the session wrote; :meth:`emit` delivers a line as if claude
    printed it, :meth:`exit` ends it. ``kill_tree`` and ``terminate`` end it too (with 137
    and 143) unless ``stubborn``, so a test can check the stop ladder's steps.
    """

    deliver: Deliver | None = None
    sent: list[Mapping[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    stubborn: bool = False
    pid: int | None = 4242
    backlog: int = 0
    input_closed: bool = False
    exit_code: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def connect(self, deliver: Deliver) -> MemoryTransport:
        """Use as a :data:`TransportFactory`: ``factory=lambda deliver: t.connect(deliver)``."""
        self.deliver = deliver
        return self

    def emit(self, raw: Mapping[str, Any]) -> None:
        assert self.deliver is not None, "connect() first"
        self.deliver(Output(parse_event(raw)))

    def exit(self, code: int = 0, stderr: str = "") -> None:
        with self._lock:
            if self.exit_code is not None:
                return
            self.exit_code = code
        assert self.deliver is not None
        self.deliver(Exited(code, stderr))

    def send(self, message: Mapping[str, Any]) -> bool:
        if self.input_closed or self.exit_code is not None:
            return False
        self.sent.append(message)
        return True

    def flush(self) -> None:
        return None

    def close_input(self) -> None:
        self.calls.append("close_input")
        self.input_closed = True

    def note_descendants(self) -> None:
        self.calls.append("note_descendants")

    def terminate(self) -> None:
        self.calls.append("terminate")
        if not self.stubborn:
            self.exit(143)

    def kill_tree(self) -> list[int]:
        self.calls.append("kill_tree")
        if self.exit_code is None and not self.stubborn:
            self.exit(137)
        return []
