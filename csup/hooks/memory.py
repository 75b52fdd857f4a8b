"""``csup hook``'s memory of a Claude Code session, kept between its tool calls.

Claude Code starts ``csup hook`` once per tool call, so what a supervised session keeps in
its :class:`~csup.policy.SessionMemory` (the files the session wrote, to judge ``bash f``
by what ``f`` holds; the user's files that were uncommitted when it started, whose discarding
is asked) lives here in one small JSON file per session:
``<state dir>/hook-sessions/<session id>.json`` (:func:`csup.statedir.state_dir`).

* The first call of a session (no file yet) notes the user's files with ``git status``
  (:meth:`SessionMemory.for_workspace`): every tool call of the session goes through the hook,
  so none of its tools has run yet. Later calls only read the file (no git).
* After the decision, a Write, Edit or Bash call that may run (allowed, or asked: the user may
  say yes where csup cannot see it) is noted and the file rewritten, only if that changes it.
* Writes are atomic (a temporary file, then ``os.replace``), under an ``fcntl.flock`` of
  ``<session id>.lock``, and each re-reads the file under the lock first, so two hooks of one
  session running at once (parallel tool calls) lose nothing; the first call's snapshot is
  taken under the lock too, so there is one per session.
* A file that cannot be read or parsed is replaced by what git says now, every uncommitted
  file counted both as the user's and as possibly written by the session (so running one is
  judged by its content): never less careful than the memory it replaces. This is said once
  on stderr, when the file is replaced.
* Files of sessions unused for :data:`MAX_AGE` seconds are deleted when a session starts.
* A state directory that cannot be written leaves the call judged with this process's
  snapshot only (as if it were the session's first call), with a line on stderr.

The directory is a control path (the policy denies writing or deleting it), so a session
cannot make csup forget what it wrote. Only ``os``, ``sys``, ``json`` and ``fcntl`` are
imported: this runs on every tool call.
"""

from __future__ import annotations

import json
import os
import sys
import time

from csup.errors import CsupError
from csup.statedir import state_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from csup.calls import Decision, ToolCall
    from csup.policy import SessionMemory

__all__ = ["MAX_AGE", "SESSIONS_DIR", "HookMemory", "memory_path", "open_memory"]

SESSIONS_DIR = "hook-sessions"
MAX_AGE = 7 * 24 * 3600
"""Seconds after its last use a session's memory is deleted (a resumed session older than
this starts again from ``git status``)."""
_TOUCH_AFTER = 24 * 3600
"""A memory read this long after its last write has its mtime renewed, so a session that only
reads is not taken for unused."""
_WRITERS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit", "Bash"})
MAX_BYTES = 64 * 1024 * 1024
"""A memory file larger than this is taken as damaged (a real one stays far smaller)."""


class UnreadableMemoryError(CsupError):
    """A memory file that exists but cannot be read or is not a memory (never leaves this
    module: the memory is made again from git)."""


def memory_path(session_id: str, env: Mapping[str, str] | None = None) -> str:
    """The file the memory of ``session_id`` is kept in."""
    name = session_id
    if not (
        0 < len(name) <= 128 and name.isascii() and name.replace("-", "").replace("_", "").isalnum()
    ):
        import hashlib  # noqa: PLC0415 - Claude Code's ids are UUIDs: this never runs for them

        name = "sha256-" + hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()
    return os.path.join(state_dir(env), SESSIONS_DIR, name + ".json")


def _warn(message: str) -> None:
    try:  # noqa: SIM105 - contextlib costs the hook an import
        sys.stderr.write(f"csup hook: {message}\n")
    except Exception:  # noqa: S110 - a closed stderr must not fail the hook
        pass


class _Lock:
    """An exclusive ``flock`` of ``<path>.lock``, held while in the ``with`` block."""

    __slots__ = ("_fd", "_path")

    def __init__(self, path: str) -> None:
        self._path = path + ".lock"
        self._fd = -1

    def __enter__(self) -> _Lock:
        import fcntl  # noqa: PLC0415 - only for calls that write

        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self._fd)
            raise
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self._fd)  # closing the file releases the lock


def _read(path: str) -> SessionMemory | None:
    """The memory in ``path``; None if there is none; UnreadableMemoryError if it is damaged."""
    from csup.policy._memory import SessionMemory  # noqa: PLC0415 - only with a session id

    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableMemoryError(exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
            modified = os.fstat(handle.fileno()).st_mtime
        if len(raw) > MAX_BYTES:
            raise ValueError(f"it is larger than {MAX_BYTES} bytes")
        memory = SessionMemory.from_dict(json.loads(raw))
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; deep nesting a RecursionError
    except (OSError, ValueError, RecursionError) as exc:
        raise UnreadableMemoryError(str(exc) or type(exc).__name__) from None
    if time.time() - modified > _TOUCH_AFTER:
        try:  # noqa: SIM105
            os.utime(path)
        except OSError:
            pass
    return memory


def _write(path: str, memory: SessionMemory) -> None:
    """Replace ``path`` with ``memory`` atomically (call with the lock held)."""
    data = json.dumps(memory.to_dict(), separators=(",", ":")).encode("ascii")
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _from_git(cwd: str, damaged: bool) -> SessionMemory:
    """A memory from ``git status`` now; after a damaged memory, every uncommitted file is
    also taken as written by the session (what it wrote is no longer known)."""
    from csup.policy._memory import MAX_REMEMBERED, SessionMemory  # noqa: PLC0415

    memory = SessionMemory.for_workspace(cwd)
    if damaged:
        memory.written = dict.fromkeys(sorted(memory.user_files)[:MAX_REMEMBERED])
    return memory


def _prune(directory: str, now: float) -> None:
    """Delete the memories (and their locks) of sessions unused for :data:`MAX_AGE`."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    names = {e.name for e in entries}
    for entry in entries:
        name = entry.name
        if name.endswith(".lock") and name[:-5] in names:
            continue  # goes with its memory, below
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime <= MAX_AGE:
                continue
            os.unlink(entry.path)
            if name.endswith(".json"):
                os.unlink(entry.path + ".lock")
        except OSError:
            continue


class HookMemory:
    """One session's memory as the hook sees it: loaded once, noted into after the decision.

    ``memory`` is what :meth:`Policy.decide <csup.policy.Policy.decide>` reads; ``path`` is
    None when the state directory cannot be written (nothing is kept then).
    """

    __slots__ = ("memory", "path")

    def __init__(self, memory: SessionMemory, path: str | None) -> None:
        self.memory = memory
        self.path = path

    def remember(self, call: ToolCall, decision: Decision) -> None:
        """Note what ``call`` writes if it may run, and save it if that changed the memory.

        Never raises: a memory that cannot be saved is said on stderr.
        """
        if decision.behavior == "deny" or call.tool_name not in _WRITERS or self.path is None:
            return
        try:
            from csup.calls import Decision as Made  # noqa: PLC0415

            may_run = decision if decision.behavior == "allow" else Made("allow", "", "hook.ask")
            before = dict(self.memory.written)
            self.memory.observe(call, may_run)
            if self.memory.written == before:
                return
            with _Lock(self.path):
                try:
                    fresh = _read(self.path)
                except UnreadableMemoryError:
                    fresh = None
                if fresh is not None:  # another call of the session may have noted more
                    fresh.observe(call, may_run)
                    self.memory = fresh
                _write(self.path, self.memory)
        except Exception as exc:
            _warn(f"the session's memory was not saved ({type(exc).__name__}: {exc})")


def open_memory(
    session_id: object, cwd: str, env: Mapping[str, str] | None = None
) -> HookMemory | None:
    """The memory of the session ``session_id`` (made on its first call); None without an id.

    Never raises for a state directory or file in a bad state: see the module's notes.
    """
    if not isinstance(session_id, str) or not session_id:
        return None
    path = memory_path(session_id, env)
    memory = None
    try:
        memory = _read(path)
        if memory is not None:
            return HookMemory(memory, path)
    except UnreadableMemoryError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with _Lock(path):
            damaged = None
            try:
                memory = _read(path)  # a call running beside this one may have made it
            except UnreadableMemoryError as exc:
                damaged = str(exc)
            if memory is None:
                memory = _from_git(cwd, damaged is not None)
                _write(path, memory)
                if damaged is not None:
                    _warn(
                        f"the session's memory {path} could not be read ({damaged}); started "
                        "it again from git status, every uncommitted file taken as possibly "
                        "written by the session"
                    )
                else:
                    _prune(os.path.dirname(path), time.time())
    except OSError as exc:
        _warn(
            f"the session's memory cannot be kept in {os.path.dirname(path)} ({exc}); this "
            f"call is judged without what earlier calls wrote (set $CSUP_STATE_DIR to a "
            "writable directory)"
        )
        return HookMemory(_from_git(cwd, False), None)
    return HookMemory(memory, path)
