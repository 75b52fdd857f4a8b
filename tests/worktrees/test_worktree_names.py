"""Slugs of task texts: always a valid git branch component and file name."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csup.errors import WorktreeError
from csup.worktree.names import SLUG_WIDTH, branch_name, check_run_id, slugify, subject

ODD_TASKS = {
    "unicode": "Réparer le café ☕ — naïve façade",
    "cjk only": "日本語のタスク",
    "slashes": "src/app.py: fix ../../etc/passwd",
    "5 KB": "refactor the parser " * 256,
    "leading dash": "--force push everything",
    "dots": "...hidden..file.",
    "lock suffix": "release.lock",
    "at brace": "fix @{u} and @",
    "control characters": "line\none\ttab\x00nul\x1b[31mred\x7f",
    "empty": "",
    "only punctuation": "?*[]~^:\\ ",
}


def ref_ok(branch: str) -> bool:
    done = subprocess.run(
        ["git", "check-ref-format", "--branch", branch], capture_output=True, check=False
    )
    return done.returncode == 0


def test_a_plain_task_makes_a_readable_slug():
    assert slugify("Fix the login bug!") == "fix-the-login-bug"


def test_accents_are_folded_and_text_without_letters_becomes_task():
    assert slugify("Résumé") == "resume"
    assert slugify("日本語") == "task"
    assert slugify("") == "task"


def test_a_long_task_is_cut_at_a_dash():
    slug = slugify("refactor the parser " * 256)
    assert len(slug) <= SLUG_WIDTH
    assert slug.startswith("refactor-the-parser") and not slug.endswith("-")


@pytest.mark.parametrize("task", ODD_TASKS.values(), ids=ODD_TASKS.keys())
def test_odd_task_texts_make_valid_branch_names_and_file_names(task, tmp_path):
    slug = slugify(task)
    assert ref_ok(branch_name("run1", slug)), slug
    assert slug == slug.lower() and len(slug) <= SLUG_WIDTH
    (tmp_path / slug).mkdir()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_git_accepts_the_branch_of_any_text(task):
    slug = slugify(task)
    assert 0 < len(slug) <= SLUG_WIDTH
    assert ref_ok(branch_name("r", slug)), (task, slug)


@pytest.mark.parametrize("run_id", ["20261202-0450-ab12", "r1", "A_b-9"])
def test_a_run_id_of_letters_digits_dashes_and_underscores_is_accepted(run_id):
    assert check_run_id(run_id) == run_id
    assert ref_ok(branch_name(run_id, "x"))


@pytest.mark.parametrize("run_id", ["", "-r", "a/b", "a..b", "x.lock", "a b", "é", "r" * 65])
def test_a_run_id_that_cannot_name_a_branch_is_refused_with_a_clear_error(run_id):
    with pytest.raises(WorktreeError, match="run id"):
        check_run_id(run_id)


def test_a_commit_subject_is_one_printable_line():
    assert subject("fix\nthe\tbug\x1b") == "fix the bug"
    assert len(subject("x" * 500)) == 60
    assert subject("\n\n") == "session"


def test_the_supervisors_run_ids_name_worktrees():
    from csup.supervisor import new_run_id  # noqa: PLC0415

    run_id = new_run_id()
    assert check_run_id(run_id) == run_id and ref_ok(branch_name(run_id, "x"))
