"""Sessions on a two-node local Ray cluster: real claude, the scripted model, one policy."""

from __future__ import annotations

import os
import uuid

import psutil
import pytest

from csup import signals
from csup.calls import Decision
from csup.claude.result import SessionStatus
from csup.report import summary_json, summary_table
from csup.testing import text, tool
from tests.ray.conftest import add_session_node, await_gone, await_processes, node_of

pytestmark = pytest.mark.claude


def touch(name: str) -> list:
    return [tool("Bash", command=f"touch {name}", description="touch")]


def sleeper(marker: str, first_only: str | None = None) -> list:
    """A Bash tool that sleeps a minute (``marker`` in its command line); with
    ``first_only``, only the first time it runs in the workspace."""
    command = f"python3 -c 'import time; time.sleep(60)' {marker}"
    if first_only is not None:
        command = f"test -e {first_only} || {{ touch {first_only}; {command}; }}"
    return [tool("Bash", command=command, description="slow")]


def test_sessions_spread_over_both_nodes_and_each_denial_is_decided_on_its_own_node(
    ray_supervisor, scripted_model, workspace, claude_home
):
    precious = claude_home / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    model = scripted_model(
        {
            "evil": [[tool("Bash", command="bash -c 'rm -rf ~/'", description="x")], [text(".")]],
            **{f"good{i}": [touch(f"good{i}.txt"), [text("done")]] for i in range(3)},
        }
    )
    sup = ray_supervisor(model, max_sessions=4)
    evil = sup.submit("[scenario:evil] clean up")
    good = [sup.submit(f"[scenario:good{i}] work") for i in range(3)]
    results = {r.session_id: r for r in sup.wait_all(timeout=120)}

    assert [results[g].status for g in good] == [SessionStatus.COMPLETED] * 3, results
    assert all((workspace / f"good{i}.txt").exists() for i in range(3))
    assert results[evil].denials == 1
    assert "rm -rf" in model.tool_results("evil")[0].content
    assert (precious / "keep.txt").read_text() == "mine"
    assert len({r.node for r in results.values()}) == 2  # both nodes ran sessions
    # Decided where the sessions ran: the driver's policy actor was never asked.
    assert sup.policy_actor.proxy().decisions.get() == 0
    totals = sup.stats
    assert (totals.completed, totals.tool_calls, totals.approvals, totals.denials) == (4, 4, 3, 1)
    assert totals.events > 0
    doc = summary_json(sup.sessions(), totals)
    assert {s["node"] for s in doc["sessions"]} == {r.node for r in results.values()}
    assert "node" in summary_table(sup.sessions(), totals).splitlines()[0]


def test_stopping_every_session_leaves_no_claude_and_no_tool_on_either_node(
    ray_supervisor, scripted_model
):
    marker = f"csup-ray-stop-{uuid.uuid4().hex[:8]}"
    model = scripted_model({f"slow{i}": [sleeper(f"{marker}-{i}")] for i in range(2)})
    sup = ray_supervisor(model, max_sessions=2)
    ids = [sup.submit(f"[scenario:slow{i}] go") for i in range(2)]
    for i in range(2):
        await_processes(f"{marker}-{i}", 1)
    claude_pids = [sup.get_session(i).pid for i in ids]
    assert all(claude_pids)

    results = sup.stop_all(reason="interrupted (Ctrl-C)", timeout=60)

    assert [r.status for r in results] == [SessionStatus.CANCELLED] * 2, results
    assert len({r.node for r in results}) == 2
    assert await_gone(marker) == []
    assert not [
        p
        for p in claude_pids
        if p is not None
        and psutil.pid_exists(p)
        and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]


@pytest.mark.parametrize("retry", [False, True], ids=["reported-lost", "run-again"])
def test_a_node_killed_mid_run_loses_its_session_which_runs_again_elsewhere_with_retry(
    retry, cluster, ray_supervisor, scripted_model, workspace
):
    marker = f"csup-ray-lost-{uuid.uuid4().hex[:8]}"
    model = scripted_model({"slow": [sleeper(marker, first_only="tried"), [text("done")]]})
    sup = ray_supervisor(model, max_sessions=1, retry_lost=retry)
    session_id = sup.submit("[scenario:slow] go")
    tool_process = await_processes(marker, 1)[0]
    doomed = node_of(tool_process, cluster)
    doomed_id = doomed.node_id[:8]

    cluster.remove_node(doomed)
    add_session_node(cluster)  # the cluster keeps two session nodes
    (result,) = sup.wait_all(timeout=120)

    assert result.session_id == session_id
    assert await_gone(marker) == []  # the dead node's guardian took its tool with it
    if retry:
        assert result.status is SessionStatus.COMPLETED, result
        assert result.node is not None and doomed_id not in result.node
    else:
        assert result.status is SessionStatus.LOST, result
        assert result.node is not None and doomed_id in result.node
        assert "lost" in (result.error or "")
        assert sup.stats.lost == 1
        assert "lost" in summary_table(sup.sessions(), sup.stats)


def test_a_session_with_a_worktree_makes_and_finishes_it_on_its_node(
    cluster, ray_supervisor, scripted_model, tmp_path
):
    from tests.worktrees.conftest import make_repo, status  # noqa: PLC0415

    repo = make_repo(tmp_path / "repo")
    before = status(repo)
    edit = [[tool("Write", file_path="a.txt", content="from a\n")], [text("done")]]
    model = scripted_model({"a": edit})
    sup = ray_supervisor(model, max_sessions=1)
    sup.submit("[scenario:a] add a", cwd=repo, worktree=True)
    (result,) = sup.wait_all(timeout=120)
    assert result.status is SessionStatus.COMPLETED, result
    assert result.node and result.worktree is not None
    assert result.worktree.commits == 1 and result.worktree.branch.startswith("csup/")
    assert status(repo) == before  # the work is on its branch, not in the checkout


def test_what_the_policy_asks_about_on_a_node_is_reviewed_on_the_driver(
    ray_supervisor, scripted_model, workspace
):
    reviewed: list[tuple[str, int]] = []
    driver = os.getpid()

    def policy(call):  # shipped to the node with its session
        if "review" in call.tool_input.get("command", ""):
            return Decision("ask", "needs a review", "test.ask")
        return Decision("allow", f"fine on {os.getpid()}", "test.allow")

    def reviewer(call, asked, context):  # stays here, on the driver
        reviewed.append((call.tool_input["command"], os.getpid()))
        return Decision("allow", "reviewed", asked.rule, "reviewer")

    steps = [touch("plain.txt"), touch("review.txt"), [text("done")]]
    model = scripted_model({"r": steps})
    sup = ray_supervisor(model, max_sessions=1, policy=policy, escalate=reviewer)
    decisions: list[Decision] = []
    with signals.decision_made.connected_to(
        lambda sender, *, decision, **kw: decisions.append(decision), sup
    ):
        (result,) = sup.spawn_and_wait_all(["[scenario:r] go"])
    assert result.status is SessionStatus.COMPLETED, result
    assert (workspace / "plain.txt").exists() and (workspace / "review.txt").exists()
    assert reviewed == [("touch review.txt", driver)]
    plain, asked = decisions
    assert plain.reason != f"fine on {driver}"  # decided in the session's actor, on its node
    assert (asked.behavior, asked.reason) == ("allow", "reviewed")
