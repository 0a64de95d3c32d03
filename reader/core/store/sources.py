"""Sources (subscriptions) and their fetch state: validators, status, last error, due time.

Times are stored as ISO 8601 text in UTC; tags and settings as JSON text.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from reader.core.errors import NotFoundError, StoreError
from reader.core.model import Source
from reader.core.store import schema
from reader.core.store.reading import parse_datetime

# Below this many items, deleting them one by one from the index beats rebuilding it.
BULK_DELETE_MIN_ITEMS = 2000

SOURCE_KINDS = ("imports", "feed", "file", "folder")
SOURCE_STATUSES = ("new", "ok", "not_modified", "error")

# The fields update_source accepts, each with how its value is stored.
_TIME_FIELDS = frozenset({"last_refresh", "next_due"})
_JSON_FIELDS = frozenset({"tags", "settings"})
_PLAIN_FIELDS = frozenset(
    {"status", "error", "etag", "last_modified", "url", "title", "title_override", "interval_s"}
)
UPDATABLE_FIELDS = _TIME_FIELDS | _JSON_FIELDS | _PLAIN_FIELDS

_SOURCE_COLUMNS = (
    "src.id, src.kind, src.url, src.title, src.title_override, src.status, src.error,"
    " src.last_refresh, src.next_due, src.etag, src.last_modified, src.interval_s,"
    " src.tags, src.settings"
)


def _time_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            # Naive times from our own code are UTC (datetime.now(UTC) minus its zone).
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds")
    raise TypeError(f"expected a datetime or None, got {value!r}")


def _stored_value(field: str, value: object) -> object:
    if field in _TIME_FIELDS:
        return _time_text(value)
    if field == "tags":
        # A lone string is one tag, not a sequence of one-letter tags.
        tags = [value] if isinstance(value, str) else value
        listed = [str(tag) for tag in tags] if isinstance(tags, Sequence) else []
        return json.dumps(listed, ensure_ascii=False)
    if field == "settings":
        return json.dumps(dict(value) if isinstance(value, Mapping) else {}, ensure_ascii=False)
    if field == "status" and value not in SOURCE_STATUSES:
        raise ValueError(f"unknown source status {value!r}")
    return value


def _source_from_row(row: Sequence[object], issues: int = 0, unread: int = 0) -> Source:
    (source_id, kind, url, title, title_override, status, error, last_refresh, next_due,
     etag, last_modified, interval_s, tags, settings) = row  # fmt: skip
    return Source(
        id=int(str(source_id)),
        kind=str(kind),
        url=str(url),
        # The name a user gave wins over the feed's own title.
        title=str(title_override or title or url),
        status=str(status),
        error=None if error is None else str(error),
        last_refresh=parse_datetime(last_refresh),
        issues=issues,
        unread=unread,
        tags=tuple(str(tag) for tag in json.loads(str(tags))),
        settings=dict(json.loads(str(settings))),
        title_override=None if title_override is None else str(title_override),
        next_due=parse_datetime(next_due),
        etag=None if etag is None else str(etag),
        last_modified=None if last_modified is None else str(last_modified),
        interval_s=None if interval_s is None else int(str(interval_s)),
    )


def ensure_source(connection: sqlite3.Connection, kind: str, url: str, title: str, now: str) -> int:
    """The id of the source with `url`, created with `kind` and `title` if it is new."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {SOURCE_KINDS}")
    row = connection.execute("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
    if row is not None:
        return int(row[0])
    cursor = connection.execute(
        "INSERT INTO sources (kind, url, title, created_at) VALUES (?, ?, ?, ?)",
        (kind, url, title, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _counts(connection: sqlite3.Connection, source_id: int | None) -> dict[int, tuple[int, int]]:
    """(issues, unread items) per source id."""
    where = "" if source_id is None else "WHERE iss.source_id = ?"
    parameters = () if source_id is None else (source_id,)
    # Unread items are counted per issue first, along the partial index, so the issues
    # table is looked up once per issue rather than once per item.
    rows = connection.execute(
        "SELECT iss.source_id, count(*), coalesce(sum(unread.items), 0) FROM issues AS iss"
        " LEFT JOIN (SELECT it.issue_id, count(*) AS items FROM items AS it WHERE it.read = 0"
        f" GROUP BY it.issue_id) AS unread ON unread.issue_id = iss.id {where}"
        " GROUP BY iss.source_id",
        parameters,
    ).fetchall()
    return {
        int(source): (int(issues), int(unread))
        for source, issues, unread in rows
        if source is not None
    }


def get_source(connection: sqlite3.Connection, source_id: int) -> Source:
    """One source with its issue and unread counts."""
    row = connection.execute(
        f"SELECT {_SOURCE_COLUMNS} FROM sources AS src WHERE src.id = ?", (source_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no source with id {source_id} in the library")
    issues, unread = _counts(connection, source_id).get(source_id, (0, 0))
    return _source_from_row(row, issues, unread)


def source_by_url(connection: sqlite3.Connection, url: str) -> Source | None:
    """The source with exactly this url, if any."""
    row = connection.execute("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
    return None if row is None else get_source(connection, int(row[0]))


def list_sources(connection: sqlite3.Connection) -> list[Source]:
    """All sources in the order they were added, with issue and unread counts."""
    counts = _counts(connection, None)
    return [
        _source_from_row(row, *counts.get(int(row[0]), (0, 0)))
        for row in connection.execute(
            f"SELECT {_SOURCE_COLUMNS} FROM sources AS src ORDER BY src.id"
        )
    ]


def update_source(
    connection: sqlite3.Connection, source_id: int, fields: dict[str, object]
) -> None:
    """Set fetch-state fields of a source; unknown field names are a bug (ValueError)."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"cannot update source fields {sorted(unknown)}")
    if not fields:
        return
    names = sorted(fields)
    assignments = ", ".join(f"{name} = ?" for name in names)
    values = [_stored_value(name, fields[name]) for name in names]
    try:
        cursor = connection.execute(
            f"UPDATE sources SET {assignments} WHERE id = ?", (*values, source_id)
        )
    except sqlite3.IntegrityError as error:
        if "url" in fields:
            raise StoreError(
                f"cannot move the source to {fields['url']}: another source has that address"
            ) from error
        raise
    if cursor.rowcount == 0:
        raise NotFoundError(f"no source with id {source_id} in the library")


def remove_source(connection: sqlite3.Connection, source_id: int) -> int:
    """Delete a source and its issues, except issues holding starred or later items.

    Kept issues lose their source (source_id NULL). Returns how many issues were kept.
    """
    if connection.execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone() is None:
        raise NotFoundError(f"no source with id {source_id} in the library")
    # Two probes of the partial indexes rather than one scan of each issue's items.
    doomed = (
        "FROM issues WHERE source_id = ? AND NOT EXISTS ("
        " SELECT 1 FROM items AS it WHERE it.issue_id = issues.id AND it.starred = 1"
        " UNION ALL"
        " SELECT 1 FROM items AS it WHERE it.issue_id = issues.id AND it.later = 1)"
    )
    doomed_items, all_items = connection.execute(
        f"SELECT (SELECT count(*) FROM items WHERE issue_id IN (SELECT id {doomed})),"
        " (SELECT count(*) FROM items)",
        (source_id,),
    ).fetchone()
    if doomed_items >= BULK_DELETE_MIN_ITEMS and doomed_items > all_items - doomed_items:
        with schema.bulk_item_delete(connection):
            connection.execute(f"DELETE {doomed}", (source_id,))
    else:
        connection.execute(f"DELETE {doomed}", (source_id,))
    kept = connection.execute(
        "SELECT count(*) FROM issues WHERE source_id = ?", (source_id,)
    ).fetchone()
    connection.execute("DELETE FROM sources WHERE id = ?", (source_id,))
    return int(kept[0])


def update_source_settings(
    connection: sqlite3.Connection, source_id: int, changes: Mapping[str, object]
) -> None:
    """Merge `changes` into a source's settings (a None value removes the key), atomically,
    so that a refresh writing other settings at the same time loses nothing."""
    cursor = connection.execute(
        "UPDATE sources SET settings = json_patch(settings, ?) WHERE id = ?",
        (json.dumps(dict(changes), ensure_ascii=False), source_id),
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"no source with id {source_id} in the library")
