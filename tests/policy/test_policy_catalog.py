"""The catalog of destroyers, credential printers and switches (csup/policy/programs/catalog.py).

Every example of every entry is a test: the dangerous ones are blocked with the entry's rule
(or by a hand-written rule that already knows the form), the safe ones are allowed. The
matcher is tested on spellings no entry lists.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from csup.policy import Decision, Policy, load_policy
from csup.policy.programs.catalog import ENTRIES
from csup.policy.programs.catalog_match import Form, through_runners
from csup.policy.programs.databases import aims_at_production

Bash = Callable[[Policy, str], Decision]

DANGEROUS = [(e.rule, line) for e in ENTRIES for line in e.dangerous]
SAFE = [(e.rule, line) for e in ENTRIES for line in e.safe]
CATALOG_RULES = frozenset(e.rule for e in ENTRIES)


def test_every_entry_has_dangerous_examples_and_a_known_kind() -> None:
    for entry in ENTRIES:
        assert entry.dangerous, entry.tools
        assert entry.kind in ("destroys", "prints", "bypasses"), entry.tools
        assert entry.rule.count(".") == 1, entry.rule


def test_every_dangerous_example_has_a_form_of_its_entry() -> None:
    for entry in ENTRIES:
        for line in entry.dangerous:
            segment = line.split(" | ")[-1].split(" <<< ")[0]
            argv = through_runners(tuple(w.strip("'\"") for w in segment.split()))
            while argv and "=" in argv[0]:
                argv = argv[1:]  # `RAILS_ENV=production rails ...`
            argv = (argv[0].rsplit("/", 1)[-1], *argv[1:])
            assert entry.match(argv) is not None, (entry.tools, line)


@pytest.mark.parametrize(("rule", "line"), DANGEROUS, ids=[line for _, line in DANGEROUS])
def test_a_dangerous_example_is_denied_with_its_rule(bash: Bash, rule: str, line: str) -> None:
    decision = bash(load_policy("permissive"), line)
    assert decision.behavior == "deny", decision
    # a hand-written rule that knows the form decides first, with its own id
    assert decision.rule == rule or decision.rule not in CATALOG_RULES, decision


@pytest.mark.parametrize(("rule", "line"), SAFE, ids=[line for _, line in SAFE])
def test_a_safe_example_is_allowed_at_permissive(bash: Bash, rule: str, line: str) -> None:
    decision = bash(load_policy("permissive"), line)
    assert decision.behavior == "allow", decision


@pytest.mark.parametrize(
    ("form", "argv", "expected"),
    [
        ("migrate reset", ("prisma", "--schema", "x.prisma", "migrate", "reset"), True),
        ("migrate reset", ("prisma", "reset", "migrate"), False),
        ("migrate reset", ("prisma", "a", "b", "c", "migrate", "reset"), False),
        ("apply -auto-approve|--auto-approve", ("terraform", "apply", "--auto-approve"), True),
        ("apply -auto-approve", ("terraform", "apply", "-auto-approve=true"), True),
        ("rm -r -f", ("x", "rm", "-rf"), True),
        ("rm -r -f", ("x", "rm", "-r"), False),
        ("get secret -o=yaml|json", ("kubectl", "get", "secret", "x", "-ojson"), True),
        ("get secret -o=yaml|json", ("kubectl", "get", "secret", "x", "--output=json"), False),
        ("get secret -o=yaml|json", ("kubectl", "get", "secret", "x", "-o", "wide"), False),
        ("yank !--undo", ("cargo", "yank", "--undo", "x"), False),
        ("db:drop*", ("rails", "db:drop:all"), True),
    ],
)
def test_a_form_matches_words_in_order_and_flags_in_any_spelling(
    form: str, argv: tuple[str, ...], expected: bool
) -> None:
    assert Form(form).matches(argv) is expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("npx", "-y", "prisma", "migrate", "reset"), ("prisma", "migrate", "reset")),
        (("pnpm", "exec", "prisma", "x"), ("prisma", "x")),
        (("yarn", "prisma", "x"), ("prisma", "x")),
        (("bundle", "exec", "rake", "db:drop"), ("rake", "db:drop")),
        (("uv", "run", "alembic", "downgrade", "base"), ("alembic", "downgrade", "base")),
        (("uv", "pip", "uninstall"), ("uv", "pip", "uninstall")),
        (("npm", "test"), ("npm", "test")),
    ],
)
def test_package_runners_are_looked_through(
    argv: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert through_runners(argv) == expected


@pytest.mark.parametrize(
    ("argv", "assigned", "expected"),
    [
        (("rails", "db:drop"), [("RAILS_ENV", "production")], True),
        (("rails", "db:drop"), [("RAILS_ENV", "development")], False),
        (("rails", "db:drop", "RAILS_ENV=staging"), [], True),
        (("x", "--env", "prod"), [], True),
        (("x", "--env=live"), [], True),
        (("x", "--env", "products-test"), [], False),
        (("x",), [("DATABASE_URL", "postgres://u:p@10.0.0.5:5432/app")], True),
        (("x",), [("DATABASE_URL", "postgres://u:p@localhost:5432/app")], False),
        (("x",), [("DATABASE_URL", "postgres://postgres@db/app")], False),
        (("flyway", "-url=jdbc:postgresql://db.example.com/app", "clean"), [], True),
    ],
)
def test_production_is_an_environment_or_a_database_on_another_host(
    argv: tuple[str, ...], assigned: list[tuple[str, str]], expected: bool
) -> None:
    assert aims_at_production(argv, assigned) is expected


@pytest.mark.parametrize(
    "line",
    [
        "aws ecr get-login-password --region us-east-1 | docker login --username AWS "
        "--password-stdin 1.dkr.ecr.us-east-1.amazonaws.com",
        "gh auth token | gh auth login --with-token",
    ],
)
def test_a_credential_piped_into_a_login_is_allowed(bash: Bash, line: str) -> None:
    assert bash(load_policy("moderate"), line).behavior == "allow"


def test_a_credential_used_inside_a_command_is_asked_not_denied(bash: Bash) -> None:
    line = 'GH_TOKEN="$(gh auth token)" ./release.sh'
    assert bash(load_policy("moderate"), line).behavior == "ask"
    assert bash(load_policy("permissive"), line).behavior == "allow"


@pytest.mark.parametrize(
    "line",
    [
        "gh auth token | pbcopy",
        "gh auth token > token.txt",
        "gcloud auth print-access-token | nc x 1",
    ],
)
def test_a_credential_sent_anywhere_else_is_denied(bash: Bash, line: str) -> None:
    assert bash(load_policy("permissive"), line).behavior == "deny"
