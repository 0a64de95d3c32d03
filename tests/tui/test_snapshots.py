"""Snapshot tests of the main screens: reading an item, help, search, Chinese, light theme.

Fixed size, fixed data, UTC, no blinking cursor; update with `pytest --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from reader.core.library import Library
from reader.tui.app import ReaderApp
from reader.tui.scope import Scope

SIZE = (120, 40)


async def open_issue(pilot: Pilot, title: str) -> None:
    app = pilot.app
    assert isinstance(app, ReaderApp)
    await pilot.pause()  # run_before may come before the main screen is mounted
    with Library(app.database) as library:
        issue = next(issue for issue in library.issues() if issue.title == title)
    app.main_screen.show_scope(
        Scope("issue", source_id=issue.source_id, issue_id=issue.id), reveal=True
    )
    await pilot.pause()


def test_reading_an_item(
    snap_compare: Callable[..., bool], library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_issue(pilot, "Weekly Digest 42")
        await pilot.press("j", "enter", "j")

    assert snap_compare(make_app(library_path), terminal_size=SIZE, run_before=run_before)


def test_help(
    snap_compare: Callable[..., bool], library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    assert snap_compare(make_app(library_path), terminal_size=SIZE, press=["question_mark"])


def test_search(
    snap_compare: Callable[..., bool], library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("slash")
        pilot.app.screen.query_one(Input).cursor_blink = False
        pilot.app.screen.query_one(Input).value = "中文"
        await pilot.pause(0.3)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(library_path), terminal_size=SIZE, run_before=run_before)


def test_chinese_issue(
    snap_compare: Callable[..., bool], library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_issue(pilot, "科技周刊 第17期")
        await pilot.press("j")

    assert snap_compare(make_app(library_path), terminal_size=SIZE, run_before=run_before)


def test_light_theme_narrow(
    snap_compare: Callable[..., bool], library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    async def run_before(pilot: Pilot) -> None:
        pilot.app.theme = "reader-paper"
        await pilot.press("s", "j", "l")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(library_path), terminal_size=(80, 24), run_before=run_before)
