"""Reading issues, sections and items back as model objects, in reading order.

Every list query walks an index in the order it returns rows, so a first page costs a few rows.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime

from reader.core.errors import NotFoundError
from reader.core.model import Issue, Item, Section
from reader.core.store.flags import MAX_PARAMETERS_PER_QUERY

VIEWS = ("all", "unread", "starred", "later")

# Written out literally (not as parameters) so the planner can pick the partial indexes.
_VIEW_CLAUSES = {
    "all": "",
    "unread": "it.read = 0",
    "starred": "it.starred = 1",
    "later": "it.later = 1",
}

ITEM_COLUMNS = (
    "it.id, it.issue_id, it.section_id, it.title, it.url, it.body, it.links,"
    " it.read, it.starred, it.later, it.position,"
    # One probe of the canonical-url index per row (a page is a hundred rows at most).
    " (SELECT count(*) FROM items AS other WHERE other.canonical_url = it.canonical_url"
    " AND other.issue_id <> it.issue_id)"
)

# Newest first, undated issues last, then in the order they were added.
ISSUE_ORDER = "iss.sort_date DESC, iss.rowid"

# When an issue (`issues AS iss`) came out, for retention and date filters: its own date,
# else when it was stored; both as 'YYYY-MM-DDTHH:MM:SS', in UTC when the date had a zone.
EFFECTIVE_DATE = "coalesce(iss.sort_date, substr(iss.added_at, 1, 19))"


def parse_datetime(text: object) -> datetime | None:
    """A stored ISO 8601 text as a datetime (naive stays naive), None if absent or odd."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def item_from_row(row: Sequence[object]) -> Item:
    """An Item from a row selected with ITEM_COLUMNS."""
    (item_id, issue_id, section_id, title, url, body, links, read, starred, later, position,
     also_in) = row  # fmt: skip
    return Item(
        id=str(item_id),
        issue_id=str(issue_id),
        section_id=str(section_id),
        title=str(title),
        url=None if url is None else str(url),
        body=str(body),
        links=tuple(json.loads(str(links))),
        read=bool(read),
        starred=bool(starred),
        later=bool(later),
        position=int(str(position)),
        also_in=int(str(also_in)),
    )


def view_clause(view: str) -> str:
    """The condition on `items AS it` for a view; raises ValueError for an unknown view."""
    try:
        return _VIEW_CLAUSES[view]
    except KeyError:
        raise ValueError(f"unknown view {view!r}; expected one of {', '.join(VIEWS)}") from None


def item_filter(
    *, issue_id: str | None, section_id: str | None, source_id: int | None, view: str
) -> tuple[str, list[object]]:
    """A WHERE condition over `items AS it` and its parameters (never empty: '1' for all)."""
    clauses: list[str] = []
    parameters: list[object] = []
    if issue_id is not None:
        clauses.append("it.issue_id = ?")
        parameters.append(issue_id)
    if section_id is not None:
        clauses.append("it.section_id = ?")
        parameters.append(section_id)
    if source_id is not None:
        clauses.append("it.issue_id IN (SELECT id FROM issues WHERE source_id = ?)")
        parameters.append(source_id)
    clause = view_clause(view)
    if clause:
        clauses.append(clause)
    return (" AND ".join(clauses) or "1"), parameters


def _issue_from_row(row: Sequence[object], sections: tuple[Section, ...] = ()) -> Issue:
    issue_id, source_id, title, date, url, file, source_title, items, unread = row
    return Issue(
        id=str(issue_id),
        source_id=None if source_id is None else int(str(source_id)),
        title=str(title),
        date=parse_datetime(date),
        url=None if url is None else str(url),
        file=None if file is None else str(file),
        source_title=None if source_title is None else str(source_title),
        items=int(str(items)),
        unread=int(str(unread)),
        sections=sections,
    )


_ISSUE_COLUMNS = (
    "iss.id, iss.source_id, iss.title, iss.date, iss.url, iss.file,"
    " coalesce(nullif(src.title_override, ''), nullif(src.title, ''), src.url),"
    " (SELECT count(*) FROM items AS it WHERE it.issue_id = iss.id),"
    " (SELECT count(*) FROM items AS it WHERE it.issue_id = iss.id AND it.read = 0)"
)


def list_issues(
    connection: sqlite3.Connection,
    source_id: int | None,
    *,
    limit: int,
    offset: int,
    unread_only: bool,
) -> list[Issue]:
    """Issues newest first with their item and unread counts; sections left empty."""
    clauses: list[str] = []
    parameters: list[object] = []
    if source_id is not None:
        clauses.append("iss.source_id = ?")
        parameters.append(source_id)
    if unread_only:
        clauses.append(
            "EXISTS (SELECT 1 FROM items AS it WHERE it.issue_id = iss.id AND it.read = 0)"
        )
    where = " AND ".join(clauses) or "1"
    rows = connection.execute(
        f"SELECT {_ISSUE_COLUMNS} FROM issues AS iss LEFT JOIN sources AS src"
        f" ON src.id = iss.source_id WHERE {where} ORDER BY {ISSUE_ORDER} LIMIT ? OFFSET ?",
        (*parameters, limit, offset),
    ).fetchall()
    return [_issue_from_row(row) for row in rows]


def load_issue(connection: sqlite3.Connection, issue_id: str) -> Issue:
    """One issue with all its sections and items."""
    row = connection.execute(
        f"SELECT {_ISSUE_COLUMNS} FROM issues AS iss LEFT JOIN sources AS src"
        " ON src.id = iss.source_id WHERE iss.id = ?",
        (issue_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no issue with id {issue_id!r} in the library")
    items_by_section: dict[str, list[Item]] = {}
    for item_row in connection.execute(
        f"SELECT {ITEM_COLUMNS} FROM items AS it WHERE it.issue_id = ? ORDER BY it.position",
        (issue_id,),
    ):
        item = item_from_row(item_row)
        items_by_section.setdefault(item.section_id, []).append(item)
    sections = tuple(
        Section(
            id=str(section_id),
            issue_id=issue_id,
            title=str(title),
            items=tuple(items_by_section.get(str(section_id), ())),
            position=int(position),
        )
        for section_id, title, position in connection.execute(
            "SELECT id, title, position FROM sections WHERE issue_id = ? ORDER BY position",
            (issue_id,),
        )
    )
    return _issue_from_row(row, sections)


def load_item(connection: sqlite3.Connection, item_id: str) -> Item:
    """One item by its full id."""
    row = connection.execute(
        f"SELECT {ITEM_COLUMNS} FROM items AS it WHERE it.id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no item with id {item_id!r} in the library")
    return item_from_row(row)


def _section_issue(connection: sqlite3.Connection, section_id: str) -> str | None:
    row = connection.execute("SELECT issue_id FROM sections WHERE id = ?", (section_id,)).fetchone()
    return None if row is None else str(row[0])


def items_page(
    connection: sqlite3.Connection,
    *,
    issue_id: str | None,
    section_id: str | None,
    source_id: int | None,
    view: str,
    offset: int,
    limit: int,
) -> list[Item]:
    """A page of items in reading order: newest issue first, then position in the issue."""
    if section_id is not None and issue_id is None:
        # Through the issue, so the (issue_id, position) index and its partial twins serve.
        issue_id = _section_issue(connection, section_id)
        if issue_id is None:
            return []
    where, parameters = item_filter(
        issue_id=issue_id, section_id=section_id, source_id=None, view=view
    )
    if issue_id is not None:
        if source_id is not None:
            where += " AND it.issue_id IN (SELECT id FROM issues WHERE source_id = ?)"
            parameters.append(source_id)
        sql = (
            f"SELECT {ITEM_COLUMNS} FROM items AS it WHERE {where}"
            " ORDER BY it.position LIMIT ? OFFSET ?"
        )
    else:
        # CROSS JOIN fixes the loop order: walk issues newest first along their index and
        # fetch each one's items in position order, so the page stops after `limit` rows
        # instead of sorting every item.
        if source_id is not None:
            where += " AND iss.source_id = ?"
            parameters.append(source_id)
        sql = (
            f"SELECT {ITEM_COLUMNS} FROM issues AS iss CROSS JOIN items AS it"
            f" ON it.issue_id = iss.id WHERE {where}"
            f" ORDER BY {ISSUE_ORDER}, it.position LIMIT ? OFFSET ?"
        )
    rows = connection.execute(sql, (*parameters, limit, offset)).fetchall()
    return [item_from_row(row) for row in rows]


def count_items(
    connection: sqlite3.Connection,
    *,
    issue_id: str | None,
    section_id: str | None,
    source_id: int | None,
    view: str,
) -> int:
    """How many items `items_page` would list with the same filters, over all pages."""
    where, parameters = item_filter(
        issue_id=issue_id, section_id=section_id, source_id=source_id, view=view
    )
    row = connection.execute(
        f"SELECT count(*) FROM items AS it WHERE {where}", parameters
    ).fetchone()
    return int(row[0])


def unread_counts_by_section(connection: sqlite3.Connection, issue_id: str) -> dict[str, int]:
    """Unread items per section of an issue; every section present, zero included."""
    counts = {
        str(section_id): 0
        for (section_id,) in connection.execute(
            "SELECT id FROM sections WHERE issue_id = ? ORDER BY position", (issue_id,)
        )
    }
    for section_id, unread in connection.execute(
        "SELECT section_id, count(*) FROM items AS it WHERE it.issue_id = ? AND it.read = 0"
        " GROUP BY section_id",
        (issue_id,),
    ):
        counts[str(section_id)] = int(unread)
    return counts


def resolve_id(connection: sqlite3.Connection, table: str, noun: str, id_or_prefix: str) -> str:
    """The one full id in `table` equal to or starting with `id_or_prefix`."""
    prefix = id_or_prefix.strip().lower()
    if not prefix:
        raise NotFoundError(f"no {noun} id given")
    # A range over the unique index instead of LIKE, which could not use it.
    upper = prefix[:-1] + chr(min(ord(prefix[-1]) + 1, sys.maxunicode))
    rows = connection.execute(
        f"SELECT id FROM {table} WHERE id = ? OR (id >= ? AND id < ?) ORDER BY id LIMIT 6",
        (prefix, prefix, upper),
    ).fetchall()
    ids = [str(row[0]) for row in rows]
    if prefix in ids:
        return prefix
    if not ids:
        raise NotFoundError(f"no {noun} id starts with {id_or_prefix.strip()!r}")
    if len(ids) > 1:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise NotFoundError(
            f"{id_or_prefix.strip()!r} is the start of several {noun} ids ({shown}):"
            " type more of the id"
        )
    return ids[0]


def existing_item_ids(connection: sqlite3.Connection, item_ids: Sequence[str]) -> list[str]:
    """Those of `item_ids` that are in the library, in the order given."""
    found: set[str] = set()
    for start in range(0, len(item_ids), MAX_PARAMETERS_PER_QUERY):
        chunk = item_ids[start : start + MAX_PARAMETERS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        found.update(
            str(row[0])
            for row in connection.execute(f"SELECT id FROM items WHERE id IN ({marks})", chunk)
        )
    return [item_id for item_id in item_ids if item_id in found]
