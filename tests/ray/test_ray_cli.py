"""``csup multi --backend ray``: the same summary and ``--json``, plus each session's node."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.testing import text, tool

ROOT = Path(__file__).resolve().parents[2]  # the checkout whose csup is tested


def invoke(args, env=None):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


@pytest.mark.claude
def test_multi_on_a_local_ray_instance_reports_each_session_and_its_node_in_json(
    scripted_model, claude_env, workspace, claude_bin
):
    model = scripted_model(
        {
            "ok": [[tool("Bash", command="touch ok.txt", description="t")], [text("ok")]],
            "evil": [[tool("Bash", command="rm -rf /", description="x")], [text("ok")]],
        }
    )
    # A process of its own: without --ray-address csup starts (and stops) a local Ray, whose
    # workers inherit csup's environment, as claude does with the local backend.
    args = [sys.executable, "-m", "csup", "multi", "--backend", "ray", "--json"]
    args += ["--task", "[scenario:ok] a", "--task", "[scenario:evil] b", "--max-parallel", "2"]
    args += ["--cwd", str(workspace), "--claude-bin", str(claude_bin), "--policy", "moderate"]
    env = {k: v for k, v in claude_env(model).items() if k != "RAY_ADDRESS"}
    done = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    sessions = {s["id"]: s for s in doc["sessions"]}
    assert [s["status"] for s in sessions.values()] == ["completed", "completed"]
    assert all(s["node"] for s in sessions.values())
    assert sessions["s2"]["denials"] == 1 and sessions["s2"]["denied_calls"][0]["tool"] == "Bash"
    assert doc["totals"]["lost"] == 0
    assert (workspace / "ok.txt").exists()


def test_ray_options_without_the_ray_backend_are_a_usage_error():
    result = invoke(["multi", "--task", "x", "--retry-lost"])
    assert result.exit_code == 2
    assert "--backend ray" in result.output


def test_the_ray_backend_without_ray_installed_says_how_to_install_it(
    monkeypatch, claude_bin, workspace
):
    for name in list(sys.modules):
        if name == "ray" or name.startswith(("ray.", "csup.ray")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    args = ["multi", "--backend", "ray", "--task", "x", "--claude-bin", str(claude_bin)]
    result = invoke([*args, "--cwd", str(workspace), "--no-record"])
    assert result.exit_code == 2
    assert "pip install 'csup[ray]'" in result.output


def test_csup_and_its_cli_do_not_import_ray_unless_the_ray_backend_is_used():
    code = "import sys, csup, csup.cli, csup.supervisor; print('ray' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
