"""Adding an ``[[exception]]`` to a policy file, as ``csup allow`` does, and which file.

The file is the user's: their comments, order and spacing stay byte for byte. The new table
is rendered by tomlkit (which quotes any pattern correctly) and appended after the last
byte of the file, so nothing before it moves; tomlkit parses the file first (a file it
cannot round-trip is refused) and the normal reader (tomllib, :func:`read_policy_file`)
reads the result before the command reports success: a file that no longer parses is put
back as it was. The write is atomic (a temporary file renamed over it) and keeps the
file's mode.

Which file (:func:`policy_file_in_effect`, :func:`project_file`, :func:`user_file`)
follows :func:`~csup.policy.resolve_policy`: the first found wins, so an exception written
anywhere else would not apply.
"""

from __future__ import annotations

import contextlib
import os

from csup._record import Frozen
from csup.errors import ConfigError, PolicyFileError
from csup.policy._file import LEVELS, read_policy_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.policy._exceptions import Exemption

_set = object.__setattr__


def user_file() -> str:
    """The user's policy file: ``~/.config/csup/policy.toml``."""
    return os.path.join(os.path.expanduser("~"), ".config", "csup", "policy.toml")


def _nearest_project_file(cwd: str) -> str | None:
    directory = os.path.abspath(cwd)
    while True:
        candidate = os.path.join(directory, ".csup", "policy.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _git_top(cwd: str) -> str | None:
    directory = os.path.abspath(cwd)
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def project_file(cwd: str) -> str:
    """The project's policy file for ``cwd``: the nearest ``.csup/policy.toml`` in it or a
    parent; else a new one at the top of its git repository; else in ``cwd``."""
    found = _nearest_project_file(cwd)
    if found is not None:
        return found
    top = _git_top(cwd) or os.path.abspath(cwd)
    return os.path.join(top, ".csup", "policy.toml")


def policy_file_in_effect(cwd: str) -> tuple[str | None, str]:
    """The policy file :func:`~csup.policy.resolve_policy` reads for ``cwd``, and why.

    (None, why) when none is: ``$CSUP_POLICY`` names a level, or no file exists.
    """
    from_env = os.environ.get("CSUP_POLICY")
    if from_env:
        if from_env in LEVELS or not os.path.isfile(from_env):
            return None, f"$CSUP_POLICY={from_env}"
        return os.path.abspath(from_env), f"$CSUP_POLICY={from_env}"
    found = _nearest_project_file(cwd)
    if found is not None:
        return found, "the project's file"
    if os.path.isfile(user_file()):
        return user_file(), "the user's file"
    return None, "no policy file (the default level)"


class Written(Frozen):
    """What :func:`add_exception` did: where, whether it changed or created the file, the
    text it added, and the file the new one was started from (if any)."""

    __slots__ = ("path", "changed", "created", "added", "seeded_from")  # noqa: RUF023

    path: str
    changed: bool
    created: bool
    added: str
    seeded_from: str | None

    def __init__(
        self, path: str, changed: bool, created: bool, added: str, seeded_from: str | None
    ) -> None:
        _set(self, "path", path)
        _set(self, "changed", changed)
        _set(self, "created", created)
        _set(self, "added", added)
        _set(self, "seeded_from", seeded_from)


def render(exemption: Exemption) -> str:
    """The ``[[exception]]`` table for ``exemption``, as tomlkit writes it."""
    import tomlkit  # noqa: PLC0415 - only `csup allow` edits files

    table = tomlkit.table()
    table["rule"] = exemption.rule
    if exemption.pattern is not None:
        table["pattern"] = exemption.pattern
    if exemption.note is not None:
        table["note"] = exemption.note
    aot = tomlkit.aot()
    aot.append(table)
    document = tomlkit.document()
    document.append("exception", aot)
    return tomlkit.dumps(document)


def add_exception(
    path: str, exemption: Exemption, *, seed_from: str | None = None, dry_run: bool = False
) -> Written:
    """Append ``exemption`` to the policy file at ``path`` (created if absent, started from
    the text of ``seed_from`` if given); nothing if an equal one is there.

    Raises :class:`~csup.errors.PolicyFileError` for a file that does not parse now (left
    untouched) or would not after the change (put back), and
    :class:`~csup.errors.ConfigError` for a file that cannot be written.
    """
    target = os.path.realpath(path)
    exists = os.path.exists(target)
    original: bytes | None = None
    if exists:
        config = read_policy_file(target)  # a file that does not parse is not touched
        if any(
            (e.rule, e.pattern) == (exemption.rule, exemption.pattern) for e in config.exceptions
        ):
            return Written(path, False, False, "", None)
        with open(target, "rb") as handle:
            original = handle.read()
        text = original.decode("utf-8")
    else:
        text = _seed(seed_from) if seed_from else ""
    _check_round_trip(target, text)
    added = render(exemption)
    if text and not text.endswith("\n"):
        text += "\n"
    new = f"{text}\n{added}" if text.strip() else added
    if dry_run:
        return Written(path, True, not exists, new if not exists else added, seed_from)
    made_dir = _write(target, new.encode("utf-8"), original)
    try:
        read_policy_file(target)
    except PolicyFileError as error:
        _restore(target, original, made_dir)
        raise PolicyFileError(
            target,
            f"adding the exception would make the file unreadable ({error}); "
            "it was left as it was: add the exception by hand",
        ) from None
    return Written(path, True, not exists, new if not exists else added, seed_from)


def _seed(source: str) -> str:
    with open(source, encoding="utf-8") as handle:
        body = handle.read()
    header = (
        f"# Started by `csup allow` from {source}: a project file replaces the user's file\n"
        "# for this project (the first policy file found wins), so its settings are copied.\n\n"
    )
    return header + body


def _check_round_trip(path: str, text: str) -> None:
    """Refuse a file tomlkit would not write back unchanged (so nothing else moves)."""
    import tomlkit  # noqa: PLC0415
    from tomlkit.exceptions import TOMLKitError  # noqa: PLC0415

    try:
        same = tomlkit.dumps(tomlkit.parse(text)) == text
    except TOMLKitError as error:
        raise PolicyFileError(path, f"tomlkit cannot read the file ({error})") from None
    if not same:
        raise PolicyFileError(path, "tomlkit cannot keep the file as it is: add it by hand")


def _write(path: str, data: bytes, original: bytes | None) -> str | None:
    """Replace ``path`` with ``data`` atomically, keeping its mode; the directory made, if
    one was."""
    import tempfile  # noqa: PLC0415

    directory = os.path.dirname(path)
    made = None
    if not os.path.isdir(directory):
        try:
            os.makedirs(directory)
        except OSError as error:
            raise ConfigError(f"cannot create {directory}: {error}") from None
        made = directory
    if original is not None:
        mode = os.stat(path).st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".policy.", suffix=".toml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error}") from None
    return made


def _restore(path: str, original: bytes | None, made_dir: str | None) -> None:
    if original is None:
        os.unlink(path)
        if made_dir is not None:
            with contextlib.suppress(OSError):  # something else is in it now
                os.rmdir(made_dir)
        return
    _write(path, original, original)
