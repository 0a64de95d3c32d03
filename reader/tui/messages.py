"""Messages that workers send back to the UI thread, small and immutable.

Widgets' own messages (an item chosen, a scope chosen) live beside the widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from reader.core.model import SearchHit

if TYPE_CHECKING:
    from reader.tui.refresh_process import Finished, Progress


class RefreshProgressed(Message):
    """A source finished refreshing (or the refresh began: `progress.done` is 0)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress


class RefreshFinished(Message):
    """A refresh ended: its totals, or why it failed as a whole."""

    def __init__(self, finished: Finished) -> None:
        super().__init__()
        self.finished = finished

    @property
    def summary(self) -> str:
        """One line for the status bar."""
        finished = self.finished
        if finished.error is not None:
            return "refresh failed"
        if not finished.refreshed:
            return "nothing to refresh"
        summary = f"{finished.refreshed} refreshed, {finished.new_items} new items"
        if finished.failed:
            summary += f", {finished.failed} failed"
        return summary


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
