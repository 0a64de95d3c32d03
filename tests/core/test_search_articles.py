"""Search reaches saved articles: an item is found by the words of its source page too.

Articles are saved from a real HTTP server on 127.0.0.1; the index follows every change of
an article (saved, saved again, failed, removed with its item) and survives VACUUM and the
upgrade of a library written before articles were indexed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from reader import paths
from reader.core.library import Library
from reader.core.model import Article, Item, ParsedIssue, ParsedItem, ParsedSection
from reader.core.store import Store, schema

SAVED_AT = datetime(2025, 3, 2, tzinfo=UTC)


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><main><article><h1>{title}</h1>{body}</article></main></body></html>"
    )


WETLAND = page(
    "Coastal wetlands report",
    [
        "Researchers counted the mangrove seedlings planted along the estuary last spring and "
        "found that two thirds of them had taken root despite the storms of the winter.",
        "当地志愿者每月记录一次红树林的生长情况，并把数据公开在社区网站上，供学校和研究人员使用。",
        "The survey will continue for five more years, with a report to the regional council "
        "each autumn and an open day for residents who want to see the work for themselves.",
    ],
)


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    with Library(paths.database_path()) as opened:
        yield opened


@pytest.fixture
def site() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def store_issue(library: Library, items: list[tuple[str, str | None, str]]) -> dict[str, Item]:
    """An imported issue with the given (title, url, body) items, by title."""
    parsed_items = tuple(ParsedItem(title, url, body) for title, url, body in items)
    parsed = ParsedIssue(
        "Digest", datetime(2025, 3, 1), None, (ParsedSection("News", parsed_items),)
    )
    issue_id = library.store_parsed(library.imports_source_id(), parsed)
    return {item.title: item for s in library.issue(issue_id).sections for item in s.items}


def article(item: Item, markdown: str | None, error: str | None = None) -> Article:
    return Article(item.id, item.url or "", SAVED_AT, markdown, "A page", error)


def found(library: Library, query: str, **filters: Any) -> list[tuple[str, bool]]:
    return [(hit.title, hit.in_article) for hit in library.search(query, **filters)]


def article_terms(store: Store) -> list[tuple[object, ...]]:
    """Every (term, rowid) the article index holds."""
    connection = store._connection
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.article_terms"
        " USING fts5vocab(main, articles_fts, instance)"
    )
    return sorted(connection.execute("SELECT DISTINCT term, doc FROM temp.article_terms"))


def test_a_saved_article_makes_its_item_findable_by_the_words_of_the_page(
    library: Library, site: HTTPServer
) -> None:
    site.expect_request("/wetlands").respond_with_data(WETLAND, content_type="text/html")
    items = store_issue(
        library,
        [
            ("Wetlands survey", site.url_for("/wetlands"), "A short note on a coastal survey."),
            ("Bridge repairs", "https://example.org/bridge", "The old bridge closes in May."),
        ],
    )
    assert library.search("mangrove") == []
    outcomes = library.save_articles([items["Wetlands survey"].id])
    assert [outcome.status for outcome in outcomes] == ["saved"]

    hits = library.search("mangrove seedlings")
    assert [(hit.title, hit.in_article) for hit in hits] == [("Wetlands survey", True)]
    snippet = hits[0].snippet
    assert "mangrove seedlings" in snippet
    assert [snippet[start:end] for start, end in hits[0].highlights] == ["mangrove", "seedlings"]
    # Chinese words of one, two and four characters, in either script.
    for query in ("红树林", "紅樹林", "志愿者", "林", "社区网站"):
        assert found(library, query) == [("Wetlands survey", True)], query
    # Words of the item itself still find it as before, with its own snippet.
    assert found(library, "coastal survey") == [("Wetlands survey", False)]
    assert found(library, "bridge") == [("Bridge repairs", False)]
    # Every word must be in the same text: one from the item and one from the page is no hit.
    assert found(library, "note mangrove") == []


def test_search_filters_apply_to_article_hits(library: Library) -> None:
    items = store_issue(library, [("Wetlands", "https://example.org/w", "Note.")])
    library.store.store_article(article(items["Wetlands"], "Mangrove seedlings took root."))
    assert found(library, "mangrove", view="unread") == [("Wetlands", True)]
    library.mark([items["Wetlands"].id], read=True)
    assert found(library, "mangrove", view="unread") == []
    assert found(library, "mangrove", source_id=library.imports_source_id()) == [("Wetlands", True)]
    assert found(library, "mangrove", until=datetime(2025, 2, 1)) == []


def test_saving_again_replaces_the_indexed_text_and_a_failure_removes_it(library: Library) -> None:
    items = store_issue(library, [("Wetlands", "https://example.org/w", "Note.")])
    item = items["Wetlands"]
    library.store.store_article(article(item, "Mangrove seedlings took root."))
    library.store.store_article(article(item, "The estuary flooded in March."))
    assert found(library, "mangrove") == []
    assert found(library, "estuary") == [("Wetlands", True)]
    library.store.store_article(article(item, None, error="HTTP 404 Not Found"))
    assert found(library, "estuary") == []
    assert article_terms(library.store) == []
    library.store.store_article(article(item, "Seedlings again."))
    assert found(library, "seedlings") == [("Wetlands", True)]


def test_an_item_removed_with_its_article_leaves_nothing_behind(library: Library) -> None:
    folder = library.store.ensure_source("folder", "/tmp/weekly-issues", "Weekly")
    parsed = ParsedIssue(
        "Weekly 1", None, None, (ParsedSection("", (ParsedItem("Old", "https://e.org/o", "."),)),)
    )
    issue_id = library.store_parsed(folder, parsed)
    (old,) = library.issue(issue_id).sections[0].items
    library.store.store_article(article(old, "Mangrove seedlings took root."))
    library.remove_source("Weekly")
    assert article_terms(library.store) == []
    # The next item may take the removed item's rowid: it must not inherit the old words.
    items = store_issue(library, [("New", "https://example.org/n", "Unrelated.")])
    assert found(library, "mangrove") == []
    library.store.store_article(article(items["New"], "Estuary survey."))
    assert found(library, "estuary") == [("New", True)]


def test_vacuum_keeps_article_hits_on_their_items(library: Library) -> None:
    items = store_issue(
        library,
        [(f"Item {n}", f"https://example.org/{n}", f"Body {n}.") for n in range(1, 6)],
    )
    words = ["mangrove", "estuary", "seedling", "tideline", "saltmarsh"]
    for n, word in enumerate(words, start=1):
        library.store.store_article(article(items[f"Item {n}"], f"A page about the {word}."))
    # Gaps in the articles' own rowids, which VACUUM may close by renumbering them.
    for n in (1, 3):
        library.store.store_article(article(items[f"Item {n}"], None, error="gone"))
    library.store._connection.execute("DELETE FROM articles WHERE error IS NOT NULL")
    library.vacuum()
    for n, word in enumerate(words, start=1):
        expected = [] if n in (1, 3) else [(f"Item {n}", True)]
        assert found(library, word) == expected, word


def test_a_version_4_library_indexes_its_saved_articles_when_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.sqlite"
    parsed = ParsedIssue(
        "Digest",
        None,
        None,
        (ParsedSection("", (ParsedItem("Wetlands", "https://e.org/w", "."),)),),
    )
    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
        with Store(path) as store:
            source_id = store.ensure_source("feed", "https://example.org/feed", "Feed")
            store.upsert_issues(source_id, [parsed])
    # As the previous reader saved articles.
    connection = sqlite3.connect(path, isolation_level=None)
    (item_id,) = connection.execute("SELECT id FROM items").fetchone()
    connection.execute(
        "INSERT OR REPLACE INTO articles (item_id, url, title, markdown, error, fetched_at)"
        " VALUES (?, 'https://e.org/w', '红树林', 'Mangrove seedlings.', NULL, '2025-03-02')",
        (item_id,),
    )
    connection.close()
    with Store(path) as store:
        hits = store.search("mangrove") + store.search("红树林")
        assert [(hit.item_id, hit.in_article) for hit in hits] == [(item_id, True)] * 2
    assert (tmp_path / "library.sqlite.v4.bak").exists()


def test_the_command_line_says_a_hit_came_from_the_saved_article(
    library: Library, run_cli: Callable[..., tuple[int, str, str]], run_json: Callable[..., Any]
) -> None:
    items = store_issue(library, [("Wetlands", "https://example.org/w", "A short note.")])
    library.store.store_article(article(items["Wetlands"], "Mangrove seedlings took root."))
    (hit,) = run_json("search", "mangrove")["items"]
    assert (hit["title"], hit["in_article"], hit["snippet"]) == (
        "Wetlands",
        True,
        "Mangrove seedlings took root.",
    )
    assert run_json("search", "note")["items"][0]["in_article"] is False
    code, out, _ = run_cli("search", "mangrove")
    assert code == 0
    assert "in its saved article: Mangrove seedlings took root." in out
