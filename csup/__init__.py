"""csup: run many Claude Code sessions in parallel under one policy.

The package imports nothing heavy at import time: ``csup hook`` runs once per tool call
inside interactive Claude Code and must start fast. Public names are loaded on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
