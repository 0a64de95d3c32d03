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
    """Hits for `query` (stale ones are dropped by comparing the query)."""

    query: str
    hits: list[SearchHit]
    error: str | None = None
