"""The items of the current scope as one OptionList that holds a window of rows.

Rows come from `Library.items_page` a page at a time; the window slides as the
cursor or the scroll reaches its edges, so a list of 100,000 items costs what 200 do.
Issue and section headings sit between the items as disabled options: the cursor
never stops on them, and they count against the window's size like any row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from textual import events
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.core.library import Library
from reader.core.model import Item
from reader.tui.scope import Scope
from reader.tui.text import fit, plain

PAGE_ROWS = 100
# Two pages: enough to scroll smoothly across a page edge, never the whole list.
# Headings are options too, so they count: a window never holds more options than this.
MAX_WINDOW_ROWS = 2 * PAGE_ROWS
# Looking for the next unread item reads pages of this many rows.
SCAN_PAGE_ROWS = 500

UNREAD_MARK = "●"
STAR_MARK = "★"
LATER_MARK = "◷"
REPEAT_MARK = "⇄"
HEADING_DOT = " · "


@dataclass(frozen=True)
class Group:
    """Where an item sits, as the list's headings show it.

    An empty `issue_title` means the list shows no issue headings (it is one
    issue); an empty `section_title` means no heading for that section.
    """

    issue_title: str = ""
    issue_date: str = ""
    section_title: str = ""


@dataclass(frozen=True)
class Heading:
    """A heading option: `kind` is issue or section."""

    kind: str
    title: str
    detail: str = ""


# Tells the list which group an item belongs to: item -> Group.
Grouping = Callable[[Item], Group]
# An entry of the window: a heading, or the index of an item in `rows`.
Entry = Heading | int


def group_headings(group: Group, *, new_issue: bool, new_section: bool) -> list[Heading]:
    """The headings that go above an item that starts a new issue and/or section."""
    headings = []
    if new_issue and group.issue_title:
        headings.append(Heading("issue", group.issue_title, group.issue_date))
    if (new_issue or new_section) and group.section_title:
        headings.append(Heading("section", group.section_title))
    return headings


class LazyRow(Visual):
    """An option's prompt, drawn only when its line is shown, at the width it is shown at.

    A window holds up to 200 options but a screen shows about 40: the others cost
    nothing until they scroll into view. Every row is one line.
    """

    def __init__(self, draw: Callable[[int], Content]) -> None:
        self._draw = draw
        self._width = -1
        self._content: Content | None = None

    def content(self, width: int) -> Content:
        """The row as Content for `width` cells (drawn again only for a new width)."""
        if self._content is None or width != self._width:
            self._content = self._draw(width)
            self._width = width
        return self._content

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.content(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return 1


class ItemList(OptionList):
    """A paged, windowed list of items under their headings; `rows` holds the window's items."""

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
        /* Headings are disabled options: their own styles, not the greyed-out look. */
        & > .option-list--option-disabled { color: $text; }
        & > .option-list--separator { color: $foreground 10%; }
    }
    """

    # A cursor move repaints the two lines it leaves and reaches, not the whole list.
    highlighted: reactive[int | None] = reactive(None, repaint=False)

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
        self.grouping: Grouping | None = None
        # The window as shown: headings and row indices, one per option.
        self.entries: list[Entry] = []
        self._option_of_row: list[int] = []
        # The width rows were last drawn at: the options' renders are cached without it.
        self._drawn_width = 0

    # --- loading ---------------------------------------------------------

    def _query(self) -> dict[str, Any]:
        assert self.scope is not None
        return self.scope.query(self.hide_read)

    def _fetch(self, offset: int, limit: int) -> list[Item]:
        if self.scope is None or limit <= 0:
            return []
        return self.library.items_page(offset=offset, limit=limit, **self._query())

    def show_scope(
        self, scope: Scope, *, hide_read: bool, index: int = 0, grouping: Grouping | None = None
    ) -> None:
        """Show `scope` with the cursor on the item at absolute `index`."""
        self.scope = scope
        self.hide_read = hide_read
        self.grouping = grouping
        self.total = self.library.count_items(**self._query())
        self._load_window_around(max(0, min(index, self.total - 1)))

    def reload(self, *, keep_item_id: str | None = None, only_if_kept: bool = False) -> None:
        """Read the window again (new items, new counts), keeping the cursor on its item
        and that item on its line of the screen. With `only_if_kept`, a window that no
        longer holds the cursor's item (read, in a list of unread ones) is left as it is."""
        if self.scope is None:
            return
        keep_item_id = keep_item_id or (self.current.id if self.current else None)
        index = self.absolute_index or 0
        total = self.library.count_items(**self._query())
        start = self.window_start
        rows = self._fetch(start, max(len(self.rows), PAGE_ROWS))
        if total == self.total and rows == self.rows:
            return  # nothing new here: no redraw
        kept = next(
            (row for row, item in enumerate(rows) if keep_item_id and item.id == keep_item_id),
            None,
        )
        if kept is None and only_if_kept and keep_item_id is not None:
            return
        self.total = total
        cursor = self.cursor_row
        on_screen = self._line_of_row(cursor) - self.scroll_y if cursor is not None else None
        if kept is not None:
            self._set_rows(start, rows, kept)
        else:
            self._load_window_around(max(0, min(index, self.total - 1)))
        row = self.cursor_row
        if on_screen is not None and row is not None and self.is_mounted:
            self._update_lines()
            self.scroll_to(
                y=max(0, self._line_of_row(row) - on_screen), animate=False, immediate=True
            )

    def _load_window_around(self, index: int) -> None:
        start = max(0, index - PAGE_ROWS // 2)
        start = max(0, min(start, self.total - MAX_WINDOW_ROWS))
        rows = self._fetch(start, MAX_WINDOW_ROWS)
        self._set_rows(start, rows, index - start if rows else None)

    def _set_rows(
        self,
        start: int,
        rows: list[Item],
        cursor: int | None,
        *,
        keep: int | None = -1,
        drop_first: bool = False,
    ) -> None:
        """Show `rows` (the items from absolute `start`) with the cursor on row `cursor`.

        When the rows and their headings are more than a window holds, rows are
        dropped from the end (or the start, with `drop_first`), never row `keep`
        (by default the cursor's); the cursor stays on its item or the nearest kept.
        """
        if keep == -1:
            keep = cursor
        groups = [self.grouping(item) for item in rows] if self.grouping else []
        first, end = self._fit(rows, groups, keep=keep, drop_first=drop_first)
        self.window_start = start + first
        self.rows = rows[first:end]
        self.entries = self._entries(self.rows, groups[first:end])
        self._option_of_row = [
            index for index, entry in enumerate(self.entries) if isinstance(entry, int)
        ]
        options: list[Option | None] = []
        for entry in self.entries:
            if isinstance(entry, Heading) and entry.kind == "issue" and options:
                options.append(None)  # a rule between issues
            options.append(self._option(entry))
        self.set_options(options)
        if not self.rows:
            self.post_message(self.Highlighted(None))
        elif cursor is not None:
            self._highlight_row(max(0, min(cursor - first, len(self.rows) - 1)))
            self.scroll_to_highlight()

    def _fit(
        self, rows: list[Item], groups: list[Group], *, keep: int | None, drop_first: bool
    ) -> tuple[int, int]:
        """The rows [first, end) whose options (headings included) fit in a window."""
        if not rows:
            return 0, 0

        def lead(index: int) -> int:
            # The headings of the window's first row: its issue and section, always.
            return (
                len(group_headings(groups[index], new_issue=True, new_section=True))
                if groups
                else 0
            )

        def extra(index: int) -> int:
            # The headings of a row below another one: only where the group changes.
            if not groups:
                return 0
            before, item = rows[index - 1], rows[index]
            return len(
                group_headings(
                    groups[index],
                    new_issue=before.issue_id != item.issue_id,
                    new_section=before.section_id != item.section_id,
                )
            )

        extras = [0] + [extra(index) for index in range(1, len(rows))]
        first, end = 0, len(rows)
        size = lead(0) + len(rows) + sum(extras)
        while size > MAX_WINDOW_ROWS and end - first > 1:
            from_start = drop_first
            if keep is not None and (first if from_start else end - 1) == keep:
                from_start = not from_start
            if from_start:
                size += lead(first + 1) - lead(first) - 1 - extras[first + 1]
                first += 1
            else:
                size -= 1 + extras[end - 1]
                end -= 1
        return first, end

    def _entries(self, rows: list[Item], groups: list[Group]) -> list[Entry]:
        entries: list[Entry] = []
        for index, item in enumerate(rows):
            if groups:
                before = rows[index - 1] if index else None
                entries += group_headings(
                    groups[index],
                    new_issue=before is None or before.issue_id != item.issue_id,
                    new_section=before is None or before.section_id != item.section_id,
                )
            entries.append(index)
        return entries

    # --- rows ------------------------------------------------------------

    def _option(self, entry: Entry) -> Option:
        if isinstance(entry, Heading):
            return Option(LazyRow(partial(self.render_heading, entry)), disabled=True)
        return Option(self._row_prompt(self.rows[entry]))

    def _row_prompt(self, item: Item) -> LazyRow:
        return LazyRow(partial(self.render_row, item))

    def render_heading(self, heading: Heading, width: int) -> Content:
        """An issue heading (title · date) or a section sub-heading, cut to `width` cells."""
        title = plain(heading.title) or "(untitled)"
        if heading.kind == "issue":
            detail = HEADING_DOT + heading.detail if heading.detail else ""
            title_width = max(1, width - 1 - len(detail))
            return Content.assemble(
                " ",
                (fit(title, title_width).rstrip(), "bold $primary"),
                (detail, "$text-muted"),
            )
        return Content.assemble("   ", (fit(title, max(1, width - 3)).rstrip(), "bold $secondary"))

    def render_row(self, item: Item, width: int) -> Content:
        """One row: marks and the title, measured in cells."""
        title = plain(item.title) or "(untitled)"
        # A story other issues tell too ends its row with a mark (`i` goes there).
        repeat = " " + REPEAT_MARK if item.also_in else ""
        parts: list[str | tuple[str, str]] = [
            " ",
            (UNREAD_MARK, "bold $accent") if not item.read else " ",
            (STAR_MARK, "$warning") if item.starred else " ",
            (LATER_MARK, "$secondary") if item.later else " ",
            " ",
            (fit(title, width - 5 - len(repeat)), "" if not item.read else "$text-muted"),
            (repeat, "$text-muted"),
        ]
        # Content.assemble takes the strings as plain text: feed text is never markup.
        return Content.assemble(*parts)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Rows are drawn at the width they are shown at, which changes with the
        # scrollbar as well as the size; OptionList keeps renders by option only.
        width = self.scrollable_content_region.width
        if width != self._drawn_width:
            self._drawn_width = width
            self._option_render_cache.clear()
        return super().render_lines(crop)

    def refresh_rows(self, item_ids: Iterable[str] | None = None) -> None:
        """Render rows again (all, or those of `item_ids`) after their flags changed."""
        wanted = set(item_ids) if item_ids is not None else None
        for index, item in enumerate(self.rows):
            if wanted is None or item.id in wanted:
                self.replace_option_prompt_at_index(
                    self._option_of_row[index], self._row_prompt(item)
                )

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

    def _row_at(self, option: int | None) -> int | None:
        """The row shown at option index `option` (None for a heading)."""
        if option is None or not 0 <= option < len(self.entries):
            return None
        entry = self.entries[option]
        return entry if isinstance(entry, int) else None

    def _highlight_row(self, row: int) -> None:
        self.highlighted = self._option_of_row[row]

    @property
    def cursor_row(self) -> int | None:
        """The index in `rows` of the item under the cursor."""
        return self._row_at(self.highlighted)

    @property
    def current(self) -> Item | None:
        row = self.cursor_row
        return self.rows[row] if row is not None and row < len(self.rows) else None

    @property
    def absolute_index(self) -> int | None:
        row = self.cursor_row
        return None if row is None else self.window_start + row

    @property
    def window_end(self) -> int:
        return self.window_start + len(self.rows)

    def go_to(self, index: int) -> None:
        """Put the cursor on the item at absolute `index`, moving the window if needed."""
        if self.total == 0:
            return
        index = max(0, min(index, self.total - 1))
        if self.window_start <= index < self.window_end:
            self._highlight_row(index - self.window_start)
        else:
            self._load_window_around(index)

    def go_to_item(self, item_id: str, *, max_rows: int = 5000) -> bool:
        """Find an item in the list (reading at most `max_rows`) and put the cursor on it."""
        for index, item in enumerate(self.rows):
            if item.id == item_id:
                self._highlight_row(index)
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
        index = start + direction
        while 0 <= index < self.total:
            # The window first: it is in memory and usually holds the answer.
            if self.window_start <= index < self.window_end:
                if not self.rows[index - self.window_start].read:
                    return index
                index += direction
                continue
            # Outside it (on either side), a page at a time, stopping at its edge.
            if direction > 0:
                edge = self.window_start if index < self.window_start else self.total
                page = self._fetch(index, min(SCAN_PAGE_ROWS, edge - index))
                for offset, item in enumerate(page):
                    if not item.read:
                        return index + offset
                index += len(page)
            else:
                edge = self.window_end if index >= self.window_end else 0
                low = max(edge, index - SCAN_PAGE_ROWS + 1)
                page = self._fetch(low, index - low + 1)
                for offset in range(len(page) - 1, -1, -1):
                    if not page[offset].read:
                        return low + offset
                index = low - 1
            if not page:
                return None
        return None

    def scroll_to_highlight(self, top: bool = False) -> None:
        # Scroll so that the headings right above the cursor's item show too:
        # moving up onto the first item of a section should reveal the section.
        highlighted = self.highlighted
        if highlighted is None or not self.is_mounted or highlighted >= len(self.entries):
            return
        first = highlighted
        while first > 0 and isinstance(self.entries[first - 1], Heading):
            first -= 1
        self._update_lines()
        try:
            y = self._index_to_line[first]
            bottom = self._index_to_line[highlighted] + self._heights[highlighted]
        except KeyError:
            return
        self.scroll_to_region(
            Region(0, y, self.scrollable_content_region.width, bottom - y),
            force=True,
            animate=False,
            top=top,
            immediate=True,
        )

    # --- moving: slide the window at its edges ---------------------------

    def _slide(self, start: int, rows: list[Item], *, down: bool, keep_cursor: bool) -> None:
        """Show a window slid by a page, keeping what was on screen where it was.

        Keys keep the cursor's item; the wheel may slide past it (the cursor then
        moves to the nearest item) and keeps the rows at the edge it scrolled to.
        """
        cursor = self.cursor_row
        edge = len(self.rows) - 1 if down else 0
        anchor = cursor if keep_cursor and cursor is not None else edge
        anchor_index = self.window_start + anchor
        on_screen = self._line_of_row(anchor) - self.scroll_y
        shift = self.window_start - start
        self._set_rows(
            start,
            rows,
            (cursor or 0) + shift,
            keep=anchor + shift,
            drop_first=down,
        )
        row = anchor_index - self.window_start
        if 0 <= row < len(self.rows):
            self._update_lines()
            self.scroll_to(
                y=max(0, self._line_of_row(row) - on_screen), animate=False, immediate=True
            )

    def _line_of_row(self, row: int) -> int:
        return self._index_to_line.get(self._option_of_row[row], 0)

    def _extend_down(self, *, keep_cursor: bool = True) -> bool:
        if self.window_end >= self.total:
            return False
        page = self._fetch(self.window_end, PAGE_ROWS)
        if not page:
            return False
        self._slide(self.window_start, self.rows + page, down=True, keep_cursor=keep_cursor)
        return True

    def _extend_up(self, *, keep_cursor: bool = True) -> bool:
        if self.window_start <= 0:
            return False
        offset = max(0, self.window_start - PAGE_ROWS)
        page = self._fetch(offset, self.window_start - offset)
        if not page:
            return False
        self._slide(offset, page + self.rows, down=False, keep_cursor=keep_cursor)
        return True

    def action_cursor_down(self) -> None:
        row = self.cursor_row
        if row is None:
            if self.rows:
                self._highlight_row(0)
            return
        if row >= len(self.rows) - 1:
            if not self._extend_down():
                return
            row = self.cursor_row
            assert row is not None
        self._highlight_row(min(row + 1, len(self.rows) - 1))

    def action_cursor_up(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        if row == 0:
            if not self._extend_up():
                return
            row = self.cursor_row
            assert row is not None
        self._highlight_row(max(0, row - 1))

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
        if self.scroll_y >= self.max_scroll_y and self._extend_down(keep_cursor=False):
            event.stop()
            return
        super()._on_mouse_scroll_down(event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.scroll_y <= 0 and self._extend_up(keep_cursor=False):
            event.stop()
            return
        super()._on_mouse_scroll_up(event)

    def _watch_highlighted(self, old: int | None, new: int | None) -> None:
        # (OptionList's own watcher, which follows, scrolls and posts the message.)
        for option in (old, new):
            if option is not None and option in self._index_to_line:
                self.refresh_lines(self._index_to_line[option], self._heights.get(option, 1))

    # --- messages --------------------------------------------------------

    def _on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self.current))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Chosen(self.current))
