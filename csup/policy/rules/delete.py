"""Rules on destroying files: deletes, permission and owner changes, disk formatting.

A delete inside the workspace or a temporary directory is fine (``rm -rf ./dist``); a
recursive or forced delete anywhere else, of the workspace itself, of the home directory or a
system directory, or of a path only known at run time is denied. Paths are judged where they
really point (see :mod:`csup.policy.programs.paths`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from csup._lazy_re import LazyRegex
from csup.policy.programs.flags import parse_args
from csup.policy.programs.paths import (
    SYSTEM_DIRS,
    expand,
    glob_base,
    glob_probes,
    in_temp,
    inside,
    is_block_device,
    is_control,
    is_under,
    is_write_protected,
    real,
)
from csup.policy.rules.base import Context, Finding, ask, deny, path_of, relink, rule, shown
from csup.policy.syntax.command import Command
from csup.policy.syntax.text import expand_braces

_CONTROL_NAMES = frozenset(
    {"settings.json", "settings.local.json", "policy.toml", "*.json", "*.toml"}
)
"""Names that, found by ``find -name NAME -delete``, may be csup's or Claude Code's settings."""


def _delete_target(word: str, ctx: Context) -> tuple[str, bool] | None:
    """Where a delete of ``word`` lands and whether all of it.

    A symlink is deleted itself, not its target, unless written with a trailing ``/``.
    """
    path = expand(word, ctx.where.cwd, ctx.where.home)
    if path is None:
        return None
    base, whole = glob_base(path)
    if base == "/" or word.endswith("/") or base != path:
        # a trailing slash, or a glob below it, goes through a link to its target
        return relink(real(base), ctx), whole
    parent, name = os.path.split(base)
    return os.path.join(relink(real(parent), ctx), name), whole


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
                # a `trap` handler deleting a variable is the clean-up idiom of scripts
                # (`trap 'rm -rf "$tmpdir"' EXIT`): its value is the script's own
                if recursive and "trap" not in command.via:
                    yield deny(
                        "fs.rm-unknown-target",
                        f"Blocked {shown(command)}: a recursive delete of `{text}`, whose "
                        "value is only known when it runs. Delete literal paths inside "
                        "the workspace instead.",
                    )
                continue
            path, whole = target
            recursive = recursive or "/**/" in text  # every file below (`find -exec rm`)
            if (
                any(
                    is_control(p)
                    for p in glob_probes(expand(text, ctx.where.cwd, ctx.where.home) or path)
                )
                or is_control(path)  # where a symlink leads (`rm -rf link/`)
                or (not whole and is_control(path + "/"))
                or ("/**/" in text and text.rsplit("/", 1)[-1] in _CONTROL_NAMES)
            ):
                yield deny(
                    "csup.self-protect",
                    f"Blocked {shown(command)}: it would remove a file that keeps csup in "
                    "control (csup's config and state, or Claude Code's settings and hooks).",
                )
            elif _vital(path, ctx) and whole and (recursive or forced):
                yield deny(
                    "fs.rm-root-or-home",
                    f"Blocked {shown(command)}: a {what} delete of `{path}`, the root, "
                    "the home directory, a system directory or a parent of the workspace. "
                    "Delete only the specific paths you created.",
                )
            elif path in ctx.where.temp and whole and (recursive or forced):
                # the exemption is for the session's scratch files (`rm -rf /tmp/build`),
                # not for every program's: `rm -rf /tmp/*` takes live sockets with it
                yield deny(
                    "fs.rm-outside-workspace",
                    f"Blocked {shown(command)}: it empties the shared temporary directory "
                    f"`{path}`, with other programs' sockets and files in it (tmux, ssh-agent, "
                    "X11, other sessions). Delete only the paths you created there.",
                )
            elif recursive and whole and any(path == f"{r}/.git" for r in ctx.where.workspace):
                yield deny(
                    "git.history-rewrite",
                    f"Blocked {shown(command)}: it deletes the repository (`{path}`) with its "
                    "whole history, stashes and unpushed commits. Ask the user to do this.",
                )
            elif any(path == root for root in ctx.where.workspace) and whole and recursive:
                yield deny(
                    "fs.rm-workspace",
                    f"Blocked {shown(command)}: it deletes the whole workspace "
                    f"(`{path}`). Delete the specific files or directories instead, "
                    "e.g. `rm -rf ./build`.",
                )
            elif inside(path, ctx.where) or (not whole and in_temp(path + "/x", ctx.where)):
                continue
            elif is_write_protected(path, ctx.where.home) and not (recursive or forced):
                yield deny(
                    "fs.write-system",
                    f"Blocked {shown(command)}: it deletes `{path}`, a system file or a shell "
                    "start-up file.",
                )
            elif recursive or forced or _in_home(path, ctx):
                # a plain `rm` asks nothing of an agent either: a file of the user's is gone
                yield deny(
                    "fs.rm-outside-workspace",
                    f"Blocked {shown(command)}: a {what} delete of `{path}`, outside the "
                    "workspace. Sessions may only delete inside their workspace or a "
                    "temporary directory.",
                )
            else:
                yield ask(
                    "workspace.outside",
                    f"{shown(command)} deletes `{path}`, outside the workspace.",
                )


def _in_home(path: str, ctx: Context) -> bool:
    """In the user's home directory (a real one: not ``/``), outside its cache
    (``~/.cache/tool/lock``: what is there is made again)."""
    home = ctx.where.home
    if home in ("", "/") or not is_under(path, home):
        return False
    return not path.startswith(home.rstrip("/") + "/.cache/")


@rule("rm", "unlink", "srm")
def deletes(command: Command, ctx: Context) -> Iterator[Finding]:
    """``rm`` with its flags normalised (``-rf``, ``-r -f``, ``-R --force``, ``--recursive``)."""
    args = parse_args(
        command.argv, command.dynamic, aliases={"R": "r", "recursive": "r", "force": "f"}
    )
    yield from judge_delete(command, list(args.operands), args.has("r"), args.has("f"), ctx)


@rule("rimraf", "del", "del-cli", "trash", "trash-put", "rmtrash", "gtrash", "gio")
def deletes_like_rm_rf(command: Command, ctx: Context) -> Iterator[Finding]:
    """``rimraf PATH``, ``del-cli PATH`` (npm's ``rm -rf``), and the trash commands
    (``trash``, ``trash-put``, ``gio trash``, ``gtrash put``): every operand, recursively.

    A trashed home or workspace can be fished back out, but only by a person who knows where
    to look; until then everything that lived there is gone, so trash is judged like ``rm``.
    """
    argv, dynamic = command.argv, command.dynamic
    if command.name in ("gio", "gtrash"):
        if len(argv) < 2 or argv[1] not in ("trash", "put") or 1 in dynamic:
            return
        argv, dynamic = argv[1:], frozenset(i - 1 for i in dynamic if i > 0)
    args = parse_args(argv, dynamic)
    operands = [(t, d) for t, d in args.operands if d or not t.startswith("-")]
    yield from judge_delete(command, operands, True, True, ctx)


@rule("shred")
def shreds(command: Command, ctx: Context) -> Iterator[Finding]:
    """``shred`` destroys file contents: a device is a disk wipe, a file a forced delete."""
    args = parse_args(command.argv, command.dynamic, takes_value=frozenset("nsx"))
    for word, dynamic in args.operands:
        path = None if dynamic else path_of(word, ctx)
        if path is not None and is_block_device(path):
            yield deny("disk.wipe", f"Blocked {shown(command)}: it wipes the disk `{path}`.")
    yield from judge_delete(command, list(args.operands), False, True, ctx)


@rule("chmod", "chown", "chgrp", "chattr", "setfacl")
def changes_ownership(command: Command, ctx: Context) -> Iterator[Finding]:
    """Mode, owner, attribute (``chattr -i``) or ACL changes of system paths, or recursive
    ones outside the workspace."""
    if command.name in ("chattr", "setfacl"):
        operands, recursive = _attribute_operands(command)
    else:
        args = parse_args(
            command.argv,
            command.dynamic,
            aliases={"R": "r", "recursive": "r"},
            takes_value=frozenset({"reference"}),
        )
        operands = list(args.operands)
        if not any(a.startswith("--reference") for a in command.argv):
            operands = operands[1:]  # the mode or owner
        recursive = args.has("r")
    rule_id = "fs.chown-system" if command.name in ("chown", "chgrp") else "fs.chmod-system"
    for word, dynamic in operands:
        path = None if dynamic else path_of(word, ctx)
        if path is None:
            if recursive:
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
        elif not inside(base, ctx.where):
            if recursive:
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


_CHATTR_MODE = LazyRegex(r"[-+=][aAcCdDeFijmPsStTux]+")
_TAKES_VALUE = {"chattr": ("-v", "-p"), "setfacl": ("-m", "-M", "-x", "-X", "--set", "--set-file",
                "--modify", "--modify-file", "--remove", "--remove-file")}  # fmt: skip


def _attribute_operands(command: Command) -> tuple[list[tuple[str, bool]], bool]:
    """The paths ``chattr MODE PATH...`` or ``setfacl -m ACL PATH...`` change, and -R."""
    takes_value = _TAKES_VALUE[command.name]
    operands: list[tuple[str, bool]] = []
    recursive, skip, options = False, False, True
    for i, word in enumerate(command.argv[1:], start=1):
        dynamic = i in command.dynamic
        if skip:
            skip = False
        elif options and word == "--":
            options = False
        elif options and not dynamic and word.split("=", 1)[0] in takes_value:
            skip = "=" not in word
        elif command.name == "chattr" and not dynamic and _CHATTR_MODE.fullmatch(word):
            continue  # `chattr -i f`: the attributes, not a path
        elif options and not dynamic and word.startswith("-") and word != "-":
            recursive = (
                recursive or word in ("--recursive",) or (not word.startswith("--") and "R" in word)
            )
            if command.name == "setfacl" and not word.startswith("--") and word[-1] in "mMxX":
                skip = True  # `setfacl -Rm ACL PATH`
        else:
            operands.append((word, dynamic))
    return operands, recursive


_IMAGE_SUFFIXES = (".img", ".image", ".raw", ".bin", ".iso", ".qcow2", ".vhd", ".vmdk", ".dmg")


def _only_image_files(command: Command, ctx: Context) -> bool:
    """Whether the tool works on a disk image file in the workspace (``mkfs.ext4 ./disk.img``)."""
    if command.dynamic:
        return False
    files = [
        w
        for w in command.argv[1:]
        if not w.startswith("-") and ("/" in w or w.endswith(_IMAGE_SUFFIXES))
    ]
    for word in files:
        path = path_of(word, ctx)
        if path is None or path.startswith("/dev/") or not inside(path, ctx.where):
            return False
    return bool(files)


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
    if command.name != "diskutil" and _only_image_files(command, ctx):
        return
    yield deny(
        "disk.format",
        f"Blocked {shown(command)}: it formats, partitions or wipes "
        "disks, destroying the data on them.",
    )
