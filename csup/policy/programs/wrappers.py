"""Commands that run other commands: strip them so the rules see what really runs.

``sudo env FOO=1 nice -n 5 timeout 10 /bin/rm -rf /`` runs ``rm -rf /``; ``xargs rm -rf`` runs
``rm -rf`` on words read from its input; ``find . -exec rm -rf {} ;`` runs ``rm -rf`` on what
it finds. :func:`unwrap` turns each into the command that runs (and, for ``find``, the
commands it starts), recording the wrappers for the reasons shown to people.
"""

from __future__ import annotations

import re

from csup._lazy_re import LazyRegex
from csup._record import Record
from csup.policy.programs.xargs import runs as xargs_runs
from csup.policy.syntax.text import command_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "yash"}
)
"""Programs that run a script given with ``-c`` or on standard input."""

# wrapper -> options that take a value (short letters and long names)
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "sudo": frozenset("ughpCDrtUTR")
    | {
        "--user",
        "--group",
        "--host",
        "--prompt",
        "--chdir",
        "--role",
        "--type",
        "--other-user",
        "--command-timeout",
        "--close-from",
        "--chroot",
    },
    "doas": frozenset("uC"),
    "env": frozenset("uCSPa") | {"--unset", "--chdir", "--split-string", "--argv0"},
    "exec": frozenset("a"),
    "nice": frozenset("n") | {"--adjustment"},
    "ionice": frozenset("cnp") | {"--class", "--classdata", "--pid"},
    "timeout": frozenset("sk") | {"--signal", "--kill-after"},
    "stdbuf": frozenset("ioe") | {"--input", "--output", "--error"},
    "time": frozenset("fo") | {"--format", "--output"},
    "setsid": frozenset(),
    "nohup": frozenset(),
    "coproc": frozenset(),
    "builtin": frozenset(),
    "command": frozenset(),
    "noglob": frozenset(),
    "nocorrect": frozenset(),
    "unbuffer": frozenset(),
    "caffeinate": frozenset("tw"),
    "chrt": frozenset(),
    "taskset": frozenset(),
    "watch": frozenset("nqd") | {"--interval", "--differences"},
    "flock": frozenset("wEc") | {"--timeout", "--conflict-exit-code", "--command"},
    "systemd-run": frozenset("upEM")
    | {
        "--unit",
        "--property",
        "--uid",
        "--gid",
        "--setenv",
        "--working-directory",
        "--machine",
        "--slice",
        "--description",
        "--nice",
    },
    "chroot": frozenset() | {"--userspec", "--groups"},
    "nsenter": frozenset("tSGwr") | {"--target", "--setuid", "--setgid", "--wd", "--root"},
    "strace": frozenset("oepsEuaIbPXU"),
    "ltrace": frozenset("oepsEuanAl"),
    "screen": frozenset("SctepL"),
    "xvfb-run": frozenset("snefwp"),
    "firejail": frozenset(),
    "fakeroot": frozenset("ls"),
    "pkexec": frozenset() | {"--user"},
    "dbus-run-session": frozenset(),
    "valgrind": frozenset(),
    "chronic": frozenset(),
    "prlimit": frozenset("p"),
    "parallel": frozenset("jPSnNLlIdaECX")
    | {
        "--jobs",
        "--sshlogin",
        "--joblog",
        "--results",
        "--tmpdir",
        "--delimiter",
        "--arg-file",
        "--max-args",
        "--colsep",
        "--workdir",
        "--wd",
        "--timeout",
        "--retries",
        "--tagstring",
        "--env",
        "--memfree",
        "--load",
        "--halt",
    },
}
# package and environment runners: runner -> (subcommands that run a command, options
# that take a value). `uv run rm -rf ~` runs `rm -rf ~`; `uv sync` runs nothing.
_RUNNERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "uv": (
        frozenset({"run"}),
        frozenset("pw")
        | {
            "--with",
            "--python",
            "--project",
            "--directory",
            "--package",
            "--extra",
            "--group",
            "--env-file",
            "--index",
            "--with-requirements",
            "--with-editable",
        },
    ),
    "poetry": (frozenset({"run"}), frozenset("CP") | {"--directory", "--project"}),
    "pipenv": (frozenset({"run"}), frozenset()),
    "pdm": (frozenset({"run"}), frozenset("pg") | {"--project"}),
    "hatch": (frozenset({"run"}), frozenset("e") | {"--env"}),
    "bundle": (frozenset({"exec"}), frozenset()),
    "npm": (frozenset({"exec", "x"}), frozenset("pcw") | {"--package", "--call", "--workspace"}),
    "pnpm": (frozenset({"exec", "dlx"}), frozenset("C") | {"--dir", "--filter"}),
    "yarn": (frozenset({"exec", "dlx"}), frozenset("p") | {"--package"}),
    "bun": (frozenset({"x"}), frozenset()),
    "npx": (frozenset(), frozenset("pc") | {"--package", "--call"}),
    "pnpx": (frozenset(), frozenset()),
    "bunx": (frozenset(), frozenset()),
    "conda": (frozenset({"run"}), frozenset("np") | {"--name", "--prefix", "--cwd"}),
    "mamba": (frozenset({"run"}), frozenset("np") | {"--name", "--prefix", "--cwd"}),
    "micromamba": (frozenset({"run"}), frozenset("np") | {"--name", "--prefix", "--cwd"}),
    "pixi": (frozenset({"run", "exec"}), frozenset("e") | {"--environment", "--manifest-path"}),
    "direnv": (frozenset({"exec"}), frozenset()),
    "asdf": (frozenset({"exec"}), frozenset()),
    "mise": (frozenset({"exec", "x"}), frozenset("C") | {"--cd"}),
    "rtx": (frozenset({"exec", "x"}), frozenset()),
    "dotenv": (frozenset(), frozenset("ecv")),
    "runuser": (frozenset(), frozenset("ugGw") | {"--user", "--group", "--whitelist-environment"}),
    "nix": (frozenset({"develop", "shell"}), frozenset()),
}
# runners whose named subcommand is followed by one positional word (`direnv exec DIR cmd`)
_RUNNER_POSITIONAL = {"direnv": 1}


def _runner(name: str, rest: list[tuple[str, bool]]) -> list[tuple[str, bool]] | None:
    """The command a package or environment runner runs, or None when it runs none."""
    subcommands, takes_value = _RUNNERS[name]
    if name == "nix":
        # `nix develop -c CMD ARGS` / `nix shell PKG --command CMD ARGS`
        at = next((i for i, (t, _) in enumerate(rest) if t in ("-c", "--command")), None)
        return rest[at + 1 :] if rest[:1] and rest[0][0] in subcommands and at else None
    if subcommands:
        if not rest or rest[0][0] not in subcommands:
            return None
        rest = rest[1:]
    if name in ("npm", "npx"):
        for i, (text, _) in enumerate(rest[:-1]):
            if text in ("-c", "--call"):  # `npm exec -c 'CMD'`: a shell runs CMD
                return [("sh", False), ("-c", False), rest[i + 1]]
    if name in ("mise", "rtx") and any(t == "--" for t, _ in rest):
        return rest[[t for t, _ in rest].index("--") + 1 :]  # `mise exec node@20 -- node x`
    i = 0
    while i < len(rest):
        text = rest[i][0]
        if text == "--":
            i += 1
            break
        if not text.startswith("-") or text == "-":
            break
        flag = text.split("=", 1)[0]
        long_value = flag in takes_value and "=" not in text
        short_value = not text.startswith("--") and len(text) == 2 and text[1] in takes_value
        i += 2 if long_value or short_value else 1
    rest = rest[i + _RUNNER_POSITIONAL.get(name, 0) :]
    return rest or None


def _nix_shell(rest: list[tuple[str, bool]]) -> list[tuple[str, bool]] | None:
    """``nix-shell -p pkg --run CMD``: the shell command it runs, as ``sh -c CMD``."""
    for i, (text, _) in enumerate(rest[:-1]):
        if text in ("--run", "--command"):
            return [("sh", False), ("-c", False), rest[i + 1]]
    return None


_CHDIR_OPTIONS = {
    "env": ("-C", "--chdir"),
    "sudo": ("-D", "--chdir"),
    "systemd-run": ("--working-directory",),
    "nsenter": ("--wd",),
}
"""Wrapper options that run the command in another directory (``env -C / rm -rf etc``)."""


def _chdir(name: str, options: list[tuple[str, bool]]) -> tuple[str, bool] | None:
    """The directory a wrapper's options move the command to, if any (dynamic or not)."""
    names = _CHDIR_OPTIONS.get(name, ())
    found: tuple[str, bool] | None = None
    for i, (text, dyn) in enumerate(options):
        if text in names and i + 1 < len(options):
            found = options[i + 1]
        elif text.startswith("--") and text.split("=", 1)[0] in names and "=" in text:
            found = (text.split("=", 1)[1], dyn)
        elif any(len(n) == 2 and text.startswith(n) and len(text) > 2 for n in names):
            found = (text[2:], dyn)
    return found


# wrappers followed by one positional word before the command (timeout's duration, ...)
_POSITIONAL_BEFORE_COMMAND = {"timeout": 1, "chrt": 1, "taskset": 1, "flock": 1, "chroot": 1}
# wrappers that hand their words, joined, to `sh -c`
_SHELL_JOINERS = frozenset({"watch"})
_BOX = frozenset({"busybox", "toybox"})
_FIND_NON_TESTS = frozenset(
    {
        "-H",
        "-L",
        "-P",
        "-depth",
        "-d",
        "-xdev",
        "-mount",
        "-maxdepth",
        "-mindepth",
        "-follow",
        "-noleaf",
        "-ignore_readdir_race",
        "-print",
        "-print0",
        "-daystart",
    }
)


_KEYWORDS = frozenset(
    {"!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "time"}
)
"""Shell keywords tree-sitter-bash may take for command names (see :func:`unwrap`)."""
_ASSIGNMENT = LazyRegex(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


_VERSIONED = LazyRegex(r"(python[23]?|pypy3?|lua|luajit|ruby|perl|php|node|pwsh)-?[\d.]+")


def _unversioned(name: str) -> str:
    """``lua5.4`` -> ``lua``, ``ruby3.2`` -> ``ruby``, ``python3.12`` -> ``python3``."""
    if not name[-1:].isdigit():
        return name
    match = _VERSIONED.fullmatch(name)
    if match is None:
        return name
    base = match.group(1)
    return base if not base.startswith("python") or base[-1:] in "23" else base + name[6]


class Sub(Record):
    """A command started by another one (``find -exec``)."""

    __slots__ = ("argv", "dynamic", "via")

    def __init__(self, argv: tuple[str, ...], dynamic: frozenset[int], via: str) -> None:
        self.argv = argv
        self.dynamic = dynamic
        self.via = via


class Unwrapped(Record):
    """The result of :func:`unwrap`."""

    # in constructor order
    __slots__ = ("argv", "dynamic", "wrappers", "subcommands", "problem", "chdir")  # noqa: RUF023

    def __init__(
        self,
        argv: tuple[str, ...],
        dynamic: frozenset[int],
        wrappers: tuple[str, ...] = (),
        subcommands: list[Sub] | None = None,
        problem: str | None = None,
    ) -> None:
        self.argv = argv
        self.dynamic = dynamic
        self.wrappers = wrappers
        self.subcommands: list[Sub] = [] if subcommands is None else subcommands
        self.problem = problem
        self.chdir: tuple[str, bool] | None = None
        """The directory a wrapper runs the command in (``env -C DIR``), if it moves it."""


def _skip_options(words: list[tuple[str, bool]], wrapper: str) -> list[tuple[str, bool]]:
    """Drop the wrapper's own options (and their values) from the front of ``words``."""
    takes_value = _VALUE_OPTIONS.get(wrapper, frozenset())
    i = 0
    while i < len(words):
        text = words[i][0]
        if text == "--":
            i += 1
            break
        if text == "-" and wrapper == "env":
            i += 1  # `env - cmd`: `env -i cmd`
            continue
        if not text.startswith("-") or text == "-":
            break
        if wrapper == "nice" and text[1:].isdigit():
            i += 1
            continue
        if text.startswith("--"):
            name = text.split("=", 1)[0]
            i += 2 if name in takes_value and "=" not in text else 1
            continue
        letters = text[1:]
        i += 1
        for pos, letter in enumerate(letters):
            if letter in takes_value:
                if pos == len(letters) - 1:
                    i += 1  # the value is the next word
                break
    return words[i:]


def _opens_shell(options: list[tuple[str, bool]]) -> bool:
    """``sudo -s``, ``sudo -i``, ``doas -s``: a shell, reading its commands from the input."""
    return any(
        t in ("--shell", "--login")
        or (t.startswith("-") and not t.startswith("--") and {"s", "i"} & set(t[1:]))
        for t, _ in options
    )


def _split_env_string(words: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """``env -S 'rm -rf /'`` runs the split string: put its words back in line."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(words):
        text, dyn = words[i]
        if text in ("-S", "--split-string") and i + 1 < len(words):
            out.extend((part, words[i + 1][1]) for part in words[i + 1][0].split())
            i += 2
            continue
        if text.startswith("--split-string="):
            out.extend((part, dyn) for part in text.split("=", 1)[1].split())
        elif text.startswith("-S") and len(text) > 2:
            out.extend((part, dyn) for part in text[2:].split())
        else:
            out.append((text, dyn))
        i += 1
    return out


PARALLEL_INPUT = '"$PARALLEL_INPUT"'
"""Stands, in the script built for ``parallel``, for input only known at run time."""


def _parallel(words: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """``parallel [opts] cmd args ::: values``: a shell runs cmd once per value.

    GNU parallel joins the command words into a shell command line and fills ``{}`` with
    each (quoted) value, or appends it; values from ``::::`` files or standard input are
    unknown. The result is ``sh -c SCRIPT`` so that the script is analysed like any other.
    """
    import shlex  # noqa: PLC0415 - only parallel needs it

    rest = _skip_options(words, "parallel")
    seps = [i for i, (t, _) in enumerate(rest) if t.startswith(":::")]
    command = rest[: seps[0]] if seps else rest
    values: list[str] = []
    for k, at in enumerate(seps):
        end = seps[k + 1] if k + 1 < len(seps) else len(rest)
        group = rest[at + 1 : end]
        if rest[at][0].startswith("::::"):
            values.append(PARALLEL_INPUT)
        else:
            values += [PARALLEL_INPUT if d else _as_word(t, shlex.quote) for t, d in group]
    if not seps:
        values = [PARALLEL_INPUT]
    if any(d for _, d in command):
        return [("sh", False), ("-c", False), ("", True)]
    line = " ".join(t for t, _ in command) or "echo"
    placeholders = ("{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}")
    lines = []
    for value in values:
        if any(p in line for p in placeholders):
            filled = line
            for p in placeholders:
                filled = filled.replace(p, value)
            lines.append(filled)
        else:
            lines.append(f"{line} {value}")
    return [("sh", False), ("-c", False), ("\n".join(lines), False)]


def _as_word(text: str, quote: Callable[[str], str]) -> str:
    """``text`` as one shell word; ``~`` and ``$HOME`` stay as the path rules know them."""
    if re.fullmatch(r"[\w~$/.:@%+=,{}-]+", text):
        return text
    return quote(text)


def _find_exec(argv: tuple[str, ...], dynamic: frozenset[int]) -> list[Sub]:
    """The commands ``find -exec/-execdir/-ok/-okdir ... ;`` runs, ``{}`` replaced by the roots.

    ``find -delete`` is a recursive delete of the roots: reported as ``rm -r -f ROOTS``.
    """
    roots: list[tuple[str, bool]] = []
    i = 1
    while i < len(argv) and argv[i] in ("-H", "-L", "-P"):
        i += 1
    while i < len(argv) and not argv[i].startswith(("-", "(", "!")):
        roots.append((argv[i], i in dynamic))
        i += 1
    roots = roots or [(".", False)]
    subs: list[Sub] = []
    while i < len(argv):
        # with tests before it (-name, -type, ...) an action gets only the matches below a
        # root, not the root itself
        # for -delete, `-type f` alone still takes everything below the roots
        untyped = [a for k, a in enumerate(argv[1:i], start=1) if argv[k - 1] != "-type"]
        filtered = any(
            a.startswith("-") and a not in _FIND_NON_TESTS | {"-type"} for a in untyped
        ) or (argv[i] != "-delete" and "-type" in argv[1:i])
        tests = range(1, i - 1)
        names = [argv[k + 1] for k in tests if argv[k] in ("-name", "-iname")]
        paths = [
            argv[k + 1]
            for k in tests
            if argv[k] in ("-path", "-ipath", "-wholename") and argv[k - 1] not in ("!", "-not")
        ]
        leaf = names[-1] if names and "/" not in names[-1] else "?*"
        found = [
            (_found(root, paths[-1] if paths else None, leaf) if filtered else root, dyn)
            for root, dyn in roots
        ]
        if argv[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(argv) and argv[j] not in (";", "+"):
                j += 1
            body = argv[i + 1 : j]
            for path, path_dyn in found if body else []:
                words = [
                    (t.replace("{}", path), (k + i + 1) in dynamic or ("{}" in t and path_dyn))
                    for k, t in enumerate(body)
                ]
                subs.append(_sub(words, f"find {argv[i]}"))
            i = j
        elif argv[i] == "-delete":
            for path, path_dyn in found:
                rm = [("rm", False), ("-r", False), ("-f", False), (path, path_dyn)]
                subs.append(_sub(rm, "find -delete"))
        i += 1
    return subs


def _found(root: str, path: str | None, leaf: str) -> str:
    """What ``find ROOT -name LEAF`` (or ``-path PATH`` under ROOT) may match, as a glob."""
    base = root.rstrip("/")
    if path is not None and path.startswith(base + "/") and "/../" not in path + "/":
        return path
    return base + "/**/" + leaf


def _sub(words: list[tuple[str, bool]], via: str) -> Sub:
    return Sub(tuple(t for t, _ in words), frozenset(k for k, (_, d) in enumerate(words) if d), via)


def unwrap(argv: tuple[str, ...], dynamic: frozenset[int], stdin: str | None = None) -> Unwrapped:
    """Strip wrappers from ``argv``; for ``find`` and ``xargs``, list the commands they start.

    ``stdin`` is what the command reads on its standard input when the line makes it certain
    (``echo .env | xargs cat``), else None; only ``xargs`` looks at it (see :mod:`.xargs`).
    """
    words = [(text, i in dynamic) for i, text in enumerate(argv)]
    wrappers: list[str] = []
    later: list[Sub] = []
    chdir: tuple[str, bool] | None = None
    for _ in range(32):
        if not words:
            break
        name = command_name(words[0][0])
        if words[0][1] and len(words) == 1:
            break
        if name in _BOX:
            wrappers.append(name)
            words = words[1:]
            continue
        if name in _KEYWORDS and len(words) > 1 and not words[0][1]:
            # tree-sitter-bash reads `time { rm -rf /; }` or `time if ...; then rm ...` as
            # commands named `{`, `then`...: whatever follows the keyword is what runs
            words = words[1:]
            while len(words) > 1 and _ASSIGNMENT.match(words[0][0]):
                words = words[1:]
            continue
        if name == "command" and len(words) > 1 and words[1][0] in ("-v", "-V"):
            break
        if name == "runuser" and any(t in ("-c", "--command") for t, _ in words):
            break  # `runuser -l user -c CMD`: a shell runs CMD (see the shell analysis)
        if name in _RUNNERS and not words[0][1]:
            run = _runner(name, words[1:])
            if run is None:
                break
            wrappers.append(name)
            words = run
            continue
        if name == "nix-shell" and (run := _nix_shell(words[1:])) is not None:
            wrappers.append(name)
            words = run
            break
        if name == "xargs":
            # the first command xargs runs goes on being unwrapped; the others are started
            wrappers.append(name)
            first, *others = xargs_runs(words[1:], stdin)
            later += [_sub(run, "xargs") for run in others]
            words, stdin = first, None
            continue
        if name not in _VALUE_OPTIONS:
            break
        wrappers.append(name)
        rest = words[1:]
        if name == "env":
            rest = _split_env_string(rest)
        if name == "parallel":
            words = _parallel(rest)
            break
        options = rest
        rest = _skip_options(rest, name)
        if name in _CHDIR_OPTIONS:
            chdir = _chdir(name, options[: len(options) - len(rest)]) or chdir
        rest = rest[_POSITIONAL_BEFORE_COMMAND.get(name, 0) :]
        if name == "coproc":
            # `coproc NAME { cmd; }`: tree-sitter-bash reads the keyword's group as words
            if len(rest) > 1 and rest[1][0] in ("{", "(") and not rest[1][1]:
                rest = rest[2:]
            elif rest and rest[0][0] in ("{", "(") and not rest[0][1]:
                rest = rest[1:]
        # `sudo FOO=1 cmd`, `time FOO=1 cmd`, `env FOO=1 cmd` (elsewhere a command not found)
        while rest and _ASSIGNMENT.match(rest[0][0]):
            rest = rest[1:]
        if name in ("sudo", "doas") and not rest and _opens_shell(words[1:]):
            words = [("sh", False)]  # `sudo -s <<< 'rm -rf /'`: a root shell reads the script
            break
        if name in ("sudo", "doas", "exec", "time", "nohup", "env") and not rest:
            words = [(name, False)]
            wrappers.pop()
            break
        if name in _SHELL_JOINERS and rest:
            joined = " ".join(t for t, _ in rest)
            words = [("sh", False), ("-c", False), (joined, any(d for _, d in rest))]
            break
        words = rest
    else:
        return Unwrapped(argv, dynamic, problem="too many wrapper commands to analyse")
    if not words:
        return Unwrapped((), frozenset(), tuple(wrappers))
    words[0] = (_unversioned(command_name(words[0][0])), words[0][1])
    out_argv = tuple(t for t, _ in words)
    out_dyn = frozenset(i for i, (_, d) in enumerate(words) if d)
    subs = later + (_find_exec(out_argv, out_dyn) if out_argv[0] == "find" else [])
    out = Unwrapped(out_argv, out_dyn, tuple(wrappers), subs)
    out.chdir = chdir
    return out
