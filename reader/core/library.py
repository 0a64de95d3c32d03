"""The one facade the CLI and the TUI call: import, read, triage, search, export.

It owns a Store and turns files and feeds into stored issues; it holds no SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from reader.core.errors import InputError, NotFoundError
from reader.core.model import AlsoIn, Article, Issue, Item, ParsedIssue, SearchHit, Source
from reader.core.safety import markdown_link, markdown_text, printable, without_unsafe_links
from reader.core.store import Store

if TYPE_CHECKING:
    from datetime import date

    from reader.core.articles import SaveOutcome, SaveProgressCallback
    from reader.core.backup import BackupInfo, RestoreResult
    from reader.core.bulk_import import ImportedIssue
    from reader.core.importer import FileProblem
    from reader.core.refresh import ProgressCallback, RefreshOutcome
    from reader.core.subscribe import AddResult

IMPORTS_URL = "imports:"
IMPORTS_TITLE = "Imported files"
# Items read per query when exporting a whole view.
EXPORT_PAGE_ITEMS = 500

FlagState = tuple[str, bool, bool, bool]


@dataclass
class ImportReport:
    """What `Library.import_paths` did: stored issues, problems and warnings per file."""

    imported: list[ImportedIssue] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RemoveResult:
    """An unsubscription: the source removed and how many issues were kept."""

    source: Source
    kept_issues: int


@dataclass(frozen=True)
class VacuumReport:
    """What `Library.vacuum` did: issues removed by retention, file size before and after."""

    removed_issues: int
    bytes_before: int
    bytes_after: int


@dataclass(frozen=True)
class Undo:
    """The flags some items had before a triage action, enough to put them back."""

    description: str
    previous: tuple[FlagState, ...]


class Library:
    """A reader library stored in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = Store(path)

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- importing -------------------------------------------------------

    def imports_source_id(self) -> int:
        """The built-in source that holds issues imported from files."""
        return self.store.ensure_source("imports", IMPORTS_URL, IMPORTS_TITLE)

    def import_paths(
        self,
        paths: Sequence[Path],
        *,
        progress: Callable[[Path], None] | None = None,
    ) -> ImportReport:
        """Import issue files and folders (recursively) and OPML subscription lists.

        A bad file is reported and skipped; the rest of the batch still imports. Files are
        stored many per transaction, in the order they are listed.
        """
        # Imported here: what reads and splits files is no part of the app's start.
        from reader.core.bulk_import import FileLoader, ImportBatch
        from reader.core.importer import FileProblem, iter_import_files

        report = ImportReport()
        # The source is created on first use, so an OPML-only import adds no empty one.
        batch = ImportBatch(self.store, self.imports_source_id, report.imported)
        # Absolute: the library keeps where each issue came from, which a path relative to
        # the folder the command ran in would no longer say.
        files = list(iter_import_files([Path(p).absolute() for p in paths]))
        try:
            with FileLoader(files) as loader:
                for path, loaded in loader.results(while_waiting=batch.store_if_old):
                    if progress:
                        progress(path)
                    if loaded is None:
                        self._import_opml(path, report)
                    elif isinstance(loaded, FileProblem):
                        report.problems.append(loaded)
                    else:
                        report.warnings += [
                            FileProblem(str(loaded.path), w) for w in loaded.warnings
                        ]
                        batch.add(loaded)
        finally:
            # What was read before a failure or Ctrl-C is kept, as it was read.
            batch.store()
        return report

    def _import_opml(self, path: Path, report: ImportReport) -> None:
        from reader.core.importer import FileProblem
        from reader.core.opml import parse_opml

        try:
            feeds = parse_opml(path.read_bytes())
        except (OSError, InputError, ValueError) as error:
            report.problems.append(FileProblem(str(path), f"not a usable OPML file: {error}"))
            return
        for feed in feeds:
            if self.store.source_by_url(feed.url) is None:
                source_id = self.store.ensure_source("feed", feed.url, feed.title or feed.url)
                if feed.tags:
                    self.store.update_source(source_id, tags=list(feed.tags))
                report.sources_added.append(feed.url)

    def store_parsed(self, source_id: int, parsed: ParsedIssue) -> str:
        """Store one already parsed issue under a source; returns its id."""
        return self.store.upsert_issue(source_id, parsed).issue_id

    # --- reading ---------------------------------------------------------

    def sources(self) -> list[Source]:
        """Every source with its state and counts."""
        return self.store.sources()

    def issues(
        self,
        source_id: int | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
        unread_only: bool = False,
    ) -> list[Issue]:
        """Issues newest first, with item and unread counts."""
        return self.store.issues(source_id, limit=limit, offset=offset, unread_only=unread_only)

    def issue(self, id_or_prefix: str) -> Issue:
        """One issue with its sections and items; accepts an id prefix."""
        return self.store.issue(self.store.resolve_issue(id_or_prefix))

    def item(self, id_or_prefix: str) -> Item:
        """One item; accepts an id prefix."""
        return self.store.item(self.store.resolve_item(id_or_prefix))

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
        """One page of items in reading order."""
        return self.store.items_page(
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
        """How many items `items_page` would page through."""
        return self.store.count_items(
            issue_id=issue_id, section_id=section_id, source_id=source_id, view=view
        )

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
        """Items matching `query` (English words, Chinese of any length, Traditional and
        Simplified alike) in their text or saved article, title hits first, narrowed to a
        source, a view (unread, starred, later) and issue dates from `since` to `until` (a
        date includes its whole day). `prefix`: the last word (three letters or more) also
        matches longer words, for a search as you type."""
        return self.store.search(
            query,
            limit=limit,
            source_id=source_id,
            view=view,
            since=since,
            until=until,
            prefix=prefix,
        )

    # --- triage ----------------------------------------------------------

    def mark(
        self,
        item_ids: Sequence[str],
        *,
        read: bool | None = None,
        starred: bool | None = None,
        later: bool | None = None,
    ) -> Undo:
        """Set flags on items (ids or prefixes); returns how to undo it."""
        resolved = [self.store.resolve_item(item_id) for item_id in item_ids]
        previous = self.store.set_flags(resolved, read=read, starred=starred, later=later)
        return Undo(_describe(read, starred, later, len(resolved)), tuple(previous))

    def mark_read(
        self,
        *,
        issue_id: str | None = None,
        section_id: str | None = None,
        source_id: int | None = None,
        read: bool = True,
    ) -> Undo:
        """Mark every item of an issue, a section or a source read (or unread)."""
        previous = self.store.mark_read(
            issue_id=issue_id, section_id=section_id, source_id=source_id, read=read
        )
        what = "issue" if issue_id else "section" if section_id else "source"
        state = "read" if read else "unread"
        noun = "item" if len(previous) == 1 else "items"
        return Undo(f"marked {len(previous)} {noun} of the {what} {state}", tuple(previous))

    def undo(self, undo: Undo) -> None:
        """Put back the flags an action changed."""
        self.store.restore_flags(list(undo.previous))

    # --- sources ---------------------------------------------------------

    def source(self, name: str) -> Source:
        """A source by id, URL or title (case-insensitive); NotFoundError if none."""
        sources = self.sources()
        for source in sources:
            if name == str(source.id) or name == source.url:
                return source
        # A local file or folder may be named by another path to the same place.
        local = Path(name).expanduser()
        if local.exists():
            resolved = str(local.resolve())
            for source in sources:
                if source.url == resolved:
                    return source
        folded = name.casefold()
        matches = [source for source in sources if source.title.casefold() == folded]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFoundError(f"several sources are called {name!r}: use the id instead")
        raise NotFoundError(f"no source is called {name!r}: `reader sources` lists them")

    def add_source(self, location: str, *, title: str | None = None) -> AddResult:
        """Subscribe to a feed URL, a page URL (autodiscovery), a feed file or a folder.

        The source is fetched once, so its issues are there when this returns.
        """
        from reader.core.subscribe import subscribe

        return subscribe(self.store, location, title=title)

    def remove_source(self, name: str) -> RemoveResult:
        """Unsubscribe; issues holding starred or later items are kept."""
        source = self.source(name)
        if source.kind == "imports":
            raise InputError("imported files are not a subscription: there is nothing to remove")
        kept = self.store.remove_source(source.id)
        return RemoveResult(source=source, kept_issues=kept)

    def configure_source(
        self,
        name: str,
        *,
        title: str | None = None,
        interval_s: int | None = None,
        tags: Sequence[str] | None = None,
    ) -> Source:
        """Rename a source, set its refresh interval or its tags."""
        from reader.core.limits import MIN_INTERVAL_S

        source = self.source(name)
        fields: dict[str, object] = {}
        if title is not None:
            fields["title_override"] = title.strip() or None
        if interval_s is not None:
            if interval_s < MIN_INTERVAL_S:
                raise InputError(f"the refresh interval must be at least {MIN_INTERVAL_S} s")
            fields["interval_s"] = interval_s
        if tags is not None:
            fields["tags"] = [tag.strip() for tag in tags if tag.strip()]
        if fields:
            self.store.update_source(source.id, **fields)
        return self.store.source(source.id)

    def refresh(
        self,
        names: Sequence[str] = (),
        *,
        force: bool = False,
        progress: ProgressCallback | None = None,
        concurrency: int | None = None,
        deadline_s: float | None = None,
    ) -> list[RefreshOutcome]:
        """Fetch the named sources (or every due one, or all with `force`) and store news."""
        from reader.core.limits import FEED_DEADLINE_S, MAX_CONCURRENT_FETCHES
        from reader.core.refresh import Refresher, is_due

        if names:
            chosen = [self.source(name) for name in names]
        else:
            now = datetime.now(UTC)
            chosen = [
                source
                for source in self.sources()
                if source.kind != "imports" and (force or is_due(source, now))
            ]
        chosen = [source for source in chosen if source.kind != "imports"]
        refresher = Refresher(
            self.store,
            concurrency=concurrency or MAX_CONCURRENT_FETCHES,
            deadline_s=deadline_s or FEED_DEADLINE_S,
            progress=progress,
        )
        with self.store.collecting_new_items() as new_items:
            outcomes = refresher.run(chosen)
        self._after_refresh(chosen, new_items)
        return outcomes

    # --- the same story in several issues ---------------------------------

    def also_in(self, item_id: str) -> list[AlsoIn]:
        """Items of other issues linking to the same story as this item (id or prefix),
        newest issue first: (item_id, issue_id, issue_title, section_title) each."""
        return self.store.also_in(self.store.resolve_item(item_id))

    def also_in_for_issue(self, issue_id: str) -> dict[str, list[AlsoIn]]:
        """`also_in` for each item of an issue told elsewhere too, by item id."""
        return self.store.also_in_for_issue(self.store.resolve_issue(issue_id))

    def auto_read_repeats(self) -> bool:
        """Whether new items whose story another issue already told are marked read."""
        from reader.core.store.settings import AUTO_READ_REPEATS

        return bool(self.store.setting(AUTO_READ_REPEATS, False))

    def set_auto_read_repeats(self, enabled: bool) -> None:
        """Mark new items read on import and refresh when another issue already links to
        the same story (they are kept, never merged); existing items are left alone."""
        from reader.core.store.settings import AUTO_READ_REPEATS

        self.store.set_setting(AUTO_READ_REPEATS, True if enabled else None)

    # --- saved articles ------------------------------------------------------

    def save_articles(
        self,
        item_ids: Sequence[str],
        *,
        progress: SaveProgressCallback | None = None,
        explicit: bool = True,
    ) -> list[SaveOutcome]:
        """Fetch and store the source article of each item (ids or prefixes), skipping those
        already saved; one outcome per item, in order. Blocks (run it in a worker thread).

        `explicit` is a save the user asked for; otherwise (auto-save) links to private,
        loopback and link-local addresses are skipped.
        """
        from reader.core.articles import ArticleSaver

        resolved = [self.store.resolve_item(item_id) for item_id in item_ids]
        saver = ArticleSaver(self.store, explicit=explicit, progress=progress)
        return saver.run(resolved)

    def article(self, item_id: str) -> Article | None:
        """The item's saved article (Markdown) or why it could not be saved; None if never
        saved. Works offline."""
        return self.store.article(self.store.resolve_item(item_id))

    def articles_for_issue(self, issue_id: str) -> dict[str, Article]:
        """Saved articles (and failures) of an issue's items, by item id."""
        return self.store.articles_for_issue(self.store.resolve_issue(issue_id))

    def set_source_auto_save(self, name: str, enabled: bool) -> Source:
        """Save the articles of a source's new items at each refresh (or stop doing so)."""
        from reader.core.articles import AUTO_SAVE

        source = self.source(name)
        self.store.update_source_settings(source.id, {AUTO_SAVE: True if enabled else None})
        return self.store.source(source.id)

    # --- retention -------------------------------------------------------------

    def set_source_retention(
        self, name: str, *, keep_issues: int | None = None, keep_days: int | None = None
    ) -> Source:
        """Keep only a source's newest `keep_issues` issues and those younger than
        `keep_days` days (issues with starred or later items always stay). None leaves a
        limit as it is, 0 removes it. Applied by `apply_retention`."""
        from reader.core.retention import KEEP_DAYS, KEEP_ISSUES

        source = self.source(name)
        changes: dict[str, object] = {}
        for key, value in ((KEEP_ISSUES, keep_issues), (KEEP_DAYS, keep_days)):
            if value is None:
                continue
            if value < 0:
                raise InputError("retention limits are counts: 0 (no limit) or more")
            changes[key] = value or None
        if changes:
            self.store.update_source_settings(source.id, changes)
        return self.store.source(source.id)

    def apply_retention(self) -> int:
        """Remove the issues that sources' retention settings no longer keep (they never
        come back from their feed); returns how many issues went."""
        from reader.core.retention import apply_retention

        return apply_retention(self.store, self.sources(), datetime.now(UTC))

    def vacuum(self) -> VacuumReport:
        """Apply retention, then compact the search index and the file."""
        removed = self.apply_retention()
        before = self.store.file_size()
        self.store.compact()
        return VacuumReport(removed, before, self.store.file_size())

    def _after_refresh(
        self, refreshed: Sequence[Source], new_items: Sequence[tuple[int, str]]
    ) -> None:
        """Retention, then the articles of new items of sources that save them."""
        from reader.core.articles import AUTO_SAVE, ArticleSaver

        self.apply_retention()
        auto_save = {source.id for source in refreshed if source.settings.get(AUTO_SAVE)}
        wanted = [item_id for source_id, item_id in new_items if source_id in auto_save]
        # Retention may have removed some of them already.
        kept = self.store.existing_item_ids(wanted)
        if kept:
            ArticleSaver(self.store, explicit=False).run(kept)

    # --- backups -----------------------------------------------------------

    def backup(self, target: Path, *, overwrite: bool = False) -> BackupInfo:
        """A checked, consistent copy of the library at `target` (a file or a folder),
        made with SQLite's backup API while other processes may write."""
        return Library.backup_file(self.path, target, overwrite=overwrite)

    @staticmethod
    def backup_file(path: Path, target: Path, *, overwrite: bool = False) -> BackupInfo:
        """`backup` of the library file at `path` without opening it as a Library (which
        would create or upgrade it): works on a library in a read-only folder too."""
        from reader.core.backup import backup_library

        return backup_library(path, target, overwrite=overwrite)

    @staticmethod
    def restore(path: Path, backup: Path) -> RestoreResult:
        """Replace the library file at `path` by a checked backup; the current file is kept
        as `<path>.before-restore`. Needs no open Library: a damaged one can be replaced."""
        from reader.core.backup import restore_library

        return restore_library(path, backup)

    # --- export ----------------------------------------------------------

    def export_items(self, item_ids: Sequence[str] = (), view: str = "starred") -> list[Item]:
        """The named items (ids or prefixes), else every item of `view`, in reading order."""
        if item_ids:
            return [self.item(item_id) for item_id in item_ids]
        items: list[Item] = []
        while True:
            page = self.items_page(view=view, offset=len(items), limit=EXPORT_PAGE_ITEMS)
            items.extend(page)
            if len(page) < EXPORT_PAGE_ITEMS:
                return items

    def export_markdown(
        self,
        *,
        item_ids: Sequence[str] = (),
        view: str = "starred",
        title: str = "Digest",
        items: Sequence[Item] | None = None,
    ) -> str:
        """Chosen items (given, else by id, else a view) as one Markdown digest grouped by
        issue.

        Titles come from feeds and files: they are escaped so that the digest shows them
        literally (`[`, `*`, `#` and markup stay text) and links stay links; only links a
        browser may open are kept. The digest title is the user's own, kept as written.
        """
        if items is None:
            items = self.export_items(item_ids, view)
        lines = [f"# {_one_line(title)}", ""]
        current_issue = None
        for item in items:
            if item.issue_id != current_issue:
                current_issue = item.issue_id
                issue = self.store.issue(item.issue_id)
                lines += [f"## {markdown_text(issue.title) or '(untitled issue)'}", ""]
            heading = item.title if printable(item.title).strip() else "(untitled)"
            lines += [f"### {markdown_link(heading, item.url)}", ""]
            body = without_unsafe_links(printable(item.body, keep_newlines=True)).strip()
            if body:
                lines += [body, ""]
        return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    # Untrusted titles: no control, bidi or zero-width characters in the digest.
    return " ".join(printable(text).split())


def _describe(read: bool | None, starred: bool | None, later: bool | None, count: int) -> str:
    parts = []
    if read is not None:
        parts.append("read" if read else "unread")
    if starred is not None:
        parts.append("starred" if starred else "unstarred")
    if later is not None:
        parts.append("saved for later" if later else "removed from later")
    noun = "item" if count == 1 else "items"
    return f"marked {count} {noun} " + " and ".join(parts)
