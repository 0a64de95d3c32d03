"""The status line: what the list shows, where the cursor is, refresh and saving progress.

A progress bar appears while sources refresh; broken sources stay counted after.
Articles being saved show as a counter, and their summary stays a few seconds.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import ProgressBar, Static

from reader.tui.text import plain

# How long the summary of a finished save stays in the status line.
ARTICLES_NOTE_S = 10.0


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
        yield Static(id="status-articles", markup=False)
        yield ProgressBar(id="refresh-progress", show_eta=False, show_percentage=False)
        yield Static(id="status-right", markup=False)

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

    def show_articles(self, done: int, total: int, failed: int) -> None:
        """Progress of articles being saved."""
        if self._articles_timer is not None:
            self._articles_timer.stop()
            self._articles_timer = None
        parts: list[str | tuple[str, str]] = [(f"saving articles {done}/{total}", "$text")]
        if failed:
            parts += ["  ", (f"{failed} failed", "$error")]
        self.query_one("#status-articles", Static).update(Content.assemble(*parts))

    def articles_done(self, summary: str) -> None:
        """Saving ended: show its summary for a while."""
        self.query_one("#status-articles", Static).update(Content(plain(summary)))
        if self._articles_timer is not None:
            self._articles_timer.stop()
        self._articles_timer = self.set_timer(ARTICLES_NOTE_S, self._clear_articles)

    def _clear_articles(self) -> None:
        self._articles_timer = None
        self.query_one("#status-articles", Static).update("")

    def show_refresh(self, done: int, total: int, failed: int, current: str = "") -> None:
        """Progress of a running refresh."""
        self.add_class("-refreshing")
        bar = self.query_one(ProgressBar)
        bar.update(total=max(total, 1), progress=done)
        parts: list[str | tuple[str, str]] = [f"refreshing {done}/{total}"]
        if failed:
            parts += ["  ", (f"{failed} failed", "$error")]
        if current:
            parts += ["  ", (plain(current)[:30], "$text-muted")]
        self.query_one("#status-right", Static).update(Content.assemble(*parts))

    def show_idle(self, broken: int, note: str = "") -> None:
        """No refresh running: how many sources are broken, and the last result."""
        self.remove_class("-refreshing")
        parts: list[str | tuple[str, str]] = []
        if note:
            parts.append((plain(note), "$text-muted"))
        if broken:
            if parts:
                parts.append("  ")
            noun = "source" if broken == 1 else "sources"
            parts.append((f"⚠ {broken} broken {noun} (e: error)", "$error"))
        self.query_one("#status-right", Static).update(Content.assemble(*parts))
