"""The library file under stress: read-only, a full disk, damage, upgrades, backups.

Each case runs real `reader` processes and then checks the file behind their back:
nothing stored before is lost, and the user reads one clear line saying what to do.

Read-only folders: `chmod` does not stop root, so as root the folder is bind-mounted
read-only in a private mount namespace (`unshare -m`); without either the case is
skipped. A full disk is a small tmpfs in such a namespace, and everywhere a file-size
limit (RLIMIT_FSIZE) on the writing process.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from reader.core.store import schema
from reader.core.store.segment import segment
from tests.hostile.helpers import (
    TRIAGE_SCRIPT,
    assert_consistent,
    assert_issues_uniform,
    assert_terminal_safe,
    count_rows,
    ended,
    kill_group,
    read_only,
    reader_command,
    reader_env,
    run_reader,
    write_batch,
)

RunCli = Callable[..., tuple[int, str, str]]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_clear_line(result: subprocess.CompletedProcess[str], *, mentions: str) -> str:
    """The failure is one `error:` line naming `mentions`, with no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert_terminal_safe(result.stdout + result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert mentions in lines[0], lines[0]
    return lines[0]


@functools.cache
def private_mounts() -> bool:
    """True when this process may mount in a private mount namespace (root, unshare)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(
            ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{folder}'"],
            capture_output=True,
            check=False,
        )
    return probe.returncode == 0


def in_namespace(
    home: Path, setup: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`reader ARGS` after the shell `setup` ran in a private mount namespace."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f'set -e; {setup}; exec "$@"', "sh", *reader_command(*args)],
        env=reader_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def small_library(home: Path, tmp_path: Path, issues: int = 4) -> Path:
    result = run_reader(home, "import", str(write_batch(tmp_path / "before", range(issues))))
    assert result.returncode == 0, result.stderr
    database = home / "library.sqlite3"
    with read_only(database) as connection:
        some = [row[0] for row in connection.execute("SELECT id FROM items LIMIT 10")]
    assert run_reader(home, "mark", *some, "--star").returncode == 0
    return database


def items_and_flags(database: Path) -> list[tuple[Any, ...]]:
    with read_only(database) as connection:
        return connection.execute(
            "SELECT id, title, read, starred, later FROM items ORDER BY id"
        ).fetchall()


# --- a read-only folder ----------------------------------------------------------------


def test_a_read_only_library_folder(home: Path, tmp_path: Path) -> None:
    database = small_library(home, tmp_path)
    before = items_and_flags(database)
    files_before = {path.name: digest(path) for path in home.iterdir()}
    new_issue = write_batch(tmp_path / "new", range(50, 51))
    item = before[0][0]
    if private_mounts():

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            setup = f"mount --bind '{home}' '{home}'; mount -o remount,bind,ro '{home}'"
            return in_namespace(home, setup, *args)

    elif os.geteuid() != 0:

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return run_reader(home, *args)

        home.chmod(0o555)
        for path in home.iterdir():
            path.chmod(0o444)
    else:
        pytest.skip("root without mount namespaces: chmod cannot make a folder read-only")
    try:
        probe = run("issues")
        # Reading may work (SQLite can read without writing) or be refused clearly.
        if probe.returncode == 0:
            assert "Batch 0" in probe.stdout
        else:
            one_clear_line(probe, mentions=str(database))
        for args in (("import", str(new_issue)), ("mark", item, "--read"), ("refresh", "--force")):
            result = run(*args)
            if args[0] == "refresh" and result.returncode == 0:
                continue  # nothing to refresh: nothing to write
            one_clear_line(result, mentions=str(database))
        # A way out: the library can be copied to a writable place.
        copy = tmp_path / "copy.sqlite3"
        result = run("backup", str(copy))
        assert result.returncode == 0, result.stderr
        assert items_and_flags(copy) == before
    finally:
        home.chmod(0o755)
        for path in home.iterdir():
            path.chmod(0o644)
    assert {path.name: digest(path) for path in home.iterdir()} == files_before
    assert items_and_flags(database) == before


def test_a_read_only_folder_is_read_or_explained(home: Path, tmp_path: Path) -> None:
    if not private_mounts():
        pytest.skip("needs a private mount namespace to make a folder read-only as root")
    small_library(home, tmp_path)
    setup = f"mount --bind '{home}' '{home}'; mount -o remount,bind,ro '{home}'"
    listing = in_namespace(home, setup, "issues")
    if listing.returncode:
        # Refusing is fine too, if the user learns why.
        assert "read-only" in one_clear_line(listing, mentions="library")
    else:
        assert "Batch 0" in listing.stdout


def test_a_read_only_library_file(home: Path, tmp_path: Path) -> None:
    if not private_mounts():
        pytest.skip("needs a private mount namespace to make one file read-only as root")
    database = small_library(home, tmp_path)
    before = items_and_flags(database)
    setup = f"mount --bind '{database}' '{database}'; mount -o remount,bind,ro '{database}'"
    listing = in_namespace(home, setup, "issues")
    assert listing.returncode == 0 and "Batch 0" in listing.stdout, listing.stderr
    result = in_namespace(home, setup, "import", str(write_batch(tmp_path / "new", range(9, 10))))
    line = one_clear_line(result, mentions=str(database))
    assert "cannot write the library" in line
    assert items_and_flags(database) == before


# --- a full disk ---------------------------------------------------------------------------


def test_a_full_disk_via_a_file_size_limit(home: Path, tmp_path: Path) -> None:
    database = small_library(home, tmp_path)
    before = items_and_flags(database)
    batch = write_batch(tmp_path / "batch", range(100, 160))
    # The batch needs far more room than the limit leaves.
    assert sum(path.stat().st_size for path in batch.iterdir()) > 1_000_000
    limit = database.stat().st_size + 200_000

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = run_reader(home, "import", str(batch), preexec_fn=limited)
    line = one_clear_line(result, mentions=str(database))
    assert "cannot" in line and "write" in line
    assert_consistent(database)
    after = items_and_flags(database)
    assert set(before) <= set(after)
    # With room again, the same import finishes.
    result = run_reader(home, "import", str(batch))
    assert result.returncode == 0, result.stderr
    assert count_rows(database, "issues") == 4 + 60
    assert set(before) <= set(items_and_flags(database))


def test_a_file_size_limit_is_explained(home: Path, tmp_path: Path) -> None:
    database = small_library(home, tmp_path)
    limit = database.stat().st_size + 100_000

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    batch = write_batch(tmp_path / "batch", range(100, 130))
    result = run_reader(home, "import", str(batch), preexec_fn=limited)
    assert "full" in one_clear_line(result, mentions=str(database))


def test_a_full_disk_on_a_small_tmpfs(home: Path, tmp_path: Path) -> None:
    if not private_mounts():
        pytest.skip("needs a private mount namespace to mount a small tmpfs")
    out = tmp_path / "out"
    out.mkdir()
    batch = write_batch(tmp_path / "batch", range(100, 200))
    base = write_batch(tmp_path / "base", range(3))
    reader = " ".join(f"'{part}'" for part in reader_command())
    script = textwrap.dedent(
        f"""
        set -e
        mount -t tmpfs -o size=640k tmpfs '{home}'
        {reader} import '{base}' > /dev/null
        set +e
        {reader} import '{batch}' > '{out}/stdout' 2> '{out}/stderr'
        echo $? > '{out}/code'
        {reader} issues > '{out}/issues' 2>&1
        cp '{home}'/library.sqlite3* '{out}/'
        """
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        env=reader_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "code").read_text().strip() == "1"
    stderr = (out / "stderr").read_text()
    assert (
        stderr.strip()
        == f"error: cannot write the library {home}/library.sqlite3: the disk is full"
    )
    assert_consistent(out / "library.sqlite3")
    listed = (out / "issues").read_text()
    assert all(f"Batch {number}" in listed for number in range(3)), listed


# --- damage ----------------------------------------------------------------------------------


def damaged_copies(database: Path, folder: Path) -> dict[str, Path]:
    """A library file damaged three ways: garbage, cut in half, pages overwritten."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = database.read_bytes()
    rng = random.Random(8101)
    folder.mkdir()
    copies = {
        "garbage": bytes(rng.getrandbits(8) for _ in range(64 * 1024)),
        "truncated": data[: len(data) // 2],
        "overwritten": data[:8192]
        + bytes(rng.getrandbits(8) for _ in range(len(data) - 16384))
        + data[-8192:],
    }
    paths = {}
    for name, content in copies.items():
        paths[name] = folder / f"{name}.sqlite3"
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize("damage", ["garbage", "truncated", "overwritten"])
def test_a_damaged_library_says_so_and_a_backup_restores_it(
    home: Path, tmp_path: Path, damage: str
) -> None:
    database = small_library(home, tmp_path, issues=30)
    backup = tmp_path / "good.sqlite3"
    assert run_reader(home, "backup", str(backup)).returncode == 0
    good = items_and_flags(database)
    damaged = damaged_copies(database, tmp_path / "damaged")[damage]
    for side in ("-wal", "-shm"):
        Path(f"{database}{side}").unlink(missing_ok=True)
    shutil.copyfile(damaged, database)
    # The fixture really is damaged.
    with pytest.raises(sqlite3.DatabaseError), contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    for args in (("issues",), ("search", "words"), ("mark", "0", "--read"), ("sources",)):
        result = run_reader(home, *args)
        if result.returncode == 0:
            continue  # what is left readable may be shown
        line = one_clear_line(result, mentions="library")
        if "damaged" in line:
            assert "restore a backup" in line
    # Nothing tried to repair or rewrite the damaged file behind the user's back.
    assert digest(database) == digest(damaged)

    result = run_reader(home, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert "kept as" in result.stdout
    assert items_and_flags(database) == good
    assert_consistent(database)
    kept = Path(f"{database}.before-restore")
    assert digest(kept) == digest(damaged)
    assert run_reader(home, "issues").stdout.count("Batch") == 30


# --- upgrades ----------------------------------------------------------------------------------


def version_1_library(path: Path) -> None:
    """A library as reader's first schema wrote it, holding one issue of one item."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.create_function("reader_segment", 1, segment, deterministic=True)
        schema.MIGRATIONS[0](connection)
        connection.execute("PRAGMA user_version = 1")
        now = "2025-01-01T00:00:00+00:00"
        connection.execute(
            "INSERT INTO sources (id, kind, url, title, created_at)"
            " VALUES (1, 'imports', 'imports:', 'Imported files', ?)",
            (now,),
        )
        connection.execute(
            "INSERT INTO issues (id, source_id, key, title, date, sort_date, added_at, updated_at)"
            " VALUES ('i1', 1, 'k', 'Old issue', '2024-05-01', '2024-05-01T00:00:00', ?, ?)",
            (now, now),
        )
        connection.execute(
            "INSERT INTO sections (id, issue_id, position, title) VALUES ('s1', 'i1', 0, 'News')"
        )
        connection.execute(
            "INSERT INTO items (id, issue_id, section_id, position, title, url, body, read,"
            " starred, added_at) VALUES ('item1', 'i1', 's1', 0, 'Old item',"
            " 'https://example.com/old', 'Kept through upgrades', 1, 1, ?)",
            (now,),
        )
    finally:
        connection.close()


def test_an_upgrade_backs_the_library_up_first(home: Path, run_cli: RunCli) -> None:
    database = home / "library.sqlite3"
    version_1_library(database)
    original = items_and_flags(database)
    latest = len(schema.MIGRATIONS)
    code, out, err = run_cli("issues")
    assert code == 0 and "Old issue" in out, err
    backup = home / "library.sqlite3.v1.bak"
    if latest == 1:
        assert not backup.exists()  # nothing to upgrade yet
        return
    assert backup.exists() and items_and_flags(backup) == original
    with read_only(backup) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        assert connection.execute("SELECT title, starred FROM items").fetchall() == [
            ("Old item", 1)
        ]
    with read_only(database) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == latest
    code, out, err = run_cli("show", "i1", "--json")
    (item,) = json.loads(out)["issues"][0]["sections"][0]["items"]
    assert item["starred"] and item["read"] and item["body"] == "Kept through upgrades"
    # The backup is a library `reader restore` accepts (and upgrades again on open).
    code, out, err = run_cli("restore", str(backup))
    assert code == 0, err
    code, out, err = run_cli("issues")
    assert code == 0 and "Old issue" in out, err


# --- backup and restore -------------------------------------------------------------------------


def test_backups_while_another_process_writes_are_consistent(home: Path, tmp_path: Path) -> None:
    database = home / "library.sqlite3"
    assert (
        run_reader(home, "import", str(write_batch(tmp_path / "batch", range(12)))).returncode == 0
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", TRIAGE_SCRIPT, str(database)],
        env=reader_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
        copies = []
        for number in range(4):
            copy = tmp_path / f"copy-{number}.sqlite3"
            result = run_reader(home, "backup", str(copy), "--json")
            assert result.returncode == 0, result.stderr
            info = json.loads(result.stdout)["backup"]
            assert info["issues"] == 12 and info["items"] == 12 * 24
            copies.append(copy)
        # The writer really was writing all along.
        assert not ended(writer, within_s=0.01), writer.stderr.read() if writer.stderr else ""
        for copy in copies:
            assert_consistent(copy)
            assert_issues_uniform(copy)
            assert not Path(f"{copy}-wal").exists()  # one self-contained file
            with read_only(copy) as connection:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                assert version == len(schema.MIGRATIONS)
        # Restoring under a running reader would split the library in two: refused.
        result = run_reader(home, "restore", str(copies[0]))
        line = one_clear_line(result, mentions="in use by another reader")
        assert "close it" in line
    finally:
        kill_group(writer)
        for stream in (writer.stdout, writer.stderr):
            if stream:
                stream.close()
    assert not Path(f"{database}.before-restore").exists()
    assert_consistent(database)
    current = items_and_flags(database)
    result = run_reader(home, "restore", str(copies[2]))
    assert result.returncode == 0, result.stderr
    assert items_and_flags(database) == items_and_flags(copies[2])
    assert items_and_flags(Path(f"{database}.before-restore")) == current
    assert_consistent(database)


def test_restore_refuses_what_is_not_a_sound_reader_backup(
    home: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    database = small_library(home, tmp_path)
    before = digest(database)
    good = tmp_path / "good.sqlite3"
    code, _out, err = run_cli("backup", str(good))
    assert code == 0, err

    newer = tmp_path / "newer.sqlite3"
    shutil.copyfile(good, newer)
    with contextlib.closing(sqlite3.connect(newer)) as connection:
        connection.execute(f"PRAGMA user_version = {len(schema.MIGRATIONS) + 7}")
    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.commit()
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(good.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = bytes(4096)
    damaged.write_bytes(bytes(data))
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    expectations: Sequence[tuple[Path, str]] = [
        (newer, "newer version of reader"),
        (other, "is not a reader library"),
        (damaged, "damaged"),
        (text, "not an SQLite database"),
        (tmp_path / "missing.sqlite3", "is not a file"),
        (tmp_path, "is not a file"),
        (database, "is the library itself"),
    ]
    for path, message in expectations:
        code, out, err = run_cli("restore", str(path))
        assert code == 1, (path, out)
        assert message in err and len(err.strip().splitlines()) == 1, (path, err)
    assert digest(database) == before
    assert not Path(f"{database}.before-restore").exists()
    # Backups never overwrite by accident, nor the library itself.
    code, _out, err = run_cli("backup", str(good))
    assert code == 1 and "already exists" in err
    code, _out, err = run_cli("backup", str(database), "--force")
    assert code == 1 and "is the library itself" in err
    code, out, err = run_cli("backup", str(tmp_path))
    assert code == 0 and "reader-backup-" in out, err
