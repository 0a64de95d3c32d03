"""Every binding of the keymap table, pressed in the real app, with its effect checked.

The test is parametrised over the table's ids, so a new binding without a scenario fails.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Static

from reader.core.library import Library
from reader.core.model import Article, Item
from reader.tui.app import ReaderApp
from reader.tui.keymap import KEYMAP, split_keys
from reader.tui.scope import Scope
from reader.tui.screens.help import HelpScreen, help_table
from reader.tui.screens.main import MainScreen
from reader.tui.screens.search import SearchScreen
from tests.tui.conftest import ArticleServer, add_issue


def notices(app: ReaderApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


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
    assert "link 2/2: https://example.com/grep-bench" in notices(app)
    await press()
    assert screen.reader.current_link == "https://example.com/grep"
    # An item with one link says so rather than do nothing visible.
    screen.items.go_to(row_titles(app).index("Rust 1.85 released"))
    await pilot.pause()
    await press()
    assert "This item has only this link" in notices(app)


# --- articles and stories told twice ----------------------------------------


async def open_added_issue(pilot: Pilot, app: ReaderApp, issue_id: str) -> None:
    """Show an issue stored while the app runs, as a refresh would bring it."""
    screen = main(app)
    screen.after_refresh()
    screen.show_scope(
        Scope("issue", source_id=screen.places.source_id(issue_id), issue_id=issue_id)
    )
    await pilot.pause()


def body_source(app: ReaderApp) -> str:
    return main(app).reader.query_one("#item-body", Markdown).source


@scenario("toggle_article")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    screen = main(app)
    first = screen.items.current
    assert first is not None
    with Library(app.database) as library:
        library.store.store_article(
            Article(
                first.id,
                first.url or "",
                datetime(2025, 3, 8, 10, 30, tzinfo=UTC),
                markdown="The **whole** article, saved.",
            )
        )
    await screen.reader.reload_article()
    # (The header glues each flag's words with no-break spaces.)
    assert "article\xa0saved\xa0(f)" in screen.reader.header_content().plain
    await press()
    assert "The **whole** article, saved." in body_source(app)
    assert "Full article saved 2025-03-08 10:30" in screen.reader.header_content().plain
    # The mode stays while moving: an item without an article says how to save it.
    await pilot.press("j")
    assert "No saved article yet" in body_source(app)
    assert first.body.strip()[:10] not in body_source(app)
    await pilot.press("k")
    await press()
    assert "The **whole** article" not in body_source(app)
    assert body_source(app).startswith(first.body.strip()[:10])


@scenario("save_article")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    with ArticleServer() as server:
        issue_id = add_issue(
            app.database,
            "Loopback Links",
            [("Compiler news", server.url("/story/compiler-news")), ("Gone", server.url("/gone"))],
        )
        await open_added_issue(pilot, app, issue_id)
        screen = main(app)
        item = screen.items.current
        assert item is not None and item.title == "Compiler news"
        await press()
        await app.workers.wait_for_complete()
        await pilot.pause()
        with Library(app.database) as library:
            article = library.article(item.id)
        assert article is not None and article.markdown is not None
        assert "kept for reading offline" in article.markdown
        assert "Share on social media" not in article.markdown
        assert "articles: 1 saved" in str(screen.status.query_one("#status-articles").render())
        await pilot.press("f")
        assert "kept for reading offline" in body_source(app)
        # A page that cannot be had says why, in the pane and in a notice.
        await pilot.press("j")
        await press()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "could not be saved" in screen.reader.header_content().plain
        assert "The article could not be saved" in body_source(app)
        assert any(n.title == "Not saved" for n in app._notifications)


@scenario("save_issue_articles")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    with ArticleServer() as server:
        names = ["first-story", "second-story", "third-story"]
        issue_id = add_issue(
            app.database,
            "Loopback Links",
            [(name, server.url(f"/story/{name}")) for name in names] + [("Gone", server.url("/x"))],
        )
        await open_added_issue(pilot, app, issue_id)
        screen = main(app)
        await press()
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.status.query_one("#status-articles").render())
        assert "3 saved" in status and "1 failed" in status
        with Library(app.database) as library:
            saved = [library.article(item.id) for item in screen.items.rows]
        assert [bool(article and article.markdown) for article in saved] == [True] * 3 + [False]
        # Saved links are skipped the next time.
        requests = len(server.requests)
        await press()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(server.requests) == requests + 1  # only the page that failed is tried again
        assert "3 already saved" in str(screen.status.query_one("#status-articles").render())


@scenario("toggle_auto_save")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()  # the imported files are not fetched: nothing to save by itself
    assert any("subscribed source" in n.message for n in app._notifications)
    with Library(app.database) as library:
        feed = library.store.ensure_source("feed", "https://feed.example/atom", "Some Feed")
    issue_id = add_issue(app.database, "Feed 1", [("News", "https://f.example/1")], source_id=feed)
    await open_added_issue(pilot, app, issue_id)
    await press()
    with Library(app.database) as library:
        assert library.source(str(feed)).settings.get("auto_save") is True
    await press()
    with Library(app.database) as library:
        assert not library.source(str(feed)).settings.get("auto_save")


@scenario("also_in")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    issue_id = add_issue(
        app.database,
        "Another Digest",
        [("Rust ships 1.85", "https://EXAMPLE.com/rust-185/?utm_source=digest#top")],
    )
    await open_added_issue(pilot, app, issue_id)
    screen = main(app)
    item = screen.items.current
    assert item is not None and item.also_in == 1
    assert "⇄" in screen.items.render_row(item, 60).plain
    header = screen.reader.header_content().plain
    assert "also in: Weekly Digest 41 · News" in header
    await press()
    issue = screen.issue_info(screen.scope.issue_id or "")
    assert issue is not None and issue.title == "Weekly Digest 41"
    current = screen.items.current
    assert current is not None and current.title == "Rust 1.85 released"
    assert "also in: Another Digest · Links" in screen.reader.header_content().plain
    await press()
    assert screen.scope.issue_id == issue_id
    # An item told nowhere else says so.
    await open_issue(pilot, app, "Weekly Digest 42")
    await press()
    assert any("no other issue" in n.message for n in app._notifications)


# --- library ----------------------------------------------------------------


@scenario("search")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    await press()
    assert isinstance(app.screen, SearchScreen)


async def search_for(pilot: Pilot, app: ReaderApp, query: str) -> SearchScreen:
    if not isinstance(app.screen, SearchScreen):
        await pilot.press("slash")
    search = app.screen
    assert isinstance(search, SearchScreen)
    search.query_one(Input).value = query
    await settle_search(pilot, app)
    return search


async def settle_search(pilot: Pilot, app: ReaderApp) -> None:
    await pilot.pause(0.3)  # the debounce delay
    await app.workers.wait_for_complete()
    await pilot.pause()


def summary_text(search: SearchScreen) -> str:
    return str(search.query_one("#search-summary", Static).render())


@scenario("search_filter")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    with Library(app.database) as library:
        (grep,) = library.search("grep")
        library.mark([grep.item_id], read=True, starred=True)
    search = await search_for(pilot, app, "grep")
    assert len(search.hits) == 1
    await press()
    await settle_search(pilot, app)
    assert search.filters.view == "unread" and search.hits == []
    assert "unread only" in summary_text(search)
    await press()
    await settle_search(pilot, app)
    assert search.filters.view == "starred" and [hit.title for hit in search.hits] == [
        "A faster grep"
    ]
    await press()
    await press()
    await settle_search(pilot, app)
    assert search.filters.view == "all" and len(search.hits) == 1


@scenario("search_source")
async def _(pilot: Pilot, app: ReaderApp, press: Callable[[], Awaitable[None]]) -> None:
    with Library(app.database) as library:
        other = library.store.ensure_source("feed", "https://feed.example/atom", "Other Feed")
    add_issue(app.database, "Other 1", [("grep, again", "https://o.example/grep")], source_id=other)
    main(app).after_refresh()
    await pilot.pause()
    search = await search_for(pilot, app, "grep")
    assert len(search.hits) == 2
    await press()
    await settle_search(pilot, app)
    assert [hit.title for hit in search.hits] == ["A faster grep"]
    assert "in Imported files" in summary_text(search)
    await press()
    await settle_search(pilot, app)
    assert len(search.hits) == 2


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
    # A desktop with a browser, which opens every link it is given.
    monkeypatch.setenv("BROWSER", "firefox")
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: OPENED.append(url) or True)
    entry = next(entry for entry in KEYMAP if entry.id == binding_id)
    key = split_keys(entry.keys)[0]
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        async def press() -> None:
            await pilot.press(key)
            await pilot.pause()

        await SCENARIOS[binding_id](pilot, app, press)


async def test_a_hostile_source_title_shows_literally_in_the_search_summary(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    hostile = "[b]bold[/b] [@click=app.quit]x[/]"
    with Library(library_path) as library:
        imports = library.imports_source_id()
        library.store.update_source(imports, title_override=hostile)
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = await search_for(pilot, app, "grep")
        await pilot.press("ctrl+s")
        await settle_search(pilot, app)
        assert f"in {hostile}" in summary_text(search)
        assert app.is_running
