"""The catalog: well-known tools' dangerous subcommands, as data, one entry per tool.

Each entry names the tools, the rule id it decides with, what the dangerous forms do (for the
reason shown to people), the dangerous forms (see :mod:`.catalog_match` for their syntax),
and examples: ``dangerous`` lines the rule must block and ``safe`` siblings it must leave
alone. Every example is a test (tests/policy/test_policy_catalog.py), so an entry is added
by writing its forms and examples here, and nothing else.

Three kinds of entries:

``destroys``
    destroys data or infrastructure that cannot be brought back (databases and migrations,
    infrastructure, storage, volumes and disks, registries, secret managers, git internals).
``prints``
    prints a credential (a token printer's output reaches the transcript). Piped into a
    login (``aws ecr get-login-password | docker login --password-stdin``) it is fine; used
    in ``$( )`` it is asked.
``bypasses``
    switches the guard off without touching its files: another coding agent (or claude)
    started with permissions or hooks skipped, csup uninstalled.
"""

from __future__ import annotations

from csup._record import Frozen
from csup.policy.programs.catalog_match import Form

_set = object.__setattr__


class Entry(Frozen):
    """One tool's dangerous forms, with the rule id, the reason and examples."""

    # in constructor order, then the parsed forms
    __slots__ = ("tools", "rule", "kind", "what", "texts", "dangerous", "safe",  # noqa: RUF023
                 "production", "_forms")  # fmt: skip

    tools: tuple[str, ...]
    rule: str
    kind: str
    what: str
    texts: tuple[str, ...]
    """The dangerous forms as written (parsed on first use: ``csup hook`` pays per call)."""
    dangerous: tuple[str, ...]
    safe: tuple[str, ...]
    _forms: tuple[Form, ...] | None
    production: bool
    """Only aimed at a production database counts (see :func:`.databases.aims_at_production`): a
    workspace's own development database is reset and migrated every day."""

    def __init__(  # noqa: PLR0917 - a table row
        self,
        tools: str,
        rule: str,
        kind: str,
        what: str,
        forms: tuple[str, ...],
        dangerous: tuple[str, ...],
        safe: tuple[str, ...] = (),
        *,
        production: bool = False,
    ) -> None:
        _set(self, "tools", tuple(tools.split()))
        _set(self, "rule", rule)
        _set(self, "kind", kind)
        _set(self, "what", what)
        _set(self, "texts", forms)
        _set(self, "_forms", None)
        _set(self, "dangerous", dangerous)
        _set(self, "safe", safe)
        _set(self, "production", production)

    @property
    def forms(self) -> tuple[Form, ...]:
        """The dangerous forms, parsed."""
        forms: tuple[Form, ...] | None = self._forms
        if forms is None:
            forms = tuple(Form(f) for f in self.texts)
            _set(self, "_forms", forms)
        return forms

    def match(self, argv: tuple[str, ...]) -> Form | None:
        """The first form ``argv`` has, if any."""
        return next((f for f in self.forms if f.matches(argv)), None)


_D, _P, _B = "destroys", "prints", "bypasses"

ENTRIES = (
    # -- ORMs and migration tools: only aimed at production (see `production`) ---------
    Entry(
        "prisma", "data.destroy", _D,
        "resets or force-pushes a production database schema, deleting its data",
        ("migrate reset", "db push --force-reset", "db push --accept-data-loss",
         "migrate dev --force-reset"),
        ("DATABASE_URL=postgres://app@db.prod.example.com/app npx prisma migrate reset --force",
         "NODE_ENV=production prisma db push --accept-data-loss"),
        ("npx prisma migrate reset --force", "prisma generate", "prisma db push",
         "DATABASE_URL=postgres://localhost/app prisma migrate reset"),
        production=True,
    ),
    Entry(
        "rails rake", "data.destroy", _D,
        "drops, resets or reloads a production database, deleting its data",
        ("db:drop*", "db:reset", "db:schema:load", "db:structure:load", "db:purge*",
         "db:migrate:reset", "db:truncate_all", "db:seed:replant"),
        ("RAILS_ENV=production rails db:drop", "rails db:reset RAILS_ENV=production",
         "bundle exec rake db:schema:load RAILS_ENV=staging",
         "rails db:migrate:reset -e production"),
        ("rails db:reset", "rails db:drop", "rails db:migrate RAILS_ENV=production",
         "RAILS_ENV=test rails db:reset"),
        production=True,
    ),
    Entry(
        "rails rake", "data.destroy", _D,
        "drops the database of every environment config/database.yml names, production too",
        ("db:drop:all", "db:purge:all"),
        ("bundle exec rake db:drop:all", "bin/rails db:purge:all"),
        ("rails db:drop", "rails db:create:all"),
    ),
    Entry(
        "mix", "data.destroy", _D,
        "drops or resets a production Ecto database",
        ("ecto.drop", "ecto.reset", "ecto.rollback --all"),
        ("MIX_ENV=prod mix ecto.reset", "MIX_ENV=prod mix ecto.rollback --all"),
        ("mix ecto.reset", "MIX_ENV=prod mix ecto.migrate"),
        production=True,
    ),
    Entry(
        "manage.py django-admin python python3", "data.destroy", _D,
        "empties or drops a production Django database",
        ("flush", "reset_db", "sqlflush", "migrate * zero", "manage.py flush",
         "manage.py reset_db", "manage.py migrate * zero"),
        ("python manage.py flush --noinput --settings=app.settings.production",
         "DJANGO_SETTINGS_MODULE=app.settings.prod ./manage.py reset_db"),
        ("python manage.py flush --noinput", "python manage.py migrate --settings=app.prod"),
        production=True,
    ),
    Entry(
        "artisan php", "data.destroy", _D,
        "drops every table of a production database",
        ("migrate:fresh", "migrate:reset", "db:wipe", "migrate:refresh"),
        ("php artisan migrate:fresh --env=production", "APP_ENV=production php artisan db:wipe"),
        ("php artisan migrate:fresh --seed", "php artisan migrate --env=production"),
        production=True,
    ),
    Entry(
        "alembic", "data.destroy", _D,
        "downgrades every migration of a production database, dropping the tables",
        ("downgrade base",),
        ("alembic -x env=production downgrade base",
         "DATABASE_URL=postgresql://u@prod-db.internal/app alembic downgrade base"),
        ("alembic downgrade base", "alembic upgrade head"),
        production=True,
    ),
    Entry(
        "sequelize sequelize-cli", "data.destroy", _D,
        "drops a production database or undoes every migration",
        ("db:drop", "db:migrate:undo:all", "db:seed:undo:all"),
        ("npx sequelize-cli db:drop --env production",
         "NODE_ENV=production sequelize db:migrate:undo:all"),
        ("npx sequelize-cli db:drop", "sequelize db:migrate --env production"),
        production=True,
    ),
    Entry(
        "typeorm typeorm-ts-node-commonjs", "data.destroy", _D,
        "drops a production database schema",
        ("schema:drop", "migration:revert --all"),
        ("NODE_ENV=production typeorm schema:drop",),
        ("typeorm schema:drop", "typeorm migration:run"),
        production=True,
    ),
    Entry(
        "knex", "data.destroy", _D,
        "rolls back every migration of a production database",
        ("migrate:rollback --all",),
        ("npx knex migrate:rollback --all --env production",),
        ("npx knex migrate:rollback --all", "knex migrate:latest --env production"),
        production=True,
    ),
    Entry(
        "drizzle-kit", "data.destroy", _D,
        "pushes the schema to a production database, dropping what differs, without asking",
        ("push --force", "drop"),
        ("DATABASE_URL=postgres://u@db.prod.example.com/app npx drizzle-kit push --force",),
        ("npx drizzle-kit push --force", "drizzle-kit generate"),
        production=True,
    ),
    Entry(
        "supabase", "data.destroy", _D,
        "resets the linked (remote) database, deleting its data",
        ("db reset --linked", "db reset --db-url"),
        ("supabase db reset --linked", "npx supabase db reset --db-url postgres://u@x.supabase.co/p"),
        ("supabase db reset", "supabase db push"),
    ),
    Entry(
        "flyway liquibase dbmate", "data.destroy", _D,
        "drops every object of a production database",
        ("clean", "dropAll|drop-all", "drop"),
        ("flyway -url=jdbc:postgresql://db.prod.example.com/app clean",
         "liquibase dropAll --url=jdbc:postgresql://prod-db/app",
         "DATABASE_URL=postgres://u@db.prod.example.com/app dbmate drop"),
        ("flyway clean", "flyway migrate -url=jdbc:postgresql://db.prod.example.com/app",
         "dbmate drop"),
        production=True,
    ),
    # -- database servers and stores ---------------------------------------------------
    Entry(
        "mongosh mongo mongos", "infra.destroy", _D,
        "drops a database or a collection",
        ("--eval=*dropDatabase*|*.drop()*|*deleteMany({})*|*remove({})*",),
        ("mongosh app --eval 'db.users.drop()'", "mongo --eval 'db.dropDatabase()'",
         "mongosh --eval 'db.orders.deleteMany({})'"),
        ("mongosh --eval 'db.users.find()'", "mongosh app --eval 'db.stats()'"),
    ),
    Entry(
        "pg_restore mongorestore", "infra.destroy", _D,
        "drops the database's objects before restoring over them",
        ("--clean|-c !-F=c", "--clean", "--drop"),
        ("pg_restore -c -d app nightly.dump", "mongorestore --drop --uri mongodb://db/app dump/"),
        ("pg_restore -d app_copy nightly.dump", "mongorestore dump/"),
    ),
    Entry(
        "heroku", "infra.destroy", _D,
        "resets the app's database",
        ("pg:reset",),
        ("heroku pg:reset DATABASE --confirm app",),
        ("heroku pg:info", "heroku logs --tail"),
    ),
    Entry(
        "etcdctl", "infra.destroy", _D,
        "deletes every key",
        ("del --prefix", "del --from-key"),
        ("etcdctl del '' --prefix", "etcdctl del a --from-key"),
        ("etcdctl get /app/config", "etcdctl del /app/lock"),
    ),
    Entry(
        "consul", "infra.destroy", _D,
        "deletes a key tree",
        ("kv delete -recurse",),
        ("consul kv delete -recurse app",),
        ("consul kv get app/config", "consul kv delete app/lock"),
    ),
    # -- infrastructure ----------------------------------------------------------------
    Entry(
        "terraform tofu", "infra.destroy", _D,
        "changes infrastructure without review (auto-approve, forced replace)",
        ("apply -auto-approve|--auto-approve", "apply -replace|--replace", "apply -destroy",
         "plan -destroy -out", "state rm", "state mv|replace-provider|push",
         "workspace delete", "taint"),
        ("terraform apply -auto-approve", "tofu apply -replace=aws_instance.web",
         "terraform state rm aws_s3_bucket.logs", "terraform apply -destroy",
         "tofu state mv module.old module.new"),
        ("terraform plan", "terraform apply", "terraform fmt", "terraform validate",
         "terraform state list"),
    ),
    Entry(
        "terragrunt", "infra.destroy", _D,
        "destroys or applies every module without review",
        ("run-all destroy", "destroy-all", "run-all apply", "apply-all", "run --all destroy",
         "apply -auto-approve|--auto-approve", "destroy"),
        ("terragrunt run-all destroy", "terragrunt run --all destroy",
         "terragrunt run-all apply --terragrunt-non-interactive"),
        ("terragrunt plan", "terragrunt run-all plan", "terragrunt validate"),
    ),
    Entry(
        "pulumi", "infra.destroy", _D,
        "destroys a stack or changes it without review",
        ("destroy", "up --yes|-y", "stack rm", "up --skip-preview", "state delete"),
        ("pulumi destroy --yes", "pulumi up -y", "pulumi stack rm dev --force"),
        ("pulumi preview", "pulumi up", "pulumi stack ls"),
    ),
    Entry(
        "kubectl oc", "infra.destroy", _D,
        "deletes cluster resources or drains a node",
        ("delete --all", "delete -A|--all-namespaces", "drain", "delete pv|pvc|persistentvolume*",
         "delete crd|crds|customresourcedefinition*", "replace --force"),
        ("kubectl delete pods --all -n prod", "kubectl drain node-1 --ignore-daemonsets",
         "kubectl delete pvc data-db-0", "oc delete crd widgets.example.com"),
        ("kubectl get pods", "kubectl delete pod web-1", "kubectl describe node node-1"),
    ),
    # -- cloud storage -----------------------------------------------------------------
    Entry(
        "aws", "infra.destroy", _D,
        "deletes cloud data (sync with delete, recursive removes, bucket removal)",
        ("s3 sync --delete", "s3 rb --force", "s3 rm --recursive", "s3api delete-bucket",
         "s3api delete-objects"),
        ("aws s3 sync . s3://site --delete", "aws s3 rb s3://logs --force"),
        ("aws s3 sync . s3://site", "aws s3 ls s3://site", "aws s3 cp f s3://site/f"),
    ),
    Entry(
        "gsutil", "infra.destroy", _D,
        "deletes cloud data (rsync with delete, recursive removes)",
        ("rsync -d", "rsync -r -d", "rm -r|-R|-a", "rb"),
        ("gsutil rsync -d -r . gs://site", "gsutil -m rm -r gs://logs"),
        ("gsutil rsync -r . gs://site", "gsutil ls gs://site"),
    ),
    Entry(
        "gcloud", "infra.destroy", _D,
        "deletes cloud data (rsync with delete, recursive removes)",
        ("storage rsync --delete-unmatched-destination-objects", "storage rm -r|--recursive",
         "storage buckets delete"),
        ("gcloud storage rsync . gs://site --delete-unmatched-destination-objects -r",),
        ("gcloud storage rsync . gs://site -r", "gcloud storage ls"),
    ),
    Entry(
        "az", "infra.destroy", _D,
        "deletes cloud data in bulk",
        ("storage blob delete-batch", "storage container delete", "storage account delete",
         "storage blob sync --delete-destination=true"),
        ("az storage blob delete-batch -s site", "az storage container delete -n logs"),
        ("az storage blob list -c site", "az storage blob upload -f f -c site"),
    ),
    Entry(
        "rclone", "infra.destroy", _D,
        "deletes remote files (sync removes what the source lacks)",
        ("sync", "delete", "deletefile", "rmdirs", "cleanup"),
        ("rclone sync ./site remote:site", "rclone delete remote:logs"),
        ("rclone copy ./site remote:site", "rclone ls remote:site"),
    ),
    Entry(
        "s3cmd", "infra.destroy", _D,
        "deletes cloud data",
        ("del --recursive|-r", "rb --recursive|-r", "sync --delete-removed"),
        ("s3cmd del -r s3://logs", "s3cmd sync --delete-removed . s3://site"),
        ("s3cmd ls s3://site", "s3cmd sync . s3://site"),
    ),
    Entry(
        "docker podman", "infra.destroy", _D,
        "removes a whole swarm stack, or a secret its services read",
        ("stack rm|remove|down", "secret rm|remove"),
        ("docker stack rm monitoring", "docker secret rm db_password"),
        # a compose project's own volumes are its development data (like `rails db:reset`)
        ("docker stack ls", "docker compose down -v", "docker secret ls"),
    ),
    # -- disks and volumes -------------------------------------------------------------
    Entry(
        "lvremove vgremove pvremove lvreduce vgreduce", "disk.destroy-volume", _D,
        "removes or shrinks a logical volume, a volume group or a physical volume",
        ("*",),
        ("lvremove -f vg0/data", "vgremove vg0", "pvremove /dev/sdb", "lvreduce -L 1G vg0/data"),
    ),
    Entry(
        "mdadm", "disk.destroy-volume", _D,
        "destroys or stops a RAID array",
        ("--zero-superblock", "--stop|-S", "--remove|-r", "--fail|-f", "--create|-C"),
        ("mdadm --zero-superblock /dev/sdb", "mdadm --stop /dev/md0"),
        ("mdadm --detail /dev/md0", "mdadm --examine /dev/sdb"),
    ),
    Entry(
        "dmsetup cryptsetup", "disk.destroy-volume", _D,
        "removes device-mapper devices or erases encryption keys",
        ("remove_all", "remove --force", "wipe_table", "erase", "luksErase", "luksFormat",
         "luksKillSlot", "isLuks -r"),
        ("dmsetup remove_all", "cryptsetup luksErase /dev/sdb", "cryptsetup erase /dev/sdb"),
        ("dmsetup ls", "cryptsetup status root"),
    ),
    Entry(
        "btrfs", "disk.destroy-volume", _D,
        "deletes a subvolume or removes a device",
        ("subvolume|sub|su delete|del", "device remove|delete", "check --repair"),
        ("btrfs subvolume delete /mnt/data", "btrfs device remove /dev/sdb /mnt"),
        ("btrfs subvolume list /mnt", "btrfs filesystem df /mnt"),
    ),
    Entry(
        "zfs zpool", "disk.destroy-volume", _D,
        "destroys a dataset, a snapshot or a pool",
        ("destroy", "rollback -r|-R", "labelclear"),
        ("zfs destroy -r tank/data", "zpool destroy tank", "zfs rollback -r tank/data@old"),
        ("zfs list", "zpool status", "zfs snapshot tank/data@now"),
    ),
    Entry(
        "sgdisk gdisk sfdisk", "disk.format", _D,
        "rewrites or wipes a partition table",
        ("--zap-all|-Z", "--zap|-z", "--delete", "--clear|-o"),
        ("sgdisk --zap-all /dev/sdb", "sfdisk --delete /dev/sdb"),
    ),
    Entry(
        "blkdiscard", "disk.format", _D,
        "discards every block of a device: its data is gone",
        ("/dev/*",),
        ("blkdiscard /dev/nvme0n1", "blkdiscard -f /dev/sdb"),
    ),
    Entry(
        "newfs newfs_hfs newfs_apfs newfs_msdos newfs_exfat newfs_udf", "disk.format", _D,
        "makes a new file system on a device, erasing it",
        ("/dev/*",),
        ("newfs_apfs /dev/disk3s1", "newfs_msdos -F 32 /dev/disk4s1"),
    ),
    Entry(
        "gh", "infra.destroy", _D,
        "archives a repository (read-only for everyone) or deletes its secrets, variables, "
        "environments or caches",
        ("repo archive", "secret|variable delete|remove", "cache delete --all|-a",
         "api -X=DELETE|-XDELETE|--method=DELETE repos/*"),
        ("gh repo archive acme/legacy --yes", "gh secret delete NPM_TOKEN --env production",
         "gh variable delete DEPLOY_TARGET", "gh api -X DELETE repos/acme/site"),
        ("gh repo view acme/legacy", "gh secret list", "gh api repos/acme/site"),
    ),
    Entry(
        "ansible", "infra.destroy", _D,
        "deletes files or packages on every host of the inventory",
        ("-m=file|ansible.builtin.file -a=*state=absent*",
         "-m=apt|yum|dnf|package|ansible.builtin.* -a=*state=absent*"),
        ("ansible webservers -m file -a 'state=absent path=/srv/app'",
         "ansible all -b -m ansible.builtin.apt -a 'state=absent name=nginx'"),
        ("ansible all -m ping", "ansible all -m file -a 'path=/tmp/x state=directory'"),
    ),
    # -- package registries ------------------------------------------------------------
    Entry(
        "npm pnpm yarn", "registry.unpublish", _D,
        "removes a published package or version from the registry",
        ("unpublish",),
        ("npm unpublish my-pkg --force", "npm unpublish my-pkg@1.0.0"),
        ("npm publish --dry-run", "npm view my-pkg versions"),
    ),
    Entry(
        "cargo", "registry.unpublish", _D,
        "yanks a published crate version",
        ("yank !--undo",),
        ("cargo yank --version 1.0.0", "cargo yank my-crate@1.0.0"),
        ("cargo yank --version 1.0.0 --undo", "cargo build"),
    ),
    Entry(
        "gem", "registry.unpublish", _D,
        "yanks a published gem version",
        ("yank",),
        ("gem yank my-gem -v 1.0.0",),
        ("gem build my-gem.gemspec", "gem list"),
    ),
    Entry(
        "gh", "registry.unpublish", _D,
        "deletes a published release or its files",
        ("release delete", "release delete-asset"),
        ("gh release delete v1.2.0 --yes", "gh release delete-asset v1 app.zip"),
        ("gh release view v1.2.0", "gh release list"),
    ),
    Entry(
        "gh", "secrets.send", _D,
        "makes a repository public: its code, its history and every secret ever committed "
        "are published for good",
        ("repo edit --visibility=public", "api -f=private=false", "api -F=private=false",
         "api --raw-field=private=false", "api --field=private=false"),
        ("gh repo edit --visibility public --accept-visibility-change-consequences",
         "gh repo edit acme/app --visibility=public",
         "gh api -X PATCH repos/acme/app -f private=false"),
        ("gh repo edit --visibility private", "gh repo edit --description 'x'",
         "gh repo view acme/app", "gh api repos/acme/app"),
    ),
    Entry(
        "dotnet", "registry.unpublish", _D,
        "deletes (unlists) a published package",
        ("nuget delete",),
        ("dotnet nuget delete My.Pkg 1.0.0 --non-interactive",),
        ("dotnet build", "dotnet nuget list source"),
    ),
    # -- secret managers ---------------------------------------------------------------
    Entry(
        "vault", "secrets.destroy", _D,
        "destroys secrets or disables a secrets engine",
        ("kv destroy", "kv metadata delete", "secrets disable", "delete sys/*",
         "kv delete", "lease revoke -prefix", "token revoke -self|-mode=orphan", "delete",
         "policy delete", "auth disable", "audit disable", "transit|pki delete*"),
        ("vault kv destroy -versions=1 secret/app", "vault kv metadata delete secret/app",
         "vault secrets disable secret/", "vault delete kv/data/app", "vault auth disable oidc",
         "vault policy delete deployers"),
        ("vault kv list secret/", "vault status", "vault secrets list",
         "vault policy read deployers", "vault auth list"),
    ),
    Entry(
        "aws", "secrets.destroy", _D,
        "overwrites a secret's value (clients reading it break)",
        ("secretsmanager put-secret-value|update-secret", "ssm put-parameter --overwrite"),
        ("aws secretsmanager put-secret-value --secret-id prod/db --secret-string x",
         "aws ssm put-parameter --name /app/key --value v --overwrite"),
        ("aws secretsmanager describe-secret --secret-id prod/db",
         "aws ssm put-parameter --name /app/new --value v"),
    ),
    Entry(
        "op", "secrets.destroy", _D,
        "deletes 1Password items, documents, vaults, users or groups",
        ("item|document|vault|user|group|connect delete",),
        ("op item delete 'Stripe key'", "op vault delete Shared", "op document delete --archive x"),
        ("op item list --vault Private", "op vault list", "op item create --category login"),
    ),
    Entry(
        "doppler infisical", "secrets.destroy", _D,
        "deletes secrets",
        ("secrets delete", "configs delete", "environments delete", "projects delete"),
        ("doppler secrets delete API_KEY -y",),
        ("doppler run -- npm test",),
    ),
    # -- backups, queues, CI: data that has no other copy ------------------------------
    Entry(
        "restic", "infra.destroy", _D,
        "forgets or prunes backup snapshots",
        ("forget", "prune", "key remove"),
        ("restic forget --keep-within 30d --prune", "restic -r /srv/bkp prune"),
        ("restic snapshots", "restic backup ~/work", "restic check"),
    ),
    Entry(
        "borg borg2", "infra.destroy", _D,
        "deletes or prunes backup archives",
        ("delete", "prune", "rdelete", "repo-delete", "compact"),
        ("borg delete /backup::2024-01-01", "borg prune --keep-daily 7 /backup"),
        ("borg list /backup", "borg create /backup::today ~/work", "borg info /backup"),
    ),
    Entry(
        "velero", "infra.destroy", _D,
        "deletes cluster backups, restores or their schedules",
        ("backup|restore|schedule|snapshot|backup-location delete",),
        ("velero backup delete nightly-1 --confirm", "velero schedule delete daily"),
        ("velero backup get", "velero backup create before-upgrade"),
    ),
    Entry(
        "kafka-topics kafka-topics.sh kafka-consumer-groups kafka-consumer-groups.sh "
        "kafka-delete-records kafka-delete-records.sh kafka-acls kafka-acls.sh",
        "infra.destroy", _D,
        "deletes topics, consumer groups, records or ACLs",
        ("--delete", "--remove", "--offset-json-file", "--delete-offsets"),
        ("kafka-topics --bootstrap-server k:9092 --delete --topic orders",
         "kafka-consumer-groups.sh --bootstrap-server k:9092 --delete --group g"),
        ("kafka-topics --bootstrap-server k:9092 --list",
         "kafka-consumer-groups --bootstrap-server k:9092 --describe --group g"),
    ),
    Entry(
        "rabbitmqctl rabbitmqadmin", "infra.destroy", _D,
        "deletes queues, exchanges, vhosts or users, or purges queues",
        ("delete_vhost|delete_user|delete_queue|purge_queue|clear_permissions|reset|"
         "force_reset", "delete|purge queue|exchange|binding|vhost|user"),
        ("rabbitmqctl delete_vhost /staging", "rabbitmqctl purge_queue jobs",
         "rabbitmqadmin delete exchange name=events"),
        ("rabbitmqctl list_queues", "rabbitmqadmin list queues"),
    ),
    Entry(
        "nats", "infra.destroy", _D,
        "deletes or purges JetStream streams, consumers, key-value or object buckets",
        ("stream|str|consumer|con|kv|object|obj|bucket rm|del|delete|purge",),
        ("nats stream rm ORDERS -f", "nats kv del CONFIG key --purge", "nats consumer rm S C"),
        ("nats stream ls", "nats kv get CONFIG key", "nats pub subject hi"),
    ),
    Entry(
        "java", "infra.destroy", _D,
        "deletes Jenkins jobs, nodes, views or builds through jenkins-cli",
        ("-jar=*jenkins-cli.jar delete-job|delete-node|delete-view|delete-builds|"
         "delete-credentials",),
        ("java -jar jenkins-cli.jar -s http://ci/ delete-job deploy",),
        ("java -jar jenkins-cli.jar -s http://ci/ list-jobs", "java -jar app.jar delete-job"),
    ),
    Entry(
        "gitlab-runner circleci", "infra.destroy", _D,
        "unregisters CI runners or deletes CI contexts, orbs, namespaces or pipelines",
        ("unregister", "context|orb|namespace|pipeline delete|remove-secret"),
        ("gitlab-runner unregister --name r1", "circleci context delete github org prod",
         "circleci context remove-secret github org prod KEY"),
        ("gitlab-runner list", "circleci context list github org", "circleci config validate"),
    ),
    Entry(
        "rsync", "infra.destroy", _D,
        "deletes files on a remote machine that the source lacks",
        ("--delete|--del|--delete-before|--delete-during|--delete-after|--delete-delay|"
         "--delete-excluded * *:*",),
        ("rsync -a --delete ./site/ web:/var/www/", "rsync -av --del dist/ u@h:/srv/app/"),
        ("rsync -a ./site/ web:/var/www/", "rsync -a --delete web:/var/www/ ./mirror/"),
    ),
    # -- the machine: its power, its accounts, its firmware, the user's dotfiles ----------
    Entry(
        "launchctl", "system.shutdown", _D,
        "restarts or shuts down the machine (or its whole user space)",
        ("reboot",),
        ("launchctl reboot", "launchctl reboot logout"),
        ("launchctl list", "launchctl print system"),
    ),
    Entry(
        "dscl", "fs.write-system", _D,
        "deletes or changes the machine's user accounts",
        ("-delete", "-passwd", "-create", "-change", "-append"),
        ("dscl . -delete /Users/builder", "sudo dscl . -passwd /Users/ci hunter2"),
        ("dscl . -list /Users", "dscl . -read /Users/ci UserShell"),
    ),
    Entry(
        "nvram csrutil", "fs.write-system", _D,
        "clears or deletes firmware variables, or switches System Integrity Protection off",
        ("-c", "-d", "disable", "clear", "authenticated-root disable"),
        ("nvram -d boot-args", "sudo nvram -c", "csrutil clear",
         "csrutil authenticated-root disable"),
        ("nvram -p", "csrutil status", "nvram -xp"),
    ),
    Entry(
        "chezmoi", "fs.rm-outside-workspace", _D,
        "deletes the user's dotfiles, or chezmoi's source directory and state",
        ("destroy", "purge"),
        ("chezmoi destroy ~/.gitconfig --force", "chezmoi purge --force"),
        ("chezmoi diff", "chezmoi apply --dry-run"),
    ),
    # -- git internals -----------------------------------------------------------------
    Entry(
        "git", "git.discard-changes", _D,
        "overwrites the whole work tree from a tree (the plumbing of `reset --hard`)",
        ("read-tree --reset -u", "read-tree -u --reset"),
        ("git read-tree --reset -u HEAD", "git read-tree -u --reset origin/main"),
        # `git rm -f FILE` loses only FILE's uncommitted edits: the session memory judges it
        ("git read-tree HEAD", "git rm -f stale.txt", "git read-tree -m -u HEAD"),
    ),
    Entry(
        "git", "git.discard-changes", _D,
        "resets the branch, discarding work (--merge and --keep move HEAD too)",
        ("reset --merge *", "reset --keep *", "symbolic-ref -d|--delete"),
        ("git reset --keep HEAD~3", "git reset --merge origin/main", "git symbolic-ref -d HEAD"),
        ("git reset --soft HEAD~1", "git reset HEAD file.txt", "git reset --merge", "git gc"),
    ),
    Entry(
        "git", "git.discard-changes", _D,
        "overwrites work-tree files from the index, or removes a submodule's work tree with "
        "its local changes",
        ("checkout-index -f|--force", "submodule deinit -f|--force"),
        ("git checkout-index --force --all", "git submodule deinit --all -f"),
        ("git checkout-index -a", "git submodule deinit vendor/lib", "git submodule update"),
    ),
    Entry(
        "git", "git.history-rewrite", _D,
        "deletes a ref: the commits only it reached become unreachable",
        ("update-ref --delete", "update-ref -d"),
        ("git update-ref --delete refs/heads/release", "git update-ref -d refs/remotes/origin/x"),
        ("git update-ref refs/heads/tmp HEAD", "git for-each-ref refs/heads"),
    ),
    Entry(
        "rm unlink shred", "git.history-rewrite", _D,
        "deletes the repository's objects, refs or HEAD: commits become unreachable",
        ("*.git/objects*|*.git/refs*|*.git/HEAD|*.git/packed-refs|*.git/index|*.git/logs*",),
        ("rm -rf .git/objects", "rm -rf ./.git/refs/heads", "rm .git/HEAD",
         "rm -f .git/packed-refs"),
        ("rm -f .git/index.lock", "rm -rf .git/hooks/pre-commit.sample", "rm -rf .github"),
    ),
    # -- credential printers -----------------------------------------------------------
    Entry(
        "vault", "secrets.token-print", _P,
        "prints secrets from Vault",
        ("kv get !metadata", "read !policy !kv", "token create", "login",
         "write database/creds/*|aws/creds/*|*/issue/*"),
        ("vault kv get secret/app", "vault kv get -field=password secret/db",
         "vault read database/creds/readonly", "vault token create -ttl=1h"),
        ("vault kv list secret/", "vault kv metadata get secret/app", "vault status"),
    ),
    Entry(
        "doppler infisical", "secrets.token-print", _P,
        "prints the project's secrets",
        ("secrets !names !set !delete !upload", "export"),
        ("doppler secrets get DB_PASSWORD --plain", "doppler secrets",
         "doppler secrets download --no-file --format env", "infisical export --format=dotenv"),
        ("doppler secrets names", "doppler run -- npm test", "infisical run -- npm test",
         "doppler setup"),
    ),
    Entry(
        "heroku", "secrets.token-print", _P,
        "prints the app's config vars (its secrets)",
        ("config", "config:get"),
        ("heroku config -a shop", "heroku config:get DATABASE_URL -a shop"),
        ("heroku config:unset X -a shop", "heroku ps -a shop", "heroku logs --tail"),
    ),
    Entry(
        "git", "secrets.token-print", _P,
        "prints a stored git credential",
        ("credential fill", "credential-store get", "credential-cache get",
         "credential-manager get", "credential-osxkeychain get"),
        ("git credential fill", "printf 'host=github.com\n' | git credential fill"),
        ("git credential approve < /dev/null", "git config credential.helper"),
    ),
    Entry(
        "gh glab", "secrets.token-print", _P,
        "prints the GitHub/GitLab token",
        ("auth token", "auth status --show-token|-t"),
        ("gh auth token", "gh auth status --show-token", "glab auth status -t"),
        ("gh auth status", "gh auth login --with-token < token.txt"),
    ),
    Entry(
        "aws", "secrets.token-print", _P,
        "prints AWS credentials",
        ("configure get *secret*|*key*|*token*", "configure export-credentials",
         "sts get-session-token", "sts assume-role", "ecr get-login-password",
         "ecr-public get-login-password", "codeartifact get-authorization-token",
         "iam create-access-key", "sso get-role-credentials", "secretsmanager get-secret-value",
         "ssm get-parameter|get-parameters|get-parameter-history|get-parameters-by-path "
         "--with-decryption", "eks get-token", "apigateway get-api-key --include-value",
         "apigateway get-api-keys --include-values", "redshift get-cluster-credentials*",
         "redshift-serverless get-credentials", "lightsail get-instance-access-details",
         "lightsail download-default-key-pair", "rds generate-db-auth-token",
         "cognito-identity get-credentials-for-identity"),
        ("aws configure get aws_secret_access_key", "aws configure export-credentials",
         "aws sts get-session-token", "aws ecr get-login-password --region eu-west-1",
         "aws eks get-token --cluster-name staging --region eu-west-1",
         "aws ssm get-parameters-by-path --path /app/ --recursive --with-decryption",
         "aws rds generate-db-auth-token --hostname db.internal --port 5432 --username app",
         "aws lightsail download-default-key-pair"),
        ("aws configure get region", "aws sts get-caller-identity",
         "aws ecr get-login-password | docker login --username AWS --password-stdin x.ecr"),
    ),
    Entry(
        "gcloud", "secrets.token-print", _P,
        "prints a Google Cloud token",
        ("auth print-access-token", "auth print-identity-token",
         "auth application-default print-access-token", "secrets versions access",
         "iam service-accounts keys create"),
        ("gcloud auth print-access-token", "gcloud auth print-identity-token",
         "gcloud auth application-default print-access-token",
         "gcloud iam service-accounts keys create /tmp/k.json --iam-account ci@p.iam"),
        ("gcloud auth list", "gcloud config list"),
    ),
    Entry(
        "az", "secrets.token-print", _P,
        "prints an Azure token or secret",
        ("account get-access-token", "keyvault secret show", "ad sp create-for-rbac",
         "ad app credential reset", "ad sp credential reset", "acr login --expose-token",
         "storage account keys list", "webapp|functionapp config appsettings list",
         "webapp config connection-string list", "cosmosdb keys list", "redis list-keys",
         "storage account show-connection-string", "acr credential show",
         "aks get-credentials --file=-"),
        ("az account get-access-token", "az keyvault secret show --name db --vault-name v",
         "az functionapp config appsettings list -g rg -n worker",
         "az cosmosdb keys list --name docs -g rg --type connection-strings",
         "az acr credential show --name registry"),
        ("az account show", "az keyvault secret list --vault-name v"),
    ),
    Entry(
        "kubectl oc", "secrets.token-print", _P,
        "prints cluster credentials (raw kubeconfig, secret values, tokens)",
        ("config view --raw|--flatten",
         "get secret|secrets|secret/* -o=yaml|json|jsonpath*|go-template*",
         "create token", "whoami -t"),
        ("kubectl config view --raw", "kubectl config view --flatten --minify",
         "kubectl get secret db -o yaml", "kubectl get secret db -o jsonpath='{.data.password}'",
         "oc whoami -t"),
        ("kubectl config view", "kubectl get secrets", "kubectl describe secret db"),
    ),
    Entry(
        "docker-credential-desktop docker-credential-osxkeychain docker-credential-pass "
        "docker-credential-secretservice docker-credential-wincred docker-credential-gcloud "
        "docker-credential-ecr-login", "secrets.token-print", _P,
        "prints registry credentials from the credential store",
        ("get",),
        ("docker-credential-desktop get <<< https://index.docker.io/v1/",
         "echo https://index.docker.io/v1/ | docker-credential-osxkeychain get"),
        ("docker-credential-desktop list",),
    ),
    Entry(
        "heroku doctl flyctl fly netlify vercel firebase npm op vault", "secrets.token-print", _P,
        "prints an authentication token",
        ("auth:token", "auth token", "tokens create", "login:ci", "token create",
         "read op://*", "token lookup", "print-token"),
        ("heroku auth:token", "flyctl auth token", "firebase login:ci", "op read op://vault/db/pw",
         "npm token create"),
        ("heroku whoami", "flyctl auth whoami", "npm whoami"),
    ),
    # -- switching the guard off -------------------------------------------------------
    Entry(
        "claude", "csup.agent-bypass", _B,
        "starts Claude Code with permissions or hooks switched off, or with another "
        "configuration",
        ("--dangerously-skip-permissions", "--allow-dangerously-skip-permissions",
         "--permission-mode=bypassPermissions", "--settings", "--setting-sources"),
        ("claude --permission-mode bypassPermissions -p hi",
         "claude -p x --settings '{\"disableAllHooks\": true}'",
         "claude --settings /tmp/s.json -p x"),
        ("claude -p 'summarise README'", "claude --version", "claude --permission-mode plan"),
    ),
    Entry(
        "codex", "csup.agent-bypass", _B,
        "starts Codex with approvals or its sandbox switched off",
        ("--dangerously-bypass-approvals-and-sandbox", "--yolo", "--full-auto",
         "--ask-for-approval=never", "-a=never", "--sandbox=danger-full-access",
         "-s=danger-full-access", "-c=approval_policy=never*|sandbox_mode=danger*"),
        ("codex --dangerously-bypass-approvals-and-sandbox exec x", "codex exec --full-auto x",
         "codex -a never exec x", "codex -s danger-full-access"),
        ("codex exec 'explain main.py'", "codex --version"),
    ),
    Entry(
        "gemini qwen", "csup.agent-bypass", _B,
        "starts the agent accepting every action without asking",
        ("--yolo", "-y", "--approval-mode=yolo"),
        ("gemini --yolo -p x", "gemini -y -p x", "qwen --approval-mode yolo"),
        ("gemini -p 'hello'",),
    ),
    Entry(
        "aider", "csup.agent-bypass", _B,
        "starts aider confirming every action by itself",
        ("--yes-always", "--yes"),
        ("aider --yes-always", "aider --yes -m 'fix it'"),
        ("aider --help",),
    ),
    Entry(
        "cursor-agent copilot amp", "csup.agent-bypass", _B,
        "starts the agent running every command without asking",
        ("--force", "--allow-all-tools", "--allow-all", "--dangerously-allow-all", "--yolo"),
        ("cursor-agent --force -p x", "copilot --allow-all-tools -p x",
         "amp --dangerously-allow-all -x x", "copilot --allow-all"),
        ("cursor-agent -p 'list files'", "copilot -p 'explain'"),
    ),
    Entry(
        "droid agy antigravity crush kimi grok opencode omp", "csup.agent-bypass", _B,
        "starts the agent running every action without asking",
        ("--skip-permissions-unsafe", "--dangerously-skip-permissions", "--yolo", "-y",
         "--permission-mode=bypassPermissions", "--auto-approve"),
        ("droid exec --skip-permissions-unsafe -f p.md", "agy --dangerously-skip-permissions",
         "crush --yolo", "kimi --yolo", "grok --permission-mode bypassPermissions"),
        ("droid exec --auto low 'review'", "kimi -p 'summarise'", "crush --help"),
    ),
    Entry(
        "pip pip3 pipx uv", "csup.self-protect", _B,
        "uninstalls csup",
        ("uninstall csup", "tool uninstall csup", "pip uninstall csup", "remove csup"),
        ("pip uninstall -y csup", "pipx uninstall csup", "uv tool uninstall csup",
         "uv pip uninstall csup"),
        ("pip uninstall -y requests", "uv tool install ruff"),
    ),
    Entry(
        "npm pnpm yarn bun", "csup.self-protect", _B,
        "uninstalls or replaces Claude Code, which csup supervises",
        ("uninstall|remove|rm|un @anthropic-ai/claude-code*",
         "install|i|add -g|--global @anthropic-ai/claude-code*"),
        ("npm uninstall -g @anthropic-ai/claude-code", "npm i -g @anthropic-ai/claude-code@latest"),
        ("npm install", "npm i -D typescript"),
    ),
    Entry(
        "csup", "csup.self-protect", _B,
        "excepts a rule of csup's policy, which only the user may do",
        ("allow",),
        ("csup allow git.push-force", "uvx csup allow fs.rm-workspace",
         ".venv/bin/csup allow git.push-force --pattern 'git push -f origin main'"),
        ("csup policy rules", "csup policy explain 'git push -f'", "csup --help"),
    ),
    Entry(
        "python python3", "csup.self-protect", _B,
        "excepts a rule of csup's policy, which only the user may do",
        ("-m=csup|csup.__main__ allow", "-c=*csup.cli*allow*|*csup._entry*allow*"),
        ("python -m csup allow git.push-force", "python3 -m csup.__main__ allow net.fetch"),
        ("python -m csup policy rules", "python -m pytest",
         "python -c 'from csup.policy import load_policy; print(load_policy(None))'"),
    ),
)  # fmt: skip
"""Every entry; the tools of an entry may repeat in others (each is checked)."""


def by_tool() -> dict[str, list[Entry]]:
    """The entries for each tool name."""
    out: dict[str, list[Entry]] = {}
    for entry in ENTRIES:
        for tool in entry.tools:
            out.setdefault(tool, []).append(entry)
    return out
