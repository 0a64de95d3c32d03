"""Removing old issues of a source, and remembering them so a refresh does not bring them back.

Which issues to keep is decided here in SQL; the policy itself comes from the source's settings.
"""

from __future__ import annotations

import sqlite3

from reader.core.store import schema
from reader.core.store.reading import EFFECTIVE_DATE
from reader.core.store.sources import BULK_DELETE_MIN_ITEMS


def remove_expired_issues(
    connection: sqlite3.Connection,
    source_id: int,
    *,
    keep_issues: int | None,
    older_than: str | None,
    now: str,
) -> int:
    """Delete the source's issues beyond its newest `keep_issues` that came out before
    `older_than` (either limit may be None: not applied); an issue with a starred or later
    item is kept whole. Each deleted issue is remembered in `tombstones`. Returns the count.
    """
    if keep_issues is None and older_than is None:
        return 0
    effective = EFFECTIVE_DATE
    rows = connection.execute(
        "SELECT id, key FROM ("
        f" SELECT iss.id, iss.key, {effective} AS effective,"
        f" row_number() OVER (ORDER BY {effective} DESC, iss.rowid) AS newest"
        " FROM issues AS iss WHERE iss.source_id = ?) AS ranked"
        " WHERE (? IS NULL OR newest > ?) AND (? IS NULL OR effective < ?)"
        " AND NOT EXISTS (SELECT 1 FROM items AS it WHERE it.issue_id = ranked.id"
        " AND it.starred = 1)"
        " AND NOT EXISTS (SELECT 1 FROM items AS it WHERE it.issue_id = ranked.id"
        " AND it.later = 1)",
        (source_id, keep_issues, keep_issues, older_than, older_than),
    ).fetchall()
    if not rows:
        return 0
    connection.executemany(
        "INSERT OR REPLACE INTO tombstones (source_id, key, removed_at) VALUES (?, ?, ?)",
        [(source_id, key, now) for _, key in rows],
    )
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS doomed_issues (id TEXT PRIMARY KEY)")
    connection.executemany("INSERT INTO temp.doomed_issues VALUES (?)", [(id_,) for id_, _ in rows])
    doomed_items, all_items = connection.execute(
        "SELECT (SELECT count(*) FROM items WHERE issue_id IN (SELECT id FROM temp.doomed_issues)),"
        " (SELECT count(*) FROM items)"
    ).fetchone()
    delete = "DELETE FROM issues WHERE id IN (SELECT id FROM temp.doomed_issues)"
    if doomed_items >= BULK_DELETE_MIN_ITEMS and doomed_items > all_items - doomed_items:
        with schema.bulk_item_delete(connection):
            connection.execute(delete)
    else:
        connection.execute(delete)
    connection.execute("DELETE FROM temp.doomed_issues")
    return len(rows)


def is_tombstoned(connection: sqlite3.Connection, source_id: int, key: str) -> bool:
    """Whether retention removed the issue `key` of this source."""
    row = connection.execute(
        "SELECT 1 FROM tombstones WHERE source_id = ? AND key = ?", (source_id, key)
    ).fetchone()
    return row is not None
