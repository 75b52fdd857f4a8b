"""One claude child process: spawning it, reading its output, writing to it, killing it.

Claude starts its tools in their own session, so killing claude, or even its process group,
leaves a running Bash tool alive. A hard stop therefore kills every descendant, found
*before* claude dies, plus every process that still carries the session's token in its
environment (a tool that daemonised itself is no longer a descendant, but keeps the token).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import psutil

from csup.claude.events import Diagnostic, Event, parse_line
from csup.errors import ClaudeStartError

__all__ = ["ClaudeProcess", "processes_with_token"]

log = logging.getLogger(__name__)

LineHandler = Callable[[Event | Diagnostic], None]

_CHUNK = 1 << 16
DEFAULT_MAX_LINE = 256 << 20
DEFAULT_STDERR_LIMIT = 64 << 10


def _chunks(stream: IO[bytes] | None) -> Iterator[bytes]:
    """What a pipe delivers, chunk by chunk, as soon as it arrives, until EOF; then close it."""
    assert stream is not None
    fd = stream.fileno()
    try:
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except OSError:
                return
            if not chunk:
                return
            yield chunk
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def _pids_with_token_from_proc(token: str) -> list[int] | None:
    """Linux: pids whose environment holds the token, read raw from ``/proc``.

    About five times cheaper per process than psutil's parsed ``environ()``, which matters
    because every session's end scans the whole process table. ``None`` without ``/proc``.
    """
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    needle = f"\0CSUP_SESSION_TOKEN={token}\0".encode()
    me = os.getpid()
    found = []
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                data = environ.read()
        except OSError:
            continue
        if needle in b"\0" + data + b"\0":
            found.append(int(name))
    return found


def processes_with_token(token: str, since: float | None = None) -> list[psutil.Process]:
    """Every live process whose environment carries ``CSUP_SESSION_TOKEN=token``.

    ``since`` (a psutil creation time, e.g. claude's own) skips every older process: a
    process that existed before the token cannot carry it.
    """
    pids = _pids_with_token_from_proc(token)
    if pids is not None:
        found = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if since is None or proc.create_time() >= since:
                    found.append(proc)
        return found
    found = []
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if since is not None and proc.create_time() < since:
                continue
            if proc.environ().get("CSUP_SESSION_TOKEN") == token:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


class ClaudeProcess:
    """A running claude child with a reader thread for stdout and one for stderr.

    ``on_line`` is called in the reader thread for every line, in order: typed events, or a
    :class:`Diagnostic` for text that is not a JSON object. ``on_exit`` is called once, from
    the waiter thread, after claude has exited *and* its stdout has been read to the end (or
    a short grace period has passed, when a leftover tool still holds the pipe).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None,
        env: Mapping[str, str],
        token: str,
        on_line: LineHandler,
        on_exit: Callable[[int], None] | None = None,
        max_line: int = DEFAULT_MAX_LINE,
        stderr_limit: int = DEFAULT_STDERR_LIMIT,
    ) -> None:
        self.token = token
        self._on_line = on_line
        self._on_exit = on_exit
        self._max_line = max_line
        self._stderr: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._stderr_limit = stderr_limit
        self._stderr_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stdin_closed = False
        self._stdout_done = threading.Event()
        self._exited = threading.Event()
        self._known: dict[int, psutil.Process] = {}
        try:
            self._popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise ClaudeStartError(f"Could not start claude ({argv[0]}): {exc}") from exc
        try:
            # Every process of the session is at least as young as claude itself.
            self._created: float | None = psutil.Process(self._popen.pid).create_time()
        except psutil.Error:
            self._created = None
        name = f"claude-{self._popen.pid}"
        self._threads = [
            threading.Thread(target=self._read_stdout, name=f"{name}-stdout", daemon=True),
            threading.Thread(target=self._read_stderr, name=f"{name}-stderr", daemon=True),
            threading.Thread(target=self._wait, name=f"{name}-wait", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- state ------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode if self._exited.is_set() else None

    @property
    def exited(self) -> bool:
        return self._exited.is_set()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait until claude has exited and its output has been handled; the exit code."""
        self._exited.wait(timeout)
        return self.returncode

    def stderr_tail(self) -> str:
        """The last bytes claude wrote to stderr (bounded), as text."""
        with self._stderr_lock:
            data = b"".join(self._stderr)
        return data.decode("utf-8", errors="replace")

    # -- writing ----------------------------------------------------------------------------

    def send(self, message: Mapping[str, Any]) -> bool:
        """Write one JSON line to claude's stdin; ``False`` if claude no longer reads it."""
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        stdin = self._popen.stdin
        with self._write_lock:
            if self._stdin_closed or stdin is None:
                return False
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                self._stdin_closed = True
                return False
        return True

    def close_stdin(self) -> None:
        """Close claude's stdin: it finishes what it is doing and exits."""
        with self._write_lock:
            if self._stdin_closed:
                return
            self._stdin_closed = True
            if self._popen.stdin is not None:
                with contextlib.suppress(OSError):
                    self._popen.stdin.close()

    # -- stopping ---------------------------------------------------------------------------

    def remember_descendants(self) -> None:
        """Note claude's current descendants, so they can be killed after claude is gone."""
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return
        for child in children:
            self._known.setdefault(child.pid, child)

    def terminate(self) -> None:
        """SIGTERM to claude (it kills its running tool and exits)."""
        self.remember_descendants()
        if not self._exited.is_set():
            with contextlib.suppress(OSError):
                self._popen.send_signal(signal.SIGTERM)

    def kill_tree(self, wait: float = 2.0) -> list[int]:
        """SIGKILL claude, every descendant and every process with the session's token.

        Returns the pids that were still alive and got the signal.
        """
        self.remember_descendants()
        targets: dict[int, psutil.Process] = {}
        if not self._exited.is_set():
            with contextlib.suppress(psutil.Error):
                targets[self.pid] = psutil.Process(self.pid)
        for proc in self._alive(self._known.values()):
            targets.setdefault(proc.pid, proc)
        for proc in processes_with_token(self.token, self._created):
            targets.setdefault(proc.pid, proc)
        killed = []
        for proc in targets.values():
            with contextlib.suppress(psutil.Error):
                proc.kill()
                killed.append(proc.pid)
        psutil.wait_procs(list(targets.values()), timeout=wait)
        return killed

    def leftover_processes(self) -> list[psutil.Process]:
        """Processes of this session still alive (descendants noted earlier, token carriers)."""
        alive = {p.pid: p for p in self._alive(self._known.values())}
        for proc in processes_with_token(self.token, self._created):
            alive.setdefault(proc.pid, proc)
        return list(alive.values())

    @staticmethod
    def _alive(procs: Iterable[psutil.Process]) -> list[psutil.Process]:
        out = []
        for proc in procs:
            # is_running() also checks the creation time, so a reused pid is not killed.
            with contextlib.suppress(psutil.Error):
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    out.append(proc)
        return out

    # -- threads ----------------------------------------------------------------------------

    def _deliver(self, line: bytes) -> None:
        item = parse_line(line)
        if item is None:
            return
        try:
            self._on_line(item)
        except Exception:
            log.exception("csup: handling a line from claude pid %s failed", self.pid)

    def _read_stdout(self) -> None:
        # The start of an unfinished line, as chunks joined once when its newline arrives.
        pending: list[bytes] = []
        size = 0
        skipping = False
        try:
            for chunk in _chunks(self._popen.stdout):
                start = 0
                while (end := chunk.find(b"\n", start)) >= 0:
                    if skipping:
                        skipping = False
                    elif pending:
                        pending.append(chunk[start:end])
                        self._deliver(b"".join(pending))
                        pending.clear()
                        size = 0
                    else:
                        self._deliver(chunk[start:end])
                    start = end + 1
                if skipping or start == len(chunk):
                    continue
                pending.append(chunk[start:])
                size += len(chunk) - start
                if size > self._max_line:
                    skipping = True
                    pending.clear()
                    dropped, size = size, 0
                    self._on_line(
                        Diagnostic(
                            "", f"line longer than {self._max_line} bytes dropped ({dropped}+)"
                        )
                    )
            if pending:
                self._deliver(b"".join(pending))
        finally:
            self._stdout_done.set()

    def _read_stderr(self) -> None:
        for chunk in _chunks(self._popen.stderr):
            with self._stderr_lock:
                self._stderr.append(chunk)
                self._stderr_size += len(chunk)
                while self._stderr_size > self._stderr_limit and len(self._stderr) > 1:
                    self._stderr_size -= len(self._stderr.popleft())
                if self._stderr_size > self._stderr_limit:
                    only = self._stderr.pop()[-self._stderr_limit :]
                    self._stderr.append(only)
                    self._stderr_size = len(only)

    def _wait(self) -> None:
        code = self._popen.wait()
        # Output written before the exit is still in the pipe: let the reader finish it.
        # A tool that outlived claude may hold the pipe open; don't wait for it forever.
        self._stdout_done.wait(2.0)
        if self._popen.stdin is not None:
            with self._write_lock:
                self._stdin_closed = True
                with contextlib.suppress(OSError):
                    self._popen.stdin.close()
        self._exited.set()
        if self._on_exit is not None:
            try:
                self._on_exit(code)
            except Exception:
                log.exception("csup: exit handler for claude pid %s failed", self.pid)
