"""The ways around a guard, class by class (tests/policy/corpus/classes.txt, issue 10).

Each line is asserted with its decision at ``permissive``; at ``moderate`` a blocked line
stays blocked. The per-class figures are printed by ``benchmarks/bench_policy.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from csup.policy import Decision, Policy, load_policy

CLASSES = Path(__file__).parent / "corpus" / "classes.txt"
Bash = Callable[[Policy, str], Decision]


def read_classes(path: Path = CLASSES) -> list[tuple[str, str, str]]:
    """(class, command, expected) for each line: expected is ``deny[:rule]``, ``ask``, ``allow``,
    or a known gap: ``gap:deny`` (still allowed), ``gap-fp`` (a near miss still blocked)."""
    lines: list[tuple[str, str, str]] = []
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# == "):
            current = line[5:].split(":", 1)[0]
            continue
        if not line.strip() or line.startswith("#"):
            continue
        command, _, expected = line.partition(" ## ")
        lines.append((current, command, expected.strip()))
    return lines


LINES = read_classes()


def test_every_class_has_lines_and_every_line_a_known_expectation() -> None:
    assert {c for c, _, _ in LINES} >= {f"class-{n}" for n in (1, 3, 4, 5, 6)}
    for _, command, expected in LINES:
        assert expected.partition(":")[0] in ("deny", "ask", "allow", "gap", "gap-fp"), command


@pytest.mark.parametrize(("klass", "command", "expected"), LINES, ids=[c for _, c, _ in LINES])
def test_the_line_gets_its_decision_at_permissive(
    bash: Bash, klass: str, command: str, expected: str
) -> None:
    decision = bash(load_policy("permissive"), command)
    behavior, _, rule = expected.partition(":")
    if behavior in ("gap", "gap-fp"):
        # a known gap (`gap:deny`: gets through; `gap-fp`: a near miss not allowed), counted
        # by benchmarks/bench_policy.py; once closed, write the line's decision instead
        assert (decision.behavior == "allow") == (behavior == "gap"), f"closed: {decision}"
        return
    assert decision.behavior == behavior, decision
    if rule:
        assert decision.rule == rule, decision


@pytest.mark.parametrize(("klass", "command", "expected"), LINES, ids=[c for _, c, _ in LINES])
def test_a_blocked_line_stays_blocked_at_moderate(
    bash: Bash, klass: str, command: str, expected: str
) -> None:
    decision = bash(load_policy("moderate"), command)
    if expected.startswith("deny"):
        assert decision.behavior == "deny", decision
    elif expected == "ask":
        assert decision.behavior != "allow", decision
