"""Which database a migration tool would hit: production (or any remote host), or local.

ORMs and migration tools reset and drop the workspace's development database every day, so
the catalog's entries for them (``production=True``) count only when the database is not
local. That is said on the command line (``RAILS_ENV=production``, ``--env prod``, a
``DATABASE_URL`` on another host), and, as often, not: the tool reads it from the
environment csup runs in or from the project's ``.env``. :func:`configured_production` reads
those the way the tools do, so ``npx prisma migrate reset --force`` in a project whose
``.env`` points at a hosted database is judged like the same line with the URL written out.
Without any evidence the database is taken to be local (a workspace's own).
"""

from __future__ import annotations

import os

from csup._lazy_re import LazyRegex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["aims_at_production", "configured_production"]

_PRODUCTION_WORD = LazyRegex(r"(?i)(?<![a-z])(?:prod|production|staging|live)(?![a-z])")
_LOCAL_HOSTS = frozenset(
    {"", "localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host.docker.internal", "db",  # noqa: S104
     "postgres", "postgresql", "mysql", "mariadb", "database", "mongo", "redis"}
)  # fmt: skip
_ENVIRONMENT_VARIABLES = frozenset(
    {"RAILS_ENV", "RACK_ENV", "NODE_ENV", "APP_ENV", "MIX_ENV", "FLASK_ENV", "ENV",
     "ENVIRONMENT", "DJANGO_SETTINGS_MODULE", "STAGE", "DEPLOY_ENV"}
)  # fmt: skip
_URL_HOST = LazyRegex(r"^(?:jdbc:)?[a-z][\w+.-]*://(?:[^@/]*@)?(\[[^\]]*\]|[^:/?]*)")
_DATABASE_URL = LazyRegex(
    r"(?i)^(?:\w+_)?(?:DATABASE|DB|POSTGRES|POSTGRESQL|PG|MYSQL|MARIADB|MONGO|MONGODB|REDIS|"
    r"DIRECT|SHADOW_DATABASE)(?:_\w+)?_(?:URL|URI|DSN)$"
)
"""Variables that hold where a database is: ``DATABASE_URL``, ``MONGODB_URI``, ``PG_DSN``."""
_DATABASE_HOST = frozenset({"DB_HOST", "DATABASE_HOST", "PGHOST", "MYSQL_HOST", "POSTGRES_HOST"})
_ENV_FILES = (".env", ".env.local")
"""What the tools load by default (dotenv, Prisma, Laravel, Rails' dotenv): not
``.env.production``, which is read only when asked for."""
_MAX_ENV_FILE = 64 * 1024
_MAX_PARENTS = 8


def _remote_url(value: str) -> bool:
    match = _URL_HOST.match(value)
    return match is not None and match.group(1).lower() not in _LOCAL_HOSTS


def aims_at_production(argv: tuple[str, ...], assigned: list[tuple[str, str]]) -> bool:
    """Whether a command is aimed at a production (or staging, or any remote) database.

    An environment set to production or staging (``RAILS_ENV=production``, ``--env prod``,
    ``--settings=app.settings.production``), or a database URL on another host.
    """
    for name, value in assigned:
        if name in _ENVIRONMENT_VARIABLES and _PRODUCTION_WORD.search(value):
            return True
        if name.endswith("_URL") and _remote_url(value):
            return True
    for i, word in enumerate(argv[1:], start=1):
        flag, _, value = word.partition("=")
        if not value and argv[i - 1] in ("-e", "--env", "--environment", "-x", "--settings"):
            flag, value = argv[i - 1], word
        if flag in _ENVIRONMENT_VARIABLES and _PRODUCTION_WORD.search(value):
            return True  # `rails db:reset RAILS_ENV=production`
        if flag.lstrip("-") in ("e", "env", "environment", "x", "settings") and (
            _PRODUCTION_WORD.search(value)
        ):
            return True
        if (value and _remote_url(value)) or _remote_url(word):
            return True
    return False


def _production_setting(name: str, value: str) -> str | None:
    """Why ``name=value`` points a tool at production, if it does."""
    if name in _ENVIRONMENT_VARIABLES and _PRODUCTION_WORD.search(value):
        return f"{name}={value}"
    if _DATABASE_URL.match(name) and _remote_url(value):
        host = _URL_HOST.match(value)
        return f"{name} on the host `{host.group(1) if host else '?'}`"
    if name in _DATABASE_HOST and value.lower() not in _LOCAL_HOSTS and not value.startswith("/"):
        return f"{name}={value}"
    return None


def _env_file(path: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` pairs of a dotenv file (``export``, quotes and comments handled)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(_MAX_ENV_FILE)
    except OSError:
        return []
    pairs = []
    for raw in text.splitlines():
        line = raw.strip().removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if not sep or line.startswith("#") or not name.strip().isidentifier():
            continue
        value = value.strip()
        if value[:1] in ("'", '"') and value.endswith(value[0]) and len(value) > 1:
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        pairs.append((name.strip(), value))
    return pairs


def _env_files(cwd: str) -> list[str]:
    """The dotenv files a tool started in ``cwd`` may load: in ``cwd``, and in its parents
    up to the top of the git repository holding it (tools look in the project's root, or
    next to their config); outside a repository, in ``cwd`` only."""
    here = os.path.abspath(cwd)
    folders = [here]
    for _ in range(_MAX_PARENTS):
        if os.path.exists(os.path.join(folders[-1], ".git")):
            break
        parent = os.path.dirname(folders[-1])
        if parent == folders[-1]:
            folders = [here]  # no repository: only where the tool starts
            break
        folders.append(parent)
    else:
        folders = [here]
    return [
        p for f in folders for p in (os.path.join(f, n) for n in _ENV_FILES) if os.path.isfile(p)
    ]


def configured_production(cwd: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """Why the database a tool started in ``cwd`` would use is not local, if it is not:
    the environment csup runs in (which the session's commands inherit), then the
    project's ``.env`` files. None: nothing says so (the database is taken to be local).
    """
    env = os.environ if environ is None else environ
    for name, value in env.items():
        why = _production_setting(name, value)
        if why is not None:
            return f"the environment sets {why}"
    if not cwd:
        return None
    for path in _env_files(cwd):
        for name, value in _env_file(path):
            why = _production_setting(name, value)
            if why is not None:
                return f"`{path}` sets {why}"
    return None
