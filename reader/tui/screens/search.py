"""The search screen: results as you type, each with its issue, section and highlighted snippet.

Queries run in a thread worker on their own connection, debounced and exclusive,
so typing never waits for SQLite; Enter hands the chosen hit back to the main screen.
Keys of the keymap table narrow the search to unread, starred or later items and to
the current source; `since:` and `until:` words in the query bound the issue dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
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
from reader.core.safety import printable
from reader.tui import keymap
from reader.tui.messages import SearchFinished
from reader.tui.text import plain, shorten

SEARCH_DELAY_S = 0.15
MAX_HITS = 100
MAX_SNIPPET_CELLS = 300
# The views a search can be narrowed to, in the order the filter key cycles them.
SEARCH_VIEWS = ("all", "unread", "starred", "later")
HIGHLIGHT_STYLE = "bold reverse $accent"

_DATE_WORD = re.compile(r"(?<!\S)(since|until):(\d{4}-\d{1,2}-\d{1,2})(?!\S)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchFilters:
    """What a search is narrowed to: a view, a source, issue dates."""

    view: str = "all"
    source_id: int | None = None
    source_title: str = ""
    since: date | None = None
    until: date | None = None

    def describe(self) -> str:
        """The filters in force, for the summary line ('' when none)."""
        parts = []
        if self.view != "all":
            parts.append(f"{self.view} only")
        if self.source_id is not None:
            parts.append(f"in {plain(self.source_title) or 'this source'}")
        if self.since:
            parts.append(f"since {self.since.isoformat()}")
        if self.until:
            parts.append(f"until {self.until.isoformat()}")
        return " · ".join(parts)


def parse_query(text: str) -> tuple[str, date | None, date | None]:
    """The words of a query and its `since:YYYY-MM-DD` / `until:YYYY-MM-DD` bounds."""
    bounds: dict[str, date] = {}

    def take(match: re.Match[str]) -> str:
        try:
            bounds[match.group(1).lower()] = date.fromisoformat(
                "-".join(f"{int(part):02d}" for part in match.group(2).split("-"))
            )
        except ValueError:
            return match.group(0)  # not a real date: leave it as a word
        return " "

    words = _DATE_WORD.sub(take, text)
    return " ".join(words.split()), bounds.get("since"), bounds.get("until")


def highlighted_snippet(snippet: str, highlights: tuple[tuple[int, int], ...]) -> Content:
    """A snippet cleaned for display, its hit spans styled (Content.stylize, never markup).

    The snippet is cleaned piece by piece (between and inside the spans) so that the
    spans still fall on the words they marked once control characters and runs of
    spaces are gone.
    """
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in highlights:
        if not position <= start < end <= len(snippet):
            continue  # out of order or out of range: ignore, never crash
        pieces += [(snippet[position:start], False), (snippet[start:end], True)]
        position = end
    pieces.append((snippet[position:], False))
    text = ""
    spans: list[tuple[int, int]] = []
    for piece, is_hit in pieces:
        cleaned = _SPACES.sub(" ", printable(piece))
        if text.endswith(" ") and cleaned.startswith(" "):
            cleaned = cleaned[1:]
        if not text:
            cleaned = cleaned.lstrip()
        if is_hit and cleaned.strip():
            lead = len(cleaned) - len(cleaned.lstrip())
            spans.append((len(text) + lead, len(text) + len(cleaned.rstrip())))
        text += cleaned
    shown = shorten(text.rstrip(), MAX_SNIPPET_CELLS)
    # Cutting may end on an ellipsis: a span past the kept text is dropped or cut short.
    kept = len(shown) - (1 if shown != text.rstrip() else 0)
    content = Content(shown)
    for start, end in spans:
        if start < kept:
            content = content.stylize(HIGHLIGHT_STYLE, start, min(end, kept))
    return content


def title_with_hits(title: str, words: str) -> Content:
    """A hit's title (cleaned) with the query's words marked where they appear as typed.

    The store marks hits in snippets only; a title is matched here case-insensitively,
    so a Traditional query over a Simplified title finds its item but marks nothing.
    """
    content = Content(plain(title) or "(untitled)")
    for word in words.split():
        for match in re.finditer(re.escape(word), content.plain, re.IGNORECASE):
            content = content.stylize(HIGHLIGHT_STYLE, match.start(), match.end())
    return content


def hit_prompt(hit: SearchHit, words: str = "") -> Content:
    """Three lines for a hit: title, issue › section, snippet with its hits marked (plain text)."""
    place = " › ".join(plain(p) for p in (hit.issue_title, hit.section_title) if p)
    if hit.in_article:
        place += " · in its saved article"
    snippet = highlighted_snippet(hit.snippet, tuple(getattr(hit, "highlights", ())))
    return Content.assemble(
        ("●" if not hit.read else " ", "bold $accent"),
        " ",
        title_with_hits(hit.title, words).stylize_before("bold"),
        "\n  ",
        (place, "$text-muted"),
        "\n  ",
        snippet.stylize_before("italic $text-muted"),
    )


def run_search(database: Path, query: str, filters: SearchFilters | None = None) -> list[SearchHit]:
    """One search on a fresh connection: sqlite3 connections belong to one thread."""
    from reader.core.library import Library

    filters = filters or SearchFilters()
    with Library(database) as library:
        return library.search(
            query,
            limit=MAX_HITS,
            source_id=filters.source_id,
            view=filters.view,
            since=filters.since,
            until=filters.until,
            # Results as you type: the word being typed matches the words it begins.
            prefix=True,
        )


class SearchScreen(ModalScreen[SearchHit | None]):
    """Type to search; enter opens the highlighted hit, escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Back", id="search.close"),
        Binding("down", "focus_results", "Results", show=False),
        *keymap.bindings("search"),
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

    def __init__(
        self,
        database: Path,
        query: str = "",
        *,
        source_id: int | None = None,
        source_title: str = "",
        filters: SearchFilters | None = None,
    ) -> None:
        super().__init__()
        self.database = database
        self.initial_query = query
        # The source the search may be narrowed to: the one the main screen is in.
        self.here_source_id = source_id
        self.here_source_title = source_title
        self.filters = filters or SearchFilters()
        self.hits: list[SearchHit] = []
        self._timer: Timer | None = None
        self._latest = ""
        self._open_when_done = False
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Search"
            yield Input(
                value=self.initial_query,
                placeholder="Words or 中文 (one character is enough); a OR b; since:2025-01-01 until:…",
                id="search-input",
            )
            yield Static("Type to search every item.", id="search-summary", markup=False)
            yield OptionList(id="search-results", markup=False)

    def _keys_hint(self) -> str:
        overrides = getattr(self.app, "key_overrides", {})
        view = keymap.keys_text(keymap.KEYMAP_BY_ID["search_filter"], overrides)
        source = keymap.keys_text(keymap.KEYMAP_BY_ID["search_source"], overrides)
        return f"{view} unread/starred/later · {source} this source · enter opens · escape"

    def on_mount(self) -> None:
        self.query_one(Vertical).border_subtitle = self._keys_hint()
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
        words, since, until = parse_query(query)
        if not words:
            self._show(SearchFinished(query, []))
            return
        self.query_one("#search-summary", Static).update("searching…")
        self.search(query, words, replace(self.filters, since=since, until=until))

    @work(thread=True, exclusive=True, group="search")
    def search(self, query: str, words: str, filters: SearchFilters) -> None:
        try:
            hits = run_search(self.database, words, filters)
            message = SearchFinished(query, hits, filters=filters)
        except ReaderError as error:
            message = SearchFinished(query, [], error=str(error), filters=filters)
        self.post_message(message)

    def on_search_finished(self, message: SearchFinished) -> None:
        self._show(message)

    def _show(self, message: SearchFinished) -> None:
        if message.query != self._latest:
            return  # an older query answered late
        filters = message.filters if isinstance(message.filters, SearchFilters) else self.filters
        if filters.view != self.filters.view or filters.source_id != self.filters.source_id:
            return  # the filters changed since: a newer search is on its way
        summary = self.query_one("#search-summary", Static)
        results = self.query_one("#search-results", OptionList)
        self.hits = message.hits
        self._shown = message.query
        words = parse_query(message.query)[0]
        results.set_options(Option(hit_prompt(hit, words)) for hit in message.hits)
        narrowed = filters.describe()
        if message.error:
            summary.update(Content.assemble(("search failed: ", "$error"), plain(message.error)))
        elif not parse_query(message.query)[0]:
            summary.update(narrowed or "Type to search every item.")
        else:
            count = len(message.hits)
            more = "+" if count >= MAX_HITS else ""
            found = f"{count}{more} {'item' if count == 1 else 'items'}"
            summary.update(f"{found} · {narrowed}" if narrowed else found)
        if message.hits:
            results.highlighted = 0
            if self._open_when_done:
                self.dismiss(message.hits[0])
        self._open_when_done = False

    # --- narrowing ---------------------------------------------------------

    def action_cycle_filter(self) -> None:
        """All items, then unread, starred and later only, then all again."""
        index = SEARCH_VIEWS.index(self.filters.view) if self.filters.view in SEARCH_VIEWS else 0
        self._narrow(replace(self.filters, view=SEARCH_VIEWS[(index + 1) % len(SEARCH_VIEWS)]))

    def action_toggle_source(self) -> None:
        """Only the current source, or every source."""
        if self.filters.source_id is not None:
            self._narrow(replace(self.filters, source_id=None, source_title=""))
        elif self.here_source_id is None:
            self.notify("Open a source (or an item of one) to search only it", timeout=2)
        else:
            self._narrow(
                replace(
                    self.filters, source_id=self.here_source_id, source_title=self.here_source_title
                )
            )

    def _narrow(self, filters: SearchFilters) -> None:
        self.filters = filters
        self._shown = None
        self._start(self._latest)

    # --- choosing ----------------------------------------------------------

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        results = self.query_one("#search-results", OptionList)
        if self._shown == self._latest and self.hits:
            self.dismiss(self.hits[results.highlighted or 0])
        elif self._shown != self._latest and parse_query(self._latest)[0]:
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
