"""Secrets out of the record: values that look like credentials are masked before they are stored.

Two detectors, applied to every string of a tool input, a tool output and an event's JSON:

* the policy's own notion of a secret name (``csup.policy._rules_exec._SECRET_WORD``, the
  words ``printenv | grep`` is judged by: secret, token, passw, api_key, private, ...),
  applied to JSON keys (``{"api_key": "..."}``) and to ``NAME=value`` assignments in text
  (``GITHUB_TOKEN=... ./deploy``): the value is masked;
* token shapes, wherever they appear: ``sk-...`` (Anthropic, OpenAI), ``ghp_`` and friends
  and ``github_pat_``, AWS access key ids (``AKIA...``), Slack ``xox?-`` tokens, JWTs,
  ``password=...`` / ``"password": "..."`` forms, ``Authorization: Bearer|Basic|token ...``,
  ``https://user:password@host`` and PEM private key blocks.

A masked value becomes :data:`MASK`; the name before it stays, so a reader still sees that a
credential was there and which. Masking is pure and never raises on odd input.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MASK", "mask_json", "mask_text"]

MASK = "[masked]"

_SHAPES = re.compile(
    r"""
    -----BEGIN[ A-Z0-9]*PRIVATE[ ]KEY-----[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE[ ]KEY-----|\Z)
    | \bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_-]{16,}
    | \b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b
    | \bxox[abposr]-[A-Za-z0-9-]{10,}
    | \beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}
    | \bglpat-[A-Za-z0-9_-]{20,}
    | \bAIza[0-9A-Za-z_-]{35}
    """,
    re.VERBOSE,
)

# Keep group 1 (the name and the separator), mask the rest.
_LABELLED = re.compile(
    r"""(?ix)
    ( \bauthorization\s*[:=]\s*["']?(?:bearer|basic|token|bot)\s+
    | \b(?:bearer)\s+(?=[A-Za-z0-9._~+/-]{16,})
    | ["']?\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|
         access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?
    | ://[^/\s:@'"]+:(?=[^/\s@'"]+@)
    )
    ( (?!\d+\b)(?!\[masked\])[^\s"'&;,)}\]@]+ )
    """
)

_ASSIGNMENT = re.compile(r"""\b([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|]+)""")

_HARMLESS_KEYS = re.compile(
    r"(?i)(?:_id|_ids|_path|_file|_dir|_name|_url|_count|_type|_tokens?_count|tokens|_length|"
    r"^author\w*|source$|^max_tokens|^input_tokens|^output_tokens|_input_tokens|^auth_method)$"
)

_secret_word: Callable[[str], object] | None = None


def _is_secret_name(name: str) -> bool:
    """The policy's test for a name that holds a secret (imported on first use)."""
    global _secret_word  # noqa: PLW0603 - a lazy import, once
    if _secret_word is None:
        from csup.policy._rules_exec import _SECRET_WORD  # noqa: PLC0415 - lazily

        _secret_word = _SECRET_WORD.search
    return bool(_secret_word(name)) and not _HARMLESS_KEYS.search(name)


def _mask_labelled(match: re.Match[str]) -> str:
    value = match.group(2)
    if value == MASK or value.startswith("$"):  # already masked, or a reference ($TOKEN)
        return match.group(0)
    return match.group(1) + MASK


def _mask_assignment(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    if value.strip("\"'").startswith("$") or MASK in value or not _is_secret_name(name):
        return match.group(0)
    return f"{name}={MASK}"


def mask_text(text: str) -> str:
    """``text`` with every credential-looking value replaced by :data:`MASK`."""
    if len(text) < 8:
        return text
    text = _SHAPES.sub(MASK, text)
    text = _LABELLED.sub(_mask_labelled, text)
    if "=" in text:
        text = _ASSIGNMENT.sub(_mask_assignment, text)
    return text


def mask_json(value: object, key: str = "") -> object:
    """A copy of a JSON value with secrets masked: values under a secret-looking key, and
    credential shapes in every string. Non-JSON leaves are returned as they are."""
    if isinstance(value, str):
        if key and value and _is_secret_name(key) and not value.startswith("$"):
            return MASK
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_json(v, k if isinstance(k, str) else "") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_json(v) for v in value]
    return value
