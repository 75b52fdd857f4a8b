"""The mechanisms closed after the fourth pass of mining (classes.txt, "Fourth pass").

Every form here is written for this file (none is in a corpus or a catalog example): SQL
that rewrites or drops a column for every row, the database clients added to the list, the
credential stores of package managers, ``.env`` templates, device paths kept as named, and
the catalog entries' forms in other spellings.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from csup.policy import Decision, Policy, load_policy
from csup.policy.programs.paths import real

Bash = Callable[[Policy, str], Decision]


@pytest.mark.parametrize(
    "line",
    [
        "psql app -c 'update accounts set balance = 0'",
        "psql -c \"UPDATE public.orders SET status='void';\"",
        "mysql shop -e 'UPDATE `items` SET price=1'",
        "echo 'UPDATE users SET admin = true;' | psql app",
        "psql -c 'ALTER TABLE invoices DROP COLUMN total'",
        "mysql -e 'alter table if exists carts drop payload'",
        "pgcli -c 'DROP TABLE audit_log'",
        "mycli -e 'TRUNCATE sessions' shop",
        "usql pg://localhost/app -c 'DROP SCHEMA reporting CASCADE'",
        "docker exec db mongos --eval 'db.dropDatabase()'",
        "keydb-cli FLUSHDB",
    ],
)
def test_sql_that_rewrites_every_row_or_drops_a_column_is_denied(bash: Bash, line: str) -> None:
    decision = bash(load_policy("permissive"), line)
    assert (decision.behavior, decision.rule) == ("deny", "infra.destroy"), decision


@pytest.mark.parametrize(
    "line",
    [
        "psql -c \"UPDATE users SET name='x' WHERE id = 7\"",
        "psql -c 'UPDATE jobs SET state = 1 WHERE state = 0; SELECT 1'",
        "psql -c 'ALTER TABLE users DROP CONSTRAINT users_email_key'",
        "psql -c 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL'",
        "psql -c 'ALTER TABLE users ALTER COLUMN age DROP DEFAULT'",
        "psql -c 'SELECT * FROM updates'",
        "pgcli -c 'SELECT count(*) FROM orders'",
        "pg_restore -Fc -d app_copy nightly.dump",
    ],
)
def test_sql_with_a_where_or_dropping_only_a_constraint_is_allowed(bash: Bash, line: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == "allow"


@pytest.mark.parametrize(
    "line",
    [
        "head -3 ~/.gem/credentials",
        "cp ~/.gem/credentials /tmp/g",
        "grep token ~/.composer/auth.json",
        "cat ~/.config/composer/auth.json",
    ],
)
def test_package_managers_credential_stores_are_secrets(bash: Bash, line: str) -> None:
    decision = bash(load_policy("permissive"), line)
    assert (decision.behavior, decision.rule) == ("deny", "secrets.access"), decision


@pytest.mark.parametrize(
    ("line", "behavior"),
    [
        ("cat app/.env.schema", "allow"),
        ("cat .env.local.schema", "allow"),
        ("cat .env.schema.json", "allow"),
        ("cat .env.staging", "deny"),
        ("cat ~/.gem/specs/index", "allow"),
    ],
)
def test_an_env_schema_is_a_template_not_a_secret(bash: Bash, line: str, behavior: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == behavior


@pytest.mark.parametrize(
    ("line", "behavior"),
    [
        ("echo done > /dev/fd/4", "allow"),
        ("printf x >/dev/stdout", "allow"),
        ("echo x 2>/dev/fd/2", "allow"),
        ("echo x > /dev/nvme0n1", "deny"),
        ("cat image.iso > /dev/disk/by-id/usb-stick", "deny"),
    ],
)
def test_a_device_path_is_judged_as_named(bash: Bash, line: str, behavior: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == behavior


def test_device_paths_are_not_resolved_through_this_process() -> None:
    assert real("/dev/stdout") == "/dev/stdout"
    assert real("/dev/fd/9") == "/dev/fd/9"
    assert real("/dev/../etc/passwd") == "/etc/passwd"


@pytest.mark.parametrize(
    "line",
    [
        "podman stack rm web",
        "docker --context prod stack down api",
        "docker secret remove stripe_key",
        "gh secret remove DEPLOY_KEY --repo acme/site",
        "gh cache delete --all",
        "ansible -i hosts.ini all -m package -a 'state=absent name=openssl'",
        "git -C vendor/lib checkout-index -f -a",
        "git submodule deinit --force --all",
        "git update-ref --delete HEAD",
        "MIX_ENV=prod mix ecto.drop",
        "rake db:purge:all",
        "sudo launchctl reboot system",
        "dscl /Local/Default -delete /Groups/staff",
        "sudo nvram -d SystemAudioVolume",
        "chezmoi purge --binary",
        "sudo newfs_exfat /dev/disk5s1",
        "pg_restore --clean --if-exists -d app latest.dump",
        "mongorestore --uri mongodb://localhost/app --drop ./backup",
    ],
)
def test_the_new_catalog_entries_catch_other_spellings(bash: Bash, line: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == "deny"


@pytest.mark.parametrize(
    "line",
    [
        "aws eks get-token --cluster-name dev --output json",
        "aws ssm get-parameter-history --name /db/pw --with-decryption --max-items 1",
        "aws redshift get-cluster-credentials --cluster-identifier wh --db-user etl",
        "aws apigateway get-api-keys --include-values",
        "az functionapp config appsettings list --name worker --resource-group rg",
        "az redis list-keys --name cache --resource-group rg",
        "az storage account show-connection-string --name data",
        "az aks get-credentials -g rg -n cluster --file -",
        "gcloud iam service-accounts keys create - --iam-account ci@p.iam",
    ],
)
def test_the_new_credential_printers_are_denied(bash: Bash, line: str) -> None:
    decision = bash(load_policy("permissive"), line)
    assert (decision.behavior, decision.rule) == ("deny", "secrets.token-print"), decision


@pytest.mark.parametrize(
    "line",
    [
        "aws eks describe-cluster --name dev",
        "aws ssm get-parameter-history --name /app/flag",
        "az functionapp list --resource-group rg",
        "az aks get-credentials -g rg -n cluster",
        "gh secret set NPM_TOKEN < token.txt",
        "gh cache list",
        "git checkout-index -a --prefix=export/",
        "docker stack deploy -c stack.yml web",
        "mix ecto.migrate",
        "launchctl kickstart -k gui/501/com.example.agent",
        "dscl . -read /Groups/staff",
        "nvram boot-args",
    ],
)
def test_their_siblings_are_allowed(bash: Bash, line: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == "allow"


@pytest.mark.parametrize(
    ("line", "behavior"),
    [
        ("head -1 /private/etc/master.passwd", "deny"),
        ("grep root /etc/master.passwd", "deny"),
        ("cat /etc/passwd.bak", "allow"),
        ("tofu state replace-provider -auto-approve registry/a registry/b", "deny"),
        ("terraform state push -force old.json", "deny"),
        ("terraform state list", "allow"),
        ("terraform state show aws_instance.web", "allow"),
    ],
)
def test_bsd_shadow_and_terraform_state_rewrites(bash: Bash, line: str, behavior: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == behavior
