"""A worktree lives under ``.git/``: the policy must judge work there as in any workspace."""

from __future__ import annotations

import pytest

from csup.policy import ToolCall, load_policy
from csup.worktree import prepare


def calls(root: str) -> list[ToolCall]:
    return [
        ToolCall("Write", {"file_path": f"{root}/notes.txt", "content": "x"}, cwd=root),
        ToolCall(
            "Edit",
            {"file_path": f"{root}/src/app.py", "old_string": "a", "new_string": "b"},
            cwd=root,
        ),
        ToolCall("Read", {"file_path": f"{root}/README"}, cwd=root),
        ToolCall(
            "Bash", {"command": "echo x >> README && git add -A && git commit -qm x"}, cwd=root
        ),
        ToolCall("Bash", {"command": "rm -rf build"}, cwd=root),
        ToolCall("Bash", {"command": "rm -rf ."}, cwd=root),
    ]


@pytest.mark.parametrize("level", ["permissive", "moderate", "strict"])
def test_the_policy_decides_in_a_worktree_as_in_a_plain_checkout(repo, tmp_path, level):
    policy = load_policy(level)
    wt = prepare(repo, run_id="r1", task="a")
    plain = tmp_path / "plain"
    plain.mkdir()
    in_worktree = [policy.decide(call).behavior for call in calls(str(wt.path))]
    in_plain = [policy.decide(call).behavior for call in calls(str(plain))]
    assert in_worktree == in_plain
