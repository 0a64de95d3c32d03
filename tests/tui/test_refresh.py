"""Refresh from the app against a loopback server that holds its answer until released.

The refresh runs in a child process: keys are handled while it waits, new items arrive
without moving the cursor, triage is stored meanwhile, quitting stops the child and its
parse workers, and a child that dies is reported.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reader.config import Settings
from reader.core.library import Library
from reader.tui.app import ReaderApp
from reader.tui.refresh_process import Finished, Progress, child_command, parse_line
from reader.tui.scope import Scope

# Entries of each quick feed; enough sources that the child parses in worker processes.
QUICK_ENTRIES = 12
QUICK_FEEDS = 7
WAIT_S = 20.0

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


def quick_feed(name: str, entries: int = QUICK_ENTRIES) -> bytes:
    """An Atom feed of its own entries for `/quick/NAME`."""
    items = "".join(
        f"""<entry><title>{name} story {number}</title><id>tag:quick.example,2025:/{name}/{number}</id>
        <link href="https://quick.example/{name}/{number}"/><updated>2025-03-10T00:00:00Z</updated>
        <content type="html">&lt;p&gt;Story {number} of {name}.&lt;/p&gt;</content></entry>"""
        for number in range(entries)
    )
    return (
        f"""<?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>Quick {name}</title>
        <id>tag:quick.example,2025:/{name}</id><updated>2025-03-10T00:00:00Z</updated>
        {items}</feed>"""
    ).encode()


class HeldServer:
    """Serves FEED on 127.0.0.1 only after `release()`; `requested` is set on each request.

    `/broken` fails at once and `/quick/NAME` answers at once with a feed of its own.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/broken":
                    self.send_error(500, "Internal Server Error")
                    return
                if self.path.startswith("/quick/"):
                    body = quick_feed(self.path.rsplit("/", 1)[-1])
                    self.send_response(200)
                    self.send_header("Content-Type", "application/atom+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
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

    def quick_url(self, name: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/quick/{name}"

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


@pytest.fixture
def many_feeds_library(library_path: Path, held_server: HeldServer) -> Path:
    """The library plus QUICK_FEEDS feeds that answer at once, one held and one broken."""
    with Library(library_path) as library:
        for number in range(QUICK_FEEDS):
            library.store.ensure_source("feed", held_server.quick_url(f"q{number}"), f"Q{number}")
        library.store.ensure_source("feed", held_server.url, "Held Feed")
        library.store.ensure_source("feed", held_server.broken_url, "Broken Feed")
    return library_path


def status_right(app: ReaderApp) -> str:
    return str(app.main_screen.status.query_one("#status-right").render())


def sources_done(app: ReaderApp) -> int:
    """How many sources the status line says are refreshed (0 when it says nothing)."""
    found = re.search(r"refreshing (\d+)/", status_right(app))
    return int(found.group(1)) if found else 0


async def wait_until(pilot: object, condition: Callable[[], bool]) -> None:
    """Let the app run until `condition` holds (or fail after WAIT_S)."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    for _ in range(int(WAIT_S / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there")


def process_group(pgid: int) -> set[int]:
    """The pids of the living processes in a process group (zombies left out)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp.
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.add(int(stat.parent.name))
    return members


def test_the_child_writes_one_line_per_source(
    many_feeds_library: Path, held_server: HeldServer
) -> None:
    held_server.released.set()
    command = child_command(many_feeds_library, force=True, concurrency=4)
    done = subprocess.run(command, input=b"", capture_output=True, timeout=120, check=False)
    # stdin at its end means the app is gone: a child given none stops at once.
    assert done.returncode != 0 and done.stdout == b""
    # With stdin open (as the app keeps it), it refreshes.
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        out = child.stdout.read()
        err = child.stderr.read()
        returncode = child.wait(timeout=WAIT_S)
    assert returncode == 0, err
    events = [parse_line(line) for line in out.splitlines()]
    progress = [event for event in events if isinstance(event, Progress)]
    total = QUICK_FEEDS + 2
    assert [event.done for event in progress] == list(range(total + 1))
    assert {event.total for event in progress} == {total}
    assert progress[-1].failed == 1
    broken = [event for event in progress if event.status == "error"]
    assert len(broken) == 1 and "500" in (broken[0].error or "")
    assert sum(event.new_items for event in progress) == QUICK_ENTRIES * QUICK_FEEDS + 1
    assert events[-1] == Finished(
        refreshed=total, new_items=QUICK_ENTRIES * QUICK_FEEDS + 1, failed=1
    )


async def test_progress_counts_and_new_items_in_the_list(
    many_feeds_library: Path,
    held_server: HeldServer,
    make_app: Callable[..., ReaderApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("reader.tui.screens.main.CATCH_UP_DELAY_S", 0.05)
    app = make_app(many_feeds_library, returning=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert screen.scope == Scope.of_view("unread")
        await pilot.press("j", "j")
        kept = screen.items.current
        assert kept is not None
        total_before = screen.items.total
        await pilot.press("R")
        total = QUICK_FEEDS + 2
        # Every quick feed and the broken one finish while the held one waits.
        await wait_until(pilot, lambda: f"refreshing {total - 1}/{total}" in status_right(app))
        assert "1 failed" in status_right(app)
        # Their items are in the list already, and the cursor has not moved.
        await wait_until(
            pilot, lambda: screen.items.total == total_before + QUICK_ENTRIES * QUICK_FEEDS
        )
        assert app.refresh_process is not None
        assert screen.items.current is not None and screen.items.current.id == kept.id
        quick = [s for s in screen.source_tree.sources.values() if s.title.startswith("Q")]
        assert len(quick) == QUICK_FEEDS
        for source in quick:
            assert f" {QUICK_ENTRIES}" in screen.source_tree.source_nodes[source.id].label.plain
        held_server.released.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = status_right(app)
        new_items = QUICK_ENTRIES * QUICK_FEEDS + 1
        assert f"{total} refreshed, {new_items} new items, 1 failed" in status
        assert screen.items.total == total_before + new_items
        assert screen.items.current is not None and screen.items.current.id == kept.id


async def test_triage_while_the_child_stores_is_kept(
    many_feeds_library: Path, held_server: HeldServer, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(many_feeds_library, returning=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        await pilot.press("R")
        # The child stores the quick feeds while the keys below write flags.
        await wait_until(pilot, lambda: sources_done(app) >= 1)
        first = screen.items.current
        await pilot.press("s", "l", "j")
        second = screen.items.current
        await pilot.press("m", "j")
        third = screen.items.current
        await pilot.press("A")
        await wait_until(pilot, lambda: sources_done(app) == QUICK_FEEDS + 1)
        await pilot.press("G")
        last = screen.items.current
        await pilot.press("s")
        assert first and second and third and last
        held_server.released.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
    with Library(many_feeds_library) as library:
        assert library.item(first.id).starred and library.item(first.id).later
        assert library.item(second.id).read
        assert library.count_items(issue_id=third.issue_id, view="unread") == 0
        assert library.item(last.id).starred
        stories = [issue for issue in library.issues(limit=1000) if " story " in issue.title]
        assert len(stories) == QUICK_FEEDS * QUICK_ENTRIES


async def test_quitting_mid_refresh_stops_the_child_and_its_workers(
    many_feeds_library: Path, held_server: HeldServer, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(many_feeds_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        assert await asyncio.to_thread(held_server.requested.wait, WAIT_S)
        process = app.refresh_process
        assert process is not None and process.pid is not None
        pgid = process.pid
        # The quick feeds are parsed by worker processes of the child by now.
        await wait_until(pilot, lambda: sources_done(app) >= QUICK_FEEDS)
        assert len(process_group(pgid)) >= 2
        await pilot.press("q")
    assert app.refresh_process is None
    for _ in range(int(WAIT_S / 0.05)):
        if not process_group(pgid):
            break
        await asyncio.sleep(0.05)
    assert not process_group(pgid)


async def test_a_child_that_dies_is_reported(
    feed_library: Path, held_server: HeldServer, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(feed_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        assert await asyncio.to_thread(held_server.requested.wait, WAIT_S)
        process = app.refresh_process
        assert process is not None and process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "refresh failed" in status_right(app)
        assert any("stopped by SIGKILL" in n.message for n in app._notifications)
        # Another refresh can start, and finishes.
        held_server.released.set()
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "2 refreshed, 1 new items, 1 failed" in status_right(app)


async def test_a_second_refresh_waits_for_the_first(
    feed_library: Path, held_server: HeldServer, make_app: Callable[..., ReaderApp]
) -> None:
    app = make_app(feed_library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        assert await asyncio.to_thread(held_server.requested.wait, WAIT_S)
        first = app.refresh_process
        await pilot.press("R")
        await pilot.pause()
        assert any("already running" in n.message for n in app._notifications)
        assert app.refresh_process is first
        held_server.released.set()
        await app.workers.wait_for_complete()
