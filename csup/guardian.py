"""The guardian: a small process that ends every session's processes when csup dies.

csup's own stop ladder runs only while csup lives. When csup is killed outright (SIGKILL,
the OOM killer), nothing in csup can run, and claude with its tools would live on and finish
their side effects. So the first session of a csup process starts one guardian: this file,
run by the same interpreter as a plain script (standard library only, no csup import).

* csup holds the write end of a pipe that is the guardian's stdin. The kernel closes it
  when csup exits, however it exits: the guardian reads end-of-file at once.
* Every claude csup starts carries ``CSUP_GUARD=<token>`` in its environment, and so does
  every process claude starts (tools, their children, a tool that daemonised itself).
  csup also tells the guardian each claude's pid and start time, and the descendants it
  noted (``pid PID START`` lines), for a process that scrubbed its environment.
* On end-of-file (or SIGTERM) the guardian freezes (SIGSTOP) every such process, looks
  again until no new one appears (so a process forking during the sweep is caught too),
  then kills them all (SIGKILL), and exits. It runs in a session of its own, so the
  terminal's Ctrl-C or hang-up and a kill of csup's process group do not reach it first.

Linux only (it reads ``/proc``); elsewhere the guardian is not started and csup says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

__all__ = ["ENV_VAR", "Guardian", "guardian", "start_time", "sweep"]

ENV_VAR = "CSUP_GUARD"
_ROUNDS = 20


def start_time(pid: int) -> int | None:
    """A process's start time in clock ticks (``/proc/PID/stat`` field 22), or ``None``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _carriers(needle: bytes, me: int) -> set[int]:
    found: set[int] = set()
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                data = b"\0" + environ.read() + b"\0"
        except OSError:
            continue
        if needle in data:
            found.add(int(name))
    return found


def _children(pids: set[int]) -> set[int]:
    """The descendants of ``pids`` as the process table shows them now."""
    parents: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    data = stat.read()
                ppid = int(data[data.rfind(b")") + 2 :].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(name))
    found: set[int] = set()
    todo = list(pids)
    while todo:
        for child in parents.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def sweep(token: str, known: dict[int, int | None] | None = None) -> list[int]:
    """Freeze, then kill, every process carrying ``CSUP_GUARD=token``, every ``known`` pid
    (with its start time, so a reused pid is spared) and their descendants. The pids killed."""
    needle = f"\0{ENV_VAR}={token}\0".encode()
    me = os.getpid()
    targets: set[int] = set()
    for _ in range(_ROUNDS):
        found = _carriers(needle, me)
        for pid, started in (known or {}).items():
            if started is None or start_time(pid) == started:
                found.add(pid)
        found |= _children(found)
        found.discard(me)
        new = found - targets
        if not new:
            break
        for pid in new:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        targets |= new
    for pid in targets:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return sorted(targets)


class Guardian:
    """csup's side: starts the guardian process once, and tells it what to watch.

    Thread-safe. A guardian that died is started again with the same token, so it still
    covers the sessions already running.
    """

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._watched: dict[int, int | None] = {}
        self.problem: str | None = None
        os.register_at_fork(after_in_child=self._forget_in_child)

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    def env(self) -> dict[str, str]:
        """The variable every claude (and so every tool) of this csup process carries."""
        return {ENV_VAR: self.token}

    def ensure(self) -> bool:
        """Start the guardian if it is not running; ``False`` (with :attr:`problem`) if it
        cannot run here."""
        with self._lock:
            return self._ensure_locked()

    def watch(self, pid: int) -> None:
        """Have the guardian kill ``pid`` (a claude, or a descendant csup noted) if csup dies."""
        started = start_time(pid)
        with self._lock:
            if pid in self._watched:
                return
            self._watched[pid] = started
            if self._ensure_locked():
                self._tell(f"pid {pid} {started if started is not None else '-'}\n")

    def _ensure_locked(self) -> bool:
        if self._process is not None and self._process.poll() is None:
            return True
        if not os.path.isdir("/proc/self"):
            self.problem = "no /proc here: csup cannot guard its sessions against its own death"
            return False
        env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", os.path.abspath(__file__), self.token],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            self.problem = f"could not start csup's guardian: {exc}"
            return False
        self.problem = None
        if self._process.stdin is not None:
            # Never block csup on a guardian that stopped reading: a line that does not fit
            # is dropped (the token still finds every process of the sessions).
            os.set_blocking(self._process.stdin.fileno(), False)
        for pid, started in self._watched.items():
            self._tell(f"pid {pid} {started if started is not None else '-'}\n")
        return True

    def _tell(self, line: str) -> None:
        stdin: IO[bytes] | None = self._process.stdin if self._process else None
        if stdin is None:
            return
        try:
            stdin.write(line.encode())
            stdin.flush()
        except BlockingIOError:
            self.problem = "csup's guardian is not reading; a pid was not handed to it"
        except OSError:
            self._process = None

    def forget(self, pids: list[int]) -> None:
        """Processes that are gone: no need to remember them (their pids may be reused)."""
        with self._lock:
            for pid in pids:
                self._watched.pop(pid, None)
            if self._process is not None and pids:
                self._tell("".join(f"forget {pid}\n" for pid in pids))

    def close(self, wait: float = 2.0) -> None:
        """Let the guardian go (csup is ending cleanly): it sweeps what is left, if anything,
        and exits; wait for that up to ``wait`` seconds. A later session starts a new one."""
        with self._lock:
            process, self._process = self._process, None
            self._watched.clear()
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            log_problem = f"csup's guardian (pid {process.pid}) did not exit within {wait:g}s"
            self.problem = log_problem

    def _forget_in_child(self) -> None:
        # A forked child must not hold the pipe: the guardian would never see csup die.
        process, self._process = self._process, None
        if process is not None and process.stdin is not None:
            with contextlib.suppress(OSError):
                os.close(process.stdin.fileno())
        self._lock = threading.Lock()


_guardian: Guardian | None = None
_guardian_lock = threading.Lock()


def guardian() -> Guardian:
    """The guardian of this csup process (made on first use)."""
    global _guardian  # noqa: PLW0603 - one per process, by design
    with _guardian_lock:
        if _guardian is None:
            _guardian = Guardian()
        return _guardian


def main(argv: list[str]) -> int:
    """The guardian process: remember what csup says until its pipe closes, then sweep."""
    if len(argv) != 1:
        sys.stderr.write("usage: guardian.py TOKEN (started by csup)\n")
        return 2
    token = argv[0]
    for name in ("SIGINT", "SIGHUP", "SIGPIPE"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    known: dict[int, int | None] = {}

    def on_term(signum: int, frame: object) -> None:
        sweep(token, known)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    stdin = sys.stdin.buffer
    while line := stdin.readline():
        words = line.split()
        if len(words) == 3 and words[0] == b"pid" and words[1].isdigit():
            known[int(words[1])] = int(words[2]) if words[2].isdigit() else None
        elif len(words) == 2 and words[0] == b"forget" and words[1].isdigit():
            known.pop(int(words[1]), None)
    sweep(token, known)
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process by Guardian
    sys.exit(main(sys.argv[1:]))
