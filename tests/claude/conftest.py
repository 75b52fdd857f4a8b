"""Helpers for the claude-layer tests: small stand-in executables for failure cases."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def fake_binary(tmp_path: Path) -> Callable[[str], Path]:
    """``fake_binary(source)``: an executable Python script standing in for claude.

    For failure cases only (early exit, crash, garbage): behaviour that depends on claude
    itself is tested on the real binary.
    """
    counter = iter(range(1000))

    def make(source: str) -> Path:
        path = tmp_path / f"fake-claude-{next(counter)}"
        path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(source))
        path.chmod(0o755)
        return path

    return make
