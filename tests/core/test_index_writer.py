"""The search index as the store writes it: new items are indexed by the writer (with text
segmented ahead, in a parser process during a refresh), updates and deletes by triggers.

Whatever the path, the index must hold exactly what rebuilding it from the items gives.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pytest

from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.core.refresh import Refresher
from reader.core.store import Store, prepare_issue, schema

ISSUE_TITLE_WORD = "zebrafinch"


def _issue(title: str, items: list[tuple[str, str | None, str]], day: int = 1) -> ParsedIssue:
    parsed = tuple(ParsedItem(t, url, body) for t, url, body in items)
    return ParsedIssue(title, datetime(2025, 3, day), None, (ParsedSection("新闻 News", parsed),))


FIRST = _issue(
    "Weekly 1",
    [
        (f"The {ISSUE_TITLE_WORD} release", "https://example.com/a?utm_source=x", "Plain text."),
        ("開源模型發佈", "https://example.com/b", "一個新的開源模型，支持長文本。"),
        ("Mixed 中文 and English", None, "Body with **bold** and 中文混排 text."),
    ],
)


def _index_terms(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Every (term, rowid, column, offset) the index holds."""
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING fts5vocab(main, items_fts, instance)"
    )
    return sorted(connection.execute("SELECT term, doc, col, offset FROM temp.terms"))


def _index_matches_a_rebuild(store: Store) -> list[tuple[object, ...]]:
    connection = store._connection
    written = _index_terms(connection)
    with store.transaction():
        schema.rebuild_search_index(connection)
    assert _index_terms(connection) == written
    return written


def _record_stored_kinds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class name of every issue handed to Store.upsert_issues from now on."""
    kinds: list[str] = []
    original = Store.upsert_issues

    def recording(store: Store, source_id: int, parsed: Iterable[object]) -> object:
        issues = list(parsed)
        kinds.extend(type(issue).__name__ for issue in issues)
        return original(store, source_id, issues)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "upsert_issues", recording)
    return kinds


def test_prepared_and_plain_issues_index_the_same_terms(tmp_path: Path) -> None:
    indexes = []
    for name, issue in (("plain", FIRST), ("prepared", prepare_issue(FIRST))):
        with Store(tmp_path / f"{name}.sqlite") as store:
            source_id = store.ensure_source("feed", "https://example.com/feed", "Feed")
            store.upsert_issues(source_id, [issue])
            indexes.append(_index_matches_a_rebuild(store))
    assert indexes[0] == indexes[1]
    # Titles and bodies land in their own columns: the title word is in column 0 only.
    assert {col for term, _, col, _ in indexes[0] if term == ISSUE_TITLE_WORD} == {"title"}
    # Traditional Chinese is folded and cut into characters and bigrams.
    assert {"开源", "模型", "发", "长"} <= {str(term) for term, *_ in indexes[0]}


def test_search_and_stories_work_on_prepared_items(tmp_path: Path) -> None:
    with Store(tmp_path / "library.sqlite") as store:
        source_id = store.ensure_source("feed", "https://example.com/feed", "Feed")
        store.upsert_issues(source_id, [prepare_issue(FIRST)])
        assert [hit.title for hit in store.search(ISSUE_TITLE_WORD)] == [
            f"The {ISSUE_TITLE_WORD} release"
        ]
        assert [hit.title for hit in store.search("开源")] == ["開源模型發佈"]
        (url,) = store._connection.execute(
            "SELECT canonical_url FROM items WHERE title LIKE 'The %'"
        ).fetchone()
        assert url == "https://example.com/a"


def test_updates_and_deletes_keep_the_index_equal_to_a_rebuild(tmp_path: Path) -> None:
    with Store(tmp_path / "library.sqlite") as store:
        source_id = store.ensure_source("feed", "https://example.com/feed", "Feed")
        store.upsert_issues(source_id, [prepare_issue(FIRST)])
        changed = _issue(
            "Weekly 1",
            [
                ("開源模型發佈", "https://example.com/b", "改过的正文：模型更新。"),
                ("A new item", "https://example.com/c", "Fresh words here."),
            ],
        )
        store.upsert_issues(source_id, [prepare_issue(changed)])
        terms = {str(term) for term, *_ in _index_matches_a_rebuild(store)}
        assert ISSUE_TITLE_WORD not in terms  # its item left the issue
        assert {"fresh", "更新"} <= terms
        assert store.search(ISSUE_TITLE_WORD) == []


def test_a_refresh_indexes_what_its_parser_processes_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kinds = _record_stored_kinds(monkeypatch)
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    entries = "".join(
        f"<item><title>Post {n}</title><link>https://blog.example.org/{n}</link>"
        f"<guid>post-{n}</guid><description>&lt;p&gt;第{n}篇 {ISSUE_TITLE_WORD}{n} "
        f"文章&lt;/p&gt;</description></item>"
        for n in range(5)
    )
    with Store(tmp_path / "library.sqlite") as store:
        for n in range(8):  # enough sources for parser processes
            path = feeds / f"{n}.xml"
            path.write_text(
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog {n}</title>'
                f"{entries}</channel></rss>",
                encoding="utf-8",
            )
            store.ensure_source("file", str(path), f"Blog {n}")
        outcomes = Refresher(store).run(store.sources())
        assert [outcome.status for outcome in outcomes] == ["ok"] * 8
        assert sum(outcome.new_items for outcome in outcomes) == 40
        assert kinds == ["PreparedIssue"] * 40  # segmented in the parser processes
        _index_matches_a_rebuild(store)
        assert len(store.search(f"{ISSUE_TITLE_WORD}3", limit=50)) == 8
        assert len(store.search("文章", limit=50)) == 40


def test_a_version_3_library_upgrades_and_keeps_its_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.sqlite"
    # Written by a version-4 store, then set back to version 3 below.
    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
        with Store(path) as store:
            source_id = store.ensure_source("feed", "https://example.com/feed", "Feed")
            store.upsert_issues(source_id, [FIRST])
    # Put the file back to version 3 as the previous reader left it: the insert trigger.
    connection = sqlite3.connect(path, isolation_level=None)
    connection.create_function("reader_segment", 1, lambda text: text)
    connection.execute(
        "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN"
        " INSERT INTO items_fts (rowid, title, body)"
        " VALUES (new.rowid, reader_segment(new.title), reader_segment(new.body)); END"
    )
    connection.execute("PRAGMA user_version = 3")
    connection.close()
    with Store(path) as store:
        triggers = {
            name
            for (name,) in store._connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
        }
        assert {name for name in triggers if name.startswith("items")} == {
            "items_fts_delete",
            "items_fts_update",
        }
        (automerge,) = store._connection.execute(
            "SELECT v FROM items_fts_config WHERE k = 'automerge'"
        ).fetchone()
        assert automerge == schema.FTS_AUTOMERGE
        store.upsert_issues(source_id, [_issue("Weekly 2", [("Later", None, "开源")], day=8)])
        _index_matches_a_rebuild(store)
        assert len(store.search("开源")) == 2
    assert (tmp_path / "library.sqlite.v3.bak").exists()


def test_an_import_in_worker_processes_indexes_what_they_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kinds = _record_stored_kinds(monkeypatch)
    from reader.core.bulk_import import IMPORT_POOL_MIN_FILES
    from reader.core.library import Library

    folder = tmp_path / "issues"
    folder.mkdir()
    count = IMPORT_POOL_MIN_FILES + 5
    for n in range(count):
        (folder / f"{n:03d}.md").write_text(
            f"# 週報 {n}\n\n## 新聞\n\n- [開源項目 {ISSUE_TITLE_WORD}{n}](https://example.com/{n})"
            f"：支援長文本。\n- [Second](https://example.com/{n}/b): plain words\n",
            encoding="utf-8",
        )
    with Library(tmp_path / "library.sqlite") as library:
        report = library.import_paths([folder])
        assert not report.problems
        assert kinds == ["PreparedIssue"] * count  # segmented in the worker processes
        store = library.store
        _index_matches_a_rebuild(store)
        assert len(store.search("开源项目", limit=100)) == count
        assert len(store.search(f"{ISSUE_TITLE_WORD}7", limit=100)) == 1
