"""Settings, theme files and the keymap table, checked without running the app.

Broken input must become a message, never an exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config import load_settings
from reader.tui.app import ReaderApp
from reader.tui.keymap import KEYMAP, check_overrides, split_keys
from reader.tui.scope import Scope
from reader.tui.screens.main import MainScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.state import AppState, load_state, save_state
from reader.tui.themes import ThemeFileError, bundled_themes, parse_theme


def test_missing_config_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "config.toml")
    assert settings.keys == {} and settings.theme is None and settings.problems == []


def test_config_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "reader-paper"\nauto_refresh = 30\n'
        '[keys]\nnext_unread = "n, right"\ntoggle_star = ["s", "f"]\n'
        "[fetch]\nconcurrency = 4\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.problems == []
    assert settings.theme == "reader-paper"
    assert settings.auto_refresh_minutes == 30
    assert settings.keys == {"next_unread": "n,right", "toggle_star": "s,f"}
    assert settings.fetch == {"concurrency": 4}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("theme = [", "not valid TOML"),
        (b"\xff\xfe", "not valid TOML"),
        ("keys = 3", "[keys] must be a table"),
        ("[keys]\nquit = 3", "keys.quit"),
        ("theme = 7", "theme must be"),
        ("auto_refresh = 'often'", "auto_refresh must be"),
        ("auto_refresh = -1", "between 0"),
        ("[fetch]\nconcurrency = 10000", "fetch.concurrency"),
        ("[fetch]\nspeed = 1", "unknown setting fetch.speed"),
        ("colour = 'red'", "unknown setting 'colour'"),
    ],
)
def test_broken_config_is_a_problem_not_a_crash(
    tmp_path: Path, text: str | bytes, problem: str
) -> None:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    assert any(problem in message for message in settings.problems), settings.problems


def test_bundled_themes_include_light_and_dark() -> None:
    loaded = bundled_themes()
    assert loaded.problems == []
    modes = {theme.name: theme.dark for theme in loaded.themes}
    assert modes["reader-paper"] is False
    assert modes["reader-night"] is True


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("primary = '#fff'", "needs a name"),
        ("name = 'Bad Name'\nprimary = '#fff'", "needs a name"),
        ("name = 'x'", "needs a primary"),
        ("name = 'x'\nprimary = 'nope'", "is not a color"),
        ("name = 'x'\nprimary = '#fff'\ndark = 'yes'", "dark must be"),
        ("name = 'x'\nprimary = '#fff'\nshadow = '#000'", "unknown field"),
        ("name = 'x'\nprimary = '#fff'\n[variables]\nfoo = '[b]x[/b]'", "variables.foo"),
        ("name = 'x'\nprimary = '#fff'\n[variables]\nfoo-text-style = 'blink'", "text style"),
        ("name = 'x'\nprimary = [", "not valid TOML"),
    ],
)
def test_broken_theme_files_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ThemeFileError, match=problem.replace("[", r"\[")):
        parse_theme(text)


def test_keymap_ids_and_default_keys_are_unique() -> None:
    ids = [entry.id for entry in KEYMAP]
    assert len(ids) == len(set(ids))
    keys = [key for entry in KEYMAP for key in split_keys(entry.keys)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("entry", KEYMAP, ids=lambda entry: entry.id)
def test_every_keymap_action_exists(entry: object) -> None:
    action = entry.action  # type: ignore[attr-defined]
    name = action.split("(")[0]
    screen = entry.screen  # type: ignore[attr-defined]
    if name.startswith("app."):
        assert hasattr(ReaderApp, f"action_{name[4:]}")
    elif screen == "search":
        assert hasattr(SearchScreen, f"action_{name}")
    else:
        assert screen == "main" and hasattr(MainScreen, f"action_{name}")


def test_unknown_key_ids_are_reported() -> None:
    known, problems = check_overrides({"quit": "Q", "fly": "f"})
    assert known == {"quit": "Q"}
    assert problems and "fly" in problems[0]


def test_state_round_trip_and_broken_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = AppState(theme="reader-night", scope=Scope("issue", issue_id="abc"), item_id="x1")
    save_state(state, path)
    assert load_state(path) == state
    path.write_text("{not json", encoding="utf-8")
    assert load_state(path) == AppState()
    path.write_text('{"scope": {"kind": "issue"}, "item_id": 5}', encoding="utf-8")
    assert load_state(path) == AppState()
