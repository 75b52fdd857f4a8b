"""Rules on reading and writing files: secrets, csup's own switches, system files, devices.

Paths are judged where they really point (see :mod:`csup.policy.programs.paths`). Anything
that touches a secret or would switch csup off is denied; so is writing a system file, a
shell start-up file or a disk device. Reading or writing outside the workspace is asked (at
``moderate``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from csup._lazy_re import LazyRegex
from csup.policy.programs.flags import git_subcommand, parse_args
from csup.policy.programs.paths import (
    agent_settings,
    expand,
    glob_probes,
    in_workspace,
    inside,
    is_block_device,
    is_control,
    is_write_protected,
    real,
    secret_kind,
)
from csup.policy.programs.runs import target_directory
from csup.policy.rules.base import Context, Finding, ask, deny, path_of, rule, shown
from csup.policy.rules.delete import judge_delete
from csup.policy.syntax.command import Analysis, Command

READ_ONLY = frozenset(
    {
        "cat",
        "less",
        "more",
        "head",
        "tail",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "ls",
        "stat",
        "diff",
        "cmp",
        "wc",
        "jq",
        "file",
        "bat",
        "echo",
        "printf",
        "test",
        "[",
        "[[",
        "readlink",
        "realpath",
        "basename",
        "dirname",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "tree",
        "du",
        "find",
        "which",
        "type",
        "view",
        "nl",
        "od",
        "hexdump",
        "xxd",
        "strings",
    }
)
"""Commands that only read their file operands (their redirects are judged separately)."""
_GIT_READ_ONLY = frozenset(
    {
        "diff",
        "log",
        "show",
        "status",
        "blame",
        "ls-files",
        "grep",
        "check-ignore",
        "rev-parse",
        "cat-file",
    }
)
_METADATA_ONLY = frozenset(
    {
        "ls",
        "stat",
        "test",
        "[",
        "[[",
        "echo",
        "printf",
        "basename",
        "dirname",
        "which",
        "type",
        "realpath",
        "readlink",
    }
)
_FILE_COMMANDS = READ_ONLY - _METADATA_ONLY - {"find", "jq"} | {
    "cp",
    "mv",
    "tee",
    "touch",
    "mkdir",
    "rmdir",
    "ln",
    "install",
    "truncate",
    "rsync",
    "sed",
    "awk",
    "sort",
    "uniq",
    "cut",
    "tar",
    "zip",
    "unzip",
    "source",
    ".",
    "vim",
    "vi",
    "nano",
    "ls",
    "find",
    "du",
}
_WRITE_OPS = (">", ">>", ">|", "&>", "&>>", "<>", ">&")

SELF_PROTECT_REASON = (
    "it would change or remove a file that keeps csup in control (csup's config and state, or "
    "Claude Code's settings and hooks). These files are off limits to supervised sessions; ask "
    "the user to make the change."
)


_REMOTE_URL = LazyRegex(r"(?i)(?:https?|ftps?|s3|gs|ssh|git)://[^/\s]+")


def _candidates(word: str) -> list[str]:
    """The paths a word may name: itself, after ``=``, after ``@`` (``curl -d @.env``).

    A remote URL names none: ``curl https://example.com/.env`` fetches, it reads nothing here.
    """
    if _REMOTE_URL.match(word):
        return []
    out = [word.removeprefix("file://")]
    if "=" in word:
        out.append(word.split("=", 1)[1])
    if "@" in word:
        out.append(word.rsplit("@", 1)[1])
    if ":" in word and "://" not in word:
        out.append(word.rsplit(":", 1)[1])  # `git show HEAD:.env`, `scp host:.env .`
    return [c.lstrip("<") for c in out if c]


@rule()
def touches_control_files(command: Command, ctx: Context) -> Iterator[Finding]:
    """Anything but a reader that names csup's or Claude Code's settings: deny."""
    if command.name in READ_ONLY or _git_read_only(command):
        return
    words = command.argv[1:]
    if command.name == "cp" and not _links(command):
        # copying a settings file elsewhere leaves it as it is: only the target counts
        operands = [w for w in words if not w.startswith("-")]
        words = tuple(w for w in words if w.startswith("-") or w == operands[-1])
    for i, word in enumerate(words, start=1):
        hit = any(is_control(w) for w in glob_probes(word))
        if not hit and ctx.control_files and i not in command.dynamic:
            path = path_of(word, ctx)
            hit = path is not None and path in ctx.control_files
        if hit:
            yield deny("csup.self-protect", f"Blocked {shown(command)}: {SELF_PROTECT_REASON}")
            return


def _links(command: Command) -> bool:
    """Whether ``cp`` makes links (``-l``, ``-s``) rather than copies."""
    return any(
        w in ("--link", "--symbolic-link")
        or (w.startswith("-") and not w.startswith("--") and ("l" in w or "s" in w))
        for w in command.argv[1:]
    )


def _git_read_only(command: Command) -> bool:
    if command.name != "git":
        return False
    sub = git_subcommand(command.argv)
    return sub is not None and command.argv[sub] in _GIT_READ_ONLY


@rule()
def touches_secrets(command: Command, ctx: Context) -> Iterator[Finding]:
    """Reading, copying or sending a credentials file: deny."""
    if command.name in _METADATA_ONLY or command.name in ("touch", "mkdir", "ssh-add"):
        return  # `ssh-add KEY` hands the key to the agent without showing it
    if command.name == "git" and _git_metadata_only(command):
        return
    home = ctx.where.home
    argv = command.argv
    written = _written_operand(command)
    pattern = _pattern_operand(command)
    excluded = _excluded_operands(command)
    # using the project's own secrets without showing them: `source .env`, `chmod 600 .env`,
    # `openssl req -key key.pem -out csr.pem`
    own = command.name in _USES_WITHOUT_SHOWING or (command.name == "openssl" and "-out" in argv)
    for i, word in enumerate(argv[1:], start=1):
        if i in command.dynamic and _PROC_ENVIRON.match(word):
            yield deny(
                "secrets.access",
                f"Blocked {shown(command)}: `{word}` is a process environment, which holds "
                "tokens and keys.",
            )
            return
        if (
            i in command.dynamic
            or (word.startswith("-") and "=" not in word)
            or argv[i - 1] in _OUTPUT_OPTIONS
            or i in (written, pattern)
            or i in excluded
            or (command.name in _KEY_USERS and argv[i - 1] in ("-i", "-f"))
        ):
            continue
        for candidate in _candidates(word):
            expanded = expand(candidate, ctx.where.cwd, home)
            if expanded is None:
                continue
            kind = None
            for path in glob_probes(expanded, filesystem=True):
                kind = secret_kind(path, home)
                if kind:
                    break
            if kind is None and os.path.lexists(path):  # a link may point at a secret
                kind = secret_kind(real(path), home)
            if kind and own and in_workspace(real(path), ctx.where):
                continue
            if kind:
                yield deny(
                    "secrets.access",
                    f"Blocked {shown(command)}: `{candidate}` is {kind}. Sessions may not read, "
                    "copy or send credentials; use a placeholder or ask the user for the value "
                    "you need.",
                )
                return


_KEY_USERS = frozenset({"ssh", "scp", "sftp", "ssh-keygen", "ssh-copy-id", "mosh"})
"""Programs whose ``-i KEY`` / ``-f KEY`` use a key without showing it."""
_USES_WITHOUT_SHOWING = frozenset({"source", ".", "chmod", "chown", "chgrp"})
_GIT_METADATA = frozenset({"check-ignore", "status", "ls-files", "check-attr", "rm", "mv"})
_SEARCHERS = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "git"})


def _git_metadata_only(command: Command) -> bool:
    """``git check-ignore .env``, ``git rm --cached .env``: names a file, never shows it."""
    sub = git_subcommand(command.argv)
    return sub is not None and command.argv[sub] in _GIT_METADATA


def _pattern_operand(command: Command) -> int | None:
    """The index of a search pattern (``grep .env``, ``rg KEY``), which is not a file."""
    if command.name not in _SEARCHERS or command.name == "git":
        return None
    argv = command.argv
    if any(a in ("-e", "-f", "--regexp", "--file") or a.startswith("--regexp=") for a in argv):
        return None
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            return i + 1
        if not word.startswith("-") and argv[i - 1] not in ("-A", "-B", "-C", "-m", "-t", "-g"):
            return i
    return None


_EXCLUDE_SHORT = {"git": "-e", "zip": "-x", "7z": "-x", "du": "-X"}
"""Short options whose value is a pattern left out (``git clean -e .env``, ``zip -x .env``)."""


def _excluded_operands(command: Command) -> frozenset[int]:
    """Indices of words naming what a command leaves out (``--exclude .env``, ``-x .env``):
    excluding a secret file is the opposite of reading it."""
    argv = command.argv
    short = _EXCLUDE_SHORT.get(command.name)
    if command.name == "git":
        sub = git_subcommand(argv)
        short = "-e" if sub is not None and argv[sub] == "clean" else None
    out: set[int] = set()
    listing = False  # zip's -x takes every word up to the next option
    for i, word in enumerate(argv[1:], start=1):
        previous = argv[i - 1]
        if word.startswith("--exclude=") or previous == "--exclude":
            out.add(i)
        elif short is not None and (previous == short or listing):
            out.add(i)
            listing = command.name == "zip" and not word.startswith("-")
        elif short is not None and word.startswith(short) and len(word) > len(short):
            out.add(i)  # `-e.env`, `-x.env`
        if word.startswith("-"):
            listing = False
    return frozenset(out)


_PROC_ENVIRON = LazyRegex(r"/proc/[^/]+/environ$")
_OUTPUT_OPTIONS = frozenset({"-o", "--output", "-out", "-keyout", "-outform"})
"""Options whose value is a file written, not read (``openssl req -keyout key.pem``)."""


def _written_operand(command: Command) -> int | None:
    """The index of the target of ``cp``/``install``/``ln`` (written, not read), if any."""
    if command.name not in ("cp", "install", "ln") or _links(command):
        return None
    into = target_directory(command)
    if into is not None:
        return into[0]  # `cp -t DIR SECRET`: the secret is read, the directory written
    last = len(command.argv) - 1
    operands = [i for i, w in enumerate(command.argv[1:], start=1) if not w.startswith("-")]
    return last if len(operands) > 1 and operands[-1] == last else None


@rule("dd")
def disk_dump(command: Command, ctx: Context) -> Iterator[Finding]:
    """``dd of=...``: onto a device it wipes a disk; elsewhere it is a write."""
    for i, word in enumerate(command.argv[1:], start=1):
        if word.startswith("of="):
            yield from judge_write(command, word[3:], i in command.dynamic, ctx)


@rule("cp", "mv", "tee", "install", "ln", "touch", "truncate", "rsync", "sed", "perl", "mkdir")
def writes_files(command: Command, ctx: Context) -> Iterator[Finding]:
    """Writes to system paths, devices or outside the workspace; ``mv`` also deletes sources."""
    args = parse_args(command.argv, command.dynamic, takes_value=_VALUES)
    operands = list(args.operands)
    if command.name in ("sed", "perl"):
        if not args.has("i") and not any(a.startswith(("-i", "--in-place")) for a in command.argv):
            return
        operands = operands[1:] if not args.has("e") else operands
    targets = operands
    into = target_directory(command)
    if into is not None:
        # `mv -t /etc a b`: every operand is a source, moved or copied into the directory
        at, directory = into
        targets = [(directory.rstrip("/") + "/", at in command.dynamic)]
        if command.name == "mv":
            yield from judge_delete(command, operands, True, False, ctx)
    elif command.name in ("cp", "mv", "install", "ln", "rsync") and len(operands) > 1:
        targets = operands[-1:]
        if command.name == "rsync":
            yield from _rsync_deletes(command, operands, ctx)
        if command.name == "mv":
            sources = operands[:-1]
            if len(sources) == 1 and sources[0][1] and _plain_file_target(operands[-1], ctx):
                sources = []  # `mv "$tmp" config.json`: the atomic write, a file replaced
            yield from judge_delete(command, sources, True, False, ctx)
    for word, dynamic in targets:
        yield from judge_write(command, word, dynamic, ctx)


_VALUES = frozenset("tSseomb") | {"target-directory"}
_REMOTE_PATH = LazyRegex(r"[^/]*[^/\\]:|rsync://")
"""``host:path``, ``user@host:path``, ``rsync://host/path``: a path on another machine."""


def _rsync_deletes(
    command: Command, operands: list[tuple[str, bool]], ctx: Context
) -> Iterator[Finding]:
    """``rsync --delete`` (``--del``, ``--delete-after``...) deletes what the destination has
    and the sources lack; ``--remove-source-files`` deletes the sources once sent, so they are
    judged like ``mv``'s (paths on another machine are the catalog's)."""
    words = command.argv[1:]
    if any(w == "--del" or w.startswith("--delete") for w in words):
        yield from judge_delete(command, operands[-1:], True, True, ctx)
    if any(w in ("--remove-source-files", "--remove-sent-files") for w in words):
        local = [(w, d) for w, d in operands[:-1] if d or not _REMOTE_PATH.match(w)]
        yield from judge_delete(command, local, True, False, ctx)


def _plain_file_target(target: tuple[str, bool], ctx: Context) -> bool:
    """A known path in the workspace that is not a directory: what ``mv SRC`` replaces."""
    word, dynamic = target
    if dynamic or word.endswith("/"):
        return False
    path = path_of(word, ctx)
    return path is not None and in_workspace(path, ctx.where) and not os.path.isdir(path)


def judge_write(
    command: Command, word: str, dynamic: bool, ctx: Context, *, env_file_ok: bool = True
) -> Iterator[Finding]:
    """Judge writing the file ``word``.

    ``env_file_ok``: a workspace ``.env`` file may be written (``cp .env.example .env``,
    ``echo X=1 >> .env``): writing one leaks nothing. The file tools keep them off limits.
    """
    path = None if dynamic else path_of(word, ctx)
    if path is None:
        yield ask(
            "workspace.outside",
            f"{shown(command)} writes to `{word}`, whose value is only known when it runs.",
        )
    elif any(is_control(p) for p in glob_probes(path)) or path in ctx.control_files:
        yield deny("csup.self-protect", f"Blocked {shown(command)}: {SELF_PROTECT_REASON}")
    elif (agent := agent_settings(path, ctx.where.home)) is not None:
        yield deny(
            "csup.agent-bypass",
            f"Blocked {shown(command)}: `{agent}` holds a coding agent's settings or hooks, "
            "where its permission and sandbox checks are switched off. Ask the user to change "
            "it.",
        )
    elif is_block_device(path):
        yield deny(
            "disk.device-write",
            f"Blocked {shown(command)}: it writes straight onto the "
            f"disk device `{path}`, destroying its data.",
        )
    elif is_write_protected(path, ctx.where.home):
        yield deny(
            "fs.write-system",
            f"Blocked {shown(command)}: it writes `{path}`, a system "
            "file or a shell start-up file. Change files inside the "
            "workspace instead.",
        )
    elif (kind := secret_kind(path, ctx.where.home)) and not (
        env_file_ok and kind == "an environment file" and in_workspace(path, ctx.where)
    ):
        # a project's own `.env` may be written (`cp .env.example .env`); reading it may not
        yield deny(
            "secrets.access", f"Blocked {shown(command)}: it writes `{path}`, a credentials file."
        )
    elif (
        not inside(path, ctx.where) and path not in ctx.where.temp and not path.startswith("/dev/")
    ):
        yield ask("workspace.outside", f"{shown(command)} writes `{path}`, outside the workspace.")


@rule(*_FILE_COMMANDS)
def reads_outside(command: Command, ctx: Context) -> Iterator[Finding]:
    """File commands whose operands lie outside the workspace: ask (at ``moderate``).

    After a ``cd`` out of the workspace, plain names count too, and so does the directory
    itself for ``ls``, ``find``, ``du``, ``tree`` without operands (``cd .. && ls``).
    """
    cwd = ctx.where.cwd
    away = cwd is not None and not inside(cwd, ctx.where) and cwd not in ctx.where.temp
    if away and command.name in _LISTS_CWD and all(a.startswith("-") for a in command.argv[1:]):
        yield ask("workspace.outside", f"{shown(command)} uses `{cwd}`, outside the workspace.")
        return
    for i, word in enumerate(command.argv[1:], start=1):
        if i in command.dynamic or word.startswith("-"):
            continue
        if "/" not in word and word != "~" and not away:
            continue
        path = path_of(word, ctx)
        if path is None or inside(path, ctx.where) or path in ctx.where.temp:
            continue
        if not path.startswith("/dev/"):
            yield ask(
                "workspace.outside", f"{shown(command)} uses `{path}`, outside the workspace."
            )
            return


_LISTS_CWD = frozenset({"ls", "find", "du", "tree", "rg", "ag"})


def judge_redirects(analysis: Analysis, ctx: Context) -> Iterator[Finding]:
    """Redirect targets: writes judged like any write, reads of secrets denied."""
    line = Command(("shell redirect",))
    for red in analysis.redirects:
        if red.op in _WRITE_OPS:
            yield from judge_write(Command((red.op, red.target)), red.target, red.dynamic, ctx)
            continue
        path = None if red.dynamic else path_of(red.target, ctx)
        if path is not None and secret_kind(path, ctx.where.home):
            yield deny(
                "secrets.access",
                f"Blocked {shown(line)} reading `{path}`: it is a credentials file.",
            )
        elif path is not None and not inside(path, ctx.where) and not path.startswith("/dev/"):
            yield ask("workspace.outside", f"The command reads `{path}`, outside the workspace.")
