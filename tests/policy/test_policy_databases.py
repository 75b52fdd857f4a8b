"""Which database a migration tool would hit (csup/policy/programs/databases.py).

ORMs and migration tools reset the workspace's own development database every day: allowed.
The same commands against a database that is not local are denied, whether the command line
says so or, as often, the environment or the project's ``.env`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from csup.policy import Decision, ToolCall, load_policy
from csup.policy.programs.databases import configured_production

RESETS = [
    "npx prisma migrate reset --force",
    "pnpm exec prisma db push --accept-data-loss",
    "bin/rails db:reset",
    "php artisan migrate:fresh --seed",
    "alembic downgrade base",
    "npx sequelize-cli db:drop",
    "flyway clean",
]


@pytest.fixture(autouse=True)
def _no_database_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "NODE_ENV", "RAILS_ENV", "APP_ENV", "DB_HOST", "PGHOST"):
        monkeypatch.delenv(name, raising=False)


def decide(command: str, cwd: Path) -> Decision:
    call = ToolCall("Bash", {"command": command}, cwd=str(cwd))
    return load_policy("permissive").decide(call)


@pytest.mark.parametrize("command", RESETS)
def test_a_reset_of_the_workspaces_own_database_is_allowed(workspace: Path, command: str) -> None:
    (workspace / ".env").write_text("DATABASE_URL=postgresql://dev:dev@localhost:5432/app\n")
    assert decide(command, workspace).behavior == "allow"


@pytest.mark.parametrize("command", RESETS)
@pytest.mark.parametrize(
    "dotenv",
    [
        'DATABASE_URL="postgresql://app:s3cret@db.eu-west-1.rds.amazonaws.com:5432/app"\n',
        "export MONGODB_URI=mongodb+srv://u:p@cluster0.abcd.mongodb.net/app\n",
        "# hosted\nDB_HOST=prod-mysql.internal.example.com\nDB_PORT=3306\n",
        "NODE_ENV=production\n",
        "RAILS_ENV=staging # for the demo\n",
    ],
)
def test_a_reset_of_a_database_the_projects_dotenv_points_elsewhere_is_denied(
    workspace: Path, command: str, dotenv: str
) -> None:
    (workspace / ".env").write_text(dotenv)
    decision = decide(command, workspace)
    assert (decision.behavior, decision.rule) == ("deny", "data.destroy"), decision.reason
    assert "The database is not local: `" in decision.reason


def test_a_dotenv_local_counts_and_a_subdirectory_sees_the_repositorys_root(
    workspace: Path,
) -> None:
    (workspace / ".git").mkdir()
    (workspace / ".env.local").write_text(
        "POSTGRES_PRISMA_URL=postgres://u@aws-0.pooler.supabase.com/p\n"
    )
    (workspace / "packages" / "db").mkdir(parents=True)
    assert (
        decide("npx prisma migrate reset --force", workspace / "packages" / "db").behavior == "deny"
    )


def test_the_environment_csup_runs_in_counts(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app@10.2.0.7:5432/app")
    decision = decide("bin/rails db:schema:load", workspace)
    assert (decision.behavior, decision.rule) == ("deny", "data.destroy")
    assert "the environment sets DATABASE_URL" in decision.reason


@pytest.mark.parametrize(
    "dotenv",
    [
        "NEXT_PUBLIC_API_URL=https://api.example.com\nSENTRY_DSN=https://k@o1.ingest.sentry.io/1\n",
        "DATABASE_URL=file:./dev.db\n",
        "DATABASE_URL=postgres://postgres:postgres@db:5432/app\nNODE_ENV=development\n",
        "DB_HOST=127.0.0.1\nDB_CONNECTION=mysql\n",
        "PGHOST=/var/run/postgresql\n",
    ],
)
def test_other_urls_and_local_databases_in_dotenv_do_not_count(
    workspace: Path, dotenv: str
) -> None:
    (workspace / ".env").write_text(dotenv)
    assert decide("npx prisma migrate reset --force", workspace).behavior == "allow"


def test_files_a_tool_does_not_load_by_default_do_not_count(workspace: Path) -> None:
    (workspace / ".env.production").write_text("DATABASE_URL=postgres://u@prod.example.com/app\n")
    (workspace / ".env.example").write_text("DATABASE_URL=postgres://u@your-host.example.com/app\n")
    assert decide("npx prisma migrate reset --force", workspace).behavior == "allow"


def test_a_dotenv_above_the_workspace_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://u@prod.example.com/app\n")
    (tmp_path / "ws").mkdir()
    assert configured_production(str(tmp_path / "ws"), {}) is None


def test_without_any_evidence_the_database_is_taken_to_be_local(workspace: Path) -> None:
    assert configured_production(str(workspace), {}) is None
    assert decide("npx prisma migrate reset --force", workspace).behavior == "allow"


def test_commands_that_destroy_nothing_are_not_affected(workspace: Path) -> None:
    (workspace / ".env").write_text("DATABASE_URL=postgres://u@prod.example.com/app\n")
    for command in ("npx prisma generate", "bin/rails db:migrate", "alembic upgrade head"):
        assert decide(command, workspace).behavior == "allow", command
