"""Every bad input to csup run / multi is a usage error (exit 2) that says what and where;
text from the model or a task never reaches the terminal raw."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from csup.cli import main
from csup.cli.live import LiveView
from csup.cli.run import _read_tasks_file
from csup.display import one_line, safe


def invoke(args):
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"task": "t", "timeout": "soon"},
            "invalid value for --timeout: 'soon' is not a valid float",
        ),
        (
            {"task": "t", "max_turns": -3},
            "invalid value for --max-turns: -3 is not in the range x>=1",
        ),
        (
            {"task": "t", "max_turns": 2.5},
            "invalid value for --max-turns: 2.5 is not a valid integer",
        ),
        ({"task": "t", "timeout": True}, "invalid value for --timeout: true is not a valid float"),
        ({"task": "t", "max_cost": -1}, "invalid value for --max-cost"),
        ({"task": "t", "cwd": "/nonexistent/dir"}, "invalid value for --cwd"),
        ({"task": "t", "allowed_tools": [1]}, "invalid value for --allowed-tools"),
        ({"task": "   "}, 'the "task" is empty'),
        ({"task": "t", "colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_a_bad_per_task_option_is_a_usage_error_naming_file_line_and_flag(tmp_path, line, message):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("fine\n" + json.dumps(line) + "\n")
    result = invoke(["multi", "--tasks-file", str(tasks)])
    assert result.exit_code == 2, result.output
    assert f"{tasks}, line 2: {message}" in result.output
    assert "Traceback" not in result.output


def test_good_per_task_options_are_converted_like_their_flags(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        json.dumps({"task": "t", "timeout": "5", "max_turns": 3, "allowed_tools": "Read"})
    )
    (spec,) = _read_tasks_file(tasks)
    assert spec.options == {"timeout": 5.0, "max_turns": 3, "allowed_tools": ("Read",)}


@pytest.mark.parametrize("args", [["run", ""], ["run", "  \n"], ["multi", "--task", " "]])
def test_an_empty_task_is_a_usage_error(args):
    result = invoke(args)
    assert result.exit_code == 2
    assert "empty" in result.output


def test_escape_sequences_nul_and_bidi_marks_are_shown_not_obeyed():
    evil = "rm -rf ~\x1b[2J\x1b]0;pwned\x07\x00 \u202egnp.exe"
    shown = one_line(evil)
    assert "\x1b" not in shown and "\x00" not in shown and "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\x00" in shown and "\\u202e" in shown
    assert safe("a\nb", keep_newlines=True) == "a\nb"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"


class _Info:
    def __init__(self, i, state):
        self.id, self.state, self.task = f"s{i}", state, f"task {i}\x1b[31m"


class _Sup:
    def __init__(self, infos):
        self._infos = infos

    def sessions(self):
        return self._infos


def test_the_live_view_stays_within_the_screen_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(
        "shutil.get_terminal_size", lambda fallback=None: os.terminal_size((80, 20))
    )
    infos = [_Info(i, "running") for i in range(150)] + [
        _Info(i, "queued") for i in range(150, 200)
    ]
    view = LiveView(_Sup(infos), live=True)
    block = view._block(80, 20)
    assert len(block) <= 17
    assert block[-1].startswith("… ") and "50 queued" in block[-1]
    assert all(len(line) < 80 and "\x1b" not in line for line in block)
