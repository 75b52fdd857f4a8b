"""What a session remembers between its calls: the files it wrote, and the user's own work.

One :class:`SessionMemory` per session (the session core makes it with
:meth:`SessionMemory.for_workspace` when the session starts, and calls :meth:`observe` after
each decision; ``csup hook``, one process per call, keeps it between calls in a file, through
:meth:`SessionMemory.to_dict` and :meth:`SessionMemory.from_dict`, see
:mod:`csup.hooks.memory`). :meth:`Policy.decide <csup.policy.Policy.decide>` reads it:

* a file the session wrote, then runs (``bash f``, ``./f``, ``make`` with the Makefile it
  wrote, ``npm run`` with its package.json, ``pip install .`` with its setup.py, git hooks,
  ``.envrc``), is judged as if its content were run (see :mod:`csup.policy.rules.session`);
* the files that were modified or untracked when the session started are the user's:
  discarding them is asked at ``moderate`` and above.

Used from one thread (the policy actor's); not thread-safe.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.calls import Decision, ToolCall

GIT_STATUS_TIMEOUT = 5.0
"""Seconds ``git status`` may take when a session starts; past that, no user files are known."""
MAX_REMEMBERED = 4096
"""Most written files remembered (the oldest are forgotten first)."""
MAX_STORED_FILE = 64 * 1024
"""Most characters of one file's content :meth:`SessionMemory.to_dict` keeps. The rules read a
file from disk first; what was written only stands in for a file that is gone."""
MAX_STORED_CONTENT = 256 * 1024
"""Most characters of content :meth:`SessionMemory.to_dict` keeps in all, the newest files
first; older files keep only their path. Bounds what ``csup hook`` parses on every call
(a few ms at most)."""
FORMAT = 1
"""The version of :meth:`SessionMemory.to_dict`'s shape."""


class SessionMemory:
    """The files a session wrote (path -> content when known) and the user's files."""

    __slots__ = ("cwd", "had_stash", "user_files", "written")

    def __init__(
        self, cwd: str, user_files: frozenset[str] = frozenset(), *, had_stash: bool = False
    ) -> None:
        self.cwd = os.path.realpath(cwd)
        self.user_files = user_files
        """Resolved paths modified, added or untracked when the session started."""
        self.had_stash = had_stash
        """Whether the repository had stashes when the session started (they are the user's)."""
        self.written: dict[str, str | None] = {}
        """Resolved path -> the content the session wrote (None: only known on disk)."""

    def __repr__(self) -> str:
        return (
            f"SessionMemory(cwd={self.cwd!r}, user_files={len(self.user_files)}, "
            f"written={len(self.written)})"
        )

    @classmethod
    def for_workspace(cls, cwd: str) -> SessionMemory:
        """A memory for a session in ``cwd``, noting the user's uncommitted files.

        Runs ``git status`` (bounded by :data:`GIT_STATUS_TIMEOUT`); outside a repository, or
        when git fails, there are no user files.
        """
        import subprocess  # noqa: PLC0415 - once per session, never in the hook

        def git(*args: str) -> str | None:
            try:
                done = subprocess.run(
                    ["git", "-C", cwd, *args],
                    capture_output=True,
                    timeout=GIT_STATUS_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                return None
            return done.stdout.decode("utf-8", "surrogateescape") if done.returncode == 0 else None

        top = git("rev-parse", "--show-toplevel")
        if not top:
            return cls(cwd)
        root = os.path.realpath(top.strip())
        status = git("status", "--porcelain=v1", "-z", "--untracked-files=all") or ""
        stash = git("stash", "list") or ""
        return cls(cwd, parse_status(status, root), had_stash=bool(stash.strip()))

    def to_dict(self) -> dict[str, object]:
        """The memory as plain JSON values, for a store (``csup hook`` keeps one per session).

        Bounded: at most :data:`MAX_REMEMBERED` files, and of their content at most
        :data:`MAX_STORED_FILE` characters each and :data:`MAX_STORED_CONTENT` in all.
        """
        budget = MAX_STORED_CONTENT
        newest_first: list[tuple[str, str | None]] = []
        for path, written in reversed(self.written.items()):
            content = None if written is None else written[:MAX_STORED_FILE]
            if content is not None:
                if len(content) > budget:
                    content = None
                else:
                    budget -= len(content)
            newest_first.append((path, content))
        return {
            "format": FORMAT,
            "cwd": self.cwd,
            "user_files": sorted(self.user_files),
            "had_stash": self.had_stash,
            "written": dict(reversed(newest_first[:MAX_REMEMBERED])),
        }

    @classmethod
    def from_dict(cls, data: object) -> SessionMemory:
        """The memory :meth:`to_dict` gave; ValueError (saying what is wrong) for anything else."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a csup session memory of format {FORMAT}")
        cwd, user_files = data.get("cwd"), data.get("user_files")
        had_stash, written = data.get("had_stash"), data.get("written")
        if not isinstance(cwd, str) or not isinstance(had_stash, bool):
            raise ValueError("its cwd or had_stash is missing")
        if not isinstance(user_files, list) or not all(isinstance(f, str) for f in user_files):
            raise ValueError("its user_files is not a list of paths")
        if not isinstance(written, dict) or not all(
            isinstance(c, str) or c is None for c in written.values()
        ):
            raise ValueError("its written is not an object of paths to contents")
        memory = cls(cwd, frozenset(user_files), had_stash=had_stash)
        memory.written = written
        return memory

    def observe(self, call: ToolCall, decision: Decision) -> None:
        """After a decision: remember what an allowed Write, Edit or Bash call writes."""
        if decision.behavior != "allow":
            return
        tool, data = call.tool_name, call.tool_input
        if tool == "Write":
            content = data.get("content")
            self._note(
                call.cwd, data.get("file_path"), content if isinstance(content, str) else None
            )
        elif tool in ("Edit", "MultiEdit", "NotebookEdit"):
            self._note(call.cwd, data.get("file_path") or data.get("notebook_path"), None)
        elif tool == "Bash" and isinstance(data.get("command"), str):
            from csup.policy.programs.knowledge import analyse  # noqa: PLC0415 - loaded by decide()

            for target, content in analyse(data["command"]).writes:
                self._note(call.cwd, target, content)

    def wrote(self, path: str) -> bool:
        """Whether the session wrote the resolved ``path``."""
        return path in self.written

    def _note(self, cwd: str, path: object, content: str | None) -> None:
        if not isinstance(path, str) or not path or "$" in path:
            return
        full = os.path.realpath(os.path.join(cwd, os.path.expanduser(path)))
        self.written.pop(full, None)
        self.written[full] = content
        while len(self.written) > MAX_REMEMBERED:
            self.written.pop(next(iter(self.written)))


def parse_status(text: str, root: str) -> frozenset[str]:
    """The paths (resolved, under ``root``) of ``git status --porcelain -z`` output."""
    out: set[str] = set()
    entries = text.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            i += 1  # the next entry is the old name
        if code == "!!":
            continue
        out.add(os.path.normpath(os.path.join(root, path)))
    return frozenset(out)
