"""Retention: per-source limits remove exactly the old issues, keep starred and later ones whole,
leave search, read state and repeats consistent, and removed issues never come back.

Real SQLite files under tmp_path; refreshes run against a real feed server on 127.0.0.1.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from reader import paths
from reader.core.articles import AUTO_SAVE, SKIPPED
from reader.core.errors import InputError
from reader.core.library import Library
from reader.core.model import Article, ParsedIssue, ParsedItem, ParsedSection
from reader.core.retention import RetentionPolicy
from reader.core.store import Store

NOW = datetime.now(UTC)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    with Library(tmp_path / "library.sqlite") as opened:
        yield opened


def weekly(number: int, *, days_ago: float | None, url: str | None = None) -> ParsedIssue:
    """Issue `number` with two items; dated `days_ago` days back (None: undated)."""
    date = None if days_ago is None else (NOW - timedelta(days=days_ago)).replace(microsecond=0)
    items = (
        ParsedItem(f"Story {number}", url or f"https://example.com/{number}", f"word{number} 共同"),
        ParsedItem(f"Other {number}", f"https://example.com/{number}/b", f"other{number}"),
    )
    return ParsedIssue(f"Weekly {number}", date, None, (ParsedSection("News", items),))


def add_source(
    library: Library, issues: list[ParsedIssue], url: str = "https://a.example/feed"
) -> int:
    source_id = library.store.ensure_source("feed", url, url)
    library.store.upsert_issues(source_id, issues)
    return source_id


def issue_titles(library: Library, source_id: int | None = None) -> list[str]:
    return [issue.title for issue in library.issues(source_id, limit=1000)]


def item_id(library: Library, title: str) -> str:
    (hit,) = [item for item in library.items_page(limit=1000) if item.title == title]
    return hit.id


def index_is_consistent(store: Store) -> None:
    connection = store._connection
    connection.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 0)")
    indexed = connection.execute(
        "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", ('"共同"',)
    ).fetchone()[0]
    stored = connection.execute("SELECT count(*) FROM items WHERE body LIKE '%共同%'").fetchone()[0]
    assert indexed == stored


# --- what is removed ---------------------------------------------------------------------------


def test_keep_newest_issues(library: Library) -> None:
    source_id = add_source(library, [weekly(n, days_ago=50 - n) for n in range(5)])
    other = add_source(library, [weekly(9, days_ago=400)], url="https://b.example/feed")
    library.set_source_retention(str(source_id), keep_issues=2)
    assert library.apply_retention() == 3
    assert issue_titles(library, source_id) == ["Weekly 4", "Weekly 3"]
    assert issue_titles(library, other) == ["Weekly 9"]  # no policy, nothing removed
    assert library.apply_retention() == 0


def test_keep_recent_days(library: Library) -> None:
    source_id = add_source(
        library,
        [
            weekly(1, days_ago=40),
            weekly(2, days_ago=31),
            weekly(3, days_ago=29),
            weekly(4, days_ago=1),
        ],
    )
    library.set_source_retention(str(source_id), keep_days=30)
    assert library.apply_retention() == 2
    assert issue_titles(library, source_id) == ["Weekly 4", "Weekly 3"]


def test_newest_issues_or_recent_days_both_keep(library: Library) -> None:
    source_id = add_source(
        library,
        [weekly(1, days_ago=100), weekly(2, days_ago=60), weekly(3, days_ago=10),
         weekly(4, days_ago=5), weekly(5, days_ago=2)],
    )  # fmt: skip
    library.set_source_retention(str(source_id), keep_issues=2, keep_days=30)
    # Beyond the newest two but younger than 30 days: Weekly 3 stays.
    assert library.apply_retention() == 2
    assert issue_titles(library, source_id) == ["Weekly 5", "Weekly 4", "Weekly 3"]


def test_undated_issues_are_as_old_as_when_they_were_stored(library: Library) -> None:
    source_id = add_source(library, [weekly(1, days_ago=90), weekly(2, days_ago=None)])
    library.set_source_retention(str(source_id), keep_days=30)
    assert library.apply_retention() == 1
    assert issue_titles(library, source_id) == ["Weekly 2"]


def test_issues_with_starred_or_later_items_are_kept_whole(library: Library) -> None:
    source_id = add_source(library, [weekly(n, days_ago=50 - n) for n in range(5)])
    library.mark([item_id(library, "Other 0")], starred=True)
    library.mark([item_id(library, "Story 1")], later=True, read=True)
    library.set_source_retention(str(source_id), keep_issues=1)
    assert library.apply_retention() == 2
    assert issue_titles(library, source_id) == ["Weekly 4", "Weekly 1", "Weekly 0"]
    for number in (0, 1):
        (issue,) = [i for i in library.issues(source_id) if i.title == f"Weekly {number}"]
        assert library.issue(issue.id).items == 2
    assert library.item(item_id(library, "Story 1")).read


def test_limits_are_validated_and_zero_removes_them(library: Library) -> None:
    source_id = add_source(library, [weekly(1, days_ago=1)])
    source = library.set_source_retention(str(source_id), keep_issues=3, keep_days=7)
    assert RetentionPolicy.of(source) == RetentionPolicy(3, 7)
    source = library.set_source_retention(str(source_id), keep_issues=0)
    assert RetentionPolicy.of(source) == RetentionPolicy(None, 7)
    assert "keep_issues" not in source.settings
    with pytest.raises(InputError):
        library.set_source_retention(str(source_id), keep_days=-1)
    # Settings a user mangled by hand mean "no limit", not a crash.
    library.store.update_source(source_id, settings={"keep_issues": "ten", "keep_days": True})
    assert not RetentionPolicy.of(library.store.source(source_id)).active


# --- consistency ----------------------------------------------------------------------------------


def test_search_read_state_repeats_and_articles_stay_consistent(library: Library) -> None:
    source_id = add_source(
        library,
        [weekly(1, days_ago=30, url="https://story.example/shared"),
         weekly(2, days_ago=20), weekly(3, days_ago=10)],
    )  # fmt: skip
    other = add_source(
        library, [weekly(7, days_ago=5, url="https://story.example/shared?utm_source=x")],
        url="https://b.example/feed",
    )  # fmt: skip
    shared_elsewhere = item_id(library, "Story 7")
    assert len(library.also_in(shared_elsewhere)) == 1
    library.mark([item_id(library, "Other 2"), item_id(library, "Story 3")], read=True)
    removed_item = item_id(library, "Story 1")
    library.store.store_article(
        Article(removed_item, "https://story.example/shared", NOW, markdown="# Saved")
    )
    library.set_source_retention(str(source_id), keep_issues=2)

    assert library.apply_retention() == 1
    assert [hit.title for hit in library.search("word1")] == []
    assert {hit.title for hit in library.search("共同")} == {"Story 2", "Story 3", "Story 7"}
    index_is_consistent(library.store)
    read = {item.title: item.read for item in library.items_page(limit=100)}
    assert read == {
        "Story 7": False, "Other 7": False, "Story 3": True, "Other 3": False,
        "Story 2": False, "Other 2": True,
    }  # fmt: skip
    assert library.also_in(shared_elsewhere) == []
    assert library.item(shared_elsewhere).also_in == 0
    assert library.store.article(removed_item) is None
    assert issue_titles(library, other) == ["Weekly 7"]


def test_removing_most_of_the_library_rebuilds_the_index(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.core.store import sources

    monkeypatch.setattr(sources, "BULK_DELETE_MIN_ITEMS", 2)
    source_id = add_source(library, [weekly(n, days_ago=100 - n) for n in range(6)])
    library.set_source_retention(str(source_id), keep_issues=1)
    assert library.apply_retention() == 5
    assert {hit.title for hit in library.search("共同")} == {"Story 5"}
    triggers = library.store._connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    assert "items_fts_delete" in {row[0] for row in triggers}
    index_is_consistent(library.store)


# --- removed issues stay removed ----------------------------------------------------------------


def test_removed_issue_is_not_stored_again_from_its_feed(library: Library) -> None:
    source_id = add_source(library, [weekly(n, days_ago=10 - n) for n in range(3)])
    library.set_source_retention(str(source_id), keep_issues=1)
    assert library.apply_retention() == 2
    results = library.store.upsert_issues(source_id, [weekly(n, days_ago=10 - n) for n in range(3)])
    assert [(r.is_new_issue, r.new_items, r.skipped) for r in results] == [
        (False, 0, True),
        (False, 0, True),
        (False, 0, False),
    ]
    assert issue_titles(library, source_id) == ["Weekly 2"]


def test_imported_files_come_back_when_imported_again(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    for number, day in ((1, "2020-01-01"), (2, "2020-02-01")):
        (folder / f"{number}.md").write_text(
            f"---\ntitle: Issue {number}\ndate: {day}\n---\n\n#### Item\n\nText {number}.\n",
            encoding="utf-8",
        )
    library.import_paths([folder])
    library.set_source_retention(str(library.imports_source_id()), keep_issues=1)
    assert library.apply_retention() == 1
    assert issue_titles(library) == ["Issue 2"]
    library.import_paths([folder / "1.md"])  # the user asked for it again
    assert issue_titles(library) == ["Issue 2", "Issue 1"]


def test_removing_a_source_forgets_its_removed_issues(library: Library) -> None:
    source_id = add_source(library, [weekly(n, days_ago=10 - n) for n in range(2)])
    library.set_source_retention(str(source_id), keep_issues=1)
    library.apply_retention()
    library.remove_source(str(source_id))
    again = add_source(library, [weekly(n, days_ago=10 - n) for n in range(2)])
    assert len(issue_titles(library, again)) == 2


# --- with a real feed ---------------------------------------------------------------------------------


def atom(entries: list[tuple[str, str]], base: str) -> bytes:
    """An Atom feed of (entry id, updated) entries, each linking to a page on `base`."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">',
        "<title>Daily</title><id>urn:daily</id><updated>2025-03-07T12:00:00Z</updated>",
    ]
    for entry_id, updated in entries:
        parts.append(
            f"<entry><id>urn:{entry_id}</id><title>Post {entry_id}</title>"
            f'<link rel="alternate" href="{base}posts/{entry_id}"/><updated>{updated}</updated>'
            f'<content type="html">{html.escape(f"<p>Post {entry_id} says hello.</p>")}</content>'
            "</entry>"
        )
    parts.append("</feed>")
    return "".join(parts).encode("utf-8")


class FeedSite:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.entries: list[tuple[str, str]] = []
        self.log: list[str] = []
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.log.append(request.path)
        if request.path == "/feed.xml":
            body = atom(self.entries, self.server.url_for("/"))
            return Response(body, content_type="application/atom+xml")
        return Response("<html><body><p>a page</p></body></html>", content_type="text/html")


@pytest.fixture
def feed_site() -> Iterator[FeedSite]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield FeedSite(server)
    finally:
        server.clear()
        server.stop()


def day(days_ago: int) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_refresh_applies_retention_and_never_brings_back_a_removed_entry(
    feed_site: FeedSite, home: Path
) -> None:
    feed_site.entries = [(f"e{n}", day(10 - n)) for n in range(4)]
    with Library(paths.database_path()) as library:
        added = library.add_source(feed_site.server.url_for("/feed.xml"))
        source = library.set_source_retention(str(added.source.id), keep_issues=2)
        assert len(issue_titles(library, source.id)) == 4
        (outcome,) = library.refresh([str(source.id)], force=True)
        assert outcome.status == "ok" and outcome.new_issues == 0
        assert issue_titles(library, source.id) == ["Post e3", "Post e2"]
        # The feed still serves e0 and e1, and a new entry.
        feed_site.entries.append(("e4", day(0)))
        (outcome,) = library.refresh([str(source.id)], force=True)
        assert outcome.new_issues == 1
        assert issue_titles(library, source.id) == ["Post e4", "Post e3"]
        (outcome,) = library.refresh([str(source.id)], force=True)
        assert outcome.new_issues == 0 and outcome.new_items == 0
        assert issue_titles(library, source.id) == ["Post e4", "Post e3"]


def test_refresh_auto_saves_new_items_of_sources_that_ask(feed_site: FeedSite, home: Path) -> None:
    feed_site.entries = [("old", day(3))]
    with Library(paths.database_path()) as library:
        added = library.add_source(feed_site.server.url_for("/feed.xml"))
        source = library.set_source_auto_save(str(added.source.id), True)
        assert source.settings[AUTO_SAVE] is True
        feed_site.entries.append(("new", day(0)))
        library.refresh([str(source.id)], force=True)
        new_item = item_id(library, "Post new")
        old_item = item_id(library, "Post old")
        article = library.article(new_item)
        # Auto-save never reaches a loopback address (this server), and says so.
        assert article is not None and article.markdown is None
        assert article.error == "skipped: private address (127.0.0.1)"
        assert library.article(old_item) is None  # not new in this refresh
        assert not any(path.startswith("/posts/") for path in feed_site.log)
        # The user can still save it explicitly.
        (outcome,) = library.save_articles([new_item])
        assert outcome.status != SKIPPED
        assert library.set_source_auto_save(str(source.id), False).settings.get(AUTO_SAVE) is None


def test_vacuum_applies_retention_and_compacts(library: Library) -> None:
    big = "long text " * 2000
    source_id = library.store.ensure_source("feed", "https://a.example/feed", "A")
    library.store.upsert_issues(
        source_id,
        [
            ParsedIssue(
                f"Issue {n}",
                datetime(2020, 1, 1) + timedelta(days=n),
                None,
                (ParsedSection("", (ParsedItem(f"Item {n}", None, big + str(n)),)),),
            )
            for n in range(60)
        ],
    )
    library.set_source_retention(str(source_id), keep_issues=5)
    report = library.vacuum()
    assert report.removed_issues == 55
    assert report.bytes_after < report.bytes_before / 2
    assert len(issue_titles(library)) == 5
    assert [hit.title for hit in library.search("long", limit=10)] != []
    index_is_consistent(library.store)
