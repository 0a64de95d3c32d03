"""The main screen: source tree, item list and reader pane, and every triage action.

Its bindings come from the keymap table; each action writes through the Library
(which commits) before the widgets show the new state.
"""

from __future__ import annotations

import os
import sys
from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, Tree

from reader.core.errors import ReaderError
from reader.core.library import Library
from reader.core.model import Article, Issue, Item, SearchHit
from reader.core.safety import is_openable_url
from reader.tui import keymap
from reader.tui.navigation import neighbour_scope
from reader.tui.places import Places
from reader.tui.scope import VIEWS, Scope
from reader.tui.text import plain
from reader.tui.triage import Change, Flags, Triage
from reader.tui.widgets.item_list import Group, ItemList
from reader.tui.widgets.reader_pane import ReaderPane
from reader.tui.widgets.source_tree import SourceTree
from reader.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from reader.tui.refresh_process import Progress

# Narrower than this, the tree hides until asked for (80x24 keeps two panes).
NARROW_WIDTH = 100
# The reader pane's body follows the cursor once keys pause this long.
READER_DELAY_S = 0.08
# Keys closer together than this are a run (j held, or tapped fast).
KEY_RUN_GAP_S = 0.25
# While a refresh runs, the list and the counts show its news this long after the
# first of a batch: one reload for many sources keeps the keys quick.
CATCH_UP_DELAY_S = 1.5


def graphical_browser_expected() -> bool:
    """Whether `webbrowser` can open a window rather than run a text browser in (and over)
    this terminal: macOS and Windows always, elsewhere with a display or a $BROWSER."""
    if sys.platform in ("darwin", "win32") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class MainScreen(Screen[None]):
    """Three panes, a status line and a footer."""

    BINDINGS: ClassVar[list[BindingType]] = keymap.bindings()

    class Ready(Message):
        """The screen has loaded the library: workers that update it may start."""

    def __init__(
        self,
        library: Library,
        *,
        scope: Scope,
        hide_read: bool,
        item_id: str | None = None,
        show_tree: bool | None = None,
        first_start: bool = False,
    ) -> None:
        super().__init__(id="main")
        self.library = library
        self.scope = scope
        self.hide_read = hide_read
        self.show_tree = show_tree
        self._restore_item_id = item_id
        # Nothing remembered (a new user, `reader demo`): open somewhere worth reading.
        self.first_start = first_start
        self.triage = Triage(library)
        self._unread_in_list: int | None = 0
        self._shown_item_id: str | None = None
        self._body_timer: Timer | None = None
        self._last_move_time = 0.0
        # Where `i` cycles: (item id, issue id) of every item telling the same story.
        self._story_ring: list[tuple[str, str]] = []
        # Sources with news from a running refresh that the screen does not show yet.
        self._refreshed_sources: set[int] = set()
        self._catch_up_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield SourceTree(self.library, id="tree", issue_of=self.issue_info)
            yield ItemList(self.library, id="items")
            yield ReaderPane(id="reader", article_of=self.saved_article)
        yield StatusLine(id="status")
        # The footer (a widget per key) follows the first frame; this keeps its line.
        yield Static(id="footer-placeholder")

    @property
    def source_tree(self) -> SourceTree:
        return self.query_one(SourceTree)

    @property
    def items(self) -> ItemList:
        return self.query_one(ItemList)

    @property
    def reader(self) -> ReaderPane:
        return self.query_one(ReaderPane)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def on_mount(self) -> None:
        # The list comes first: the tree (every source with its counts) fills in
        # after the first frame, so that the app is usable as soon as it shows.
        self.places = Places(self.library, self.source_tree.sources)
        self.update_layout()
        newest = self.newest_issue_scope() if self.first_start else None
        if newest is not None:
            self.show_scope(newest)
        else:
            self.restore(self.scope, self._restore_item_id)
        self.items.focus()
        self.call_after_refresh(self._fill_tree, expand_first=newest is not None)

    async def _fill_tree(self, *, expand_first: bool) -> None:
        """Load the tree, what needs the sources and the footer, then let workers start."""
        from textual.widgets import Footer

        self.source_tree.load()
        if expand_first:
            self.source_tree.expand_first_source()
        if self.scope.kind == "source" and self.scope.source_id not in self.source_tree.sources:
            self.show_scope(Scope.of_view("unread"))
        self.source_tree.reveal(self.scope)
        self.status.show_idle(self.broken_sources())
        self.update_status()
        await self.query_one("#footer-placeholder").remove()
        await self.mount(Footer(compact=True, show_command_palette=False))
        self.post_message(self.Ready())

    def restore(self, scope: Scope, item_id: str | None) -> None:
        """Open `scope` at `item_id`, or the item's own issue when the scope lacks it."""
        gone = scope.kind in ("issue", "section") and self.issue_info(scope.issue_id or "") is None
        self.show_scope(Scope.of_view("unread") if gone else scope, reveal=True)
        if item_id is None:
            return
        if self.items.go_to_item(item_id, max_rows=1000):
            return
        try:
            item = self.library.item(item_id)
        except ReaderError:
            return
        issue = self.issue_info(item.issue_id)
        if issue is not None:
            self.show_scope(
                Scope("issue", source_id=issue.source_id, issue_id=issue.id),
                item_id=item.id,
                reveal=True,
            )

    def newest_issue_scope(self) -> Scope | None:
        """The newest issue of the library, or None when it has none."""
        newest = self.library.issues(limit=1)
        if not newest:
            return None
        return Scope("issue", source_id=newest[0].source_id, issue_id=newest[0].id)

    # --- layout ----------------------------------------------------------

    def on_resize(self) -> None:
        self.update_layout()

    def update_layout(self) -> None:
        narrow = self.size.width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")
        shown = self.show_tree if self.show_tree is not None else not narrow
        self.set_class(not shown, "-tree-hidden")

    def action_toggle_tree(self) -> None:
        shown = not self.has_class("-tree-hidden")
        self.show_tree = not shown
        self.update_layout()
        if self.show_tree:
            self.source_tree.focus()
        elif self.source_tree.has_focus:
            self.items.focus()
        self._remember()

    # --- what is shown ---------------------------------------------------

    def issue_info(self, issue_id: str) -> Issue | None:
        """An issue with its sections (cached)."""
        return self.places.issue(issue_id)

    def row_group(self, item: Item) -> Group:
        return self.places.row_group(self.scope, item)

    def show_scope(
        self,
        scope: Scope,
        *,
        index: int = 0,
        item_id: str | None = None,
        reveal: bool = False,
    ) -> None:
        """Fill the item list with `scope`, the cursor at `item_id` or `index`."""
        self.scope = scope
        self.items.show_scope(scope, hide_read=self.hide_read, index=index, grouping=self.row_group)
        if item_id is not None:
            self.items.go_to_item(item_id)
        if reveal:
            self.source_tree.reveal(scope)
        self._count_unread_in_list()
        self.update_status()
        self._remember()

    def _count_unread_in_list(self) -> None:
        query = self.scope.query(self.hide_read)
        if query["view"] in ("starred", "later"):
            # The store counts one flag at a time; starred-and-unread is not worth a scan.
            self._unread_in_list = None
            return
        query["view"] = "unread"
        self._unread_in_list = self.library.count_items(**query)

    def update_status(self) -> None:
        self.status.show_list(
            self.places.scope_title(self.scope),
            position=self.items.absolute_index,
            total=self.items.total,
            unread=self._unread_in_list,
            hide_read=self.hide_read and self.scope.view not in ("unread", "starred", "later"),
        )

    @on(SourceTree.ScopeChosen)
    def _scope_chosen(self, event: SourceTree.ScopeChosen) -> None:
        if event.scope != self.scope:
            self.show_scope(event.scope)
        if event.activated:
            self.items.focus()

    @on(ItemList.Highlighted)
    async def _item_highlighted(self, event: ItemList.Highlighted) -> None:
        item = event.item
        self.update_status()
        if item is not None and item.id == self._shown_item_id:
            self.reader.update_flags(item)
            return
        self._shown_item_id = item.id if item else None
        self.reader.show_header(item, self.places.item_context(item) if item else None)
        # Holding j should move the cursor at key-repeat speed: the body (the
        # costly part: a layout of the pane) is drawn after the cursor's frame
        # for a key on its own, and once the keys pause for READER_DELAY_S when
        # they come in a run; a body drawn between two keys would hold up the second.
        if self._body_timer is not None:
            self._body_timer.stop()
            self._body_timer = None
        if READER_DELAY_S <= 0:
            await self.reader.show_body()
        else:
            now = monotonic()
            rested = now - self._last_move_time > KEY_RUN_GAP_S
            self._last_move_time = now
            if rested:
                self.call_after_refresh(self.reader.show_body)
            else:
                self._body_timer = self.set_timer(READER_DELAY_S, self.reader.show_body)
        self._remember()

    @on(ItemList.Chosen)
    def _item_chosen(self, event: ItemList.Chosen) -> None:
        self.open_item(event.item)

    def _remember(self) -> None:
        remember_soon = getattr(self.app, "remember_soon", None)
        if callable(remember_soon):
            remember_soon()

    # --- triage ----------------------------------------------------------

    def _source_of(self, issue_id: str | None) -> int | None:
        source_id = self.places.source_id(issue_id)
        return source_id if source_id is not None else self.scope.source_id

    def _show_change(self, change: Change, flags: Flags) -> None:
        """Show what the store now holds: rows, the open item, counts."""
        self.items.update_flags(flags)
        current = self.items.current
        if current is not None and current.id in flags:
            self.reader.update_flags(current)
        self.source_tree.update_counts(
            source_ids=change.source_ids,
            issue_ids=change.issue_ids,
            section_ids=change.section_ids,
            views=change.views,
        )
        self._count_unread_in_list()
        self.update_status()

    def mark_item(
        self,
        item: Item,
        *,
        read: bool | None = None,
        starred: bool | None = None,
        later: bool | None = None,
    ) -> None:
        """Set flags on one item; the store commits before the row changes."""
        change, flags = self.triage.mark(
            item, self._source_of(item.issue_id), read=read, starred=starred, later=later
        )
        self._show_change(change, flags)

    def open_item(self, item: Item) -> None:
        """Open an item in the reader and mark it read."""
        if not item.read:
            self.mark_item(item, read=True)

    def action_open_item(self) -> None:
        if self.items.current is not None:
            self.open_item(self.items.current)

    def action_toggle_read(self) -> None:
        item = self.items.current
        if item is not None:
            self.mark_item(item, read=not item.read)

    def action_toggle_star(self) -> None:
        item = self.items.current
        if item is not None:
            self.mark_item(item, starred=not item.starred)
            self.notify("Starred" if not item.starred else "Unstarred", timeout=1.5)

    def action_toggle_later(self) -> None:
        item = self.items.current
        if item is not None:
            self.mark_item(item, later=not item.later)
            self.notify("Saved for later" if not item.later else "Removed from later", timeout=1.5)

    def action_read_and_next(self) -> None:
        item = self.items.current
        if item is not None and not item.read:
            self.mark_item(item, read=True)
        self.move_to_unread(1)

    def _mark_read(self, what: str) -> None:
        """Mark the section, issue or source of the current item (or list) read."""
        item = self.items.current
        issue_id = item.issue_id if item else self.scope.issue_id
        section_id = item.section_id if item else self.scope.section_id
        source_id = self._source_of(issue_id)
        if what == "section" and section_id:
            change, flags = self.triage.mark_read(
                source_id=source_id, issue_id=issue_id, section_id=section_id
            )
        elif what == "issue" and issue_id:
            issue = self.issue_info(issue_id)
            change, flags = self.triage.mark_read(
                source_id=source_id,
                issue_id=issue_id,
                touched_section_ids=[s.id for s in issue.sections] if issue else [],
            )
        elif what == "source" and source_id is not None:
            change, flags = self.triage.mark_read(
                source_id=source_id,
                touched_issue_ids=self.source_tree.issue_nodes,
                touched_section_ids=self.source_tree.section_nodes,
            )
        else:
            self.notify(f"No {what} to mark read here", severity="warning", timeout=2)
            return
        self._show_change(change, flags)
        count = len(change.undo.previous)
        noun = "item" if count == 1 else "items"
        self.notify(f"Marked {count} {noun} read (u undoes)", timeout=2)

    def action_mark_section_read(self) -> None:
        self._mark_read("section")

    def action_mark_issue_read(self) -> None:
        self._mark_read("issue")

    def action_mark_source_read(self) -> None:
        self._mark_read("source")

    def action_undo(self) -> None:
        undone = self.triage.undo()
        if undone is None:
            self.notify("Nothing to undo", timeout=1.5)
            return
        change, flags = undone
        self._show_change(change, flags)
        self.notify(f"Undone: {change.undo.description}", timeout=2, markup=False)

    # --- moving ----------------------------------------------------------

    def action_move_down(self) -> None:
        self._move(1)

    def action_move_up(self) -> None:
        self._move(-1)

    def _move(self, direction: int) -> None:
        focused = self.focused
        if isinstance(focused, Tree):
            if direction > 0:
                focused.action_cursor_down()
            else:
                focused.action_cursor_up()
        elif focused is not None and self.reader in focused.ancestors_with_self:
            self.reader.scroll_body(direction)
        elif direction > 0:
            self.items.action_cursor_down()
        else:
            self.items.action_cursor_up()

    def action_first_item(self) -> None:
        if isinstance(self.focused, Tree):
            self.focused.action_scroll_home()
        else:
            self.items.action_first()

    def action_last_item(self) -> None:
        if isinstance(self.focused, Tree):
            self.focused.action_scroll_end()
        else:
            self.items.action_last()

    def action_scroll_reader(self, direction: int) -> None:
        self.reader.scroll_body(direction)

    def action_next_unread(self) -> None:
        self.move_to_unread(1)

    def action_previous_unread(self) -> None:
        self.move_to_unread(-1)

    def move_to_unread(self, direction: int) -> None:
        """Go to the next (1) or previous (-1) unread item, into other sections and issues."""
        index = self.items.find_unread(direction)
        if index is not None:
            self.items.go_to(index)
            return
        scope = neighbour_scope(self.library, self.scope, direction)
        if scope is None:
            # Nothing further this way: wrap around within the list, as a search would.
            start = -1 if direction > 0 else self.items.total
            wrapped = self.items.find_unread(direction, start=start)
            if wrapped is not None and wrapped != self.items.absolute_index:
                self.items.go_to(wrapped)
                where = "first" if direction > 0 else "last"
                self.notify(f"Wrapped to the {where} unread item", timeout=1.5)
                return
            self.notify(
                "No other unread items" if wrapped is not None else "No unread items",
                timeout=1.5,
            )
            return
        self.show_scope(scope, reveal=True)
        start = self.items.find_unread(1, start=-1) if direction > 0 else None
        if direction < 0:
            start = self.items.find_unread(-1, start=self.items.total)
        if start is not None:
            self.items.go_to(start)

    # --- views -----------------------------------------------------------

    def action_show_view(self, view: str) -> None:
        self.show_scope(Scope.of_view(view), reveal=True)
        self.items.focus()

    def action_toggle_hide_read(self) -> None:
        self.hide_read = not self.hide_read
        current = self.items.current
        index = self.items.absolute_index or 0
        self.items.hide_read = self.hide_read
        self.show_scope(self.scope, index=index, item_id=current.id if current else None)
        self.notify("Read items hidden" if self.hide_read else "Read items shown", timeout=1.5)

    # --- links -----------------------------------------------------------

    def _link(self) -> str | None:
        if self.reader.item is None or self.items.current is None:
            return None
        return self.reader.current_link

    def action_open_link(self) -> None:
        link = self._link()
        if link is None:
            self.notify("This item has no link", timeout=1.5)
            return
        self.open_url(link)

    def open_url(self, url: str) -> None:
        """Open a link in the browser if it is http, https or mailto; where there is no
        browser to open (a server over SSH), copy it instead and say so."""
        if not is_openable_url(url):
            self.notify(f"Not opened: {plain(url)[:80]}", severity="warning", markup=False)
            return
        if not graphical_browser_expected():
            self._copy_instead(url, "no graphical browser here (no DISPLAY)")
            return
        self._open_in_browser(url)
        self.notify(f"Opening {plain(url)[:80]}", timeout=2, markup=False)

    @work(thread=True, group="browser")
    def _open_in_browser(self, url: str) -> None:
        # webbrowser may start a process and wait for it: never on the UI thread.
        import webbrowser

        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
        if not opened:
            self.app.call_from_thread(self._copy_instead, url, "no browser could open it")

    def _copy_instead(self, url: str, why: str) -> None:
        self.app.copy_to_clipboard(url)
        self.notify(
            f"Not opened: {why}. Copied the link instead: {plain(url)[:80]}",
            severity="warning",
            timeout=6,
            markup=False,
        )

    def action_copy_link(self) -> None:
        link = self._link()
        if link is None:
            self.notify("This item has no link", timeout=1.5)
            return
        self.app.copy_to_clipboard(link)
        self.notify(f"Copied {plain(link)[:80]}", timeout=2, markup=False)

    def action_next_link(self) -> None:
        link = self.reader.next_link()
        if link is None:
            self.notify("This item has no link", timeout=1.5)
        elif len(self.reader.links) == 1:
            self.notify("This item has only this link", timeout=1.5)
        else:
            where = f"link {self.reader.link_index + 1}/{len(self.reader.links)}"
            self.notify(f"{where}: {plain(link)[:80]}", timeout=1.5, markup=False)

    @on(ReaderPane.LinkClicked)
    def _link_clicked(self, event: ReaderPane.LinkClicked) -> None:
        self.open_url(event.href)

    # --- articles and stories told twice ---------------------------------

    def saved_article(self, item: Item) -> Article | None:
        """The item's saved article (or why it could not be saved); None if never saved."""
        try:
            return self.library.article(item.id)
        except ReaderError:
            return None

    async def action_toggle_article(self) -> None:
        if self.reader.item is None:
            self.notify("No item open", timeout=1.5)
            return
        await self.reader.toggle_article()

    def action_save_articles(self, whole_issue: bool) -> None:
        item = self.items.current
        if item is None:
            self.notify("No item here to save", timeout=1.5)
            return
        if not whole_issue:
            self.app_save_articles([item.id], "the article")
            return
        issue = self.library.issue(item.issue_id)
        item_ids = [entry.id for section in issue.sections for entry in section.items]
        self.app_save_articles(item_ids, f"the articles of {plain(issue.title)[:40]}")

    def app_save_articles(self, item_ids: list[str], what: str) -> None:
        save = getattr(self.app, "save_articles", None)
        if callable(save):
            save(item_ids, what)

    async def after_articles_saved(self, item_ids: tuple[str, ...]) -> None:
        """Articles were saved: the open item's may be one of them."""
        item = self.reader.item
        if item is not None and item.id in item_ids:
            await self.reader.reload_article()

    def action_toggle_auto_save(self) -> None:
        """Save the articles of the current source's new items at each refresh, or stop."""
        from reader.core.articles import AUTO_SAVE

        source_id = self._current_source_id()
        source = self.source_tree.sources.get(source_id) if source_id is not None else None
        if source is None or source.kind == "imports":
            self.notify("Pick a subscribed source (or an item of one) first", timeout=2)
            return
        enabled = not source.settings.get(AUTO_SAVE)
        updated = self.library.set_source_auto_save(str(source.id), enabled)
        self.source_tree.sources[source.id] = updated
        title = plain(source.title)[:60]
        if enabled:
            message = f"{title}: new items' articles are saved at each refresh"
        else:
            message = f"{title}: articles are no longer saved by themselves"
        self.notify(message, timeout=3, markup=False)

    def action_also_in(self) -> None:
        """Go to the next item that tells the current item's story, cycling through them."""
        item = self.items.current
        if item is None or not item.also_in:
            self.notify("This story is in no other issue", timeout=1.5)
            return
        ids = [entry[0] for entry in self._story_ring]
        if item.id not in ids:
            others = self.library.also_in(item.id)
            self._story_ring = [(item.id, item.issue_id)] + [
                (other.item_id, other.issue_id) for other in others
            ]
            ids = [entry[0] for entry in self._story_ring]
        item_id, issue_id = self._story_ring[(ids.index(item.id) + 1) % len(self._story_ring)]
        issue = self.issue_info(issue_id)
        if issue is None:
            self.notify("That issue is gone", severity="warning", timeout=2)
            return
        if self.hide_read:
            self.hide_read = False
        self.show_scope(
            Scope("issue", source_id=issue.source_id, issue_id=issue.id),
            item_id=item_id,
            reveal=True,
        )
        self.items.focus()
        position = ids.index(item_id) + 1
        self.notify(
            f"Same story in {plain(issue.title)[:60]} ({position}/{len(ids)})",
            timeout=2,
            markup=False,
        )

    # --- library ---------------------------------------------------------

    def action_search(self) -> None:
        from reader.tui.screens.search import SearchScreen

        source_id = self._current_source_id()
        source = self.source_tree.sources.get(source_id) if source_id is not None else None
        self.app.push_screen(
            SearchScreen(
                self.library.path,
                source_id=source.id if source else None,
                source_title=source.title if source else "",
            ),
            self.open_hit,
        )

    def open_hit(self, hit: SearchHit | None) -> None:
        """Open a search hit in place: its issue in the list, the item under the cursor."""
        if hit is None:
            return
        issue = self.issue_info(hit.issue_id)
        if issue is None:
            self.notify("That item is gone", severity="warning")
            return
        if self.hide_read and hit.read:
            self.hide_read = False
        self.show_scope(
            Scope("issue", source_id=issue.source_id, issue_id=issue.id),
            item_id=hit.item_id,
            reveal=True,
        )
        self.items.focus()
        if self.items.current is not None and self.items.current.id == hit.item_id:
            self.open_item(self.items.current)

    def _current_source_id(self) -> int | None:
        item = self.items.current
        if item is not None:
            issue = self.issue_info(item.issue_id)
            if issue is not None and issue.source_id is not None:
                return issue.source_id
        return self.scope.source_id

    def action_refresh_sources(self, every_source: bool) -> None:
        refresh = getattr(self.app, "refresh_sources", None)
        if refresh is None:
            return
        if every_source:
            refresh(None)
            return
        source_id = self._current_source_id()
        if source_id is None:
            self.notify("Pick a source (or an item of one) to refresh it", timeout=2)
            return
        refresh([source_id])

    def action_source_error(self) -> None:
        source_id = self._current_source_id()
        source = self.source_tree.sources.get(source_id) if source_id is not None else None
        if source is None:
            broken = [s for s in self.source_tree.sources.values() if s.error]
            source = broken[0] if broken else None
        if source is None:
            self.notify("No source here", timeout=1.5)
            return
        if source.error:
            self.notify(
                plain(source.error),
                title=plain(source.title)[:60],
                severity="error",
                timeout=8,
                markup=False,
            )
        else:
            self.notify(f"{plain(source.title)[:60]}: no error", timeout=2, markup=False)

    def refresh_progressed(self, progress: Progress) -> None:
        """A source finished refreshing: its state shows at once, its news within a moment."""
        self.status.show_refresh(progress.done, progress.total, progress.failed, progress.title)
        if progress.source_id is None or progress.status is None:
            return
        # A broken source is marked as soon as it fails, not when all are done.
        self.source_tree.set_source_state(
            progress.source_id, progress.status, progress.error, new_items=progress.new_items
        )
        if progress.new_items:
            self._refreshed_sources.add(progress.source_id)
            if self._catch_up_timer is None:
                self._catch_up_timer = self.set_timer(CATCH_UP_DELAY_S, self._catch_up)

    def _catch_up(self) -> None:
        """Show what the running refresh has stored so far, without moving the cursor."""
        self._catch_up_timer = None
        sources, self._refreshed_sources = self._refreshed_sources, set()
        self.source_tree.reload_issues(sources)
        scope = self.scope
        if (scope.kind == "view" and scope.view in ("unread", "all")) or (
            scope.kind == "source" and scope.source_id in sources
        ):
            # The item being read stays put: a list of unread items waits for the end
            # of the refresh rather than lose the cursor's item, read meanwhile.
            self.items.reload(only_if_kept=True)
            self._count_unread_in_list()
            self.update_status()

    def after_refresh(self) -> None:
        """New items arrived: update the tree and the list without moving the cursor."""
        if self._catch_up_timer is not None:
            self._catch_up_timer.stop()
            self._catch_up_timer = None
        self._refreshed_sources.clear()
        self.places.clear()
        self._recount_sources()
        self.items.reload()
        self._count_unread_in_list()
        self.update_status()
        # A source that saves its articles may have saved the open item's.
        self.call_later(self.reader.reload_article)

    @work(thread=True, exclusive=True, group="recount")
    def _recount_sources(self) -> None:
        """Count every source's and view's unread items anew, on a connection of its own."""
        with Library(self.library.path) as library:
            sources = library.sources()
            view_counts = {view: library.count_items(view=view) for view in VIEWS}
        self.app.call_from_thread(self.source_tree.refresh_sources, sources, view_counts)

    def broken_sources(self) -> int:
        return sum(1 for source in self.source_tree.sources.values() if source.status == "error")

    def action_help(self) -> None:
        from reader.tui.screens.help import HelpScreen

        overrides = getattr(self.app, "key_overrides", {})
        self.app.push_screen(HelpScreen(dict(overrides)))
