"""What ``echo`` and ``printf`` print when their words are literal, computed as bash does.

A line can build a word from the output of a command (``cat "$(echo .env)"``), pipe it into
``xargs`` (``printf '%s\\n' .env | xargs cat``) or into a shell
(``printf 'printf "%%s"; %s' 'cat .env' | sh``). When that command is ``echo`` or ``printf``
of literal words its output is certain, and the command it leads to can be judged like any
other. :func:`certain_output` gives that output, or None whenever it is not certain: a word
only known at run time, a ``printf`` directive outside the subset below, an ``echo`` whose
escapes other shells' ``echo`` would decode.

The ``printf`` subset: ``%%``, ``%s``, ``%b``, ``%c``, ``%d``, ``%i``, ``%u``, ``%o``,
``%x``, ``%X`` with flags, width and precision (``%-10s``, ``%.3s``), the format reused while
arguments are left, the escapes of the format (``\\n``, ``\\t``, ``\\NNN``, ``\\xHH``,
``\\uHHHH`` ...) and of ``%b`` arguments (with ``\\0NNN`` and ``\\c``, which ends the output).
"""

from __future__ import annotations

import re

from csup._lazy_re import LazyRegex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.policy.syntax.command import Command

MAX_OUTPUT = 64 * 1024
"""Longest output computed; a longer one is not certain (it is not looked at)."""

_LETTERS = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
}
_QUOTES = {'"': '"', "'": "'", "?": "?"}
"""Escapes printf's format also decodes (``echo -e`` and ``%b`` leave them)."""

_FORMAT_ESCAPE = LazyRegex(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|.)"
)
_B_ESCAPE = LazyRegex(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|0[0-7]{0,3}|[0-7]{1,3}|c|.)"
)
_ECHO_ESCAPE = LazyRegex(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|0[0-7]{0,3}|c|.)"
)
_DIRECTIVE = LazyRegex(r"%(?:(%)|([-+ #0]*)(\d*)(?:\.(\d*))?([a-zA-Z]?))")
_ECHO_OPTIONS = LazyRegex(r"-[neE]+")


class _Stop(Exception):
    """``\\c``: nothing more is printed."""


def _decode(text: str, pattern: LazyRegex, quotes: bool) -> str:
    """``text`` with its backslash escapes decoded; raises :class:`_Stop` at ``\\c``."""
    if "\\" not in text:
        return text
    out: list[str] = []
    at = 0
    for match in pattern.finditer(text):
        out.append(text[at : match.start()])
        at = match.end()
        code = match.group(1)
        if code == "c" and pattern is not _FORMAT_ESCAPE:
            out.append("")
            raise _Stop("".join(out))
        if code[0] in "xuU" and len(code) > 1:
            out.append(chr(min(int(code[1:], 16), 0x10FFFF)))
        elif code[0].isdigit():
            digits = code[1:] if code[0] == "0" and pattern is not _FORMAT_ESCAPE else code
            out.append(chr(int(digits or "0", 8) & 0xFF))
        elif code in _LETTERS:
            out.append(_LETTERS[code])
        elif quotes and code in _QUOTES:
            out.append(_QUOTES[code])
        else:
            out.append("\\" + code)
    out.append(text[at:])
    return "".join(out)


def echo_output(args: list[str]) -> str | None:
    """What bash's ``echo ARGS`` prints (``-n``, ``-e``, ``-E``).

    None when an argument has a backslash and no ``-e``/``-E`` says what it means: zsh's
    and dash's ``echo`` decode it, bash's does not.
    """
    newline, decode, chosen = True, False, False
    while args and _ECHO_OPTIONS.fullmatch(args[0]):
        for letter in args[0][1:]:
            if letter == "n":
                newline = False
            else:
                decode, chosen = letter == "e", True
        args = args[1:]
    text = " ".join(args)
    if decode:
        try:
            text = _decode(text, _ECHO_ESCAPE, quotes=False)
        except _Stop as stop:
            return str(stop)
    elif "\\" in text and not chosen:
        return None
    return text + "\n" if newline else text


def _number(arg: str) -> int | None:
    """A numeric argument as printf reads it: ``10``, ``010`` (octal), ``0x1f``, ``'A``."""
    text = arg.strip()
    if text[:1] in ("'", '"'):
        return ord(text[1]) if len(text) > 1 else 0
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    try:
        if digits[:2].lower() == "0x":
            return sign * int(digits[2:], 16)
        if digits.startswith("0") and len(digits) > 1:
            return sign * int(digits[1:], 8)
        return sign * int(digits or "0", 10)
    except ValueError:
        return None


def _directive(match: re.Match[str], value: str | None) -> str | None:
    """One directive filled with ``value`` (None: no argument left); None if unknown."""
    flags, width, precision, conv = match.group(2, 3, 4, 5)
    spec = "%" + flags + width + ("." + precision if precision is not None else "")
    if conv in ("s", "b", "c"):
        text = value or ""
        if conv == "b":
            text = _decode(text, _B_ESCAPE, quotes=False)  # may stop the output
        if conv == "c":
            text = text[:1]
        return (spec + "s") % text
    if conv in ("d", "i", "u", "o", "x", "X"):
        number = 0 if value is None or value == "" else _number(value)
        if number is None or (number < 0 and conv in "uoxX") or ("#" in flags and conv == "o"):
            return None  # not a number; C's unsigned and alternate forms differ from Python's
        return (spec + ("d" if conv in "iu" else conv)) % number
    return None


def printf_output(args: list[str]) -> str | None:
    """What ``printf FORMAT ARGS...`` prints, for the subset in the module's description."""
    if args[:1] == ["--"]:
        args = args[1:]
    if not args or (args[0].startswith("-") and args[0] != "-"):
        return None  # no format, or an option (`-v NAME`: nothing printed)
    form, values = args[0], args[1:]
    out: list[str] = []
    at = 0
    while True:
        used = 0
        pos = 0
        try:
            for match in _DIRECTIVE.finditer(form):
                out.append(_decode(form[pos : match.start()], _FORMAT_ESCAPE, quotes=True))
                pos = match.end()
                if match.group(1):
                    out.append("%")
                    continue
                value = values[at] if at < len(values) else None
                at += value is not None
                used += 1
                filled = _directive(match, value)
                if filled is None:
                    return None
                out.append(filled)
            out.append(_decode(form[pos:], _FORMAT_ESCAPE, quotes=True))
        except _Stop as stop:
            out.append(str(stop))
            return "".join(out)
        if sum(len(part) for part in out) > MAX_OUTPUT:
            return None
        if not used or at >= len(values):
            return "".join(out)


def certain_output(command: Command) -> str | None:
    """What ``command`` prints when it is certain: ``echo``/``printf`` of literal words,
    ``cat`` of a here-document; else None."""
    if any(i > 0 for i in command.dynamic):
        return None
    if command.name == "echo":
        return echo_output(list(command.argv[1:]))
    if command.name == "printf":
        return printf_output(list(command.argv[1:]))
    if command.name == "cat" and all(a == "-" for a in command.argv[1:]):
        return command.stdin
    return None
