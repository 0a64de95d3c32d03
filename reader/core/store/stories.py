"""The same story in several issues: items whose links share one canonical url.

Nothing is merged: each item stays where its issue put it, and these queries find the others.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from reader.core.model import AlsoIn

# Other items of one story that a listing names; a link to a home page can be in every issue.
ALSO_IN_MAX = 50

_OTHER_ITEMS = (
    "SELECT it.id, other.id, other.issue_id, iss.title, sec.title FROM items AS it"
    " JOIN items AS other ON other.canonical_url = it.canonical_url"
    " AND other.issue_id <> it.issue_id"
    " JOIN issues AS iss ON iss.id = other.issue_id"
    " JOIN sections AS sec ON sec.id = other.section_id"
    " WHERE {where} AND it.canonical_url IS NOT NULL"
    " ORDER BY it.position, iss.sort_date DESC, iss.rowid, other.position"
)


def _group(rows: Iterable[tuple[object, ...]]) -> dict[str, list[AlsoIn]]:
    grouped: dict[str, list[AlsoIn]] = {}
    for item_id, other_id, issue_id, issue_title, section_title in rows:
        others = grouped.setdefault(str(item_id), [])
        if len(others) < ALSO_IN_MAX:
            others.append(
                AlsoIn(str(other_id), str(issue_id), str(issue_title), str(section_title))
            )
    return grouped


def also_in(connection: sqlite3.Connection, item_id: str) -> list[AlsoIn]:
    """Items of other issues with the same story as `item_id`, newest issue first."""
    rows = connection.execute(_OTHER_ITEMS.format(where="it.id = ?"), (item_id,))
    return _group(rows).get(item_id, [])


def also_in_for_issue(connection: sqlite3.Connection, issue_id: str) -> dict[str, list[AlsoIn]]:
    """For each item of an issue that is told elsewhere too, the other items (newest first)."""
    rows = connection.execute(_OTHER_ITEMS.format(where="it.issue_id = ?"), (issue_id,))
    return _group(rows)


def mark_repeats_read(connection: sqlite3.Connection, after_rowid: int, now: str) -> int:
    """Mark read the items added after `after_rowid` whose story an earlier item of another
    issue already told; returns how many."""
    cursor = connection.execute(
        "UPDATE items SET read = 1, read_at = coalesce(read_at, ?)"
        " WHERE rowid > ? AND read = 0 AND canonical_url IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM items AS other WHERE other.canonical_url = items.canonical_url"
        " AND other.issue_id <> items.issue_id AND other.rowid < items.rowid)",
        (now, after_rowid),
    )
    return cursor.rowcount
