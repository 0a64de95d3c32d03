"""Importing many files at once: read and split in worker processes, stored in batches.

`FileLoader` hands back each file's result in file order while workers read ahead, and
`ImportBatch` stores many files per write transaction, sized so none holds the lock long.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from reader.core.importer import FileProblem, LoadedFile, file_size, is_opml, load_file_safely
from reader.core.model import ParsedIssue
from reader.core.store import PreparedIssue, Store, prepare_issue
from reader.core.store.items import unprepared
from reader.core.workers import serve_parent

# --- reading many files in worker processes ---------------------------------------------

# Fewer issue files than this are read in the importing process: starting worker
# processes costs more than splitting in parallel saves.
IMPORT_POOL_MIN_FILES = 40
IMPORT_WORKERS = max(1, min(4, os.cpu_count() or 1))
# Files handed to the workers and not yet taken back, by count and by size on disk (one
# file is always allowed): enough to keep the workers splitting while the importing
# process stores a batch, few enough that memory stays bounded however many files come.
IMPORT_IN_FLIGHT_FILES = 256
IMPORT_IN_FLIGHT_BYTES = 32 * 1024 * 1024
# Files per task a worker takes: fewer round trips through the process pool (which
# cost the importing process CPU), still a small share of a worker's work each.
IMPORT_CHUNK_FILES = 8
# While waiting for a worker, the importing process looks this often whether it should
# store what it holds (see IMPORT_BATCH_MAX_AGE_S).
IMPORT_WAIT_STEP_S = 0.1
CRASHED_READING = "reader crashed while reading this file (a bug worth reporting)"

# --- storing many files per write transaction -------------------------------------------

# A write transaction holds the library's write lock (a TUI marking items read waits for
# it), so batches are sized by the time the last one took: about this long each, counted
# in items, from IMPORT_BATCH_FIRST_ITEMS, growing at most twofold from one to the next.
IMPORT_BATCH_TARGET_S = 0.4
IMPORT_BATCH_FIRST_ITEMS = 1_000
IMPORT_BATCH_MIN_ITEMS = 100
IMPORT_BATCH_MAX_ITEMS = 10_000
# Bounds on what waits in memory to be stored: the files' size, and how long the first
# of them has waited (a slow file does not hold back the ones read before it).
IMPORT_BATCH_MAX_BYTES = 16 * 1024 * 1024
IMPORT_BATCH_MAX_AGE_S = 0.5

# What reading a file gave: None for an OPML file, which is not read here.
Loaded = LoadedFile | FileProblem | None


@dataclass(frozen=True)
class ImportedIssue:
    """One issue an import stored, and whether it was new."""

    file: str
    issue_id: str
    is_new: bool
    new_items: int


def _worker_processes(workers: int) -> ProcessPoolExecutor:
    # Loaded before the workers fork, so they start with the splitters loaded.
    import reader.core.convert
    import reader.core.split  # noqa: F401

    return ProcessPoolExecutor(
        max_workers=workers, initializer=serve_parent, initargs=(os.getpid(),)
    )


def _do_nothing() -> None:
    pass


@dataclass(frozen=True)
class _InFlight:
    path: Path
    size: int
    # What reads the file's chunk, and the file's place in it; None for an OPML file,
    # which is not read here.
    future: Future[list[LoadedFile | FileProblem]] | None = None
    index: int = 0
    pool: ProcessPoolExecutor | None = None


def _load_chunk(paths: tuple[Path, ...]) -> list[LoadedFile | FileProblem]:
    """What a worker process runs: `load_file_safely` on a few files in a row.

    The issues come back prepared for the store, which takes that work (segmenting text
    for search) off the importing process.
    """
    results = [load_file_safely(path) for path in paths]
    for result in results:
        if isinstance(result, LoadedFile):
            result.issues = [
                issue if isinstance(issue, PreparedIssue) else prepare_issue(issue)
                for issue in result.issues
            ]
    return results


class FileLoader:
    """Reads and splits import files, handing back each one's result in the order given.

    Many files are read in worker processes, a few per task and a bounded number at a
    time; few files in this process. OPML files are not read (importing one subscribes:
    the caller's job), their result is None. A worker that dies (a crash in native code,
    the OOM killer) breaks its pool: the pool is replaced, and the files the broken one
    held are read again one at a time in a process of their own, so only a file that
    kills its reader fails.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self._paths = paths
        files = sum(1 for path in paths if not is_opml(path))
        self._use_workers = IMPORT_WORKERS > 1 and files >= IMPORT_POOL_MIN_FILES
        self._pool: ProcessPoolExecutor | None = None
        self._alone: ProcessPoolExecutor | None = None
        # The size on disk of the files in the window.
        self._window_bytes = 0

    def __enter__(self) -> FileLoader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(wait=kind is None)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker processes; `wait` for those still reading to finish."""
        for pool in (self._pool, self._alone):
            if pool is not None:
                pool.shutdown(wait=wait, cancel_futures=True)
        self._pool = self._alone = None

    def results(
        self, while_waiting: Callable[[], None] = _do_nothing
    ) -> Iterator[tuple[Path, Loaded]]:
        """Each path with what reading it gave, in order; `while_waiting` is called every
        IMPORT_WAIT_STEP_S while the next result is not ready."""
        if not self._use_workers:
            for path in self._paths:
                yield path, None if is_opml(path) else load_file_safely(path)
            return
        upcoming = deque(self._paths)
        window: deque[_InFlight] = deque()
        while True:
            self._refill(window, upcoming)
            if not window:
                return
            entry = window.popleft()
            self._window_bytes -= entry.size
            yield entry.path, self._result(entry, while_waiting)

    def _refill(self, window: deque[_InFlight], upcoming: deque[Path]) -> None:
        """Hand files to the workers, a chunk at a time, while the window has room."""
        while upcoming:
            room = IMPORT_IN_FLIGHT_FILES - len(window)
            if window and (
                room < min(IMPORT_CHUNK_FILES, len(upcoming))
                or self._window_bytes >= IMPORT_IN_FLIGHT_BYTES
            ):
                return
            if is_opml(upcoming[0]):
                window.append(_InFlight(upcoming.popleft(), 0))
                continue
            chunk: list[Path] = []
            sizes: list[int] = []
            while (
                upcoming
                and not is_opml(upcoming[0])
                and len(chunk) < min(IMPORT_CHUNK_FILES, max(room, 1))
                and (not chunk or self._window_bytes < IMPORT_IN_FLIGHT_BYTES)
            ):
                chunk.append(upcoming.popleft())
                sizes.append(file_size(chunk[-1]))
                self._window_bytes += sizes[-1]
            pool = self._workers()
            try:
                future = pool.submit(_load_chunk, tuple(chunk))
            except BrokenProcessPool:
                pool = self._replace_pool()
                future = pool.submit(_load_chunk, tuple(chunk))
            window.extend(
                _InFlight(path, size, future, index, pool)
                for index, (path, size) in enumerate(zip(chunk, sizes, strict=True))
            )

    def _workers(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _worker_processes(IMPORT_WORKERS)
        return self._pool

    def _replace_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        return self._workers()

    def _result(self, entry: _InFlight, while_waiting: Callable[[], None]) -> Loaded:
        if entry.future is None:
            return None
        try:
            return _wait(entry.future, while_waiting)[entry.index]
        except BrokenProcessPool:
            pass
        if entry.pool is self._pool:
            self._replace_pool()
        # One file at a time in a process of its own: if that process dies, this file
        # killed it.
        if self._alone is None:
            self._alone = _worker_processes(1)
        try:
            return _wait(self._alone.submit(_load_chunk, (entry.path,)), while_waiting)[0]
        except BrokenProcessPool:
            self._alone.shutdown(wait=False, cancel_futures=True)
            self._alone = None
            return FileProblem(str(entry.path), CRASHED_READING)


def _wait(
    future: Future[list[LoadedFile | FileProblem]], while_waiting: Callable[[], None]
) -> list[LoadedFile | FileProblem]:
    while True:
        try:
            return future.result(timeout=IMPORT_WAIT_STEP_S)
        except TimeoutError:
            while_waiting()


class ImportBatch:
    """Read files waiting to be stored: many go in one write transaction.

    Issues are stored in the order they were added, each reported to `imported`; one
    file's issues may span two transactions (a mailbox of thousands). Sizes follow
    IMPORT_BATCH_TARGET_S, see there. `source_id` gives the source to store under; it
    is asked when the first issue is stored.
    """

    def __init__(
        self, store: Store, source_id: Callable[[], int], imported: list[ImportedIssue]
    ) -> None:
        self._store = store
        self._source = source_id
        self._imported = imported
        self._source_id: int | None = None
        self._pending: list[tuple[str, ParsedIssue | PreparedIssue]] = []
        self._items = 0
        self._bytes = 0
        self._first_added = 0.0
        self._item_budget = IMPORT_BATCH_FIRST_ITEMS

    def add(self, loaded: LoadedFile) -> None:
        """Queue a read file's issues; stores them (and those before) when the batch is full."""
        self._bytes += loaded.size
        for issue in loaded.issues:
            parsed = unprepared(issue)
            if not self._pending:
                self._first_added = time.monotonic()
            self._pending.append((parsed.file or str(loaded.path), issue))
            # An issue costs something even without items.
            self._items += max(1, parsed.item_count)
            if self._items >= self._item_budget:
                self.store()
        if self._bytes >= IMPORT_BATCH_MAX_BYTES:
            self.store()
        else:
            self.store_if_old()

    def store_if_old(self) -> None:
        """Store what waits if the first of it has waited IMPORT_BATCH_MAX_AGE_S."""
        if self._pending and time.monotonic() - self._first_added >= IMPORT_BATCH_MAX_AGE_S:
            self.store()

    def store(self) -> None:
        """Store every queued issue in one transaction and report each."""
        if not self._pending:
            self._bytes = 0
            return
        pending, items = self._pending, self._items
        self._pending, self._items, self._bytes = [], 0, 0
        if self._source_id is None:
            self._source_id = self._source()
        started = time.perf_counter()
        results = self._store.upsert_issues(self._source_id, [parsed for _, parsed in pending])
        elapsed = time.perf_counter() - started
        self._imported.extend(
            ImportedIssue(
                file=file,
                issue_id=result.issue_id,
                is_new=result.is_new_issue,
                new_items=result.new_items,
            )
            for (file, _), result in zip(pending, results, strict=True)
        )
        # As many items as the rate just measured fits in the target time (waiting for
        # another writer's lock included), growing gradually: unchanged issues of a
        # re-import store much faster than new ones.
        fitting = int(items * IMPORT_BATCH_TARGET_S / max(elapsed, 1e-3))
        self._item_budget = max(
            IMPORT_BATCH_MIN_ITEMS,
            min(IMPORT_BATCH_MAX_ITEMS, fitting, 2 * self._item_budget),
        )
