"""``csup demo``: csup's main job on the built-in scripted model, no API key needed.

Four sessions of the real claude binary, two at a time, under the moderate policy; one
tries ``bash -c 'rm -rf ~/'``, which is denied before it runs; one downloads a file, which
the policy asks about and the reviewer (the scripted model too) answers with guidance.
Everything happens in a scratch directory with a scratch HOME, removed afterwards unless
``--keep``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from csup.claude.options import SessionOptions
from csup.cli.execute import EscalationSettings, RecordSettings, TaskSpec, execute
from csup.testing import ScriptedModel, claude_env
from csup.testing.scenarios import DEMO_REVIEW_GUIDANCE, DEMO_SCENARIOS, DEMO_TASKS
from csup.testing.script import Review, ReviewScript

__all__ = ["demo"]


@contextlib.contextmanager
def _reviewer_env(base_url: str) -> Iterator[None]:
    """The demo's reviewer talks to the scripted model too (never to a real API)."""
    saved = {k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")}
    os.environ["ANTHROPIC_BASE_URL"] = base_url
    os.environ["ANTHROPIC_API_KEY"] = "csup-scripted"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@click.command()
@click.option(
    "--policy",
    metavar="LEVEL|FILE",
    default="moderate",
    show_default=True,
    help="The policy the demo sessions run under.",
)
@click.option("--max-parallel", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--claude-bin",
    type=click.Path(path_type=Path),
    envvar="CSUP_CLAUDE_BIN",
    help="The claude binary (default: $CSUP_CLAUDE_BIN, the project's, PATH).",
)
@click.option("--keep", is_flag=True, help="Keep the scratch directory and print where it is.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def demo(
    policy: str, max_parallel: int, claude_bin: Path | None, keep: bool, as_json: bool
) -> None:
    """Supervise four claude sessions on a scripted model: one tries `rm -rf ~/`, one's
    download goes to the reviewer."""
    scratch = Path(tempfile.mkdtemp(prefix="csup-demo-"))
    code = 1
    try:
        reviews = ReviewScript(
            by_command=[("figures.json", Review("guide", guidance=DEMO_REVIEW_GUIDANCE))],
            default=Review("deny", reason="the demo's reviewer allows nothing else"),
        )
        with ScriptedModel(DEMO_SCENARIOS, reviews=reviews) as model, _reviewer_env(model.base_url):
            env = claude_env(scratch / "home", model)
            tasks = []
            for name, task in DEMO_TASKS.items():
                workspace = scratch / name
                workspace.mkdir()
                tasks.append(TaskSpec(task, {"cwd": workspace}))
            if not as_json:
                click.echo(
                    f"csup demo: {len(tasks)} claude sessions, {max_parallel} at a time, "
                    f"policy {policy}, scripted model at {model.base_url}",
                    err=True,
                )
            options: dict[str, Any] = {"env": env, "claude_bin": claude_bin, "timeout": 120.0}
            code = execute(
                tasks,
                max_parallel=max_parallel,
                policy=policy,
                defaults=SessionOptions(cwd=scratch, **options),
                as_json=as_json,
                escalation=EscalationSettings(mode="reviewer"),
                record=RecordSettings(off=True),
            )
    finally:
        if keep:
            click.echo(f"csup demo: scratch directory kept at {scratch}", err=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    raise SystemExit(code)
