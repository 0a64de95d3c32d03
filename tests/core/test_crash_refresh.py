"""kill -9 in the middle of `reader refresh`: the library opens and keeps every issue it had.

A real `reader` process refreshes feeds from a 127.0.0.1 server on which some feeds
hang; it is killed once the database shows new issues, while others are in flight.
"""

from __future__ import annotations

import contextlib
import html
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reader import paths
from reader.core.library import Library

FEEDS = 24
# Every SLOW_EVERY-th feed answers only when the test lets it, so the refresh is
# still running (and has more to store) when it is killed.
SLOW_EVERY = 4
POLL_INTERVAL_S = 0.02
POLL_LIMIT = 1500  # 30 s at most, only if something is badly wrong

RunCli = Callable[..., tuple[int, str, str]]


def digest(feed: int, number: int) -> str:
    items = "".join(
        f"<h4>Story {feed}.{number}.{index}</h4>"
        f"<p>{'A summary sentence of some length. ' * 20}"
        f'<a href="https://news.example.com/{feed}/{number}/{index}">Source {index}</a></p>'
        for index in range(8)
    )
    return f"<h2>Section</h2>{items}"


def feed_body(feed: int, entries: range) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>Feed {feed}</title><id>urn:feed:{feed}</id><updated>2025-03-07T00:00:00Z</updated>",
    ]
    for number in entries:
        parts.append(
            f"<entry><id>urn:feed:{feed}:{number}</id><title>Feed {feed} issue {number}</title>"
            f'<link href="https://news.example.com/{feed}/{number}"/>'
            f"<updated>2025-03-{1 + number % 28:02d}T00:00:00Z</updated>"
            f'<content type="html">{html.escape(digest(feed, number))}</content></entry>'
        )
    parts.append("</feed>")
    return "".join(parts).encode()


class FeedServer:
    """Serves /feed/N; in the second round feeds have new issues and some hang."""

    def __init__(self) -> None:
        self.second_round = False
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                number = int(self.path.rsplit("/", 1)[1])
                if outer.second_round:
                    if number % SLOW_EVERY == 0:
                        outer.release.wait(60)
                    body = feed_body(number, range(12))
                else:
                    body = feed_body(number, range(3))
                with contextlib.suppress(OSError):  # the client was killed
                    self.send_response(200)
                    self.send_header("Content-Type", "application/atom+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/feed/{number}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    serving = FeedServer()
    try:
        yield serving
    finally:
        serving.close()


def issue_count(database: Path) -> int:
    """Issues in the library, read without writing or locking it."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)
        ) as connection:
            return int(connection.execute("SELECT count(*) FROM issues").fetchone()[0])
    except sqlite3.OperationalError:
        return -1  # busy for a moment; ask again


def snapshot(library: Library) -> dict[str, tuple[str, list[tuple[str, bool, bool, bool]]]]:
    """Every issue with the flags of its items."""
    issues = library.issues(limit=100_000)
    return {
        issue.id: (
            issue.title,
            [
                (item.id, item.read, item.starred, item.later)
                for section in library.issue(issue.id).sections
                for item in section.items
            ],
        )
        for issue in issues
    }


def live_members(group: int) -> list[int]:
    """Processes of a process group that still run (zombies waiting to be reaped do not)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it ended while we looked
        state, group_id = fields[0], int(fields[2])
        if group_id == group and state not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def test_kill_9_during_refresh_leaves_a_library_with_every_issue(
    server: FeedServer, home: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    database = paths.database_path()
    subscriptions = tmp_path / "feeds.opml"
    subscriptions.write_text(
        "<opml><body>"
        + "".join(f'<outline xmlUrl="{server.url(number)}"/>' for number in range(FEEDS))
        + "</body></opml>"
    )
    with Library(database) as library:
        library.import_paths([subscriptions])
        outcomes = library.refresh()
        assert [outcome.new_issues for outcome in outcomes] == [3] * FEEDS
        for position, issue in enumerate(library.issues(limit=1000)):
            items = [item.id for s in library.issue(issue.id).sections for item in s.items]
            library.mark(items[:2], read=True)
            if position % 3 == 0:
                library.mark(items[2:3], starred=True)
            if position % 5 == 0:
                library.mark(items[3:4], later=True)
        before = snapshot(library)
    assert len(before) == 3 * FEEDS

    server.second_round = True
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "refresh", "--force"],
        env={**os.environ, "READER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # Its own process group, so that its parser processes can be found afterwards.
        start_new_session=True,
    )
    try:
        for _ in range(POLL_LIMIT):
            if issue_count(database) > len(before) or process.poll() is not None:
                break
            time.sleep(POLL_INTERVAL_S)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        stored_when_killed = issue_count(database)
        assert stored_when_killed > len(before)
        assert stored_when_killed < 12 * FEEDS  # the hanging feeds were not stored
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        server.release.set()
        # Parser processes of the killed refresh do not outlive it for long.
        if Path("/proc/self/stat").exists():
            for _ in range(POLL_LIMIT):
                if not live_members(process.pid):
                    break
                time.sleep(POLL_INTERVAL_S)
            assert live_members(process.pid) == [], "parser processes outlived the refresh"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()

    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Library(database) as library:
        after = snapshot(library)
        assert {issue: after[issue] for issue in before} == before
        assert len(after) >= stored_when_killed
    code, out, err = run_cli("issues", "--limit", "1000")
    assert code == 0, err
    assert len(out.splitlines()) == len(after)
    code, out, err = run_cli("search", "Story")
    assert code == 0 and out, err

    # The next refresh finishes the job and still keeps every flag.
    code, out, err = run_cli("refresh", "--force")
    assert code == 0, err
    with Library(database) as library:
        final = snapshot(library)
        assert len(final) == 12 * FEEDS
        assert {issue: final[issue] for issue in before} == before
