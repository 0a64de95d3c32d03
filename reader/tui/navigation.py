"""Where "next unread" goes when the list runs out: the next section, issue or source.

Pure reads through the Library, in the tree's order (sources as listed, issues newest first).
"""

from __future__ import annotations

from collections.abc import Iterator

from reader.core.library import Library
from reader.core.model import Issue, Source
from reader.tui.scope import Scope

ISSUE_SCAN_PAGE = 200


def issues_of(library: Library, source_id: int) -> Iterator[Issue]:
    """Every issue of a source, newest first, read a page at a time."""
    offset = 0
    while True:
        page = library.issues(source_id, limit=ISSUE_SCAN_PAGE, offset=offset)
        yield from page
        if len(page) < ISSUE_SCAN_PAGE:
            return
        offset += ISSUE_SCAN_PAGE


def _around(sequence: list[Source], index: int, direction: int) -> list[Source]:
    return sequence[index + 1 :] if direction > 0 else sequence[:index][::-1]


def neighbour_issue(
    library: Library, source_id: int, issue_id: str | None, direction: int
) -> Issue | None:
    """The nearest issue with unread items after (1) or before (-1) `issue_id`, in tree order."""
    issues = list(issues_of(library, source_id))
    ids = [issue.id for issue in issues]
    position = ids.index(issue_id) if issue_id in ids else (-1 if direction > 0 else len(ids))
    nearby = issues[position + 1 :] if direction > 0 else issues[:position][::-1]
    for issue in nearby:
        if issue.unread:
            return issue
    sources = library.sources()
    source_ids = [source.id for source in sources]
    at = source_ids.index(source_id) if source_id in source_ids else -1
    for source in _around(sources, at, direction):
        if not source.unread:
            continue
        ordered = list(issues_of(library, source.id))
        for issue in ordered if direction > 0 else ordered[::-1]:
            if issue.unread:
                return issue
    return None


def neighbour_scope(library: Library, scope: Scope, direction: int) -> Scope | None:
    """The next (1) or previous (-1) scope of the same kind that has unread items.

    Views span the library, so they have no neighbour; a section's neighbour may be a
    section of another issue, an issue's an issue of another source.
    """
    if scope.kind == "view":
        return None
    if scope.kind == "source":
        sources = library.sources()
        ids = [source.id for source in sources]
        at = ids.index(scope.source_id) if scope.source_id in ids else -1
        for source in _around(sources, at, direction):
            if source.unread:
                return Scope("source", source_id=source.id)
        return None
    issue = library.issue(scope.issue_id or "")
    if issue.source_id is None:
        return None
    if scope.kind == "section":
        sections = list(issue.sections)
        section_ids = [section.id for section in sections]
        at = section_ids.index(scope.section_id) if scope.section_id in section_ids else -1
        nearby = sections[at + 1 :] if direction > 0 else sections[:at][::-1]
        for section in nearby:
            if section.unread:
                return Scope("section", "all", issue.source_id, issue.id, section.id)
    neighbour = neighbour_issue(library, issue.source_id, issue.id, direction)
    if neighbour is None:
        return None
    if scope.kind == "section":
        full = library.issue(neighbour.id)
        ordered = full.sections if direction > 0 else full.sections[::-1]
        for section in ordered:
            if section.unread:
                return Scope("section", "all", neighbour.source_id, neighbour.id, section.id)
    return Scope("issue", "all", neighbour.source_id, neighbour.id)
