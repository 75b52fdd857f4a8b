"""The policy engine: every tool call judged before it runs.

Pure code, no threads or actors, shared by the session actors and ``csup hook``::

    from csup.policy import ToolCall, resolve_policy

    policy = resolve_policy(cwd="/work/project")
    decision = policy.decide(ToolCall("Bash", {"command": "rm -rf ~"}, cwd="/work/project"))
    decision.behavior, decision.rule   # ("deny", "fs.rm-root-or-home")

Importing this package is cheap: the shell parser (tree-sitter) loads on the first Bash
decision.

The package is in layers, each importing only from those below it (checked by
``tests/policy/test_policy_layers.py``):

1. :mod:`csup.policy.syntax`: shell syntax; what a line runs and writes, knowing no program;
2. :mod:`csup.policy.programs`: program knowledge as data (wrappers, interpreters, the
   catalog of destroyers and credential printers, places), and ``analyse()``;
3. :mod:`csup.policy.rules`: the rule families, one module each, and the judge that runs them;
4. the engine, the modules here: the policy and its levels (``_engine``), Claude rule syntax
   (``_claude_rules``), policy files (``_file``), Claude Code's settings (``_settings``) and
   session memory (``_memory``). This is the public API; the layers below are internal.
"""

from __future__ import annotations

from csup.calls import Decision, ToolCall
from csup.policy._engine import DEFAULT_LEVEL, Policy, load_policy, resolve_policy
from csup.policy._file import LEVELS, PolicyConfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.calls import Behavior
    from csup.policy._memory import SessionMemory

__all__ = [
    "DEFAULT_LEVEL",
    "LEVELS",
    "Behavior",
    "Decision",
    "Policy",
    "PolicyConfig",
    "SessionMemory",
    "ToolCall",
    "load_policy",
    "resolve_policy",
]


def __getattr__(name: str) -> object:
    # ``Behavior`` is a typing.Literal: made on demand, so that the hook never imports typing.
    if name == "SessionMemory":  # made on demand: the hook never needs it
        from csup.policy._memory import SessionMemory  # noqa: PLC0415

        return SessionMemory
    if name == "Behavior":
        from typing import Literal  # noqa: PLC0415

        return Literal["allow", "deny", "ask"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
