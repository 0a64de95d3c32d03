"""Refreshing sources: fetch feeds concurrently, parse off the loop, store the news.

Three kinds of work overlap. Downloads run on an asyncio loop in a thread of their
own with a bounded number in flight; parsing, conversion, splitting and the
segmenting of text for search run in worker processes, so they use every core;
the calling thread stores each result as it comes, several sources per
transaction, and never holds up a download. A bounded number of parsed sources
may wait for the store: when storing falls behind, downloads wait too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import stat
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from reader.core.errors import FeedError, FetchError, InputError, ReaderError
from reader.core.fetch import FetchResult, fetch, make_client
from reader.core.limits import DEFAULT_INTERVAL_S, FEED_DEADLINE_S, MAX_CONCURRENT_FETCHES
from reader.core.model import ParsedIssue, Source
from reader.core.store import PreparedIssue, Store, prepare_issue
from reader.core.workers import serve_parent

# Fewer sources than this are parsed in a thread: starting worker processes
# costs more than it saves.
PROCESS_POOL_MIN_SOURCES = 6
PARSE_WORKERS = max(1, min(4, os.cpu_count() or 1))
# Sources parsed but not yet stored, at most (besides those being parsed): enough to keep
# the store busy, few enough that a store slower than the parsers holds downloads back,
# not memory (a parsed feed of 50 digests is several MB).
MAX_WAITING_TO_STORE = 4
# One transaction stores the news of several sources, up to about this many items, so
# that commits stay few yet a reader triaging meanwhile never waits long for the lock.
MAX_ITEMS_PER_TRANSACTION = 2000


@dataclass(frozen=True)
class RefreshOutcome:
    """What refreshing one source did."""

    source_id: int
    title: str
    status: str  # "ok", "not_modified" or "error"
    new_issues: int = 0
    new_items: int = 0
    updated_issues: int = 0
    error: str | None = None


@dataclass
class RefreshProgress:
    """Running totals for a progress display: sources done out of total, failures."""

    total: int
    done: int = 0
    failed: int = 0
    outcomes: list[RefreshOutcome] = field(default_factory=list)


ProgressCallback = Callable[[RefreshProgress], None]


@dataclass(frozen=True)
class ParsedSource:
    """A source's content after parsing, ready to store."""

    title: str | None
    issues: tuple[ParsedIssue | PreparedIssue, ...]
    warnings: tuple[str, ...] = ()

    def item_count(self) -> int:
        """How many items storing this means, about: what a transaction is sized by."""
        return sum(
            len(issue.derived) if isinstance(issue, PreparedIssue) else 1 for issue in self.issues
        )


@dataclass(frozen=True)
class Fetched:
    """One source's refresh before storing: parsed content (None when unchanged)."""

    parsed: ParsedSource | None
    http: FetchResult | None = None
    files: dict[str, float] | None = None


def parse_feed_bytes(
    data: bytes, url: str, content_type: str | None, charset: str | None
) -> ParsedSource:
    """Feed bytes -> split issues, prepared for the store.

    Runs in a worker process, so it takes plain values.
    """
    from reader.core.feeds import EmptyFeedError, entry_to_issue, parse_feed

    try:
        feed = parse_feed(data, url=url, content_type=content_type, charset=charset)
    except EmptyFeedError:
        # A feed with no entries yet is working, just quiet.
        return ParsedSource(title=None, issues=())
    issues = tuple(
        prepare_issue(entry_to_issue(entry, base_url=entry.link or url)) for entry in feed.entries
    )
    return ParsedSource(title=feed.title or None, issues=issues)


def _start_parser_process(parent_pid: int) -> None:
    """Parser process initializer: exit with the parent, and load the parsers.

    Every process of the pool starts at the first parse (fork start method), so the
    second one imports while the first parses instead of when its first feed comes.
    """
    serve_parent(parent_pid)
    import reader.core.feeds  # noqa: F401


def read_feed_file(path: Path) -> bytes:
    """The bytes of a local feed file, refusing devices, pipes and oversized files unread."""
    from reader.core.limits import MAX_BODY_BYTES

    try:
        info = path.stat()
    except OSError as error:
        raise FetchError(f"cannot read {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FetchError(f"{path} is not a regular file")
    if info.st_size > MAX_BODY_BYTES:
        limit_mb = MAX_BODY_BYTES // (1024 * 1024)
        raise FetchError(f"{path} is {info.st_size / 1048576:.0f} MB, over the {limit_mb} MB limit")
    try:
        with path.open("rb") as file:
            # Read one byte past the cap: a file that grew since stat() is still refused.
            data = file.read(MAX_BODY_BYTES + 1)
    except OSError as error:
        raise FetchError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_BODY_BYTES:
        raise FetchError(f"{path} is over the {MAX_BODY_BYTES // (1024 * 1024)} MB limit")
    return data


def scan_folder(folder: Path, known_files: dict[str, float]) -> Fetched:
    """New or changed issue files of a folder source, parsed."""
    from reader.core.importer import FileProblem, iter_import_files, load_file_safely

    if not folder.is_dir():
        raise InputError(f"the folder {folder} is gone")
    current: dict[str, float] = {}
    issues: list[ParsedIssue | PreparedIssue] = []
    warnings: list[str] = []
    for path in iter_import_files([folder]):
        name = str(path.relative_to(folder))
        mtime = path.stat().st_mtime
        current[name] = mtime
        if known_files.get(name) == mtime:
            continue
        loaded = load_file_safely(path)
        if isinstance(loaded, FileProblem):
            warnings.append(f"{name}: {loaded.message}")
        else:
            issues.extend(loaded.issues)
    parsed = ParsedSource(title=None, issues=tuple(issues), warnings=tuple(warnings))
    return Fetched(parsed=parsed, files=current)


def is_due(source: Source, now: datetime) -> bool:
    """True when a source's next refresh time has come, or it never ran."""
    if source.next_due is None:
        return True
    due = source.next_due if source.next_due.tzinfo else source.next_due.replace(tzinfo=UTC)
    return due <= now


def next_due_after(
    now: datetime, interval_s: int, retry_after_s: float | None, max_age_s: float | None
) -> datetime:
    """When to fetch next: after the interval, or later if the server asked (capped upstream)."""
    wait = float(interval_s)
    for asked in (retry_after_s, max_age_s):
        if asked is not None and asked > wait:
            wait = asked
    return now + timedelta(seconds=wait)


def _parser_processes(workers: int) -> ProcessPoolExecutor:
    # The processes start with the first parse: a refresh where nothing changed starts none.
    return ProcessPoolExecutor(
        max_workers=workers, initializer=_start_parser_process, initargs=(os.getpid(),)
    )


def _parser_failure(error: BaseException) -> FeedError:
    # A parser bug on one hostile feed must not end the refresh of the others;
    # the message says what happened so that it can be reported.
    text = " ".join(str(error).split())[:200]
    return FeedError(f"reader failed to read this feed ({type(error).__name__}: {text}); a bug")


class _Parsers:
    """Where one refresh parses feeds: worker processes for many sources, else a thread.

    A parser process that dies (a crash in native code, the OOM killer) breaks
    its whole pool: the pool is replaced, and the feeds it held are parsed again
    one at a time, each in a process of its own, so only a feed that kills its
    parser fails.
    """

    def __init__(self, *, processes: bool) -> None:
        self._executor: Executor = (
            _parser_processes(PARSE_WORKERS) if processes else ThreadPoolExecutor(max_workers=1)
        )
        self._retry_lock = asyncio.Lock()

    async def parse(
        self, data: bytes, url: str, content_type: str | None, charset: str | None
    ) -> ParsedSource:
        """Feed bytes -> split issues, off the event loop."""
        executor = self._executor
        try:
            return await self._parse_in(executor, data, url, content_type, charset)
        except BrokenProcessPool:
            pass
        if self._executor is executor:
            executor.shutdown(wait=False, cancel_futures=True)
            self._executor = _parser_processes(PARSE_WORKERS)
        async with self._retry_lock:
            alone = _parser_processes(1)
            try:
                return await self._parse_in(alone, data, url, content_type, charset)
            except BrokenProcessPool:
                raise FeedError("the feed parser crashed on this feed") from None
            finally:
                alone.shutdown(wait=False)

    @staticmethod
    async def _parse_in(
        executor: Executor, data: bytes, url: str, content_type: str | None, charset: str | None
    ) -> ParsedSource:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                executor, parse_feed_bytes, data, url, content_type, charset
            )
        except (ReaderError, BrokenProcessPool):
            raise
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # a Rust panic in a native parser is a BaseException
            raise _parser_failure(error) from error

    def close(self) -> None:
        """Stop the parser processes or thread."""
        self._executor.shutdown(wait=True, cancel_futures=True)


# What the fetching thread hands the storing one: a source and what became of it.
_Finished = tuple[Source, "Fetched | ReaderError"]


class _FetchingThread:
    """Runs the downloads and parses of one refresh on an event loop in a thread.

    Each source's result goes into `finished` as soon as it is parsed; `None` follows
    the last one. A source takes one of `slots` before its parse and keeps it until the
    storing thread calls `release`: that bounds the parsed sources held in memory, and
    when the store falls behind, downloaded feeds wait for a slot and downloads wait
    for them.
    """

    def __init__(self, refresher: Refresher, sources: Sequence[Source], parsers: _Parsers) -> None:
        self.finished: queue.SimpleQueue[_Finished | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self._refresher = refresher
        self._sources = sources
        self._parsers = parsers
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._slots: asyncio.Semaphore | None = None
        # Sources that hold a slot (touched from both threads, one id at a time).
        self._holding: set[int] = set()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="refresh-fetch", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def release(self, source: Source) -> None:
        """`source`'s result is stored: let another parse start."""
        loop, slots = self._loop, self._slots
        if loop is None or slots is None or source.id not in self._holding:
            return
        self._holding.discard(source.id)
        # Once the loop has ended every source is done, and nothing waits for a slot.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(slots.release)

    def stop(self) -> None:
        """Cancel what is still running (the storing side gave up) and wait for the thread."""
        loop, main = self._loop, self._main
        if loop is not None and main is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)
        self._thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._main_task())
        except asyncio.CancelledError:
            pass
        except BaseException as error:
            self.error = error
        finally:
            self._started.set()
            self.finished.put(None)

    async def _main_task(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        refresher = self._refresher
        self._slots = slots = asyncio.Semaphore(PARSE_WORKERS + MAX_WAITING_TO_STORE)
        fetch_slots = asyncio.Semaphore(refresher.concurrency)
        self._started.set()
        async with make_client() as client:

            async def one(source: Source) -> None:
                async def reserve() -> None:
                    await slots.acquire()
                    self._holding.add(source.id)

                async with fetch_slots:
                    try:
                        result: Fetched | ReaderError = await refresher._fetch_and_parse(
                            client, source, self._parsers, reserve
                        )
                    except ReaderError as error:
                        result = error
                    except Exception as error:  # a bug must not end the other sources' refresh
                        result = _parser_failure(error)
                self.finished.put((source, result))

            tasks = [asyncio.create_task(one(source)) for source in self._sources]
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


class Refresher:
    """One refresh of several sources, storing through `store` in the calling thread."""

    def __init__(
        self,
        store: Store,
        *,
        concurrency: int = MAX_CONCURRENT_FETCHES,
        deadline_s: float = FEED_DEADLINE_S,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.concurrency = max(1, concurrency)
        self.deadline_s = deadline_s
        self.progress = progress

    def run(self, sources: Sequence[Source]) -> list[RefreshOutcome]:
        """Refresh `sources`; one failing source never stops the others."""
        if not sources:
            return []
        state = RefreshProgress(total=len(sources))
        if self.progress:
            self.progress(state)
        parsers = _Parsers(processes=len(sources) >= PROCESS_POOL_MIN_SOURCES and PARSE_WORKERS > 1)
        fetching = _FetchingThread(self, sources, parsers)
        try:
            fetching.start()
            self._store_as_they_come(fetching, state)
        finally:
            fetching.stop()
            parsers.close()
        if fetching.error is not None:
            raise fetching.error
        order = {source.id: index for index, source in enumerate(sources)}
        return sorted(state.outcomes, key=lambda outcome: order[outcome.source_id])

    def _store_as_they_come(self, fetching: _FetchingThread, state: RefreshProgress) -> None:
        finished = fetching.finished
        ended = False
        while not ended:
            first = finished.get()
            if first is None:
                break
            batch = [first]
            items = _size(first)
            # Whatever else is ready joins the same transaction, up to the size cap.
            while items < MAX_ITEMS_PER_TRANSACTION:
                try:
                    more = finished.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    ended = True
                    break
                batch.append(more)
                items += _size(more)
            for (source, _), outcome in zip(batch, self._store_batch(batch), strict=True):
                fetching.release(source)
                state.done += 1
                state.failed += outcome.status == "error"
                state.outcomes.append(outcome)
                if self.progress:
                    self.progress(state)

    def _store_batch(self, batch: list[_Finished]) -> list[RefreshOutcome]:
        """Store several sources' results in one transaction, else one by one."""
        if len(batch) > 1:
            try:
                with self.store.transaction():
                    return [self.store_result(source, result) for source, result in batch]
            except ReaderError:
                pass  # rolled back: store each alone, so only the failing one fails
        outcomes = []
        for source, result in batch:
            try:
                outcomes.append(self.store_result(source, result))
            except ReaderError as error:
                outcomes.append(RefreshOutcome(source.id, source.title, "error", error=str(error)))
        return outcomes

    async def _fetch_and_parse(
        self,
        client: httpx.AsyncClient,
        source: Source,
        parsers: _Parsers,
        reserve: Callable[[], Awaitable[None]],
    ) -> Fetched:
        """Fetch one source and parse what changed; `reserve` is awaited before parsing."""
        loop = asyncio.get_running_loop()
        if source.kind == "folder":
            known = source.settings.get("files")
            known_files = dict(known) if isinstance(known, dict) else {}
            await reserve()
            return await loop.run_in_executor(None, scan_folder, Path(source.url), known_files)
        if source.kind == "file":
            path = Path(source.url)
            data = await loop.run_in_executor(None, read_feed_file, path)
            await reserve()
            parsed = await parsers.parse(data, path.as_uri(), None, None)
            return Fetched(parsed=parsed)
        result = await fetch(
            client,
            source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            deadline_s=self.deadline_s,
        )
        if result.not_modified or result.content is None:
            return Fetched(parsed=None, http=result)
        await reserve()
        parsed = await parsers.parse(
            result.content, result.url, result.content_type, result.charset
        )
        return Fetched(parsed=parsed, http=result)

    def store_result(self, source: Source, result: Fetched | ReaderError) -> RefreshOutcome:
        """Store what one source gave (or its error) and schedule its next refresh."""
        now = datetime.now(UTC)
        interval_s = source.interval_s or DEFAULT_INTERVAL_S
        if isinstance(result, ReaderError):
            retry_after_s = getattr(result, "retry_after_s", None)
            self.store.update_source(
                source.id,
                status="error",
                error=str(result),
                last_refresh=now,
                next_due=next_due_after(now, interval_s, retry_after_s, None),
            )
            return RefreshOutcome(source.id, source.title, "error", error=str(result))
        fields: dict[str, object] = {"last_refresh": now, "error": None}
        http = result.http
        if http is not None:
            fields["etag"] = http.etag
            fields["last_modified"] = http.last_modified
            fields["next_due"] = next_due_after(now, interval_s, http.retry_after_s, http.max_age_s)
            if http.permanent_redirect_to and http.permanent_redirect_to != source.url:
                fields["url"] = http.permanent_redirect_to
        else:
            fields["next_due"] = next_due_after(now, interval_s, None, None)
        if result.files is not None:
            fields["settings"] = {**source.settings, "files": result.files}
        if result.parsed is None:
            fields["status"] = "not_modified"
            self.store.update_source(source.id, **fields)
            return RefreshOutcome(source.id, source.title, "not_modified")
        new_issues = new_items = updated = 0
        for upserted in self.store.upsert_issues(source.id, result.parsed.issues):
            new_issues += upserted.is_new_issue
            new_items += upserted.new_items
            updated += upserted.changed and not upserted.is_new_issue
        fields["status"] = "ok"
        title = source.title
        if result.parsed.title and source.title_override is None:
            fields["title"] = title = result.parsed.title
        if result.parsed.warnings:
            fields["error"] = "; ".join(result.parsed.warnings)[:500]
        self.store.update_source(source.id, **fields)
        return RefreshOutcome(source.id, title, "ok", new_issues, new_items, updated)


def _size(finished: _Finished) -> int:
    result = finished[1]
    if isinstance(result, Fetched) and result.parsed is not None:
        return max(1, result.parsed.item_count())
    return 1
