"""Where the record is: ``--db PATH``, else ``$CSUP_DB``, else ``csup.db`` in the user's data dir.

``$CSUP_NO_RECORD`` (any value but empty, ``0`` or ``false``) or ``--no-record`` turns the record
off. The data dir is platformdirs' ``user_data_dir("csup")``; on Linux it is computed here
without importing platformdirs (which imports :mod:`pathlib`), because ``csup hook`` pays
every import once per tool call. A test keeps the two equal.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DB_ENV", "DB_NAME", "NO_RECORD_ENV", "default_db_path", "resolve_db_path"]

DB_ENV = "CSUP_DB"
NO_RECORD_ENV = "CSUP_NO_RECORD"
DB_NAME = "csup.db"
APP = "csup"


def data_dir(env: Mapping[str, str] | None = None) -> str:
    """The user's data dir for csup (platformdirs' ``user_data_dir("csup")``)."""
    env = os.environ if env is None else env
    if sys.platform.startswith("linux"):
        base = env.get("XDG_DATA_HOME", "").strip()
        if not base:
            base = os.path.join(os.path.expanduser("~"), ".local", "share")
        return os.path.join(base, APP)
    import platformdirs  # noqa: PLC0415 - other platforms only

    return platformdirs.user_data_dir(APP, appauthor=False)


def default_db_path(env: Mapping[str, str] | None = None) -> str:
    """``csup.db`` in the user's data dir."""
    return os.path.join(data_dir(env), DB_NAME)


def _off(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def resolve_db_path(
    option: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    no_record: bool = False,
) -> str | None:
    """The database path every front end uses, or None when the record is off.

    ``option`` is ``--db PATH``; ``env`` defaults to :data:`os.environ` (``CSUP_DB``,
    ``CSUP_NO_RECORD``); ``no_record`` is ``--no-record``. An explicit ``--db`` wins over
    ``CSUP_NO_RECORD``; ``--no-record`` wins over everything.
    """
    env = os.environ if env is None else env
    if no_record:
        return None
    if option is not None and os.fspath(option):
        return os.path.abspath(os.path.expanduser(os.fspath(option)))
    if _off(env.get(NO_RECORD_ENV)):
        return None
    chosen = env.get(DB_ENV, "").strip()
    if chosen:
        return os.path.abspath(os.path.expanduser(chosen))
    return default_db_path(env)
