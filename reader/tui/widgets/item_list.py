"""The items of the current scope as one OptionList that holds a window of rows.

Rows come from `Library.items_page` a page at a time; the window slides as the
cursor or the scroll reaches its edges, so a list of 100,000 items costs what 200 do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from textual import events
from textual.content import Content
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.core.library import Library
from reader.core.model import Item
from reader.tui.scope import Scope
from reader.tui.text import fit, plain

PAGE_ROWS = 100
# Two pages: enough to scroll smoothly across a page edge, never the whole list.
MAX_WINDOW_ROWS = 2 * PAGE_ROWS
# Looking for the next unread item reads pages of this many rows.
SCAN_PAGE_ROWS = 500

UNREAD_MARK = "●"
STAR_MARK = "★"
LATER_MARK = "◷"

# Describes where a row sits, for the right-hand column: item -> text.
RowContext = Callable[[Item], str]
MAX_CONTEXT_CELLS = 32


class ItemList(OptionList):
    """A paged, windowed list of items; `rows[i]` is the item shown at option i."""

    DEFAULT_CSS = """
    ItemList {
        height: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        scrollbar-size-vertical: 1;
        max-height: 100%;
        border: none;
        padding: 0;
        background: $surface;
        &:focus { border: none; background-tint: $foreground 3%; }
        & > .option-list--option { padding: 0 1 0 0; }
    }
    """

    class Highlighted(Message):
        """The cursor is on an item (or on no item: `item` is None)."""

        def __init__(self, item: Item | None) -> None:
            super().__init__()
            self.item = item

    class Chosen(Message):
        """The user pressed enter on an item or clicked it."""

        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    def __init__(self, library: Library, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.library = library
        self.scope: Scope | None = None
        self.hide_read = False
        self.rows: list[Item] = []
        self.window_start = 0
        self.total = 0
        self.context: RowContext | None = None
        self._rendered_width = 0

    # --- loading ---------------------------------------------------------

    def _query(self) -> dict[str, Any]:
        assert self.scope is not None
        return self.scope.query(self.hide_read)

    def _fetch(self, offset: int, limit: int) -> list[Item]:
        if self.scope is None or limit <= 0:
            return []
        return self.library.items_page(offset=offset, limit=limit, **self._query())

    def show_scope(
        self, scope: Scope, *, hide_read: bool, index: int = 0, context: RowContext | None = None
    ) -> None:
        """Show `scope` with the cursor on the item at absolute `index`."""
        self.scope = scope
        self.hide_read = hide_read
        self.context = context
        self.total = self.library.count_items(**self._query())
        self._load_window_around(max(0, min(index, self.total - 1)))

    def reload(self, *, keep_item_id: str | None = None) -> None:
        """Read the window again (new items, new counts), keeping the cursor on its item."""
        if self.scope is None:
            return
        keep_item_id = keep_item_id or (self.current.id if self.current else None)
        index = self.absolute_index or 0
        self.total = self.library.count_items(**self._query())
        start = self.window_start
        rows = self._fetch(start, max(len(self.rows), PAGE_ROWS))
        if keep_item_id is not None:
            for row_index, item in enumerate(rows):
                if item.id == keep_item_id:
                    self._set_rows(start, rows, row_index)
                    return
        self._load_window_around(max(0, min(index, self.total - 1)))

    def _load_window_around(self, index: int) -> None:
        start = max(0, index - PAGE_ROWS // 2)
        start = max(0, min(start, self.total - MAX_WINDOW_ROWS))
        rows = self._fetch(start, MAX_WINDOW_ROWS)
        self._set_rows(start, rows, index - start if rows else None)

    def _set_rows(self, start: int, rows: list[Item], highlighted: int | None) -> None:
        self.window_start = start
        self.rows = rows
        self.set_options(self._option(item) for item in rows)
        if not rows:
            self.post_message(self.Highlighted(None))
        elif highlighted is not None:
            self.highlighted = max(0, min(highlighted, len(rows) - 1))
            self.scroll_to_highlight()

    # --- rows ------------------------------------------------------------

    def _row_width(self) -> int:
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - padding.width
        return width if width > 0 else 60

    def _option(self, item: Item) -> Option:
        self._rendered_width = self._row_width()
        return Option(self.render_row(item, self._rendered_width))

    def render_row(self, item: Item, width: int) -> Content:
        """One row: marks, the title, and where it sits, measured in cells."""
        title_width = width - 5
        context_width = 0
        if self.context is not None and width >= 50:
            # One column width for every row, so that titles and places line up.
            context_width = min(MAX_CONTEXT_CELLS, max(12, width // 3))
            title_width -= context_width + 2
        title = plain(item.title) or "(untitled)"
        parts: list[str | tuple[str, str]] = [
            " ",
            (UNREAD_MARK, "bold $accent") if not item.read else " ",
            (STAR_MARK, "$warning") if item.starred else " ",
            (LATER_MARK, "$secondary") if item.later else " ",
            " ",
            (fit(title, title_width), "" if not item.read else "$text-muted"),
        ]
        if context_width and self.context is not None:
            context = plain(self.context(item))
            parts += ["  ", (fit(context, context_width), "italic $text-muted")]
        # Content.assemble takes the strings as plain text: feed text is never markup.
        return Content.assemble(*parts)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Rows are cut to the width they are drawn at; the width is only known
        # after layout and changes with the scrollbar, so check it here.
        width = self._row_width()
        if width != self._rendered_width and self.rows:
            self._rendered_width = width
            self.refresh_rows()
        return super().render_lines(crop)

    def refresh_rows(self, item_ids: Iterable[str] | None = None) -> None:
        """Render rows again (all, or those of `item_ids`) after their flags changed."""
        wanted = set(item_ids) if item_ids is not None else None
        width = self._row_width()
        for index, item in enumerate(self.rows):
            if wanted is None or item.id in wanted:
                self.replace_option_prompt_at_index(index, self.render_row(item, width))

    def update_flags(self, flags: dict[str, tuple[bool, bool, bool]]) -> None:
        """New (read, starred, later) for some items, as the store now holds them."""
        changed = []
        for index, item in enumerate(self.rows):
            if item.id in flags:
                read, starred, later = flags[item.id]
                self.rows[index] = replace(item, read=read, starred=starred, later=later)
                changed.append(item.id)
        self.refresh_rows(changed)

    def mark_rows(self, predicate: Callable[[Item], bool], *, read: bool) -> None:
        """Set the read flag on every row that `predicate` picks (after a bulk action)."""
        flags = {item.id: (read, item.starred, item.later) for item in self.rows if predicate(item)}
        self.update_flags(flags)

    # --- position --------------------------------------------------------

    @property
    def current(self) -> Item | None:
        if self.highlighted is None or not self.rows:
            return None
        return self.rows[self.highlighted]

    @property
    def absolute_index(self) -> int | None:
        if self.highlighted is None:
            return None
        return self.window_start + self.highlighted

    @property
    def window_end(self) -> int:
        return self.window_start + len(self.rows)

    def go_to(self, index: int) -> None:
        """Put the cursor on the item at absolute `index`, moving the window if needed."""
        if self.total == 0:
            return
        index = max(0, min(index, self.total - 1))
        if self.window_start <= index < self.window_end:
            self.highlighted = index - self.window_start
        else:
            self._load_window_around(index)

    def go_to_item(self, item_id: str, *, max_rows: int = 5000) -> bool:
        """Find an item in the list (reading at most `max_rows`) and put the cursor on it."""
        for index, item in enumerate(self.rows):
            if item.id == item_id:
                self.highlighted = index
                return True
        offset = 0
        while offset < min(self.total, max_rows):
            page = self._fetch(offset, SCAN_PAGE_ROWS)
            for index, item in enumerate(page):
                if item.id == item_id:
                    self.go_to(offset + index)
                    return True
            if len(page) < SCAN_PAGE_ROWS:
                break
            offset += SCAN_PAGE_ROWS
        return False

    def find_unread(self, direction: int, start: int | None = None) -> int | None:
        """Absolute index of the next (1) or previous (-1) unread item after `start` (the cursor)."""
        if start is None:
            start = self.absolute_index
        if start is None:
            start = -1 if direction > 0 else self.total
        # The window first: it is in memory and usually holds the answer.
        for index in range(start + direction, self.window_end if direction > 0 else -1, direction):
            if not self.window_start <= index < self.window_end:
                break
            if not self.rows[index - self.window_start].read:
                return index
        if direction > 0:
            offset = max(start + 1, self.window_end)
            while offset < self.total:
                page = self._fetch(offset, SCAN_PAGE_ROWS)
                for index, item in enumerate(page):
                    if not item.read:
                        return offset + index
                if not page:
                    break
                offset += len(page)
        else:
            end = min(start, self.window_start)
            while end > 0:
                offset = max(0, end - SCAN_PAGE_ROWS)
                page = self._fetch(offset, end - offset)
                for index in range(len(page) - 1, -1, -1):
                    if not page[index].read:
                        return offset + index
                end = offset
        return None

    # --- moving: slide the window at its edges ---------------------------

    def _extend_down(self) -> bool:
        if self.window_end >= self.total:
            return False
        page = self._fetch(self.window_end, PAGE_ROWS)
        if not page:
            return False
        highlighted = self.highlighted or 0
        scroll_y = self.scroll_y
        rows = self.rows + page
        start = self.window_start
        dropped = max(0, len(rows) - MAX_WINDOW_ROWS)
        rows = rows[dropped:]
        self._set_rows(start + dropped, rows, None)
        self.highlighted = highlighted - dropped
        self.scroll_to(y=max(0, scroll_y - dropped), animate=False, immediate=True)
        return True

    def _extend_up(self) -> bool:
        if self.window_start <= 0:
            return False
        offset = max(0, self.window_start - PAGE_ROWS)
        page = self._fetch(offset, self.window_start - offset)
        if not page:
            return False
        highlighted = self.highlighted or 0
        scroll_y = self.scroll_y
        rows = (page + self.rows)[:MAX_WINDOW_ROWS]
        self._set_rows(offset, rows, None)
        self.highlighted = highlighted + len(page)
        self.scroll_to(y=scroll_y + len(page), animate=False, immediate=True)
        return True

    def action_cursor_down(self) -> None:
        at_end = self.highlighted is not None and self.highlighted >= len(self.rows) - 1
        if at_end and not self._extend_down():
            return
        if self.highlighted is None and self.rows:
            self.highlighted = 0
            return
        if self.highlighted is not None:
            self.highlighted = min(self.highlighted + 1, len(self.rows) - 1)

    def action_cursor_up(self) -> None:
        if self.highlighted == 0 and not self._extend_up():
            return
        if self.highlighted is not None:
            self.highlighted = max(0, self.highlighted - 1)

    def action_first(self) -> None:
        self.go_to(0)

    def action_last(self) -> None:
        self.go_to(self.total - 1)

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        if self.absolute_index is not None:
            self.go_to(self.absolute_index + self._page_rows())

    def action_page_up(self) -> None:
        if self.absolute_index is not None:
            self.go_to(self.absolute_index - self._page_rows())

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        # The wheel scrolls without moving the cursor: at the window's edge,
        # slide the window so that scrolling never hits a wall.
        if self.scroll_y >= self.max_scroll_y and self._extend_down():
            event.stop()
            return
        super()._on_mouse_scroll_down(event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.scroll_y <= 0 and self._extend_up():
            event.stop()
            return
        super()._on_mouse_scroll_up(event)

    # --- messages --------------------------------------------------------

    def _on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self.current))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Chosen(self.current))
