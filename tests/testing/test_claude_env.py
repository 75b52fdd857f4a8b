"""claude_env: a clean, quiet, offline environment for a claude child."""

from __future__ import annotations

from csup.testing import claude_env
from csup.testing.env import QUIET_ENV


def test_strips_inherited_claude_settings_and_points_at_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUDECODE", "1")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "secret")
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "1")
    monkeypatch.setenv("CSUP_KEEP_ME", "yes")
    home = tmp_path / "a" / "home"
    env = claude_env(home, "http://127.0.0.1:9", extra={"EXTRA": "1", "DISABLE_TELEMETRY": "0"})
    assert home.is_dir() and env["HOME"] == str(home)
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert env["ANTHROPIC_API_KEY"] == "csup-scripted"
    assert "CLAUDECODE" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    assert "CLAUDE_CODE_USE_BEDROCK" not in env
    assert env["CSUP_KEEP_ME"] == "yes" and env["PATH"]
    assert env["EXTRA"] == "1" and env["DISABLE_TELEMETRY"] == "0"  # extra wins
    assert all(env[k] == v for k, v in QUIET_ENV.items() if k != "DISABLE_TELEMETRY")
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1"


def test_takes_the_url_of_a_started_model(tmp_path, scripted_model):
    model = scripted_model()
    assert claude_env(tmp_path, model)["ANTHROPIC_BASE_URL"] == model.base_url
