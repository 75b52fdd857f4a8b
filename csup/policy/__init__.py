"""The policy engine: every tool call judged before it runs.

Pure code, no threads or actors, shared by the session actors and ``csup hook``::

    from csup.policy import ToolRequest, resolve_policy

    policy = resolve_policy(cwd="/work/project")
    decision = policy.decide(ToolRequest("Bash", {"command": "rm -rf ~"}, cwd="/work/project"))
    decision.behavior, decision.rule   # ("deny", "fs.rm-root-or-home")

Importing this package is cheap: the shell parser (tree-sitter) loads on the first Bash
decision.
"""

from __future__ import annotations

from csup.policy._decision import Behavior, Decision, ToolRequest
from csup.policy._engine import DEFAULT_LEVEL, Policy, load_policy, resolve_policy
from csup.policy._file import LEVELS, PolicyConfig

__all__ = [
    "DEFAULT_LEVEL",
    "LEVELS",
    "Behavior",
    "Decision",
    "Policy",
    "PolicyConfig",
    "ToolRequest",
    "load_policy",
    "resolve_policy",
]
