"""The tree-sitter-bash parser, loaded on first use and once per thread.

Loaded lazily so that ``import csup.policy`` stays cheap: the first Bash decision pays for it.
"""

from __future__ import annotations

import sys
from _thread import _local

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_thread_local = _local()


def binding(package: str) -> Any:
    """``package._binding``, the compiled module, without running ``package/__init__.py``.

    ``tree_sitter/__init__`` imports ``typing`` and ``tree_sitter_bash/__init__`` imports
    ``importlib.resources`` (pathlib, tempfile, shutil, lzma, bz2...) for what csup never
    uses; together they cost more start-up time than the rest of a ``csup hook`` call. The
    extension is found and loaded the way ``import`` would (same ``sys.path``) and put in
    ``sys.modules``, so a later ``import tree_sitter`` uses this same module. Anything
    unexpected (no such file, another loader, a Python without these internals) falls back
    to the ordinary import.
    """
    name = f"{package}._binding"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        external = sys.modules["_frozen_importlib_external"]
        bootstrap = sys.modules["_frozen_importlib"]
        spec = external.PathFinder.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(package)
        found = external.PathFinder.find_spec(name, spec.submodule_search_locations)
        if found is None or not isinstance(found.loader, external.ExtensionFileLoader):
            raise ImportError(name)
        module = bootstrap.module_from_spec(found)
        found.loader.exec_module(module)
    except Exception:  # the ordinary import says what is wrong, if anything
        import importlib  # noqa: PLC0415

        return importlib.import_module(name)
    return sys.modules.setdefault(name, module)


def parser() -> Any:
    """This thread's tree-sitter parser for Bash (tree-sitter parsers are not thread-safe)."""
    found = getattr(_thread_local, "parser", None)
    if found is None:
        tree_sitter = binding("tree_sitter")
        language = tree_sitter.Language(binding("tree_sitter_bash").language())
        found = tree_sitter.Parser(language)
        _thread_local.parser = found
    return found
