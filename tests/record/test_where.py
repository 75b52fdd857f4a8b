"""Where the record is: --db, then CSUP_DB, then the data dir; --no-record, CSUP_NO_RECORD."""

from __future__ import annotations

import os
import sys

import platformdirs
import pytest

from csup.record import default_db_path, resolve_db_path


def test_by_default_the_record_is_csup_db_in_the_users_data_dir() -> None:
    env = {"HOME": os.path.expanduser("~")}
    assert resolve_db_path(None, env) == default_db_path(env)
    assert default_db_path(env).endswith(os.path.join("csup", "csup.db"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fast path is Linux's")
@pytest.mark.parametrize("xdg", [None, "/srv/data"])
def test_the_data_dir_is_the_one_platformdirs_gives(
    xdg: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    expected = os.path.join(platformdirs.user_data_dir("csup", appauthor=False), "csup.db")
    assert default_db_path() == expected


def test_the_option_wins_over_the_environment(tmp_path: os.PathLike[str]) -> None:
    env = {"CSUP_DB": "/elsewhere/x.db", "CSUP_NO_RECORD": "1"}
    assert resolve_db_path(os.path.join(tmp_path, "a.db"), env) == os.path.join(tmp_path, "a.db")


def test_csup_db_chooses_the_file_and_a_relative_path_is_made_absolute() -> None:
    assert resolve_db_path(None, {"CSUP_DB": "/r/x.db"}) == "/r/x.db"
    assert resolve_db_path(None, {"CSUP_DB": "x.db"}) == os.path.abspath("x.db")


@pytest.mark.parametrize("value", ["1", "yes", "true"])
def test_csup_no_record_turns_it_off(value: str) -> None:
    assert resolve_db_path(None, {"CSUP_NO_RECORD": value, "CSUP_DB": "/r/x.db"}) is None


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_an_empty_or_false_csup_no_record_does_not(value: str) -> None:
    assert resolve_db_path(None, {"CSUP_NO_RECORD": value, "CSUP_DB": "/r/x.db"}) == "/r/x.db"


def test_no_record_wins_over_everything() -> None:
    assert resolve_db_path("/r/x.db", {"CSUP_DB": "/r/y.db"}, no_record=True) is None
