"""The library file: opening it, its tables, and the forward migrations between versions.

The schema version lives in PRAGMA user_version; migration N takes a file from N-1 to N.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from reader.core.canonical import canonical_url
from reader.core.errors import StoreError
from reader.core.store.segment import segment

# How long a write waits for another process's write to finish before giving up.
BUSY_TIMEOUT_MS = 5000
# Page cache per connection. The default 2 MiB makes index updates of a big import go to
# disk; this much keeps the hot index pages of a 100,000-item library in memory.
CACHE_SIZE_KIB = 32 * 1024

# Memory FTS5 may use for index entries not yet written (see the 'hashsize' below).
FTS_PENDING_BYTES = 16 * 1024 * 1024

Migration = Callable[[sqlite3.Connection], None]

# Kept apart because bulk_item_delete() drops and recreates it.
FTS_DELETE_TRIGGER = """
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, body)
        VALUES ('delete', old.rowid, reader_segment(old.title), reader_segment(old.body));
    END
"""

_SCHEMA_V1 = (
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('imports', 'feed', 'file', 'folder')),
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        title_override TEXT,
        status TEXT NOT NULL DEFAULT 'new'
            CHECK (status IN ('new', 'ok', 'not_modified', 'error')),
        error TEXT,
        last_refresh TEXT,
        next_due TEXT,
        etag TEXT,
        last_modified TEXT,
        interval_s INTEGER,
        tags TEXT NOT NULL DEFAULT '[]',
        settings TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE issues (
        id TEXT PRIMARY KEY,
        source_id INTEGER REFERENCES sources (id) ON DELETE SET NULL,
        key TEXT NOT NULL,
        title TEXT NOT NULL,
        date TEXT,
        sort_date TEXT,
        url TEXT,
        file TEXT,
        added_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (source_id, key)
    )
    """,
    # The implicit rowid ends every index, so both give "newest first, then added order".
    "CREATE INDEX issues_by_date ON issues (sort_date DESC)",
    "CREATE INDEX issues_by_source_date ON issues (source_id, sort_date DESC)",
    """
    CREATE TABLE sections (
        id TEXT PRIMARY KEY,
        issue_id TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        title TEXT NOT NULL
    )
    """,
    "CREATE INDEX sections_by_issue ON sections (issue_id, position)",
    # `position` counts through the whole issue (sections are contiguous), so (issue_id,
    # position) alone is reading order and one index serves every page of an issue.
    """
    CREATE TABLE items (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        issue_id TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
        section_id TEXT NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        body TEXT NOT NULL,
        links TEXT NOT NULL DEFAULT '[]',
        read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1)),
        starred INTEGER NOT NULL DEFAULT 0 CHECK (starred IN (0, 1)),
        later INTEGER NOT NULL DEFAULT 0 CHECK (later IN (0, 1)),
        read_at TEXT,
        added_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX items_by_issue ON items (issue_id, position)",
    # Needed by the section foreign key too: without it deleting a section scans every item.
    "CREATE INDEX items_by_section ON items (section_id, position)",
    "CREATE INDEX items_unread ON items (issue_id, position) WHERE read = 0",
    "CREATE INDEX items_starred ON items (issue_id, position) WHERE starred = 1",
    "CREATE INDEX items_later ON items (issue_id, position) WHERE later = 1",
    # Contentless: the text lives once, in `items`. The index holds the segmented text, so a
    # delete must hand FTS5 exactly the segmented old values, which the triggers recompute.
    # A change to segment() (or to the fold table it reads) therefore needs a migration
    # that runs rebuild_search_index(), as migration 3 does, and rebuild_article_index().
    # No column sizes: they only serve bm25(), which search does not use (see search.py).
    """
    CREATE VIRTUAL TABLE items_fts USING fts5 (
        title, body, content = '', columnsize = 0,
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    # FTS5 collects new tokens in memory and writes a segment when they pass this size;
    # the default 1 MiB makes a big import spend more time merging segments than indexing.
    f"INSERT INTO items_fts (items_fts, rank) VALUES ('hashsize', {FTS_PENDING_BYTES})",
    """
    CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts (rowid, title, body)
        VALUES (new.rowid, reader_segment(new.title), reader_segment(new.body));
    END
    """,
    FTS_DELETE_TRIGGER,
    # Flag changes (the common update) leave the index alone.
    """
    CREATE TRIGGER items_fts_update AFTER UPDATE OF title, body ON items
    WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, body)
        VALUES ('delete', old.rowid, reader_segment(old.title), reader_segment(old.body));
        INSERT INTO items_fts (rowid, title, body)
        VALUES (new.rowid, reader_segment(new.title), reader_segment(new.body));
    END
    """,
)


def _create_tables(connection: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would commit the migration's transaction.
    for statement in _SCHEMA_V1:
        connection.execute(statement)


_SCHEMA_V2 = (
    # The story an item links to, spelt one way (canonical.py): items of different issues
    # that share it are the same story told twice.
    "ALTER TABLE items ADD COLUMN canonical_url TEXT",
    "UPDATE items SET canonical_url = reader_canonical_url(url) WHERE url IS NOT NULL",
    "CREATE INDEX items_by_canonical ON items (canonical_url) WHERE canonical_url IS NOT NULL",
    # Settings of the whole library (JSON values), such as marking repeated stories read.
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    # An item's source page saved for offline reading; `error` says why it could not be.
    """
    CREATE TABLE articles (
        item_id TEXT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        title TEXT,
        markdown TEXT,
        error TEXT,
        fetched_at TEXT NOT NULL,
        CHECK ((markdown IS NULL) != (error IS NULL))
    )
    """,
    # Issues that retention removed, by their key within the source, so that a feed still
    # serving them does not bring them back as new.
    """
    CREATE TABLE tombstones (
        source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        removed_at TEXT NOT NULL,
        PRIMARY KEY (source_id, key)
    ) WITHOUT ROWID
    """,
)


def _add_stories_articles_and_retention(connection: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V2:
        connection.execute(statement)


def rebuild_search_index(connection: sqlite3.Connection) -> None:
    """Index every item again with the current segment(); inside a transaction."""
    connection.execute("INSERT INTO items_fts (items_fts) VALUES ('delete-all')")
    connection.execute(
        "INSERT INTO items_fts (rowid, title, body)"
        " SELECT rowid, reader_segment(title), reader_segment(body) FROM items ORDER BY rowid"
    )


# FTS5 merges index segments once this many of one size exist. Its default of 4 rewrites
# each new entry more often: a cold refresh of 170,000 items spent a fifth of its
# indexing merging. More segments per size cost a search little (a lookup each).
FTS_AUTOMERGE = 16


def _index_new_items_in_the_writer(connection: sqlite3.Connection) -> None:
    # IssueWriter indexes the items it inserts with text segmented ahead of time (in a
    # parser process during a refresh), which the insert trigger would segment again.
    connection.execute("DROP TRIGGER items_fts_insert")
    connection.execute(
        f"INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', {FTS_AUTOMERGE})"
    )


# Saved articles are searched too. Their index is keyed by the rowid of the article's item,
# kept in the article's row: the articles table's own rowid is implicit, which VACUUM may
# renumber, and a delete cascading from the item no longer finds the item. Like items_fts it
# is contentless, so its triggers hand FTS5 the segmented old text to delete.
_ARTICLE_INDEX = (
    "ALTER TABLE articles ADD COLUMN item_rowid INTEGER",
    "UPDATE articles SET item_rowid = (SELECT rowid FROM items WHERE items.id = articles.item_id)",
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5 (
        title, body, content = '', columnsize = 0,
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    # Failures (no markdown) have nothing to index.
    """
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles
    WHEN new.markdown IS NOT NULL BEGIN
        INSERT INTO articles_fts (rowid, title, body)
        VALUES (new.item_rowid, reader_segment(new.title), reader_segment(new.markdown));
    END
    """,
    """
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles
    WHEN old.markdown IS NOT NULL BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, body)
        VALUES ('delete', old.item_rowid, reader_segment(old.title), reader_segment(old.markdown));
    END
    """,
    """
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF item_rowid, title, markdown ON articles
    WHEN old.item_rowid IS NOT new.item_rowid OR old.title IS NOT new.title
        OR old.markdown IS NOT new.markdown BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, body)
        SELECT 'delete', old.item_rowid, reader_segment(old.title), reader_segment(old.markdown)
        WHERE old.markdown IS NOT NULL;
        INSERT INTO articles_fts (rowid, title, body)
        SELECT new.item_rowid, reader_segment(new.title), reader_segment(new.markdown)
        WHERE new.markdown IS NOT NULL;
    END
    """,
)


def rebuild_article_index(connection: sqlite3.Connection) -> None:
    """Index every saved article again with the current segment(); inside a transaction."""
    connection.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
    connection.execute(
        "INSERT INTO articles_fts (rowid, title, body)"
        " SELECT item_rowid, reader_segment(title), reader_segment(markdown) FROM articles"
        " WHERE markdown IS NOT NULL ORDER BY item_rowid"
    )


def _index_saved_articles(connection: sqlite3.Connection) -> None:
    for statement in _ARTICLE_INDEX:
        connection.execute(statement)
    rebuild_article_index(connection)


# Read at call time (not bound at import), so a test can append a migration.
MIGRATIONS: list[Migration] = [
    _create_tables,
    _add_stories_articles_and_retention,
    # Version 3: segment() folds Traditional Chinese to Simplified (folding.py).
    rebuild_search_index,
    _index_new_items_in_the_writer,
    _index_saved_articles,
]


@contextlib.contextmanager
def bulk_item_delete(connection: sqlite3.Connection) -> Iterator[None]:
    """Delete many items inside the block, then rebuild the search index from the rest.

    A contentless index deletes a row as slowly as it adds one (the old text is segmented
    again), so removing most of a library is faster as a rebuild. Must run inside a
    transaction: if the block fails, the rollback restores the trigger.
    """
    connection.execute("DROP TRIGGER items_fts_delete")
    yield
    rebuild_search_index(connection)
    connection.execute(FTS_DELETE_TRIGGER)


# Extended I/O error codes of a write that the system refused (a full disk or a
# file-size limit both end up here): IOERR_WRITE, IOERR_FSYNC, IOERR_TRUNCATE.
_WRITE_IO_ERRORS = frozenset({778, 1034, 1546})


def environment_error(path: Path, error: sqlite3.Error) -> StoreError | None:
    """A user-facing error for a failure of the file or the disk, None for a bug."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF  # extended codes carry detail above
    if primary in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return StoreError(
            f"{path} is not a reader library (file is damaged): restore a backup or move it away"
        )
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(
            f"{path} is busy: another reader kept it locked for more than"
            f" {BUSY_TIMEOUT_MS / 1000:g} s; try again"
        )
    if primary == sqlite3.SQLITE_FULL:
        return StoreError(f"cannot write the library {path}: the disk is full")
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return StoreError(f"cannot write the library {path}: {error}")
    if primary == sqlite3.SQLITE_CANTOPEN:
        if path.parent.is_dir() and not os.access(path.parent, os.W_OK):
            # WAL needs its -wal and -shm files beside the library.
            return StoreError(
                f"cannot open the library {path}: its folder is read-only "
                "(make it writable, or copy the library elsewhere and use --home)"
            )
        return StoreError(f"cannot open the library {path}: {error}")
    if primary == sqlite3.SQLITE_IOERR:
        if code in _WRITE_IO_ERRORS:
            return StoreError(
                f"cannot write the library {path}: the disk or the file is full "
                f"(or the system refused the size): {error}"
            )
        return StoreError(f"cannot read or write the library {path}: {error}")
    return None


def _translate(path: Path, error: sqlite3.Error) -> StoreError:
    """A user-facing error for a failure to open or upgrade the file."""
    return environment_error(path, error) or StoreError(f"cannot open the library {path}: {error}")


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the library file with the settings every connection needs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create the folder for the library {path}: {error}") from error
    try:
        # Autocommit mode: transactions are explicit BEGIN IMMEDIATE ... COMMIT. The store
        # serialises its own calls with a lock, so worker threads may share the connection.
        connection = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as error:
        raise _translate(path, error) from error
    try:
        connection.create_function("reader_segment", 1, segment, deterministic=True)
        connection.create_function("reader_canonical_url", 1, canonical_url, deterministic=True)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA cache_size = -{CACHE_SIZE_KIB}")
        # Reading the schema is the first thing that touches the file, so damage shows here.
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        connection.execute("PRAGMA journal_mode = WAL").fetchone()
        # With WAL, NORMAL never corrupts the file; a power cut may lose the last commit.
        connection.execute("PRAGMA synchronous = NORMAL")
        for statement in _PENDING_TABLES:
            connection.execute(statement)
    except sqlite3.Error as error:
        connection.close()
        raise _translate(path, error) from error
    return connection


# Item changes of an import are gathered here and applied by one statement each (see
# IssueWriter). Temporary tables belong to the connection and vanish with it.
_PENDING_TABLES = (
    """
    CREATE TEMP TABLE IF NOT EXISTS pending_updates (
        item_rowid INTEGER PRIMARY KEY, section_id, position, title, url, body, links
    )
    """,
    "CREATE TEMP TABLE IF NOT EXISTS pending_deletes (item_rowid INTEGER PRIMARY KEY)",
)


def user_version(connection: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 for a new file)."""
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def backup_path(path: Path, version: int) -> Path:
    """Where the copy made before upgrading a version-`version` file goes."""
    return path.with_name(f"{path.name}.v{version}.bak")


def _backup(connection: sqlite3.Connection, path: Path, version: int) -> None:
    target = backup_path(path, version)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        connection.backup(copy)
    finally:
        copy.close()
    # Renamed into place only when complete, so a crash never leaves a half backup.
    os.replace(partial, target)


def _has_tables(connection: sqlite3.Connection) -> bool:
    row = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return bool(row[0])


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Bring the file up to the latest schema, backing it up first if it holds a library."""
    migrations = MIGRATIONS
    latest = len(migrations)
    try:
        version = user_version(connection)
        if version > latest:
            raise StoreError(
                f"{path} was written by a newer version of reader (library version {version}, "
                f"this reader knows up to {latest}): upgrade reader to open it"
            )
        if version == latest:
            return
        if version == 0 and _has_tables(connection):
            raise StoreError(
                f"{path} is a database of another program, not a reader library: "
                "choose another location (--home) or move it away"
            )
        if version > 0:
            _backup(connection, path, version)
        for target in range(version + 1, latest + 1):
            _apply(connection, migrations[target - 1], target)
    except sqlite3.Error as error:
        raise _translate(path, error) from error
    except OSError as error:
        raise StoreError(f"cannot back up the library {path} before upgrading: {error}") from error


def _apply(connection: sqlite3.Connection, migration: Migration, target: int) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have upgraded the file while this one waited for the lock.
        if user_version(connection) < target:
            migration(connection)
            connection.execute(f"PRAGMA user_version = {target}")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
