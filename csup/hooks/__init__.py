"""csup inside interactive Claude Code: the ``csup hook`` command and its installer.

Claude Code starts a command hook for every tool call, so :mod:`csup.hooks.command` (the
``csup hook ...`` entry point) imports only the standard library pieces it needs and the
policy engine. The installer (:mod:`csup.hooks.install`) is used by the click CLI only.

This package imports nothing at import time on purpose.
"""
