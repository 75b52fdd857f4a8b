"""Shell analysis: turn a Bash command line into the simple commands it would run.

The rules must see every command a line runs, however it is disguised: chained (``;``,
``&&``, ``||``, ``|``, ``&``, newlines), nested (``$( )``, backticks, process substitution),
or handed to another program (``bash -c``, ``eval``, here-strings to a shell, ``xargs``,
``find -exec``, ``sudo``/``env``/``timeout``/... wrappers, see :mod:`._wrappers`). The parser
is tree-sitter-bash, loaded on first use so that ``import csup.policy`` stays cheap.

The analyser never raises on any text and is bounded: input size, nesting depth, nested
shells and command count are capped. Whatever it could not see is listed in
:attr:`Analysis.problems` so that the caller can fail closed.
"""

from __future__ import annotations

import re
import sys
from _thread import _local

from csup._record import Frozen, Record
from csup.policy._command import Analysis, Command, Redirect
from csup.policy._inline import INTERPRETERS
from csup.policy._lazy_re import LazyRegex
from csup.policy._shell_text import DQ_ESCAPE, ESCAPE, ansi_c, shield
from csup.policy._wrappers import SHELLS, command_name, unwrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from tree_sitter import Node

MAX_INPUT = 64 * 1024
"""Longest command line analysed; longer ones are reported as a problem."""
MAX_NESTING = 64
"""Deepest syntax nesting followed (subshells, substitutions, blocks)."""
MAX_SHELL_DEPTH = 8
"""Deepest chain of scripts handed to a shell (``bash -c "eval '...'"``)."""
MAX_COMMANDS = 2000
"""Most simple commands collected from one line."""

KNOWN_VARIABLES = frozenset({"HOME", "PWD", "TMPDIR"})
"""Variables whose value the path rules know (expanded in :mod:`._paths`)."""


_thread_local = _local()


def binding(package: str) -> Any:
    """``package._binding``, the compiled module, without running ``package/__init__.py``.

    ``tree_sitter/__init__`` imports ``typing`` and ``tree_sitter_bash/__init__`` imports
    ``importlib.resources`` (pathlib, tempfile, shutil, lzma, bz2...) for what csup never
    uses; together they cost more start-up time than the rest of a ``csup hook`` call. The
    extension is found and loaded the way ``import`` would (same ``sys.path``) and put in
    ``sys.modules``, so a later ``import tree_sitter`` uses this same module. Anything
    unexpected (no such file, another loader, a Python without these internals) falls back
    to the ordinary import.
    """
    name = f"{package}._binding"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        external = sys.modules["_frozen_importlib_external"]
        bootstrap = sys.modules["_frozen_importlib"]
        spec = external.PathFinder.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(package)
        found = external.PathFinder.find_spec(name, spec.submodule_search_locations)
        if found is None or not isinstance(found.loader, external.ExtensionFileLoader):
            raise ImportError(name)
        module = bootstrap.module_from_spec(found)
        found.loader.exec_module(module)
    except Exception:  # the ordinary import says what is wrong, if anything
        import importlib  # noqa: PLC0415

        return importlib.import_module(name)
    return sys.modules.setdefault(name, module)


def _parser() -> Any:
    parser = getattr(_thread_local, "parser", None)
    if parser is None:
        # loaded lazily: import csup.policy stays cheap
        tree_sitter = binding("tree_sitter")
        language = tree_sitter.Language(binding("tree_sitter_bash").language())
        parser = tree_sitter.Parser(language)
        _thread_local.parser = parser
    return parser


def analyse(script: str) -> Analysis:
    """Analyse one Bash command line. Never raises; problems are listed in the result."""
    result = Analysis()
    try:
        _Walker(result, script).script(script, _Scope(0, ()))
    except RecursionError:
        result.problems.append("the command is nested too deeply to analyse")
    except Exception as error:
        result.problems.append(f"the analyser failed ({type(error).__name__})")
    return result


def _piped_scripts(source: Command, shell: str) -> list[tuple[str | None, str]]:
    """What ``echo S | sh`` or ``printf S | sh`` runs; None when it cannot be known."""
    how = f"{source.name} | {shell}"
    if source.name == "cat" and source.stdin is not None and all(a == "-" for a in source.argv[1:]):
        return [(source.stdin, how)]  # `cat <<'EOF' | bash`
    if source.name in ("echo", "printf") and not any(i > 0 for i in source.dynamic):
        args = list(source.argv[1:])
        if source.name == "echo":
            while args and re.fullmatch(r"-[neE]+", args[0]):
                args = args[1:]
            texts = [" ".join(args)]
        else:
            texts = [_printf(args[1:] if args[:1] == ["--"] else args)]
        # escapes (`\x72m`, `\n`) are decoded by printf and `echo -e` (and by dash's echo)
        decoded = [ansi_c(t) for t in texts]
        return [(t, how) for t in dict.fromkeys(decoded + texts)]
    return [(None, how)]


_ASSIGNERS = LazyRegex(
    r"(?<![\w-])(?:read|mapfile|readarray|getopts|declare|typeset|local|export|readonly|"
    r"eval|let|source|unset|set|trap|fc|alias|select|coproc|function)(?![\w-])"
    r"|(?<![\w-])printf\s+(?:--\s+)?-v|(?<![\w-])\.\s|\$\{!|:?=[^=]*\}",
)
"""Ways to set a variable other than ``NAME=value``: with one in the line, none is trusted."""
_TMPDIR_DEFAULT = LazyRegex(r"\$\{TMPDIR:?[-=](?:/tmp|/var/tmp)/?\}")
_KNOWN_ASSIGNED = LazyRegex(r"(?<![\w$])(HOME|PWD|TMPDIR)\+?=")
MKTEMP_PATH = "/tmp/tmp.csup-mktemp"  # noqa: S108 - a stand-in, never opened
"""Stands for the fresh temporary file or directory ``$(mktemp)`` makes."""


def _mktemp(command: Command) -> str | None:
    """:data:`MKTEMP_PATH` if ``command`` is a ``mktemp`` that makes its file in ``/tmp``."""
    if command.name != "mktemp" or command.dynamic or command.via != ("$( )",):
        return None
    for arg in command.argv[1:]:
        if arg.startswith(("-p", "--tmpdir")) or ("/" in arg and not arg.startswith("-")):
            return None
    return MKTEMP_PATH


_TILDE_BEFORE_BRACKET = LazyRegex(r"(?<=\s)~(?=\s+\]\]?(?:\s|$|[;&|)]))")


_GIT_SHELL_KEYS = LazyRegex(
    r"(?i)alias\.[^=]+|core\.(?:sshcommand|pager|editor|fsmonitor|askpass)|"
    r"(?:sequence|diff|merge|difftool|mergetool)\.[^=]*(?:editor|external|cmd|tool)[^=]*|"
    r"credential\.[^=]*helper|pager\.[^=]+|gpg\.program|ssh\.variant|uploadpack\.packobjectshook"
)


def _git_shell_values(command: Command) -> list[tuple[str | None, str]]:
    """Shell commands in git settings given on the line: ``git -c alias.x='!rm -rf ~' x``,
    ``git config alias.x '!...'``, ``git -c core.sshCommand=CMD fetch``."""
    argv = command.argv
    pairs: list[tuple[str, str, bool]] = []
    for i, word in enumerate(argv[1:-1], start=1):
        if word == "-c" and "=" in argv[i + 1]:
            key, value = argv[i + 1].split("=", 1)
            pairs.append((key, value, i + 1 in command.dynamic))
    if "config" in argv:
        operands = [
            (w, i)
            for i, w in enumerate(argv[argv.index("config") + 1 :], argv.index("config") + 1)
            if not w.startswith("-")
        ]
        if len(operands) >= 2:
            pairs.append((operands[0][0], operands[1][0], operands[1][1] in command.dynamic))
    out = _git_runs(command)
    for key, value, dynamic in pairs:
        if _GIT_SHELL_KEYS.fullmatch(key):
            if key.lower().startswith("alias.") and not value.startswith("!"):
                continue
            out.append((None if dynamic else value.removeprefix("!"), f"git {key}"))
    return out


def _git_runs(command: Command) -> list[tuple[str | None, str]]:
    """Shell commands git subcommands run: ``git submodule foreach CMD``,
    ``git rebase --exec CMD``, ``git bisect run CMD``, ``git filter-branch --tree-filter CMD``."""
    argv = command.argv
    out: list[tuple[str | None, str]] = []

    def take(i: int, how: str) -> None:
        words = argv[i:]
        if words:
            dynamic = any(k >= i for k in command.dynamic)
            out.append((None if dynamic else " ".join(words), how))

    for i, word in enumerate(argv[1:-1], start=1):
        after = argv[i + 1]
        if word == "foreach" and "submodule" in argv[:i]:
            k = i + 1
            while k < len(argv) and argv[k] in ("--recursive", "-q", "--quiet"):
                k += 1
            take(k, "git submodule foreach")
            break
        if word == "run" and "bisect" in argv[:i]:
            take(i + 1, "git bisect run")
            break
        if word in ("-x", "--exec") and "rebase" in argv[:i]:
            out.append((None if i + 1 in command.dynamic else after, "git rebase --exec"))
        if word.endswith("-filter") and word.startswith("--") and "filter-branch" in argv[:i]:
            out.append((None if i + 1 in command.dynamic else after, f"git {word}"))
    for word in argv:
        if word.startswith("--exec=") and "rebase" in argv:
            out.append((word.split("=", 1)[1], "git rebase --exec"))
    return out


_EMBEDDED_SHELL = frozenset(
    {"awk", "gawk", "mawk", "nawk", "vim", "vi", "nvim", "ex", "view", "tar", "gdb", "expect",
     "tmux", "sed", "gsed", "zip"}
)  # fmt: skip
_AWK_COMMAND = LazyRegex(
    r"""print\w*\s+"([^"]*)"\s*\|\s*"(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh"|"""
    r"""system\s*\(\s*"([^"]*)"|\|\s*"([^"]*)"|"([^"]*)"\s*\|\s*getline"""
)
_AWK_SOCKET = LazyRegex(r"/inet6?/(?:tcp|udp)/")
_SED_EXECUTE = LazyRegex(
    r"(?:^|[;\n{}])\s*(?:\d+|\$|/(?:\\.|[^/\\])*/)?(?:,\s*(?:\d+|\$|/(?:\\.|[^/\\])*/))?"
    r"\s*e\s+([^;\n}]+)"
    r"|(?:^|[;\n{])\s*(?:\d+|\$|/[^/]*/)?\s*s(?P<d>[^\w\s\\])(?:\\.|(?!(?P=d)).)*(?P=d)"
    r"(?P<r>(?:\\.|(?!(?P=d)).)*)(?P=d)[gpiImM0-9w]*e"
)
"""GNU sed's ``e command`` and the ``e`` flag of ``s///e`` (the pattern space runs)."""


def _sed_commands(command: Command) -> list[tuple[str | None, str]]:
    """Commands GNU sed runs: ``sed '1e rm -rf ~'``, ``sed 's/.*/rm -rf ~/e'``."""
    argv = command.argv
    scripts: list[int] = []
    for i, word in enumerate(argv[1:], start=1):
        if argv[i - 1] in ("-e", "--expression") or word.startswith("--expression="):
            scripts.append(i)
    if not scripts:
        first = next(
            (i for i, w in enumerate(argv[1:], 1) if not w.startswith("-") and argv[i - 1] != "-f"),
            None,
        )
        scripts = [] if first is None else [first]
    out: list[tuple[str | None, str]] = []
    for i in scripts:
        text = argv[i].removeprefix("--expression=")
        for match in _SED_EXECUTE.finditer(text):
            found = match.group(1) if match.group(1) is not None else match.group("r")
            if i in command.dynamic:
                out.append((None, "sed e"))
            elif found is not None:
                out.append((found.replace("\\/", "/"), "sed e"))
    return out


def _embedded_commands(command: Command) -> list[tuple[str | None, str]]:
    """Shell commands other programs run: ``awk 'BEGIN{system("...")}'``, ``vim -c ':!...'``,
    ``tar --to-command=...``, ``gdb -ex 'shell ...'``, ``tmux new 'cmd'``."""
    argv, name = command.argv, command.name
    out: list[tuple[str | None, str]] = []
    if name in ("awk", "gawk", "mawk", "nawk"):
        i = 1
        while i < len(argv) and argv[i].startswith("-"):
            i += 2 if argv[i] in ("-F", "-v", "-f") else 1
        if i < len(argv) and i not in command.dynamic:
            for match in _AWK_COMMAND.finditer(argv[i]):
                out.append((next(g for g in match.groups() if g is not None), f"{name} program"))
            if _AWK_SOCKET.search(argv[i]) and ("getline" in argv[i] or "|&" in argv[i]):
                # gawk's network files: a program that reads commands from a socket
                out.append(("bash -i >& /dev/tcp/awk-socket/0 0>&1", f"{name} program"))
        return out
    if name in ("sed", "gsed"):
        return _sed_commands(command)
    for i, word in enumerate(argv[1:], start=1):
        prev = argv[i - 1]
        value: str | None = None
        if name in ("vim", "vi", "nvim", "ex", "view"):
            if prev in ("-c", "--cmd") or word.startswith("+"):
                ex = word.lstrip("+:").lstrip()
                if ex.startswith("!") or re.match(r"\S*\s*(?:r|w|read|write)\s*!", ex):
                    value = ex.split("!", 1)[1]
        elif name == "tar":
            for option in ("--to-command=", "--use-compress-program=", "--checkpoint-action=exec="):
                if word.startswith(option):
                    value = word[len(option) :]
            if prev in ("-I", "--to-command", "--use-compress-program"):
                value = word
        elif name == "zip":
            if prev in ("-TT", "--unzip-command"):
                value = word
            elif word.startswith("--unzip-command="):
                value = word.split("=", 1)[1]
        elif name == "gdb":
            if prev in ("-ex", "-eval-command", "--eval-command") and re.match(
                r"(?:shell|!)", word
            ):
                value = re.sub(r"^(?:shell|!)\s*", "", word)
        elif name == "expect":
            if prev == "-c":
                spawned = re.search(r"(?:spawn|exec)\s+(.+)", word)
                value = spawned.group(1) if spawned else None
        elif name == "tmux" and i > 1 and not word.startswith("-"):
            starts = (
                "new",
                "new-session",
                "new-window",
                "neww",
                "split-window",
                "splitw",
                "respawn-pane",
            )
            if argv[1] in starts and prev not in ("-s", "-n", "-t", "-c", "-F", "-x", "-y", "-e"):
                value = word
        if value is not None:
            out.append((None if i in command.dynamic else value, f"{name} command"))
    return out


_ALL_ARGUMENTS = frozenset({"$@", "$*", "${@}", "${*}"})
"""A command word that is all of a function's arguments."""

_STATEMENTS = frozenset(
    {"command", "pipeline", "list", "redirected_statement", "subshell", "compound_statement",
     "if_statement", "while_statement", "for_statement", "c_style_for_statement",
     "case_statement", "negated_command", "function_definition", "declaration_command",
     "unset_command", "test_command"}
)  # fmt: skip
"""Node types that are statements (run), not words."""

_SSH_VALUE_OPTIONS = frozenset("BbcDEeFIiJLlmOoPpQRSWw")


def _remote_command(command: Command) -> list[tuple[str | None, str]]:
    """``ssh host 'rm -rf ~'`` runs its command in a shell on the host: judge it too."""
    argv = command.argv
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        letters = argv[i][1:]
        i += 2 if letters and letters[-1] in _SSH_VALUE_OPTIONS and len(letters) == 1 else 1
    i += 1 if i < len(argv) and argv[i] == "--" else 0
    rest = argv[i + 1 :]  # after the host
    if not rest:
        return []
    if any(k > i for k in command.dynamic):
        return [(None, f"{command.name} host")]
    return [(" ".join(rest), f"{command.name} host")]


_SETUP_TOOLS = frozenset(
    {"pyenv", "rbenv", "nodenv", "goenv", "jenv", "plenv", "phpenv", "direnv", "ssh-agent",
     "gpg-agent", "keychain", "starship", "zoxide", "conda", "mamba", "micromamba", "fnm",
     "brew", "mise", "rtx", "thefuck", "atuin", "dircolors", "luarocks", "opam", "pdm",
     "register-python-argcomplete", "rustup", "kubectl", "helm", "gh", "uv", "poetry",
     "oh-my-posh", "pipx", "volta", "nix", "devbox", "flox", "hub", "npm", "pip",
     "pip3", "docker-machine", "minikube", "aws_completer", "tmuxifier", "fzf"}
)  # fmt: skip
"""Tools whose output is meant for ``eval``: shell set-up (``eval "$(pyenv init -)"``)."""
_SETUP_WORDS = frozenset(
    {"init", "hook", "env", "shellenv", "shell.bash", "shell.zsh", "completion",
     "completions", "activate", "-s", "--sh", "-c", "--csh", "--eval", "--bash", "--zsh",
     "path", "generate-shell-completion", "alias", "--alias", "--print-path", "print-env",
     "docker-env", "podman-env", "shell"}
)  # fmt: skip


def _sets_up_the_shell(command: Command) -> bool:
    """``eval "$(TOOL init -)"``, ``eval "$(ssh-agent -s)"``: the tool prints set-up for eval.

    Only when the argument is that one substitution and nothing else runs in it.
    """
    if command.argv[1:] != ("$(...)",) or len(command.feeds) != 1:
        return False
    tool = command.feeds[0]
    if tool.name not in _SETUP_TOOLS or tool.dynamic or tool.upstream:
        return False
    return tool.name in ("ssh-agent", "dircolors", "keychain") or bool(
        _SETUP_WORDS & set(tool.argv[1:])
    )


_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>"})
_COPIERS = frozenset({"cp", "mv", "install", "rsync", "scp"})
_FILE_WRITERS = _COPIERS | {"tee", "curl", "wget"}


def _printed_text(command: Command) -> str | None:
    """What ``echo``/``printf`` print, or ``cat`` of a here-document: a file's content."""
    if command.name == "cat":
        return command.stdin if all(a == "-" for a in command.argv[1:]) else None
    if command.name in ("echo", "printf"):
        return _piped_scripts(command, "")[0][0]
    return None


def written_files(command: Command) -> list[tuple[str, str | None]]:
    """Files a command writes by its arguments: ``tee F``, ``cp A F``, ``curl -o F``."""
    argv, name = command.argv, command.name
    if name == "tee":
        content = command.stdin
        if content is None and command.upstream:
            content = _printed_text(command.upstream[-1])
        files = [(i, a) for i, a in enumerate(argv[1:], 1) if not a.startswith("-")]
        return [(a, None if i in command.dynamic else content) for i, a in files]
    if name in _COPIERS:
        operands = [(i, a) for i, a in enumerate(argv[1:], 1) if not a.startswith("-")]
        if len(operands) >= 2 and operands[-1][0] not in command.dynamic:
            return [(operands[-1][1], None)]
        return []
    if name in ("curl", "wget"):
        letter, long = ("o", "--output") if name == "curl" else ("O", "--output-document")
        out: list[tuple[str, str | None]] = []
        for i, a in enumerate(argv[1:], start=1):
            cluster = a.startswith("-") and not a.startswith("--") and a[1:].isalpha()
            if (a == long or (cluster and a.endswith(letter))) and i + 1 < len(argv):
                if i + 1 not in command.dynamic:
                    out.append((argv[i + 1], None))  # `-o F`, `-fsSo F`, `-qO F`
            elif a.startswith(long + "="):
                out.append((a.split("=", 1)[1], None))
        return out
    return []


def _reads_program_from_stdin(command: Command) -> bool:
    """Whether an interpreter without ``-c``/``-e`` reads its program from standard input."""
    operands = [a for a in command.argv[1:] if not a.startswith("-") or a == "-"]
    if command.name == "deno":
        return False
    return not operands or operands[0] in ("-", "/dev/stdin")


def program_of(command: Command) -> str | None:
    """The program an interpreter runs from its command line (``-c``/``-e``) or its input.

    ``python3 - <<'EOF' ... EOF`` and ``perl <<< '...'`` read the program from a here-document
    or here-string.
    """
    from csup.policy._inline import code_of  # noqa: PLC0415 - rare

    code = code_of(command.argv)
    if code is not None or command.stdin is None:
        return code
    args = command.argv[1:]
    operands = [a for a in args if not a.startswith("-") or a == "-"]
    if "-m" in args or (operands and operands[0] != "-"):
        return None
    return command.stdin


def _brace_expanded(words: list[_Word]) -> list[_Word]:
    """Unquoted words with ``{a,b}`` become several words, as bash makes them."""
    from csup.policy._paths import expand_braces  # noqa: PLC0415 - rare

    out: list[_Word] = []
    for word in words:
        if word.quoted or word.dynamic or "{" not in word.text or "," not in word.text:
            out.append(word)
            continue
        for text in expand_braces(word.text):
            new = _Word()
            new.text, new.feeds = text, word.feeds
            out.append(new)
    return out


def _split_words(words: list[_Word]) -> list[_Word]:
    """Words an unquoted ``$cmd`` gave spaces become several (``cmd="rm -rf /"; $cmd``)."""
    out: list[_Word] = []
    for word in words:
        if not word.split:
            out.append(word)
            continue
        for text in word.text.split():
            new = _Word()
            new.text, new.feeds, new.quoted = text, word.feeds, True
            out.append(new)
    return out


COMMAND_VARIABLES = LazyRegex(
    r"GIT_SSH_COMMAND|GIT_SSH|GIT_PROXY_COMMAND|GIT_EDITOR|GIT_SEQUENCE_EDITOR|GIT_PAGER|"
    r"GIT_ASKPASS|GIT_EXTERNAL_DIFF|SSH_ASKPASS|SUDO_ASKPASS|PAGER|MANPAGER|EDITOR|VISUAL|"
    r"LESSOPEN|LESSCLOSE|BASH_ENV|ENV|PROMPT_COMMAND|RSYNC_RSH|RSYNC_CONNECT_PROG|"
    r"CVS_RSH|GIT_CONFIG_VALUE_\d+|FZF_DEFAULT_COMMAND|BROWSER"
)
"""Variables whose value a program runs as a shell command (``GIT_SSH_COMMAND='...' git``)."""
_VARIABLE_WORD = LazyRegex(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


def _printf(args: list[str]) -> str:
    """Roughly what ``printf FORMAT ARGS...`` prints: ``%s`` and ``%b`` filled in order."""
    if not args:
        return ""
    values = iter(args[1:])
    text = re.sub(r"%[sb]", lambda _: next(values, ""), args[0])
    return " ".join([text, *values])


class _Scope(Frozen):
    """Where the walker is: how many shells deep, and through which wrappers."""

    __slots__ = ("depth", "via")

    depth: int
    via: tuple[str, ...]

    def __init__(self, depth: int, via: tuple[str, ...]) -> None:
        object.__setattr__(self, "depth", depth)
        object.__setattr__(self, "via", via)


class _Word(Record):
    # in constructor order
    __slots__ = ("text", "dynamic", "feeds", "temp", "quoted", "split")  # noqa: RUF023

    def __init__(self) -> None:
        self.text = ""
        self.dynamic = False
        self.feeds: list[Command] = []
        self.quoted = False
        """Whether some of the word is quoted (brace expansion is then not applied)."""
        self.split = False
        """Whether an unquoted variable gave it spaces: the shell splits it into words."""
        self.temp: str | None = None
        """When the word is just ``$(mktemp ...)``: a path standing for what it makes."""


class _Walker:
    """Walks one tree-sitter tree, appending what it finds to an :class:`Analysis`."""

    def __init__(self, result: Analysis, line: str = "") -> None:
        self.result = result
        self.line = line
        self.variables: dict[str, str] = {}
        """Variables set earlier in the line whose value is certain (see :meth:`assign`)."""
        self.unconditional: set[int] = set()
        """Ids of the top-level statements that run whenever the line gets that far."""
        self.tracking = "=" in line and _ASSIGNERS.search(line) is None
        self.reassigned = (
            frozenset(m.group(1) for m in _KNOWN_ASSIGNED.finditer(line))
            if "=" in line
            else frozenset()
        )
        self.restore: dict[int, str] = {}
        """Characters swapped out before parsing (see :func:`_shield`), to put back."""
        self.function: str | None = None
        """The function whose body is being walked, if any."""
        self.forwarders: set[str] = set()
        """Functions of the line that run their arguments as a command (``run() { "$@"; }``)."""
        self.pending: list[Node] = []
        """Statements found inside a here-document redirect, to walk after its command."""
        self.here_ids: set[int] = set()
        """``<`` redirects that are really here-strings (see :func:`_misparsed_herestrings`)."""

    def text(self, node: Node) -> str:
        """The source text of ``node``, with shielded characters put back."""
        raw = node.text.decode("utf-8", "replace") if node.text is not None else ""
        return raw.translate(self.restore) if self.restore else raw

    # -- entry points ------------------------------------------------------------------

    def script(self, text: str, scope: _Scope) -> list[Command]:
        if scope.depth > MAX_SHELL_DEPTH:
            self.result.problems.append("too many shells nested inside each other")
            return []
        if len(text) > MAX_INPUT:
            self.result.problems.append(f"the command is longer than {MAX_INPUT} characters")
            return []
        shielded, restore = shield(text)
        if shielded is None:
            self.problem("the command has too many unusual characters to analyse")
            return []
        if "~" in shielded:
            # tree-sitter-bash 0.25 reads `[ -d ~ ]` as the operator `~` applied to `]`
            shielded = _TILDE_BEFORE_BRACKET.sub("~/", shielded)
        tree = _parser().parse(shielded.encode("utf-8", "surrogatepass"))
        root = tree.root_node
        if root.has_error and not _only_misparsed_herestrings(root):
            self.problem("the command is not valid shell syntax")
        saved, self.restore = self.restore, restore
        try:
            return self.node(root, 0, scope, ())
        finally:
            self.restore = saved

    def problem(self, message: str) -> None:
        if message not in self.result.problems:
            self.result.problems.append(message)

    # -- statements --------------------------------------------------------------------

    def node(
        self,
        node: Node,
        nesting: int,
        scope: _Scope,
        upstream: tuple[Command, ...],
        redirects: tuple[Node, ...] = (),
    ) -> list[Command]:
        """Collect the commands under ``node``; returns those whose output it produces."""
        if nesting > MAX_NESTING:
            self.problem("the command is nested too deeply to analyse")
            return []
        kind = node.type
        if self.tracking and scope.depth == 0:
            if kind == "program":
                self.unconditional.update(c.id for c in node.named_children)
            elif kind == "list" and node.id in self.unconditional and node.named_children:
                self.unconditional.add(node.named_children[0].id)
        if kind == "command":
            return self.command(node, nesting, scope, upstream, redirects)
        if kind in ("variable_assignment", "variable_assignments"):
            certain = node.id in self.unconditional and scope.depth == 0
            parts = node.named_children if kind == "variable_assignments" else [node]
            for part in parts:
                value = part.child_by_field_name("value")
                if part.type == "variable_assignment" and value is not None:
                    word = self.word(value, nesting + 1, scope)
                    self.command_variable(part, word, scope)
                    if certain:
                        self.assign(part, word)
            return []
        if kind == "pipeline":
            produced: list[Command] = []
            flow = upstream
            for child in node.named_children:
                produced = self.node(child, nesting + 1, scope, flow)
                flow = flow + tuple(produced)
            return produced
        if kind == "redirected_statement":
            body = node.child_by_field_name("body")
            reds = tuple(c for c in node.children if c.type.endswith("_redirect"))
            before = sum(1 for r in self.result.redirects if r.op in _WRITE_OPS)
            herestrings = _misparsed_herestrings(node)
            simple = body is not None and body.type == "command"
            for red in reds:
                here = red.type in ("herestring_redirect", "heredoc_redirect")
                if red.id in herestrings:
                    self.here_ids.add(red.id)
                    if not simple:
                        self.word(red.named_children[-1], nesting, scope)
                elif not (here and simple):
                    # `cmd < <(producer)` reads what producer writes, as `producer | cmd`
                    upstream = (*upstream, *self.redirect(red, nesting, scope))
            if body is None:
                return []
            produced = self.node(body, nesting + 1, scope, upstream, reds)
            content = _printed_text(produced[-1]) if simple and produced else None
            made = [r for r in self.result.redirects if r.op in _WRITE_OPS][before:]
            for made_redirect in made:
                known = None if made_redirect.dynamic else content
                self.result.writes.append((made_redirect.target, known))
            return produced
        if kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.check_fork_bomb(self.text(name), body)
                saved, self.function = self.function, self.text(name)
                try:
                    return self.node(body, nesting + 1, scope, upstream)
                finally:
                    self.function = saved
        if kind in ("heredoc_body", "comment", "heredoc_start", "heredoc_end"):
            return []
        produced = []
        for child in node.named_children:
            if child.type.endswith("_redirect"):
                self.redirect(child, nesting, scope)
                continue
            if child.type in ("word", "string", "raw_string", "concatenation", "number"):
                self.word(child, nesting, scope)  # e.g. `for x in $(cmd)` values
                continue
            produced += self.node(child, nesting + 1, scope, upstream)
        return produced

    def check_fork_bomb(self, name: str, body: Node) -> None:
        text = self.text(body)
        calls_itself = re.search(rf"(^|[\s;|&{{(]){re.escape(name)}([\s;|&}})]|$)", text)
        if calls_itself and ("&" in text or "|" in text):
            self.result.fork_bomb = True

    def redirect(self, node: Node, nesting: int, scope: _Scope) -> list[Command]:
        """Record a redirect; returns the commands whose output it reads (``< <(cmd)``)."""
        if node.type in ("herestring_redirect", "heredoc_redirect"):
            for child in node.named_children:
                if child.type in _STATEMENTS:
                    self.node(child, nesting + 1, scope, ())  # `{ ...; } <<E && rm -rf ~`
                elif child.type not in ("heredoc_start", "heredoc_end"):
                    if child.type.endswith("_redirect"):
                        self.redirect(child, nesting, scope)
                    else:
                        self.word(child, nesting, scope)
            return []
        op = "".join(c.type for c in node.children if not c.is_named)
        dest = node.child_by_field_name("destination")
        if dest is None:
            return []
        word = self.word(dest, nesting, scope)
        if not op.endswith("&") or not word.text.isdigit():
            self.result.redirects.append(Redirect(op, word.text, word.dynamic))
        return word.feeds if op == "<" and dest.type == "process_substitution" else []

    def stdin_text(
        self, reds: tuple[Node, ...], nesting: int, scope: _Scope
    ) -> tuple[str | None, tuple[Command, ...]]:
        """The literal text a here-string or here-document gives a command, and its feeds."""
        text: str | None = None
        feeds: list[Command] = []
        for red in reds:
            if red.id in self.here_ids:
                word = self.word(red.named_children[-1], nesting, scope)
                feeds += word.feeds
                text = None if word.dynamic else word.text
                continue
            if red.type not in ("herestring_redirect", "heredoc_redirect"):
                continue
            for child in red.named_children:
                if child.type in _STATEMENTS:
                    # tree-sitter-bash puts what follows `cmd <<EOF` on its line (`| bash`,
                    # `&& rm -rf ~`) inside the redirect: it runs after the command
                    self.pending.append(child)
                elif child.type.endswith("_redirect"):
                    self.redirect(child, nesting, scope)
                elif child.type not in ("heredoc_start", "heredoc_end"):
                    word = self.word(child, nesting, scope)
                    feeds += word.feeds
                    text = None if word.dynamic else word.text
        return text, tuple(feeds)

    # -- simple commands ---------------------------------------------------------------

    def command(
        self,
        node: Node,
        nesting: int,
        scope: _Scope,
        upstream: tuple[Command, ...],
        reds: tuple[Node, ...],
    ) -> list[Command]:
        words: list[_Word] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                value = child.child_by_field_name("value")
                if value is not None:
                    self.command_variable(child, self.word(value, nesting + 1, scope), scope)
            elif child.type in ("herestring_redirect", "heredoc_redirect"):
                reds = (*reds, child)
            elif child.type.endswith("_redirect"):
                upstream = (*upstream, *self.redirect(child, nesting, scope))
            elif child.type == "command_name":
                words.extend(self.word(c, nesting + 1, scope) for c in child.children)
            else:
                words.append(self.word(child, nesting + 1, scope))
        for red in reds:
            # `rm 2>/dev/null -rf /`: tree-sitter-bash reads the words after a redirect's
            # target as more targets; they are the command's arguments
            if red.type == "file_redirect":
                extra = red.children_by_field_name("destination")[1:]
                words.extend(self.word(c, nesting + 1, scope) for c in extra)
        if any(w.split for w in words):
            words = _split_words(words)
        if not words:
            return []
        if any("{" in w.text and "," in w.text for w in words):
            words = _brace_expanded(words)
        argv = tuple(w.text for w in words)
        dynamic = frozenset(i for i, w in enumerate(words) if w.dynamic)
        feeds = tuple(c for w in words for c in w.feeds)
        saved, self.pending = self.pending, []
        try:
            stdin, stdin_feeds = self.stdin_text(reds, nesting, scope)
            written = Command(argv, dynamic, upstream, feeds + stdin_feeds, stdin, scope.via)
            emitted = self.emit(written, scope.depth)
            produced = emitted
            for after in self.pending:
                piped = after.type == "pipeline"
                out = self.node(after, nesting + 1, scope, tuple(emitted) if piped else ())
                produced = out if piped else produced
            return produced
        finally:
            self.pending = saved

    def emit(self, written: Command, depth: int) -> list[Command]:
        """Record a command as written after unwrapping it, and whatever it hands to a shell."""
        if len(self.result.commands) >= MAX_COMMANDS:
            self.problem(f"the command runs more than {MAX_COMMANDS} commands")
            return []
        for i, word in enumerate(written.argv[1:], start=1):
            if "=" in word and (assigned := _VARIABLE_WORD.fullmatch(word)) is not None:
                scope = _Scope(depth, written.via)
                name, value = assigned.groups()
                self.variable_command(name, value, i in written.dynamic, scope)
        if written.argv[0] in _ALL_ARGUMENTS and self.function is not None:
            # `run() { "$@"; }`: the function runs its arguments, judged where it is called
            self.forwarders.add(self.function)
            if len(written.argv) == 1:
                return []
        if written.argv[0] in self.forwarders and len(written.argv) > 1:
            shifted = frozenset(i - 1 for i in written.dynamic if i > 0)
            forwarded = Command(
                written.argv[1:], shifted, written.upstream, written.feeds, written.stdin,
                (*written.via, f"{written.argv[0]}()"),
            )  # fmt: skip
            self.emit(forwarded, depth)
        unwrapped = unwrap((command_name(written.argv[0]), *written.argv[1:]), written.dynamic)
        if unwrapped.problem:
            self.problem(unwrapped.problem)
        if not unwrapped.argv:
            return []
        if 0 in unwrapped.dynamic:
            self.problem("the name of a command is only known at run time")
        via = (*written.via, *unwrapped.wrappers)
        command = Command(
            unwrapped.argv, unwrapped.dynamic, written.upstream, written.feeds, written.stdin, via
        )
        self.result.commands.append(command)
        if command.name in _FILE_WRITERS:
            self.result.writes.extend(written_files(command))
        for sub in unwrapped.subcommands:
            vias = (*via, sub.via)
            self.emit(
                Command(sub.argv, sub.dynamic, written.upstream, written.feeds, None, vias), depth
            )
        for script, how in self.scripts_of(command):
            if script is None:
                self.problem(f"cannot see the script given to {how}: it is built at run time")
            else:
                self.script(script, _Scope(depth + 1, (*via, how)))
        return [command]

    def scripts_of(self, command: Command) -> list[tuple[str | None, str]]:
        """Scripts a command hands to a shell: ``sh -c S``, ``eval S``, ``sh <<< S``."""
        argv, name = command.argv, command.name
        if name == "eval":
            known = not any(i > 0 for i in command.dynamic)
            if not known and _sets_up_the_shell(command):
                return []  # `eval "$(pyenv init -)"`: the tool's own shell set-up
            return [(" ".join(argv[1:]) if known else None, "eval")]
        if name == "trap" and len(argv) > 2 and not argv[1].startswith("-"):
            # `trap 'rm -rf ~' EXIT`: the handler runs when the shell exits or is signalled
            return [(None if 1 in command.dynamic else argv[1], "trap")]
        if name in ("source", ".") and len(argv) > 1:
            return self.fed_script(command, 1, name)
        if name == "alias":
            return [(a.split("=", 1)[1], "alias") for a in argv[1:] if "=" in a]
        if name in INTERPRETERS or name.startswith(("python3.", "python2.")):
            from csup.policy._inline import hidden_commands  # noqa: PLC0415 - rare

            code = program_of(command)
            if code is None and command.upstream and _reads_program_from_stdin(command):
                # `echo 'import os; os.system("rm -rf ~")' | python3`
                code = next(iter(_piped_scripts(command.upstream[-1], name)))[0]
            if code is None or any(i > 1 for i in command.dynamic):
                return []
            return [(script, f"{name} code") for script in hidden_commands(code)]
        if name == "git":
            return _git_shell_values(command)
        if name in ("ssh", "mosh"):
            return _remote_command(command)
        if name in _EMBEDDED_SHELL:
            return _embedded_commands(command)
        if name in ("at", "batch") and not any(a in ("-l", "-r", "-d", "-c") for a in argv):
            if command.stdin is not None:
                return [(command.stdin, f"{name} <<<")]
            if command.upstream:
                return _piped_scripts(command.upstream[-1], name)
            return []
        if name in ("su", "runuser", "script"):
            for i, arg in enumerate(argv[1:-1], start=1):
                short = arg.startswith("-") and not arg.startswith("--") and arg.endswith("c")
                if arg in ("-c", "--command") or (name == "script" and short):
                    return [(None if i + 1 in command.dynamic else argv[i + 1], f"{name} -c")]
                if name == "script" and arg.startswith("--command="):
                    return [(arg.split("=", 1)[1], f"{name} -c")]
            if name != "script" and command.stdin is not None:
                return [(command.stdin, f"{name} <<<")]  # `su <<< 'rm -rf /'`
            return []
        if name not in SHELLS:
            return []
        for i, arg in enumerate(argv[1:], start=1):
            if arg == "--" or not arg.startswith("-"):
                break
            if "c" in arg.lstrip("-") and not arg.startswith("--"):
                at = i + 2 if argv[i + 1 : i + 2] == ("--",) else i + 1
                if at >= len(argv):
                    return []
                return [(None if at in command.dynamic else argv[at], f"{name} -c")]
        operand = next((i for i, a in enumerate(argv[1:], 1) if not a.startswith("-")), None)
        if operand is not None:
            return self.fed_script(command, operand, name)  # runs a script file
        if command.stdin is not None:
            return [(command.stdin, f"{name} <<<")]
        if command.upstream:
            return _piped_scripts(command.upstream[-1], name)
        return []

    def command_variable(self, node: Node, value: _Word, scope: _Scope) -> None:
        """``GIT_SSH_COMMAND='rm -rf ~' git fetch``: a program runs the value as a command."""
        name_node = node.child_by_field_name("name")
        if name_node is not None:
            self.variable_command(self.text(name_node), value.text, value.dynamic, scope)

    def variable_command(self, name: str, value: str, dynamic: bool, scope: _Scope) -> None:
        """Judge the value of a command-valued variable (see :data:`COMMAND_VARIABLES`)."""
        self.result.assigned.append((name, value))
        if not COMMAND_VARIABLES.fullmatch(name) or not value.strip():
            return
        if dynamic:
            self.problem(f"cannot see the command in {name}: it is built at run time")
        else:
            self.script(value, _Scope(scope.depth + 1, (*scope.via, f"{name}=")))

    def fed_script(self, command: Command, at: int, name: str) -> list[tuple[str | None, str]]:
        """The script a shell or ``source`` reads from the file ``argv[at]``, when the line makes
        it: ``bash <(echo 'rm -rf ~')``, ``echo 'rm -rf ~' | source /dev/stdin``.

        A file on disk is judged by the rules (see ``judge_script_files``); a process
        substitution from a tool (``source <(kubectl completion bash)``) is left alone.
        """
        word = command.argv[at]
        if word in ("/dev/stdin", "/dev/fd/0", "-", "/proc/self/fd/0"):
            if command.stdin is not None:
                return [(command.stdin, f"{name} <<<")]
            return _piped_scripts(command.upstream[-1], name) if command.upstream else []
        if word == "$(...)" and at in command.dynamic and command.feeds:
            source = command.feeds[-1]
            if source.name in ("echo", "printf", "cat"):
                scripts = _piped_scripts(source, f"{name} <(...)")
                return [(t, how) for t, how in scripts if t is not None]
        return []

    def assign(self, node: Node, value: _Word) -> None:
        """Remember ``NAME=value`` when the value of ``$NAME`` later in the line is certain.

        Only a plain assignment that runs whenever the line gets that far (a top-level
        statement, or the first of an ``&&`` chain), the only one to that name in the whole
        line, in a line with no command that can set variables by a computed name
        (``read``, ``declare``, ``printf -v``, ``eval`` ...). The value is literal, or a fresh
        temporary directory (``$(mktemp -d)``).
        """
        name_node = node.child_by_field_name("name")
        if name_node is None or name_node.type != "variable_name":
            return
        if any(c.type == "+=" for c in node.children):
            return
        name = self.text(name_node)
        if name in self.variables or (value.text == "" and value.dynamic):
            return
        text = value.text
        if value.dynamic:
            if not value.temp:
                return
            text = value.temp
        # the name written bare only once (here): no `read NAME`, `for NAME in`, `NAME+=`;
        # `-d` (an option) and `$NAME` (a use) do not count
        if len(re.findall(rf"(?<![\w$./{{-]){name}(?!\w)", self.line)) == 1:
            self.variables[name] = text

    # -- words -------------------------------------------------------------------------

    def word(self, node: Node, nesting: int, scope: _Scope) -> _Word:
        out = _Word()
        self.word_into(out, node, nesting, scope, quoted=False)
        if out.temp is not None and out.text == "$(...)":
            out.text, out.dynamic = out.temp, False
        return out

    def word_into(self, out: _Word, node: Node, nesting: int, scope: _Scope, quoted: bool) -> None:
        if nesting > MAX_NESTING:
            self.problem("the command is nested too deeply to analyse")
            out.dynamic = True
            return
        kind = node.type
        raw = self.text(node)
        if kind in ("command_substitution", "process_substitution"):
            start = len(self.result.commands)
            for child in node.named_children:
                self.node(child, nesting + 1, _Scope(scope.depth, (*scope.via, "$( )")), ())
            made = self.result.commands[start:]
            out.feeds.extend(made)
            if not out.text and len(made) == 1 and "TMPDIR" not in self.line:
                out.temp = _mktemp(made[0])
            out.text += "$(...)"
            out.dynamic = True
        elif kind == "raw_string":
            out.quoted = True
            out.text += raw[1:-1] if raw.endswith("'") and len(raw) > 1 else raw[1:]
        elif kind == "ansi_c_string":
            out.quoted = True
            out.text += ansi_c(raw[2:-1])
        elif kind in ("string", "translated_string", "heredoc_body"):
            out.quoted = True
            for child in node.named_children:
                self.word_into(out, child, nesting + 1, scope, quoted=True)
            if kind == "heredoc_body" and not node.named_children:
                out.text += raw
        elif kind in ("string_content", "heredoc_content"):
            if kind == "string_content" and "\\" in raw:
                raw = DQ_ESCAPE.sub(r"\1", raw)
            out.text += raw
        elif kind in ("simple_expansion", "expansion"):
            names = [
                c
                for c in node.named_children
                if c.type in ("variable_name", "special_variable_name")
            ]
            if len(names) == 1 and node.named_child_count == 1 and names[0].text:
                var = self.text(names[0])
                known = self.variables.get(var) if scope.depth == 0 else None
                if known is not None and not quoted and "IFS" in self.line:
                    out.text += f"${var}"  # split on an IFS set somewhere in the line
                    out.dynamic = True
                elif known is not None:
                    out.text += known
                    out.split = out.split or (not quoted and any(c in known for c in " \t\n"))
                else:
                    out.text += f"${var}"
                    unknown = var not in KNOWN_VARIABLES or var in self.reassigned
                    out.dynamic = out.dynamic or unknown
            elif _TMPDIR_DEFAULT.fullmatch(raw) and "TMPDIR" not in self.reassigned:
                out.text += "$TMPDIR"  # `${TMPDIR:-/tmp}`: a temporary directory either way
            else:
                out.text += raw
                out.dynamic = True
                for child in node.named_children:
                    self.word_into(_Word(), child, nesting + 1, scope, quoted)
        elif kind == "concatenation":
            for child in node.children:
                self.word_into(out, child, nesting + 1, scope, quoted)
        elif (
            kind in ("word", "number", "variable_name", "special_variable_name")
            or not node.is_named
        ):
            if not quoted and "\\" in raw:
                raw = ESCAPE.sub(r"\1", raw.replace("\\\n", ""))
            out.text += raw
        else:
            # arithmetic, brace expressions, ...: unknown value; still look inside
            out.text += raw
            out.dynamic = True
            for child in node.named_children:
                self.word_into(_Word(), child, nesting + 1, scope, quoted)


def _misparsed_herestrings(node: Node) -> set[int]:
    """Ids of ``<`` redirects that are really here-strings in a redirected statement.

    tree-sitter-bash 0.25 reads ``cmd > file <<< text`` (a here-string after another
    redirect) as an ERROR node ``<<`` followed by a ``< text`` file redirect.
    """
    out: set[int] = set()
    children = node.children
    for i, child in enumerate(children[:-1]):
        after = children[i + 1]
        if (
            child.type == "ERROR"
            and child.text is not None
            and child.text.strip() == b"<<"
            and after.type == "file_redirect"
            and after.child_count == 2
            and after.children[0].type == "<"
        ):
            out.add(after.id)
    return out


def _only_misparsed_herestrings(root: Node) -> bool:
    """Whether every syntax error under ``root`` is a misparsed here-string."""
    stack = [root]
    errors = 0
    explained = 0
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            errors += 1
        if node.type == "redirected_statement":
            explained += len(_misparsed_herestrings(node))
        if node.has_error:
            stack.extend(node.children)
    return errors > 0 and errors == explained
