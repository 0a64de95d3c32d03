"""Read, star and later flags: setting them, marking many read, and undo.

Every change reports the previous (id, read, starred, later) so the caller can restore it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from reader.core.errors import NotFoundError

# Stays well below SQLite's limit on the number of ? in one statement.
MAX_PARAMETERS_PER_QUERY = 500

FlagState = tuple[str, bool, bool, bool]


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), MAX_PARAMETERS_PER_QUERY):
        yield values[start : start + MAX_PARAMETERS_PER_QUERY]


def flag_states(connection: sqlite3.Connection, item_ids: Sequence[str]) -> list[FlagState]:
    """The current (id, read, starred, later) of each item, in the order given."""
    unique = list(dict.fromkeys(item_ids))
    found: dict[str, FlagState] = {}
    for chunk in _chunks(unique):
        marks = ", ".join("?" * len(chunk))
        for item_id, read, starred, later in connection.execute(
            f"SELECT id, read, starred, later FROM items WHERE id IN ({marks})", chunk
        ):
            found[item_id] = (item_id, bool(read), bool(starred), bool(later))
    missing = [item_id for item_id in unique if item_id not in found]
    if missing:
        raise NotFoundError(f"no item with id {missing[0]!r} in the library")
    return [found[item_id] for item_id in unique]


def write_flags(connection: sqlite3.Connection, states: Iterable[FlagState], now: str) -> None:
    """Set each item's flags; `read_at` keeps the first time an item was read."""
    connection.executemany(
        "UPDATE items SET read = ?, starred = ?, later = ?,"
        " read_at = CASE WHEN ? THEN coalesce(read_at, ?) END WHERE id = ?",
        [
            (int(read), int(starred), int(later), int(read), now, item_id)
            for item_id, read, starred, later in states
        ],
    )


def set_flags(
    connection: sqlite3.Connection,
    item_ids: Sequence[str],
    *,
    read: bool | None,
    starred: bool | None,
    later: bool | None,
    now: str,
) -> list[FlagState]:
    """Change flags of items; returns every item's previous state, for undo."""
    previous = flag_states(connection, item_ids)
    wanted = [
        (
            item_id,
            old_read if read is None else read,
            old_starred if starred is None else starred,
            old_later if later is None else later,
        )
        for item_id, old_read, old_starred, old_later in previous
    ]
    write_flags(
        connection,
        (state for state, old in zip(wanted, previous, strict=True) if state != old),
        now,
    )
    return previous


def mark_read(
    connection: sqlite3.Connection, where: str, parameters: Sequence[object], read: bool, now: str
) -> list[FlagState]:
    """Mark the items selected by `where` (over `items AS it`) read or unread.

    Returns the previous state of the items that changed, for undo.
    """
    selected = f"{where} AND it.read = {int(not read)}"
    previous: list[FlagState] = [
        (item_id, bool(was_read), bool(starred), bool(later))
        for item_id, was_read, starred, later in connection.execute(
            f"SELECT it.id, it.read, it.starred, it.later FROM items AS it WHERE {selected}",
            parameters,
        )
    ]
    # One statement rather than one per item: marking a whole source read stays quick.
    connection.execute(
        f"UPDATE items AS it SET read = {int(read)},"
        f" read_at = {'coalesce(it.read_at, ?)' if read else 'NULL'} WHERE {selected}",
        (now, *parameters) if read else tuple(parameters),
    )
    return previous
