"""Adding csup's hooks to a Claude Code settings file, and taking them out again.

Claude Code reads command hooks in this nested shape (anything else is ignored)::

    {"hooks": {"PreToolUse": [{"matcher": "*",
                               "hooks": [{"type": "command", "command": "...", "timeout": 60}]}]}}

The rules this module keeps:

* every other key, event and hook in the file stays as it was (csup only adds its own group);
* installing twice equals installing once (nothing is written the second time);
* before the first change the original file is copied to ``<file>.csup-backup``;
* every write is atomic (temporary file beside the target, then ``os.replace``) and keeps the
  file's permissions; a symlinked settings file is written through the link;
* a file that is not a JSON object is an error and nothing is written;
* uninstalling removes only csup's hooks and gives back the file as it was before install:
  byte for byte from the backup when the rest is unchanged, containers csup created are
  removed, and a file csup created is deleted.

csup's hooks are recognised by their command: ``<...>/csup hook EVENT ...`` (or
``python -m csup hook EVENT``), with or without the guard below (older installs had none, and
are upgraded by the next install). No marker key is added: Claude Code validates hook entries.

The guard: Claude Code runs a command hook with ``/bin/sh -c COMMAND`` and lets the tool call
go ahead on any exit code but 0 and 2, so a csup that crashes (a segfault in the shell parser:
139), cannot start (a broken virtualenv: 1, a deleted csup: 127) or is killed (SIGKILL: 137)
would let every call through. The installed command therefore runs csup and maps any other
exit code to 2 with a reason on stderr (:func:`guarded`): the call is denied. For the Stop
hook, failing safe means letting Claude stop, so there any failure becomes exit 1 (a
non-blocking error), never 2 (which would keep the session going).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csup.errors import ConfigError

__all__ = [
    "BACKUP_SUFFIX",
    "DEFAULT_TIMEOUT",
    "SCOPES",
    "Change",
    "HookSpec",
    "csup_argv",
    "desired_hooks",
    "guarded",
    "is_csup_command",
    "plan_install",
    "plan_uninstall",
    "settings_path",
]

SCOPES = ("user", "project", "local")
BACKUP_SUFFIX = ".csup-backup"
DEFAULT_TIMEOUT = 60
"""Seconds Claude Code waits for ``csup hook``. A hook that times out does not block the tool
call, so this is generous; csup itself answers within its stdin deadline (5 s)."""
MIN_TIMEOUT = 30
"""The shortest hook timeout accepted: longer than csup's own watchdog (stdin deadline 5 s
+ 1 + ``DECISION_DEADLINE`` 20 s), so that a hung csup is ended (and the call denied by the
guard) before Claude Code gives up on the hook and runs the call."""

Settings = dict[str, Any]


def guarded(command: str, event: str) -> str:
    """The shell command Claude Code runs for ``command``: its failures fail safe.

    Exit codes 0 and 2 pass through (csup's answer). Any other (a crash, a signal, csup or
    its interpreter missing) becomes exit 2 with a reason on stderr, which denies the tool
    call; for the ``Stop`` event it becomes exit 1, which lets Claude stop. POSIX ``sh``:
    Claude Code runs hooks with ``/bin/sh -c``, which is dash on Debian and Ubuntu.
    """
    if event == "Stop":
        return (
            f"{command}; rc=$?; [ $rc -eq 0 ] && exit 0; "
            'echo "csup stop hook failed (exit status $rc); Claude may stop" >&2; exit 1'
        )
    return (
        f"{command}; rc=$?; case $rc in 0|2) exit $rc;; esac; "
        'echo "csup hook failed (exit status $rc: it crashed, was killed or could not start), so '
        'this tool call is denied to be safe; check the csup install this hook runs" >&2; exit 2'
    )


@dataclass(frozen=True, slots=True)
class HookSpec:
    """One hook csup installs: the Claude Code event, its matcher, command and timeout.

    ``command`` is csup's own command line; the settings file gets it :func:`guarded`.
    """

    event: str  # Claude Code's event name, e.g. "PreToolUse"
    command: str
    timeout: int
    matcher: str | None = "*"

    @property
    def shell_command(self) -> str:
        """The command written to the settings file: ``command`` with its guard."""
        return guarded(self.command, self.event)

    def group(self) -> Settings:
        """The ``{"matcher": ..., "hooks": [...]}`` group for the settings file."""
        hook = {"type": "command", "command": self.shell_command, "timeout": self.timeout}
        group: Settings = {} if self.matcher is None else {"matcher": self.matcher}
        group["hooks"] = [hook]
        return group


@dataclass(frozen=True, slots=True)
class Change:
    """A planned change of one settings file; :meth:`apply` makes it."""

    path: Path
    before: str | None  # the file's text now; None: it does not exist
    after: str | None  # the text to write; None: delete the file
    backup: str | None  # text to save to the backup file first; None: leave the backup alone
    drop_backup: bool  # remove the backup file after the change (it has been restored)
    message: str

    @property
    def changed(self) -> bool:
        """Whether applying would change the settings file."""
        return self.before != self.after

    @property
    def backup_path(self) -> Path:
        """Where the original settings file is kept."""
        return backup_path(self.path)

    def apply(self) -> None:
        """Write the backup (if any), then the settings file, each atomically."""
        if not self.changed:
            return
        target = Path(os.path.realpath(self.path))
        mode = _mode(target)
        if self.backup is not None:
            _atomic_write(self.backup_path, self.backup, mode)
        if self.after is None:
            target.unlink()
        else:
            _atomic_write(target, self.after, mode)
        if self.drop_backup:
            with contextlib.suppress(FileNotFoundError):
                self.backup_path.unlink()


def settings_path(scope: str, *, project_dir: str | os.PathLike[str] | None = None) -> Path:
    """The settings file Claude Code reads for ``scope`` (user, project or local).

    user: ``$CLAUDE_CONFIG_DIR/settings.json`` or ``~/.claude/settings.json``; project:
    ``<project_dir>/.claude/settings.json``; local: ``<project_dir>/.claude/settings.local.json``
    (``project_dir`` defaults to the current directory).
    """
    if scope == "user":
        config_dir = os.environ.get("CLAUDE_CONFIG_DIR")
        base = Path(config_dir).expanduser() if config_dir else Path.home() / ".claude"
        return base / "settings.json"
    root = Path(project_dir if project_dir is not None else os.getcwd()).absolute()
    if scope == "project":
        return root / ".claude" / "settings.json"
    if scope == "local":
        return root / ".claude" / "settings.local.json"
    raise ConfigError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")


def backup_path(path: Path) -> Path:
    """``settings.json`` → ``settings.json.csup-backup`` beside it."""
    return path.with_name(path.name + BACKUP_SUFFIX)


def csup_argv() -> list[str]:
    """The absolute command that runs this csup: its console script, else ``python -m csup``.

    Symlinks are not resolved: a virtualenv's ``bin/csup`` must stay in its virtualenv.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    candidates = []
    if os.path.basename(argv0) == "csup":
        candidates.append(Path(argv0))
    candidates.append(Path(sys.executable).parent / "csup")
    on_path = shutil.which("csup")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [os.path.abspath(candidate)]
    return [os.path.abspath(sys.executable), "-m", "csup"]


def is_csup_command(command: object) -> bool:
    """Whether a hook command is ``<path>/csup hook ...`` or ``<python> -m csup hook ...``.

    Only the first simple command counts (up to ``;``, ``&&``, ``|`` ...), so csup's
    :func:`guarded` commands are recognised, and so are the unguarded ones of older installs.
    """
    if not isinstance(command, str):
        return False
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    try:
        for word in lexer:
            if word and all(c in lexer.punctuation_chars for c in word):
                break
            words.append(word)
    except ValueError:
        return False
    if len(words) >= 2 and os.path.basename(words[0]) == "csup" and words[1] == "hook":
        return True
    return words[1:4] == ["-m", "csup", "hook"]


def _is_csup_hook(hook: object) -> bool:
    return isinstance(hook, dict) and is_csup_command(hook.get("command"))


def desired_hooks(
    *,
    policy: str | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    permission_request: bool = False,
    stop_check: str | None = None,
    stop_check_timeout: int = 300,
    argv: list[str] | None = None,
) -> list[HookSpec]:
    """The hooks ``csup install-hooks`` writes for these options.

    Always PreToolUse for every tool; PermissionRequest on request; Stop when a check
    command is given. A policy file is made absolute (hooks run in the session's directory).
    """
    if timeout < MIN_TIMEOUT:
        raise ConfigError(
            f"a hook timeout of {timeout} s is too short: Claude Code runs the tool call when "
            f"its hook times out, so give csup at least {MIN_TIMEOUT} s"
        )
    base = csup_argv() if argv is None else argv
    policy_args: list[str] = []
    if policy is not None:
        if policy.endswith(".toml") or os.sep in policy or os.path.exists(policy):
            policy = os.path.abspath(os.path.expanduser(policy))
        policy_args = ["--policy", policy]
    specs = [
        HookSpec("PreToolUse", shlex.join([*base, "hook", "pre-tool-use", *policy_args]), timeout)
    ]
    if permission_request:
        command = shlex.join([*base, "hook", "permission-request", *policy_args])
        specs.append(HookSpec("PermissionRequest", command, timeout))
    if stop_check is not None:
        command = shlex.join(
            [
                *base,
                "hook",
                "stop",
                "--check",
                stop_check,
                "--check-timeout",
                str(stop_check_timeout),
            ]
        )
        specs.append(HookSpec("Stop", command, stop_check_timeout + 30, matcher=None))
    return specs


def _read(path: Path) -> tuple[str | None, Settings]:
    """The file's text (None when missing) and its parsed object; ConfigError when bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; nothing was written") from None
    return text, _parse(path, text)


def _parse(path: Path, text: str) -> Settings:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f"{path} is not valid JSON ({exc}); fix or move it and try again. Nothing was written."
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            f"{path} holds a JSON {type(value).__name__}, not an object; nothing was written"
        )
    hooks = value.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise ConfigError(f'{path}: "hooks" is not an object; nothing was written')
    for event, groups in (hooks or {}).items():
        if not isinstance(groups, list):
            raise ConfigError(f'{path}: "hooks.{event}" is not a list; nothing was written')
    return value


def _dump(settings: Settings) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def _strip(settings: Settings, reference: Settings | None) -> tuple[Settings, int]:
    """``settings`` without csup's hooks, and how many were removed.

    A group, event list or ``hooks`` object left empty by the removal is dropped too, unless
    ``reference`` (the file before install) had it.
    """
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return settings, 0
    ref_hooks = (reference or {}).get("hooks")
    ref_hooks = ref_hooks if isinstance(ref_hooks, dict) else None
    removed = 0
    new_hooks: Settings = {}
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            new_hooks[event] = groups
            continue
        new_groups = []
        for group in groups:
            inner = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(inner, list):
                kept = [hook for hook in inner if not _is_csup_hook(hook)]
                if len(kept) != len(inner):
                    removed += len(inner) - len(kept)
                    if not kept:
                        continue
                    group = {**group, "hooks": kept}  # noqa: PLW2901
            new_groups.append(group)
        if new_groups or not groups or (ref_hooks is not None and event in ref_hooks):
            new_hooks[event] = new_groups
    result = dict(settings)
    if new_hooks or not hooks or (reference is not None and "hooks" in reference):
        result["hooks"] = new_hooks
    else:
        del result["hooks"]
    return result, removed


def _add(settings: Settings, specs: list[HookSpec]) -> Settings:
    """``settings`` (without csup hooks) plus csup's groups, appended to their event lists."""
    result = dict(settings)
    hooks = dict(result.get("hooks") or {})
    for spec in specs:
        hooks[spec.event] = [*hooks.get(spec.event, []), spec.group()]
    result["hooks"] = hooks
    return result


def _has_exactly(settings: Settings, specs: list[HookSpec]) -> bool:
    """Whether csup's hooks in ``settings`` are exactly ``specs``, each in its own group."""
    found = []
    for event, groups in (settings.get("hooks") or {}).items():
        for group in groups:
            inner = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(inner, list) and any(_is_csup_hook(hook) for hook in inner):
                found.append((event, group))
    return sorted(found, key=repr) == sorted(((s.event, s.group()) for s in specs), key=repr)


def plan_install(path: Path, specs: list[HookSpec]) -> Change:
    """Plan adding ``specs`` to the settings file at ``path`` (replacing csup's older hooks)."""
    before, settings = _read(path)
    if _has_exactly(settings, specs):
        return Change(path, before, before, None, False, f"csup's hooks are already in {path}")
    pristine, removed = _strip(settings, None)
    after = _dump(_add(pristine if removed else settings, specs))
    # The backup holds the file as it was before csup touched it: write it only now, while
    # the file has no csup hooks. Re-installing with other options keeps the first backup.
    backup = before if before is not None and not removed else None
    events = ", ".join(spec.event for spec in specs)
    verb = "updated" if removed else "installed"
    message = f"{verb} csup's hooks ({events}) in {path}"
    if backup is not None:
        message += f"; the previous file is kept in {backup_path(path)}"
    return Change(path, before, after, backup, before is None, message)


def plan_uninstall(path: Path) -> Change:
    """Plan taking csup's hooks out of the settings file at ``path``."""
    before, settings = _read(path)
    backup_file = backup_path(path)
    reference_text: str | None = None
    reference: Settings | None = None
    with contextlib.suppress(OSError, UnicodeDecodeError, ConfigError):
        reference_text = backup_file.read_text(encoding="utf-8")
        reference = _parse(backup_file, reference_text)
    stripped, removed = _strip(settings, reference)
    if not removed:
        return Change(path, before, before, None, False, f"no csup hooks in {path}")
    if reference is not None and reference_text is not None and stripped == reference:
        message = f"removed csup's hooks from {path} (restored from {backup_file})"
        return Change(path, before, reference_text, None, True, message)
    if reference is None and not stripped:
        return Change(path, before, None, None, False, f"removed {path} (csup had created it)")
    return Change(path, before, _dump(stripped), None, False, f"removed csup's hooks from {path}")


def _mode(path: Path) -> int:
    """The permissions to give a rewritten file: its own, or the umask's default for new."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _atomic_write(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
