"""kill -9 at random points of import, refresh and triage, and two writers at once.

Every run is a real `reader` process killed with SIGKILL while it works. Afterwards
the file must pass SQLite's and the model's checks, every issue and flag stored
before must be there unchanged, and a plain rerun must finish the job without
duplicates. Seeds are fixed, so a failing run can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from html import escape
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.helpers import (
    TRIAGE_SCRIPT,
    HostileServer,
    assert_consistent,
    assert_issues_uniform,
    count_rows,
    ended,
    kill_group,
    opml,
    poll,
    read_only,
    reader_command,
    reader_env,
    run_reader,
    write_batch,
)

IMPORT_RUNS = 8
REFRESH_RUNS = 6
TRIAGE_RUNS = 8
assert IMPORT_RUNS + REFRESH_RUNS + TRIAGE_RUNS >= 20

Snapshot = dict[str, tuple[str, int, int, int]]


def snapshot(database: Path) -> Snapshot:
    """Every item with its issue and flags, read without writing."""
    with read_only(database) as connection:
        rows = connection.execute("SELECT id, issue_id, read, starred, later FROM items")
        return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def assert_kept(database: Path, before: Snapshot) -> Snapshot:
    assert_consistent(database)
    after = snapshot(database)
    missing = set(before) - set(after)
    assert not missing, f"{len(missing)} items stored before the crash are gone"
    changed = {key for key in before if after[key] != before[key]}
    assert not changed, f"flags changed by a crash: {sorted(changed)[:5]}"
    return after


def kill_when(
    process: subprocess.Popen[Any], database: Path, table: str, target: int, rng: random.Random
) -> int:
    """SIGKILL the process group once `table` has `target` rows (then a random few ms)."""
    reached = poll(
        lambda: count_rows(database, table) >= target or process.poll() is not None,
        timeout_s=60,
        step_s=0.002,
    )
    assert reached
    if rng.random() < 0.5:
        # Somewhere inside the next file or transaction, not only between them.
        ended(process, within_s=rng.uniform(0, 0.03))
    still_running = process.poll() is None
    kill_group(process)
    assert still_running, f"the process ended before it was killed ({process.returncode})"
    return count_rows(database, table)


def start(home: Path, *args: str) -> subprocess.Popen[Any]:
    return subprocess.Popen(
        reader_command(*args),
        env=reader_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def base_library(home: Path, tmp_path: Path) -> tuple[Path, Snapshot]:
    """A library with issues and triage flags that no crash may touch."""
    database = home / "library.sqlite3"
    result = run_reader(home, "import", str(write_batch(tmp_path / "before", range(9000, 9004))))
    assert result.returncode == 0, result.stderr
    with read_only(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM items ORDER BY id")]
    for flag, chosen in (("--read", ids[::3]), ("--star", ids[::5]), ("--later", ids[::7])):
        result = run_reader(home, "mark", *chosen, flag)
        assert result.returncode == 0, result.stderr
    before = snapshot(database)
    assert any(flags[1] for flags in before.values()) and any(f[2] for f in before.values())
    return database, before


def write_lock_held(database: Path) -> bool:
    """Whether some process is inside a write transaction (BEGIN IMMEDIATE would wait)."""
    try:
        connection = sqlite3.connect(
            f"file:{database}?mode=rw", uri=True, timeout=0, isolation_level=None
        )
    except sqlite3.Error:
        return False
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return "locked" in str(error) or "busy" in str(error)
    else:
        connection.execute("ROLLBACK")
        return False
    finally:
        connection.close()


def assert_issues_whole(database: Path, items: int) -> None:
    """A transaction stores whole issues: none is stored with part of its items."""
    with read_only(database) as connection:
        partial = connection.execute(
            "SELECT issue_id, count(*) FROM items GROUP BY issue_id HAVING count(*) != ?",
            (items,),
        ).fetchall()
    assert partial == [], f"issues stored in part: {partial[:5]}"


def stored_titles(database: Path) -> set[str]:
    with read_only(database) as connection:
        return {row[0] for row in connection.execute("SELECT title FROM issues")}


# Where a run of `reader import` is killed: at a random moment early on (starting,
# reading files), inside a write transaction (the probe finds the write lock held),
# or a few ms after a transaction committed (with the next batch being read or written).
IMPORT_MOMENTS = ("early", "writing", "after a commit")
IMPORT_FILES_PER_RUN = 60


def kill_import(
    process: subprocess.Popen[Any], database: Path, moment: str, stored: int, rng: random.Random
) -> bool:
    """SIGKILL a `reader import` at `moment`; whether it was still running then."""
    if moment == "early":
        ended(process, within_s=rng.uniform(0.05, 0.6))
    elif moment == "writing":
        poll(lambda: write_lock_held(database) or process.poll() is not None, step_s=0.001)
    else:
        poll(
            lambda: count_rows(database, "issues") > stored or process.poll() is not None,
            step_s=0.002,
        )
        ended(process, within_s=rng.uniform(0, 0.03))
    running = process.poll() is None
    kill_group(process)
    return running


def test_kill_9_during_import(home: Path, tmp_path: Path) -> None:
    database, before = base_library(home, tmp_path)
    # Files are moved from `pending` to `done` once stored, so every run starts with new
    # issues whatever the size of its batches, and a kill while writing hits new ones.
    pending = tmp_path / "pending"
    done = tmp_path / "done"
    done.mkdir()
    rng = random.Random(8001)
    kills = dict.fromkeys(IMPORT_MOMENTS, 0)
    written = 0
    run = 0
    while run < IMPORT_RUNS or min(kills.values()) < 2:
        assert run < 3 * IMPORT_RUNS, f"too few kills at some moments: {kills}"
        write_batch(pending, range(written, written + IMPORT_FILES_PER_RUN))
        written += IMPORT_FILES_PER_RUN
        stored = count_rows(database, "issues")
        moment = IMPORT_MOMENTS[run % len(IMPORT_MOMENTS)]
        process = start(home, "import", str(pending))
        kills[moment] += kill_import(process, database, moment, stored, rng)
        before = assert_kept(database, before)
        assert count_rows(database, "issues") >= stored, f"run {run} lost issues"
        assert_issues_whole(database, 24)
        titles = stored_titles(database)
        for path in sorted(pending.iterdir()):
            if f"Batch {int(path.stem.split('-')[1])}" in titles:
                path.rename(done / path.name)
        run += 1
    # Everything again: what was stored stays as it is, the rest comes in, once.
    result = run_reader(home, "import", str(done), str(pending))
    assert result.returncode == 0, result.stderr
    assert_kept(database, before)
    assert count_rows(database, "issues") == 4 + written
    assert count_rows(database, "items") == (4 + written) * 24


def child_processes(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_import_workers_end_when_the_import_is_killed(home: Path, tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "batch", range(400))
    process = start(home, "import", str(batch))
    try:
        # Once issues are stored, the workers are well into reading the files.
        database = home / "library.sqlite3"
        assert poll(
            lambda: count_rows(database, "issues") > 0 or process.poll() is not None,
            step_s=0.005,
        )
        workers = child_processes(process.pid)
        assert process.poll() is None and workers, "the import ended before it was killed"
        # The importing process alone, as the OOM killer would: its workers must notice.
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert poll(lambda: not any(alive(pid) for pid in workers), timeout_s=10)
    finally:
        kill_group(process)


def feed_round(feed: int, entries: int) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Feed {feed}</title><id>urn:feed:{feed}</id>"
    ]
    for number in range(entries):
        body = "".join(
            f"<h4>Story {feed}.{number}.{index}</h4><p>{'A sentence of a summary. ' * 15}"
            f'<a href="https://news.example.com/{feed}/{number}/{index}">Source</a></p>'
            for index in range(8)
        )
        parts.append(
            f"<entry><id>urn:feed:{feed}:{number}</id><title>Feed {feed} issue {number}</title>"
            f"<updated>2025-03-{1 + number % 28:02d}T00:00:00Z</updated>"
            f'<content type="html">{escape("<h2>Section</h2>" + body)}</content></entry>'
        )
    parts.append("</feed>")
    return "".join(parts).encode()


def test_kill_9_during_refresh(home: Path, tmp_path: Path, server: HostileServer) -> None:
    database, before = base_library(home, tmp_path)
    feeds = 12
    per_round = 5
    urls = [server.url(f"/feed/{feed}") for feed in range(feeds)]
    subscriptions = tmp_path / "feeds.opml"
    subscriptions.write_text(opml(urls))
    result = run_reader(home, "import", str(subscriptions))
    assert result.returncode == 0, result.stderr
    rng = random.Random(8002)
    for run in range(REFRESH_RUNS):
        for feed in range(feeds):
            server.static(f"/feed/{feed}", feed_round(feed, per_round * (run + 1)))
        stored = count_rows(database, "issues")
        target = stored + rng.randint(1, feeds * per_round // 2)
        process = start(home, "refresh", "--force")
        kill_when(process, database, "issues", target, rng)
        before = assert_kept(database, before)
        assert count_rows(database, "issues") >= stored, f"run {run} lost issues"
    result = run_reader(home, "refresh", "--force")
    assert result.returncode == 0, result.stderr
    assert_kept(database, before)
    total = 4 + feeds * per_round * REFRESH_RUNS
    assert count_rows(database, "issues") == total
    listed = json.loads(run_reader(home, "sources", "--json").stdout)["sources"]
    assert [source["status"] for source in listed if source["kind"] == "feed"] == ["ok"] * feeds


def test_kill_9_during_triage(home: Path, tmp_path: Path) -> None:
    database = home / "library.sqlite3"
    result = run_reader(home, "import", str(write_batch(tmp_path / "batch", range(12))))
    assert result.returncode == 0, result.stderr
    with read_only(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM items")]
    # How long one `reader mark` of every item takes, to kill the next ones part way.
    timings = []
    for flag in ("--later", "--no-later"):
        clock = time.monotonic()
        assert run_reader(home, "mark", *ids, flag).returncode == 0
        timings.append(time.monotonic() - clock)
    mark_s = min(timings)
    rng = random.Random(8003)
    killed_while_marking = 0
    for run in range(TRIAGE_RUNS):
        if run % 2 == 0:
            process = subprocess.Popen(
                [sys.executable, "-c", TRIAGE_SCRIPT, str(database)],
                env=reader_env(home),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            assert process.stdout is not None
            assert process.stdout.readline().strip() == b"ready"
            assert not ended(process, within_s=rng.uniform(0.05, 0.4))
            kill_group(process)
            process.stdout.close()
        else:
            # `reader mark` of every item of the library at once: all or nothing.
            with read_only(database) as connection:
                starred = connection.execute("SELECT max(starred) FROM items").fetchone()[0]
            process = start(home, "mark", *ids, "--unstar" if starred else "--star")
            killed_while_marking += not ended(process, within_s=rng.uniform(0.2, 0.7) * mark_s)
            kill_group(process)
        assert_consistent(database)
        assert_issues_uniform(database)
    assert killed_while_marking >= 2
    assert count_rows(database, "items") == 12 * 24


def test_two_reader_processes_write_at_once(home: Path, tmp_path: Path) -> None:
    database = home / "library.sqlite3"
    first = write_batch(tmp_path / "first", range(0, 60))
    second = write_batch(tmp_path / "second", range(100, 160))
    # Created first, so the two imports race on writes, not on creating the file.
    assert (
        run_reader(home, "import", str(write_batch(tmp_path / "seed", range(500, 501)))).returncode
        == 0
    )
    seed_items = [row for row in snapshot(database)]
    processes = [
        subprocess.Popen(
            reader_command(*args),
            env=reader_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (
            ("import", str(first)),
            ("import", str(second)),
            ("mark", *seed_items, "--read"),
            ("import", str(first)),
        )
    ]
    results = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in out + err
    assert_consistent(database)
    assert count_rows(database, "issues") == 121
    assert count_rows(database, "items") == 121 * 24
    flags = snapshot(database)
    assert all(flags[item][1] == 1 for item in seed_items)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_killed_writer_never_blocks_the_next_one(home: Path, tmp_path: Path) -> None:
    database = home / "library.sqlite3"
    result = run_reader(home, "import", str(write_batch(tmp_path / "first", range(5))))
    assert result.returncode == 0, result.stderr
    write_batch(tmp_path / "batch", range(100, 180))
    process = start(home, "import", str(tmp_path / "batch"))
    poll(lambda: write_lock_held(database) or process.poll() is not None, step_s=0.001)
    assert process.poll() is None, "the import ended before it could be killed"
    kill_group(process)
    # The lock of a killed process dies with it: the next writer starts at once.
    result = run_reader(home, "mark", *list(snapshot(database))[:5], "--star", timeout=10)
    assert result.returncode == 0, result.stderr
    assert os.path.exists(database)
