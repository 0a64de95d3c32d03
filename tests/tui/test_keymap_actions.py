"""Every binding of the keymap table, pressed in the real app, with its effect checked.

The test is parametrised over the table's ids, so a new binding without a scenario fails.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandPalette
from textual.pilot import Pilot

from reader.core.library import Library
from reader.core.model import Item
from reader.tui.app import ReaderApp
from reader.tui.keymap import KEYMAP, split_keys
from reader.tui.scope import Scope
from reader.tui.screens.help import HelpScreen, help_table
from reader.tui.screens.main import MainScreen
from reader.tui.screens.search import SearchScreen

# URLs the browser was asked to open during the current test.
OPENED: list[str] = []

Scenario = Callable[[Pilot, ReaderApp, Callable[[], Awaitable[None]]], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(binding_id: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[binding_id] = function
        return function

    return register


def main(app: ReaderApp) -> MainScreen:
    return app.main_screen


def stored(app: ReaderApp, item_id: str) -> Item:
    """The item as the database holds it, read on a separate connection."""
    with Library(app.database) as library:
        return library.item(item_id)


def unread_count(app: ReaderApp, **query: object) -> int:
    with Library(app.database) as library:
        return library.count_items(view="unread", **query)  # type: ignore[arg-type]


async def open_issue(pilot: Pilot, app: ReaderApp, title: str) -> None:
    """Show the issue called `title` in the list (as choosing it in the tree does)."""
    screen = main(app)
    with Library(app.database) as library:
        issue = next(i for i in library.issues() if i.title == title)
    screen.show_scope(Scope("issue", source_id=issue.source_id, issue_id=issue.id))
    await pilot.pause()


def row_titles(app: ReaderApp) -> list[str]:
    return [item.title for item in main(app).items.rows]


# --- moving ---------------------------------------------------------------


@scenario("move_down")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert main(app).items.absolute_index == 1


@scenario("move_up")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await pilot.press("j", "j")
    await press()
    assert main(app).items.absolute_index == 1


@scenario("first_item")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await pilot.press("j", "j", "j")
    await press()
    assert main(app).items.absolute_index == 0


@scenario("last_item")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    items = main(app).items
    assert items.absolute_index == items.total - 1


@scenario("next_unread")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await open_issue(pilot, app, "Weekly Digest 42")
    items = main(app).items
    with Library(app.database) as library:
        library.mark([items.rows[1].id, items.rows[2].id], read=True)
    items.reload()
    await pilot.pause()
    await press()
    assert items.absolute_index == 3
    assert main(app).reader.item is not None
    assert main(app).reader.item.id == items.rows[3].id


@scenario("previous_unread")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await open_issue(pilot, app, "Weekly Digest 42")
    items = main(app).items
    with Library(app.database) as library:
        library.mark([items.rows[1].id, items.rows[2].id], read=True)
    items.reload()
    items.go_to(3)
    await pilot.pause()
    await press()
    assert items.absolute_index == 0


@scenario("scroll_down")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await open_issue(pilot, app, "Weekly Digest 41")
    screen = main(app)
    screen.items.go_to(row_titles(app).index("A long read"))
    await pilot.pause()
    body = screen.reader.query_one("#item-body-scroll")
    assert body.scroll_y == 0
    await press()
    await pilot.pause()
    assert body.scroll_y > 0


@scenario("scroll_up")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await open_issue(pilot, app, "Weekly Digest 41")
    screen = main(app)
    screen.items.go_to(row_titles(app).index("A long read"))
    await pilot.pause()
    body = screen.reader.query_one("#item-body-scroll")
    await pilot.press("J", "J")
    await pilot.pause()
    down = body.scroll_y
    await press()
    await pilot.pause()
    assert 0 <= body.scroll_y < down


@scenario("toggle_tree")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    tree = main(app).source_tree
    assert tree.display and tree.region.width > 0
    await press()
    assert tree.region.width == 0
    await press()
    assert tree.region.width > 0


# --- triage ---------------------------------------------------------------


@scenario("open_item")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    screen = main(app)
    await pilot.press("j")
    item = screen.items.current
    assert item is not None and not item.read
    await press()
    assert stored(app, item.id).read
    assert screen.items.current is not None and screen.items.current.read
    assert screen.reader.item is not None and screen.reader.item.id == item.id


@scenario("read_and_next")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    screen = main(app)
    first = screen.items.current
    assert first is not None
    await press()
    assert stored(app, first.id).read
    assert screen.items.absolute_index == 1
    assert screen.items.current is not None and not screen.items.current.read


@scenario("toggle_read")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    assert stored(app, item.id).read
    await press()
    assert not stored(app, item.id).read


@scenario("mark_section_read")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    assert unread_count(app, section_id=item.section_id) == 0
    assert unread_count(app, issue_id=item.issue_id) > 0


@scenario("mark_issue_read")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    assert unread_count(app, issue_id=item.issue_id) == 0
    assert unread_count(app) > 0
    rows = [row for row in main(app).items.rows if row.issue_id == item.issue_id]
    assert rows and all(row.read for row in rows)


@scenario("mark_source_read")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert unread_count(app) == 0
    assert all(row.read for row in main(app).items.rows)


@scenario("toggle_star")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    assert stored(app, item.id).starred
    assert main(app).items.current is not None and main(app).items.current.starred


@scenario("toggle_later")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    assert stored(app, item.id).later
    await press()
    assert not stored(app, item.id).later


@scenario("undo")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await pilot.press("s")
    assert stored(app, item.id).starred
    await press()
    assert not stored(app, item.id).starred
    assert main(app).items.current is not None and not main(app).items.current.starred


# --- views ------------------------------------------------------------------


async def check_view(
    pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]], view: str
) -> None:
    screen = main(app)
    first = screen.items.current
    assert first is not None
    with Library(app.database) as library:
        library.mark([first.id], starred=True, later=True)
        expected = library.count_items(view=view)
    await pilot.press("4" if view != "all" else "1")
    await press()
    assert screen.scope == Scope.of_view(view)
    assert screen.items.total == expected
    node = screen.source_tree.cursor_node
    assert node is not None and node.data is not None and node.data.scope == Scope.of_view(view)


@scenario("view_unread")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await check_view(pilot, app, press, "unread")


@scenario("view_starred")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await check_view(pilot, app, press, "starred")


@scenario("view_later")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await check_view(pilot, app, press, "later")


@scenario("view_all")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await check_view(pilot, app, press, "all")


@scenario("toggle_hide_read")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await open_issue(pilot, app, "Weekly Digest 42")
    items = main(app).items
    assert items.total == 5
    await pilot.press("m")  # the first item is now read
    await press()
    assert items.total == 4
    assert all(not row.read for row in items.rows)
    await press()
    assert items.total == 5


# --- links ------------------------------------------------------------------


@scenario("open_link")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    await app.workers.wait_for_complete()
    assert [item.url] == OPENED


@scenario("copy_link")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    item = main(app).items.current
    assert item is not None
    await press()
    assert app.clipboard == item.url


@scenario("next_link")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await open_issue(pilot, app, "Weekly Digest 41")
    screen = main(app)
    screen.items.go_to(row_titles(app).index("A faster grep"))
    await pilot.pause()
    assert screen.reader.current_link == "https://example.com/grep"
    await press()
    assert screen.reader.current_link == "https://example.com/grep-bench"
    assert "link 2/2" in screen.reader.header_content().plain
    await press()
    assert screen.reader.current_link == "https://example.com/grep"


# --- library ----------------------------------------------------------------


@scenario("search")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert isinstance(app.screen, SearchScreen)


async def check_refresh(app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    await app.workers.wait_for_complete()
    if app.refresh_available:
        status = str(main(app).status.query_one("#status-right").render())
        assert "refresh" in status
    else:
        messages = [notification.message for notification in app._notifications]
        assert any("not available" in message for message in messages)


@scenario("refresh_all")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await check_refresh(app, press)


@scenario("refresh_source")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await check_refresh(app, press)


@scenario("source_error")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    messages = [notification.message for notification in app._notifications]
    assert any("no error" in message for message in messages)


# --- app --------------------------------------------------------------------


@scenario("help")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert isinstance(app.screen, HelpScreen)
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(help_table(app.key_overrides))
    rendered = console.export_text()
    for entry in KEYMAP:
        assert entry.description in rendered


@scenario("pick_theme")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert isinstance(app.screen, CommandPalette)


@scenario("command_palette")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert isinstance(app.screen, CommandPalette)


@scenario("quit")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert app._exit


def test_every_binding_has_a_scenario() -> None:
    assert set(SCENARIOS) == {entry.id for entry in KEYMAP}


@pytest.mark.parametrize("binding_id", [entry.id for entry in KEYMAP])
async def test_binding(
    binding_id: str,
    library_path: Path,
    make_app: Callable[..., ReaderApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    OPENED.clear()
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: OPENED.append(url))
    entry = next(entry for entry in KEYMAP if entry.id == binding_id)
    key = split_keys(entry.keys)[0]
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        async def press() -> None:
            await pilot.press(key)
            await pilot.pause()

        await SCENARIOS[binding_id](pilot, app, press)
