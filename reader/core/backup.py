"""Copies of the library file: a checked backup made while others may write, and restoring one.

Works on the file itself through sqlite3's backup API, so that a library too damaged
for `Store` to open can still be replaced; what it reads is checked, never trusted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reader.core.errors import StoreError
from reader.core.store import schema

BEFORE_RESTORE_SUFFIX = ".before-restore"
# How long a backup waits for another reader's write to finish, and a restore for
# the library to be free (a reader that keeps it open never frees it).
LOCK_TIMEOUT_S = 5.0
RESTORE_LOCK_TIMEOUT_S = 1.0
# Tables every reader library has had since version 1.
REQUIRED_TABLES = frozenset({"sources", "issues", "sections", "items", "items_fts"})
_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupInfo:
    """A checked copy of a library: where it is, its schema version and what it holds."""

    path: Path
    version: int
    issues: int
    items: int
    size_bytes: int


@dataclass(frozen=True)
class RestoreResult:
    """A restore: the backup now in place, and where the library it replaced was kept."""

    restored: BackupInfo
    kept_as: Path | None


def backup_library(library: Path, target: Path, *, overwrite: bool = False) -> BackupInfo:
    """Copy the library at `library` to `target` (a file, or a folder to put one in).

    The copy is one consistent snapshot even while another process writes, is checked,
    and only appears at `target` once complete.
    """
    if not library.is_file():
        raise StoreError(f"there is no library at {library} yet: nothing to back up")
    if target.is_dir():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = target / f"reader-backup-{stamp}.sqlite3"
    if _same_file(target, library) or _is_side_file(target, library):
        raise StoreError(f"{target} is the library itself: choose another file for the backup")
    if target.exists() and not overwrite:
        raise StoreError(f"{target} already exists: choose another name, or use --force")
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        with _open_library_file(library) as source:
            _check(source, library, what="the library")
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                # One step (pages=-1) reads under one read transaction: a consistent
                # snapshot, which WAL lets other processes keep writing past.
                source.backup(copy, pages=-1)
                # A backup is one self-contained file, without a write-ahead log.
                copy.execute("PRAGMA journal_mode = DELETE").fetchone()
                info = _check(copy, target, what="the backup")
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except sqlite3.Error as error:
        raise _translate(error, library, target) from error
    except OSError as error:
        raise StoreError(f"cannot write the backup {target}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return BackupInfo(target, info.version, info.issues, info.items, target.stat().st_size)


def check_backup(path: Path) -> BackupInfo:
    """What a backup file holds, once it is known to be a sound reader library."""
    if not path.is_file():
        raise StoreError(f"{path} is not a file: name a backup made with `reader backup`")
    try:
        with _open_library_file(path) as connection:
            return _check(connection, path, what=str(path))
    except sqlite3.Error as error:
        raise _translate(error, path, path) from error


def restore_library(library: Path, backup: Path) -> RestoreResult:
    """Replace the library at `library` by a copy of `backup`, keeping the current one.

    The backup is checked first; the current file goes to `<library>.before-restore`
    (an older one found there moves to `.before-restore.1`, `.2`...). Refused while
    another reader has the library open.
    """
    if _same_file(backup, library):
        raise StoreError(f"{backup} is the library itself: name a backup file")
    check_backup(backup)
    incoming = library.with_name(library.name + ".restoring")
    try:
        library.parent.mkdir(parents=True, exist_ok=True)
        incoming.unlink(missing_ok=True)
        with (
            _open_library_file(backup) as source,
            contextlib.closing(sqlite3.connect(incoming)) as copy,
        ):
            source.backup(copy, pages=-1)
            restored = _check(copy, incoming, what=str(backup))
        _fsync(incoming)
        with _alone_with(library) as holding:
            kept_as = _set_aside(library, own_journal=holding) if library.exists() else None
            # Atomic: the library path holds either the old file or the restored one.
            os.replace(incoming, library)
        _fsync(library.parent)
    except sqlite3.Error as error:
        raise _translate(error, library, backup) from error
    except OSError as error:
        raise StoreError(f"cannot restore into {library}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(OSError):
            incoming.unlink(missing_ok=True)
    info = BackupInfo(
        library, restored.version, restored.issues, restored.items, restored.size_bytes
    )
    return RestoreResult(info, kept_as)


# --- helpers ------------------------------------------------------------------------


@contextlib.contextmanager
def _open_library_file(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection; an immutable one where the folder cannot be written
    (WAL needs its shared-memory file beside the library)."""
    uri = path.resolve().as_uri()
    try:
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=LOCK_TIMEOUT_S)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        if os.access(path.parent, os.W_OK):
            raise
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size:
            # An immutable connection would not see the writes waiting in the log.
            raise StoreError(
                f"{path} is in a read-only folder with writes still in {wal.name}:"
                " copy the whole folder instead"
            ) from None
        connection = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def _check(connection: sqlite3.Connection, path: Path, *, what: str) -> BackupInfo:
    """Sound, a reader library, and of a version this reader can open (or upgrade)."""
    latest = len(schema.MIGRATIONS)
    problem = connection.execute("PRAGMA quick_check").fetchone()[0]
    if problem != "ok":
        raise StoreError(f"{what} is damaged ({problem}): it cannot be used")
    version = schema.user_version(connection)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if version == 0 or not tables >= REQUIRED_TABLES:
        raise StoreError(f"{what} is not a reader library: name a file made with `reader backup`")
    if version > latest:
        raise StoreError(
            f"{what} was written by a newer version of reader (library version {version}, "
            f"this reader knows up to {latest}): upgrade reader to use it"
        )
    issues = connection.execute("SELECT count(*) FROM issues").fetchone()[0]
    items = connection.execute("SELECT count(*) FROM items").fetchone()[0]
    size = path.stat().st_size if path.exists() else 0
    return BackupInfo(path, version, int(issues), int(items), size)


def _set_aside(library: Path, *, own_journal: bool) -> Path:
    """Move the current library (with any side file) to the first free `.before-restore` name.

    A rollback journal is the library's own (from a crash) unless this process holds the
    library, which has rolled any such journal back and keeps an empty one open.
    """
    kept = library.with_name(library.name + BEFORE_RESTORE_SUFFIX)
    if kept.exists():
        number = 1
        while kept.with_name(f"{kept.name}.{number}").exists():
            number += 1
        kept = kept.with_name(f"{kept.name}.{number}")
    for suffix in _SIDE_FILES:
        side = library.with_name(library.name + suffix)
        if side.exists() and not (own_journal and suffix == "-journal"):
            os.replace(side, kept.with_name(kept.name + suffix))
    # A hard link: the library path keeps a complete file until the restored one
    # replaces it, so no crash leaves the user without a library.
    try:
        os.link(library, kept)
    except OSError:
        shutil.copy2(library, kept)
    return kept


@contextlib.contextmanager
def _alone_with(library: Path) -> Iterator[bool]:
    """Hold the library exclusively, its write-ahead log folded into the file.

    Any other open connection, even an idle one, makes this fail (as busy): a
    reader that has the file open would go on writing to the file set aside. A
    library too damaged to open is replaced without the lock.
    """
    if not library.exists():
        yield False
        return
    connection = sqlite3.connect(library, timeout=RESTORE_LOCK_TIMEOUT_S, isolation_level=None)
    try:
        try:
            connection.execute("PRAGMA locking_mode = EXCLUSIVE").fetchone()
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("COMMIT")
            # Leaving WAL mode folds the log into the file and removes it; having
            # written, the connection keeps its exclusive lock until it closes.
            connection.execute("PRAGMA journal_mode = DELETE").fetchone()
        except sqlite3.DatabaseError as error:
            if _is_busy(error) or schema.environment_error(library, error) is None:
                raise
            yield False
        else:
            yield True
    finally:
        connection.close()


def _is_busy(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _translate(error: sqlite3.Error, library: Path, other: Path) -> StoreError:
    if _is_busy(error):
        return StoreError(
            f"the library {library} is in use by another reader (the app or a refresh):"
            " close it and try again"
        )
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == sqlite3.SQLITE_NOTADB:
        return StoreError(f"{other} is not a reader library (not an SQLite database)")
    translated = schema.environment_error(other, error)
    return translated or StoreError(f"cannot copy {other}: {error}")


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.exists() and other.exists() and os.path.samefile(one, other)
    except OSError:
        return False


def _is_side_file(path: Path, library: Path) -> bool:
    return path.resolve().parent == library.resolve().parent and path.name.startswith(
        library.name + "-"
    )


def _fsync(path: Path) -> None:
    """Flush a file or a folder to disk, where the platform allows it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
