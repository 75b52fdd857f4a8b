"""What ``csup run`` / ``csup multi`` show while they run: a live line per session on a
terminal, and one line per denied tool call (an audit trail that stays on screen).

Signals arrive on actor threads; they only fill thread-safe state here. Everything is
printed from the main thread by :meth:`LiveView.refresh`.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from typing import Any

import click

from csup import signals
from csup.board import SessionInfo

__all__ = ["LiveView"]


class LiveView:
    """Subscribes to one supervisor's signals and draws on stderr."""

    def __init__(self, supervisor: Any, *, live: bool, audit: bool = True) -> None:
        self._sup = supervisor
        self._live = live
        self._audit = audit
        self._lock = threading.Lock()
        self._tools: dict[str, int] = {}
        self._denied: dict[str, int] = {}
        self._lines: list[str] = []
        self._drawn = 0
        self._receivers: list[tuple[Any, Callable[..., None]]] = [
            (signals.decision_made, self._on_decision),
        ]

    def __enter__(self) -> LiveView:
        for signal, receiver in self._receivers:
            signal.connect(receiver, sender=self._sup, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        for signal, receiver in self._receivers:
            signal.disconnect(receiver, sender=self._sup)
        self.refresh(final=True)

    def _on_decision(
        self, sender: Any, *, session_id: str, call: Any, decision: Any, **_: Any
    ) -> None:
        with self._lock:
            self._tools[session_id] = self._tools.get(session_id, 0) + 1
            if not decision.allowed:
                self._denied[session_id] = self._denied.get(session_id, 0) + 1
                what = call.tool_input.get("command") or call.tool_input.get("file_path") or ""
                self._lines.append(
                    f"csup: denied {session_id} {call.tool_name} {str(what)[:120]!r}: "
                    f"{decision.reason} [{decision.rule or '-'}]"
                )

    def _status_line(self, info: SessionInfo, width: int) -> str:
        tools = self._tools.get(info.id, 0)
        denied = self._denied.get(info.id, 0)
        head = f"{info.id:<5} {info.state:<10} tools {tools:<3} denied {denied:<3} "
        task = " ".join(info.task.split())
        room = max(10, width - len(head) - 1)
        return head + (task if len(task) <= room else task[: room - 1] + "…")

    def refresh(self, *, final: bool = False) -> None:
        """Print new audit lines, and redraw the live block (erase it when ``final``)."""
        with self._lock:
            lines, self._lines = self._lines, []
        if self._live and self._drawn:
            # Move to the start of the block and clear it before printing anything.
            click.echo(f"\x1b[{self._drawn}F\x1b[J", err=True, nl=False)
            self._drawn = 0
        if self._audit:
            for line in lines:
                click.echo(line, err=True)
        if self._live and not final:
            width = shutil.get_terminal_size((100, 20)).columns
            sessions = self._sup.sessions()
            with self._lock:
                block = [self._status_line(info, width) for info in sessions]
            for line in block:
                click.echo(line, err=True)
            self._drawn = len(block)
