"""Rules on files: deletes, permission changes, disks, secrets, csup's own switches.

Paths are judged where they really point (see :mod:`._paths`): a delete inside the
workspace or a temporary directory is fine, ``rm -rf ./dist`` included; a recursive or forced
delete anywhere else is denied, and so is anything that touches a secret or would switch csup
off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from csup.policy._flags import parse_args
from csup.policy._paths import (
    SYSTEM_DIRS,
    expand,
    expand_braces,
    glob_base,
    in_temp,
    in_workspace,
    is_block_device,
    is_control,
    is_under,
    is_write_protected,
    real,
    secret_kind,
)
from csup.policy._rules import Context, Finding, ask, deny, path_of, rule, shown
from csup.policy._shell import Analysis, Command

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
    "it would change or remove a file that keeps csup in control (csup's config, or Claude "
    "Code's settings and hooks). These files are off limits to supervised sessions; ask the "
    "user to make the change."
)


def _candidates(word: str) -> list[str]:
    """The paths a word may name: itself, after ``=``, after ``@`` (``curl -d @.env``)."""
    out = [word]
    if "=" in word:
        out.append(word.split("=", 1)[1])
    if "@" in word:
        out.append(word.rsplit("@", 1)[1])
    return [c.lstrip("<") for c in out if c]


@rule()
def touches_control_files(command: Command, ctx: Context) -> Iterator[Finding]:
    """Anything but a reader that names csup's or Claude Code's settings: deny."""
    if command.name in READ_ONLY or _git_read_only(command):
        return
    for i, word in enumerate(command.argv[1:], start=1):
        hit = is_control(word)
        if not hit and ctx.control_files and i not in command.dynamic:
            path = path_of(word, ctx)
            hit = path is not None and path in ctx.control_files
        if hit:
            yield deny("csup.self-protect", f"Blocked {shown(command)}: {SELF_PROTECT_REASON}")
            return


def _git_read_only(command: Command) -> bool:
    if command.name != "git":
        return False
    sub = git_subcommand(command.argv)
    return sub is not None and command.argv[sub] in _GIT_READ_ONLY


def git_subcommand(argv: tuple[str, ...]) -> int | None:
    """Index of git's subcommand in ``argv``, skipping global options (``-C dir``, ``-c k=v``)."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word in ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"):
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return i
    return None


@rule()
def touches_secrets(command: Command, ctx: Context) -> Iterator[Finding]:
    """Reading, copying or sending a credentials file: deny."""
    if command.name in _METADATA_ONLY:
        return
    home = ctx.where.home
    for i, word in enumerate(command.argv[1:], start=1):
        if i in command.dynamic or (word.startswith("-") and "=" not in word):
            continue
        for candidate in _candidates(word):
            path = expand(candidate, ctx.where.cwd, home)
            if path is None:
                continue
            kind = secret_kind(path, home)
            if kind is None and os.path.lexists(path):  # a link may point at a secret
                kind = secret_kind(real(path), home)
            if kind:
                yield deny(
                    "secrets.access",
                    f"Blocked {shown(command)}: `{candidate}` is {kind}. Sessions may not read, "
                    "copy or send credentials; use a placeholder or ask the user for the value "
                    "you need.",
                )
                return


def _delete_target(word: str, ctx: Context) -> tuple[str, bool] | None:
    """Where a delete of ``word`` lands (the link itself, not its target) and whether all of it."""
    path = expand(word, ctx.where.cwd, ctx.where.home)
    if path is None:
        return None
    base, whole = glob_base(path)
    if base == "/":
        return "/", whole
    parent, name = os.path.split(base)
    return os.path.join(real(parent), name), whole


def _inside(path: str, ctx: Context) -> bool:
    """In the workspace or a temporary directory."""
    return in_workspace(path, ctx.where) or in_temp(path, ctx.where)


def _vital(path: str, ctx: Context) -> bool:
    """The root, the home directory, a system top-level dir, or a parent of home/workspace."""
    if path == "/" or path in SYSTEM_DIRS or path == ctx.where.home:
        return True
    return any(
        is_under(root, path) and root != path for root in (ctx.where.home, *ctx.where.workspace)
    )


def judge_delete(
    command: Command, words: list[tuple[str, bool]], recursive: bool, forced: bool, ctx: Context
) -> Iterator[Finding]:
    """Judge deleting each of ``words`` ((text, dynamic) pairs)."""
    what = "recursive" if recursive else "forced" if forced else "plain"
    for word, dynamic in words:
        for text in expand_braces(word):
            target = None if dynamic else _delete_target(text, ctx)
            if target is None:
                if recursive:
                    yield deny(
                        "fs.rm-unknown-target",
                        f"Blocked {shown(command)}: a recursive delete of `{text}`, whose "
                        "value is only known when it runs. Delete literal paths inside "
                        "the workspace instead.",
                    )
                continue
            path, whole = target
            if _vital(path, ctx) and whole and (recursive or forced):
                yield deny(
                    "fs.rm-root-or-home",
                    f"Blocked {shown(command)}: a {what} delete of `{path}`, the root, "
                    "the home directory, a system directory or a parent of the workspace. "
                    "Delete only the specific paths you created.",
                )
            elif any(path == root for root in ctx.where.workspace) and whole and recursive:
                yield deny(
                    "fs.rm-workspace",
                    f"Blocked {shown(command)}: it deletes the whole workspace "
                    f"(`{path}`). Delete the specific files or directories instead, "
                    "e.g. `rm -rf ./build`.",
                )
            elif _inside(path, ctx):
                continue
            elif recursive or forced:
                yield deny(
                    "fs.rm-outside-workspace",
                    f"Blocked {shown(command)}: a {what} delete of `{path}`, outside the "
                    "workspace. Sessions may only delete inside their workspace or a "
                    "temporary directory.",
                )
            elif is_write_protected(path, ctx.where.home):
                yield deny(
                    "fs.write-system",
                    f"Blocked {shown(command)}: it deletes `{path}`, a system file or a shell "
                    "start-up file.",
                )
            else:
                yield ask(
                    "workspace.outside",
                    f"{shown(command)} deletes `{path}`, outside the workspace.",
                )


@rule("rm", "unlink", "srm")
def deletes(command: Command, ctx: Context) -> Iterator[Finding]:
    """``rm`` with its flags normalised (``-rf``, ``-r -f``, ``-R --force``, ``--recursive``)."""
    args = parse_args(
        command.argv, command.dynamic, aliases={"R": "r", "recursive": "r", "force": "f"}
    )
    yield from judge_delete(command, list(args.operands), args.has("r"), args.has("f"), ctx)


@rule("shred")
def shreds(command: Command, ctx: Context) -> Iterator[Finding]:
    """``shred`` destroys file contents: a device is a disk wipe, a file a forced delete."""
    args = parse_args(command.argv, command.dynamic, takes_value=frozenset("nsx"))
    for word, dynamic in args.operands:
        path = None if dynamic else path_of(word, ctx)
        if path is not None and is_block_device(path):
            yield deny("disk.wipe", f"Blocked {shown(command)}: it wipes the disk `{path}`.")
            return
    yield from judge_delete(command, list(args.operands), False, True, ctx)


@rule("chmod", "chown", "chgrp")
def changes_ownership(command: Command, ctx: Context) -> Iterator[Finding]:
    """Mode or owner changes of system paths, or recursive ones outside the workspace."""
    args = parse_args(
        command.argv,
        command.dynamic,
        aliases={"R": "r", "recursive": "r"},
        takes_value=frozenset({"reference"}),
    )
    operands = list(args.operands)
    if not any(a.startswith("--reference") for a in command.argv):
        operands = operands[1:]  # the mode or owner
    rule_id = "fs.chmod-system" if command.name == "chmod" else "fs.chown-system"
    for word, dynamic in operands:
        path = None if dynamic else path_of(word, ctx)
        if path is None:
            if args.has("r"):
                yield deny(
                    rule_id,
                    f"Blocked {shown(command)}: a recursive change of `{word}`, "
                    "whose value is only known when it runs.",
                )
            continue
        base, _ = glob_base(path)
        if _vital(base, ctx) or is_write_protected(base, ctx.where.home):
            yield deny(
                rule_id,
                f"Blocked {shown(command)}: it changes permissions or ownership "
                f"of `{base}`, a system or home path, which can lock the user "
                "out or open the machine to others.",
            )
        elif not (in_workspace(base, ctx.where) or in_temp(base, ctx.where)):
            if args.has("r"):
                yield deny(
                    rule_id,
                    f"Blocked {shown(command)}: a recursive change of `{base}`, "
                    "outside the workspace.",
                )
            else:
                yield ask(
                    "workspace.outside",
                    f"{shown(command)} changes `{base}`, outside the workspace.",
                )


@rule(
    "mkfs",
    "mke2fs",
    "mkswap",
    "fdisk",
    "sfdisk",
    "cfdisk",
    "parted",
    "gdisk",
    "sgdisk",
    "wipefs",
    "blkdiscard",
    "diskutil",
    "mkdosfs",
    "badblocks",
)
def formats_disks(command: Command, ctx: Context) -> Iterator[Finding]:
    """Partitioning and formatting tools (listing with ``-l`` is fine)."""
    listing = {"-l", "--list", "list", "info", "-s", "--print"} & set(command.argv[1:])
    if command.name in ("fdisk", "sfdisk", "parted", "gdisk", "diskutil") and listing:
        return
    yield deny(
        "disk.format",
        f"Blocked {shown(command)}: it formats, partitions or wipes "
        "disks, destroying the data on them.",
    )


@rule("dd")
def disk_dump(command: Command, ctx: Context) -> Iterator[Finding]:
    """``dd of=...``: onto a device it wipes a disk; elsewhere it is a write."""
    for i, word in enumerate(command.argv[1:], start=1):
        if word.startswith("of="):
            yield from judge_write(command, word[3:], i in command.dynamic, ctx)


@rule("cp", "mv", "tee", "install", "ln", "touch", "truncate", "rsync", "sed", "perl", "mkdir")
def writes_files(command: Command, ctx: Context) -> Iterator[Finding]:
    """Writes to system paths, devices or outside the workspace; ``mv`` also deletes sources."""
    args = parse_args(command.argv, command.dynamic, takes_value=frozenset("tSseomb"))
    operands = list(args.operands)
    if command.name in ("sed", "perl"):
        if not args.has("i") and not any(a.startswith(("-i", "--in-place")) for a in command.argv):
            return
        operands = operands[1:] if not args.has("e") else operands
    targets = operands
    if command.name in ("cp", "mv", "install", "ln", "rsync") and len(operands) > 1:
        targets = operands[-1:]
        if command.name == "mv":
            yield from judge_delete(command, operands[:-1], True, False, ctx)
    for word, dynamic in targets:
        yield from judge_write(command, word, dynamic, ctx)


def judge_write(command: Command, word: str, dynamic: bool, ctx: Context) -> Iterator[Finding]:
    """Judge writing the file ``word``."""
    path = None if dynamic else path_of(word, ctx)
    if path is None:
        yield ask(
            "workspace.outside",
            f"{shown(command)} writes to `{word}`, whose value is only known when it runs.",
        )
    elif is_control(path) or path in ctx.control_files:
        yield deny("csup.self-protect", f"Blocked {shown(command)}: {SELF_PROTECT_REASON}")
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
    elif secret_kind(path, ctx.where.home):
        yield deny(
            "secrets.access", f"Blocked {shown(command)}: it writes `{path}`, a credentials file."
        )
    elif not _inside(path, ctx) and not path.startswith("/dev/"):
        yield ask("workspace.outside", f"{shown(command)} writes `{path}`, outside the workspace.")


@rule(*_FILE_COMMANDS)
def reads_outside(command: Command, ctx: Context) -> Iterator[Finding]:
    """File commands whose operands lie outside the workspace: ask (at ``moderate``)."""
    for i, word in enumerate(command.argv[1:], start=1):
        if i in command.dynamic or word.startswith("-") or ("/" not in word and word != "~"):
            continue
        path = path_of(word, ctx)
        if path is None or in_workspace(path, ctx.where) or in_temp(path, ctx.where):
            continue
        if not path.startswith("/dev/"):
            yield ask(
                "workspace.outside", f"{shown(command)} uses `{path}`, outside the workspace."
            )
            return


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
        elif path is not None and not _inside(path, ctx) and not path.startswith("/dev/"):
            yield ask("workspace.outside", f"The command reads `{path}`, outside the workspace.")
