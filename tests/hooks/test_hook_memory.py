"""The hook's session memory store: one JSON file per Claude Code session, in csup's state dir.

Driven in-process as ``csup hook`` drives it (:func:`open_memory` before the decision,
:meth:`HookMemory.remember` after), against real git repositories and real files; the
concurrency test runs real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import platformdirs
import pytest

from csup.calls import Decision, ToolCall
from csup.hooks import memory as store
from csup.hooks.memory import MAX_AGE, open_memory
from csup.policy import SessionMemory, load_policy
from csup.policy import _memory as memory_module
from csup.statedir import state_dir

ROOT = str(Path(__file__).resolve().parents[2])
WAIT = 60
ALLOW = Decision("allow", "ok", "test.allow")
ASK = Decision("ask", "maybe", "test.ask")
DENY = Decision("deny", "no", "test.deny")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, timeout=WAIT)


@pytest.fixture
def repo(workspace: Path) -> Path:
    """A repository with one committed file and the user's edit of another."""
    git(workspace, "init", "-q")
    git(workspace, "config", "user.email", "t@example.com")
    git(workspace, "config", "user.name", "t")
    (workspace / "committed.txt").write_text("v1\n")
    (workspace / "mine.txt").write_text("v1\n")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "init")
    (workspace / "mine.txt").write_text("the user's edit\n")
    return workspace


def write(cwd: Path, name: str, content: str = "echo hi\n") -> ToolCall:
    return ToolCall("Write", {"file_path": str(cwd / name), "content": content}, str(cwd))


def written(session: str, cwd: Path) -> dict[str, str | None]:
    opened = open_memory(session, str(cwd))
    assert opened is not None
    return opened.memory.written


# -- the format ----------------------------------------------------------------------------


def test_a_memory_survives_its_round_trip_through_json(repo: Path) -> None:
    memory = SessionMemory.for_workspace(str(repo))
    memory.observe(write(repo, "b.sh", "rm -rf ~\n"), ALLOW)
    memory.observe(ToolCall("Edit", {"file_path": "a.py"}, str(repo)), ALLOW)
    again = SessionMemory.from_dict(json.loads(json.dumps(memory.to_dict())))
    assert (again.cwd, again.user_files, again.had_stash) == (
        memory.cwd,
        memory.user_files,
        memory.had_stash,
    )
    assert list(again.written.items()) == list(memory.written.items())  # order: oldest first


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {},
        {"format": 99, "cwd": "/", "user_files": [], "had_stash": False, "written": {}},
        {"format": 1, "cwd": 1, "user_files": [], "had_stash": False, "written": {}},
        {"format": 1, "cwd": "/", "user_files": [1], "had_stash": False, "written": {}},
        {"format": 1, "cwd": "/", "user_files": [], "had_stash": "no", "written": {}},
        {"format": 1, "cwd": "/", "user_files": [], "had_stash": False, "written": {"/f": 2}},
    ],
)
def test_anything_but_a_memory_is_refused(data: object) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        SessionMemory.from_dict(data)


def test_stored_content_is_bounded_per_file_and_in_all_newest_first(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "MAX_STORED_FILE", 10)
    monkeypatch.setattr(memory_module, "MAX_STORED_CONTENT", 25)
    memory = SessionMemory(str(workspace))
    for name in ("old", "middle", "new", "newest"):
        memory.observe(write(workspace, name, name * 5), ALLOW)
    stored = memory.to_dict()["written"]
    assert stored == {
        str(workspace / "old"): None,  # over the budget: only the path is kept
        str(workspace / "middle"): None,
        str(workspace / "new"): "newnewnewn",
        str(workspace / "newest"): "newestnewe",
    }


def test_at_most_max_remembered_files_are_kept(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "MAX_REMEMBERED", 3)
    opened = open_memory("s-1", str(workspace))
    assert opened is not None
    for i in range(5):
        opened.remember(write(workspace, f"f{i}"), ALLOW)
    assert list(written("s-1", workspace)) == [str(workspace / f"f{i}") for i in (2, 3, 4)]


# -- one session, several calls -------------------------------------------------------------


def test_the_first_call_notes_the_users_files_and_later_calls_keep_that_snapshot(
    repo: Path,
) -> None:
    first = open_memory("s-1", str(repo))
    assert first is not None and first.memory.user_files == {str(repo / "mine.txt")}
    (repo / "committed.txt").write_text("changed by a tool of the session\n")
    later = open_memory("s-1", str(repo))
    assert later is not None and later.memory.user_files == {str(repo / "mine.txt")}


def test_sessions_do_not_share_a_memory(workspace: Path) -> None:
    opened = open_memory("s-1", str(workspace))
    assert opened is not None
    opened.remember(write(workspace, "run.sh"), ALLOW)
    assert written("s-1", workspace) == {str(workspace / "run.sh"): "echo hi\n"}
    assert written("s-2", workspace) == {}


def test_no_session_id_no_memory(workspace: Path) -> None:
    assert open_memory(None, str(workspace)) is None
    assert open_memory("", str(workspace)) is None


@pytest.mark.parametrize(("decision", "kept"), [(ALLOW, True), (ASK, True), (DENY, False)])
def test_a_write_that_may_run_is_remembered_a_denied_one_is_not(
    workspace: Path, decision: Decision, kept: bool
) -> None:
    """An asked call may run: the user answers Claude Code's prompt, where csup cannot see."""
    opened = open_memory("s-1", str(workspace))
    assert opened is not None
    opened.remember(write(workspace, "run.sh"), decision)
    assert (str(workspace / "run.sh") in written("s-1", workspace)) is kept


def test_a_call_that_writes_nothing_leaves_the_file_alone(workspace: Path) -> None:
    opened = open_memory("s-1", str(workspace))
    assert opened is not None
    path = store.memory_path("s-1")
    before = os.stat(path)
    for call in (
        ToolCall("Read", {"file_path": "a"}, str(workspace)),
        ToolCall("Bash", {"command": "ls -la"}, str(workspace)),
    ):
        opened.remember(call, ALLOW)
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_bash_call_is_remembered_for_what_it_writes(workspace: Path) -> None:
    opened = open_memory("s-1", str(workspace))
    assert opened is not None
    call = ToolCall("Bash", {"command": "echo 'rm -rf ~' > run.sh"}, str(workspace))
    opened.remember(call, ALLOW)
    assert written("s-1", workspace) == {str(workspace / "run.sh"): "rm -rf ~"}


def test_an_odd_session_id_stays_inside_the_state_dir(workspace: Path) -> None:
    path = store.memory_path("../../escape")
    assert os.path.dirname(path) == os.path.join(state_dir(), store.SESSIONS_DIR)
    assert open_memory("../../escape", str(workspace)) is not None
    assert os.path.exists(path)


_NOTER = """
import sys
from csup.calls import Decision, ToolCall
from csup.hooks.memory import open_memory
name, cwd, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.stdin.read(1)  # the go signal: every process starts at once
for i in range(count):
    opened = open_memory("s-1", cwd)  # a hook process per call, as Claude Code runs them
    call = ToolCall("Write", {"file_path": f"{cwd}/{name}-{i}", "content": "x"}, cwd)
    opened.remember(call, Decision("allow", "ok", "test"))
"""


def test_hooks_of_one_session_running_at_once_lose_nothing(workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": ROOT}
    count = 40
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _NOTER, name, str(workspace), str(count)],
            stdin=subprocess.PIPE,
            env=env,
        )
        for name in ("a", "b", "c")
    ]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(b"g")
        worker.stdin.close()
    assert [w.wait(timeout=WAIT) for w in workers] == [0, 0, 0]
    names = {os.path.basename(p) for p in written("s-1", workspace)}
    assert names == {f"{n}-{i}" for n in "abc" for i in range(count)}


# -- damage, pruning, an unusable state dir -------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b"\xff\xfe", b"[1]", b'{"format": 1}', b"[" * 100_000 + b"]" * 100_000],
)
def test_a_damaged_memory_starts_again_from_git_and_says_so_once(
    repo: Path, damage: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    assert open_memory("s-1", str(repo)) is not None
    Path(store.memory_path("s-1")).write_bytes(damage)
    opened = open_memory("s-1", str(repo))
    assert opened is not None
    assert opened.memory.user_files == {str(repo / "mine.txt")}
    assert "could not be read" in capsys.readouterr().err
    assert open_memory("s-1", str(repo)) is not None  # the file was made good again
    assert capsys.readouterr().err == ""


def test_after_damage_running_an_uncommitted_file_is_judged_by_its_content(
    repo: Path,
) -> None:
    """What the session wrote is no longer known: any uncommitted file may be its."""
    opened = open_memory("s-1", str(repo))
    assert opened is not None
    (repo / "run.sh").write_text("rm -rf ~\n")  # the session wrote it ...
    Path(store.memory_path("s-1")).write_text("garbage")  # ... and its memory was lost
    damaged = open_memory("s-1", str(repo))
    assert damaged is not None
    call = ToolCall("Bash", {"command": "bash run.sh"}, str(repo))
    decision = load_policy("moderate").decide(call, damaged.memory)
    assert (decision.behavior, decision.rule) == ("deny", "fs.rm-root-or-home")


def test_memories_unused_for_a_week_are_deleted_when_a_session_starts(workspace: Path) -> None:
    for session in ("old", "recent"):
        assert open_memory(session, str(workspace)) is not None
    old = store.memory_path("old")
    week_ago = time.time() - MAX_AGE - 60
    for path in (old, old + ".lock"):
        os.utime(path, (week_ago, week_ago))
    assert open_memory("new", str(workspace)) is not None
    left = sorted(os.listdir(os.path.dirname(old)))
    assert left == ["new.json", "new.json.lock", "recent.json", "recent.json.lock"]


def test_a_memory_only_read_is_not_taken_for_unused(workspace: Path) -> None:
    assert open_memory("s-1", str(workspace)) is not None
    path = store.memory_path("s-1")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(path, (two_days_ago, two_days_ago))
    assert open_memory("s-1", str(workspace)) is not None
    assert time.time() - os.stat(path).st_mtime < 3600


def test_a_state_dir_that_cannot_be_made_judges_with_this_calls_snapshot(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("CSUP_STATE_DIR", str(tmp_path / "a-file" / "state"))
    opened = open_memory("s-1", str(repo))
    assert opened is not None and opened.path is None
    assert opened.memory.user_files == {str(repo / "mine.txt")}
    assert "cannot be kept" in capsys.readouterr().err
    opened.remember(write(repo, "run.sh"), ALLOW)  # nothing to save it in: no error


# -- where ----------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fast path is Linux's")
@pytest.mark.parametrize("xdg", [None, "/srv/state"])
def test_the_state_dir_is_the_one_platformdirs_gives(
    xdg: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSUP_STATE_DIR")
    if xdg is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg)
    assert state_dir() == platformdirs.user_state_dir("csup", appauthor=False)


def test_csup_state_dir_moves_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CSUP_STATE_DIR", str(tmp_path / "elsewhere"))
    assert state_dir() == str(tmp_path / "elsewhere")
    assert store.memory_path("s-1") == str(tmp_path / "elsewhere" / "hook-sessions" / "s-1.json")
