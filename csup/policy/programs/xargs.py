"""``xargs``: the commands it runs, from its options and, when the line gives it, its input.

``xargs rm -rf`` runs ``rm -rf`` on words it reads from its standard input. When that input is
only known at run time, the command gets the dynamic word :data:`STDIN_WORD` (appended, or in
place of ``-I``'s replace string), as the rules judge any word they cannot see. When the line
gives it (``echo build dist | xargs rm -rf``, ``xargs cat <<< .env``), :func:`runs` builds the
commands xargs would run, as GNU xargs splits its input:

- words separated by blanks and newlines, with ``'...'``, ``"..."`` and ``\\`` quoting;
- ``-0``/``--null`` and ``-d``/``--delimiter``: items between delimiters, nothing quoted (the
  newline ``echo`` ends its output with is taken off, as if ``echo -n`` had been used:
  ``echo .env | xargs -0 cat`` is judged as ``cat .env``);
- ``-I R``/``-i``/``--replace``: one command per input line (per item with ``-0``/``-d``),
  R replaced in every word; BSD's ``-J R``: the word R replaced by the items;
- ``-n N`` items, ``-L N`` lines per command; otherwise one command with every item.

``-a FILE`` reads the items from a file: only known at run time. Input xargs would reject
(an unmatched quote) or that makes more than :data:`MAX_RUNS` commands is judged as unknown.
"""

from __future__ import annotations

from csup._record import Record

STDIN_WORD = "{stdin}"
"""Stands for the words ``xargs`` reads from its input when they are only known at run time."""
MAX_RUNS = 64
"""Most commands built from a known input; more are judged as from an unknown one."""

_REQUIRED = frozenset("adEILnPsJRS")
"""Short options whose value is attached or the next word (GNU and BSD)."""
_OPTIONAL = frozenset("eil")
"""GNU's short options whose value, optional, can only be attached (``-i{}``, ``-l5``)."""
_LONG_VALUE = frozenset(
    {"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}
)
"""Long options whose value is after ``=`` or the next word (``--eof``, ``--replace`` and
``--max-lines`` take theirs only after ``=``)."""
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "a": "\a", "v": "\v"}

Word = tuple[str, bool]
"""A word and whether it is only known at run time."""


class Options(Record):
    """What xargs's options say: the command it runs and how it splits its input."""

    __slots__ = (  # noqa: RUF023 - in the order they are set
        "command",
        "replace",
        "placeholder",
        "max_args",
        "max_lines",
        "delimiter",
        "from_file",
        "unclear",
    )

    def __init__(self) -> None:
        self.command: list[Word] = []
        self.replace: str | None = None
        """``-I R``: R stands for one item in every word of the command."""
        self.placeholder: str | None = None
        """BSD's ``-J R``: the word R stands for the items."""
        self.max_args: int | None = None
        self.max_lines: int | None = None
        self.delimiter: str | None = None
        """``-0`` (NUL) or ``-d C``; None: blanks and newlines, with quotes."""
        self.from_file = False
        """``-a FILE``: the items come from a file, not from the standard input."""
        self.unclear = False
        """An option whose value xargs would reject (``-n x``, ``-d ab``)."""

    def count(self, value: str) -> int | None:
        """A positive count (``-n 2``), else None and the options unclear."""
        if value.isdigit() and int(value) > 0:
            return int(value)
        self.unclear = True
        return None

    def set_delimiter(self, value: str) -> None:
        """``-d C``: one character, or an escape (``\\n``, ``\\0``, ``\\x2c``, ``\\054``)."""
        if len(value) == 1:
            self.delimiter = value
        elif len(value) == 2 and value[0] == "\\" and value[1] in _ESCAPES:
            self.delimiter = _ESCAPES[value[1]]
        elif value[:2] == "\\x" and len(value) in (3, 4):
            self.delimiter = chr(int(value[2:], 16)) if _is_hex(value[2:]) else None
        elif value[:1] == "\\" and value[1:].isdigit() and len(value) <= 4:
            self.delimiter = chr(int(value[1:], 8)) if set(value[1:]) <= set("01234567") else None
        self.unclear = self.unclear or self.delimiter is None

    def short(self, letter: str, value: str | None) -> None:
        """One short option (its value, or None for a flag or an absent optional value)."""
        if letter == "0":
            self.delimiter = "\0"
        elif letter == "d":
            self.set_delimiter(value or "")
        elif letter == "a":
            self.from_file = True
        elif letter in "Ii":
            self.replace = value if letter == "I" or value else "{}"
        elif letter == "J":
            self.placeholder = value
        elif letter == "n":
            self.max_args = self.count(value or "")
        elif letter in "Ll":
            self.max_lines = self.count(value or "1")

    def long(self, name: str, value: str | None) -> None:
        """One long option (``--null``, ``--replace=R`` ...); value None when not given."""
        letters = {"--null": "0", "--delimiter": "d", "--arg-file": "a", "--max-args": "n"}
        if name in letters:
            self.short(letters[name], value)
        elif name == "--replace":
            self.short("i", value)
        elif name == "--max-lines":
            self.short("l", value)


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def parse(words: list[Word]) -> Options:
    """xargs's options, then the command (``echo`` when none is given)."""
    options = Options()
    i = 0
    while i < len(words):
        text = words[i][0]
        if text == "--":
            i += 1
            break
        if not text.startswith("-") or text == "-":
            break
        i += 1
        if text.startswith("--"):
            name, equals, value = text.partition("=")
            if name in _LONG_VALUE and not equals:
                value = words[i][0] if i < len(words) else ""
                i += 1
            options.long(name, value if equals or name in _LONG_VALUE else None)
            continue
        letters = text[1:]
        for pos, letter in enumerate(letters):
            rest = letters[pos + 1 :]
            if letter in _REQUIRED:
                if not rest and i < len(words):
                    rest = words[i][0]
                    i += 1
                options.short(letter, rest)
                break
            if letter in _OPTIONAL:
                options.short(letter, rest or None)
                break
            options.short(letter, None)
    options.command = words[i:] or [("echo", False)]
    return options


def _items(line: str, split_blanks: bool) -> list[str] | None:
    """The items of one input line, quotes and backslashes taken off; None if xargs would
    reject the line (an unmatched quote, a backslash at its end)."""
    items: list[str] = []
    current: list[str] = []
    started = escaped = False
    quote: str | None = None
    for char in line:
        if quote is not None:
            if char == quote:
                quote = None
            else:
                current.append(char)
        elif escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = started = True
        elif char in "'\"":
            quote, started = char, True
        elif char in " \t" and (split_blanks or not started):
            if started:
                items.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
    if quote is not None or escaped:
        return None
    if started:
        items.append("".join(current))
    return items


def _groups(text: str, options: Options) -> list[list[str]] | None:
    """The items of each command xargs runs on ``text``; None if they cannot be told."""
    delimiter = options.delimiter
    if delimiter is not None:
        if delimiter != "\n" and text.endswith("\n"):
            text = text[:-1]
        items = text.split(delimiter)
        if items and not items[-1]:
            items.pop()
        lines = [[item] for item in items]
    else:
        lines = []
        for line in text.split("\n"):
            found = _items(line, split_blanks=options.replace is None)
            if found is None:
                return None
            if found:
                lines.append(found)
        items = [item for line in lines for item in line]
    if options.replace is not None:
        return [[item] for item in items]
    per_line = options.max_lines
    if per_line is not None and delimiter is None:
        return [
            [item for line in lines[k : k + per_line] for item in line]
            for k in range(0, len(lines), per_line)
        ]
    step = options.max_args or per_line
    if step is not None:
        return [items[k : k + step] for k in range(0, len(items), step)]
    return [items] if items else []


def _filled(options: Options, items: list[str]) -> list[Word]:
    """The command run on ``items``."""
    command = options.command
    if options.replace is not None:
        replace = options.replace
        return [(text.replace(replace, items[0]), dyn) for text, dyn in command]
    known = [(item, False) for item in items]
    if options.placeholder is not None:
        at = next((k for k, (t, _) in enumerate(command) if t == options.placeholder), None)
        if at is not None:
            return [*command[:at], *known, *command[at + 1 :]]
    return [*command, *known]


def _unknown(options: Options) -> list[Word]:
    """The command run on input only known at run time: :data:`STDIN_WORD` for the items."""
    command = options.command
    mark = options.replace if options.replace is not None else options.placeholder
    if mark is not None:
        return [(text.replace(mark, STDIN_WORD), dyn or mark in text) for text, dyn in command]
    return [*command, (STDIN_WORD, True)]


def runs(words: list[Word], stdin: str | None) -> list[list[Word]]:
    """The commands ``xargs WORDS`` runs (never none), given its input when it is certain.

    ``stdin`` is the text xargs reads, None when it is only known at run time.
    """
    options = parse(words)
    if stdin is None or options.from_file or options.unclear:
        return [_unknown(options)]
    groups = _groups(stdin, options)
    if groups is None or len(groups) > MAX_RUNS:
        return [_unknown(options)]
    return [_filled(options, items) for items in groups] or [options.command]
