"""Refresh from the app against a loopback server that holds its answer until released.

Keys are handled while the refresh waits, and new items arrive without moving the cursor.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reader.config import Settings
from reader.core.library import Library
from reader.tui.app import ReaderApp
from reader.tui.scope import Scope

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Held Feed</title>
  <id>tag:held.example,2025:/</id>
  <updated>2025-03-10T00:00:00Z</updated>
  <entry>
    <title>Held issue</title>
    <id>tag:held.example,2025:/1</id>
    <link href="https://held.example/1"/>
    <updated>2025-03-10T00:00:00Z</updated>
    <content type="html">&lt;p&gt;Fresh news from the held feed.&lt;/p&gt;</content>
  </entry>
</feed>
"""


class HeldServer:
    """Serves FEED on 127.0.0.1 only after `release()`; `requested` is set on each request."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/broken":
                    self.send_error(500, "Internal Server Error")
                    return
                server.requested.set()
                server.released.wait(20)
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(FEED)))
                self.end_headers()
                self.wfile.write(FEED)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/feed.atom"

    @property
    def broken_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/broken"

    def close(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def held_server() -> Iterator[HeldServer]:
    server = HeldServer()
    yield server
    server.close()


@pytest.fixture
def feed_library(library_path: Path, held_server: HeldServer) -> Path:
    with Library(library_path) as library:
        if not hasattr(library, "refresh"):
            pytest.skip("this core has no refresh yet")
        library.store.ensure_source("feed", held_server.url, "Held Feed")
        library.store.ensure_source("feed", held_server.broken_url, "Broken Feed")
    return library_path


async def test_keys_work_while_a_refresh_waits(
    feed_library: Path, held_server: HeldServer, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(feed_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        unread_before = screen.source_tree.view_nodes["unread"].label.plain
        await pilot.press("j")
        kept = screen.items.current
        assert kept is not None
        await pilot.press("R")
        assert await asyncio.to_thread(held_server.requested.wait, 10)
        # The server holds its answer: the app must still move and redraw.
        await pilot.press("j")
        await pilot.pause()
        assert app._refresh_worker is not None and app._refresh_worker.is_running
        assert screen.items.absolute_index == 2
        assert screen.reader.item is not None and screen.reader.item == screen.items.current
        # The failing source is marked while the other still waits.
        for _ in range(50):
            if "1 failed" in str(screen.status.query_one("#status-right").render()):
                break
            await pilot.pause(0.1)
        assert "refreshing 1/2  1 failed" in str(screen.status.query_one("#status-right").render())
        broken = next(s for s in screen.source_tree.sources.values() if s.title == "Broken Feed")
        assert "⚠" in screen.source_tree.source_nodes[broken.id].label.plain
        await pilot.press("k")
        assert screen.items.current == kept
        held_server.released.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.status.query_one("#status-right").render())
        assert "1 new items, 1 failed" in status and "1 broken source" in status
        assert screen.source_tree.view_nodes["unread"].label.plain != unread_before
        titles = [source.title for source in screen.source_tree.sources.values()]
        assert "Held Feed" in titles
        # The new issue is the newest, yet the cursor stays on its item.
        assert screen.items.current is not None and screen.items.current.id == kept.id
        screen.show_scope(Scope("source", source_id=broken.id))
        await pilot.press("e")
        assert any("500" in n.message for n in app._notifications)


async def test_auto_refresh_starts_with_the_app(
    feed_library: Path, held_server: HeldServer, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(feed_library, Settings(auto_refresh_minutes=30))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert await asyncio.to_thread(held_server.requested.wait, 10)
        held_server.released.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        with Library(feed_library) as library:
            assert any(issue.title == "Held issue" for issue in library.issues())
