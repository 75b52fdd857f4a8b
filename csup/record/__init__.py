"""The record: a SQLite database of every run, session, event, decision and stop.

* :func:`resolve_db_path` - where it is (``--db``, ``$CSUP_DB``, the user's data dir);
* :class:`RecordWriter` - the writer a csup process feeds (one thread, batches), and
  :func:`open_writer`, which makes one from ``--db`` / ``--no-record`` / ``--require-record``;
* :mod:`csup.record.queries` - what ``csup log``, ``show`` and ``export`` read;
* :func:`mask_json` / :func:`mask_text` - secrets out before anything is stored.

Names are loaded on first use: ``csup hook`` imports only the parts it writes with.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from csup.record._mask import MASK, mask_json, mask_text
    from csup.record._schema import SCHEMA_VERSION
    from csup.record._where import default_db_path, resolve_db_path
    from csup.record._writer import RecordWriter, open_writer

__all__ = [
    "MASK",
    "SCHEMA_VERSION",
    "RecordWriter",
    "default_db_path",
    "mask_json",
    "mask_text",
    "open_writer",
    "resolve_db_path",
]

_WHERE = {
    "MASK": "_mask",
    "mask_json": "_mask",
    "mask_text": "_mask",
    "SCHEMA_VERSION": "_schema",
    "default_db_path": "_where",
    "resolve_db_path": "_where",
    "RecordWriter": "_writer",
    "open_writer": "_writer",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'csup.record' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(f"csup.record.{module}"), name)
    globals()[name] = value
    return value
