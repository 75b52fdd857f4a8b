"""Secrets out of the record: values that look like credentials are masked before they are stored.

Two detectors, applied to every string of a tool input, a tool output and an event's JSON:

* the policy's own notion of a secret name (``csup.policy.rules.exec._SECRET_WORD``, the
  words ``printenv | grep`` is judged by: secret, token, passw, api_key, private, ...),
  applied to JSON keys (``{"api_key": "..."}``) and to ``NAME=value`` assignments in text
  (``GITHUB_TOKEN=... ./deploy``): the value is masked;
* token shapes, wherever they appear: ``sk-...`` (Anthropic, OpenAI), ``ghp_`` and friends
  and ``github_pat_``, AWS access key ids (``AKIA...``), Slack ``xox?-`` tokens, JWTs,
  ``password=...`` / ``"password": "..."`` forms, ``Authorization: Bearer|Basic|token ...``,
  ``https://user:password@host`` and PEM private key blocks.

A masked value becomes :data:`MASK`; the name before it stays, so a reader still sees that a
credential was there and which. Masking is pure and never raises on odd input.

``csup hook`` masks once per process, so the patterns are compiled on first use and only run
on text that holds one of their fixed parts (a substring test in C); and the policy's
module is imported only for a name that holds one of :data:`SECRET_WORD_PARTS`.
"""

from __future__ import annotations

import re

from csup._lazy_re import LazyRegex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MASK", "SECRET_WORD_PARTS", "mask_json", "mask_text"]

MASK = "[masked]"

_SHAPES = LazyRegex(
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

# Group 1 (the label and its separator) stays; group 2 (the value, quoted or not) is masked.
_LABELLED = LazyRegex(
    r"""(?ix)
    ( \bauthorization\s*[:=]\s*["']?(?:bearer|basic|token|bot)\s+
    | \b(?:bearer)\s+(?=[A-Za-z0-9._~+/-]{16,})
    | ["']?\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|
         access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)["']?\s*[:=]\s*
    | ://[^/\s:@'"]+:(?=[^/\s@'"]+@)
    )
    ( "[^"\n]*" | '[^'\n]*' | (?!\d+\b)(?!\[masked\])[^\s"'&;,)}\]@]+ )
    """
)

_ASSIGNMENT = LazyRegex(r"""\b([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|]+)""")

_HARMLESS_KEYS = LazyRegex(
    r"(?i)(?:_id|_ids|_path|_file|_dir|_name|_url|_count|_type|_tokens?_count|tokens|_length|"
    r"^author\w*|source$|^max_tokens|^input_tokens|^output_tokens|_input_tokens|^auth_method)$"
)

# Fixed parts of the patterns: text without any of them cannot match, so it is not searched.
_SHAPE_PARTS = (
    "-----BEGIN",
    "sk-",
    "gh",
    "github_pat_",
    "AKIA",
    "ASIA",
    "xox",
    "eyJ",
    "glpat-",
    "AIza",
)
_LABEL_PARTS = ("pass", "pwd", "secret", "token", "key", "credential", "authorization",
                "bearer", "://")  # fmt: skip

SECRET_WORD_PARTS = (
    *("secret", "token", "passw", "api", "key", "private", "credential"),
    *("access", "auth", "aws", "github", "openai", "anthropic", "stripe"),
)
"""Every name the policy's ``_SECRET_WORD`` matches holds one of these (lower case); a
test keeps it so."""

_secret_word: Callable[[str], object] | None = None


def _is_secret_name(name: str) -> bool:
    """The policy's test for a name that holds a secret (imported on first use)."""
    global _secret_word  # noqa: PLW0603 - a lazy import, once
    lowered = name.lower()
    if not any(part in lowered for part in SECRET_WORD_PARTS):
        return False
    if _secret_word is None:
        from csup.policy.rules.exec import _SECRET_WORD  # noqa: PLC0415 - lazily

        _secret_word = _SECRET_WORD.search
    return bool(_secret_word(name)) and not _HARMLESS_KEYS.search(name)


def _mask_labelled(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else ""
    inner = value[1:-1] if quote else value
    if not inner or MASK in inner or inner.startswith("$"):  # a reference ($TOKEN), or done
        return match.group(0)
    return f"{match.group(1)}{quote}{MASK}{quote}"


def _mask_assignment(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    if value.strip("\"'").startswith("$") or MASK in value or not _is_secret_name(name):
        return match.group(0)
    return f"{name}={MASK}"


def mask_text(text: str) -> str:
    """``text`` with every credential-looking value replaced by :data:`MASK`."""
    if len(text) < 8:
        return text
    if any(part in text for part in _SHAPE_PARTS):
        text = _SHAPES.compiled.sub(MASK, text)
    lowered = text.lower()
    if any(part in lowered for part in _LABEL_PARTS):
        text = _LABELLED.compiled.sub(_mask_labelled, text)
    if "=" in text:
        text = _ASSIGNMENT.compiled.sub(_mask_assignment, text)
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
