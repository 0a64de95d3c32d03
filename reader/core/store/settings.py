"""Settings of a whole library, kept in the library file so they travel with it.

Values are JSON; a key that was never set reads as the default its caller gives.
"""

from __future__ import annotations

import json
import sqlite3

# Mark a new item read when another issue already links to the same story.
AUTO_READ_REPEATS = "auto_read_repeats"


def get_setting(connection: sqlite3.Connection, key: str, default: object = None) -> object:
    """The value stored under `key`, or `default`."""
    row = connection.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(str(row[0]))


def set_setting(connection: sqlite3.Connection, key: str, value: object) -> None:
    """Store `value` (anything JSON can hold) under `key`; None removes the key."""
    if value is None:
        connection.execute("DELETE FROM settings WHERE key = ?", (key,))
        return
    connection.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False)),
    )
