"""The ``csup`` console script.

``csup hook ...`` runs once per tool call inside interactive Claude Code, so its start-up time
is paid again and again: it is dispatched here, before click, pykka or anything heavy is
imported. Everything else goes to the click CLI in :mod:`csup.cli`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"]:
        from csup.hooks.command import main as hook_main  # noqa: PLC0415 - kept light

        return hook_main(args[1:])
    from csup.cli import main as cli_main  # noqa: PLC0415 - click only when needed

    cli_main(args=args, prog_name="csup")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
