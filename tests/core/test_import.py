"""Importing many files: batched transactions, worker processes, broken files, crashes."""

from __future__ import annotations

import ctypes
import faulthandler
import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from reader.core import bulk_import, importer
from reader.core.bulk_import import CRASHED_READING, FileLoader
from reader.core.importer import FileProblem, LoadedFile
from reader.core.library import ImportReport, Library
from reader.core.model import ParsedIssue
from reader.core.store import PreparedIssue, Store, UpsertResult
from reader.core.store.items import unprepared

# Forked workers see what a test patches in this process; other start methods do not.
needs_fork = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="patches reach workers through fork"
)

OPML = """<?xml version="1.0"?>
<opml version="2.0"><body>
<outline type="rss" text="Feed" xmlUrl="https://feeds.example.com/a.xml"/>
</body></opml>
"""


def issue_text(number: int) -> str:
    items = "".join(
        f"#### [Story {number}.{item}](https://example.com/{number}/{item})\n\n"
        f"What happened in story {number}.{item}, told briefly.\n\n"
        for item in range(5)
    )
    return f"---\ntitle: Weekly {number}\ndate: 2025-01-{1 + number % 28:02d}\n---\n\n## News\n\n{items}"


def write_folder(folder: Path, count: int) -> Path:
    """`count` issues; among them an empty file, an undecodable one, one that imports with a
    warning and an OPML list."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"issue-{number:03d}.md").write_text(issue_text(number), encoding="utf-8")
    (folder / "issue-010-empty.md").write_bytes(b"")
    (folder / "issue-020-undecodable.txt").write_bytes(b"\x81\xfe\x00\xff\x80" * 200)
    (folder / "issue-030-zero-date.md").write_text(
        "---\ntitle: Zero date\ndate: 0000-00-00\n---\n\n#### Item\n\nBody.\n"
        "[Link](https://example.com/z)\n",
        encoding="utf-8",
    )
    (folder / "issue-040-feeds.opml").write_text(OPML, encoding="utf-8")
    return folder


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read every import in worker processes, however few the files."""
    monkeypatch.setattr(bulk_import, "IMPORT_POOL_MIN_FILES", 1)


@pytest.fixture
def one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read every import in the importing process."""
    monkeypatch.setattr(bulk_import, "IMPORT_POOL_MIN_FILES", 10**9)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most 12 items per transaction (about two issues of `issue_text`)."""
    for name in ("IMPORT_BATCH_FIRST_ITEMS", "IMPORT_BATCH_MIN_ITEMS", "IMPORT_BATCH_MAX_ITEMS"):
        monkeypatch.setattr(bulk_import, name, 12)


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The titles of the issues of each `upsert_issues` call, one list per transaction."""
    calls: list[list[str]] = []
    original = Store.upsert_issues

    def counting(
        store: Store, source_id: int, parsed: Iterable[ParsedIssue | PreparedIssue]
    ) -> list[UpsertResult]:
        issues = list(parsed)
        calls.append([unprepared(issue).title for issue in issues])
        return original(store, source_id, issues)

    monkeypatch.setattr(Store, "upsert_issues", counting)
    return calls


def import_into(database: Path, paths: list[Path]) -> tuple[ImportReport, list[tuple[Any, ...]]]:
    """Import; the report and every stored row whose order or content the import decides."""
    with Library(database) as library:
        report = library.import_paths(paths)
    return report, stored_rows(database)


def stored_rows(database: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        rows = [
            *connection.execute("SELECT id, source_id, title, file FROM issues ORDER BY rowid"),
            *connection.execute(
                "SELECT id, issue_id, position, title, read FROM items ORDER BY rowid"
            ),
            *connection.execute("SELECT id, url FROM sources ORDER BY id"),
        ]
    connection.close()
    return rows


def titles(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        found = [row[0] for row in connection.execute("SELECT title FROM issues ORDER BY rowid")]
    connection.close()
    return found


def patch_load_file(monkeypatch: pytest.MonkeyPatch, special: Callable[[Path], None]) -> None:
    """Call `special(path)` before reading each file, in whichever process reads it."""
    original = importer.load_file

    def load_file(path: Path) -> LoadedFile:
        special(path)
        return original(path)

    monkeypatch.setattr(importer, "load_file", load_file)


# --- the same result however the files are read and stored ------------------------------


@pytest.mark.usefixtures("small_batches")
def test_workers_store_the_same_issues_in_the_same_order_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transactions: list[list[str]]
) -> None:
    folder = write_folder(tmp_path / "issues", 60)
    monkeypatch.setattr(bulk_import, "IMPORT_POOL_MIN_FILES", 10**9)
    alone, alone_rows = import_into(tmp_path / "alone.sqlite", [folder])
    monkeypatch.setattr(bulk_import, "IMPORT_POOL_MIN_FILES", 1)
    monkeypatch.setattr(bulk_import, "IMPORT_IN_FLIGHT_FILES", 7)
    pooled, pooled_rows = import_into(tmp_path / "pooled.sqlite", [folder])

    assert pooled == alone
    assert pooled_rows == alone_rows
    assert [problem.path for problem in pooled.problems] == [
        str(folder / "issue-010-empty.md"),
        str(folder / "issue-020-undecodable.txt"),
    ]
    assert [warning.path for warning in pooled.warnings] == [str(folder / "issue-030-zero-date.md")]
    assert pooled.sources_added == ["https://feeds.example.com/a.xml"]
    assert len(pooled.imported) == 61 and all(issue.is_new for issue in pooled.imported)
    # Several files per transaction (of 5 items each, but one: 3 or 4 reach the budget of 12).
    assert len(transactions) <= 2 * 61 / 2
    assert all(1 <= len(batch) <= 4 for batch in transactions)
    assert [title for batch in transactions for title in batch] == 2 * titles(
        tmp_path / "pooled.sqlite"
    )


@pytest.mark.parametrize("mode", ["workers", "one_by_one"])
def test_a_broken_file_in_a_batch_gets_one_message_and_the_others_import(
    tmp_path: Path, request: pytest.FixtureRequest, mode: str, transactions: list[list[str]]
) -> None:
    request.getfixturevalue(mode)
    folder = tmp_path / "issues"
    folder.mkdir()
    for number in range(50):
        (folder / f"issue-{number:03d}.md").write_text(issue_text(number), encoding="utf-8")
    (folder / "issue-024-binary.md").write_bytes(bytes(range(256)) * 64)
    (folder / "issue-025-empty.md").write_bytes(b"")
    with Library(tmp_path / "library.sqlite") as library:
        report = library.import_paths([folder])
    assert report.problems == [
        FileProblem(
            str(folder / "issue-024-binary.md"),
            "This is a binary file, not text (it contains NUL bytes).",
        ),
        FileProblem(str(folder / "issue-025-empty.md"), "the file is empty"),
    ]
    assert [Path(issue.file).name for issue in report.imported] == [
        f"issue-{number:03d}.md" for number in range(50)
    ]
    assert titles(tmp_path / "library.sqlite") == [f"Weekly {number}" for number in range(50)]
    assert len(transactions) < 10


def test_a_reimport_changes_nothing_and_reports_every_issue(
    tmp_path: Path, transactions: list[list[str]]
) -> None:
    folder = write_folder(tmp_path / "issues", 60)
    database = tmp_path / "library.sqlite"
    first, rows = import_into(database, [folder])
    with Library(database) as library:
        again = library.import_paths([folder])
    assert [(issue.file, issue.issue_id) for issue in again.imported] == [
        (issue.file, issue.issue_id) for issue in first.imported
    ]
    assert not any(issue.is_new or issue.new_items for issue in again.imported)
    assert again.problems == first.problems and again.warnings == first.warnings
    assert stored_rows(database) == rows


# --- worker processes --------------------------------------------------------------------


def test_files_in_flight_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_import, "IMPORT_POOL_MIN_FILES", 1)
    monkeypatch.setattr(bulk_import, "IMPORT_IN_FLIGHT_FILES", 10)
    monkeypatch.setattr(bulk_import, "IMPORT_CHUNK_FILES", 4)
    paths = []
    for number in range(30):
        paths.append(tmp_path / f"issue-{number:02d}.md")
        paths[-1].write_text(issue_text(number), encoding="utf-8")
    submitted: list[Path] = []
    original = ProcessPoolExecutor.submit

    def counting(pool: ProcessPoolExecutor, function: Any, *args: Any) -> Any:
        submitted.extend(args[0])
        return original(pool, function, *args)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counting)
    with FileLoader(paths) as loader:
        for taken, (path, loaded) in enumerate(loader.results(), start=1):
            assert isinstance(loaded, LoadedFile) and loaded.path == path == paths[taken - 1]
            # The window holds 10 files; handing one back makes room for the next.
            assert len(submitted) - taken <= 10 - 1
    assert submitted == paths


@needs_fork
@pytest.mark.usefixtures("workers", "small_batches")
def test_a_worker_that_crashes_on_a_file_fails_that_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    for number in range(40):
        (folder / f"issue-{number:03d}.md").write_text(issue_text(number), encoding="utf-8")
    segfault = folder / "issue-012-segfault.md"
    killed = folder / "issue-030-killed.md"
    for path in (segfault, killed):
        path.write_text(issue_text(999), encoding="utf-8")

    def crash(path: Path) -> None:
        if path == segfault:
            faulthandler.disable()  # no traceback in the test output
            ctypes.string_at(0)  # a crash in native code
        if path == killed:
            os.kill(os.getpid(), signal.SIGKILL)  # the OOM killer

    patch_load_file(monkeypatch, crash)
    with Library(tmp_path / "library.sqlite") as library:
        report = library.import_paths([folder])
    assert report.problems == [
        FileProblem(str(segfault), CRASHED_READING),
        FileProblem(str(killed), CRASHED_READING),
    ]
    assert titles(tmp_path / "library.sqlite") == [f"Weekly {number}" for number in range(40)]


@needs_fork
@pytest.mark.usefixtures("workers")
def test_files_read_before_a_slow_one_are_stored_while_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    for number in range(30):
        (folder / f"issue-{number:03d}.md").write_text(issue_text(number), encoding="utf-8")
    # The first file of the second chunk a worker takes.
    before = bulk_import.IMPORT_CHUNK_FILES
    slow = folder / f"issue-{before:03d}-slow.md"
    slow.write_text(issue_text(99), encoding="utf-8")
    database = tmp_path / "library.sqlite"

    def wait_for_the_files_before(path: Path) -> None:
        # Reading this file ends only once the files before it are in the library.
        if path != slow:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if len(titles(database)) >= before:
                    return
            except sqlite3.Error:
                pass
            time.sleep(0.01)
        raise RuntimeError("the files read before were not stored while waiting")

    patch_load_file(monkeypatch, wait_for_the_files_before)
    with Library(database) as library:
        report = library.import_paths([folder])
    assert not report.problems
    assert len(titles(database)) == 31


@pytest.mark.parametrize("mode", ["workers", "one_by_one"])
@needs_fork
def test_a_bug_stops_the_import_and_keeps_the_files_read_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, mode: str
) -> None:
    request.getfixturevalue(mode)
    folder = tmp_path / "issues"
    folder.mkdir()
    for number in range(50):
        (folder / f"issue-{number:03d}.md").write_text(issue_text(number), encoding="utf-8")
    buggy = folder / "issue-030-bug.md"
    buggy.write_text(issue_text(99), encoding="utf-8")

    def bug(path: Path) -> None:
        if path == buggy:
            raise RuntimeError("a bug in the splitter")

    patch_load_file(monkeypatch, bug)
    with Library(tmp_path / "library.sqlite") as library, pytest.raises(RuntimeError):
        library.import_paths([folder])
    # The file sorts before issue-030.md. Workers read a few files per task, and a bug
    # ends the task: the files read with it before it may not be stored.
    stored = titles(tmp_path / "library.sqlite")
    assert stored == [f"Weekly {number}" for number in range(len(stored))]
    assert 30 - bulk_import.IMPORT_CHUNK_FILES < len(stored) <= 30
    if mode == "one_by_one":
        assert len(stored) == 30


def test_few_files_start_no_worker_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(workers: int) -> ProcessPoolExecutor:
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(bulk_import, "_worker_processes", no_pool)
    write_folder(tmp_path / "issues", bulk_import.IMPORT_POOL_MIN_FILES - 5)
    with Library(tmp_path / "library.sqlite") as library:
        report = library.import_paths([tmp_path / "issues"])
    assert len(report.imported) == bulk_import.IMPORT_POOL_MIN_FILES - 4
