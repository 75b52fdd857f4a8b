"""The claude child process: line framing, diagnostics, stderr tail, killing its tree."""

from __future__ import annotations

import os
import sys
import threading
import uuid

import psutil
import pytest

from csup.claude import process as process_module
from csup.claude.events import Diagnostic, Event, Result
from csup.claude.process import ClaudeProcess, processes_with_token
from csup.claude.transport import Exited, Output
from csup.errors import ClaudeStartError


class Collector:
    """Plays the owner's inbox: every Output, then the one Exited."""

    def __init__(self):
        self.items: list[Event | Diagnostic] = []
        self.exit_code: int | None = None
        self.exits = 0
        self.done = threading.Event()

    def __call__(self, message):
        if isinstance(message, Output):
            assert not self.done.is_set(), "a line was delivered after the exit"
            self.items.append(message.item)
        else:
            assert isinstance(message, Exited)
            self.exits += 1
            self.exit_code = message.code
            self.done.set()


SPAWNED: list[ClaudeProcess] = []


@pytest.fixture(autouse=True)
def _release_processes():
    yield
    while SPAWNED:
        proc = SPAWNED.pop()
        proc.kill_tree()
        proc.wait(10)
        proc.release()


def spawn(code: str, collector: Collector, **kwargs) -> ClaudeProcess:
    token = uuid.uuid4().hex
    env = dict(os.environ, CSUP_SESSION_TOKEN=token)
    proc = ClaudeProcess(
        [sys.executable, "-c", code],
        cwd=None,
        env=env,
        token=token,
        deliver=collector,
        **kwargs,
    )
    SPAWNED.append(proc)
    return proc


def test_a_line_written_in_pieces_arrives_as_one_event():
    collector = Collector()
    code = (
        "import sys, time\n"
        "out = sys.stdout\n"
        'out.write(\'{"type": "res\'); out.flush(); time.sleep(0.05)\n'
        'out.write(\'ult", "is_error": false}\\n{"type": "system"}\\n\'); out.flush()\n'
    )
    proc = spawn(code, collector)
    assert proc.wait(10) == 0
    assert [type(i).__name__ for i in collector.items] == ["Result", "SystemEvent"]


def test_a_line_of_more_than_16_mib_is_read_whole():
    collector = Collector()
    size = 17 * 1024 * 1024
    code = (
        "import json, sys\n"
        f"sys.stdout.write(json.dumps({{'type': 'result', 'result': 'x' * {size}}}) + '\\n')\n"
        'sys.stdout.write(\'{"type": "system"}\\n\')\n'
    )
    proc = spawn(code, collector)
    assert proc.wait(30) == 0
    result = collector.items[0]
    assert isinstance(result, Result)
    assert len(result.result or "") == size
    assert collector.items[1].type == "system"


def test_non_json_output_becomes_diagnostics_and_reading_goes_on():
    collector = Collector()
    code = "print('[SandboxDebug] hi'); print('[1]'); print('{\"type\": \"result\"}')"
    proc = spawn(code, collector)
    assert proc.wait(10) == 0
    kinds = [type(i).__name__ for i in collector.items]
    assert kinds == ["Diagnostic", "Diagnostic", "Result"]


def test_a_line_over_the_limit_is_dropped_with_a_diagnostic_and_the_next_is_read():
    collector = Collector()
    code = "print('{\"a\": \"' + 'x' * 300000 + '\"}'); print('{\"type\": \"result\"}')"
    proc = spawn(code, collector, max_line=100_000)
    assert proc.wait(10) == 0
    assert isinstance(collector.items[0], Diagnostic)
    assert "dropped" in collector.items[0].error
    assert isinstance(collector.items[-1], Result)


def test_the_stderr_tail_keeps_the_last_bytes_within_its_bound():
    collector = Collector()
    code = "import sys\nfor i in range(5000): sys.stderr.write(f'line {i}\\n')\n"
    proc = spawn(code, collector, stderr_limit=1000)
    assert proc.wait(10) == 0
    tail = proc.stderr_tail()
    assert len(tail) <= 1000
    assert tail.endswith("line 4999\n")


def test_exit_is_reported_once_with_the_code():
    collector = Collector()
    proc = spawn("import sys; sys.exit(7)", collector)
    assert collector.done.wait(10)
    assert collector.exit_code == 7
    assert proc.returncode == 7


def test_writing_to_a_process_that_stopped_reading_returns_false():
    collector = Collector()
    proc = spawn("import sys; sys.stdin.close()", collector)
    proc.wait(10)
    assert proc.send({"type": "user"}) is False


@pytest.mark.parametrize("scan", ["proc", "psutil"])
def test_kill_tree_kills_a_detached_grandchild_that_left_the_tree(scan, monkeypatch):
    if scan == "psutil":
        monkeypatch.setattr(process_module, "_pids_with_token_from_proc", lambda token: None)
    collector = Collector()
    # The grandchild starts its own session and is orphaned when the child exits, like a
    # tool that daemonised itself; only its inherited token still ties it to the session.
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        'print(\'{"type": "system", "pid": %d}\' % p.pid, flush=True)\n'
    )
    proc = spawn(code, collector)
    assert proc.wait(10) == 0
    grandchild = psutil.Process(collector.items[0].raw["pid"])
    assert grandchild.is_running()
    killed = proc.kill_tree()
    assert grandchild.pid in killed
    assert not processes_with_token(proc.token)


def test_a_binary_that_cannot_be_executed_is_a_start_error(tmp_path):
    path = tmp_path / "not-executable"
    path.write_text("nothing")
    with pytest.raises(ClaudeStartError, match="Could not start claude"):
        ClaudeProcess([str(path)], cwd=None, env={}, token="t", deliver=lambda message: None)
