"""Turning untrusted feed text into things Textual can show: never markup, never escapes.

Widths are measured in terminal cells, so Chinese and English rows line up.
"""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from reader.core.safety import printable

ELLIPSIS = "…"


def plain(text: str | None) -> str:
    """One line of untrusted text, cleaned for display."""
    return " ".join(printable(text).split())


def safe_text(text: str | None, style: str = "") -> Text:
    """A Rich Text of untrusted text: Text is never parsed as markup."""
    return Text(plain(text), style=style, no_wrap=True)


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + ELLIPSIS


def shorten(text: str, width: int) -> str:
    """`text` cut to at most `width` cells (not padded)."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip() + ELLIPSIS


def local_time(value: datetime | None) -> str:
    """A date for display: aware times in local time, naive ones as written."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone()
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")


def short_date(value: datetime | None, *, this_year: int | None = None) -> str:
    """A date for a tree row: the day only, in local time; without its year when it is
    `this_year` (a narrow tree keeps those cells for the title)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone()
    if value.year == this_year:
        return value.strftime("%m-%d")
    return value.strftime("%Y-%m-%d")
