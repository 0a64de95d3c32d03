"""Messages that workers send back to the UI thread, small and immutable.

Widgets' own messages (an item chosen, a scope chosen) live beside the widget.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from reader.core.model import SearchHit


@dataclass
class RefreshProgressed(Message):
    """Sources done so far out of `total`, and how the last one finished."""

    done: int
    total: int
    failed: int
    current: str = ""
    source_id: int | None = None
    status: str | None = None
    error: str | None = None


@dataclass
class RefreshFinished(Message):
    """A refresh ended; `summary` is one line for the status bar, `error` if it failed whole."""

    summary: str
    new_items: int = 0
    error: str | None = None


@dataclass
class SearchFinished(Message):
    """Hits for `query` under `filters` (stale ones are dropped by comparing both)."""

    query: str
    hits: list[SearchHit]
    error: str | None = None
    # The search screen's SearchFilters; typed loosely so messages need not import screens.
    filters: object = None


@dataclass
class ArticlesProgressed(Message):
    """Articles saved so far out of `total`; `failed` could not be saved."""

    done: int
    total: int
    failed: int


@dataclass
class ArticlesSaved(Message):
    """A save of articles ended: a summary line, and the outcome of each item."""

    summary: str
    item_ids: tuple[str, ...] = ()
    # For a save of one item: why it was not saved (None when it was).
    problem: str | None = None
