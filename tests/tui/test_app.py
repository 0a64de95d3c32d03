"""Behaviour of the app beyond single keys: undo, paging, layout, search, state, safety.

Each test drives the real app through Pilot and checks the widgets and the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.widgets import Input, Markdown, Static

from reader import paths
from reader.config import Settings
from reader.core.library import Library
from reader.core.model import Article, Item, ParsedIssue, ParsedItem, ParsedSection
from reader.tui.app import ReaderApp
from reader.tui.scope import Scope
from reader.tui.screens.main import MainScreen
from reader.tui.screens.search import (
    HIGHLIGHT_STYLE,
    SearchScreen,
    highlighted_snippet,
    hit_prompt,
    parse_query,
)
from reader.tui.widgets.item_list import MAX_WINDOW_ROWS, Heading, ItemList
from reader.tui.widgets.reader_pane import ReaderPane
from tests.tui.conftest import build_big_library, library_of

HOSTILE_TITLES = [
    "[/]",
    "[@click=app.quit]Click me[/]",
    "[b]x[/b]",
    "evil\x1b]52;c;ZXZpbA==\x07title",
]


def flags(database: Path) -> dict[str, tuple[bool, bool, bool]]:
    """Every item's (read, starred, later) as stored."""
    with Library(database) as library:
        items = library.items_page(view="all", limit=10_000)
    return {item.id: (item.read, item.starred, item.later) for item in items}


def notices(app: ReaderApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_undo_restores_several_actions(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    before = flags(library_path)
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s", "j", "l", "m", "A", "j", "space")
        await pilot.pause()
        assert flags(library_path) != before
        for _ in range(6):
            await pilot.press("u")
        await pilot.pause()
        assert flags(library_path) == before
        screen = app.main_screen
        assert all(not row.read and not row.starred and not row.later for row in screen.items.rows)
        await pilot.press("u")
        assert "Nothing to undo" in notices(app)


async def test_mark_issue_read_updates_tree_counts(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.main_screen.source_tree
        assert tree.view_nodes["unread"].label.plain.endswith(" 13")
        await pilot.press("A")
        await pilot.pause()
        assert tree.view_nodes["unread"].label.plain.endswith(" 10")
        await pilot.press("u")
        assert tree.view_nodes["unread"].label.plain.endswith(" 13")


async def test_next_unread_crosses_into_the_next_issue(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        with Library(library_path) as library:
            issues = library.issues()
        newest, middle = issues[0], issues[1]
        screen.show_scope(Scope("issue", source_id=newest.source_id, issue_id=newest.id))
        screen.items.go_to(screen.items.total - 1)
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert screen.scope.issue_id == middle.id
        assert screen.items.absolute_index == 0
        node = screen.source_tree.cursor_node
        assert node is not None and node.data is not None
        assert node.data.scope == screen.scope
        await pilot.press("p")
        await pilot.pause()
        assert screen.scope.issue_id == newest.id
        assert screen.items.absolute_index == screen.items.total - 1


async def test_tree_lists_sources_issues_and_sections(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path, returning=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.main_screen.source_tree
        (source_node,) = tree.source_nodes.values()
        assert not source_node.children  # issues load when the source opens
        source_node.expand()
        await pilot.pause()
        labels = [child.label.plain for child in source_node.children]
        assert labels[0].startswith("2025-03-07 科技周刊 第17期")
        assert labels[1].startswith("2025-02-28 Weekly Digest 42 5")
        issue_node = source_node.children[1]
        issue_node.expand()
        await pilot.pause()
        assert [child.label.plain for child in issue_node.children] == ["News 3", "Tools 2"]
        tree.move_cursor(issue_node.children[1])
        await pilot.pause()
        assert app.main_screen.scope.kind == "section"
        assert [row.title for row in app.main_screen.items.rows] == [
            "A Markdown linter",
            "A tiny HTTP server",
        ]


async def test_item_list_holds_a_bounded_window(
    big_library: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(big_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        items = app.main_screen.items
        await pilot.press("4")
        assert items.total == 3000
        assert items.option_count <= MAX_WINDOW_ROWS
        await pilot.press("G")
        assert items.absolute_index == 2999
        assert items.option_count <= MAX_WINDOW_ROWS
        with Library(big_library) as library:
            assert items.current == library.items_page(view="all", offset=2999, limit=1)[0]
        await pilot.press("g")
        for _ in range(8):
            await pilot.press("pagedown")
            assert items.option_count <= MAX_WINDOW_ROWS
        position = items.absolute_index
        assert position is not None and position > 200
        # j and k across the edges of the window slide it by a page.
        items.go_to(items.window_end - 2)
        await pilot.pause()
        start, before = items.window_start, items.absolute_index
        assert before is not None
        for _ in range(4):
            await pilot.press("j")
        assert items.absolute_index == before + 4
        assert items.window_start > start
        assert items.option_count <= MAX_WINDOW_ROWS
        with Library(big_library) as library:
            expected = library.items_page(view="all", offset=before + 4, limit=1)[0]
        assert items.current == expected
        items.go_to(items.window_start + 1)
        await pilot.pause()
        start, before = items.window_start, items.absolute_index
        assert before is not None
        for _ in range(4):
            await pilot.press("k")
        assert items.absolute_index == before - 4
        assert items.window_start < start
        assert items.option_count <= MAX_WINDOW_ROWS
        with Library(big_library) as library:
            expected = library.items_page(view="all", offset=before - 4, limit=1)[0]
        assert items.current == expected
        # The mouse wheel slides the window too, without moving the cursor.
        items.go_to(0)
        await pilot.pause()
        start = items.window_start
        items.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        for _ in range(3):
            await pilot._post_mouse_events([events.MouseScrollDown], ItemList)
        await pilot.pause()
        assert items.window_start > start
        assert items.option_count <= MAX_WINDOW_ROWS


async def test_the_list_draws_only_the_rows_on_screen(
    big_library: Path, make_app: Callable[..., ReaderApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    draw = ItemList.render_row

    def counted(self: ItemList, item: Item, width: int) -> Content:
        drawn.append(item.id)
        return draw(self, item, width)

    monkeypatch.setattr(ItemList, "render_row", counted)
    app = make_app(big_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        items = app.main_screen.items
        await pilot.press("4")
        drawn.clear()
        await pilot.press("G")
        await pilot.pause()
        # A window of about 200 rows, of which a screen's worth is drawn, once each.
        assert len(items.rows) > 150
        assert 0 < len(drawn) <= items.scrollable_content_region.height
        assert len(drawn) == len(set(drawn))
        assert items.current is not None and items.current.id in drawn
        before = len(drawn)
        await pilot.press("k", "k", "j")
        await pilot.pause()
        assert len(drawn) == before  # the cursor moves over rows already drawn
        # A row whose flags change is drawn again, alone.
        await pilot.press("s")
        await pilot.pause()
        assert drawn[before:] == [items.current.id]


async def test_narrow_terminal_hides_the_tree(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert screen.source_tree.region.width == 0
        assert screen.items.region.width >= 28
        assert screen.reader.region.width >= 40
        assert screen.items.current is not None
        await pilot.press("t")
        await pilot.pause()
        assert screen.source_tree.region.width > 0
        assert screen.source_tree.has_focus
        await pilot.press("t")
        await pilot.pause()
        assert screen.source_tree.region.width == 0
        assert screen.items.has_focus


async def test_cjk_rows_align(library_path: Path, make_app: Callable[..., ReaderApp]) -> None:
    app = make_app(library_path, returning=True)
    async with app.run_test(size=(180, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        items: ItemList = screen.items
        width = items.scrollable_content_region.width
        rows = [items.render_row(item, width).plain for item in items.rows]
        assert any("开源" in row for row in rows) and any("Python" in row for row in rows)
        assert {cell_len(row) for row in rows} == {width}
        # Titles start at the same cell in every row.
        starts = {
            cell_len(row[: row.index(item.title[:2])])
            for row, item in zip(rows, items.rows, strict=True)
        }
        assert starts == {5}
        # Headings never run past the row, even when cut in the middle of wide characters.
        heading = Heading("issue", "科技周刊 " * 40, "2025-03-07")
        assert cell_len(items.render_heading(heading, 40).plain) <= 40


def entry_texts(items: ItemList) -> list[str]:
    """The window as shown: `# issue · date`, `## section` and item titles."""
    texts = []
    for entry in items.entries:
        if isinstance(entry, Heading):
            mark = "#" if entry.kind == "issue" else "##"
            texts.append(f"{mark} {entry.title}" + (f" · {entry.detail}" if entry.detail else ""))
        else:
            texts.append(items.rows[entry].title)
    return texts


async def test_item_list_groups_items_under_headings(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path, returning=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        items = screen.items
        assert entry_texts(items)[:8] == [
            "# 科技周刊 第17期 · 2025-03-07",
            "## 新闻",
            "开源数据库发布新版本",
            "终端阅读器的中文排版",
            "## 工具",
            "一个命令行翻译工具",
            "# Weekly Digest 42 · 2025-02-28",
            "## News",
        ]
        # Headings are disabled options: j, k, n and p step over them.
        headings = [i for i, entry in enumerate(items.entries) if isinstance(entry, Heading)]
        assert all(items.get_option_at_index(i).disabled for i in headings)
        assert items.option_count == len(items.rows) + len(headings)
        await pilot.press("j", "j", "j")
        assert items.current is not None and items.current.title == "Python 3.14 beta"
        assert items.absolute_index == 3
        await pilot.press("k")
        assert items.current is not None and items.current.title == "一个命令行翻译工具"
        await pilot.press("n")
        assert items.current is not None and items.current.title == "Python 3.14 beta"
        await pilot.press("p")
        assert items.current is not None and items.current.title == "一个命令行翻译工具"
        assert not isinstance(items.entries[items.highlighted or 0], Heading)
        # Clicking a heading opens nothing.
        await pilot.click(ItemList, offset=(4, 0))
        await pilot.pause()
        assert items.current is not None and items.current.title == "一个命令行翻译工具"
        assert screen.reader.item is not None and screen.reader.item.id == items.current.id
        # One issue: its sections are the headings, the issue is in the status line.
        with Library(library_path) as library:
            issue = next(i for i in library.issues() if i.title == "Weekly Digest 42")
        screen.show_scope(Scope("issue", source_id=issue.source_id, issue_id=issue.id))
        await pilot.pause()
        assert entry_texts(items) == [
            "## News",
            "Python 3.14 beta",
            "Textual 8 is out",
            "Firefox drops a feature",
            "## Tools",
            "A Markdown linter",
            "A tiny HTTP server",
        ]
        assert items.current is not None and items.current.title == "Python 3.14 beta"


async def test_headings_count_against_the_window(
    home: Path, make_app: Callable[..., ReaderApp]
) -> None:
    # Two one-item sections per issue: more headings than items in every window.
    database = paths.database_path()
    build_big_library(database, issues=300, items_per_issue=2)
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        items = app.main_screen.items
        await pilot.press("4")
        assert items.total == 600
        assert items.option_count <= MAX_WINDOW_ROWS
        assert len(items.rows) < MAX_WINDOW_ROWS // 2
        assert isinstance(items.entries[0], Heading) and items.entries[0].kind == "issue"
        with Library(database) as library:
            every = library.items_page(view="all", limit=1000)
        # The cursor actions directly (pressing j 150 times costs a frame each).
        seen = []
        for _ in range(150):
            assert items.current is not None
            seen.append(items.current.id)
            items.action_cursor_down()
            assert items.option_count <= MAX_WINDOW_ROWS
            assert not isinstance(items.entries[items.highlighted or 0], Heading)
        assert seen == [item.id for item in every[:150]]
        assert items.window_start > 0
        for _ in range(149):
            items.action_cursor_up()
            assert items.option_count <= MAX_WINDOW_ROWS
        assert items.absolute_index == 1
        assert items.current is not None and items.current.id == every[1].id
        await pilot.press("j", "k")
        assert items.current is not None and items.current.id == every[1].id
        await pilot.press("G")
        assert items.current is not None and items.current.id == every[-1].id
        assert items.option_count <= MAX_WINDOW_ROWS


async def test_search_opens_the_hit_in_place(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"grep")
        await wait_for_search(pilot, app)
        search = app.screen
        assert isinstance(search, SearchScreen)
        assert [hit.title for hit in search.hits] == ["A faster grep"]
        hit = search.hits[0]
        assert hit.issue_title == "Weekly Digest 41" and hit.section_title == "Tools"
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.scope.kind == "issue" and screen.scope.issue_id == hit.issue_id
        assert screen.items.current is not None and screen.items.current.id == hit.item_id
        assert screen.reader.item is not None and screen.reader.item.id == hit.item_id
        assert flags(library_path)[hit.item_id][0] is True


async def wait_for_search(pilot: object, app: ReaderApp) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.pause(0.3)  # the debounce delay
    await app.workers.wait_for_complete()
    await pilot.pause()


async def search_for(pilot: object, app: ReaderApp, query: str) -> SearchScreen:
    """Open the search screen with `/`, type `query` and wait for its results."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("slash")
    search = app.screen
    assert isinstance(search, SearchScreen)
    search.query_one(Input).value = query
    await wait_for_search(pilot, app)
    return search


async def test_search_finds_chinese_and_escape_goes_back(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = await search_for(pilot, app, "翻译")
        assert [hit.title for hit in search.hits] == ["一个命令行翻译工具"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_hostile_titles_show_literally(
    home: Path, make_app: Callable[..., ReaderApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = paths.database_path()
    items = tuple(
        ParsedItem(title=title, url=f"https://example.com/{index}", body=f"Body {index}")
        for index, title in enumerate(HOSTILE_TITLES)
    )
    links_item = ParsedItem(
        title="Links",
        url="javascript:alert(1)",
        body="[local](file:///etc/passwd) and [[/]](https://example.com/x) `[b]code[/b]`",
    )
    with Library(database) as library:
        library.store_parsed(
            library.imports_source_id(),
            ParsedIssue(
                title="[red]Issue[/red] [@click=app.quit]",
                date=datetime(2025, 1, 1),
                url=None,
                sections=(ParsedSection("[i]Section[/i]", (*items, links_item)),),
            ),
        )
    opened: list[str] = []
    # A desktop with a browser, which opens every link it is given.
    monkeypatch.setenv("BROWSER", "firefox")
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url) or True)
    app = make_app(database, returning=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        rows = [screen.items.render_row(item, 100).plain for item in screen.items.rows]
        assert "[/]" in rows[0]
        assert "[@click=app.quit]Click me[/]" in rows[1]
        assert "[b]x[/b]" in rows[2]
        assert "eviltitle" in rows[3]
        assert not any(mark in rows[3] for mark in ("\x1b", "\x07", "52;c", "ZXZpbA"))
        for index, title in enumerate(
            ["[/]", "[@click=app.quit]Click me[/]", "[b]x[/b]", "eviltitle"]
        ):
            screen.items.go_to(index)
            await pilot.pause()
            header = screen.reader.header_content().plain
            assert header.startswith(title)
            assert "[red]Issue[/red] [@click=app.quit] › [i]Section[/i]" in header
        (source_node,) = screen.source_tree.source_nodes.values()
        source_node.expand()
        await pilot.pause()
        assert source_node.children[0].label.plain.startswith("2025-01-01 [red]Issue[/red]")
        headings = [
            screen.items.render_heading(entry, 100).plain
            for entry in screen.items.entries
            if isinstance(entry, Heading)
        ]
        assert headings == [" [red]Issue[/red] [@click=app.quit] · 2025-01-01", "   [i]Section[/i]"]
        # Clicking text that looks like an action only moves the cursor (the
        # issue and section headings take the first two lines).
        await pilot.click(ItemList, offset=(8, 3))
        await pilot.pause()
        assert app.is_running
        assert screen.items.absolute_index == 1
        screenshot = app.export_screenshot()
        assert "\x1b]52" not in screenshot and "ZXZpbA" not in screenshot
        # Links: only http, https and mailto reach the browser.
        screen.items.go_to(4)
        await pilot.pause()
        screen.reader.post_message(ReaderPane.LinkClicked("file:///etc/passwd"))
        await pilot.pause()
        await pilot.press("o")  # the item's own link is javascript:
        await pilot.pause()
        screen.reader.post_message(ReaderPane.LinkClicked("https://example.com/x"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert opened == ["https://example.com/x"]
        assert any("Not opened" in message for message in notices(app))
        assert "(will not be opened)" in screen.reader.header_content().plain


async def test_state_is_restored_on_the_next_start(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4", "j", "j", "enter", "h")
        chosen = app.main_screen.items.current
        assert chosen is not None
        app.theme = "reader-paper"
        await pilot.pause()
    again = make_app(library_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = again.main_screen
        assert again.theme == "reader-paper"
        assert screen.scope == Scope.of_view("all")
        assert screen.items.current is not None and screen.items.current.id == chosen.id
        assert screen.reader.item is not None and screen.reader.item.id == chosen.id


async def test_quitting_right_after_a_move_remembers_the_item(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path, returning=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4", "j", "j")
        chosen = app.main_screen.items.current
        assert chosen is not None
        # Well inside the quiet second after which a move is saved.
        await pilot.press("q")
    again = make_app(library_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        current = again.main_screen.items.current
        assert current is not None and current.id == chosen.id


async def test_broken_config_and_theme_give_messages(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    from reader.config import load_settings

    paths.config_path().write_text("theme = [unclosed\n", encoding="utf-8")
    themes = paths.config_dir() / "themes"
    themes.mkdir()
    (themes / "bad.toml").write_text('name = "bad"\nprimary = "not a color"\n', encoding="utf-8")
    (themes / "broken.toml").write_bytes(b"\xff\xfe not toml")
    app = make_app(library_path, load_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        messages = notices(app)
        assert any("not valid TOML" in message for message in messages)
        assert any("bad.toml" in message and "not a color" in message for message in messages)
        assert any("broken.toml" in message for message in messages)
        assert app.main_screen.items.total > 0


async def test_user_keys_override_the_table(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    settings = Settings(keys={"toggle_star": "x", "no_such_action": "z"})
    app = make_app(library_path, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        item = app.main_screen.items.current
        assert item is not None
        await pilot.press("x")
        assert flags(library_path)[item.id][1] is True
        await pilot.press("s")  # the default key no longer toggles the star
        assert flags(library_path)[item.id][1] is True
        assert any("no_such_action" in message for message in notices(app))


async def test_command_palette_runs_keymap_actions(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        item = app.main_screen.items.current
        assert item is not None
        await pilot.press("ctrl+p")
        await pilot.press(*"Star / unstar")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert flags(library_path)[item.id][1] is True


async def test_the_palette_lists_each_command_once(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert not {"Quit", "Theme", "Keys"} & set(titles)
        assert "Screenshot" in titles


async def test_broken_source_is_marked_and_its_error_one_key_away(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    with Library(library_path) as library:
        source_id = library.imports_source_id()
        library.store.update_source(source_id, status="error", error="HTTP 500 [b]boom[/b]")
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        (node,) = screen.source_tree.source_nodes.values()
        assert "⚠" in node.label.plain
        assert "1 broken source" in str(screen.status.query_one("#status-right").render())
        await pilot.press("e")
        assert "HTTP 500 [b]boom[/b]" in notices(app)


async def test_empty_library_opens(home: Path, make_app: Callable[..., ReaderApp]) -> None:
    app = make_app(paths.database_path())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("j", "enter", "space", "n", "s", "A", "o", "c", "L", "u", "h", "M")
        await pilot.press("f", "d", "D", "i", "f")
        assert app.main_screen.items.total == 0
        assert app.is_running


async def test_tree_pages_issues_and_reveals_old_ones(
    big_library: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(big_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        tree = screen.source_tree
        (source_node,) = tree.source_nodes.values()
        source_node.expand()
        await pilot.pause()
        assert len(tree.issue_nodes) == 50
        more = source_node.children[-1]
        assert more.data is not None and more.data.kind == "more"
        assert more.label.plain == "… 10 older issues"
        tree.select_node(more)
        await pilot.pause()
        assert len(tree.issue_nodes) == 60
        # Opening an item of the oldest issue reveals it in a fresh tree.
        with Library(big_library) as library:
            oldest = library.issues(limit=100)[-1]
            item = library.items_page(issue_id=oldest.id, limit=1)[0]
        tree.load()
        await pilot.pause()
        screen.restore(Scope("view", view="starred"), item.id)
        await pilot.pause()
        assert screen.scope.issue_id == oldest.id
        assert screen.items.current is not None and screen.items.current.id == item.id
        node = tree.cursor_node
        assert node is not None and node.data is not None and node.data.scope == screen.scope


async def test_reader_pane_catches_up_after_fast_moves(
    library_path: Path, make_app: Callable[..., ReaderApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reader.tui.screens.main.READER_DELAY_S", 0.05)
    app = make_app(library_path, returning=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        for _ in range(5):
            screen.items.action_cursor_down()
        await pilot.pause(0.2)
        current = screen.items.current
        assert current is not None and current.title == "Firefox drops a feature"
        assert screen.reader.item == current
        assert screen.reader._body_item_id == current.id


async def test_state_naming_a_deleted_issue_falls_back(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    from reader.tui.state import AppState, save_state, state_path

    save_state(AppState(scope=Scope("issue", source_id=1, issue_id="gone"), item_id="gone"))
    assert state_path().exists()
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.main_screen.scope == Scope.of_view("unread")
        assert app.main_screen.items.total == 13


async def test_first_start_opens_the_newest_issue(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        with Library(library_path) as library:
            newest = library.issues(limit=1)[0]
            first = library.items_page(issue_id=newest.id, limit=1)[0]
        assert newest.title == "科技周刊 第17期"
        assert screen.scope == Scope("issue", source_id=newest.source_id, issue_id=newest.id)
        assert screen.items.current is not None and screen.items.current.id == first.id
        assert screen.reader.item is not None and screen.reader.item.id == first.id
        body = screen.reader.query_one("#item-body", Markdown).source
        assert body.startswith("这个版本支持中文全文检索")
        tree = screen.source_tree
        (source_node,) = tree.source_nodes.values()
        assert source_node.is_expanded
        node = tree.cursor_node
        assert node is not None and node.data is not None and node.data.scope == screen.scope
        assert screen.items.has_focus
    # The next start is where the user left, not the newest issue again.
    again = make_app(library_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not again.main_screen.first_start


def marked(content: Content) -> list[str]:
    """The text of every span styled as a search hit."""
    return [
        content.plain[span.start : span.end]
        for span in content.spans
        if span.style == HIGHLIGHT_STYLE
    ]


def test_snippet_highlights_survive_cleaning() -> None:
    snippet = "[b]x[/b]\x1b]52;c;ZXZpbA==\x07 and  the\tgrep [@click=app.quit] grep."
    starts = [snippet.index("grep"), snippet.rindex("grep")]
    content = highlighted_snippet(snippet, tuple((start, start + 4) for start in starts))
    assert content.plain == "[b]x[/b] and the grep [@click=app.quit] grep."
    assert marked(content) == ["grep", "grep"]
    # Spans out of order or out of range are ignored, not trusted.
    content = highlighted_snippet("short", ((3, 99), (2, 1), (0, 2), (1, 3)))
    assert content.plain == "short" and marked(content) == ["sh"]
    # A long snippet is cut; a hit past the cut is dropped.
    long = "word " * 100 + "grep"
    content = highlighted_snippet(long, ((len(long) - 4, len(long)),))
    assert content.plain.endswith("…") and marked(content) == []


async def test_search_finds_items_by_their_saved_article(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    with Library(library_path) as library:
        (hit,) = library.search("Grep monorepo")
        library.store.store_article(
            Article(hit.item_id, "https://example.org/grep", datetime(2025, 3, 1, tzinfo=UTC),
                    "The tool walks a mangrove of nested folders.", "A faster grep")
        )  # fmt: skip
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = await search_for(pilot, app, "mangrove")
        (found,) = search.hits
        assert (found.title, found.in_article) == ("A faster grep", True)
        prompt = hit_prompt(found, "mangrove")
        assert "in its saved article" in prompt.plain
        assert marked(prompt) == ["mangrove"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(ItemList).current.id == hit.item_id


async def test_search_marks_hits_and_takes_dates(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = await search_for(pilot, app, "Grep monorepo")
        (hit,) = search.hits
        # The title's words are marked here, the snippet's where the store says.
        assert marked(hit_prompt(hit, "Grep monorepo")) == ["grep", "monorepo"]
        summary = search.query_one("#search-summary", Static)
        search.query_one(Input).value = "grep until:2025-02-20"
        await wait_for_search(pilot, app)
        assert search.hits == []
        assert "until 2025-02-20" in str(summary.render())
        search.query_one(Input).value = "grep since:2025-2-21 until:2025-02-21"
        await wait_for_search(pilot, app)
        assert [hit.title for hit in search.hits] == ["A faster grep"]
        # A date that is no date stays a word of the query.
        assert parse_query("x since:2025-13-40") == ("x since:2025-13-40", None, None)


@pytest.mark.parametrize(
    ("size", "tree_width"), [((120, 40), 28), ((160, 40), 34), ((200, 60), 42)]
)
async def test_the_source_tree_grows_with_the_terminal(
    library_path: Path, make_app: Callable[..., ReaderApp], size: tuple[int, int], tree_width: int
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.source_tree.outer_size.width == tree_width


async def test_only_the_pane_with_the_keys_shows_a_solid_cursor(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        tree, items = screen.source_tree, screen.items

        def solid() -> tuple[bool, bool]:
            tree_cursor = tree.get_component_rich_style("tree--cursor", partial=True)
            item_cursor = items.get_component_rich_style(
                "option-list--option-highlighted", partial=True
            )
            return tree_cursor.bgcolor is not None, item_cursor.bgcolor is not None

        items.focus()
        await pilot.pause()
        assert solid() == (False, True)
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert tree.has_focus
        assert solid() == (True, False)


async def test_next_unread_wraps_around_at_the_end_of_a_view(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4", "g")
        items = app.main_screen.items
        first = items.current
        assert first is not None and not first.read
        await pilot.press("G")
        last = items.current
        assert last is not None and last.id != first.id
        await pilot.press("n")
        await pilot.pause()
        assert items.current is not None and items.current.id == first.id
        assert "Wrapped to the first unread item" in notices(app)
        await pilot.press("p")
        await pilot.pause()
        assert items.current is not None and items.current.id == last.id
        assert "Wrapped to the last unread item" in notices(app)


async def test_search_as_you_type_finds_the_word_being_typed(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = await search_for(pilot, app, "grep monore")
        assert [hit.title for hit in search.hits] == ["A faster grep"]


async def test_changes_made_by_another_process_show_without_a_restart(
    library_path: Path, make_app: Callable[..., ReaderApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.tui.app as app_module

    monkeypatch.setattr(app_module, "OUTSIDE_CHANGES_CHECK_S", 0.1)
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        await pilot.pause(0.3)
        starred_before = screen.source_tree.view_counts["starred"]
        unread_before = screen.source_tree.view_counts["unread"]
        item = screen.items.current
        assert item is not None and not item.read
        # As `reader mark ITEM --star --read` would, from another process's connection.
        with Library(library_path) as other:
            other.mark([item.id], starred=True, read=True)
        for _ in range(30):
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
            if screen.source_tree.view_counts["starred"] == starred_before + 1:
                break
        assert screen.source_tree.view_counts["starred"] == starred_before + 1
        assert screen.source_tree.view_counts["unread"] == unread_before - 1
        current = screen.items.current
        assert current is not None and current.id == item.id
        assert current.read and current.starred


@pytest.mark.parametrize("desktop", [False, True])
async def test_a_link_with_no_browser_to_open_it_is_copied_instead(
    library_path: Path,
    make_app: Callable[..., ReaderApp],
    monkeypatch: pytest.MonkeyPatch,
    desktop: bool,
) -> None:
    import sys

    opened: list[str] = []
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    if desktop:
        # A display, but no browser installed: webbrowser.open says it opened nothing.
        monkeypatch.setenv("DISPLAY", ":0")
        monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: False)
    else:
        # Over SSH: a text browser would take over the app's terminal, so none is run.
        monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        item = app.main_screen.items.current
        assert item is not None and item.url
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert opened == []
        assert app.clipboard == item.url
        why = "no browser could open it" if desktop else "no graphical browser here"
        assert any(why in notice and "Copied the link" in notice for notice in notices(app))


async def test_a_refresh_summary_leaves_the_status_line_but_broken_sources_stay(
    library_path: Path, make_app: Callable[..., ReaderApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.tui.widgets.status_line as status_module

    monkeypatch.setattr(status_module, "REFRESH_NOTE_S", 0.2)
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        status = app.main_screen.status
        right = status.query_one("#status-right", Static)
        status.show_idle(1, "3 refreshed, 12 new items")
        await pilot.pause()
        assert "3 refreshed, 12 new items" in str(right.render())
        await pilot.pause(0.5)
        shown = str(right.render())
        assert "refreshed" not in shown
        assert "1 broken source" in shown


async def test_the_tree_opens_and_closes_with_the_arrows_and_jumps_with_g(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.main_screen.source_tree
        tree.focus()
        (source,) = tree.source_nodes.values()
        tree.move_cursor(source)
        source.collapse()
        await pilot.pause()
        await pilot.press("right")
        assert source.is_expanded
        await pilot.press("right")
        assert tree.cursor_node is source.children[0]
        await pilot.press("left")
        assert tree.cursor_node is source
        await pilot.press("left")
        assert not source.is_expanded
        await pilot.press("g")
        assert tree.cursor_line == 0
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line


async def test_next_unread_wraps_around_a_list_longer_than_its_window(
    home: Path, make_app: Callable[..., ReaderApp]
) -> None:
    database = paths.database_path()
    build_big_library(database, issues=12, items_per_issue=100)
    app = make_app(database)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4", "g")
        items = app.main_screen.items
        first = items.current
        await pilot.press("G")
        await pilot.pause()
        assert items.total == 1200 and items.window_start > 0
        last = items.current
        assert first is not None and last is not None
        await pilot.press("n")
        await pilot.pause()
        assert items.current is not None and items.current.id == first.id
        assert "Wrapped to the first unread item" in notices(app)
        await pilot.press("p")
        await pilot.pause()
        assert items.current is not None and items.current.id == last.id
        # Read-and-next at the end of the list goes round as well.
        await pilot.press("G", "space")
        await pilot.pause()
        assert items.current is not None and items.current.id == first.id


async def test_outside_changes_update_sections_and_bring_new_issues_dated_or_not(
    library_path: Path, make_app: Callable[..., ReaderApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.tui.app as app_module

    monkeypatch.setattr(app_module, "OUTSIDE_CHANGES_CHECK_S", 0.1)
    app = make_app(library_path)

    async def settle(pilot: object, done: Callable[[], bool]) -> None:
        from textual.pilot import Pilot

        assert isinstance(pilot, Pilot)
        for _ in range(40):
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
            if done():
                return

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.main_screen.source_tree
        (source,) = tree.source_nodes.values()
        tree.focus()
        source.expand()
        await pilot.pause()
        issue_node = next(
            child for child in source.children if "Weekly Digest 41" in str(child.label)
        )
        issue_node.expand()
        await pilot.pause()
        tree.move_cursor(issue_node)
        await pilot.pause()
        section_node = issue_node.children[0]
        section_id = section_node.data.scope.section_id if section_node.data else None
        assert section_id is not None
        with Library(library_path) as other:
            ids = [
                item.id
                for section in other.issue(issue_node.data.scope.issue_id).sections  # type: ignore[union-attr]
                if section.id == section_id
                for item in section.items
            ]
            unread_before = other.count_items(section_id=section_id, view="unread")
            other.mark(ids[:1], read=True)
        await settle(pilot, lambda: str(unread_before - 1) in str(section_node.label))
        assert str(section_node.label).endswith(f" {unread_before - 1}")

        # An issue without a date arrives from another process (it sorts last) ...
        undated = ParsedIssue(
            "No date at all", None, None, (ParsedSection("", (ParsedItem("X", None, "x"),)),)
        )
        # ... and a newer dated one (it sorts first, moving every row down one line).
        newer = ParsedIssue(
            "Weekly Digest 43",
            datetime(2025, 3, 20),
            None,
            (ParsedSection("", (ParsedItem("Y", None, "y"),)),),
        )
        with Library(library_path) as other:
            other.store_parsed(other.imports_source_id(), undated)
            other.store_parsed(other.imports_source_id(), newer)
        await settle(pilot, lambda: len(source.children) == 5)
        labels = [str(child.label) for child in source.children]
        assert "Weekly Digest 43" in labels[0] and "No date at all" in labels[-1]
        # The cursor stayed on its issue, not on its old line.
        await pilot.pause()
        cursor = tree.cursor_node
        assert cursor is not None and "Weekly Digest 41" in str(cursor.label)


async def test_a_narrow_tree_cuts_issue_titles_not_their_unread_counts(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.main_screen.source_tree
        (source,) = tree.source_nodes.values()
        source.expand()
        await pilot.pause()
        lines = [tree.render_line(y).text.rstrip() for y in range(tree.size.height)]
        rows = [line for line in lines if re.search(r"▶ 2025-", line)]
        assert len(rows) == 3, lines
        for row in rows:
            # The title gives way (with an ellipsis) and the unread count ends the row.
            assert re.search(r"… \d+$", row), row
            assert cell_len(row) <= tree.scrollable_content_region.width


async def test_a_narrow_reader_header_keeps_one_line_per_detail(
    home: Path, make_app: Callable[..., ReaderApp]
) -> None:
    long_issue = "The Very Long Newsletter About Many Things, issue 1,234: spring edition"
    long_url = "https://example.com/" + "a-very-long-path-segment/" * 6
    item = ParsedItem("A short title", long_url, "Body text.")
    issue = ParsedIssue(
        long_issue,
        datetime(2025, 3, 1),
        None,
        (ParsedSection("A section with a long name as well", (item,)),),
    )
    app = make_app(library_of(issue))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        reader = app.main_screen.reader
        width = reader.query_one("ItemHeader").content_region.width
        lines = reader.header_content(width).plain.split("\n")
        assert lines[0] == "A short title"
        assert lines[1].endswith("…") and cell_len(lines[1]) <= width
        assert lines[-1].startswith("https://example.com/") and lines[-1].endswith("…")
        assert all(cell_len(line) <= width for line in lines[1:])
        # Without a width (a test, a wide pane) nothing is cut.
        assert long_issue in reader.header_content().plain


async def test_the_theme_picker_starts_on_the_current_theme(
    library_path: Path, make_app: Callable[..., ReaderApp]
) -> None:
    from textual.command import CommandList, CommandPalette

    app = make_app(library_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.theme = "reader-paper"
        await pilot.press("T")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        options = app.screen.query_one(CommandList)
        for _ in range(20):
            if options.option_count:
                break
            await pilot.pause(0.1)
        first = options.get_option_at_index(0)
        assert "reader-paper" in str(first.prompt)
        assert options.option_count == len(app.available_themes)


def test_tree_dates_leave_out_the_current_year() -> None:
    from reader.tui.text import short_date

    assert short_date(datetime(2026, 11, 4, 8), this_year=2026) == "11-04"
    assert short_date(datetime(2025, 11, 4, 8), this_year=2026) == "2025-11-04"
    assert short_date(datetime(2025, 11, 4, 8)) == "2025-11-04"
    assert short_date(None, this_year=2026) == ""


async def test_the_tree_shows_this_years_issues_without_the_year(
    home: Path, make_app: Callable[..., ReaderApp]
) -> None:
    this_year = datetime.now().year
    issue = ParsedIssue(
        "This year's issue",
        datetime(this_year, 1, 2, 12),
        None,
        (ParsedSection("", (ParsedItem("X", None, "x"),)),),
    )
    app = make_app(library_of(issue))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.main_screen.source_tree
        (source,) = tree.source_nodes.values()
        source.expand()
        await pilot.pause()
        (node,) = source.children
        assert str(node.label).startswith("01-02 This year")
