"""The app on a library filled by hostile feeds: nothing it shows runs, opens or copies.

The feed goes through the real fetch, parse and store path; then the app is driven
through Pilot over every item, its links, the source's error and a search.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader import paths
from reader.core.library import Library
from tests.hostile.helpers import (
    CLIPBOARD_SECRET,
    HostileServer,
    hostile,
    json_feed,
    opml,
    terminal_unsafe,
)

pytest.importorskip("reader.tui.app")


@pytest.fixture(autouse=True)
def immediate_reader_pane(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reader.tui.screens.main.READER_DELAY_S", 0)


@pytest.fixture
def hostile_library(home: Path, server: HostileServer, tmp_path: Path) -> Path:
    """Built before the test's event loop runs: subscribing runs a loop of its own."""
    body = (
        f"<h2>{hostile('Heading')}</h2><p>{hostile('Body')} tuineedle "
        '<a href="javascript:alert(1)">script</a> <a href="file:///etc/passwd">file</a> '
        '<a href="data:text/html,x">data</a> <a href="https://example.com/fine">fine</a></p>'
        f"<h4>{hostile('Second')}</h4><p>more tuineedle</p>"
    )
    feed = json_feed(
        hostile("Feed"),
        [
            {
                "id": "1",
                "title": hostile("Entry"),
                "url": "https://example.com/1",
                "content_html": body,
            },
            {
                "id": "2",
                "title": "[@click=app.quit]quit[/]",
                "url": "javascript:alert(2)",
                "content_text": "[@click=app.bell]x[/] \x1b]52;c;eA==\x07 tuineedle",
            },
        ],
    )
    url = server.static("/feed.json", feed, headers={"Content-Type": "application/feed+json"})
    broken = server.url("/missing\x1b]0;PWNED\x07\u202e")
    database = paths.database_path()
    with Library(database) as library:
        library.add_source(url)
        subscriptions = tmp_path / "broken.opml"
        subscriptions.write_text(opml([broken]))
        library.import_paths([subscriptions])
        library.refresh(force=True)
        errors = [source.error for source in library.sources() if source.error]
    assert errors and terminal_unsafe(errors[0]), "the broken source's error holds no escapes"
    return database


async def test_hostile_feed_text_never_drives_the_app(
    hostile_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.config import Settings
    from reader.tui.app import ReaderApp

    database = hostile_library
    opened: list[str] = []
    # A desktop with a browser, which opens every link it is given.
    monkeypatch.setenv("BROWSER", "firefox")
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url) or True)
    app = ReaderApp(database, settings=Settings())
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        rows = list(screen.items.rows)
        assert rows
        for index in range(len(rows)):
            screen.items.go_to(index)
            await pilot.pause()
            # Open the item's link and every other link it has.
            for key in ("o", "L", "o", "L", "o"):
                await pilot.press(key)
                await pilot.pause()
            assert app.is_running
        for key in ("e", "slash", *"tuineedle", "enter"):
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running, "text from a feed ran an action"
        # Nothing reached the clipboard: no OSC 52, no copy the user did not ask for.
        assert app.clipboard == ""
        assert app.title == "reader"
        screenshot = app.export_screenshot()
        assert not terminal_unsafe(screenshot), terminal_unsafe(screenshot)
        assert "[@click=app.quit]click[/]" in screenshot  # shown as the text it is
        assert CLIPBOARD_SECRET not in screenshot and "PWNED" not in screenshot.replace(
            "PWNED-TITLE", ""
        )
        for notification in app._notifications:
            assert not terminal_unsafe(notification.message), notification.message
        header = screen.reader.header_content().plain
        assert not terminal_unsafe(header)
    # Only web links ever reached the browser.
    assert opened and all(url.startswith(("https://", "http://", "mailto:")) for url in opened)
