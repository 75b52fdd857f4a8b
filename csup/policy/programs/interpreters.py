"""Where an interpreter takes its program from: its options, then its first operand.

``node -r dotenv/config - <<< CODE`` runs CODE: ``-r`` takes a value (``dotenv/config``), so
the first operand is ``-``, standard input. Each interpreter's options that take a value are
listed here, so that the value is never mistaken for the script (nor the ``-`` after it for an
option's value). An interpreter reads its program from standard input when its first operand
is ``-`` (or ``/dev/stdin``), when it has none at all, or when it starts a REPL after its
script (``python -i``, ``python -m code``); its ``-c``/``-e`` code is found elsewhere
(:func:`csup.policy.programs.inline.code_of`).
"""

from __future__ import annotations


class Options:
    """One interpreter's command-line options, as far as finding its script needs.

    ``separate``: options whose value may be the next word (``-r json``, ``--require x``);
    ``attached``: short options that take the rest of their word only (perl's ``-Mstrict``,
    ``-l``); ``code``: short options whose value is the program (``-e CODE``), after which
    standard input is not the program; ``repl``: options that read standard input as
    commands after the script (``-i``); ``no_operand``: what having no operand means.
    """

    __slots__ = ("attached", "code", "no_operand", "repl", "separate")

    def __init__(
        self,
        separate: str = "",
        attached: str = "",
        code: str = "ce",
        repl: str = "",
        *,
        no_operand: bool = True,
    ) -> None:
        self.separate = frozenset(separate.split())
        self.attached = frozenset(attached)
        self.code = frozenset(code)
        self.repl = frozenset(repl.split())
        self.no_operand = no_operand


_PYTHON = Options("-W -X -m --check-hash-based-pycs", code="c", repl="-i")
_NODE = Options(
    "-r --require --import --loader --experimental-loader -C --conditions --input-type "
    "--env-file --title --inspect-port --stack-trace-limit --experimental-config-file "
    "--watch-path --test-name-pattern --report-dir",
    code="ep",
    repl="-i --interactive",
)
_DENO = Options(
    "-c --config --import-map --cert --location --seed -L --log-level --ext --preload",
    code="",  # `-c` is its config file; `deno eval CODE` is found with the one-liners
)  # (`--inspect`, `--env-file`, `--lock` take their optional value after `=` only)
_BUN = Options(
    "-r --preload --cwd --env-file -c --config --tsconfig-override -d --define -l --loader "
    "--conditions --main-fields --extension-order --jsx-factory --jsx-fragment --port",
    code="e",
    no_operand=False,  # a bare `bun` prints its help
)
_RUBY = Options(
    "-r -I -C -E --encoding --external-encoding --internal-encoding --enable --disable --dump",
    attached="0FKTWxi",
    code="e",
)
_PERL = Options("-I", attached="MmxlF0iCdDV", code="eE")
_PHP = Options("-d -c -z", code="rBRFEf", repl="-a")  # `-f FILE` is its script
_LUA = Options("-l", code="e", repl="-i")
_JULIA = Options(
    "-L --load -J --sysimage -t --threads -p --procs -C --cpu-target", code="eE",
    repl="-i",
)  # fmt: skip
_OSASCRIPT = Options("-l -s", code="e")

OPTIONS: dict[str, Options] = {
    "python": _PYTHON, "python2": _PYTHON, "python3": _PYTHON, "node": _NODE, "deno": _DENO,
    "bun": _BUN, "ruby": _RUBY, "perl": _PERL, "php": _PHP, "lua": _LUA, "luajit": _LUA,
    "julia": _JULIA, "osascript": _OSASCRIPT, "tclsh": Options(code=""),
    "Rscript": Options(code="e", no_operand=False),  # a bare `Rscript` prints its usage
}  # fmt: skip
"""The interpreters whose standard input may be their program, by name."""

REPL_MODULES = frozenset({"code", "asyncio", "IPython", "idlelib.idle", "ptpython", "bpython"})
"""Python modules that run what standard input gives them (``python3 -m code <<< CODE``)."""
_STDIN = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})
_DENO_RUNS = frozenset({"run"})
_DENO_REPL = frozenset({"repl"})


def _options_of(name: str) -> Options | None:
    if name.startswith(("python3.", "python2.")):
        return _PYTHON
    return OPTIONS.get(name)


def knows_options(name: str) -> bool:
    """Whether :func:`reads_program_from_stdin` knows the interpreter ``name``'s options."""
    return _options_of(name) is not None


def reads_program_from_stdin(argv: tuple[str, ...]) -> bool:
    """Whether the interpreter ``argv`` runs what its standard input gives it.

    ``deno run -A -``, ``ruby -r json -``, ``perl -I lib``, ``python3 -m code``,
    ``node -r dotenv/config``: yes. ``python3 -W ignore app.py``, ``python3 -m pytest``,
    ``node -e CODE``, ``deno fmt``: no.
    """
    options = _options_of(argv[0]) if argv else None
    if options is None:
        return False
    subcommand = argv[0] in ("deno", "bun")
    i = 1
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            return argv[i] in _STDIN if i < len(argv) else options.no_operand
        if word in _STDIN:
            return True
        if not word.startswith("-"):
            if subcommand and word in _DENO_RUNS:
                subcommand = False
                options = Options(" ".join(options.separate), code="", no_operand=False)
                continue
            return argv[0] == "deno" and subcommand and word in _DENO_REPL
        if word in options.repl:
            return True
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            if name in ("--eval", "--command", "--print"):
                return False
            if name in options.separate and "=" not in word:
                i += 1
            continue
        step = _short(word, options, argv[i] if i < len(argv) else None)
        if step is None:
            return False
        if isinstance(step, str):  # "repl"
            return True
        i += step
    return options.no_operand


def _short(word: str, options: Options, following: str | None) -> int | str | None:
    """How many words a short-option cluster ``word`` takes after itself (0 or 1), ``"repl"``
    if it starts a REPL on standard input, or None if it gives the program (``-e``, ``-m``)."""
    for pos, letter in enumerate(word[1:], start=1):
        rest = word[pos + 1 :]
        if letter in options.code:
            return None
        if letter in options.attached:
            return 0
        if f"-{letter}" in options.separate:
            value = rest or following
            if letter == "m" and options is _PYTHON:
                return "repl" if value in REPL_MODULES else None
            return 0 if rest else 1
        if f"-{letter}" in options.repl:
            return "repl"
    return 0
