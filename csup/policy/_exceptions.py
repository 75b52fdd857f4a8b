"""Exceptions to the built-in rules: the ``[[exception]]`` tables of a policy file.

::

    [[exception]]
    rule = "git.push-force"
    pattern = "git push --force origin feature/*"   # optional: only these commands
    note = "added by csup allow on 2026-12-02"       # optional

An exception drops the findings of one rule id before the engine decides. Without
``pattern`` it drops all of them; with one, only those whose subject matches it. For Bash
the pattern is shell words, matched word by word (each an :func:`fnmatch.fnmatchcase`
glob, and as many words as the command has, so a ``*`` never reaches into a further
argument) against the subject: for a finding about one simple command of the line, that
command after normalisation, so ``git push -f origin feature/x && git push -f origin main``
still denies the second; for a finding about the whole line (pipes, redirects, a ``cd``
before it), the whole line. For Claude's file tools the subject is the path (as given,
absolute, or with symlinks resolved), matched as one glob; for the web tools, the URL or
query.

Some rules cannot be excepted (:func:`why_fixed`): those that keep csup itself running, and
those that stand for "csup cannot check this call at all".

Every deny and ask of a built-in rule ends with its id and the ``csup allow`` line a user
can run to except it (:func:`decided`).
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase

from csup._record import Frozen
from csup.calls import Decision
from csup.policy._rule_ids import why_fixed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from csup.calls import ToolCall
    from csup.policy.rules.base import Finding

_set = object.__setattr__


def is_verdict(rule_id: str) -> bool:
    """Whether ``rule_id`` is the engine's verdict (level, policy file, the user's rules),
    whose reason already says what to change, rather than a built-in rule."""
    return rule_id.startswith(("level.", "policy.", "user."))


class Exemption(Frozen):
    """One ``[[exception]]`` of a policy file: the rule id, the optional glob, the note."""

    __slots__ = ("rule", "pattern", "note")  # noqa: RUF023 - constructor order

    rule: str
    pattern: str | None
    note: str | None

    def __init__(self, rule: str, pattern: str | None = None, note: str | None = None) -> None:
        _set(self, "rule", rule)
        _set(self, "pattern", pattern)
        _set(self, "note", note)

    def covers(self, texts: Iterable[str]) -> bool:
        """Whether a finding of this rule about ``texts`` (its subject) is excepted."""
        pattern = self.pattern
        return pattern is None or any(fnmatchcase(t, pattern) for t in texts)

    def covers_words(self, words: list[str] | None) -> bool:
        """Whether a finding about a command line of these shell ``words`` is excepted.

        Word by word: the pattern has as many words as the command, each a glob, so a ``*``
        never reaches into a further argument (``rm -rf /opt/cache/*`` covers
        ``rm -rf /opt/cache/x``, not ``rm -rf /opt/cache/x ~``). A pattern or a command that
        does not split into words covers nothing.
        """
        if self.pattern is None:
            return True
        wanted = _words(self.pattern)
        if wanted is None or words is None or len(wanted) != len(words):
            return False
        return all(fnmatchcase(w, p) for w, p in zip(words, wanted, strict=True))


def _words(text: str) -> list[str] | None:
    """``text`` split as the shell would (None: it does not split)."""
    import shlex  # noqa: PLC0415 - only with exceptions

    try:
        return shlex.split(text)
    except ValueError:
        return None


def drop_excepted(
    findings: list[Finding], exceptions: tuple[Exemption, ...], request: ToolCall
) -> list[Finding]:
    """The findings that no exception of the policy covers."""
    kept = []
    for finding in findings:
        mine = [e for e in exceptions if e.rule == finding.rule]
        if not mine:
            kept.append(finding)
        elif request.tool_name == "Bash":
            words = _subject_words(finding, request)
            if not any(e.covers_words(words) for e in mine):
                kept.append(finding)
        elif not any(e.covers(_subject_texts(finding, request)) for e in mine):
            kept.append(finding)
    return kept


def _subject_words(finding: Finding, request: ToolCall) -> list[str] | None:
    """A Bash finding's subject as words: its simple command's argv, or the whole line's."""
    if finding.subject is not None:
        return list(finding.subject.argv)
    return _words(str(request.tool_input.get("command", "")))


def _subject_texts(finding: Finding, request: ToolCall) -> tuple[str, ...]:
    """What a pattern is matched against for ``finding`` (see the module docstring)."""
    if request.tool_name != "Bash":
        return tool_subjects(request.tool_name, request.tool_input, request.cwd)
    command = finding.subject
    if command is not None:
        import shlex  # noqa: PLC0415 - only with exceptions

        return command.text, shlex.join(command.argv)
    return (str(request.tool_input.get("command", "")).strip(),)


def tool_subjects(tool: str, tool_input: Mapping[str, Any], cwd: str) -> tuple[str, ...]:
    """A non-Bash call's subject: its path as given, absolute and resolved; or its URL."""
    from csup.policy.programs.paths import expand, real  # noqa: PLC0415 - loaded by then
    from csup.policy.rules.tools import NETWORK_TOOLS, _path_input  # noqa: PLC0415

    if tool in NETWORK_TOOLS:
        return (str(tool_input.get("url") or tool_input.get("query") or ""),)
    raw, _ = _path_input(tool, tool_input)
    if raw is None:
        return ()
    path = expand(raw, cwd, os.path.expanduser("~"))
    return (raw,) if path is None else tuple(dict.fromkeys((raw, path, real(path))))


def _escaped(text: str) -> str:
    """``text`` as a glob that matches only itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def suggested_pattern(finding: Finding | None, request: ToolCall) -> str | None:
    """The narrowest ``--pattern`` that excepts this finding (None: no subject)."""
    if finding is None:
        return None
    if request.tool_name != "Bash":
        texts = tool_subjects(request.tool_name, request.tool_input, request.cwd)
        return _escaped(texts[1] if len(texts) > 1 else texts[0]) if texts else None
    words = _subject_words(finding, request)
    if not words:
        return None
    return " ".join(_pattern_word(w) for w in map(_escaped, words))


def _pattern_word(word: str) -> str:
    """``word`` as it splits back (see :func:`_words`): bare where it can be, in double
    quotes where that is enough (they read better inside the single-quoted ``--pattern``)."""
    if word and not any(c.isspace() or c in "'\"\\#" for c in word):
        return word
    if not any(c in '"\\$`' for c in word):
        return f'"{word}"'
    import shlex  # noqa: PLC0415 - only for a deny or an ask

    return shlex.quote(word)


def allow_command(rule_id: str, pattern: str | None) -> str:
    """The ``csup allow`` line that excepts ``rule_id`` (for ``pattern``)."""
    if pattern is None:
        return f"csup allow {rule_id}"
    import shlex  # noqa: PLC0415 - only for a deny or an ask

    return f"csup allow {rule_id} --pattern {shlex.quote(pattern)}"


def decided(decision: Decision, finding: Finding | None, request: ToolCall) -> Decision:
    """``decision`` with the rule id, and how a user can allow it, at the end of its reason.

    The engine's verdicts (levels, the policy file, the user's rules) are left as they are:
    their reasons say what to change. The model reads the reason too: it names the command
    for the user to run, and the guard keeps the model itself from running it.
    """
    rule = decision.rule
    if decision.behavior == "allow" or is_verdict(rule):
        return decision
    if why_fixed(rule) is not None:
        note = f"[csup rule {rule}; it cannot be allowed]"
    else:
        command = allow_command(rule, suggested_pattern(finding, request))
        note = f"[csup rule {rule}; a user can allow it with: {command}]"
    return Decision(decision.behavior, f"{decision.reason} {note}", rule, decision.source)


def parse_exceptions(value: Any, path: str, text: str) -> tuple[Exemption, ...]:
    """The ``exception`` key of a policy file, checked; a PolicyFileError names the line."""
    from csup.errors import PolicyFileError  # noqa: PLC0415 - only files with exceptions
    from csup.policy._rule_ids import closest, is_known  # noqa: PLC0415

    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PolicyFileError(
            path,
            'exceptions are [[exception]] tables, each with rule = "rule.id"',
            line=_line_with(text, "exception"),
            key="exception",
        )
    out = []
    for number, table in enumerate(value, start=1):
        key = f"exception[{number}]"
        start = _nth_table_line(text, number)
        unknown = sorted(set(table) - {"rule", "pattern", "note"})
        if unknown:
            raise PolicyFileError(
                path, f"unknown key {unknown[0]!r}; use rule, pattern and note", line=start, key=key
            )
        rule = table.get("rule")
        if not isinstance(rule, str) or not rule:
            raise PolicyFileError(path, 'needs rule = "rule.id"', line=start, key=key)
        line = _line_with(text, f'"{rule}"') or _line_with(text, f"'{rule}'") or start
        if not is_known(rule) or rule.endswith("*"):
            near = closest(rule)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise PolicyFileError(
                path,
                f"unknown rule id {rule!r}; {hint}`csup policy rules` lists them",
                line=line,
                key=f"{key}.rule",
            )
        fixed = why_fixed(rule)
        if fixed is not None:
            raise PolicyFileError(
                path, f"rule {rule!r} cannot be excepted: {fixed}", line=line, key=f"{key}.rule"
            )
        for name in ("pattern", "note"):
            if name in table and not (isinstance(table[name], str) and table[name]):
                raise PolicyFileError(
                    path,
                    f"{name} must be a non-empty string",
                    line=_line_with(text, name, start) or start,
                    key=f"{key}.{name}",
                )
        out.append(Exemption(rule, table.get("pattern"), table.get("note")))
    return tuple(out)


def _line_with(text: str, needle: str, after: int | None = None) -> int | None:
    """The first line (after line ``after``) of ``text`` that holds ``needle``."""
    for at, line in enumerate(text.splitlines(), start=1):
        if (after is None or at > after) and needle in line:
            return at
    return None


def _nth_table_line(text: str, number: int) -> int | None:
    """The line of the ``number``-th ``[[exception]]`` header of ``text``."""
    seen = 0
    for at, line in enumerate(text.splitlines(), start=1):
        if line.strip().replace(" ", "").startswith("[[exception]]"):
            seen += 1
            if seen == number:
                return at
    return None
