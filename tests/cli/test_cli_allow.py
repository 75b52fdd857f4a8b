"""``csup allow RULE-ID``: the exception written into the right policy file, the user's
comments and layout kept, and the call it names allowed afterwards."""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from csup.calls import Decision, ToolCall
from csup.cli import main
from csup.policy import resolve_policy

USER_TEXT = """\
# my settings, kept as I wrote them
level   =   "moderate"      # not strict: too many questions

[permissions]
# tests are fine
allow = [ "Bash(npm test:*)",
          "Bash(make check)" ]
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.delenv("CSUP_POLICY", raising=False)
    return path


@pytest.fixture
def project(tmp_path: Path, home: Path) -> Path:
    """A git repository (its top) with a subdirectory to run in."""
    path = tmp_path / "repo"
    (path / ".git").mkdir(parents=True)
    (path / "src").mkdir()
    return path


def allow(cwd: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["allow", *args, "--cwd", str(cwd)])


def bash(cwd: Path, command: str) -> Decision:
    policy = resolve_policy(cwd=str(cwd))
    return policy.decide(ToolCall("Bash", {"command": command}, cwd=str(cwd)))


def test_without_a_policy_file_it_creates_the_project_file_at_the_git_top(
    project: Path,
) -> None:
    result = allow(project / "src", "git.push-force", "--pattern", "git push -f origin feature/*")
    assert result.exit_code == 0, result.output
    written = project / ".csup" / "policy.toml"
    assert result.output.startswith(f"created {written}:\n[[exception]]\n")
    text = written.read_text(encoding="utf-8")
    assert 'rule = "git.push-force"\npattern = "git push -f origin feature/*"\n' in text
    assert re.search(r'note = "added by csup allow on \d{4}-\d\d-\d\d"', text)


def test_the_users_comments_and_layout_are_kept_byte_for_byte(project: Path) -> None:
    policy = project / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_bytes(USER_TEXT.encode())
    os.chmod(policy, 0o640)
    result = allow(project, "net.fetch", "--pattern", "curl https://pypi.org/*", "--note", "pypi")
    assert result.exit_code == 0, result.output
    new = policy.read_bytes()
    assert new.startswith(USER_TEXT.encode())
    assert new[len(USER_TEXT) :] == (
        b'\n[[exception]]\nrule = "net.fetch"\npattern = "curl https://pypi.org/*"\nnote = "pypi"\n'
    )
    assert stat.S_IMODE(policy.stat().st_mode) == 0o640
    assert [p.name for p in policy.parent.iterdir()] == ["policy.toml"]  # no temporary left


def test_a_second_exception_goes_after_the_last_byte_and_the_same_one_changes_nothing(
    project: Path,
) -> None:
    assert allow(project, "net.fetch").exit_code == 0
    policy = project / ".csup" / "policy.toml"
    policy.write_text(policy.read_text() + "# end of my file, no newline", encoding="utf-8")
    before = policy.read_bytes()
    assert allow(project, "git.reset-hard", "--pattern", "git reset --hard HEAD").exit_code == 0
    after = policy.read_bytes()
    assert after.startswith(before + b"\n")
    again = allow(project, "git.reset-hard", "--pattern", "git reset --hard HEAD")
    assert again.exit_code == 0
    assert "nothing changed" in again.output
    assert policy.read_bytes() == after


def test_the_file_in_effect_is_the_default_target(project: Path, home: Path) -> None:
    user = home / ".config" / "csup" / "policy.toml"
    user.parent.mkdir(parents=True)
    user.write_text(USER_TEXT, encoding="utf-8")
    existing = project / ".csup" / "policy.toml"
    existing.parent.mkdir()
    existing.write_text('level = "strict"\n', encoding="utf-8")
    result = allow(project / "src", "net.fetch")
    assert result.exit_code == 0, result.output
    assert 'rule = "net.fetch"' in existing.read_text()
    assert user.read_text() == USER_TEXT


def test_user_writes_the_users_file_and_warns_when_a_project_file_wins(
    project: Path, home: Path
) -> None:
    (project / ".csup").mkdir()
    (project / ".csup" / "policy.toml").write_text('level = "strict"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["allow", "net.fetch", "--user", "--cwd", str(project)])
    assert result.exit_code == 0, result.output
    user = home / ".config" / "csup" / "policy.toml"
    assert 'rule = "net.fetch"' in user.read_text()
    assert "is in effect here (the project's file)" in result.stderr


def test_a_new_project_file_starts_from_the_users_file_that_was_in_effect(
    project: Path, home: Path
) -> None:
    user = home / ".config" / "csup" / "policy.toml"
    user.parent.mkdir(parents=True)
    user.write_text(USER_TEXT, encoding="utf-8")
    result = allow(project, "net.fetch", "--project")
    assert result.exit_code == 0, result.output
    assert f"(started from {user}, so its settings still apply here)" in result.output
    text = (project / ".csup" / "policy.toml").read_text()
    assert text.startswith(f"# Started by `csup allow` from {user}")
    assert USER_TEXT in text
    assert user.read_text() == USER_TEXT
    config = resolve_policy(cwd=str(project)).config
    assert config.level == "moderate" and [e.rule for e in config.exceptions] == ["net.fetch"]


def test_dry_run_prints_what_it_would_write_and_writes_nothing(project: Path) -> None:
    result = allow(project, "net.fetch", "--dry-run", "--note", "x")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"would create {project / '.csup' / 'policy.toml'}:\n"
        '[[exception]]\nrule = "net.fetch"\nnote = "x"\n'
    )
    assert not (project / ".csup").exists()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("git.push-forced", "unknown rule id 'git.push-forced'; did you mean git.push-force"),
        ("nothing.like-it", "unknown rule id 'nothing.like-it' (`csup policy rules` lists them)"),
        ("csup.self-protect", "rule 'csup.self-protect' cannot be allowed: it keeps csup"),
        ("shell.unanalysable", "cannot be allowed: csup cannot see what the command would do"),
        ("tool.bad-input", "cannot be allowed"),
        ("user.*", "unknown rule id"),
    ],
)
def test_bad_or_fixed_rule_ids_are_refused_and_nothing_is_written(
    project: Path, rule: str, message: str
) -> None:
    result = allow(project, rule)
    assert result.exit_code == 1
    assert message in result.output
    assert not (project / ".csup").exists()


def test_a_file_that_does_not_parse_is_left_untouched_with_a_clear_error(project: Path) -> None:
    policy = project / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_text('level = "moderate"\nallow_tool = ["Read" "Grep"]\n', encoding="utf-8")
    before = policy.read_bytes()
    result = allow(project, "net.fetch")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {policy}, line 2: not valid TOML")
    assert policy.read_bytes() == before


def test_a_file_the_change_would_break_is_put_back(project: Path) -> None:
    """An inline ``exception = [...]`` cannot be followed by an ``[[exception]]`` table."""
    policy = project / ".csup" / "policy.toml"
    policy.parent.mkdir()
    policy.write_text('exception = [{rule = "net.fetch"}]  # inline\n', encoding="utf-8")
    before = policy.read_bytes()
    result = allow(project, "git.reset-hard")
    assert result.exit_code == 1
    assert "adding the exception would make the file unreadable" in result.output
    assert "it was left as it was" in result.output
    assert policy.read_bytes() == before
    assert [p.name for p in policy.parent.iterdir()] == ["policy.toml"]


def test_a_csup_policy_level_in_the_environment_is_an_error_without_a_scope(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSUP_POLICY", "strict")
    result = allow(project, "net.fetch")
    assert result.exit_code == 1
    assert "$CSUP_POLICY=strict is set and names no file" in result.output


def test_policy_rules_lists_every_id_as_a_table_and_as_json() -> None:
    table = CliRunner().invoke(main, ["policy", "rules"])
    assert table.exit_code == 0
    assert re.search(r"^git\.push-force\s+deny \(every level\)\s+force push", table.output, re.M)
    assert re.search(r"^csup\.self-protect \(fixed\)", table.output, re.M)
    listed = json.loads(CliRunner().invoke(main, ["policy", "rules", "--json"]).output)
    row = next(r for r in listed if r["id"] == "git.push-force")
    assert row["exceptable"] is True and row["dangerous"]
    assert next(r for r in listed if r["id"] == "csup.self-protect")["exceptable"] is False


def test_end_to_end_denied_then_allowed_with_the_suggested_line_and_a_sibling_still_denied(
    project: Path,
) -> None:
    command = "git push --force origin feature/x"
    denied = bash(project, command)
    assert denied.behavior == "deny"
    suggested = re.search(r"a user can allow it with: (csup allow .*)\]$", denied.reason)
    assert suggested is not None, denied.reason
    words = shlex.split(suggested.group(1))
    assert words[:2] == ["csup", "allow"]
    result = allow(project, *words[2:])
    assert result.exit_code == 0, result.output
    now = bash(project, command)
    assert (now.behavior, now.rule) == ("ask", "net.publish")  # pushing still asks
    sibling = bash(project, "git push --force origin main")
    assert (sibling.behavior, sibling.rule) == ("deny", "git.push-force")
    both = bash(project, f"{command} && git push --force origin main")
    assert (both.behavior, both.rule) == ("deny", "git.push-force")
    explained = CliRunner().invoke(main, ["policy", "show", "--cwd", str(project)])
    assert "exception:          git.push-force for 'git push --force origin feature/x'" in (
        explained.output
    )


def test_the_file_csup_allow_writes_by_default_is_the_one_resolve_policy_reads(
    project: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csup.policy._file_edit import policy_file_in_effect  # noqa: PLC0415

    def both(cwd: Path) -> tuple[str | None, str | None]:
        found, _ = policy_file_in_effect(str(cwd))
        source = resolve_policy(cwd=str(cwd)).config.source
        return (os.path.realpath(found) if found else None), source

    assert both(project / "src") == (None, None)
    user = home / ".config" / "csup" / "policy.toml"
    user.parent.mkdir(parents=True)
    user.write_text("", encoding="utf-8")
    assert both(project / "src") == (str(user.resolve()),) * 2
    (project / ".csup").mkdir()
    (project / ".csup" / "policy.toml").write_text("", encoding="utf-8")
    mine = str((project / ".csup" / "policy.toml").resolve())
    assert both(project / "src") == (mine, mine)
    other = project / "other.toml"
    other.write_text("", encoding="utf-8")
    monkeypatch.setenv("CSUP_POLICY", str(other))
    assert both(project / "src") == (str(other.resolve()),) * 2
