"""``csup install-hooks`` / ``uninstall-hooks``: merge, idempotence, backup, atomicity, restore."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from csup.cli import main as cli
from csup.errors import ConfigError
from csup.hooks import install
from csup.hooks.install import (
    desired_hooks,
    guarded,
    is_csup_command,
    plan_install,
    plan_uninstall,
    settings_path,
)

CSUP = ["/opt/my tools/bin/csup"]  # a path that needs quoting in a shell command


def specs(**options: object) -> list[install.HookSpec]:
    return desired_hooks(argv=CSUP, **options)  # type: ignore[arg-type]


def do_install(path: Path, **options: object) -> install.Change:
    change = plan_install(path, specs(**options))
    change.apply()
    return change


def do_uninstall(path: Path) -> install.Change:
    change = plan_uninstall(path)
    change.apply()
    return change


ORIGINAL = """{
    "permissions": {"allow": ["Bash(npm test)"], "deny": []},
    "model": "sonnet",
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}],
        "Stop": []
    },
    "env": {"FOO": "1"}
}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(ORIGINAL)
    return path


def test_the_hook_entry_has_the_shape_claude_code_reads(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    do_install(path, timeout=45)
    data = json.loads(path.read_text())
    assert data == {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": "*",
                    "hooks": [
                        {
                            "type": "command",
                            "command": guarded(
                                "'/opt/my tools/bin/csup' hook pre-tool-use", "PreToolUse"
                            ),
                            "timeout": 45,
                        }
                    ],
                }
            ]
        }
    }


def test_install_merges_without_losing_a_key(settings: Path) -> None:
    before = json.loads(ORIGINAL)
    do_install(settings, stop_check="make test", permission_request=True)
    after = json.loads(settings.read_text())
    for key in ("permissions", "model", "env"):
        assert after[key] == before[key]
    pre = after["hooks"]["PreToolUse"]
    assert pre[0] == before["hooks"]["PreToolUse"][0]  # the user's hook stays first
    assert [h["command"] for h in pre[1]["hooks"]] == [
        guarded("'/opt/my tools/bin/csup' hook pre-tool-use", "PreToolUse")
    ]
    stop = after["hooks"]["Stop"]
    assert len(stop) == 1 and "matcher" not in stop[0]
    assert stop[0]["hooks"][0]["command"] == guarded(
        "'/opt/my tools/bin/csup' hook stop --check 'make test' --check-timeout 300", "Stop"
    )
    assert stop[0]["hooks"][0]["timeout"] == 330
    assert after["hooks"]["PermissionRequest"][0]["matcher"] == "*"


def test_installing_twice_equals_installing_once(settings: Path) -> None:
    do_install(settings, policy="strict")
    once = settings.read_bytes()
    mtime = settings.stat().st_mtime_ns
    second = plan_install(settings, specs(policy="strict"))
    assert not second.changed
    second.apply()
    assert settings.read_bytes() == once
    assert settings.stat().st_mtime_ns == mtime


def test_reinstalling_with_other_options_replaces_csups_entry(settings: Path) -> None:
    do_install(settings, policy="strict")
    do_install(settings, policy="permissive", stop_check="true")
    data = json.loads(settings.read_text())
    commands = [
        hook["command"]
        for groups in data["hooks"].values()
        for group in groups
        for hook in group["hooks"]
    ]
    assert sum("pre-tool-use" in c for c in commands) == 1
    assert any("--policy permissive" in c for c in commands)
    assert not any("strict" in c for c in commands)
    # the backup still holds the file from before the first install
    assert settings.with_name("settings.json.csup-backup").read_text() == ORIGINAL
    do_uninstall(settings)
    assert settings.read_text() == ORIGINAL


def test_install_keeps_a_backup_and_the_permissions(settings: Path) -> None:
    settings.chmod(0o600)
    change = do_install(settings)
    assert change.backup_path.read_text() == ORIGINAL
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert stat.S_IMODE(change.backup_path.stat().st_mode) == 0o600


def test_uninstall_gives_back_the_file_byte_for_byte(settings: Path) -> None:
    do_install(settings, stop_check="make test", permission_request=True)
    assert settings.read_text() != ORIGINAL
    change = do_uninstall(settings)
    assert settings.read_text() == ORIGINAL
    assert not change.backup_path.exists()
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


def test_uninstall_deletes_a_file_csup_created(tmp_path: Path) -> None:
    path = settings_path("project", project_dir=tmp_path)
    do_install(path)
    assert path.exists()
    do_uninstall(path)
    assert not path.exists()
    assert list(path.parent.iterdir()) == []


def test_uninstall_removes_only_csups_entries_after_later_edits(settings: Path) -> None:
    do_install(settings)
    data = json.loads(settings.read_text())
    data["model"] = "opus"  # the user changes something after install
    data["hooks"]["PostToolUse"] = [
        {"matcher": "*", "hooks": [{"type": "command", "command": "x"}]}
    ]
    settings.write_text(json.dumps(data))
    do_uninstall(settings)
    after = json.loads(settings.read_text())
    expected = json.loads(ORIGINAL)
    expected["model"] = "opus"
    expected["hooks"]["PostToolUse"] = data["hooks"]["PostToolUse"]
    assert after == expected  # the user's empty "Stop": [] is kept, csup's entry is gone


def test_uninstall_removes_containers_csup_created(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"model": "sonnet"}')
    do_install(path, stop_check="true")
    data = json.loads(path.read_text())
    data["model"] = "opus"
    path.write_text(json.dumps(data))
    do_uninstall(path)
    assert json.loads(path.read_text()) == {"model": "opus"}


def test_a_settings_file_that_is_not_json_is_an_error_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"model": "sonnet",,}')
    with pytest.raises(ConfigError, match="not valid JSON"):
        plan_install(path, specs())
    with pytest.raises(ConfigError, match="not valid JSON"):
        plan_uninstall(path)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="not an object"):
        plan_install(path, specs())
    path.write_text('{"hooks": []}')
    with pytest.raises(ConfigError, match='"hooks" is not an object'):
        plan_install(path, specs())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_writes_are_atomic(settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing leaves the old file whole and no temporary file behind."""

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(install.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        plan_install(settings, specs()).apply()
    assert settings.read_text() == ORIGINAL
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]


def test_a_symlinked_settings_file_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "claude-settings.json"
    real.parent.mkdir()
    real.write_text('{"model": "sonnet"}\n')
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    do_install(link)
    assert link.is_symlink()
    assert "pre-tool-use" in real.read_text()
    do_uninstall(link)
    assert link.is_symlink() and real.read_text() == '{"model": "sonnet"}\n'


def test_settings_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    assert settings_path("user") == tmp_path / "home" / ".claude" / "settings.json"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "cfg"))
    assert settings_path("user") == tmp_path / "cfg" / "settings.json"
    assert settings_path("project", project_dir=tmp_path) == tmp_path / ".claude/settings.json"
    assert settings_path("local", project_dir=tmp_path) == tmp_path / ".claude/settings.local.json"
    with pytest.raises(ConfigError):
        settings_path("global")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/usr/local/bin/csup hook pre-tool-use", True),
        ("'/opt/my tools/bin/csup' hook stop --check 'make test'", True),
        ("/usr/bin/python3 -m csup hook pre-tool-use", True),
        ("csup-lint hook", False),
        ("/usr/local/bin/csup run task", False),
        ("echo csup hook", False),
        ("unbalanced 'quote", False),
        (None, False),
        (guarded("'/opt/my tools/bin/csup' hook pre-tool-use", "PreToolUse"), True),
        (guarded("/usr/bin/python3 -m csup hook stop", "Stop"), True),
        ("/x/csup hook pre-tool-use --policy 'a;b'", True),
        ("true; /usr/local/bin/csup hook pre-tool-use", False),  # csup is not what runs first
        ("/usr/local/bin/csup run task; /usr/local/bin/csup hook x", False),
    ],
)
def test_which_commands_are_csups(command: object, expected: bool) -> None:
    assert is_csup_command(command) is expected


def test_a_policy_file_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (spec,) = specs(policy="team.toml")
    assert spec.command.endswith(f"hook pre-tool-use --policy {tmp_path / 'team.toml'}")
    (spec,) = specs(policy="strict")
    assert spec.command.endswith("hook pre-tool-use --policy strict")


def test_the_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    path = tmp_path / ".claude" / "settings.json"
    path.write_text(ORIGINAL)
    result = CliRunner().invoke(
        cli, ["install-hooks", "--scope", "project", "--project-dir", str(tmp_path), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "+" in result.output and "pre-tool-use" in result.output
    assert "dry run, nothing written" in result.output
    assert path.read_text() == ORIGINAL
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_the_cli_installs_and_uninstalls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["install-hooks"])
    assert result.exit_code == 0, result.output
    path = tmp_path / ".claude" / "settings.json"
    (group,) = json.loads(path.read_text())["hooks"]["PreToolUse"]
    command = group["hooks"][0]["command"]
    assert is_csup_command(command)
    assert os.path.isabs(command.split()[0].strip("'"))
    assert command.startswith(f"{command.split()[0]} hook pre-tool-use; rc=$?;")
    assert runner.invoke(cli, ["install-hooks"]).output.startswith("csup's hooks are already")
    result = runner.invoke(cli, ["uninstall-hooks"])
    assert result.exit_code == 0, result.output
    assert not path.exists()
    assert "no csup hooks" in runner.invoke(cli, ["uninstall-hooks"]).output


def test_the_cli_reports_a_broken_settings_file(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.local.json"
    path.parent.mkdir()
    path.write_text("{oops")
    result = CliRunner().invoke(
        cli, ["install-hooks", "--scope", "local", "--project-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "not valid JSON" in result.output
    assert path.read_text() == "{oops"


def test_the_cli_refuses_a_policy_that_cannot_be_loaded(tmp_path: Path) -> None:
    args = ["install-hooks", "--scope", "project", "--project-dir", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--policy", "nonsense"])
    assert result.exit_code == 1
    assert "nonsense" in result.output
    assert not (tmp_path / ".claude").exists()
    result = CliRunner().invoke(cli, [*args, "--policy", "strict"])
    assert result.exit_code == 0, result.output
    assert "--policy strict" in (tmp_path / ".claude" / "settings.json").read_text()


def test_the_cli_uninstall_dry_run_writes_nothing(settings: Path) -> None:
    do_install(settings)
    installed = settings.read_text()
    project = ["--scope", "project", "--project-dir", str(settings.parent.parent)]
    result = CliRunner().invoke(cli, ["uninstall-hooks", *project, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "-" in result.output and "restored from" in result.output
    assert settings.read_text() == installed
    assert settings.with_name("settings.json.csup-backup").exists()


def test_an_old_unguarded_install_is_recognised_upgraded_and_removed(settings: Path) -> None:
    """Installs from before the guard wrote csup's bare command: still csup's hooks."""
    old = json.loads(ORIGINAL)
    old_hook = {"type": "command", "command": "'/opt/my tools/bin/csup' hook pre-tool-use"}
    old["hooks"]["PreToolUse"].append({"matcher": "*", "hooks": [{**old_hook, "timeout": 60}]})
    settings.write_text(json.dumps(old, indent=2) + "\n")
    change = do_install(settings)
    assert change.message.startswith("updated csup's hooks")
    pre = json.loads(settings.read_text())["hooks"]["PreToolUse"]
    assert [h["command"] for group in pre for h in group["hooks"]] == [
        "lint.sh",
        guarded("'/opt/my tools/bin/csup' hook pre-tool-use", "PreToolUse"),
    ]
    assert not plan_install(settings, specs()).changed  # and now it is up to date
    do_uninstall(settings)
    assert json.loads(settings.read_text())["hooks"]["PreToolUse"] == [
        json.loads(ORIGINAL)["hooks"]["PreToolUse"][0]
    ]


def _fake_csup(tmp_path: Path, body: str) -> str:
    """An executable standing in for csup: prints something, then runs ``body``."""
    path = tmp_path / "fake bin" / "csup"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "answer on stdout"\necho "said on stderr" >&2\n{body}\n')
    path.chmod(0o755)
    return str(path)


def _run_installed(spec: install.HookSpec) -> subprocess.CompletedProcess[str]:
    """Run a hook command as Claude Code does: ``/bin/sh -c COMMAND``, input on stdin."""
    (hook,) = spec.group()["hooks"]
    return subprocess.run(
        ["/bin/sh", "-c", hook["command"]],
        input="{}",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("exit 1", 1),  # e.g. an ImportError in a broken virtualenv
        ("kill -SEGV $$", 139),  # e.g. a crash in the shell parser
        ("kill -KILL $$", 137),  # e.g. the OOM killer
        ("exit 127", 127),
        ("exit 3", 3),
    ],
)
@pytest.mark.parametrize("event", ["pre-tool-use", "permission-request"])
def test_the_installed_command_denies_when_csup_fails_any_other_way(
    tmp_path: Path, body: str, status: int, event: str
) -> None:
    (spec,) = [
        s
        for s in desired_hooks(argv=[_fake_csup(tmp_path, body)], permission_request=True)
        if event in s.command
    ]
    done = _run_installed(spec)
    assert done.returncode == 2  # Claude Code's "blocking error": the call is denied
    assert f"csup hook failed (exit status {status}" in done.stderr
    assert "denied to be safe" in done.stderr


def test_the_installed_command_denies_when_csup_is_missing(tmp_path: Path) -> None:
    (spec,) = desired_hooks(argv=[str(tmp_path / "gone" / "csup")])
    done = _run_installed(spec)
    assert done.returncode == 2
    assert "csup hook failed (exit status 127" in done.stderr


@pytest.mark.parametrize("status", [0, 2])
def test_the_installed_command_passes_csups_own_answers_through(
    tmp_path: Path, status: int
) -> None:
    (spec,) = desired_hooks(argv=[_fake_csup(tmp_path, f"exit {status}")])
    done = _run_installed(spec)
    assert done.returncode == status
    assert done.stdout == "answer on stdout\n"
    assert done.stderr == "said on stderr\n"


@pytest.mark.parametrize(("body", "status"), [("exit 2", 2), ("kill -SEGV $$", 139)])
def test_the_installed_stop_command_lets_claude_stop_when_csup_fails(
    tmp_path: Path, body: str, status: int
) -> None:
    """Failing safe for Stop is letting Claude stop: exit 1 (non-blocking), never 2."""
    (spec,) = desired_hooks(argv=[_fake_csup(tmp_path, body)], stop_check="true")[1:]
    done = _run_installed(spec)
    assert done.returncode == 1
    assert f"csup stop hook failed (exit status {status})" in done.stderr


def test_the_installed_stop_command_passes_a_clean_exit_through(tmp_path: Path) -> None:
    (spec,) = desired_hooks(argv=[_fake_csup(tmp_path, "exit 0")], stop_check="true")[1:]
    done = _run_installed(spec)
    assert (done.returncode, done.stdout) == (0, "answer on stdout\n")


def test_a_hook_timeout_shorter_than_csups_watchdog_is_refused() -> None:
    from csup.hooks.command import DECISION_DEADLINE  # noqa: PLC0415
    from csup.hooks.stdin import DEFAULT_TIMEOUT as STDIN_TIMEOUT  # noqa: PLC0415

    assert install.MIN_TIMEOUT > STDIN_TIMEOUT + 1 + DECISION_DEADLINE
    with pytest.raises(ConfigError, match="too short"):
        specs(timeout=install.MIN_TIMEOUT - 1)
    assert specs(timeout=install.MIN_TIMEOUT)[0].timeout == install.MIN_TIMEOUT
    result = CliRunner().invoke(cli, ["install-hooks", "--timeout", "10", "--dry-run"])
    assert result.exit_code != 0 and "too short" in result.output
