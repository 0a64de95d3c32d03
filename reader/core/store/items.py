"""Writing issues with their sections and items, new or re-imported, in batches.

A re-imported issue is matched item by item (identity.py), so ids and flags survive edits.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from reader.core.canonical import canonical_url
from reader.core.model import ParsedIssue, ParsedItem, identity_text, stable_id
from reader.core.store import identity, retention, settings, stories
from reader.core.store.segment import segment

# What storing an item needs beyond the item: its title and body as the search index takes
# them (segment()) and its canonical url. Pure functions of the item, so a parser process
# can work them out while the store is busy (see PreparedIssue).
ItemDerived = tuple[str, str, str | None]


def derive(item: ParsedItem) -> ItemDerived:
    """The search text and canonical url of one item."""
    return (segment(item.title), segment(item.body), canonical_url(item.url))


@dataclass(frozen=True, slots=True)
class PreparedIssue:
    """A parsed issue with `derive` already applied to each item, in reading order.

    The store accepts it wherever it accepts a ParsedIssue; the derived values are only
    used for items it inserts, so a stale one can never reach an existing row.
    """

    parsed: ParsedIssue
    derived: tuple[ItemDerived, ...]


def prepare_issue(parsed: ParsedIssue) -> PreparedIssue:
    """`parsed` with every item's derived values worked out."""
    derived = tuple(derive(item) for section in parsed.sections for item in section.items)
    return PreparedIssue(parsed, derived)


def unprepared(issue: ParsedIssue | PreparedIssue) -> ParsedIssue:
    """The parsed issue itself, prepared or not."""
    return issue.parsed if isinstance(issue, PreparedIssue) else issue


@dataclass(frozen=True)
class UpsertResult:
    """What storing one parsed issue did."""

    issue_id: str
    is_new_issue: bool
    new_items: int
    changed: bool
    # The issue was not stored: retention removed it before and its source still serves it
    # (there is no issue `issue_id` in the library).
    skipped: bool = False


def utc_now_text() -> str:
    """The current time as stored: ISO 8601, UTC, whole seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def issue_key(parsed: ParsedIssue) -> str:
    """What identifies an issue within its source: the feed's key, else title and date."""
    if parsed.key:
        return parsed.key
    date_text = parsed.date.isoformat() if parsed.date else ""
    return identity_text(parsed.title) + "|" + date_text


def sort_date_text(date: datetime | None) -> str | None:
    """The ordering key of a date: aware dates in UTC, naive dates as written."""
    if date is None:
        return None
    if date.utcoffset() is not None:
        try:
            date = date.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            # Within a day of year 1 or 9999: the wall time orders well enough.
            date = date.replace(tzinfo=None)
    return date.isoformat(timespec="seconds")


def _links_json(item: ParsedItem) -> str:
    return json.dumps(list(item.links), ensure_ascii=False)


# One place in the new layout: a parsed item with its place in reading order, the stored
# item it matched or that is kept, and the id for a parsed item that matched nothing.
_Entry = tuple[ParsedItem | None, int, identity.StoredItem | None, str | None]

_INSERT_SECTION = "INSERT INTO sections (id, issue_id, position, title) VALUES (?, ?, ?, ?)"
_ITEM_FIELDS = "id, issue_id, section_id, position, title, url, body, links, added_at"
# Gathered item changes are written in chunks of this many to bound memory.
PENDING_CHANGES_MAX = 20_000


class IssueWriter:
    """Stores parsed issues inside the caller's transaction; call `flush` before committing.

    Item inserts, updates and deletes are gathered and written by one statement each: FTS5
    writes its pending tokens to disk at every statement that reaches it through a trigger
    (updates and deletes do), so one statement per item would leave thousands of tiny index
    segments to merge and make an import about ten times slower. Inserts are indexed here,
    by one executemany, which FTS5 buffers until the commit.
    """

    def __init__(self, connection: sqlite3.Connection, now: str) -> None:
        self._connection = connection
        self._now = now
        self._inserts: list[tuple[object, ...]] = []
        self._updates: list[tuple[object, ...]] = []
        self._deletes: list[tuple[int]] = []
        # Sections go after their items have moved out, or the cascade would take the items.
        self._section_deletes: list[tuple[str]] = []
        # Issues with gathered changes: reading one back must flush first.
        self._touched: set[str] = set()
        self._mark_repeats_read = bool(
            settings.get_setting(connection, settings.AUTO_READ_REPEATS, False)
        )
        # Whether each source's removed issues stay removed (all but the imports do).
        self._honours_tombstones: dict[int, bool] = {}
        # (source id, item id) of every item inserted, in order, and each issue's source.
        self.inserted: list[tuple[int, str]] = []
        self._issue_sources: dict[str, int] = {}

    def flush(self) -> None:
        """Write the gathered item changes: deletes first, so their ids may be reused."""
        connection = self._connection
        if self._deletes:
            connection.executemany("INSERT INTO temp.pending_deletes VALUES (?)", self._deletes)
            connection.execute(
                "DELETE FROM items WHERE rowid IN (SELECT item_rowid FROM temp.pending_deletes)"
            )
            connection.execute("DELETE FROM temp.pending_deletes")
        if self._updates:
            connection.executemany(
                "INSERT INTO temp.pending_updates VALUES (?, ?, ?, ?, ?, ?, ?)", self._updates
            )
            connection.execute(
                "UPDATE items SET section_id = change.section_id, position = change.position,"
                " title = change.title, url = change.url, body = change.body,"
                " links = change.links, canonical_url = reader_canonical_url(change.url)"
                " FROM temp.pending_updates AS change WHERE items.rowid = change.item_rowid"
            )
            connection.execute("DELETE FROM temp.pending_updates")
        if self._inserts:
            (last_rowid,) = connection.execute(
                "SELECT coalesce(max(rowid), 0) FROM items"
            ).fetchone()
            # Rowids in gathering order, so that they (which search treats as age) follow
            # import order; the index rows take the same ones.
            first = int(last_rowid) + 1
            connection.executemany(
                f"INSERT INTO items (rowid, {_ITEM_FIELDS}, canonical_url)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(first + n, *row[:9], row[11]) for n, row in enumerate(self._inserts)],
            )
            # New items are indexed here rather than by a trigger, with the text segmented
            # ahead (often in a parser process); updates and deletes still go by trigger.
            connection.executemany(
                "INSERT INTO items_fts (rowid, title, body) VALUES (?, ?, ?)",
                [(first + n, row[9], row[10]) for n, row in enumerate(self._inserts)],
            )
            self.inserted += [
                (self._issue_sources[str(row[1])], str(row[0])) for row in self._inserts
            ]
            if self._mark_repeats_read:
                stories.mark_repeats_read(connection, int(last_rowid), self._now)
        connection.executemany("DELETE FROM sections WHERE id = ?", self._section_deletes)
        for pending in (self._inserts, self._updates, self._deletes, self._section_deletes):
            pending.clear()
        self._touched.clear()

    def _gathered(self, issue_id: str) -> None:
        self._touched.add(issue_id)
        if len(self._inserts) + len(self._updates) + len(self._deletes) >= PENDING_CHANGES_MAX:
            self.flush()

    def upsert(self, source_id: int, issue: ParsedIssue | PreparedIssue) -> UpsertResult:
        """Store one parsed issue, inserting it or updating the stored version."""
        connection = self._connection
        parsed = unprepared(issue)
        derived = issue.derived if isinstance(issue, PreparedIssue) else None
        key = issue_key(parsed)
        issue_id = stable_id(str(source_id), key)
        self._issue_sources[issue_id] = source_id
        if issue_id in self._touched:
            # The same issue twice in one batch: the second must see the first's items.
            self.flush()
        date_text = parsed.date.isoformat() if parsed.date else None
        sort_date = sort_date_text(parsed.date)
        row = connection.execute(
            "SELECT title, date, sort_date, url, file FROM issues WHERE id = ?", (issue_id,)
        ).fetchone()
        if (
            row is None
            and self._honours_tombstones_of(source_id)
            and retention.is_tombstoned(connection, source_id, key)
        ):
            return UpsertResult(issue_id, False, 0, False, skipped=True)
        if row is None:
            connection.execute(
                "INSERT INTO issues (id, source_id, key, title, date, sort_date, url, file,"
                " added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (issue_id, source_id, key, parsed.title, date_text, sort_date, parsed.url,
                 parsed.file, self._now, self._now),
            )  # fmt: skip
            new_items = self._insert_contents(issue_id, parsed, derived)
            self._gathered(issue_id)
            return UpsertResult(issue_id, True, new_items, True)

        changed = False
        file = parsed.file if parsed.file is not None else row[4]
        wanted = (parsed.title, date_text, sort_date, parsed.url, file)
        if tuple(row) != wanted:
            connection.execute(
                "UPDATE issues SET title = ?, date = ?, sort_date = ?, url = ?, file = ?,"
                " updated_at = ? WHERE id = ?",
                (*wanted, self._now, issue_id),
            )
            changed = True
        new_items, items_changed = self._update_contents(issue_id, parsed, derived)
        if items_changed:
            self._gathered(issue_id)
            if not changed:
                connection.execute(
                    "UPDATE issues SET updated_at = ? WHERE id = ?", (self._now, issue_id)
                )
        return UpsertResult(issue_id, False, new_items, changed or items_changed)

    def _honours_tombstones_of(self, source_id: int) -> bool:
        # Files the user imports come back when imported again; feeds and folders do not.
        honours = self._honours_tombstones.get(source_id)
        if honours is None:
            row = self._connection.execute(
                "SELECT kind FROM sources WHERE id = ?", (source_id,)
            ).fetchone()
            honours = self._honours_tombstones[source_id] = row is not None and row[0] != "imports"
        return honours

    def _insert_contents(
        self, issue_id: str, parsed: ParsedIssue, derived: tuple[ItemDerived, ...] | None
    ) -> int:
        """Insert the sections and gather the items of a new issue; returns the item count."""
        section_ids = identity.section_ids(issue_id, (section.title for section in parsed.sections))
        self._connection.executemany(
            _INSERT_SECTION,
            [
                (section_id, issue_id, position, section.title)
                for position, (section_id, section) in enumerate(
                    zip(section_ids, parsed.sections, strict=True)
                )
            ],
        )
        flat = [
            (section_id, item)
            for section_id, section in zip(section_ids, parsed.sections, strict=True)
            for item in section.items
        ]
        items = [item for _, item in flat]
        item_ids = identity.new_item_ids(issue_id, items, [None] * len(items), set())
        if derived is None:
            derived = tuple(derive(item) for item in items)
        self._inserts.extend(
            (item_id, issue_id, section_id, position, item.title, item.url, item.body,
             _links_json(item), self._now, *extra)
            for position, (item_id, (section_id, item), extra) in enumerate(
                zip(item_ids, flat, derived, strict=True)
            )
        )  # fmt: skip
        return len(flat)

    def _update_contents(
        self, issue_id: str, parsed: ParsedIssue, derived: tuple[ItemDerived, ...] | None
    ) -> tuple[int, bool]:
        """Bring a stored issue's sections and items in line with `parsed`.

        Section changes are written at once; item changes are gathered for `flush`.
        Returns the number of new items and whether anything changes.
        """
        connection = self._connection
        stored_sections = {
            str(section_id): (int(position), str(title))
            for section_id, position, title in connection.execute(
                "SELECT id, position, title FROM sections WHERE issue_id = ?", (issue_id,)
            )
        }
        stored = [
            identity.StoredItem(row)
            for row in connection.execute(
                "SELECT rowid, id, section_id, position, title, url, body, links, starred, later"
                " FROM items WHERE issue_id = ? ORDER BY position",
                (issue_id,),
            )
        ]
        section_ids = identity.section_ids(issue_id, (section.title for section in parsed.sections))
        flat = [
            (section_id, item)
            for section_id, section in zip(section_ids, parsed.sections, strict=True)
            for item in section.items
        ]
        new_items = [item for _, item in flat]
        matches = identity.match_items(new_items, stored)
        matched_rowids = {match.rowid for match in matches if match is not None}
        leftovers = [old for old in stored if old.rowid not in matched_rowids]
        kept = [old for old in leftovers if old.keep]
        doomed = [old for old in leftovers if not old.keep]
        taken = {match.id for match in matches if match is not None} | {old.id for old in kept}
        new_ids = identity.new_item_ids(issue_id, new_items, matches, taken)

        # The final layout: the new sections in order, then sections that exist only because
        # they still hold a kept item. Kept items go to the end of their section.
        layout: dict[str, tuple[str, list[_Entry]]] = {
            section_id: (section.title, [])
            for section_id, section in zip(section_ids, parsed.sections, strict=True)
        }
        for index, ((section_id, item), match, new_id) in enumerate(
            zip(flat, matches, new_ids, strict=True)
        ):
            layout[section_id][1].append((item, index, match, new_id))
        for old in kept:
            if old.section_id not in layout:
                layout[old.section_id] = (stored_sections[old.section_id][1], [])
            layout[old.section_id][1].append((None, -1, old, None))

        section_inserts: list[tuple[object, ...]] = []
        section_updates: list[tuple[object, ...]] = []
        item_inserts: list[tuple[object, ...]] = []
        item_updates: list[tuple[object, ...]] = []
        position = 0
        for section_position, (section_id, (title, entries)) in enumerate(layout.items()):
            previous = stored_sections.get(section_id)
            if previous is None:
                section_inserts.append((section_id, issue_id, section_position, title))
            elif previous != (section_position, title):
                section_updates.append((section_position, title, section_id))
            for parsed_item, index, stored_item, new_id in entries:
                if stored_item is None:
                    assert parsed_item is not None and new_id is not None
                    extra = derive(parsed_item) if derived is None else derived[index]
                    item_inserts.append(
                        (new_id, issue_id, section_id, position, parsed_item.title,
                         parsed_item.url, parsed_item.body, _links_json(parsed_item), self._now,
                         *extra)
                    )  # fmt: skip
                else:
                    content = (
                        (stored_item.title, stored_item.url, stored_item.body, stored_item.links)
                        if parsed_item is None
                        else (parsed_item.title, parsed_item.url, parsed_item.body,
                              _links_json(parsed_item))
                    )  # fmt: skip
                    if (section_id, position, *content) != stored_item.placed_content():
                        item_updates.append((stored_item.rowid, section_id, position, *content))
                position += 1
        section_deletes = [(id_,) for id_ in stored_sections if id_ not in layout]

        # Sections exist before items move into them (at the next flush).
        connection.executemany(_INSERT_SECTION, section_inserts)
        connection.executemany(
            "UPDATE sections SET position = ?, title = ? WHERE id = ?", section_updates
        )
        self._deletes.extend((old.rowid,) for old in doomed)
        self._updates.extend(item_updates)
        self._inserts.extend(item_inserts)
        self._section_deletes.extend(section_deletes)
        changed = bool(
            section_inserts
            or section_updates
            or doomed
            or item_updates
            or item_inserts
            or section_deletes
        )
        return len(item_inserts), changed
