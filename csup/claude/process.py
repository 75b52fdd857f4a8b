"""One claude child process: the real :class:`~csup.claude.transport.Transport`.

One reader thread per claude watches its stdout, its stderr and its exit (a pidfd) with a
selector: it frames stdout into lines and delivers each as an ``Output`` message, then
exactly one ``Exited`` once claude has exited and its output has been read to the end (or a
short grace has passed, when a leftover tool still holds the pipe). It never calls into the
session: the owner reads those messages from its inbox.

Writes never block the owner: stdin is non-blocking, and what claude does not take at once
waits in a buffer (its size is :attr:`ClaudeProcess.backlog`; a claude that stopped reading
makes it grow, and the owner stops it).

Claude starts its tools in their own session, so killing claude, or even its process group,
leaves a running Bash tool alive. A hard stop therefore kills every descendant, found
*before* claude dies, plus every process that still carries the session's token in its
environment (a tool that daemonised itself is no longer a descendant, but keeps the token).
Every claude is also watched by csup's guardian (:mod:`csup.guardian`), which kills all of
it if csup itself dies.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psutil

from csup.claude.events import Diagnostic, parse_line
from csup.claude.locate import find_claude
from csup.claude.options import SessionOptions, build_argv, build_env
from csup.claude.transport import Deliver, Exited, Output, TransportFactory
from csup.errors import ClaudeStartError, SessionError
from csup.guardian import guardian

__all__ = ["ClaudeProcess", "claude_transport", "processes_with_token"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
DEFAULT_MAX_LINE = 256 << 20
DEFAULT_STDERR_LIMIT = 64 << 10
EXIT_GRACE = 2.0
"""Seconds to keep reading stdout after claude exited (a leftover tool may hold the pipe)."""


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
    found = []
    if pids is not None:
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if since is None or proc.create_time() >= since:
                    found.append(proc)
        return found
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
    """A running claude child and its reader thread. See the module docstring.

    Only the session's owner calls its methods (one thread): it is not meant to be shared.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None,
        env: Mapping[str, str],
        token: str,
        deliver: Deliver,
        max_line: int = DEFAULT_MAX_LINE,
        stderr_limit: int = DEFAULT_STDERR_LIMIT,
    ) -> None:
        self.token = token
        self._deliver = deliver
        self._max_line = max_line
        self._stderr: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._stderr_limit = stderr_limit
        self._stderr_lock = threading.Lock()
        self._out = bytearray()
        self._close_after_flush = False
        self._stdin_closed = False
        self._exited = threading.Event()
        self._known: dict[int, psutil.Process] = {}
        keeper = guardian()
        keeper.ensure()
        env = {**env, **keeper.env()}
        try:
            self._popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise ClaudeStartError(f"Could not start claude ({argv[0]}): {exc}") from exc
        keeper.watch(self._popen.pid)
        try:
            # Every process of the session is at least as young as claude itself.
            self._created: float | None = psutil.Process(self._popen.pid).create_time()
        except psutil.Error:
            self._created = None
        assert self._popen.stdin is not None
        self._stdin_fd = self._popen.stdin.fileno()
        os.set_blocking(self._stdin_fd, False)
        self._thread = threading.Thread(
            target=self._read, name=f"claude-{self._popen.pid}", daemon=True
        )
        self._thread.start()

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

    @property
    def backlog(self) -> int:
        return len(self._out)

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait until claude has exited and its output has been delivered; the exit code."""
        self._exited.wait(timeout)
        return self.returncode

    def stderr_tail(self) -> str:
        """The last bytes claude wrote to stderr (bounded), as text."""
        with self._stderr_lock:
            data = b"".join(self._stderr)
        return data.decode("utf-8", errors="replace")

    # -- writing ----------------------------------------------------------------------------

    def send(self, message: Mapping[str, Any]) -> bool:
        """Queue one JSON line for claude and write what it takes now; never blocks."""
        if self._stdin_closed or self._close_after_flush:
            return False
        self._out += (json.dumps(message, separators=(",", ":")) + "\n").encode()
        self.flush()
        return not self._stdin_closed

    def flush(self) -> None:
        while self._out and not self._stdin_closed:
            try:
                written = os.write(self._stdin_fd, self._out)
            except BlockingIOError:
                return
            except OSError:  # EPIPE: claude no longer reads
                self._close_stdin()
                return
            del self._out[:written]
        if self._close_after_flush:
            self._close_stdin()

    def close_input(self) -> None:
        self._close_after_flush = True
        self.flush()

    def _close_stdin(self) -> None:
        if self._stdin_closed:
            return
        self._stdin_closed = True
        self._out.clear()
        assert self._popen.stdin is not None
        with contextlib.suppress(OSError):
            self._popen.stdin.close()

    # -- stopping ---------------------------------------------------------------------------

    def note_descendants(self) -> None:
        """Note claude's current descendants, so they can be killed after claude is gone."""
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return
        keeper = guardian()
        for child in children:
            if child.pid not in self._known:
                self._known[child.pid] = child
                keeper.watch(child.pid)

    def terminate(self) -> None:
        """SIGTERM to claude (it kills its running tool and exits)."""
        self.note_descendants()
        if self._popen.poll() is None:
            with contextlib.suppress(OSError):
                self._popen.send_signal(signal.SIGTERM)

    def kill_tree(self, wait: float = 2.0) -> list[int]:
        """SIGKILL claude, every descendant and every process with the session's token.

        Returns the pids that were still alive and got the signal.
        """
        self.note_descendants()
        targets: dict[int, psutil.Process] = {}
        if self._popen.poll() is None:
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

    def release(self) -> None:
        """The session is over: close claude's stdin (on the owner's thread, the only one that
        writes it) and let the guardian forget its pids."""
        self._close_stdin()
        guardian().forget([self.pid, *self._known])

    @staticmethod
    def _alive(procs: Iterable[psutil.Process]) -> list[psutil.Process]:
        out = []
        for proc in procs:
            # is_running() also checks the creation time, so a reused pid is not killed.
            with contextlib.suppress(psutil.Error):
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    out.append(proc)
        return out

    # -- the reader thread ------------------------------------------------------------------

    def _read(self) -> None:
        code: int | None = None
        try:
            code = self._read_until_exit()
        except Exception:  # pragma: no cover - a bug here must still end the session
            log.exception("csup: the reader of claude pid %s failed", self.pid)
        finally:
            if code is None:
                code = self._reap()
            self._exited.set()
            self._deliver(Exited(code, self.stderr_tail()))

    def _reap(self) -> int:
        """claude's exit code; kills it first if it is somehow still running."""
        try:
            return self._popen.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self._popen.kill()
            return self._popen.wait()

    def _read_until_exit(self) -> int | None:
        assert self._popen.stdout is not None and self._popen.stderr is not None
        out_fd, err_fd = self._popen.stdout.fileno(), self._popen.stderr.fileno()
        pidfd = _pidfd(self.pid)
        streams = {out_fd, err_fd}
        exited_at: float | None = None
        code: int | None = None
        lines = _LineFramer(self._max_line, self._emit)
        with selectors.DefaultSelector() as selector:
            for fd in streams:
                selector.register(fd, selectors.EVENT_READ)
            if pidfd is not None:
                selector.register(pidfd, selectors.EVENT_READ)
            try:
                while streams:
                    if exited_at is not None:
                        timeout: float | None = max(0.0, exited_at + EXIT_GRACE - time.monotonic())
                    else:
                        timeout = None if pidfd is not None else 0.1
                    ready = selector.select(timeout)
                    for key, _ in ready:
                        fd = key.fd
                        if fd == pidfd:
                            selector.unregister(pidfd)
                            code = self._popen.wait()
                            exited_at = time.monotonic()
                            continue
                        chunk = _read_chunk(fd)
                        if chunk:
                            if fd == out_fd:
                                lines.feed(chunk)
                            else:
                                self._keep_stderr(chunk)
                            continue
                        selector.unregister(fd)
                        streams.discard(fd)
                    if pidfd is None and exited_at is None and self._popen.poll() is not None:
                        code, exited_at = self._popen.returncode, time.monotonic()
                    if exited_at is not None and time.monotonic() >= exited_at + EXIT_GRACE:
                        break
            finally:
                lines.finish()
                if pidfd is not None:
                    with contextlib.suppress(OSError):
                        os.close(pidfd)
                for stream in (self._popen.stdout, self._popen.stderr):
                    with contextlib.suppress(OSError):
                        stream.close()
        return code if code is not None else self._popen.poll()

    def _emit(self, item: Diagnostic | bytes) -> None:
        if isinstance(item, Diagnostic):
            self._deliver(Output(item))
            return
        parsed = parse_line(item)
        if parsed is not None:
            self._deliver(Output(parsed))

    def _keep_stderr(self, chunk: bytes) -> None:
        with self._stderr_lock:
            self._stderr.append(chunk)
            self._stderr_size += len(chunk)
            while self._stderr_size > self._stderr_limit and len(self._stderr) > 1:
                self._stderr_size -= len(self._stderr.popleft())
            if self._stderr_size > self._stderr_limit:
                only = self._stderr.pop()[-self._stderr_limit :]
                self._stderr.append(only)
                self._stderr_size = len(only)


def _pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        fd: int = opener(pid)
    except OSError:
        return None
    return fd


def _read_chunk(fd: int) -> bytes:
    """What the pipe holds now (the selector said it is readable); ``b""`` at its end."""
    try:
        return os.read(fd, _CHUNK)
    except OSError:
        return b""


class _LineFramer:
    """Splits a byte stream into lines as chunks arrive; a line longer than ``max_line`` is
    dropped (with one diagnostic) and reading goes on."""

    def __init__(self, max_line: int, emit: Any) -> None:
        self._max_line = max_line
        self._emit = emit
        self._pending: list[bytes] = []
        self._size = 0
        self._skipping = False

    def feed(self, chunk: bytes) -> None:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if self._skipping:
                self._skipping = False
            elif self._pending:
                self._pending.append(chunk[start:end])
                self._emit(b"".join(self._pending))
                self._pending.clear()
                self._size = 0
            else:
                self._emit(chunk[start:end])
            start = end + 1
        if self._skipping or start == len(chunk):
            return
        self._pending.append(chunk[start:])
        self._size += len(chunk) - start
        if self._size > self._max_line:
            dropped = self._size
            self._skipping = True
            self._pending.clear()
            self._size = 0
            self._emit(
                Diagnostic("", f"line longer than {self._max_line} bytes dropped ({dropped}+)")
            )

    def finish(self) -> None:
        if self._pending and not self._skipping:
            self._emit(b"".join(self._pending))
        self._pending.clear()


def claude_transport(options: SessionOptions, *, cwd: str, token: str) -> TransportFactory:
    """The factory that starts claude for a session with ``options`` (found and checked now:
    a missing binary or working directory raises here, before anything runs)."""
    binary = find_claude(options.claude_bin)
    if not os.path.isdir(cwd):
        raise SessionError(f"working directory {cwd} does not exist or is not a directory")
    argv = build_argv(binary, options)
    env = build_env(options, token)

    def start(deliver: Deliver) -> ClaudeProcess:
        return ClaudeProcess(argv, cwd=cwd, env=env, token=token, deliver=deliver)

    return start
