"""Secrets stay out of the record: credential-looking values are masked before they are stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from csup.calls import Decision, ToolCall
from csup.policy.rules.exec import _SECRET_WORD
from csup.record import MASK, RecordWriter, mask_json, mask_text
from csup.record._mask import SECRET_WORD_PARTS

from .conftest import rows

# Real-looking fakes: each has the shape of the real thing and is no one's credential.
FAKES = {
    "anthropic": "sk-ant-api03-" + "Qx7" * 30,
    "openai": "sk-proj-" + "a1B2c3D4" * 6,
    "github": "ghp_" + "R4nd0mL00k1ngT0k3n" * 2,
    "github fine-grained": "github_pat_11ABCDEFG0" + "x" * 40,
    "aws key id": "AKIAIOSFODNN7EXAMPLE",
    "slack": "xoxb-2048-1024-" + "fAk3t0k3nv4lu3",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "gitlab": "glpat-" + "AbCdEfGhIjKlMnOpQrSt",
}


@pytest.mark.parametrize("name", sorted(FAKES))
def test_a_token_shaped_value_is_masked_wherever_it_is(name: str) -> None:
    secret = FAKES[name]
    masked = mask_text(f"curl -d token-is {secret} https://example.com")
    assert secret not in masked
    assert masked == f"curl -d token-is {MASK} https://example.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mysql -u root --password=hunter2hunter2", f"mysql -u root --password={MASK}"),
        ("GITHUB_TOKEN=abcdef123456 gh pr list", f"GITHUB_TOKEN={MASK} gh pr list"),
        ("export API_KEY='plain value'", f"export API_KEY='{MASK}'"),
        (
            "curl -H 'Authorization: Bearer abc.def-ghi_123456' https://x",
            f"curl -H 'Authorization: Bearer {MASK}' https://x",
        ),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", f"Authorization: Basic {MASK}"),
        ('{"password": "correct horse"}', f'{{"password": "{MASK}"}}'),
        ("db:\n  password: hunter2\n  user: bob", f"db:\n  password: {MASK}\n  user: bob"),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", f"AWS_SECRET_ACCESS_KEY={MASK}"),
        ("git clone https://bob:s3cr3tpw@github.com/o/r", f"git clone https://bob:{MASK}@github.com/o/r"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter",
            f"{MASK}\nafter",
        ),
    ],
)  # fmt: skip
def test_labelled_values_keep_their_label_and_lose_their_value(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'echo "$API_TOKEN" | gh auth login --with-token',  # a reference, not a value
        "git commit -m 'tokenizer: fix max_tokens=100'",
        "ls -la /home/bob && cat README.md",
        "author: Jane Doe",
        "PATH=/usr/bin:/bin make",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_values_under_secret_looking_keys_are_masked_in_json() -> None:
    value = {
        "command": "deploy",
        "env": {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG", "HOME": "/home/bob"},
        "api_key": "plain",
        "session_id": "abc",
        "usage": {"input_tokens": 10, "output_tokens": 3},
        "apiKeySource": "none",
        "list": ["x", "sk-ant-api03-" + "z" * 40],
    }
    assert mask_json(value) == {
        "command": "deploy",
        "env": {"AWS_SECRET_ACCESS_KEY": MASK, "HOME": "/home/bob"},
        "api_key": MASK,
        "session_id": "abc",
        "usage": {"input_tokens": 10, "output_tokens": 3},
        "apiKeySource": "none",
        "list": ["x", MASK],
    }


def test_the_policys_secret_names_all_hold_a_word_the_fast_path_looks_for() -> None:
    """The masker imports the policy's detector only for names holding one of
    SECRET_WORD_PARTS; every alternative of that detector must hold one."""
    pattern = _SECRET_WORD.pattern.removeprefix("(?i)")
    for alternative in pattern.split("|"):
        literal = re.sub(r"\\b|\^|\$|_\?|\?", "", alternative).lower()
        assert any(part in literal for part in SECRET_WORD_PARTS), alternative


def test_nothing_secret_reaches_the_database(db: Path) -> None:
    secret = FAKES["github"]
    with RecordWriter(db) as writer:
        writer.run_started("r", argv=["csup", "run", f"use {secret}"], cwd="/w")
        writer.session_started("r", "s", task=f"push with GITHUB_TOKEN={secret}", cwd="/w")
        writer.event(
            "s",
            {
                "type": "user",
                "message": {
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t", "content": f"token: {secret}"}
                    ]
                },
            },
        )
        writer.decision(
            "s",
            ToolCall("Bash", {"command": f"GH_TOKEN={secret} gh api user"}, "/w"),
            Decision("deny", f"Blocked: it prints {secret}", "secrets.access"),
            0.001,
        )
        writer.session_ended("s", status="error", error=f"failed with {secret}")
    dump = "\n".join(str(row) for table in ("runs", "sessions", "events", "decisions", "stops")
                     for row in rows(db, f"SELECT * FROM {table}"))  # fmt: skip
    assert secret not in dump
    assert dump.count(MASK) >= 6
    (command,) = rows(db, "SELECT tool_input FROM decisions")[0]
    assert json.loads(str(command)) == {"command": f"GH_TOKEN={MASK} gh api user"}
