"""The data model: sources hold issues, issues hold sections, sections hold items.

`Parsed*` classes are what parsers and the splitter produce (no ids, no state);
the other classes are what the store hands back, with stable ids and flags.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


def stable_id(*parts: str) -> str:
    """A short id that depends only on `parts`: the same input gives the same id."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


def identity_text(text: str) -> str:
    """Text folded for identity comparisons: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# --- what parsers produce -------------------------------------------------


@dataclass(frozen=True)
class ParsedItem:
    """One item as split from an issue: a title, a Markdown body and its links."""

    title: str
    url: str | None
    body: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedSection:
    """A heading group of items; an issue without headings has one, titled ''.

    `note` is the section's Markdown prose that belongs to no item, such as
    the line introducing a list of links or a call to action after it.
    """

    title: str
    items: tuple[ParsedItem, ...]
    note: str = ""


@dataclass(frozen=True)
class ParsedIssue:
    """One newsletter issue or feed entry, split, before it is stored.

    `date` is naive when the input gave no zone (kept as written) and aware
    when it did. `key` identifies the issue within its source (a feed entry
    id); when None the store derives one from title and date.
    """

    title: str
    date: datetime | None
    url: str | None
    sections: tuple[ParsedSection, ...]
    file: str | None = None
    key: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def item_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


# --- what the store returns -----------------------------------------------

# How interfaces name a section without a heading: the opening of an issue, before its
# first heading (an intro, a greeting, featured items).
UNTITLED_SECTION = "Opening"


@dataclass(frozen=True)
class Item:
    """A stored item with its triage flags."""

    id: str
    issue_id: str
    section_id: str
    title: str
    url: str | None
    body: str
    links: tuple[str, ...] = ()
    read: bool = False
    starred: bool = False
    later: bool = False
    position: int = 0
    # How many items of other issues link to the same story (same canonical url);
    # `Library.also_in(item_id)` lists them.
    also_in: int = 0


@dataclass(frozen=True)
class Section:
    """A stored section with its items in reading order."""

    id: str
    issue_id: str
    title: str
    items: tuple[Item, ...] = ()
    position: int = 0

    @property
    def unread(self) -> int:
        return sum(not item.read for item in self.items)


@dataclass(frozen=True)
class Issue:
    """A stored issue; `sections` is empty in listings and full from `issue()`."""

    id: str
    source_id: int | None
    title: str
    date: datetime | None
    url: str | None
    file: str | None = None
    source_title: str | None = None
    items: int = 0
    unread: int = 0
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Source:
    """A subscription: a feed URL, a local feed file, a folder, or the imports."""

    id: int
    kind: str
    url: str
    title: str
    status: str = "new"
    error: str | None = None
    last_refresh: datetime | None = None
    issues: int = 0
    unread: int = 0
    tags: tuple[str, ...] = ()
    settings: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    # Fetch state kept by the store; `title` above already prefers `title_override`.
    title_override: str | None = None
    next_due: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    interval_s: int | None = None


@dataclass(frozen=True)
class SearchHit:
    """One item that matched a search, with where it sits and a plain-text snippet."""

    item_id: str
    title: str
    url: str | None
    issue_id: str
    issue_title: str
    section_title: str
    snippet: str
    read: bool = False
    # Where the query words are in `snippet`: (start, end) character offsets, end exclusive,
    # in order and never overlapping. Plain data, so a display marks them its own safe way.
    highlights: tuple[tuple[int, int], ...] = ()
    # The words were found in the item's saved article (not its own text); the snippet is
    # the article's.
    in_article: bool = False


class AlsoIn(NamedTuple):
    """An item of another issue that links to the same story as the item asked about."""

    item_id: str
    issue_id: str
    issue_title: str
    section_title: str


@dataclass(frozen=True)
class Article:
    """An item's source page as saved for offline reading, or why it could not be saved.

    Exactly one of `markdown` and `error` is set. `url` is the address that was fetched.
    """

    item_id: str
    url: str
    fetched_at: datetime
    markdown: str | None = None
    title: str | None = None
    error: str | None = None
