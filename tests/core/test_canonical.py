"""The same story in different issues: canonical urls, `also_in`, and marking repeats read.

Store tests use a real SQLite file under tmp_path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from reader.core.canonical import canonical_url
from reader.core.library import Library
from reader.core.model import AlsoIn, ParsedIssue, ParsedItem, ParsedSection
from reader.core.store import Store, schema

# --- canonical urls ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("HTTPS://Example.COM/post", "https://example.com/post"),
        ("https://example.com:443/post", "https://example.com/post"),
        ("http://example.com:80/post", "https://example.com/post"),
        ("https://example.com/post/", "https://example.com/post"),
        ("https://www.example.com/post", "https://example.com/post"),
        ("https://example.com/post#comments", "https://example.com/post"),
        ("https://example.com", "https://example.com/"),
        (
            "https://example.com/post?utm_source=newsletter&utm_medium=email&utm_campaign=x",
            "https://example.com/post",
        ),
        (
            "https://example.com/post?fbclid=IwAR0&gclid=abc&mc_cid=1&mc_eid=2&ref=hn&spm=a.b",
            "https://example.com/post",
        ),
        ("https://example.com/p?b=2&a=1", "https://example.com/p?a=1&b=2"),
        ("https://example.com/p?a=1&UTM_Source=x&b=2", "https://example.com/p?b=2&a=1"),
        ("https://example.com/%7euser", "https://example.com/~user"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/你好", "https://example.com/%E4%BD%A0%E5%A5%BD"),
        ("https://Bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://user:secret@example.com/x", "https://example.com/x"),
    ],
)
def test_spellings_of_one_page_share_a_canonical_url(first: str, second: str) -> None:
    assert canonical_url(first) == canonical_url(second) is not None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://example.com/item?id=1", "https://example.com/item?id=2"),
        ("https://news.example.com/item?id=1", "https://example.com/item?id=1"),
        ("https://example.com/a", "https://example.com/b"),
        ("https://example.com:8080/a", "https://example.com/a"),
        ("https://example.com/watch?v=abc&t=10", "https://example.com/watch?v=abc"),
        ("https://example.com/#!/post/1", "https://example.com/#!/post/2"),
        ("https://example.com/Post", "https://example.com/post"),
    ],
)
def test_different_pages_keep_different_canonical_urls(first: str, second: str) -> None:
    assert canonical_url(first) != canonical_url(second)


@pytest.mark.parametrize(
    "url",
    [None, "", "mailto:a@example.com", "javascript:alert(1)", "ftp://example.com/x", "/relative",
     "https://", "https://exa mple.com/x", "https://example.com:99999/x"],
)  # fmt: skip
def test_links_that_are_not_web_pages_have_none(url: str | None) -> None:
    assert canonical_url(url) is None


def test_canonical_form_is_stable() -> None:
    once = canonical_url("HTTP://WWW.Example.COM:80/a/b/?utm_source=x&b=2&a=1#frag")
    assert once == "https://example.com/a/b?a=1&b=2"
    assert canonical_url(once) == once


# --- the store ------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "library.sqlite") as opened:
        yield opened


def add_issue(
    store: Store,
    title: str,
    links: list[tuple[str, str | None]],
    *,
    source: str = "https://example.com/feed",
    date: datetime | None = None,
    section: str = "Links",
) -> str:
    source_id = store.ensure_source("feed", source, "Feed")
    items = tuple(ParsedItem(name, url, f"About {name}.") for name, url in links)
    parsed = ParsedIssue(title, date, None, (ParsedSection(section, items),))
    return store.upsert_issue(source_id, parsed).issue_id


def item_ids(store: Store, issue_id: str) -> dict[str, str]:
    return {item.title: item.id for s in store.issue(issue_id).sections for item in s.items}


def test_two_issues_with_one_story_are_shown_as_the_same_story(store: Store) -> None:
    first = add_issue(
        store,
        "L56",
        [("Rust news", "https://blog.example.com/rust?utm_source=weekly"),
         ("Page one", "https://example.com/item?id=1")],
        date=datetime(2025, 1, 1),
        section="随便看看",
    )  # fmt: skip
    second = add_issue(
        store,
        "L57",
        [("Rust again", "https://blog.example.com/rust/#top"),
         ("Page two", "https://example.com/item?id=2&fbclid=x")],
        source="https://other.example/feed",
        date=datetime(2025, 1, 8),
    )  # fmt: skip
    third = add_issue(
        store,
        "L58",
        [("Rust thrice", "http://www.blog.example.com/rust")],
        date=datetime(2025, 2, 1),
    )
    one, two, three = item_ids(store, first), item_ids(store, second), item_ids(store, third)
    assert store.also_in(two["Rust again"]) == [
        AlsoIn(three["Rust thrice"], third, "L58", "Links"),
        AlsoIn(one["Rust news"], first, "L56", "随便看看"),
    ]
    assert store.also_in(one["Page one"]) == []  # other id, other page
    assert store.also_in(two["Page two"]) == []
    counts = {item.title: item.also_in for s in store.issue(second).sections for item in s.items}
    assert counts == {"Rust again": 2, "Page two": 0}
    assert store.item(one["Rust news"]).also_in == 2
    assert {item.title: item.also_in for item in store.items_page(issue_id=first)} == {
        "Rust news": 2,
        "Page one": 0,
    }
    assert store.also_in_for_issue(first) == {
        one["Rust news"]: [
            AlsoIn(three["Rust thrice"], third, "L58", "Links"),
            AlsoIn(two["Rust again"], second, "L57", "Links"),
        ]
    }
    # Nothing was merged or dropped.
    assert [issue.items for issue in store.issues()] == [1, 2, 2]


def test_repeats_within_one_issue_are_not_other_issues(store: Store) -> None:
    issue_id = add_issue(
        store, "One", [("A", "https://example.com/x"), ("B", "https://example.com/x?utm_id=1")]
    )
    assert all(store.also_in(item_id) == [] for item_id in item_ids(store, issue_id).values())


def test_canonical_url_follows_item_changes(store: Store) -> None:
    first = add_issue(store, "First", [("A", "https://example.com/a")])
    second = add_issue(store, "Second", [("B", "https://example.com/b")], date=datetime(2025, 1, 1))
    b_id = item_ids(store, second)["B"]
    assert store.also_in(b_id) == []
    # The same issue again with the item now linking to a's page (matched by title).
    add_issue(
        store, "Second", [("B", "https://example.com/a?utm_medium=x")], date=datetime(2025, 1, 1)
    )
    assert [other.issue_id for other in store.also_in(b_id)] == [first]


def test_also_in_uses_the_canonical_url_index(store: Store) -> None:
    issue_id = add_issue(store, "One", [("A", "https://example.com/a")])
    item_id = item_ids(store, issue_id)["A"]
    statements: list[str] = []
    connection = store._connection
    connection.set_trace_callback(statements.append)
    try:
        store.also_in(item_id)
        store.issue(issue_id)
    finally:
        connection.set_trace_callback(None)
    plans = [
        " | ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT")
    ]
    assert any("items_by_canonical" in plan for plan in plans)
    for plan in plans:
        assert "SCAN other" not in plan and "SCAN items" not in plan, plan


# --- marking repeats read -----------------------------------------------------------------------


def test_repeats_are_marked_read_only_when_the_setting_is_on(tmp_path: Path) -> None:
    with Library(tmp_path / "library.sqlite") as library:
        store = library.store
        assert library.auto_read_repeats() is False
        add_issue(
            store, "First", [("Story", "https://example.com/s"), ("Own", "https://a.example/")]
        )
        second = add_issue(store, "Second", [("Story", "https://example.com/s?utm_source=x")])
        assert [item.read for item in store.items_page(issue_id=second)] == [False]

        library.set_auto_read_repeats(True)
        assert library.auto_read_repeats() is True
        third = add_issue(
            store,
            "Third",
            [("Story", "https://www.example.com/s/"), ("Fresh", "https://b.example/"),
             ("Own again", "https://a.example")],
            source="https://other.example/feed",
        )  # fmt: skip
        flags = {item.title: item.read for item in store.items_page(issue_id=third)}
        assert flags == {"Story": True, "Fresh": False, "Own again": True}
        # The originals are untouched, and the repeat is still there to read.
        first_items = store.items_page(view="unread")
        assert {item.title for item in first_items} >= {"Fresh", "Own"}
        assert len(store.also_in(item_ids(store, third)["Story"])) == 2

        # Two issues with the same new story in one batch: the first stored stays unread.
        source_id = store.ensure_source("feed", "https://batch.example/feed", "Batch")
        batch = [
            ParsedIssue(title, None, None, (ParsedSection("", (ParsedItem("N", url, "x"),)),))
            for title, url in [("B1", "https://new.example/n"), ("B2", "https://new.example/n#x")]
        ]
        results = store.upsert_issues(source_id, batch)
        read = [store.items_page(issue_id=result.issue_id)[0].read for result in results]
        assert read == [False, True]

        library.set_auto_read_repeats(False)
        fourth = add_issue(store, "Fourth", [("Story", "https://example.com/s")])
        assert [item.read for item in store.items_page(issue_id=fourth)] == [False]


def test_repeats_are_marked_read_on_import(tmp_path: Path) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "a.md").write_text(
        "# Issue A\n\n## Links\n\n#### One\n\nText. [link](https://example.com/one?utm_source=a)\n",
        encoding="utf-8",
    )
    (folder / "b.md").write_text(
        "# Issue B\n\n## Links\n\n#### One again\n\nText. [link](https://example.com/one/)\n",
        encoding="utf-8",
    )
    with Library(tmp_path / "library.sqlite") as library:
        library.set_auto_read_repeats(True)
        library.import_paths([folder / "a.md"])
        library.import_paths([folder / "b.md"])
        read = {item.title: item.read for item in library.items_page()}
        assert read == {"One": False, "One again": True}


# --- migration ------------------------------------------------------------------------------------


def _version_one_library(path: Path, items: list[tuple[str, str, str]]) -> None:
    """A library file as version 1 wrote it: no canonical urls, search text not folded.

    `items` are (issue title, item title, url), one issue each.
    """
    from reader.core.store import folding, segment

    connection = sqlite3.connect(path, isolation_level=None)
    original = folding.fold_han
    folding.fold_han = lambda text: text
    try:
        connection.create_function("reader_segment", 1, segment.segment)
        connection.execute("BEGIN")
        schema.MIGRATIONS[0](connection)
        connection.execute(
            "INSERT INTO sources (id, kind, url, title, created_at)"
            " VALUES (1, 'feed', 'https://example.com/feed', 'Feed', '2025-01-01T00:00:00+00:00')"
        )
        for number, (issue_title, title, url) in enumerate(items):
            issue_id, section_id = f"issue{number}", f"section{number}"
            connection.execute(
                "INSERT INTO issues (id, source_id, key, title, sort_date, added_at, updated_at)"
                " VALUES (?, 1, ?, ?, ?, '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')",
                (issue_id, issue_title, issue_title, f"2025-01-0{number + 1}T00:00:00"),
            )
            connection.execute(
                "INSERT INTO sections (id, issue_id, position, title) VALUES (?, ?, 0, '')",
                (section_id, issue_id),
            )
            connection.execute(
                "INSERT INTO items (id, issue_id, section_id, position, title, url, body, added_at)"
                " VALUES (?, ?, ?, 0, ?, ?, 'Text.', '2025-01-01T00:00:00+00:00')",
                (f"item{number}", issue_id, section_id, title, url),
            )
        connection.execute("PRAGMA user_version = 1")
        connection.execute("COMMIT")
        assert connection.execute(
            "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", ('"开源"',)
        ).fetchone() == (0,)
    finally:
        folding.fold_han = original
        connection.close()


def test_version_one_library_gains_canonical_urls_and_folded_search(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    _version_one_library(
        path,
        [("舊", "開源模型", "https://Example.com/a/?utm_source=x"),
         ("New", "Other", "https://example.com/a")],
    )  # fmt: skip
    with Store(path) as store:
        assert schema.user_version(store._connection) == len(schema.MIGRATIONS) >= 3
        assert [hit.title for hit in store.search("开源")] == ["開源模型"]
        assert [hit.title for hit in store.search("開源")] == ["開源模型"]
        assert [other.item_id for other in store.also_in("item0")] == ["item1"]
        store._connection.execute(
            "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 0)"
        )
        # The index follows later changes with the new segmentation.
        store.remove_source(1)
        assert store.search("开源") == []
    assert (tmp_path / "library.sqlite.v1.bak").exists()
