"""The status line: what the list shows, where the cursor is, refresh and saving progress.

A progress bar appears while sources refresh; broken sources stay counted after.
Articles being saved show as a counter, and their summary stays a few seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from reader.tui.text import plain, shorten

if TYPE_CHECKING:
    from textual.widgets import ProgressBar

# How long the summary of a finished save, or of a refresh, stays in the status line.
ARTICLES_NOTE_S = 10.0
REFRESH_NOTE_S = 15.0
# The width of the progress note of a refresh, in cells (a source's title fills it).
REFRESH_NOTE_CELLS = 44


class StatusLine(Horizontal):
    """One line under the panes: list summary on the left, refresh state on the right."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    StatusLine > #status-left { width: 1fr; height: 1; }
    StatusLine > #status-right { width: auto; height: 1; }
    StatusLine > #status-articles { width: auto; height: 1; padding: 0 2 0 0; }
    StatusLine > ProgressBar { width: 24; height: 1; display: none; padding: 0 1; }
    StatusLine.-refreshing > ProgressBar { display: block; }
    StatusLine ProgressBar Bar { width: 14; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="status-left", markup=False)
        # The articles' note and the progress bar are mounted when first needed.
        yield Static(id="status-right", markup=False)

    def _articles_note(self) -> Static:
        notes = self.query("#status-articles")
        if notes:
            return notes.first(Static)
        note = Static(id="status-articles", markup=False)
        self.mount(note, after="#status-left")
        return note

    def _progress_bar(self) -> ProgressBar:
        from textual.widgets import ProgressBar

        bars = self.query(ProgressBar)
        if bars:
            return bars.first()
        bar = ProgressBar(id="refresh-progress", show_eta=False, show_percentage=False)
        self.mount(bar, before="#status-right")
        return bar

    def show_list(
        self,
        title: str,
        *,
        position: int | None,
        total: int,
        unread: int | None,
        hide_read: bool,
    ) -> None:
        """Summarise the list: its name, the cursor position, counts."""
        where = f"{position + 1}/{total}" if position is not None and total else f"{total}"
        parts: list[str | tuple[str, str]] = [
            (plain(title), "bold $text"),
            "  ",
            (where, "$text"),
        ]
        if unread is not None:
            parts.append(f"  · {unread} unread")
        if hide_read:
            parts.append("  · read items hidden")
        # A fixed-size line: skipping the layout pass keeps cursor moves cheap.
        self.query_one("#status-left", Static).update(Content.assemble(*parts), layout=False)

    _articles_timer: Timer | None = None
    _note_timer: Timer | None = None

    def show_articles(self, done: int, total: int, failed: int) -> None:
        """Progress of articles being saved."""
        if self._articles_timer is not None:
            self._articles_timer.stop()
            self._articles_timer = None
        parts: list[str | tuple[str, str]] = [(f"saving articles {done}/{total}", "$text")]
        if failed:
            parts += ["  ", (f"{failed} failed", "$error")]
        self._articles_note().update(Content.assemble(*parts))

    def articles_done(self, summary: str) -> None:
        """Saving ended: show its summary for a while."""
        self._articles_note().update(Content(plain(summary)))
        if self._articles_timer is not None:
            self._articles_timer.stop()
        self._articles_timer = self.set_timer(ARTICLES_NOTE_S, self._clear_articles)

    def _clear_articles(self) -> None:
        self._articles_timer = None
        self._articles_note().update("")

    def show_refresh(self, done: int, total: int, failed: int, current: str = "") -> None:
        """Progress of a running refresh."""
        started = not self.has_class("-refreshing")
        self.add_class("-refreshing")
        self._progress_bar().update(total=max(total, 1), progress=done)
        parts: list[str | tuple[str, str]] = [f"refreshing {done}/{total}"]
        if failed:
            parts += ["  ", (f"{failed} failed", "$error")]
        room = REFRESH_NOTE_CELLS - Content.assemble(*parts).cell_length - 2
        if current and room > 0:
            parts += ["  ", (shorten(plain(current), room), "$text-muted")]
        # Always as wide: each source's progress repaints the line without a layout
        # of the whole screen, which would hold up a key pressed meanwhile.
        content = Content.assemble(*parts)
        content = content.pad_right(max(0, REFRESH_NOTE_CELLS - content.cell_length))
        self.query_one("#status-right", Static).update(content, layout=started)

    def show_idle(self, broken: int, note: str = "") -> None:
        """No refresh running: how many sources are broken, and for a while the last
        refresh's result (the broken sources stay)."""
        self.remove_class("-refreshing")
        if self._note_timer is not None:
            self._note_timer.stop()
            self._note_timer = None
        parts: list[str | tuple[str, str]] = []
        if note:
            parts.append((plain(note), "$text-muted"))
            self._note_timer = self.set_timer(REFRESH_NOTE_S, lambda: self.show_idle(broken))
        if broken:
            if parts:
                parts.append("  ")
            noun = "source" if broken == 1 else "sources"
            parts.append((f"⚠ {broken} broken {noun} (e: error)", "$error"))
        self.query_one("#status-right", Static).update(Content.assemble(*parts))
