"""Saved articles: each item's source page as Markdown, or why it could not be saved.

One row per item; an article saved for one item also serves items of the same story.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from reader.core.model import Article
from reader.core.store.flags import MAX_PARAMETERS_PER_QUERY

_COLUMNS = "item_id, url, title, markdown, error, fetched_at"


def _article_from_row(row: Sequence[object]) -> Article:
    item_id, url, title, markdown, error, fetched_at = row
    return Article(
        item_id=str(item_id),
        url=str(url),
        fetched_at=datetime.fromisoformat(str(fetched_at)),
        markdown=None if markdown is None else str(markdown),
        title=None if title is None else str(title),
        error=None if error is None else str(error),
    )


def store_article(connection: sqlite3.Connection, article: Article) -> None:
    """Store (or replace) the article of one item."""
    fetched_at = article.fetched_at
    if fetched_at.utcoffset() is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    # An upsert rather than INSERT OR REPLACE: the rows REPLACE deletes fire no delete
    # trigger, which would leave the old text in the search index.
    connection.execute(
        f"INSERT INTO articles ({_COLUMNS}, item_rowid)"
        " VALUES (?, ?, ?, ?, ?, ?, (SELECT rowid FROM items WHERE id = ?))"
        " ON CONFLICT (item_id) DO UPDATE SET url = excluded.url, title = excluded.title,"
        " markdown = excluded.markdown, error = excluded.error,"
        " fetched_at = excluded.fetched_at, item_rowid = excluded.item_rowid",
        (
            article.item_id,
            article.url,
            article.title,
            article.markdown,
            article.error,
            fetched_at.astimezone(UTC).isoformat(timespec="seconds"),
            article.item_id,
        ),
    )


def load_article(connection: sqlite3.Connection, item_id: str) -> Article | None:
    """The saved article (or failure) of an item, or None if it was never saved."""
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM articles WHERE item_id = ?", (item_id,)
    ).fetchone()
    return None if row is None else _article_from_row(row)


def articles_for_issue(connection: sqlite3.Connection, issue_id: str) -> dict[str, Article]:
    """The saved articles (and failures) of an issue's items, by item id."""
    rows = connection.execute(
        f"SELECT {', '.join('a.' + name for name in _COLUMNS.split(', '))}"
        " FROM items AS it JOIN articles AS a ON a.item_id = it.id WHERE it.issue_id = ?",
        (issue_id,),
    )
    return {str(row[0]): _article_from_row(row) for row in rows}


def saved_item_ids(connection: sqlite3.Connection, item_ids: Sequence[str]) -> set[str]:
    """Those of `item_ids` whose article is saved (failures not counted)."""
    saved: set[str] = set()
    for start in range(0, len(item_ids), MAX_PARAMETERS_PER_QUERY):
        chunk = item_ids[start : start + MAX_PARAMETERS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        saved.update(
            str(row[0])
            for row in connection.execute(
                f"SELECT item_id FROM articles WHERE markdown IS NOT NULL AND item_id IN ({marks})",
                chunk,
            )
        )
    return saved


def article_of_same_story(connection: sqlite3.Connection, item_id: str) -> Article | None:
    """The newest saved article of another item with the same canonical url, if any."""
    row = connection.execute(
        f"SELECT {', '.join('a.' + name for name in _COLUMNS.split(', '))}"
        " FROM items AS it JOIN items AS other ON other.canonical_url = it.canonical_url"
        " AND other.id <> it.id JOIN articles AS a ON a.item_id = other.id"
        " WHERE it.id = ? AND it.canonical_url IS NOT NULL AND a.markdown IS NOT NULL"
        " ORDER BY a.fetched_at DESC LIMIT 1",
        (item_id,),
    ).fetchone()
    return None if row is None else _article_from_row(row)
