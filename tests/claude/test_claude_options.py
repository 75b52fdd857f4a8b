"""The command line and environment a claude session is started with."""

from __future__ import annotations

from csup.claude.options import DUPLEX_ARGS, SessionOptions, build_argv, build_env


def test_the_argv_is_the_duplex_stream_json_mode_with_passthrough_options():
    argv = build_argv(
        "/bin/claude",
        SessionOptions(
            model="sonnet",
            resume="abc",
            allowed_tools=("Bash", "Write"),
            disallowed_tools=("WebFetch",),
            add_dirs=("/data",),
            permission_mode="acceptEdits",
            max_turns=3,
        ),
    )
    assert argv[: 1 + len(DUPLEX_ARGS)] == ["/bin/claude", *DUPLEX_ARGS]
    rest = argv[1 + len(DUPLEX_ARGS) :]
    assert rest == [
        "--model", "sonnet", "--resume", "abc", "--permission-mode", "acceptEdits",
        "--max-turns", "3", "--allowedTools", "Bash,Write", "--disallowedTools", "WebFetch",
        "--add-dir", "/data",
    ]  # fmt: skip


def test_values_that_look_like_flags_are_passed_as_flag_equals_value():
    argv = build_argv("claude", SessionOptions(model="--dangerously-skip-permissions"))
    assert "--model=--dangerously-skip-permissions" in argv
    assert "--dangerously-skip-permissions" not in argv


def test_the_environment_drops_claudecode_and_marks_the_session(monkeypatch):
    monkeypatch.setenv("CLAUDECODE", "1")
    monkeypatch.setenv("KEEP_ME", "yes")
    env = build_env(SessionOptions(env={"EXTRA": "1"}, cwd="/tmp"), token="tok")
    assert "CLAUDECODE" not in env
    assert env["KEEP_ME"] == "yes" and env["EXTRA"] == "1"
    assert env["CSUP_SESSION_TOKEN"] == "tok"
    assert env["PWD"] == "/tmp"
