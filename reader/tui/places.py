"""Where items sit, for display: issue and section titles, dates, list titles.

Issues are cached (with their sections) because titles and dates do not change while
the app runs; a refresh clears the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import replace

from reader.core.errors import ReaderError
from reader.core.library import Library
from reader.core.model import UNTITLED_SECTION, AlsoIn, Issue, Item, Source
from reader.tui.scope import VIEW_TITLES, Scope
from reader.tui.text import local_time, short_date
from reader.tui.widgets.item_list import Group
from reader.tui.widgets.reader_pane import ItemContext

# Cached issues keep their sections but not their items, so a window of rows
# from a few hundred issues (a view of starred items) stays cheap to describe.
ISSUE_CACHE_SIZE = 512


class Places:
    """Answers "where is this?" for items and scopes, with a small issue cache."""

    def __init__(self, library: Library, sources: Mapping[int, Source]) -> None:
        self.library = library
        self.sources = sources
        self._issues: OrderedDict[str, Issue] = OrderedDict()

    def clear(self) -> None:
        self._issues.clear()

    def issue(self, issue_id: str) -> Issue | None:
        """An issue with its sections (without their items), or None when it is gone."""
        issue = self._issues.get(issue_id)
        if issue is not None:
            self._issues.move_to_end(issue_id)
            return issue
        try:
            issue = self.library.issue(issue_id)
        except ReaderError:
            return None
        issue = replace(
            issue, sections=tuple(replace(section, items=()) for section in issue.sections)
        )
        self._issues[issue_id] = issue
        while len(self._issues) > ISSUE_CACHE_SIZE:
            self._issues.popitem(last=False)
        return issue

    def source_id(self, issue_id: str | None) -> int | None:
        issue = self.issue(issue_id) if issue_id else None
        return issue.source_id if issue is not None else None

    def section_title(self, item: Item) -> str:
        issue = self.issue(item.issue_id)
        if issue is None:
            return ""
        for section in issue.sections:
            if section.id == item.section_id:
                return section.title
        return ""

    def row_group(self, scope: Scope, item: Item) -> Group:
        """The headings above an item: its issue in lists that span issues, and its section."""
        issue = self.issue(item.issue_id)
        if issue is None:
            return Group()
        spans_issues = scope.kind in ("view", "source")
        return Group(
            issue_title=(issue.title or "(untitled issue)") if spans_issues else "",
            issue_date=short_date(issue.date) if spans_issues else "",
            section_title=self.section_title(item),
        )

    def item_context(self, item: Item) -> ItemContext:
        """What the reader pane's header says about where an item sits."""
        issue = self.issue(item.issue_id)
        if issue is None:
            return ItemContext()
        source = self.sources.get(issue.source_id) if issue.source_id is not None else None
        also_in: tuple[AlsoIn, ...] = ()
        if item.also_in:
            with suppress(ReaderError):
                also_in = tuple(self.library.also_in(item.id))
        return ItemContext(
            issue_title=issue.title,
            section_title=self.section_title(item),
            date=local_time(issue.date),
            source_title=(source.title if source else issue.source_title) or "",
            also_in=also_in,
        )

    def scope_title(self, scope: Scope) -> str:
        """The name of a list, for the status line."""
        if scope.kind == "view":
            return VIEW_TITLES[scope.view]
        if scope.kind == "source":
            source = self.sources.get(scope.source_id or -1)
            return source.title if source else "Source"
        issue = self.issue(scope.issue_id or "")
        if issue is None:
            return "Issue"
        if scope.kind == "section":
            for section in issue.sections:
                if section.id == scope.section_id:
                    return f"{issue.title} › {section.title or UNTITLED_SECTION}"
        return issue.title
