"""The ``csup`` command line: a click group whose subcommands live one per module."""

from __future__ import annotations

import click

from csup import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="csup")
def main() -> None:
    """Run Claude Code sessions under one policy that decides on every tool call."""


def _register() -> None:
    # Subcommands are added here, one import each, so `csup --help` lists them all.
    from csup.cli.allow import allow  # noqa: PLC0415
    from csup.cli.check import check  # noqa: PLC0415
    from csup.cli.demo import demo  # noqa: PLC0415
    from csup.cli.doctor import doctor  # noqa: PLC0415
    from csup.cli.hooks import install_hooks, uninstall_hooks  # noqa: PLC0415
    from csup.cli.policy import policy_group  # noqa: PLC0415
    from csup.cli.record import export, log, show  # noqa: PLC0415
    from csup.cli.resume import resume  # noqa: PLC0415
    from csup.cli.run import multi, run  # noqa: PLC0415
    from csup.cli.worktrees import worktrees  # noqa: PLC0415

    main.add_command(check)
    main.add_command(run)
    main.add_command(multi)
    main.add_command(demo)
    main.add_command(doctor)
    main.add_command(resume)
    main.add_command(worktrees)
    main.add_command(policy_group)
    main.add_command(allow)

    main.add_command(install_hooks)
    main.add_command(uninstall_hooks)

    for command in (log, show, export):
        main.add_command(command)


_register()
