"""Reading one hook input object from stdin, within a deadline and a size cap.

Claude Code writes the hook input as one JSON object and closes stdin. A hook that waits for
end-of-file on a stdin that never closes (or never receives anything) would hang the tool call
until Claude Code's own hook timeout, so the reader stops at whichever comes first:

* a complete JSON object (the remaining stdin is not waited for),
* end of file,
* the deadline (an error: the caller denies),
* the size cap (an error: the caller denies).

Only ``os``, ``select``, ``time`` and ``json`` are imported: this runs on every tool call.
"""

from __future__ import annotations

import json
import os
import select
import time

from csup.errors import ProtocolError

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "read_json_object"]

DEFAULT_TIMEOUT = 5.0
"""Seconds to wait for a complete hook input before denying."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Largest hook input accepted (a Write of a large file carries the whole content)."""

_CHUNK = 1 << 16


def _try_parse(buffer: bytearray) -> dict[str, object] | None:
    """Return the object if ``buffer`` already holds one complete JSON object, else None."""
    end = len(buffer.rstrip())
    if not end or buffer[end - 1] != ord("}"):
        return None
    try:
        value = json.loads(buffer)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _parse_final(buffer: bytearray) -> dict[str, object]:
    """Parse everything stdin held once it is closed; raise ProtocolError when it is no object."""
    if not buffer.strip():
        raise ProtocolError("the hook input on stdin was empty (expected one JSON object)")
    try:
        value = json.loads(buffer)
    except ValueError as exc:
        raise ProtocolError(f"the hook input on stdin is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ProtocolError(
            f"the hook input on stdin is a JSON {type(value).__name__}, not an object"
        )
    return value


def read_json_object(
    fd: int = 0,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, object]:
    """Read one JSON object from ``fd`` and return it.

    Raises :class:`ProtocolError` (with a message for the user and for Claude) when the input
    is empty, not JSON, not an object, larger than ``max_bytes``, or not complete within
    ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    buffer = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            ready, _, _ = select.select([fd], [], [], remaining)
        except InterruptedError:  # pragma: no cover - PEP 475 retries select itself
            continue
        if not ready:
            break
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return _parse_final(buffer)
        buffer += chunk
        if len(buffer) > max_bytes:
            raise ProtocolError(
                f"the hook input on stdin is larger than {max_bytes} bytes; csup refuses it"
            )
        value = _try_parse(buffer)
        if value is not None:
            return value
    what = "nothing arrived" if not buffer else f"{len(buffer)} bytes arrived, no complete object"
    raise ProtocolError(
        f"no complete hook input on stdin within {timeout:g} s ({what}; stdin was not closed)"
    )
