"""Opening library files: settings, schema versions, upgrades with backups, refusals.

Every test uses a real SQLite file under tmp_path.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from reader.core.errors import StoreError
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.core.store import Store, schema


def _pragma(path: Path, name: str) -> object:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        connection.close()


def _one_issue() -> ParsedIssue:
    item = ParsedItem("An item", "https://example.com/a", "Some text.")
    return ParsedIssue("Issue", datetime(2025, 1, 1), None, (ParsedSection("", (item,)),))


def test_new_library_is_created_with_parent_folders_wal_and_latest_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep" / "er" / "library.sqlite"
    with Store(path) as store:
        connection = store._connection
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == schema.BUSY_TIMEOUT_MS
    assert path.exists()
    assert _pragma(path, "user_version") == len(schema.MIGRATIONS)
    assert _pragma(path, "journal_mode") == "wal"  # WAL is a property of the file
    assert not list(tmp_path.glob("**/*.bak"))


def test_empty_version_zero_file_is_migrated_without_backup(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    path.touch()
    with Store(path) as store:
        store.ensure_source("imports", "imports:", "Imports")
    assert _pragma(path, "user_version") == len(schema.MIGRATIONS)
    assert not list(tmp_path.glob("*.bak"))


def test_reopening_current_library_keeps_data_and_makes_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    with Store(path) as store:
        source_id = store.ensure_source("feed", "https://example.com/feed", "Feed")
        store.upsert_issue(source_id, _one_issue())
    with Store(path) as store:
        assert [issue.title for issue in store.issues()] == ["Issue"]
    assert not list(tmp_path.glob("*.bak"))


def test_older_library_is_backed_up_then_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.sqlite"
    with Store(path) as store:
        source_id = store.ensure_source("feed", "https://example.com/feed", "Feed")
        store.upsert_issue(source_id, _one_issue())
    old_version = len(schema.MIGRATIONS)

    def add_note_column(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE sources ADD COLUMN note TEXT")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_note_column])
    with Store(path) as store:
        assert [issue.title for issue in store.issues()] == ["Issue"]
        columns = [row[1] for row in store._connection.execute("PRAGMA table_info(sources)")]
        assert "note" in columns

    assert _pragma(path, "user_version") == old_version + 1
    backup = tmp_path / f"library.sqlite.v{old_version}.bak"
    assert backup.exists()
    assert _pragma(backup, "user_version") == old_version
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("SELECT title FROM issues").fetchall() == [("Issue",)]
        assert "note" not in [row[1] for row in copy.execute("PRAGMA table_info(sources)")]
    finally:
        copy.close()
    assert not list(tmp_path.glob("*.partial"))


def test_failed_migration_leaves_the_library_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.sqlite"
    Store(path).close()
    old_version = len(schema.MIGRATIONS)

    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE sources ADD COLUMN half_done TEXT")
        connection.execute("THIS IS NOT SQL")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    with pytest.raises(StoreError):
        Store(path)
    assert _pragma(path, "user_version") == old_version
    connection = sqlite3.connect(path)
    try:
        assert "half_done" not in [
            row[1] for row in connection.execute("PRAGMA table_info(sources)")
        ]
    finally:
        connection.close()


def test_library_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    Store(path).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {len(schema.MIGRATIONS) + 5}")
    connection.close()
    with pytest.raises(StoreError, match="newer version of reader"):
        Store(path)


def test_file_that_is_not_sqlite_is_refused_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    path.write_bytes(b"this is a text file, not a database\n" * 200)
    with pytest.raises(StoreError) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message
    assert "is not a reader library (file is damaged)" in message
    assert "restore a backup or move it away" in message
    # Refusing must not have touched the file.
    assert path.read_bytes().startswith(b"this is a text file")


def test_database_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match="not a reader library"):
        Store(path)


def test_folder_in_place_of_the_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    path.mkdir()
    with pytest.raises(StoreError, match="library"):
        Store(path)
