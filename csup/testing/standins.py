"""Stand-ins for a claude that dies at a given stage of the protocol (fault tests, benchmarks).

Each value is the source of a Python script: write it after a ``#!`` line for the
interpreter, make it executable, and pass it as ``--claude-bin``. A real claude cannot be
made to crash on cue; these can. Standard library only.
"""

from __future__ import annotations

__all__ = ["INSTANT_EXITS"]

_INIT = (
    "import json, sys\n"
    "line = json.loads(sys.stdin.readline())\n"
    "print(json.dumps({'type': 'control_response', 'response': {'subtype': 'success',"
    " 'request_id': line['request_id']}}), flush=True)\n"
)

INSTANT_EXITS: dict[str, str] = {
    "at once": "import sys; sys.exit(1)\n",
    "segfault at once": "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)\n",
    "after initialize": _INIT + "sys.exit(3)\n",
    "mid-turn": _INIT
    + "sys.stdin.readline()\n"
    + "print(json.dumps({'type': 'system', 'subtype': 'init', 'session_id': 'x'}), flush=True)\n"
    + "sys.exit(4)\n",
    "mid-decision": _INIT
    + "sys.stdin.readline()\n"
    + "print(json.dumps({'type': 'control_request', 'request_id': 'r1', 'request': {"
    "'subtype': 'hook_callback', 'input': {'hook_event_name': 'PreToolUse',"
    " 'tool_name': 'Bash', 'tool_input': {'command': 'ls'}}}}), flush=True)\n" + "sys.exit(5)\n",
}
"""A claude that exits at each stage: at once, by a segfault, right after answering
``initialize``, in the middle of a turn, and while a tool call waits for its decision."""
