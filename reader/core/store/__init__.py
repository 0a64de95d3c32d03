"""The library database: `Store` is the only object in reader that speaks SQL.

It owns one SQLite connection and delegates to the modules beside it, one per kind of data.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

from reader.core.model import AlsoIn, Article, Issue, Item, ParsedIssue, SearchHit, Source
from reader.core.store import (
    articles,
    flags,
    items,
    reading,
    retention,
    schema,
    search,
    settings,
    sources,
    stories,
)
from reader.core.store.flags import FlagState
from reader.core.store.items import PreparedIssue, UpsertResult, prepare_issue

__all__ = ["FlagState", "PreparedIssue", "Store", "UpsertResult", "prepare_issue"]


class Store:
    """A reader library in one SQLite file (WAL, busy timeout, versioned schema).

    Every write runs in a BEGIN IMMEDIATE transaction. Calls are serialised by a lock, so
    threads may share one Store; other processes may open the same file at the same time.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        # Lists that collecting_new_items() hands out, filled at each commit with the new
        # items that upsert_issues stored in the transaction.
        self._new_item_collectors: list[list[tuple[int, str]]] = []
        self._uncommitted_new_items: list[tuple[int, str]] = []
        self._connection = schema.connect(self.path)
        try:
            schema.migrate(self._connection, self.path)
        except BaseException:
            self._connection.close()
            raise

    # --- lifetime -----------------------------------------------------------

    def close(self) -> None:
        """Close the database; the Store cannot be used afterwards."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._connection
                finally:
                    self._depth -= 1
                return
            with self._user_errors():
                self._connection.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield self._connection
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        self._connection.execute("ROLLBACK")
                    self._uncommitted_new_items.clear()
                    raise
                else:
                    self._connection.execute("COMMIT")
                    for collector in self._new_item_collectors:
                        collector.extend(self._uncommitted_new_items)
                    self._uncommitted_new_items.clear()
                finally:
                    self._depth = 0

    def data_version(self) -> int:
        """A number that changes whenever another connection (or process) commits to the
        library; this connection's own writes leave it alone (PRAGMA data_version)."""
        with self._lock, self._user_errors():
            (version,) = self._connection.execute("PRAGMA data_version").fetchone()
            return int(version)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so a multi-query read sees one snapshot of the file."""
        with self._lock:
            if self._depth:
                yield self._connection
                return
            with self._user_errors():
                self._connection.execute("BEGIN")
                self._depth = 1
                try:
                    yield self._connection
                finally:
                    self._depth = 0
                    self._connection.execute("COMMIT")

    @contextlib.contextmanager
    def _user_errors(self) -> Iterator[None]:
        """Turn failures of the file or the disk into StoreError; bugs pass through."""
        try:
            yield
        except sqlite3.Error as error:
            translated = schema.environment_error(self.path, error)
            if translated is None:
                raise
            raise translated from error

    # --- sources --------------------------------------------------------------

    def ensure_source(self, kind: str, url: str, title: str) -> int:
        """The id of the source with `url`, creating it (kind, title) if it is new."""
        with self.transaction() as connection:
            return sources.ensure_source(connection, kind, url, title, items.utc_now_text())

    def source(self, source_id: int) -> Source:
        """One source with its issue and unread counts; NotFoundError if absent."""
        with self._reading() as connection:
            return sources.get_source(connection, source_id)

    def source_by_url(self, url: str) -> Source | None:
        """The source with exactly this url, or None."""
        with self._reading() as connection:
            return sources.source_by_url(connection, url)

    def sources(self) -> list[Source]:
        """All sources in the order they were added, with issue and unread counts."""
        with self._reading() as connection:
            return sources.list_sources(connection)

    def update_source(self, source_id: int, **fields: object) -> None:
        """Set fetch state: status, error, last_refresh, next_due, etag, last_modified, url,
        title, title_override, interval_s, tags, settings (times as datetimes)."""
        with self.transaction() as connection:
            sources.update_source(connection, source_id, fields)

    def remove_source(self, source_id: int) -> int:
        """Delete a source and its issues, keeping (sourceless) issues with starred or later
        items; returns how many issues were kept."""
        with self.transaction() as connection:
            return sources.remove_source(connection, source_id)

    # --- writing issues ---------------------------------------------------------

    def upsert_issue(self, source_id: int, parsed: ParsedIssue | PreparedIssue) -> UpsertResult:
        """Store one parsed issue; items keep their ids and flags across re-imports."""
        return self.upsert_issues(source_id, [parsed])[0]

    def upsert_issues(
        self, source_id: int, parsed: Iterable[ParsedIssue | PreparedIssue]
    ) -> list[UpsertResult]:
        """Store many parsed issues of one source in a single transaction.

        An issue may come prepared (`prepare_issue`, in a worker process) to take the
        segmenting of its text for search off the storing thread.
        """
        with self.transaction() as connection:
            writer = items.IssueWriter(connection, items.utc_now_text())
            results = []
            keys_in_batch: set[str] = set()
            for issue in parsed:
                key = items.issue_key(items.unprepared(issue))
                if key in keys_in_batch:
                    # The same issue twice in one batch (one file under two paths):
                    # its first items must be written before they can be matched.
                    writer.flush()
                    keys_in_batch.clear()
                keys_in_batch.add(key)
                results.append(writer.upsert(source_id, issue))
            writer.flush()
            # Handed to collectors when (and if) the outermost transaction commits.
            if self._new_item_collectors:
                self._uncommitted_new_items.extend(writer.inserted)
            return results

    @contextlib.contextmanager
    def collecting_new_items(self) -> Iterator[list[tuple[int, str]]]:
        """Within the block, gather (source id, item id) of every item stored as new."""
        collected: list[tuple[int, str]] = []
        with self._lock:
            self._new_item_collectors.append(collected)
        try:
            yield collected
        finally:
            with self._lock:
                self._new_item_collectors.remove(collected)

    # --- reading ------------------------------------------------------------------

    def issues(
        self,
        source_id: int | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        unread_only: bool = False,
    ) -> list[Issue]:
        """Issues newest first (undated last) with item and unread counts, no sections."""
        with self._reading() as connection:
            return reading.list_issues(
                connection, source_id, limit=limit, offset=offset, unread_only=unread_only
            )

    def issue(self, issue_id: str) -> Issue:
        """One issue with its sections and items; NotFoundError if absent."""
        with self._reading() as connection:
            return reading.load_issue(connection, issue_id)

    def resolve_issue(self, id_or_prefix: str) -> str:
        """The full id of the one issue whose id is or starts with `id_or_prefix`."""
        with self._reading() as connection:
            return reading.resolve_id(connection, "issues", "issue", id_or_prefix)

    def resolve_item(self, id_or_prefix: str) -> str:
        """The full id of the one item whose id is or starts with `id_or_prefix`."""
        with self._reading() as connection:
            return reading.resolve_id(connection, "items", "item", id_or_prefix)

    def item(self, item_id: str) -> Item:
        """One item by full id; NotFoundError if absent."""
        with self._reading() as connection:
            return reading.load_item(connection, item_id)

    def items_page(
        self,
        *,
        issue_id: str | None = None,
        section_id: str | None = None,
        source_id: int | None = None,
        view: str = "all",
        offset: int = 0,
        limit: int = 100,
    ) -> list[Item]:
        """Items in reading order (newest issue first, then position), one page."""
        with self._reading() as connection:
            return reading.items_page(
                connection,
                issue_id=issue_id,
                section_id=section_id,
                source_id=source_id,
                view=view,
                offset=offset,
                limit=limit,
            )

    def count_items(
        self,
        *,
        issue_id: str | None = None,
        section_id: str | None = None,
        source_id: int | None = None,
        view: str = "all",
    ) -> int:
        """How many items the same filters select across all pages."""
        with self._reading() as connection:
            return reading.count_items(
                connection,
                issue_id=issue_id,
                section_id=section_id,
                source_id=source_id,
                view=view,
            )

    def unread_counts_by_section(self, issue_id: str) -> dict[str, int]:
        """Unread items per section id of an issue (sections with none included, as 0)."""
        with self._reading() as connection:
            return reading.unread_counts_by_section(connection, issue_id)

    # --- triage ---------------------------------------------------------------------

    def set_flags(
        self,
        item_ids: Sequence[str],
        *,
        read: bool | None = None,
        starred: bool | None = None,
        later: bool | None = None,
    ) -> list[FlagState]:
        """Set flags (None leaves one alone); returns each item's previous
        (id, read, starred, later) for `restore_flags`. NotFoundError on an unknown id."""
        with self.transaction() as connection:
            return flags.set_flags(
                connection,
                item_ids,
                read=read,
                starred=starred,
                later=later,
                now=items.utc_now_text(),
            )

    def restore_flags(self, previous: Iterable[FlagState]) -> None:
        """Put flags back as `set_flags` or `mark_read` reported them (undo)."""
        with self.transaction() as connection:
            flags.write_flags(connection, previous, items.utc_now_text())

    def mark_read(
        self,
        *,
        issue_id: str | None = None,
        section_id: str | None = None,
        source_id: int | None = None,
        read: bool = True,
    ) -> list[FlagState]:
        """Mark every item of an issue, a section or a source (all items if none given) read
        or unread; returns the previous states of the items that changed, for undo."""
        where, parameters = reading.item_filter(
            issue_id=issue_id, section_id=section_id, source_id=source_id, view="all"
        )
        with self.transaction() as connection:
            return flags.mark_read(connection, where, parameters, read, items.utc_now_text())

    # --- search ---------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 50,
        source_id: int | None = None,
        view: str = "all",
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        prefix: bool = False,
    ) -> list[SearchHit]:
        """Items containing every word of `query` (any language, either Chinese script) in
        their text or in their saved article: title hits first, then newest first, narrowed
        to a source, a view and the issue dates `since`..`until` (a date includes its whole
        day). User text is never FTS5 syntax; only punctuation finds nothing. `prefix`: the
        last word also matches longer words, as a search as you type wants."""
        with self._reading() as connection:
            return search.search(
                connection,
                query,
                limit=limit,
                source_id=source_id,
                view=view,
                since=since,
                until=until,
                prefix_last=prefix,
            )

    # --- the same story in several issues -----------------------------------------------

    def also_in(self, item_id: str) -> list[AlsoIn]:
        """Items of other issues that link to the same story (canonical url), newest first."""
        with self._reading() as connection:
            return stories.also_in(connection, item_id)

    def also_in_for_issue(self, issue_id: str) -> dict[str, list[AlsoIn]]:
        """`also_in` for every item of an issue that has any, by item id."""
        with self._reading() as connection:
            return stories.also_in_for_issue(connection, issue_id)

    # --- library settings ---------------------------------------------------------------

    def setting(self, key: str, default: object = None) -> object:
        """A library setting (JSON value), or `default` if it was never set."""
        with self._reading() as connection:
            return settings.get_setting(connection, key, default)

    def set_setting(self, key: str, value: object) -> None:
        """Store a library setting; None removes it."""
        with self.transaction() as connection:
            settings.set_setting(connection, key, value)

    def update_source_settings(self, source_id: int, changes: Mapping[str, object]) -> None:
        """Merge keys into a source's settings (None removes a key), atomically."""
        with self.transaction() as connection:
            sources.update_source_settings(connection, source_id, changes)

    # --- saved articles -----------------------------------------------------------------

    def store_article(self, article: Article) -> None:
        """Store (or replace) an item's saved article or the reason it could not be saved."""
        with self.transaction() as connection:
            articles.store_article(connection, article)

    def article(self, item_id: str) -> Article | None:
        """The item's saved article (or failure), None if it was never saved."""
        with self._reading() as connection:
            return articles.load_article(connection, item_id)

    def articles_for_issue(self, issue_id: str) -> dict[str, Article]:
        """Saved articles (and failures) of an issue's items, by item id."""
        with self._reading() as connection:
            return articles.articles_for_issue(connection, issue_id)

    def saved_item_ids(self, item_ids: Sequence[str]) -> set[str]:
        """Those of `item_ids` whose article is saved (failures not counted)."""
        with self._reading() as connection:
            return articles.saved_item_ids(connection, list(item_ids))

    def article_of_same_story(self, item_id: str) -> Article | None:
        """A saved article of another item with the same canonical url, if any."""
        with self._reading() as connection:
            return articles.article_of_same_story(connection, item_id)

    # --- new items, retention, compaction -------------------------------------------------

    def existing_item_ids(self, item_ids: Sequence[str]) -> list[str]:
        """Those of `item_ids` still in the library, in the order given."""
        with self._reading() as connection:
            return reading.existing_item_ids(connection, list(item_ids))

    def remove_expired_issues(
        self, source_id: int, *, keep_issues: int | None, older_than: datetime | None
    ) -> int:
        """Delete a source's issues beyond its newest `keep_issues` that came out before
        `older_than`, except issues with starred or later items; they never come back from
        the source. Returns how many were removed."""
        bound = None if older_than is None else search.date_bounds(older_than, None)[0]
        with self.transaction() as connection:
            return retention.remove_expired_issues(
                connection,
                source_id,
                keep_issues=keep_issues,
                older_than=bound,
                now=items.utc_now_text(),
            )

    def file_size(self) -> int:
        """Bytes the library takes on disk (the file and its write-ahead log)."""
        total = 0
        for path in (self.path, self.path.with_name(self.path.name + "-wal")):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def compact(self) -> None:
        """Merge the search indexes into one segment each, then rewrite the file without free
        pages."""
        with self.transaction() as connection:
            connection.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
            connection.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
        with self._lock, self._user_errors():
            self._connection.execute("VACUUM")
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
