"""Refreshing sources through Library and the CLI, against real HTTP servers on 127.0.0.1.

Conditional GET, one refresh with many kinds of broken sources, redirects, scheduling,
entry identity, the captured corpus as local feed files, and full-HTML blog feeds
split like the Markdown they were written in.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from reader import paths
from reader.core import refresh
from reader.core.errors import ReaderError
from reader.core.library import Library
from reader.core.limits import RETRY_AFTER_CAP_S
from reader.core.model import Issue, Item

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., Any]

# --- feeds and a site that serves them ------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One Atom entry: its id, title and HTML content."""

    id: str
    title: str
    html: str
    link: str | None = None
    updated: str = "2025-03-07T12:00:00Z"


def atom(title: str, entries: list[Entry], *, base: str = "https://news.example.com/") -> bytes:
    """An Atom 1.0 feed whose entries carry escaped HTML content."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}">',
        f"<title>{html.escape(title)}</title><id>urn:feed:{html.escape(title)}</id>",
        "<updated>2025-03-07T12:00:00Z</updated>",
    ]
    for entry in entries:
        link = entry.link or f"{base}posts/{entry.id}/"
        parts.append(
            f"<entry><id>urn:entry:{html.escape(entry.id)}</id>"
            f"<title>{html.escape(entry.title)}</title>"
            f'<link rel="alternate" href="{html.escape(link)}"/>'
            f"<updated>{entry.updated}</updated>"
            f'<content type="html">{html.escape(entry.html)}</content></entry>'
        )
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


def post(number: int, *, words: str = "A short post") -> Entry:
    """A plain blog post: one item whose url is the entry link."""
    return Entry(f"post-{number}", f"Post {number}", f"<p>{words} number {number}.</p>")


Handler = Callable[[Request], Response]


class Site:
    """Routes on a threaded 127.0.0.1 server, changeable mid-test, with a request log."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.routes: dict[str, Handler] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self._log_lock = threading.Lock()
        # Hanging handlers wait on this; the fixture sets it before the server stops.
        self.release = threading.Event()
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self._handle)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def _handle(self, request: Request) -> Response:
        with self._log_lock:
            self.log.append((request.path, dict(request.headers)))
        route = self.routes.get(request.path)
        if route is None:
            return Response("not here", status=404)
        return route(request)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self._log_lock:
            return [headers for logged, headers in self.log if logged == path]

    # what a route can do

    def feed(
        self,
        path: str,
        body: bytes,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/atom+xml; charset=utf-8",
    ) -> str:
        """Serve `body`, answering 304 when the request's validators match."""

        def respond(request: Request) -> Response:
            validators = {}
            if etag:
                validators["ETag"] = etag
            if last_modified:
                validators["Last-Modified"] = last_modified
            unchanged = (etag is None or request.headers.get("If-None-Match") == etag) and (
                last_modified is None or request.headers.get("If-Modified-Since") == last_modified
            )
            if validators and unchanged:
                return Response(status=304, headers=validators)
            return Response(
                body,
                status=200,
                headers={"Content-Type": content_type, **validators, **(headers or {})},
            )

        self.routes[path] = respond
        return self.url(path)

    def status(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = lambda request: Response("failed", status=status, headers=headers)

    def redirect(self, path: str, to: str, status: int) -> None:
        self.routes[path] = lambda request: Response(status=status, headers={"Location": to})

    def page(self, path: str, text: str) -> str:
        self.routes[path] = lambda request: Response(
            text, headers={"Content-Type": "text/html; charset=utf-8"}
        )
        return self.url(path)

    def hang(self, path: str) -> None:
        """Accept the request and never answer (until the test ends)."""

        def respond(request: Request) -> Response:
            self.release.wait(30)
            return Response("too late")

        self.routes[path] = respond


@pytest.fixture
def site() -> Iterator[Site]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    served = Site(server)
    try:
        yield served
    finally:
        served.release.set()
        server.clear()
        server.stop()


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    with Library(paths.database_path()) as opened:
        yield opened


def all_items(library: Library, issue_id: str) -> list[Item]:
    return [item for section in library.issue(issue_id).sections for item in section.items]


def issues_of(library: Library, source_id: int) -> list[Issue]:
    return library.issues(source_id, limit=10_000)


def shape(issue: Issue) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Sections and items as a reader sees them: titles and source links."""
    return [
        (section.title, [(item.title, item.url) for item in section.items])
        for section in issue.sections
    ]


def sources_json(run_json: RunJson) -> dict[str, dict[str, Any]]:
    return {source["url"]: source for source in run_json("sources")["sources"]}


# --- conditional GET --------------------------------------------------------------


def test_etag_and_last_modified_give_304_and_are_kept(
    site: Site, library: Library, run_cli: RunCli, run_json: RunJson
) -> None:
    etag = '"v1-abc"'
    last_modified = "Fri, 07 Mar 2025 12:00:00 GMT"
    url = site.feed(
        "/feed.xml", atom("Weekly", [post(1), post(2)]), etag=etag, last_modified=last_modified
    )
    added = library.add_source(url)
    assert added.created and added.new_issues == 2
    assert (added.source.etag, added.source.last_modified) == (etag, last_modified)

    code, out, err = run_cli("refresh", "--force")
    assert code == 0, err
    assert "not modified" in out

    first, second = site.requests_to("/feed.xml")
    assert "If-None-Match" not in first and "If-Modified-Since" not in first
    assert second["If-None-Match"] == etag
    assert second["If-Modified-Since"] == last_modified
    source = library.source(url)
    assert source.status == "not_modified"
    assert (source.etag, source.last_modified) == (etag, last_modified)
    assert sources_json(run_json)[url]["status"] == "not_modified"
    assert sources_json(run_json)[url]["issues"] == 2

    # The validators survived the 304: the next refresh sends them again.
    run_cli("refresh", "--force")
    third = site.requests_to("/feed.xml")[2]
    assert (third["If-None-Match"], third["If-Modified-Since"]) == (etag, last_modified)


def test_a_changed_feed_replaces_the_validators(site: Site, library: Library) -> None:
    url = site.feed("/feed.xml", atom("Weekly", [post(1)]), etag='"one"')
    library.add_source(url)
    site.feed("/feed.xml", atom("Weekly", [post(1), post(2)]), etag='"two"')
    [outcome] = library.refresh(force=True)
    assert (outcome.status, outcome.new_issues) == ("ok", 1)
    assert library.source(url).etag == '"two"'
    assert site.requests_to("/feed.xml")[-1]["If-None-Match"] == '"one"'


# --- one refresh, many kinds of failure ----------------------------------------------

# Long enough for a small feed from 127.0.0.1 on a busy machine, short for a hanging one.
TEST_DEADLINE_S = 1.5


def break_sources(site: Site) -> dict[str, str]:
    """Seven healthy feeds, five of which then break; returns url -> what broke."""
    kinds = ["server-error", "timeout", "invalid-xml", "html-page", "redirect-loop"]
    urls = {}
    for kind in [*kinds, "good-a", "good-b"]:
        urls[kind] = site.feed(f"/{kind}.xml", atom(kind, [post(1)]))
    return urls


def test_each_broken_source_shows_its_own_error_and_the_rest_import(
    site: Site,
    library: Library,
    run_cli: RunCli,
    run_json: RunJson,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = break_sources(site)
    for url in urls.values():
        library.add_source(url)
    site.status("/server-error.xml", 500)
    site.hang("/timeout.xml")
    site.feed(
        "/invalid-xml.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken &amp</title>',
        content_type="application/rss+xml",
    )
    site.page(
        "/html-page.xml",
        "<!doctype html><html><head><title>Moved</title></head><body><p>Moved.</p></body></html>",
    )
    site.redirect("/redirect-loop.xml", "/redirect-loop-2.xml", 302)
    site.redirect("/redirect-loop-2.xml", "/redirect-loop.xml", 302)
    for kind in ("good-a", "good-b"):
        site.feed(f"/{kind}.xml", atom(kind, [post(1), post(2), post(3)]))

    outcomes = library.refresh(force=True, deadline_s=TEST_DEADLINE_S)

    by_title = {outcome.title: outcome for outcome in outcomes}
    assert [by_title[kind].status for kind in ("good-a", "good-b")] == ["ok", "ok"]
    assert by_title["good-a"].new_issues == 2
    listed = sources_json(run_json)
    expected = {
        "server-error": "HTTP 500",
        "timeout": f"within {TEST_DEADLINE_S:g} s",
        "invalid-xml": "not a well-formed feed",
        "html-page": "web page",
        "redirect-loop": "redirect loop",
    }
    for kind, words in expected.items():
        shown = listed[urls[kind]]
        assert shown["status"] == "error", kind
        assert words in shown["error"], (kind, shown["error"])
        assert "Traceback" not in shown["error"]
        # A failed refresh keeps what the source gave before.
        assert shown["issues"] == 1
    for kind in ("good-a", "good-b"):
        assert (listed[urls[kind]]["status"], listed[urls[kind]]["issues"]) == ("ok", 3)
        assert listed[urls[kind]]["error"] is None

    # The CLI prints one line per source: its news or its error.
    monkeypatch.setattr("reader.core.limits.FEED_DEADLINE_S", TEST_DEADLINE_S)
    code, out, err = run_cli("refresh", "--force")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 7
    for kind, words in expected.items():
        [line] = [line for line in lines if line.startswith(kind + " ")]
        assert "error: " in line and words in line
    for kind in ("good-a", "good-b"):
        [line] = [line for line in lines if line.startswith(kind + " ")]
        assert "0 new issues, 0 new items" in line


def test_a_source_that_recovers_clears_its_error(site: Site, library: Library) -> None:
    url = site.feed("/feed.xml", atom("Flaky", [post(1)]))
    library.add_source(url)
    site.status("/feed.xml", 503, {"Retry-After": "120"})
    [failed] = library.refresh([url])
    assert failed.status == "error" and "503" in (failed.error or "")
    site.feed("/feed.xml", atom("Flaky", [post(1), post(2)]))
    [recovered] = library.refresh([url])
    assert (recovered.status, recovered.new_issues) == ("ok", 1)
    assert (library.source(url).status, library.source(url).error) == ("ok", None)


PARSE_FEED_BYTES = refresh.parse_feed_bytes


class FakePanic(BaseException):
    """What a Rust panic in a native parser looks like from Python."""


def parser_with_bugs(
    data: bytes, url: str, content_type: str | None, charset: str | None
) -> refresh.ParsedSource:
    """The real parser, except that it dies on /crash, raises on /bug and panics on /panic.

    No input is known to crash the native parsers, so the crash is simulated; the
    worker processes are forked after the test patches this in.
    """
    if "/crash" in url:
        os._exit(70)
    if "/bug" in url:
        raise RuntimeError("parser bug\non two lines")
    if "/panic" in url:
        raise FakePanic("index out of bounds")
    return PARSE_FEED_BYTES(data, url, content_type, charset)


def test_a_parser_that_crashes_or_fails_on_one_feed_spoils_only_that_feed(
    site: Site, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["crash", "bug", "panic", *(f"good-{number}" for number in range(6))]
    for name in names:
        library.add_source(site.feed(f"/{name}.xml", atom(name, [post(1)])))
        site.feed(f"/{name}.xml", atom(name, [post(1), post(2)]))
    monkeypatch.setattr(refresh, "parse_feed_bytes", parser_with_bugs)
    assert len(names) >= refresh.PROCESS_POOL_MIN_SOURCES

    outcomes = {outcome.title: outcome for outcome in library.refresh(force=True)}

    assert outcomes["crash"].status == "error"
    assert outcomes["crash"].error == "the feed parser crashed on this feed"
    assert outcomes["bug"].status == "error"
    assert "RuntimeError: parser bug on two lines" in (outcomes["bug"].error or "")
    assert "FakePanic: index out of bounds" in (outcomes["panic"].error or "")
    for name in names[3:]:
        assert (outcomes[name].status, outcomes[name].new_issues) == ("ok", 1), name
    # Without worker processes (few sources) a parser bug is contained the same way.
    [bug, panic, good] = library.refresh(["bug", "panic", "good-0"])
    assert bug.status == "error" and "RuntimeError" in (bug.error or "")
    assert panic.status == "error" and "FakePanic" in (panic.error or "")
    assert good.status == "ok"


def test_a_bug_outside_the_parser_spoils_only_its_source(
    site: Site, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    library.add_source(str(folder))
    url = site.feed("/feed.xml", atom("Steady", [post(1)]))
    library.add_source(url)
    site.feed("/feed.xml", atom("Steady", [post(1), post(2)]))

    def broken_scan(folder: Path, known: dict[str, float]) -> refresh.Fetched:
        raise RuntimeError("scanner bug")

    monkeypatch.setattr(refresh, "scan_folder", broken_scan)
    folder_outcome, feed_outcome = library.refresh(force=True)
    assert folder_outcome.status == "error"
    assert "RuntimeError: scanner bug" in (folder_outcome.error or "")
    assert (feed_outcome.status, feed_outcome.new_issues) == ("ok", 1)


# --- redirects -------------------------------------------------------------------


def test_a_permanent_redirect_moves_the_source_and_a_temporary_one_does_not(
    site: Site, library: Library, run_json: RunJson
) -> None:
    old = site.feed("/old.xml", atom("Moving", [post(1)]))
    stays = site.feed("/stays.xml", atom("Staying", [post(1)]))
    library.add_source(old)
    library.add_source(stays)
    new = site.feed("/new.xml", atom("Moving", [post(1), post(2)]))
    site.redirect("/old.xml", new, 301)
    site.feed("/elsewhere.xml", atom("Staying", [post(1), post(2)]))
    site.redirect("/stays.xml", site.url("/elsewhere.xml"), 302)

    outcomes = library.refresh(force=True)

    assert [(o.status, o.new_issues) for o in outcomes] == [("ok", 1), ("ok", 1)]
    urls = [source["url"] for source in run_json("sources")["sources"]]
    assert new in urls and old not in urls
    assert stays in urls and site.url("/elsewhere.xml") not in urls
    # The next refresh asks the new address directly and the old one no more.
    before = len(site.requests_to("/old.xml"))
    library.refresh(force=True)
    assert len(site.requests_to("/old.xml")) == before
    assert len(site.requests_to("/stays.xml")) == 3


def test_a_redirect_at_subscription_keeps_or_moves_the_address(
    site: Site, library: Library
) -> None:
    final = site.feed("/final.xml", atom("Final", [post(1)]))
    site.redirect("/permanent.xml", final, 308)
    site.redirect("/temporary.xml", final, 307)
    assert library.add_source(site.url("/permanent.xml")).source.url == final
    library.remove_source(final)
    assert library.add_source(site.url("/temporary.xml")).source.url == site.url("/temporary.xml")


# --- scheduling ------------------------------------------------------------------


def test_retry_after_and_max_age_postpone_the_next_refresh_within_caps(
    site: Site, library: Library
) -> None:
    busy = site.feed("/busy.xml", atom("Busy", [post(1)]))
    fresh = site.feed("/fresh.xml", atom("Fresh", [post(1)]))
    library.add_source(busy)
    library.add_source(fresh)
    for url in (busy, fresh):
        library.configure_source(url, interval_s=600)
    site.status("/busy.xml", 429, {"Retry-After": str(10 * RETRY_AFTER_CAP_S)})
    site.feed("/fresh.xml", atom("Fresh", [post(1)]), headers={"Cache-Control": "max-age=7200"})
    start = datetime.now(UTC)
    library.refresh(force=True)

    def due_in(url: str) -> float:
        next_due = library.source(url).next_due
        assert next_due is not None
        return (next_due.replace(tzinfo=next_due.tzinfo or UTC) - start).total_seconds()

    assert RETRY_AFTER_CAP_S - 5 <= due_in(busy) <= RETRY_AFTER_CAP_S + 5
    assert 7200 - 5 <= due_in(fresh) <= 7200 + 5
    # Neither is due now, so a plain refresh leaves both alone.
    assert library.refresh() == []


# --- identity ----------------------------------------------------------------------

DIGEST = """<h2>News</h2>
<h4>Alpha</h4><p>Alpha summary, first version. <a href="https://a.example/alpha">Alpha source</a></p>
<h4>Beta</h4><p>Beta summary, first version. <a href="https://b.example/beta">Beta source</a></p>
<h4>Gamma</h4><p>Gamma summary. <a href="https://c.example/gamma">Gamma source</a></p>"""


def test_an_entry_seen_again_with_new_content_keeps_its_flags(site: Site, library: Library) -> None:
    url = site.feed("/feed.xml", atom("Digest", [Entry("d1", "Digest 1", DIGEST)]))
    library.add_source(url)
    [issue] = issues_of(library, library.source(url).id)
    alpha, beta, gamma = all_items(library, issue.id)
    assert [alpha.title, beta.title, gamma.title] == ["Alpha", "Beta", "Gamma"]
    library.mark([alpha.id], read=True)
    library.mark([beta.id], starred=True)
    library.mark([gamma.id], later=True)

    edited = DIGEST.replace("first version", "second version, corrected")
    site.feed("/feed.xml", atom("Digest", [Entry("d1", "Digest 1 (corrected)", edited)]))
    [outcome] = library.refresh(force=True)

    assert (outcome.new_issues, outcome.new_items, outcome.updated_issues) == (0, 0, 1)
    [again] = issues_of(library, library.source(url).id)
    assert again.id == issue.id and again.title == "Digest 1 (corrected)"
    items = all_items(library, issue.id)
    assert [item.id for item in items] == [alpha.id, beta.id, gamma.id]
    assert "second version, corrected" in items[0].body
    assert [(item.read, item.starred, item.later) for item in items] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]


def test_two_entries_with_one_id_keep_the_first(site: Site, library: Library) -> None:
    entries = [
        Entry("same", "The first one", "<p>First text.</p>"),
        post(2),
        Entry("same", "The second one", "<p>Second text.</p>"),
    ]
    url = site.feed("/feed.xml", atom("Twice", entries))
    assert library.add_source(url).new_issues == 2
    library.refresh(force=True)
    titles = sorted(issue.title for issue in issues_of(library, library.source(url).id))
    assert titles == ["Post 2", "The first one"]


def test_an_entry_that_leaves_the_feed_stays_in_the_library(site: Site, library: Library) -> None:
    url = site.feed("/feed.xml", atom("Rolling", [post(3), post(2), post(1)]))
    library.add_source(url)
    site.feed("/feed.xml", atom("Rolling", [post(5), post(4), post(3)]))
    [outcome] = library.refresh(force=True)
    assert outcome.new_issues == 2
    titles = {issue.title for issue in issues_of(library, library.source(url).id)}
    assert titles == {f"Post {number}" for number in range(1, 6)}


def test_refreshing_twice_adds_nothing_and_changes_no_read_state(
    site: Site, library: Library, run_json: RunJson
) -> None:
    # No validators: the second refresh downloads and stores the whole feed again.
    url = site.feed("/feed.xml", atom("Digest", [Entry("d1", "Digest 1", DIGEST), post(1)]))
    library.add_source(url)
    source_id = library.source(url).id
    [digest] = [issue for issue in issues_of(library, source_id) if issue.title == "Digest 1"]
    first = all_items(library, digest.id)[0]
    library.mark([first.id], read=True)
    library.mark([all_items(library, digest.id)[1].id], later=True)
    before = run_json("issues")["issues"]
    flags = [(i.id, i.read, i.starred, i.later, i.body) for i in all_items(library, digest.id)]

    for _ in range(2):
        [outcome] = library.refresh(force=True)
        assert (outcome.status, outcome.new_issues, outcome.new_items) == ("ok", 0, 0)
        assert outcome.updated_issues == 0

    assert run_json("issues")["issues"] == before
    assert [
        (i.id, i.read, i.starred, i.later, i.body) for i in all_items(library, digest.id)
    ] == flags


# --- the captured corpus as local feed files ---------------------------------------

CORPUS_FEEDS = "corpus/feeds"
WELLFORMED = "corpus/feedparser-tests/wellformed"
# Files that are no feed at all; adding them must fail with a message, never a crash.
NOT_FEEDS = {
    "newsboat__newsboat/test/data/empty.xml": "empty",
    "Ranchero-Software__RSParser/Tests/RSParserTests/Resources/allthis-partial.json": "cut short",
    "rbren__rss-parser/test/input/unrecognized.rss": "web page",
    "miniflux__v2/internal/reader/encoding/testdata/utf8.html": "web page",
    "miniflux__v2/internal/reader/encoding/testdata/iso-8859-1.html": "web page",
    "miniflux__v2/internal/reader/encoding/testdata/utf8-meta-after-1024.html": "web page",
    "miniflux__v2/internal/reader/encoding/testdata/iso-8859-1-meta-after-1024.html": "web page",
}
RSPARSER = "Ranchero-Software__RSParser/Tests/RSParserTests/Resources"
MINIFLUX = "miniflux__v2/internal/reader/parser/testdata"
# Entry counts the corpus README states.
CORPUS_COUNTS = {
    f"{RSPARSER}/DaringFireball.rss": 47,
    f"{RSPARSER}/allthis.atom": 12,
    f"{MINIFLUX}/encoding_WINDOWS-1251.xml": 50,
    f"{MINIFLUX}/no_encoding_ISO-8859-1.xml": 10,
    "rbren__rss-parser/test/input/encoding.rss": 40,
    # 131 entries, two of which share a guid: the first is kept.
    "rbren__rss-parser/test/input/itunes-missing-image.rss": 130,
    "feedbin__feedbin/test/support/www/feed.json": 11,
}


def feed_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not path.name.startswith("LICENSE") and path.name != "README.md"
    )


def add_and_refresh_all(library: Library, files: list[Path], root: Path) -> dict[str, str]:
    """Add every file as a local feed, then refresh them all in one call; returns failures."""
    failures = {}
    for path in files:
        try:
            library.add_source(str(path))
        except ReaderError as error:
            failures[str(path.relative_to(root))] = str(error)
    added = len(files) - len(failures)
    assert len(library.sources()) == added
    outcomes = library.refresh(force=True)
    assert len(outcomes) == added
    broken = [(outcome.title, outcome.error) for outcome in outcomes if outcome.status == "error"]
    assert broken == []
    # Nothing changed on disk, so nothing is new the second time.
    assert sum(outcome.new_issues + outcome.new_items for outcome in outcomes) == 0
    return failures


# Two halves of about the same size, so that parallel test runs share the work.
CORPUS_HALVES = {
    "rsparser": ["Ranchero-Software__RSParser"],
    "others": [
        *("rbren__rss-parser", "miniflux__v2", "lemon24__reader"),
        *("feedbin__feedbin", "newsboat__newsboat"),
    ],
}


@pytest.mark.parametrize("half", sorted(CORPUS_HALVES))
def test_captured_feeds_as_local_files_never_crash(
    half: str, library: Library, shared: Path
) -> None:
    root = shared / CORPUS_FEEDS
    files = [file for folder in CORPUS_HALVES[half] for file in feed_files(root / folder)]
    assert len(files) >= 35
    failures = add_and_refresh_all(library, files, root)

    def in_half(name: str) -> bool:
        return name.split("/", 1)[0] in CORPUS_HALVES[half]

    not_feeds = {name: words for name, words in NOT_FEEDS.items() if in_half(name)}
    assert set(failures) == set(not_feeds)
    for name, words in not_feeds.items():
        assert words in failures[name], (name, failures[name])
    for name, count in CORPUS_COUNTS.items():
        if in_half(name):
            assert library.source(str(root / name)).issues == count, name
    if half == "others":
        cyrillic = library.source(str(root / MINIFLUX / "encoding_WINDOWS-1251.xml"))
        titles = [issue.title for issue in issues_of(library, cyrillic.id)]
        assert titles[0] == "Цитата #17703"
        portuguese = library.source(str(root / "rbren__rss-parser/test/input/encoding.rss"))
        assert not any("\ufffd" in issue.title for issue in issues_of(library, portuguese.id))


def test_the_corpus_halves_cover_every_captured_feed(shared: Path) -> None:
    folders = {path.name for path in (shared / CORPUS_FEEDS).iterdir() if path.is_dir()}
    assert folders == {folder for half in CORPUS_HALVES.values() for folder in half}


def test_feedparser_wellformed_cases_as_local_files_never_crash(
    library: Library, shared: Path
) -> None:
    root = shared / WELLFORMED
    files = feed_files(root)
    assert len(files) == 300
    assert add_and_refresh_all(library, files, root) == {}


def test_adding_a_degenerate_file_says_why_without_a_traceback(
    run_cli: RunCli, shared: Path
) -> None:
    root = shared / CORPUS_FEEDS
    for name, words in NOT_FEEDS.items():
        code, out, err = run_cli("add", root / name)
        assert code == 1 and out == ""
        assert err.startswith("error: ") and words in err and "Traceback" not in err
    code, out, err = run_cli("add", root / RSPARSER / "DaringFireball.rss")
    assert code == 0, err
    assert "47 issues" in out


# --- full-HTML issues in a blog's feed split like their Markdown ------------------------

ISSUE_MARKDOWN = """---
title: "Terminal Weekly 44"
date: 2025-03-07
---
![Terminal Weekly 44](https://blog.example.com/img/cover-44.png)

This week: a faster grep, a calmer shell and a long read about terminals.

## Tools

#### ripgrep 15 searches archives

ripgrep can now look inside compressed archives without unpacking them first,
and its glob handling is twice as fast on large trees.

```sh
rg -z 'TODO' logs.tar.gz
```

[ripgrep 15 release notes](https://github.com/BurntSushi/ripgrep/releases/tag/15.0.0)

---

#### A shell that stays quiet

![A quiet prompt](https://blog.example.com/img/prompt.png)

A walk through a minimal prompt that only shows what changed since the last command.

[Quiet prompts](https://example.org/quiet-prompts)

---

#### Fuzzy finding everywhere

fzf's new preview window follows the cursor and understands `git diff` output.
[fzf 0.60](https://github.com/junegunn/fzf/releases/tag/v0.60.0)

## Reading

#### Why terminals still matter

An essay on the staying power of text interfaces, with a history of the VT100.
[The terminal is not dead](https://example.net/terminals)

---

#### Colour in the terminal, explained

How 16, 256 and 24-bit colour work, and why your theme looks different over SSH.
[Terminal colours](https://example.net/colours)
"""


def heading(level: int, anchor: str, title: str, engine: str) -> str:
    """A heading as each engine (or theme) writes it, with its link to itself."""
    tag = f"h{level}"
    if engine == "hugo":
        return f'<{tag} id="{anchor}"><a class="anchor" href="#{anchor}">#</a>{title}</{tag}>'
    if engine == "hugo-anchor-after":
        return (
            f'<{tag} id="{anchor}">{title} <a class="anchor" href="#{anchor}"'
            f' aria-label="Anchor">#</a></{tag}>'
        )
    if engine == "just-the-docs":
        return (
            f'<{tag} id="{anchor}"><a href="#{anchor}" class="anchor-heading"'
            f' aria-labelledby="{anchor}"><svg viewBox="0 0 16 16" aria-hidden="true">'
            f'<use xlink:href="#svg-link"></use></svg></a> {title}</{tag}>'
        )
    if engine == "pelican":
        return (
            f'<{tag} id="{anchor}">{title}<a class="headerlink" href="#{anchor}"'
            f' title="Permanent link">¶</a></{tag}>'
        )
    return f'<{tag} id="{anchor}">{title}</{tag}>'  # jekyll (kramdown)


def code_block(engine: str) -> str:
    """`rg -z 'TODO' logs.tar.gz` as each engine's highlighter writes it."""
    if engine.startswith("hugo"):
        return (
            '<div class="highlight"><pre tabindex="0" class="chroma"><code class="language-sh"'
            ' data-lang="sh"><span class="line"><span class="cl">rg -z'
            ' <span class="s1">&#39;TODO&#39;</span> logs.tar.gz\n</span></span></code></pre></div>'
        )
    if engine == "pelican":
        return (
            '<div class="highlight"><pre><span></span><code>rg<span class="w"> </span>-z'
            '<span class="w"> </span><span class="s1">&#39;TODO&#39;</span>'
            '<span class="w"> </span>logs.tar.gz\n</code></pre></div>'
        )
    return (  # jekyll (rouge)
        '<div class="language-sh highlighter-rouge"><div class="highlight"><pre class="highlight">'
        '<code>rg <span class="nt">-z</span> <span class="s1">\'TODO\'</span> logs.tar.gz\n'
        "</code></pre></div></div>"
    )


def figure(source: str, alt: str, engine: str, *, caption: bool) -> str:
    if engine.startswith("hugo"):
        text = f"<figcaption><p>{alt}</p></figcaption>" if caption else ""
        return f'<figure><img src="{source}" alt="{alt}">{text}</figure>'
    if engine == "pelican":
        return f'<p><img alt="{alt}" src="{source}"></p>'
    return f'<p><img src="{source}" alt="{alt}" /></p>'


def rendered_issue(engine: str) -> str:
    """ISSUE_MARKDOWN as a static blog engine renders it, relative image paths included."""
    rule = "<hr />" if engine == "jekyll" else "<hr>"
    cover_caption = engine == "hugo-captioned-cover"

    def summary(text: str, href: str, title: str, own_paragraph: bool = False) -> str:
        link = f'<a href="{href}">{title}</a>'
        return f"<p>{text}</p>\n<p>{link}</p>" if own_paragraph else f"<p>{text}\n{link}</p>"

    return "\n".join(
        [
            figure("/img/cover-44.png", "Terminal Weekly 44", engine, caption=cover_caption),
            "<p>This week: a faster grep, a calmer shell and a long read about terminals.</p>",
            heading(2, "tools", "Tools", engine),
            heading(4, "ripgrep-15-searches-archives", "ripgrep 15 searches archives", engine),
            "<p>ripgrep can now look inside compressed archives without unpacking them first,\n"
            "and its glob handling is twice as fast on large trees.</p>",
            code_block(engine),
            '<p><a href="https://github.com/BurntSushi/ripgrep/releases/tag/15.0.0">'
            "ripgrep 15 release notes</a></p>",
            rule,
            heading(4, "a-shell-that-stays-quiet", "A shell that stays quiet", engine),
            figure("/img/prompt.png", "A quiet prompt", engine, caption=True),
            summary(
                "A walk through a minimal prompt that only shows what changed since the last"
                " command.",
                "https://example.org/quiet-prompts",
                "Quiet prompts",
                own_paragraph=True,
            ),
            rule,
            heading(4, "fuzzy-finding-everywhere", "Fuzzy finding everywhere", engine),
            summary(
                "fzf&rsquo;s new preview window follows the cursor and understands"
                " <code>git diff</code> output.",
                "https://github.com/junegunn/fzf/releases/tag/v0.60.0",
                "fzf 0.60",
            ),
            heading(2, "reading", "Reading", engine),
            heading(4, "why-terminals-still-matter", "Why terminals still matter", engine),
            summary(
                "An essay on the staying power of text interfaces, with a history of the VT100.",
                "https://example.net/terminals",
                "The terminal is not dead",
            ),
            rule,
            heading(
                4, "colour-in-the-terminal-explained", "Colour in the terminal, explained", engine
            ),
            summary(
                "How 16, 256 and 24-bit colour work, and why your theme looks different over SSH.",
                "https://example.net/colours",
                "Terminal colours",
            ),
        ]
    )


@pytest.mark.parametrize(
    "engine",
    ["hugo", "hugo-captioned-cover", "hugo-anchor-after", "jekyll", "just-the-docs", "pelican"],
)
def test_a_blog_feed_with_full_html_issues_splits_like_the_markdown(
    engine: str, site: Site, library: Library, tmp_path: Path
) -> None:
    markdown_file = tmp_path / "terminal-weekly-44.md"
    markdown_file.write_text(ISSUE_MARKDOWN, encoding="utf-8")
    report = library.import_paths([markdown_file])
    [imported] = report.imported
    expected = shape(library.issue(imported.issue_id))
    assert [title for title, _ in expected] == ["", "Tools", "Reading"]

    base = "https://blog.example.com/"
    entry = Entry(
        "tw44",
        "Terminal Weekly 44",
        rendered_issue(engine),
        link=f"{base}2025/03/07/terminal-weekly-44/",
    )
    url = site.feed("/atom.xml", atom("Terminal Weekly", [entry, post(43)], base=base))
    library.add_source(url)
    [issue] = [
        issue
        for issue in issues_of(library, library.source(url).id)
        if issue.title == "Terminal Weekly 44"
    ]
    from_feed = library.issue(issue.id)
    assert shape(from_feed) == expected
    assert from_feed.url == entry.link
    # Relative images resolve against the entry; anchors to headings are no sources.
    bodies = json.dumps([item.body for section in from_feed.sections for item in section.items])
    assert "https://blog.example.com/img/prompt.png" in bodies
    assert "](#" not in bodies
    assert "rg -z 'TODO' logs.tar.gz" in from_feed.sections[1].items[0].body
