"""The ``escalate`` key of the policy file."""

from __future__ import annotations

from pathlib import Path

import pytest

from csup.errors import PolicyFileError
from csup.policy import PolicyConfig, load_policy


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_escalation_is_off_unless_the_file_says_otherwise(tmp_path: Path) -> None:
    assert load_policy(policy_file(tmp_path, 'level = "strict"\n')).config.escalate == "deny"
    assert PolicyConfig().escalate == "deny"
    assert load_policy("moderate").config.escalate == "deny"


@pytest.mark.parametrize("mode", ["deny", "reviewer", "human", "reviewer+human"])
def test_every_mode_can_be_set(tmp_path: Path, mode: str) -> None:
    path = policy_file(tmp_path, f'level = "moderate"\nescalate = "{mode}"\n')
    assert load_policy(path).config.escalate == mode


@pytest.mark.parametrize("value", ['"ai"', '"Reviewer"', "true", '["reviewer"]'])
def test_a_bad_mode_is_an_error_naming_file_line_key_and_the_modes(
    tmp_path: Path, value: str
) -> None:
    path = policy_file(tmp_path, f'level = "moderate"\nescalate = {value}\n')
    with pytest.raises(PolicyFileError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert f"{path}, line 2, key 'escalate'" in message
    assert "deny, reviewer, human, reviewer+human" in message
