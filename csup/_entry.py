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
        try:
            from csup.hooks.command import main as hook_main  # noqa: PLC0415 - kept light
        except BaseException as exc:  # a broken install: fail closed, as the hook would
            return _hook_cannot_start(args[1:2] == ["stop"], exc)
        return hook_main(args[1:])
    from csup.cli import main as cli_main  # noqa: PLC0415 - click only when needed

    cli_main(args=args, prog_name="csup")
    return 0


def _hook_cannot_start(stop: bool, exc: BaseException) -> int:
    """Exit 2 (deny the tool call), or 1 for a stop hook (let Claude stop), with the reason."""
    why = f"{type(exc).__name__}: {exc}"
    if stop:
        sys.stderr.write(f"csup stop hook could not start ({why}); not blocking\n")
        return 1
    sys.stderr.write(f"csup hook could not start ({why}); the tool call is denied to be safe\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
