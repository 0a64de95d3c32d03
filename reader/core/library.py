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
from reader.core.importer import (
    OPML_SUFFIXES,
    FileProblem,
    LoadedFile,
    iter_import_files,
    load_file_safely,
)
from reader.core.model import Issue, Item, ParsedIssue, SearchHit, Source
from reader.core.store import Store

if TYPE_CHECKING:
    from reader.core.refresh import ProgressCallback, RefreshOutcome
    from reader.core.subscribe import AddResult

IMPORTS_URL = "imports:"
IMPORTS_TITLE = "Imported files"

FlagState = tuple[str, bool, bool, bool]


@dataclass(frozen=True)
class ImportedIssue:
    """One issue an import stored, and whether it was new."""

    file: str
    issue_id: str
    is_new: bool
    new_items: int


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

        A bad file is reported and skipped; the rest of the batch still imports.
        """
        report = ImportReport()
        source_id = self.imports_source_id()
        for path in iter_import_files([Path(p) for p in paths]):
            if progress:
                progress(path)
            if path.suffix.lower() in OPML_SUFFIXES:
                self._import_opml(path, report)
                continue
            loaded = load_file_safely(path)
            if isinstance(loaded, FileProblem):
                report.problems.append(loaded)
                continue
            self._store_loaded(source_id, loaded, report)
        return report

    def _store_loaded(self, source_id: int, loaded: LoadedFile, report: ImportReport) -> None:
        for warning in loaded.warnings:
            report.warnings.append(FileProblem(str(loaded.path), warning))
        for parsed in loaded.issues:
            result = self.store.upsert_issue(source_id, parsed)
            report.imported.append(
                ImportedIssue(
                    file=parsed.file or str(loaded.path),
                    issue_id=result.issue_id,
                    is_new=result.is_new_issue,
                    new_items=result.new_items,
                )
            )

    def _import_opml(self, path: Path, report: ImportReport) -> None:
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
    ) -> list[SearchHit]:
        """Items matching `query` (English words, Chinese of any length)."""
        return self.store.search(query, limit=limit, source_id=source_id, view=view)

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
        return Undo(f"marked {len(previous)} items of the {what} {state}", tuple(previous))

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
        return refresher.run(chosen)

    # --- export ----------------------------------------------------------

    def export_markdown(
        self,
        *,
        item_ids: Sequence[str] = (),
        view: str = "starred",
        title: str = "Digest",
    ) -> str:
        """Chosen items (by id, else a view) as one Markdown digest grouped by issue."""
        if item_ids:
            items = [self.item(item_id) for item_id in item_ids]
        else:
            items = []
            offset = 0
            while True:
                page = self.items_page(view=view, offset=offset, limit=500)
                items.extend(page)
                if len(page) < 500:
                    break
                offset += 500
        lines = [f"# {title}", ""]
        current_issue = None
        for item in items:
            if item.issue_id != current_issue:
                current_issue = item.issue_id
                issue = self.store.issue(item.issue_id)
                lines += [f"## {_one_line(issue.title)}", ""]
            heading = _one_line(item.title) or "(untitled)"
            lines.append(f"### [{heading}]({item.url})" if item.url else f"### {heading}")
            lines.append("")
            if item.body.strip():
                lines += [item.body.strip(), ""]
        return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


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
