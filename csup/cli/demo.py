"""``csup demo``: csup's main job on the built-in scripted model, no API key needed.

Three sessions of the real claude binary, two at a time, under the moderate policy; one
tries ``bash -c 'rm -rf ~/'``, which is denied before it runs. Everything happens in a
scratch directory with a scratch HOME, removed afterwards unless ``--keep``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from csup.claude.options import SessionOptions
from csup.cli.execute import TaskSpec, execute
from csup.testing import ScriptedModel, claude_env
from csup.testing.scenarios import DEMO_SCENARIOS, DEMO_TASKS

__all__ = ["demo"]


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
    """Supervise three claude sessions on a scripted model; one tries `rm -rf ~/`."""
    scratch = Path(tempfile.mkdtemp(prefix="csup-demo-"))
    code = 1
    try:
        with ScriptedModel(DEMO_SCENARIOS) as model:
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
            )
    finally:
        if keep:
            click.echo(f"csup demo: scratch directory kept at {scratch}", err=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    raise SystemExit(code)
