"""Rules on destroying infrastructure and data outside the machine's files.

``terraform destroy``, ``kubectl delete namespace``, ``docker volume prune``, ``DROP TABLE``
through a database client, ``redis-cli FLUSHALL``, ``aws s3 rm --recursive``: each throws
away data or infrastructure that no ``git`` command brings back. Deny, at every level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from csup._lazy_re import LazyRegex
from csup.policy.programs.paths import SYSTEM_DIRS, is_system
from csup.policy.rules.base import Context, Finding, deny, path_of, rule, shown
from csup.policy.syntax.command import Command

_SQL = LazyRegex(
    r"\b(?:DROP\s+(?:DATABASE|SCHEMA|TABLE|COLLECTION|KEYSPACE)|TRUNCATE(?:\s+TABLE)?\s+\w|"
    r"DELETE\s+FROM\s+[\w.\"`]+\s*(?:;|$)|FLUSHALL|FLUSHDB|dropDatabase\s*\(|"
    r"UPDATE\s+[\w.\"`]+\s+SET\s+(?:(?!\bWHERE\b)[^;])*(?:;|$)|"
    r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?[\w.\"`]+\s+DROP\s+(?!CONSTRAINT|DEFAULT|NOT|INDEX)\w)",
    re.IGNORECASE,
)
_SQL_CLIENTS = frozenset(
    {"psql", "mysql", "mariadb", "mongo", "mongosh", "mongos", "redis-cli", "cqlsh",
     "clickhouse-client", "sqlcmd", "cockroach", "valkey-cli", "pgcli", "mycli", "usql",
     "keydb-cli"}
)  # fmt: skip


def _destroys(reason: str, command: Command) -> Finding:
    return deny(
        "infra.destroy",
        f"Blocked {shown(command)}: {reason}, which nothing in the workspace can bring back. "
        "Ask the user to run it themselves.",
    )


def _operands(command: Command) -> list[str]:
    return [a for a in command.argv[1:] if not a.startswith("-")]


@rule("terraform", "tofu", "terragrunt", "pulumi", "cdk", "sst")
def destroys_infrastructure(command: Command, ctx: Context) -> Iterator[Finding]:
    """``terraform destroy``, ``terraform apply -destroy``, ``pulumi destroy``, ``cdk destroy``."""
    operands = _operands(command)
    if operands[:1] == ["destroy"] or (operands[:1] == ["apply"] and "-destroy" in command.argv):
        yield _destroys("it destroys managed infrastructure", command)
    elif command.name in ("terraform", "tofu") and operands[:2] == ["state", "rm"]:
        yield _destroys("it drops resources from the infrastructure state", command)


@rule("kubectl", "oc", "helm")
def deletes_clusters(command: Command, ctx: Context) -> Iterator[Finding]:
    """Whole namespaces or every resource of a kind: ``kubectl delete ns x``, ``--all``."""
    operands = _operands(command)
    args = set(command.argv[1:])
    if command.name == "helm":
        return
    if "delete" not in operands:
        return
    kinds = operands[operands.index("delete") + 1 :]
    if {"--all", "-A", "--all-namespaces"} & args or any(
        k.split("/")[0] in ("namespace", "namespaces", "ns", "all", "pv", "pvc") for k in kinds
    ):
        yield _destroys("it deletes a namespace or every resource of a kind", command)


@rule("docker", "podman")
def prunes_containers(command: Command, ctx: Context) -> Iterator[Finding]:
    """Volumes (the data of databases and services) and everything at once."""
    operands = _operands(command)
    args = set(command.argv[1:])
    if operands[:2] in (["volume", "rm"], ["volume", "prune"]) or (
        operands[:2] == ["system", "prune"] and "--volumes" in args
    ):
        yield _destroys("it deletes container volumes and the data in them", command)
    elif operands[:1] in (["rm"], ["rmi"]) and any(
        f.name in ("docker", "podman") for f in command.feeds
    ):
        yield _destroys("it removes every container or image another command lists", command)


def _mounts(argv: tuple[str, ...]) -> Iterator[str]:
    """The host side of each ``-v HOST:CONTAINER`` / ``--mount src=HOST`` bind mount."""
    for i, word in enumerate(argv):
        value = None
        if word in ("-v", "--volume", "--mount") and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith(("--volume=", "--mount=")):
            value = word.split("=", 1)[1]
        elif word.startswith("-v") and len(word) > 2:
            value = word[2:]
        if value is None:
            continue
        if "=" in value and ("src=" in value or "source=" in value):
            for part in value.split(","):
                if part.startswith(("src=", "source=")):
                    yield part.split("=", 1)[1]
        else:
            yield value.split(":", 1)[0]


@rule("docker", "podman")
def mounts_the_host(command: Command, ctx: Context) -> Iterator[Finding]:
    """A container given the host's root, home or a system directory, or all its devices."""
    operands = _operands(command)
    if not operands or (
        operands[0] not in ("run", "create")
        and operands[:2]
        not in (
            ["container", "run"],
            ["container", "create"],
        )
    ):
        return
    for host in _mounts(command.argv):
        path = path_of(host, ctx) if host.startswith(("/", "~", "$")) else None
        if path is not None and (
            path in ("/", ctx.where.home) or path in SYSTEM_DIRS or is_system(path)
        ):
            yield deny(
                "system.container-host",
                f"Blocked {shown(command)}: it gives a container `{path}` from the host, so "
                "whatever runs inside can change or delete it. Mount only workspace paths.",
            )
            return
    given = _host_given(command.argv)
    if given is not None:
        yield deny(
            "system.container-host",
            f"Blocked {shown(command)}: it gives a container {given}, so whatever runs "
            "inside can reach past the container (and past csup) to the host. Run it "
            "without that option.",
        )


_HOST_NAMESPACES = ("pid", "ipc", "uts", "userns", "cgroupns")


def _host_given(argv: tuple[str, ...]) -> str | None:
    """What of the host ``docker run`` options hand a container: every device and
    capability (``--privileged``, ``--cap-add ALL``/``SYS_ADMIN``), or the host's processes
    (``--pid host``: it can see, signal and enter them). None: none of these."""
    for i, word in enumerate(argv[1:], start=1):
        name, eq, value = word.partition("=")
        if not eq and i + 1 < len(argv):
            value = argv[i + 1]
        if word in {"--privileged", "--privileged=true"}:
            return "the host's devices and every capability (--privileged)"
        if name == "--cap-add" and value.upper().removeprefix("CAP_") in ("ALL", "SYS_ADMIN"):
            return f"the capability {value} (--cap-add)"
        if name.lstrip("-") in _HOST_NAMESPACES and value == "host":
            return f"the host's {name.lstrip('-')} namespace ({name} host)"
    return None


@rule("docker", "podman", "kubectl", "oc")
def execs_database_clients(command: Command, ctx: Context) -> Iterator[Finding]:
    """``docker exec db psql -c 'DROP DATABASE x'``: the client runs inside a container."""
    args = command.argv[1:]
    if "exec" not in args:
        return
    client = next((i for i, a in enumerate(args) if a in _SQL_CLIENTS), None)
    if client is not None:
        inner = Command(tuple(args[client:]), upstream=command.upstream, via=command.via)
        yield from drops_databases(inner, ctx)


@rule(*_SQL_CLIENTS, "dropdb", "dropuser", "mysqladmin")
def drops_databases(command: Command, ctx: Context) -> Iterator[Finding]:
    """``DROP DATABASE``/``TABLE``, ``TRUNCATE``, ``DELETE`` without ``WHERE``, ``FLUSHALL``."""
    if command.name in ("dropdb", "dropuser") or (
        command.name == "mysqladmin" and "drop" in command.argv[1:]
    ):
        yield _destroys("it drops a database", command)
        return
    texts = [*command.argv[1:]]
    if command.stdin:
        texts.append(command.stdin)
    texts += [a for c in command.upstream if c.name in ("echo", "printf", "cat") for a in c.argv]
    hit = next((m for t in texts if (m := _SQL.search(t))), None)
    if hit is not None:
        yield _destroys(f"it runs `{hit.group(0).strip()}` on a database", command)


@rule("aws", "gsutil", "gcloud", "az", "s3cmd", "rclone")
def deletes_cloud_data(command: Command, ctx: Context) -> Iterator[Finding]:
    """Recursive deletes of buckets and cloud projects."""
    operands = _operands(command)
    if command.name == "aws":
        operands = operands[1:] if operands[:1] == ["s3"] else []
    recursive = bool({"--recursive", "-r", "-R", "--force"} & set(command.argv[1:]))
    verb = operands[:1]
    if command.name in ("aws", "gsutil", "s3cmd") and (
        verb == ["rb"] or (verb in (["rm"], ["del"]) and recursive)
    ):
        yield _destroys("it deletes a storage bucket or everything in it", command)
    elif command.name == "gcloud" and operands[:2] == ["projects", "delete"]:
        yield _destroys("it deletes a cloud project", command)
    elif command.name == "rclone" and verb in (["purge"], ["delete"]):
        yield _destroys("it deletes remote storage", command)


@rule("gh")
def deletes_repositories(command: Command, ctx: Context) -> Iterator[Finding]:
    """``gh repo delete``."""
    if _operands(command)[:2] == ["repo", "delete"]:
        yield _destroys("it deletes a GitHub repository", command)


_CLOUD_DELETE = LazyRegex(r"^(?:delete|terminate|destroy|purge|remove|rm|uninstall)(?:[-:_]|$)")
_CLOUD_CLIS = ("aws", "gcloud", "az", "doctl", "heroku", "fly", "flyctl", "vercel", "netlify",
               "firebase", "supabase", "railway", "linode-cli", "hcloud", "scw", "oci", "ibmcloud",
               "helm")  # fmt: skip


@rule(*_CLOUD_CLIS)
def deletes_cloud_resources(command: Command, ctx: Context) -> Iterator[Finding]:
    """``aws ec2 terminate-instances``, ``gcloud ... delete``, ``heroku apps:destroy``...

    Any subcommand that deletes, terminates or destroys cloud resources (``aws s3 rm`` of
    one object is judged by :func:`deletes_cloud_data`).
    """
    operands = _operands(command)
    if command.name == "aws" and operands[:1] == ["s3"]:
        return
    for word in operands[:4]:
        verb = word.rsplit(":", 1)[-1] if ":" in word else word
        if _CLOUD_DELETE.match(verb) or _CLOUD_DELETE.match(word):
            yield _destroys("it deletes or destroys cloud resources", command)
            return
