"""What ``csup run`` / ``csup multi`` show while they run: a live block on a terminal, and
lines that stay (each denied tool call, csup's own notes such as "stopping...").

Signals arrive on csup's signal thread; they only fill thread-safe state here. Everything
is printed from the main thread by :meth:`LiveView.refresh`. The live block never has more
lines than the screen: with more sessions than rows it shows the busiest ones and a count of
the rest, so it never floods the scroll-back. Text from the model or a tool is escaped
(:mod:`csup.display`).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable
from typing import Any

import click

from csup import signals
from csup.board import SessionInfo
from csup.claude.events import SystemEvent
from csup.display import one_line

__all__ = ["LiveView"]


def _echo(text: str, *, nl: bool = True) -> None:
    # OSError: the terminal is gone (SIGHUP); there is nothing more to show there.
    with contextlib.suppress(OSError):
        click.echo(text, err=True, nl=nl)


class LiveView:
    """Subscribes to one supervisor's signals and draws on stderr."""

    def __init__(self, supervisor: Any, *, live: bool, audit: bool = True) -> None:
        self._sup = supervisor
        self._live = live
        self._audit = audit
        self._lock = threading.Lock()
        self._tools: dict[str, int] = {}
        self._denied: dict[str, int] = {}
        self._events: dict[str, int] = {}
        self._retry: dict[str, str] = {}
        self._lines: list[str] = []
        self._drawn = 0
        self._draw_lock = threading.RLock()  # the main thread draws; a prompt may pause it
        self._paused = False
        self._waiting: dict[str, str] = {}  # session id -> "waits for you" / "asking you"
        self._receivers: list[tuple[Any, Callable[..., None]]] = [
            (signals.decision_made, self._on_decision),
            (signals.event_received, self._on_event),
        ]

    def __enter__(self) -> LiveView:
        for signal, receiver in self._receivers:
            signal.connect(receiver, sender=self._sup, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        for signal, receiver in self._receivers:
            signal.disconnect(receiver, sender=self._sup)
        self.refresh(final=True)

    def pause(self) -> None:
        """A question to the person takes the terminal: erase the block, draw nothing more."""
        with self._draw_lock:
            self._erase()
            self._paused = True

    def resume(self) -> None:
        with self._draw_lock:
            self._paused = False

    def waiting(self, entries: list[Any]) -> None:
        """Who waits for the person (``Human``'s on_waiting): shown in the sessions' lines."""
        with self._lock:
            self._waiting = {
                w.session_id: "asking you" if w.asking else "waits for you" for w in entries
            }

    def note(self, text: str) -> None:
        """A line of csup's own that stays on screen (above the live block)."""
        with self._lock:
            self._lines.append(f"csup: {text}")
        self.refresh()

    def _on_decision(
        self, sender: Any, *, session_id: str, call: Any, decision: Any, **_: Any
    ) -> None:
        with self._lock:
            self._tools[session_id] = self._tools.get(session_id, 0) + 1
            if not decision.allowed:
                self._denied[session_id] = self._denied.get(session_id, 0) + 1
                what = one_line(call.summary(120), 120)
                rule = one_line(decision.rule or "-", 80)
                if decision.source in ("reviewer", "human"):
                    rule = f"{rule}, by the {decision.source}"
                self._lines.append(
                    f"csup: denied {session_id} {one_line(call.tool_name, 40)} {what!r}: "
                    f"{one_line(decision.reason, 400)} [{rule}]"
                )

    def _on_event(self, sender: Any, *, session_id: str, event: Any, **_: Any) -> None:
        with self._lock:
            self._events[session_id] = self._events.get(session_id, 0) + 1
            if isinstance(event, SystemEvent) and event.subtype == "api_retry":
                raw = event.raw
                error = one_line(raw.get("error") or raw.get("error_status") or "unreachable", 40)
                self._retry[session_id] = (
                    f"API retry {raw.get('attempt')}/{raw.get('max_retries')} ({error})"
                )
            elif session_id in self._retry and getattr(event, "type", "") == "assistant":
                del self._retry[session_id]

    def _status_line(self, info: SessionInfo, width: int) -> str:
        tools = self._tools.get(info.id, 0)
        denied = self._denied.get(info.id, 0)
        head = f"{info.id:<5} {info.state:<10} tools {tools:<3} denied {denied:<3} "
        retry = self._retry.get(info.id) if info.state == "running" else None
        if retry:
            head += f"{retry} "
        waits = self._waiting.get(info.id) if info.state == "running" else None
        if waits:
            head += f"[{waits}] "
        room = max(10, width - len(head) - 1)
        return (head + one_line(info.task, room))[: max(10, width - 1)]

    def _block(self, width: int, rows: int) -> list[str]:
        sessions = self._sup.sessions()
        room = max(3, rows - 3)
        running = [s for s in sessions if s.state == "running"]
        running.sort(key=lambda s: self._events.get(s.id, 0), reverse=True)
        queued = [s for s in sessions if s.state == "queued"]
        done = len(sessions) - len(running) - len(queued)
        shown = sessions if len(sessions) <= room else running[: room - 1]
        with self._lock:
            block = [self._status_line(info, width) for info in shown]
        hidden_running = len(running) - sum(1 for s in shown if s.state == "running")
        if len(shown) < len(sessions):
            block.append(
                f"… {hidden_running} more running, {len(queued)} queued, {done} finished"[
                    : width - 1
                ]
            )
        return block

    def _erase(self) -> None:
        if self._live and self._drawn:
            # Move to the start of the block and clear it before printing anything.
            _echo(f"\x1b[{self._drawn}F\x1b[J", nl=False)
            self._drawn = 0

    def refresh(self, *, final: bool = False) -> None:
        """Print new lines, and redraw the live block (erase it when ``final``)."""
        with self._draw_lock:
            if self._paused and not final:
                return
            self._refresh(final)

    def _refresh(self, final: bool) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        self._erase()
        for line in lines:
            if self._audit or (line.startswith("csup: ") and not line.startswith("csup: denied")):
                _echo(line)
        if self._live and not final:
            size = shutil.get_terminal_size((100, 24))
            block = self._block(size.columns, size.lines)
            for line in block:
                _echo(line)
            self._drawn = len(block)
