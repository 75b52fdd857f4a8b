"""Program knowledge: the commands other programs run, and the files a command writes.

The shell walker (:mod:`csup.policy.syntax.walker`) finds the simple commands of a line; this
module knows what some of them hand on (the walker asks through :mod:`.knowledge`): the
script ``echo S | sh`` pipes, git's command-valued settings and subcommands
(``git -c core.sshCommand=...``, ``git submodule foreach``), programs that run shell commands
(``awk`` ``system()``, ``vim -c ':!'``, ``tar --to-command``, ``sed``'s ``e``, ``zip -TT``),
``ssh host CMD``, an interpreter's program, the tools whose output is shell set-up for
``eval``, and what ``tee``/``cp``/``curl -o`` write. Each function takes a
:class:`~csup.policy.syntax.command.Command` and returns (script or None when only known at
run time, how it was reached).
"""

from __future__ import annotations

import os
import re

from csup._lazy_re import LazyRegex
from csup.policy.programs.printing import printf_output
from csup.policy.syntax.command import Command
from csup.policy.syntax.text import ansi_c


def piped_scripts(source: Command, shell: str) -> list[tuple[str | None, str]]:
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
            printed = printf_output(args)
            if printed is None:
                return [(None, how)]  # a directive csup does not compute, or no format
            texts = [printed]
        # escapes (`\x72m`, `\n`) are decoded by printf and `echo -e` (and by dash's echo)
        decoded = [ansi_c(t) for t in texts]
        return [(t, how) for t in dict.fromkeys(decoded + texts)]
    return [(None, how)]


_GIT_SHELL_KEYS = LazyRegex(
    r"(?i)alias\.[^=]+|core\.(?:sshcommand|pager|editor|fsmonitor|askpass)|"
    r"(?:sequence|diff|merge|difftool|mergetool)\.[^=]*(?:editor|external|cmd|tool)[^=]*|"
    r"credential\.[^=]*helper|pager\.[^=]+|gpg\.program|ssh\.variant|uploadpack\.packobjectshook"
)


def git_shell_values(command: Command) -> list[tuple[str | None, str]]:
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


EMBEDDED_SHELL = frozenset(
    {"awk", "gawk", "mawk", "nawk", "vim", "vi", "nvim", "ex", "view", "tar", "gdb", "expect",
     "tmux", "sed", "gsed", "zip", "less", "more", "most", "sqlite3", "psql", "mysql",
     "mariadb"}
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


def embedded_commands(command: Command) -> list[tuple[str | None, str]]:
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
        elif name in ("less", "more", "most"):
            if word.startswith("+") and "!" in word:  # `less +'!cmd'`: a pager's shell escape
                value = word.split("!", 1)[1]
        elif name in ("sqlite3", "psql", "mysql", "mariadb"):
            # `.shell`/`.system` (sqlite3), `\!` (psql, mysql), `system` (mysql): a shell
            lines = () if word.startswith("-") else re.split(r"[\n;]", word)
            for line in lines:
                escaped = re.match(r"\s*(?:\.shell|\.system|\\!|system(?=\s))\s*(.+)", line)
                if escaped:
                    value = escaped.group(1)
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


_SSH_VALUE_OPTIONS = frozenset("BbcDEeFIiJLlmOoPpQRSWw")


_LOCAL_SSH_COMMANDS = LazyRegex(r"(?i)(?:ProxyCommand|LocalCommand|KnownHostsCommand)[= ](.+)")


def local_commands(command: Command) -> list[tuple[str | None, str]]:
    """Commands ssh and rsync run on this machine: ``ssh -o ProxyCommand=CMD``,
    ``rsync -e CMD`` (the remote shell it starts)."""
    argv, out = command.argv, []
    for i, word in enumerate(argv[1:], start=1):
        value, prev = None, argv[i - 1]
        if command.name == "rsync":
            if prev in ("-e", "--rsh"):
                value = word
            elif word.startswith("--rsh="):
                value = word.split("=", 1)[1]
        elif prev == "-o" or word.startswith("-o"):
            option = word if prev == "-o" else word[2:]
            match = _LOCAL_SSH_COMMANDS.fullmatch(option)
            value = match.group(1) if match else None
        if value is not None:
            out.append((None if i in command.dynamic else value, f"{command.name} option"))
    return out


def remote_command(command: Command) -> list[tuple[str | None, str]]:
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


def sets_up_the_shell(command: Command) -> bool:
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


_COPIERS = frozenset({"cp", "mv", "install", "rsync", "scp"})
FILE_WRITERS = _COPIERS | {"tee", "curl", "wget"}
MKTEMP_PATH = "/tmp/tmp.csup-mktemp"  # noqa: S108 - a stand-in, never opened
"""Stands for the fresh temporary file or directory ``$(mktemp)`` makes."""


def made_path(command: Command) -> str | None:
    """:data:`MKTEMP_PATH` if ``command`` is a ``mktemp`` that makes its file in ``/tmp``."""
    if command.name != "mktemp" or command.dynamic or command.via != ("$( )",):
        return None
    for arg in command.argv[1:]:
        if arg.startswith(("-p", "--tmpdir")) or ("/" in arg and not arg.startswith("-")):
            return None
    return MKTEMP_PATH


def printed_text(command: Command) -> str | None:
    """What ``echo``/``printf`` print, or ``cat`` of a here-document: a file's content."""
    if command.name == "cat":
        return command.stdin if all(a == "-" for a in command.argv[1:]) else None
    if command.name in ("echo", "printf"):
        return piped_scripts(command, "")[0][0]
    return None


def written_files(command: Command) -> list[tuple[str, str | None]]:
    """Files a command writes by its arguments: ``tee F``, ``cp A F``, ``curl -o F``."""
    argv, name = command.argv, command.name
    if name == "tee":
        content = command.stdin
        if content is None and command.upstream:
            content = printed_text(command.upstream[-1])
        files = [(i, a) for i, a in enumerate(argv[1:], 1) if not a.startswith("-")]
        return [(a, None if i in command.dynamic else content) for i, a in files]
    if name in _COPIERS:
        target = target_directory(command)
        if target is not None:
            at, directory = target
            if at in command.dynamic:
                return []
            sources = [a for i, a in enumerate(argv[1:], 1) if i != at and not a.startswith("-")]
            return [(f"{directory.rstrip('/')}/{os.path.basename(a.rstrip('/'))}", None)
                    for a in sources]  # fmt: skip
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


_SHORT_VALUES = {"cp": "S", "mv": "S", "ln": "S", "install": "Sgmo"}
"""Short options of cp/mv/ln/install that take a value (``-S SUFFIX``, ``install -m MODE``)."""


def target_directory(command: Command) -> tuple[int, str] | None:
    """The directory ``cp``/``mv``/``install``/``ln`` copy into by option, as (index in argv,
    text): ``-t DIR``, ``-tDIR``, ``-vt DIR``, ``--target-directory=DIR`` (or a prefix of it).
    Every operand is then a source: ``mv -t /etc a b`` writes ``/etc/a`` and ``/etc/b``."""
    argv = command.argv
    values = _SHORT_VALUES.get(command.name)
    if values is None:
        return None
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            return None
        if i in command.dynamic or not word.startswith("-"):
            continue
        if word.startswith("--"):
            name, equals, value = word.partition("=")
            if len(name) < 4 or not "--target-directory".startswith(name):
                continue
            if equals:
                return i, value
            return (i + 1, argv[i + 1]) if i + 1 < len(argv) else None
        for pos, letter in enumerate(word[1:], start=1):
            if letter == "t":
                if pos + 1 < len(word):
                    return i, word[pos + 1 :]
                return (i + 1, argv[i + 1]) if i + 1 < len(argv) else None
            if letter in values:
                break  # `install -m 0755`: the rest of the word (or the next) is a value
    return None


def reads_program_from_stdin(command: Command) -> bool:
    """Whether an interpreter without ``-c``/``-e`` reads its program from standard input
    (see :func:`csup.policy.programs.interpreters.reads_program_from_stdin`)."""
    from csup.policy.programs.interpreters import reads_program_from_stdin as reads  # noqa: PLC0415

    return reads(command.argv)


def program_of(command: Command) -> str | None:
    """The program an interpreter runs from its command line (``-c``/``-e``) or its input.

    ``python3 - <<'EOF' ... EOF``, ``perl <<< '...'`` and ``ruby -r json - <<< '...'`` read
    the program from a here-document or here-string; so does ``python3 -m code`` (a REPL).
    """
    from csup.policy.programs.inline import code_of  # noqa: PLC0415 - rare

    code = code_of(command.argv)
    if code is not None or command.stdin is None:
        return code
    return command.stdin if reads_program_from_stdin(command) else None


COMMAND_VARIABLES = LazyRegex(
    r"GIT_SSH_COMMAND|GIT_SSH|GIT_PROXY_COMMAND|GIT_EDITOR|GIT_SEQUENCE_EDITOR|GIT_PAGER|"
    r"GIT_ASKPASS|GIT_EXTERNAL_DIFF|SSH_ASKPASS|SUDO_ASKPASS|PAGER|MANPAGER|EDITOR|VISUAL|"
    r"LESSOPEN|LESSCLOSE|BASH_ENV|ENV|PROMPT_COMMAND|RSYNC_RSH|RSYNC_CONNECT_PROG|"
    r"CVS_RSH|GIT_CONFIG_VALUE_\d+|FZF_DEFAULT_COMMAND|BROWSER"
)
"""Variables whose value a program runs as a shell command (``GIT_SSH_COMMAND='...' git``)."""
