"""The search screen: results as you type, each with its issue and section.

Queries run in a thread worker on their own connection, debounced and exclusive,
so typing never waits for SQLite; Enter hands the chosen hit back to the main screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from reader.core.errors import ReaderError
from reader.core.model import SearchHit
from reader.tui.messages import SearchFinished
from reader.tui.text import plain, shorten

SEARCH_DELAY_S = 0.15
MAX_HITS = 100


def hit_prompt(hit: SearchHit) -> Content:
    """Three lines for a hit: title, issue › section, snippet (all plain text)."""
    place = " › ".join(plain(p) for p in (hit.issue_title, hit.section_title) if p)
    return Content.assemble(
        ("●" if not hit.read else " ", "bold $accent"),
        " ",
        (plain(hit.title) or "(untitled)", "bold"),
        "\n  ",
        (place, "$text-muted"),
        "\n  ",
        (shorten(plain(hit.snippet), 300), "italic $text-muted"),
    )


def run_search(database: Path, query: str) -> list[SearchHit]:
    """One search on a fresh connection: sqlite3 connections belong to one thread."""
    from reader.core.library import Library

    with Library(database) as library:
        return library.search(query, limit=MAX_HITS)


class SearchScreen(ModalScreen[SearchHit | None]):
    """Type to search; enter opens the highlighted hit, escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Back", id="search.close"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    DEFAULT_CSS = """
    SearchScreen { align: center top; }
    SearchScreen > Vertical {
        width: 90%;
        max-width: 120;
        height: 90%;
        margin-top: 1;
        border: round $primary;
        background: $surface;
    }
    SearchScreen Input { margin: 0 0 1 0; }
    SearchScreen #search-summary { height: 1; padding: 0 1; color: $text-muted; }
    SearchScreen OptionList { height: 1fr; border: none; }
    SearchScreen OptionList > .option-list--option { padding: 0 1; }
    """

    def __init__(self, database: Path, query: str = "") -> None:
        super().__init__()
        self.database = database
        self.initial_query = query
        self.hits: list[SearchHit] = []
        self._timer: Timer | None = None
        self._latest = ""
        self._open_when_done = False
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Search"
            box.border_subtitle = "enter opens · escape goes back"
            yield Input(
                value=self.initial_query,
                placeholder="Words or 中文 (one character is enough)",
                id="search-input",
            )
            yield Static("Type to search every item.", id="search-summary", markup=False)
            yield OptionList(id="search-results", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.initial_query:
            self._schedule(self.initial_query)

    @on(Input.Changed, "#search-input")
    def _query_changed(self, event: Input.Changed) -> None:
        self._schedule(event.value)

    def _schedule(self, query: str) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._latest = query
        self._timer = self.set_timer(SEARCH_DELAY_S, lambda: self._start(query))

    def _start(self, query: str) -> None:
        if not query.strip():
            self._show(SearchFinished(query, []))
            return
        self.query_one("#search-summary", Static).update("searching…")
        self.search(query)

    @work(thread=True, exclusive=True, group="search")
    def search(self, query: str) -> None:
        try:
            hits = run_search(self.database, query)
            message = SearchFinished(query, hits)
        except ReaderError as error:
            message = SearchFinished(query, [], error=str(error))
        self.post_message(message)

    def on_search_finished(self, message: SearchFinished) -> None:
        self._show(message)

    def _show(self, message: SearchFinished) -> None:
        if message.query != self._latest:
            return  # an older query answered late
        summary = self.query_one("#search-summary", Static)
        results = self.query_one("#search-results", OptionList)
        self.hits = message.hits
        self._shown = message.query
        results.set_options(Option(hit_prompt(hit)) for hit in message.hits)
        if message.error:
            summary.update(Content.assemble(("search failed: ", "$error"), plain(message.error)))
        elif not message.query.strip():
            summary.update("Type to search every item.")
        else:
            count = len(message.hits)
            more = "+" if count >= MAX_HITS else ""
            summary.update(f"{count}{more} {'item' if count == 1 else 'items'}")
        if message.hits:
            results.highlighted = 0
            if self._open_when_done:
                self.dismiss(message.hits[0])
        self._open_when_done = False

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if self._shown == self._latest and self.hits:
            self.dismiss(self.hits[results.highlighted or 0])
        elif self._shown != self._latest and self._latest.strip():
            # Enter came before the results: open the first one when they arrive.
            self._open_when_done = True

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])

    def action_focus_results(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if self.hits and not results.has_focus:
            results.focus()
        elif results.has_focus:
            results.action_cursor_down()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
