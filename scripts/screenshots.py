"""Regenerate `screenshots/*.svg`: the main views of the app on the bundled demo library.

Run `python scripts/screenshots.py` from the repository; it builds the demo in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from reader import paths
from reader.config import Settings
from reader.core.library import Library
from reader.tui.app import ReaderApp
from reader.tui.scope import Scope
from reader.tui.screens import main as main_screen

REPOSITORY = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
NARROW_SIZE = (80, 24)
# A demo source shown as broken, so the screenshot of a failed refresh has one.
BROKEN_ERROR = "HTTP 503 Service Unavailable after 3 tries (Retry-After: 600 s)"


class Shot:
    """Saves the screenshot of one view once: at the end, or when a step says so."""

    def __init__(self, app: ReaderApp, path: Path) -> None:
        self.app = app
        self.path = path
        self.saved = False

    def save(self) -> None:
        if not self.saved:
            self.app.save_screenshot(self.path.name, str(self.path.parent))
            self.saved = True


Steps = Callable[[Pilot, Shot], Awaitable[None]]


def app_of(pilot: Pilot) -> ReaderApp:
    app = pilot.app
    assert isinstance(app, ReaderApp)
    return app


async def open_issue(
    pilot: Pilot, title_start: str, *, item: int = 0, item_title: str | None = None
) -> None:
    """Show the newest issue whose title starts with `title_start`, at its `item`
    (or at the item whose title starts with `item_title`)."""
    app = app_of(pilot)
    with Library(app.database) as library:
        issue = next(i for i in library.issues(limit=1000) if i.title.startswith(title_start))
    screen = app.main_screen
    screen.show_scope(Scope("issue", source_id=issue.source_id, issue_id=issue.id), reveal=True)
    if item_title is not None:
        titles = [row.title for row in screen.items.rows]
        item = next(i for i, title in enumerate(titles) if title.startswith(item_title))
    screen.items.go_to(item)
    await pilot.pause()


async def issue_list(pilot: Pilot, shot: Shot) -> None:
    await open_issue(pilot, "Terminal Weekly", item=2)


async def reading(pilot: Pilot, shot: Shot) -> None:
    await open_issue(pilot, "The Margin", item=1)
    await pilot.press("enter", "s")
    app_of(pilot).clear_notifications()


async def search(pilot: Pilot, shot: Shot) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one(Input).cursor_blink = False
    await pilot.press(*"terminal")
    await pilot.pause(0.4)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def broken_source(pilot: Pilot, shot: Shot) -> None:
    screen = app_of(pilot).main_screen
    broken = next((s for s in screen.source_tree.sources.values() if s.status == "error"), None)
    if broken is not None:
        screen.show_scope(Scope("source", source_id=broken.id), reveal=True)
        await pilot.pause()
    await pilot.press("e")
    await pilot.pause(0.3)


class LoopbackFeeds:
    """Feeds on 127.0.0.1: `/held` answers only when released, `/broken` fails at once."""

    FEED = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>Night Shift</title><id>tag:night</id><updated>2026-11-05T00:00:00Z</updated>"
        b"<entry><title>Night Shift 7</title><id>tag:night:7</id>"
        b'<link href="https://night.example/7"/><updated>2026-11-05T00:00:00Z</updated>'
        b"<content type='html'>&lt;p&gt;News.&lt;/p&gt;</content></entry></feed>"
    )

    def __init__(self) -> None:
        self.release = threading.Event()
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/broken":
                    self.send_error(500, "Internal Server Error")
                    return
                feeds.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.end_headers()
                self.wfile.write(feeds.FEED)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


async def refreshing(pilot: Pilot, shot: Shot) -> None:
    """A refresh in progress: one feed held by its server, one failing."""
    app = app_of(pilot)
    feeds = LoopbackFeeds()
    try:
        with Library(app.database) as library:
            library.store.ensure_source("feed", feeds.url("/held"), "Night Shift")
            library.store.ensure_source("feed", feeds.url("/broken"), "Harbour Notes")
        app.main_screen.source_tree.refresh_sources()
        await pilot.press("R")
        for _ in range(100):
            await pilot.pause(0.1)
            if "failed" in str(app.main_screen.status.query_one("#status-right").render()):
                break
        await pilot.pause(0.2)
        shot.save()
    finally:
        feeds.close()
        await app.workers.wait_for_complete()


async def chinese(pilot: Pilot, shot: Shot) -> None:
    await open_issue(pilot, "城市与代码", item=3)


async def light(pilot: Pilot, shot: Shot) -> None:
    pilot.app.theme = "reader-paper"
    await open_issue(pilot, "Slow Signals", item=1)


async def dark(pilot: Pilot, shot: Shot) -> None:
    pilot.app.theme = "reader-night"
    await open_issue(pilot, "Terminal Weekly", item=4)


async def saved_article(pilot: Pilot, shot: Shot) -> None:
    """An item's saved article in the reader pane, switched to with `f`: the demo
    library ships with it, so it shows offline."""
    await open_issue(pilot, "Slow Signals #17", item_title="A city that listens")
    await pilot.press("f")
    await pilot.pause()


async def same_story(pilot: Pilot, shot: Shot) -> None:
    """An item whose story another issue tells too: the header says where (`i` goes)."""
    await open_issue(pilot, "Terminal Weekly #43", item_title="What the drains")


async def help_screen(pilot: Pilot, shot: Shot) -> None:
    await pilot.press("question_mark")


async def narrow(pilot: Pilot, shot: Shot) -> None:
    await pilot.press("4", "j", "j")


VIEWS: list[tuple[str, Steps, tuple[int, int]]] = [
    ("issue-list", issue_list, SIZE),
    ("reading", reading, SIZE),
    ("search", search, SIZE),
    ("broken-source", broken_source, SIZE),
    ("refreshing", refreshing, SIZE),
    ("chinese-issue", chinese, SIZE),
    ("saved-article", saved_article, SIZE),
    ("same-story", same_story, SIZE),
    ("theme-light", light, SIZE),
    ("theme-dark", dark, SIZE),
    ("help", help_screen, SIZE),
    ("narrow-80x24", narrow, NARROW_SIZE),
]


def build_demo(home: Path) -> Path:
    """A fresh demo library in `home` with one source marked broken; returns its database."""
    from reader.demo import build_demo_library

    build_demo_library(home)
    database = home / "library.sqlite3"
    with Library(database) as library:
        feeds = [source for source in library.sources() if source.kind != "imports"]
        if feeds:
            library.store.update_source(feeds[-1].id, status="error", error=BROKEN_ERROR)
    return database


async def take(name: str, steps: Steps, size: tuple[int, int], database: Path, out: Path) -> Path:
    state = database.parent / "tui-state.json"
    app = ReaderApp(database, settings=Settings(), state_file=state)
    shot = Shot(app, out / f"{name}.svg")
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        await steps(pilot, shot)
        await pilot.pause()
        await pilot.wait_for_animation()
        shot.save()
    return shot.path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPOSITORY / "screenshots")
    parser.add_argument("names", nargs="*", help="only these views")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        paths.set_home(home)
        # Dates show in local time; UTC keeps the screenshots the same everywhere.
        os.environ["TZ"] = "UTC"
        if hasattr(time, "tzset"):
            time.tzset()
        # The reader pane draws an item's body a moment after its header, so that held
        # keys move fast; a screenshot taken in that moment shows the previous body.
        main_screen.READER_DELAY_S = 0
        build_demo(home)
        for name, steps, size in VIEWS:
            if args.names and name not in args.names:
                continue
            # Each view starts from the same demo: triage in one must not show in the next.
            view_home = Path(folder) / name
            shutil.copytree(home, view_home)
            paths.set_home(view_home)
            database = view_home / "library.sqlite3"
            path = asyncio.run(take(name, steps, size, database, args.out))
            print(path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
