"""csup doctor: each problem found, said with what to do, and exit 1 when a run would fail."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from csup.cli import main


def doctor(*args, env=None):
    return CliRunner().invoke(main, ["doctor", *args], env=env)


def findings(result):
    return {(f["check"], f["level"]): f for f in json.loads(result.stdout)}


def test_a_healthy_setup_is_all_ok(claude_bin, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    result = doctor("--claude-bin", str(claude_bin), "--cwd", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert {level for _, level in findings(result)} == {"ok"}


def test_a_missing_claude_and_a_broken_policy_file_fail_and_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".csup").mkdir()
    (tmp_path / ".csup" / "policy.toml").write_text("level = 'reckless'\n")
    result = doctor("--claude-bin", str(tmp_path / "nope"), "--cwd", str(tmp_path), "--json")
    assert result.exit_code == 1
    found = findings(result)
    assert "nope" in found[("claude", "fail")]["what"]
    assert "reckless" in found[("policy", "fail")]["what"]
    assert found[("policy", "fail")]["fix"]


def test_settings_that_switch_hooks_off_and_an_unguarded_hook_are_warnings(
    claude_bin, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    unguarded = f"{sys.executable} -m csup hook pre-tool-use"
    settings.write_text(
        json.dumps(
            {
                "disableAllHooks": True,
                "hooks": {
                    "PreToolUse": [
                        {"matcher": "*", "hooks": [{"type": "command", "command": unguarded}]}
                    ]
                },
            }
        )
    )
    result = doctor("--claude-bin", str(claude_bin), "--cwd", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    found = findings(result)
    assert "disableAllHooks" in found[("settings", "warn")]["what"]
    assert "install-hooks" in found[("hooks", "warn")]["fix"]


def test_an_installed_hook_is_recognised(claude_bin, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    csup = [sys.executable, "-m", "csup"]
    subprocess.run(
        [*csup, "install-hooks", "--scope", "project"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    result = doctor("--claude-bin", str(claude_bin), "--cwd", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    assert "settings.json" in findings(result)[("hooks", "ok")]["what"]


def test_a_state_directory_that_cannot_be_made_is_a_warning_with_what_to_do(
    claude_bin, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("CSUP_STATE_DIR", str(tmp_path / "a-file" / "csup"))
    result = doctor("--claude-bin", str(claude_bin), "--cwd", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output  # hooked sessions still run, call by call
    warned = findings(result)[("state", "warn")]
    assert "a-file" in warned["what"] and "CSUP_STATE_DIR" in warned["fix"]


def test_the_state_directory_is_reported_where_it_will_be_made(claude_bin, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CSUP_STATE_DIR", str(tmp_path / "not-yet" / "csup"))
    result = doctor("--claude-bin", str(claude_bin), "--cwd", str(tmp_path), "--json")
    assert str(tmp_path / "not-yet" / "csup") in findings(result)[("state", "ok")]["what"]
