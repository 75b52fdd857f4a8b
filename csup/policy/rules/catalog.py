"""The catalog's rules (see :mod:`csup.policy.programs.catalog`): one check for every tool it names.

Destroyers and switches are denied (:func:`judge_catalog`). Credential printers are judged
by where their output goes (:func:`judge_printed_credentials`).
"""

from __future__ import annotations

from collections.abc import Iterator

from csup.policy.programs.catalog import ENTRIES, Entry, by_tool
from csup.policy.programs.catalog_match import RUNNERS, through_runners
from csup.policy.programs.databases import aims_at_production, configured_production
from csup.policy.rules.base import Context, Finding, alone, ask, deny, shown
from csup.policy.syntax.command import Analysis, Command

_BY_TOOL = by_tool()
_LOGINS = frozenset({"docker", "podman", "helm", "oras", "skopeo", "buildah", "nerdctl", "crane"})


def _reason(entry: Entry, command: Command) -> str:
    advice = {
        "destroys": "This cannot be undone: ask the user to run it themselves if it is meant.",
        "bypasses": "Sessions may not switch supervision off; ask the user.",
        "prints": "Use the credential without printing it (pipe it into the login that "
        "needs it), or ask the user.",
    }[entry.kind]
    return f"Blocked {shown(command)}: it {entry.what}. {advice}"


def matching(command: Command) -> Iterator[Entry]:
    """The catalog entries whose forms ``command`` has (package runners looked through)."""
    argv = through_runners(command.argv) if command.name in RUNNERS else command.argv
    if not argv:
        return
    for entry in _BY_TOOL.get(argv[0], ()):
        if entry.match(argv) is not None:
            yield entry


def judge_catalog(analysis: Analysis, ctx: Context) -> Iterator[Finding]:
    """Destroyers and switches of the catalog, and credential printers (see below): deny.

    Judged over the line, after the hand-written rules: an entry marked ``production``
    counts only when the command, the line's variables, the environment or the project's
    ``.env`` aim it at production (:mod:`csup.policy.programs.databases`).
    """
    for command in analysis.commands:
        if command.name not in _TOOLS:
            continue
        for entry in matching(command):
            if entry.kind == "prints":
                continue
            reason = _reason(entry, command)
            if entry.production and not aims_at_production(command.argv, analysis.assigned):
                why = configured_production(ctx.where.cwd)
                if why is None:
                    continue
                reason = f"{reason} The database is not local: {why}."
            # every one, not just the first: an exception may drop some of them
            yield deny(entry.rule, reason).about(alone(command))
    yield from judge_printed_credentials(analysis)


def _into_login(command: Command, consumer: Command) -> bool:
    """``... | docker login --password-stdin``, ``... | gh auth login --with-token``."""
    args = consumer.argv[1:]
    if consumer.name in _LOGINS and "login" in args and "--password-stdin" in args:
        return True
    return consumer.name == "gh" and "login" in args and "--with-token" in args


def judge_printed_credentials(analysis: Analysis) -> Iterator[Finding]:
    """A credential printer whose output reaches the transcript, or another program."""
    printers = [(c, e) for c in analysis.commands if c.name in _PRINTER_TOOLS for e in matching(c)]
    printers = [(c, e) for c, e in printers if e.kind == "prints"]
    for command, entry in printers:
        consumers = [c for c in analysis.commands if any(u is command for u in c.upstream)]
        if consumers and all(_into_login(command, c) for c in consumers):
            continue
        if "$( )" in command.via and not consumers:
            yield ask(
                entry.rule,
                f"{shown(command)} {entry.what.removeprefix('prints ')}-producing: "
                "its output is used by the command around it.",
            )
            continue
        yield deny(entry.rule, _reason(entry, command))


_TOOLS = frozenset(_BY_TOOL) | frozenset(RUNNERS)
_PRINTER_TOOLS = frozenset(
    {t for e in ENTRIES if e.kind == "prints" for t in e.tools} | set(RUNNERS)
)
