"""Where a path really points, and what kind of place that is.

Paths are resolved the way the tool would: against the session's cwd, with ``~``, ``$HOME``,
``$PWD``, ``..`` and symlinks followed (``os.path.realpath``), so that neither
``../../etc/passwd`` nor a symlink in the workspace pointing at ``~/.ssh`` escapes the
workspace check. Also the classes of places the rules care about: secrets, the files that
would switch csup off, system directories, temporary directories.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from csup._lazy_re import LazyRegex
from csup._record import Frozen

SYSTEM_DIRS = frozenset(
    {
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/media",
        "/mnt",
        "/nix",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/snap",
        "/srv",
        "/sys",
        "/usr",
        "/var",
        "/Applications",
        "/Library",
        "/System",
        "/Users",
        "/Volumes",
        "/private",
    }
)
"""Top-level directories of the system: deleting or rewriting these breaks the machine."""
_WRITE_PROTECTED = (
    "/bin",
    "/boot",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/sbin",
    "/sys",
    "/proc",
    "/usr",
    "/System",
    "/Library",
    "/var/lib",
    "/private/etc",
)
HARMLESS_DEVICES = frozenset(
    {
        "/dev/null",
        "/dev/zero",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/stdin",
        "/dev/tty",
        "/dev/random",
        "/dev/urandom",
        "/dev/full",
    }
)
_STARTUP_FILES = frozenset(
    {
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".profile",
        ".zshrc",
        ".zshenv",
        ".zprofile",
        ".zlogin",
        ".config/fish/config.fish",
        ".inputrc",
        ".bash_logout",
        ".bash_aliases",
        ".zlogout",
        ".cshrc",
        ".tcshrc",
        ".kshrc",
        ".mkshrc",
        ".xprofile",
        ".xinitrc",
        ".xsession",
        ".xsessionrc",
        ".pam_environment",
    }
)

_AUTOSTART_DIRS = (
    ".config/autostart",
    ".config/systemd",
    "Library/LaunchAgents",
    ".local/share/systemd",
    ".config/environment.d",
    ".config/fish/conf.d",
    ".config/fish/functions",
)
"""Directories in the home whose files run at log-in, like the shell start-up files."""
CONTROL_RE = LazyRegex(
    r"""(?<![\w-])\.csup(?![\w-])
      | \.config/csup(?![\w-])
      | \.local/state/csup(?![\w-])
      | Library/Application\ Support/csup(?![\w-])
      | (?<![\w.-])\.claude(?:/(?:settings[^/\s'"]*\.json|hooks)(?![\w-]) | /?(?![\w/.-]))
      | /etc/claude-code\b
      | site-packages/csup(?:/|-[\w.]*dist-info|\.pth|$)
      | /bin/csup$""",
    re.VERBOSE,
)
"""Text naming a file that would switch csup off: csup's config and state (the hook's memory
of what the session wrote), Claude Code's settings and hooks (``.claude/settings*.json``,
``.claude/hooks``, the ``.claude`` directory itself), csup as installed
(``site-packages/csup/``, the ``csup`` script)."""

_SECRET_NAME = LazyRegex(
    r"""^(?: \.env(?:\.(?!(?:[\w-]+\.)*(?:example|sample|template|tpl|dist|defaults?|schema)
                        (?:\.[\w-]+)*$)
                  [\w. -]+)?
         | \.netrc | \.pgpass | \.git-credentials | \.pypirc | \.vault-token
         | \.envrc | \.my\.cnf | \.htpasswd
         | id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?
         | .*\.(?:pem|p12|pfx|keychain|keychain-db|gpg|key|ppk|jks|keystore|kdbx|tfstate
                 |tfstate\.backup)
         | credentials\.json | service[-_]account.*\.json | secrets?\.(?:json|ya?ml|toml) )$""",
    re.VERBOSE,
)
_SECRET_HOME_DIRS = (
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gcloud",
    ".azure",
    ".kube",
    ".docker/config.json",
    "Library/Keychains",
    ".password-store",
    ".local/share/keyrings",
    ".config/gh/hosts.yml",
    ".npmrc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".gem/credentials",
    ".composer/auth.json",
    ".config/composer/auth.json",
    ".config/op",
    ".terraform.d/credentials.tfrc.json",
    ".config/hub",
    # coding agents' own credentials
    ".claude/.credentials.json",
    ".claude.json",
    ".codex/auth.json",
    ".gemini/oauth_creds.json",
    ".config/github-copilot",
    ".local/share/opencode/auth.json",
    ".aider.oauth-keys.env",
    ".copilot/config.json",
    ".cursor/auth.json",
    ".grok/auth.json",
    ".pi/agent/auth.json",
    ".kimi-code/server.token",
    ".factory/auth.encrypted",
    ".factory/auth.v2.file",
    ".factory/auth.v2.key",
    ".local/share/devin/credentials.toml",
    ".local/share/devin/mcp/oauth",
    ".local/share/amp/secrets.json",
    # shell and REPL histories: commands typed with tokens in them
    ".bash_history",
    ".zsh_history",
    ".histfile",
    ".local/share/fish/fish_history",
    ".python_history",
    ".psql_history",
    ".mysql_history",
    ".node_repl_history",
    ".sqlite_history",
    ".rediscli_history",
    # browser profiles: saved passwords, cookies, session tokens
    ".config/google-chrome",
    ".config/chromium",
    ".config/BraveSoftware",
    ".config/microsoft-edge",
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla",
    "Library/Application Support/Google/Chrome",
    "Library/Application Support/Firefox",
    "Library/Application Support/BraveSoftware",
    "Library/Cookies",
    "Library/Safari",
)
_SECRET_SYSTEM = LazyRegex(
    r"^/(?:(?:private/)?etc/(?:g?shadow|sudoers|master\.passwd)(?:$|[/.-])|proc/[^/]+/environ$)"
)
TEMP_DIRS = ("/tmp", "/var/tmp", "/private/tmp")  # noqa: S108 - not used to create files
_GLOB = LazyRegex(r"[*?\[]")


class Where(Frozen):
    """What a relative path is resolved against, and what counts as inside.

    ``cwd``: the directory relative paths start from; None once a ``cd`` made it unknown.
    ``workspace``: workspace roots, already resolved (cwd plus configured extra dirs).
    ``temp``: temporary directories, where deleting is fine.
    """

    __slots__ = ("cwd", "home", "workspace", "temp")  # noqa: RUF023 - constructor order

    cwd: str | None
    home: str
    workspace: tuple[str, ...]
    temp: tuple[str, ...]

    def __init__(
        self, cwd: str | None, home: str, workspace: tuple[str, ...], temp: tuple[str, ...] = ()
    ) -> None:
        object.__setattr__(self, "cwd", cwd)
        object.__setattr__(self, "home", home)
        object.__setattr__(self, "workspace", workspace)
        object.__setattr__(self, "temp", temp)


def make_where(cwd: str, home: str, extra_dirs: tuple[str, ...] = ()) -> Where:
    """Build a :class:`Where` for a session in ``cwd`` with extra workspace dirs."""
    return _make_where(cwd, home, extra_dirs, os.environ.get("TMPDIR"))


@lru_cache(maxsize=64)
def _make_where(cwd: str, home: str, extra_dirs: tuple[str, ...], tmpdir: str | None) -> Where:
    roots = [os.path.realpath(cwd)]
    for extra in extra_dirs:
        path = expand(extra, cwd, home)
        if path is not None:
            roots.append(os.path.realpath(path))
    temp = list(TEMP_DIRS)
    if tmpdir and os.path.isabs(tmpdir):
        temp.append(os.path.realpath(tmpdir))
    return Where(cwd, home, tuple(roots), tuple(temp))


def expand(word: str, cwd: str | None, home: str) -> str | None:
    """The absolute, normalised path ``word`` names, or None if it is not known before running.

    Symlinks are not followed here (see :func:`real`).
    """
    text = word
    if text == "~" or text.startswith("~/"):
        text = home + text[1:]
    elif text.startswith("~"):
        user, _, rest = text[1:].partition("/")
        if not re.fullmatch(r"[\w.-]+", user):
            return None
        base = "/root" if user == "root" else os.path.join(os.path.dirname(home), user)
        text = base + ("/" + rest if rest else "")
    if "$" in text:
        expanded = _expand_variables(text, cwd, home)
        if expanded is None:
            return None
        text = expanded
    if "$" in text or "`" in text or "\x00" in text:
        return None
    if not text.startswith("/"):
        if cwd is None:
            return None
        text = os.path.join(cwd, text)
    return os.path.normpath(text).replace("//", "/")


HOME_VARIABLES = {
    "CODEX_HOME": ".codex",  # OpenAI Codex: config, auth.json, sessions
    "CLAUDE_CONFIG_DIR": ".claude",  # Claude Code: settings, .credentials.json
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
    "GNUPGHOME": ".gnupg",
    "DOCKER_CONFIG": ".docker",
    "CARGO_HOME": ".cargo",
    "PASSWORD_STORE_DIR": ".password-store",
}
"""Variables naming a tool's directory in the home, with where it is when they are unset:
``cat "$CODEX_HOME/auth.json"`` reads ``~/.codex/auth.json`` unless the session set it."""
_HOME_VARIABLE = LazyRegex(r"\$(?:\{(%s)\}|(%s)\b)" % (("|".join(HOME_VARIABLES),) * 2))


def _home_variable(match: re.Match[str], home: str) -> str:
    name = match.group(1) or match.group(2)
    return os.environ.get(name) or f"{home.rstrip('/')}/{HOME_VARIABLES[name]}"


def _expand_variables(text: str, cwd: str | None, home: str) -> str | None:
    """``$HOME``, ``$TMPDIR``, ``$PWD`` and the :data:`HOME_VARIABLES` (braced or not)
    replaced; None if ``$PWD`` is unknown."""
    text = re.sub(r"\$(?:\{HOME\}|HOME\b)", lambda _: home, text)
    if "HOME" in text or "_DIR" in text or "XDG_" in text or "CONFIG" in text:
        text = _HOME_VARIABLE.sub(lambda m: _home_variable(m, home), text)
    text = re.sub(
        r"\$(?:\{TMPDIR\}|TMPDIR\b)", lambda _: os.environ.get("TMPDIR", TEMP_DIRS[0]), text
    )
    if re.search(r"\$(?:\{PWD\}|PWD\b)", text):
        if cwd is None:
            return None
        text = re.sub(r"\$(?:\{PWD\}|PWD\b)", lambda _: cwd, text)
    return text


def real(path: str) -> str:
    """``path`` with every symlink resolved (missing tails kept as written).

    Device paths are kept as named: ``/dev/stdout`` and ``/dev/fd/3`` lead through this
    process's own descriptors (``/proc/self/fd``), not the command's."""
    if path.startswith("/dev/"):
        return os.path.normpath(path)
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def is_under(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or inside it (both absolute and normalised)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def in_workspace(path: str, where: Where) -> bool:
    """Whether ``path`` (resolved) lies in one of the workspace roots."""
    return any(is_under(path, root) for root in where.workspace)


_MACOS_TEMP = LazyRegex(r"(?:/private)?/var/folders/[^/]+/[^/]+/T/[^/]")
"""Inside macOS's per-user temporary directory (``$TMPDIR`` there), given literally."""


def in_temp(path: str, where: Where) -> bool:
    """Whether ``path`` lies inside (not at) a temporary directory.

    Never the home directory or what is in it, nor a directory holding the workspace, even
    when they lie in a temporary directory themselves (``HOME=/tmp/u``, a workspace made by
    ``mktemp -d``): the exemption is for scratch files, not for the user's.
    """
    in_a_root = any(path != root and is_under(path, root) for root in where.temp)
    if not in_a_root and not _MACOS_TEMP.match(path):
        return False
    if where.home not in ("", "/") and is_under(path, where.home):
        return False
    return not any(is_under(root, path) for root in where.workspace)


def inside(path: str, where: Where) -> bool:
    """In the workspace or a temporary directory: where a session may do as it likes."""
    return in_workspace(path, where) or in_temp(path, where)


def glob_base(path: str) -> tuple[str, bool]:
    """For a glob, the directory it expands in and whether it takes all of it.

    ``/etc/*`` -> ``("/etc", True)``; ``./build/*.o`` -> ``("./build", False)``; a path
    without a glob -> ``(path, True)``.
    """
    match = _GLOB.search(path)
    if match is None:
        return path, True
    base = path[: match.start()].rsplit("/", 1)[0] if "/" in path[: match.start()] else "."
    base = base or "/"
    rest = path[len(base) :].lstrip("/")
    return base, rest in ("*", ".*", "**", "*/", "**/*", "*/*")


def is_control(path: str) -> bool:
    """Whether writing ``path`` could switch csup off (or make it forget the session)."""
    if path in _state[0] or path.startswith(_state[1]):
        return True
    # Every match holds ".c" or "/etc/claude-code": most paths need no regex at all.
    if ".c" not in path and "/etc/claude-code" not in path and "csup" not in path:
        return False
    return CONTROL_RE.search(path) is not None


_state: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
"""csup's state directory (as written and resolved), and the same with a final ``/``: the
paths :func:`is_control` finds in it. Set by :func:`note_state_dir` on every decision."""


def note_state_dir() -> None:
    """Take csup's state directory from the environment now (``$CSUP_STATE_DIR``,
    ``$XDG_STATE_HOME``, ``$HOME``) for :func:`is_control`; the policy calls this once per
    decision, so that checking a path costs no environment lookups."""
    global _state  # noqa: PLW0603 - one tuple, replaced whole: safe to read from any thread
    env = os.environ
    _state = _state_roots(env.get("CSUP_STATE_DIR"), env.get("XDG_STATE_HOME"), env.get("HOME"))


@lru_cache(maxsize=8)
def _state_roots(*_env: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The state directory as written and resolved, without and with a final ``/`` (cached by
    the variables it depends on)."""
    from csup.statedir import state_dir  # noqa: PLC0415

    path = os.path.normpath(state_dir())
    roots = tuple(dict.fromkeys((path, real(path))))
    return roots, tuple(f"{root.rstrip('/')}/" for root in roots)


# What every name _SECRET_NAME matches starts or ends with ($ also matches before a final
# newline): most names need no regex at all.
_SECRET_NAME_STARTS = (".", "id_", "credentials", "service", "secret")
_SECRET_NAME_ENDS = ("pem", "p12", "pfx", "keychain", "keychain-db", "gpg", "key", "ppk", "jks",
                     "keystore", "kdbx", "tfstate", "tfstate.backup")  # fmt: skip


def secret_kind(path: str, home: str) -> str | None:
    """What secret ``path`` holds (``"an SSH key"``...), or None if it is no known secret."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name.endswith(".pub"):
        return None
    if (
        name.startswith(_SECRET_NAME_STARTS) or name.removesuffix("\n").endswith(_SECRET_NAME_ENDS)
    ) and _SECRET_NAME.match(name):
        return "an environment file" if name.startswith(".env") else "a credentials file"
    if path.startswith(("/etc/", "/proc/", "/private/etc/")) and _SECRET_SYSTEM.match(path):
        return "a system credentials file"
    if not path.startswith(home.rstrip("/") + "/"):
        return None
    match = _home_secrets(home).match(path)
    return f"credentials in ~/{match.group(1)}" if match else None


_AGENT_SETTINGS = (
    ".codex/config.toml",
    ".codex/hooks.json",
    ".codex/requirements.toml",
    ".gemini/settings.json",
    ".cursor/cli-config.json",
    ".cursor/hooks.json",
    ".config/opencode/opencode.json",
    ".config/opencode/opencode.jsonc",
    ".factory/settings.json",
    ".config/amp/settings.json",
    ".aider.conf.yml",
)
"""Other coding agents' own settings and hooks in the home directory, where their approval,
sandbox and hook checks are switched off (the analogue of ``~/.claude/settings.json``)."""


def agent_settings(path: str, home: str) -> str | None:
    """``path`` as ``~/...`` when it is another coding agent's settings or hooks file."""
    top = home.rstrip("/")
    if not top or not path.startswith(top + "/"):
        return None
    inner = path[len(top) + 1 :]
    return f"~/{inner}" if inner in _AGENT_SETTINGS else None


def holds_secret(path: str, home: str) -> str | None:
    """A credential store inside the directory ``path`` (``~/.config`` holds
    ``~/.config/gcloud``; the home directory holds them all), as ``~/...``; None if none.

    For what copies or sends a directory whole (``rsync -a ~/.config/gh/ host:``,
    ``tar cz ~/.config``): listing such a directory reads nothing.
    """
    top = home.rstrip("/")
    if not top:
        return None
    folder = path.rstrip("/") or "/"
    if folder == top or top.startswith(folder.rstrip("/") + "/"):
        return "~/.ssh"  # the home directory itself, or a directory holding it
    if not folder.startswith(top + "/"):
        return None
    inner = folder[len(top) + 1 :] + "/"
    return next((f"~/{d}" for d in _SECRET_HOME_DIRS if d.startswith(inner)), None)


@lru_cache(maxsize=16)
def _home_secrets(home: str) -> re.Pattern[str]:
    dirs = "|".join(re.escape(d) for d in _SECRET_HOME_DIRS)
    return re.compile(rf"{re.escape(home.rstrip('/'))}/({dirs})(?:/|$)")


_PROBE_NAMES = (
    ".env", ".env.local", ".env.production", ".envrc", ".netrc", ".pgpass", ".git-credentials",
    "id_rsa", "id_ed25519", "id_ecdsa", "credentials", "credentials.json", "secrets.yaml",
    "secrets.json", "terraform.tfstate", "shadow", ".ssh", ".aws", ".gnupg", ".kube", ".docker",
    ".claude", ".csup", ".config", "settings.json", "settings.local.json", "policy.toml", "hooks",
    "csup", "config.json",
)  # fmt: skip
"""Names a glob is tried against (``.e?v``, ``.cla*``): secrets and csup's switches."""


def glob_probes(path: str, *, filesystem: bool = False, limit: int = 64) -> list[str]:
    """``path``, or for a glob the sensitive paths it may match (and, with ``filesystem``,
    the files it matches now).

    A glob component with a literal start (``.e?v``, ``.cla*``, ``id_*``) is tried against
    :data:`_PROBE_NAMES`; a bare ``*`` is not (it matches no dot-file in bash).
    """
    if _GLOB.search(path) is None:
        return [path]
    from fnmatch import fnmatchcase  # noqa: PLC0415 - globs are rare
    from itertools import islice, product  # noqa: PLC0415

    out = [path]
    if filesystem and path.startswith("/") and _GLOB.search(path.rsplit("/", 1)[0]) is None:
        import glob  # noqa: PLC0415

        out += list(islice(glob.iglob(path), limit))
    options: list[list[str]] = []
    for part in path.split("/"):
        match = _GLOB.search(part)
        if match is None or not match.start():
            options.append([part])
            continue
        options.append([n for n in _PROBE_NAMES if fnmatchcase(n, part)] or [part])
    out += ["/".join(c) for c in islice(product(*options), limit)]
    return list(dict.fromkeys(out))


def is_system(path: str) -> bool:
    """Whether ``path`` is the root, a system top-level directory or inside one."""
    return path == "/" or any(is_under(path, d) for d in SYSTEM_DIRS)


def is_write_protected(path: str, home: str) -> bool:
    """Whether writing ``path`` changes the system or the user's shell start-up."""
    if path.startswith("/dev/"):
        return path not in HARMLESS_DEVICES and not path.startswith(("/dev/fd/", "/dev/shm/"))  # noqa: S108
    if any(is_under(path, d) for d in _WRITE_PROTECTED):
        return True
    if any(path == f"{home}/{name}" for name in _STARTUP_FILES):
        return True
    return any(is_under(path, f"{home}/{name}") for name in _AUTOSTART_DIRS)


def is_block_device(path: str) -> bool:
    """Whether ``path`` names a disk or partition device."""
    return (
        re.match(r"^/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|md|dm-|loop|mapper/)", path)
        is not None
    )
