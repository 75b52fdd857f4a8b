"""What every rule family uses: findings, the context of a call, the registry, the verdicts.

A rule looks at one :class:`~csup.policy.syntax.command.Command` (or at the whole line, for
redirects and fork bombs) and returns findings. A finding is a ``deny`` (dangerous at every
level) or an ``ask`` (leaves the workspace: asked at ``moderate``, allowed at
``permissive``). Rule ids are ``category.name``; the categories are ``fs``, ``disk``, ``git``,
``exec``, ``system``, ``secrets``, ``csup``, ``net``, ``workspace`` and ``shell``.
Families register their per-command checks with :func:`rule`; :mod:`.judge` runs them.
"""

from __future__ import annotations

from csup._record import Frozen
from csup.policy.programs.paths import Where, expand, real

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Literal, Protocol

    from csup.policy.syntax.command import Command

    Check = Callable[[Command, "Context"], Iterable["Finding"]]

    class Memory(Protocol):
        """What the rules read of a session's memory (the engine's ``SessionMemory``)."""

        @property
        def written(self) -> dict[str, str | None]:
            """Resolved path -> the content the session wrote (None: only known on disk)."""

        @property
        def user_files(self) -> frozenset[str]:
            """Resolved paths modified, added or untracked when the session started."""

        @property
        def had_stash(self) -> bool:
            """Whether the repository had stashes when the session started."""


_set = object.__setattr__


class Finding(Frozen):
    """What a rule found: deny or ask, the rule id, and the reason for people and Claude.

    ``subject``: the simple command it is about, set by :func:`.judge.judge_bash` (None: the
    whole line); an ``[[exception]]`` with a pattern is matched against it.
    """

    __slots__ = ("behavior", "rule", "reason", "subject")  # noqa: RUF023 - constructor order

    behavior: Literal["deny", "ask"]
    rule: str
    reason: str
    subject: Command | None

    def __init__(
        self,
        behavior: Literal["deny", "ask"],
        rule: str,
        reason: str,
        subject: Command | None = None,
    ) -> None:
        _set(self, "behavior", behavior)
        _set(self, "rule", rule)
        _set(self, "reason", reason)
        _set(self, "subject", subject)

    def about(self, command: Command | None) -> Finding:
        """This finding about ``command`` (kept if it has a subject already)."""
        if command is None or self.subject is not None:
            return self
        return Finding(self.behavior, self.rule, self.reason, command)


def alone(command: Command) -> Command | None:
    """``command`` if a finding on it is about it alone (no pipe or substitution feeds it)."""
    return None if command.upstream or command.feeds else command


class Context(Frozen):
    """What the rules know about the session.

    ``protected_branches``: branches a force push may not touch; None = every branch.
    ``control_files``: further files (resolved) that would switch csup off, e.g. the policy
    file in use.
    """

    # in constructor order
    __slots__ = ("where", "protected_branches", "control_files", "links")  # noqa: RUF023

    where: Where
    protected_branches: tuple[str, ...] | None
    control_files: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    """Symbolic links the line itself makes (``ln -s / x && rm -rf x/*``): (link, target)."""

    def __init__(
        self,
        where: Where,
        protected_branches: tuple[str, ...] | None = None,
        control_files: tuple[str, ...] = (),
        links: tuple[tuple[str, str], ...] = (),
    ) -> None:
        _set(self, "where", where)
        _set(self, "protected_branches", protected_branches)
        _set(self, "control_files", control_files)
        _set(self, "links", links)


BY_NAME: dict[str, list[Check]] = {}
EVERY_COMMAND: list[Check] = []


def rule(*names: str) -> Callable[[Check], Check]:
    """Register a check for commands with these names (none: for every command)."""

    def register(check: Check) -> Check:
        if not names:
            EVERY_COMMAND.append(check)
        for name in names:
            BY_NAME.setdefault(name, []).append(check)
        return check

    return register


def shown(command: Command) -> str:
    """How a command is quoted in a reason: its text, and how it was reached."""
    text = command.text if len(command.text) <= 120 else command.text[:117] + "..."
    via = f" (run via {', '.join(dict.fromkeys(command.via))})" if command.via else ""
    return f"`{text}`{via}"


def deny(rule_id: str, reason: str) -> Finding:
    """A deny finding."""
    return Finding("deny", rule_id, reason)


def ask(rule_id: str, reason: str) -> Finding:
    """An ask finding."""
    return Finding("ask", rule_id, reason)


def path_of(word: str, ctx: Context) -> str | None:
    """The resolved path a word names (symlinks followed), or None if unknown."""
    path = expand(word, ctx.where.cwd, ctx.where.home)
    return None if path is None else relink(real(path), ctx)


def relink(path: str, ctx: Context) -> str:
    """``path`` through the links the line makes before it runs (see :attr:`Context.links`)."""
    for link, target in ctx.links:
        if path == link or path.startswith(link + "/"):
            return real(target + path[len(link) :])
    return path
