"""Every line of the corpus (tests/policy/corpus/) asserted with its decision.

``dangerous.txt``: denied at every level, by the named rule. ``benign.txt``: near misses,
allowed at ``permissive``, and at ``moderate`` allowed or asked as annotated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from csup.policy import Decision, Policy, load_policy

CORPUS = Path(__file__).parent / "corpus"


def read_corpus(name: str) -> list[tuple[str, str | None]]:
    """(command, annotation) for each line of a corpus file."""
    lines = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        command, _, note = line.partition(" ## ")
        lines.append((command, note.strip() or None))
    return lines


DANGEROUS = read_corpus("dangerous.txt")
BENIGN = read_corpus("benign.txt")
Bash = Callable[[Policy, str], Decision]


def test_the_corpus_has_at_least_200_lines_of_each_kind() -> None:
    assert len(DANGEROUS) >= 200
    assert len(BENIGN) >= 200


@pytest.mark.parametrize(("command", "rule"), DANGEROUS, ids=[c for c, _ in DANGEROUS])
@pytest.mark.parametrize("level", ["permissive", "moderate", "strict"])
def test_dangerous_command_is_denied_at_every_level(
    bash: Bash, level: str, command: str, rule: str | None
) -> None:
    decision = bash(load_policy(level), command)
    assert decision.behavior == "deny", decision
    if rule is not None:
        assert decision.rule == rule, decision
    assert decision.reason


@pytest.mark.parametrize(("command", "note"), BENIGN, ids=[c for c, _ in BENIGN])
def test_benign_near_miss_is_allowed_at_permissive(
    bash: Bash, command: str, note: str | None
) -> None:
    decision = bash(load_policy("permissive"), command)
    assert decision.behavior == "allow", decision


@pytest.mark.parametrize(("command", "note"), BENIGN, ids=[c for c, _ in BENIGN])
def test_benign_near_miss_is_allowed_or_asked_as_annotated_at_moderate(
    bash: Bash, command: str, note: str | None
) -> None:
    decision = bash(load_policy("moderate"), command)
    if note is None:
        assert decision.behavior == "allow", decision
    else:
        kind, _, rule = note.partition(":")
        assert (decision.behavior, decision.rule) == (kind, rule), decision
