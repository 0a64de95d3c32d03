"""The reader App: opens the library, applies settings, themes and keys, runs workers.

`run_app(db_path)` is what `reader` calls; the main screen does the reading.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.tui import collector_paused

if TYPE_CHECKING:
    from reader.tui.refresh_process import RefreshProcess

with collector_paused():
    from textual.app import App, SystemCommand
    from textual.binding import Binding
    from textual.command import DiscoveryHit, Hit, Hits, Provider
    from textual.message import Message
    from textual.screen import Screen
    from textual.theme import Theme, ThemeProvider
    from textual.timer import Timer
    from textual.worker import Worker, WorkerState

    from reader.config import Settings, load_settings
    from reader.core.errors import ReaderError
    from reader.core.library import Library
    from reader.tui import linebreak
    from reader.tui.keymap import KEYMAP, check_overrides, keys_text
    from reader.tui.messages import (
        ArticlesProgressed,
        ArticlesSaved,
        RefreshFinished,
        RefreshProgressed,
    )
    from reader.tui.screens.main import MainScreen
    from reader.tui.state import AppState, load_state, save_state, state_path
    from reader.tui.text import plain
    from reader.tui.themes import all_themes

REMEMBER_DELAY_S = 1.0
# How often the app looks for changes other processes made to the library (one PRAGMA).
OUTSIDE_CHANGES_CHECK_S = 2.0
# The app's own dark theme, until the user picks another (it ships in themes/).
DEFAULT_THEME = "reader-night"


class KeymapCommands(Provider):
    """Every main-screen action of the keymap table in the command palette, with its keys."""

    def _entries(self) -> list[tuple[str, str, str]]:
        overrides = getattr(self.app, "key_overrides", {})
        return [
            (entry.description, entry.action, f"{keys_text(entry, overrides)}  · id {entry.id}")
            for entry in KEYMAP
            if entry.id != "command_palette" and entry.screen == "main"
        ]

    async def _run(self, action: str) -> None:
        await self.screen.run_action(action)

    async def discover(self) -> Hits:
        for description, action, help_text in self._entries():
            yield DiscoveryHit(description, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, help_text in self._entries():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(description),
                    partial(self._run, action),
                    help=help_text,
                )


class ThemeChoices(ThemeProvider):
    """The themes for `T`: the current one first and marked, the others by name."""

    @property
    def commands(self) -> list[tuple[str, Callable[[], None]]]:
        current = self.app.theme
        listed = super().commands
        return sorted(listed, key=lambda command: command[0] != current)

    async def discover(self) -> Hits:
        current = self.app.theme
        for name, choose in self.commands:
            yield DiscoveryHit(name, choose, help="the current theme" if name == current else None)


class ReaderApp(App[int]):
    """A keyboard-driven reader for digest newsletters."""

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    COMMANDS = App.COMMANDS | {KeymapCommands}
    # The palette key is part of the keymap table (id command_palette).
    COMMAND_PALETTE_BINDING = "ctrl+p"

    def __init__(
        self,
        database: Path,
        *,
        settings: Settings | None = None,
        state_file: Path | None = None,
        notice: str | None = None,
    ) -> None:
        super().__init__()
        self.notice = notice
        # Chinese and mixed text break between characters and keep English words whole.
        linebreak.install()
        self.database = database
        self.settings = settings if settings is not None else load_settings()
        self.state_file = state_file or state_path()
        self.state: AppState = load_state(self.state_file)
        self.library = Library(database)
        self.key_overrides, key_problems = check_overrides(self.settings.keys)
        self.problems: list[str] = [*self.settings.problems, *key_problems]
        self._clash_reported = False
        self._refresh_worker: Worker[None] | None = None
        # The child process of a running refresh (None when none runs).
        self.refresh_process: RefreshProcess | None = None
        self._data_version = 0
        # run_app stops the garbage collector until the first screen shows.
        self.collector_paused = False
        self._articles_worker: Worker[None] | None = None
        self._remember_timer: Timer | None = None
        themes = all_themes()
        for theme in themes.themes:
            self.register_theme(theme)
        self.problems.extend(themes.problems)
        # Chosen before the app runs: a theme set later parses every style again.
        self._apply_theme(self.state.theme or self.settings.theme or DEFAULT_THEME)

    # --- start and stop --------------------------------------------------

    def get_default_screen(self) -> MainScreen:
        return MainScreen(
            self.library,
            scope=self.state.scope,
            hide_read=self.state.hide_read,
            item_id=self.state.item_id,
            show_tree=self.state.show_tree,
            first_start=not self.state_file.exists(),
        )

    def search_themes(self) -> None:
        from textual.command import CommandPalette

        self.push_screen(CommandPalette(providers=[ThemeChoices], placeholder="Choose a theme…"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # The app's own commands quit (q), choose a theme (T) and show every key (?);
        # Textual's "Quit", "Theme" and "Keys" would list the same things twice.
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Theme", "Keys"):
                yield command

    def on_mount(self) -> None:
        self.set_keymap(self.key_overrides)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for problem in self.problems:
            self.notify(plain(problem), severity="warning", timeout=12, markup=False)
        if self.notice:
            self.notify(self.notice, timeout=10, markup=False)

    def on_main_screen_ready(self, message: MainScreen.Ready) -> None:
        if self.collector_paused:
            # What the start made lives as long as the app: frozen, a full collection
            # (40 ms or more, a key's wait) never scans it again.
            gc.freeze()
            gc.enable()
            self.collector_paused = False
        # Remembered at once: the next start is no first start, even after a crash.
        self.remember()
        # Another process (`reader mark`, an import, a second app) may change the library.
        self._data_version = self.library.store.data_version()
        self.set_interval(OUTSIDE_CHANGES_CHECK_S, self._check_outside_changes)
        minutes = self.settings.auto_refresh_minutes
        if minutes and self.refresh_available:
            self.refresh_sources(None, due_only=True)
            self.set_interval(minutes * 60, partial(self.refresh_sources, None, due_only=True))

    def _apply_theme(self, name: str | None) -> None:
        if not name:
            return
        if name in self.available_themes:
            self.theme = name
        else:
            self.problems.append(f"theme {name!r} is not installed; using {self.theme}")

    def _theme_changed(self, theme: Theme) -> None:
        self.remember()

    def exit(self, *args: Any, **kwargs: Any) -> None:
        # Saved while the screens are still up: at unmount the list no longer knows its
        # cursor, and a move in the last second before quitting would be lost.
        self.remember()
        super().exit(*args, **kwargs)

    def on_unmount(self) -> None:
        if self.refresh_process is not None:
            self.refresh_process.stop()
        self.remember()
        self.library.close()

    @property
    def main_screen(self) -> MainScreen:
        for candidate in self.screen_stack:
            if isinstance(candidate, MainScreen):
                return candidate
        raise LookupError("the main screen is not running")

    def remember_soon(self) -> None:
        """Save the state after a quiet second (cursor moves come in bursts)."""
        if self._remember_timer is not None:
            self._remember_timer.stop()
        self._remember_timer = self.set_timer(REMEMBER_DELAY_S, self.remember)

    def remember(self) -> None:
        """Save theme, list, hidden read items and the open item for the next start."""
        try:
            screen = self.main_screen
        except LookupError:
            return
        current = screen.items.current if screen.is_mounted else None
        self.state = AppState(
            theme=self.theme,
            scope=screen.scope,
            hide_read=screen.hide_read,
            item_id=current.id if current else self.state.item_id,
            show_tree=screen.show_tree,
        )
        save_state(self.state, self.state_file)

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: Any) -> None:
        if self._clash_reported:
            return
        self._clash_reported = True
        names = ", ".join(sorted(binding.id or binding.action for binding in clashed_bindings))
        self.notify(f"Key clash in [keys]: {names}", severity="warning", timeout=10, markup=False)

    # --- refresh ---------------------------------------------------------

    @property
    def refresh_available(self) -> bool:
        # The library gained refresh with the feeds work; older cores lack it.
        return callable(getattr(self.library, "refresh", None))

    def refresh_sources(self, source_ids: Sequence[int] | None, *, due_only: bool = False) -> None:
        """Refresh sources in a child process (None means all of them)."""
        if not self.refresh_available:
            self.notify("Refresh is not available in this version", timeout=3)
            return
        if self._refresh_worker is not None and self._refresh_worker.is_running:
            if not due_only:  # the timer's own refreshes just wait for the next turn
                self.notify("A refresh is already running", timeout=2)
            return
        from reader.tui.refresh_process import child_command

        sources = self.main_screen.source_tree.sources.values()
        total = len(source_ids) if source_ids else sum(s.kind != "imports" for s in sources)
        self.main_screen.status.show_refresh(0, total, 0)
        fetch = self.settings.fetch
        concurrency = fetch.get("concurrency")
        command = child_command(
            self.database,
            source_ids or (),
            force=not due_only,
            concurrency=int(concurrency) if concurrency else None,
            deadline_s=fetch.get("deadline_s"),
        )
        self._refresh_worker = self.run_worker(
            self._refresh_in_child(command), group="refresh", exclusive=True, name="refresh"
        )

    async def _refresh_in_child(self, command: list[str]) -> None:
        """Run the refresh process, turning its progress lines into messages."""
        from reader.tui.refresh_process import Finished, Progress, RefreshCrashed, RefreshProcess

        process = RefreshProcess(command)
        self.refresh_process = process
        try:
            await process.start()
            async for event in process.events():
                if isinstance(event, Progress):
                    self.post_message(RefreshProgressed(event))
                else:
                    self.post_message(RefreshFinished(event))
        except RefreshCrashed as crash:
            self.post_message(RefreshFinished(Finished(error=str(crash))))
        finally:
            process.stop()
            self.refresh_process = None

    def on_refresh_progressed(self, message: RefreshProgressed) -> None:
        self.main_screen.refresh_progressed(message.progress)

    def _check_outside_changes(self) -> None:
        """Show what other processes wrote to the library: counts, new issues, flags."""
        try:
            version = self.library.store.data_version()
        except ReaderError:
            return
        if version == self._data_version:
            return
        busy = self.refresh_process is not None or (
            self._articles_worker is not None and self._articles_worker.is_running
        )
        if busy:
            # Their own ends bring the screen up to date.
            return
        self._data_version = version
        self.main_screen.after_refresh()

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        screen = self.main_screen
        self._data_version = self.library.store.data_version()
        screen.after_refresh()
        screen.status.show_idle(screen.broken_sources(), message.summary)
        if message.finished.error:
            self.notify(plain(message.finished.error), severity="error", markup=False)

    # --- saving articles -------------------------------------------------

    def save_articles(self, item_ids: Sequence[str], what: str = "articles") -> None:
        """Save the source articles of items in a thread worker, progress in the status line."""
        if self._articles_worker is not None and self._articles_worker.is_running:
            self.notify("Articles are being saved already; wait for them to finish", timeout=2)
            return
        self.main_screen.status.show_articles(0, len(item_ids), 0)
        self.notify(f"Saving {what} for offline reading…", timeout=2, markup=False)
        self._articles_worker = self.run_worker(
            partial(save_articles_in_thread, self.database, list(item_ids), self.post_message),
            thread=True,
            group="articles",
            name="articles",
        )

    def on_articles_progressed(self, message: ArticlesProgressed) -> None:
        self.main_screen.status.show_articles(message.done, message.total, message.failed)

    async def on_articles_saved(self, message: ArticlesSaved) -> None:
        screen = self.main_screen
        screen.status.articles_done(message.summary)
        self._data_version = self.library.store.data_version()
        if message.problem:
            self.notify(plain(message.problem), title="Not saved", severity="warning", markup=False)
        await screen.after_articles_saved(message.item_ids)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # One place for failed workers: tell the user, keep the app running.
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = (
                str(error) if isinstance(error, ReaderError) else f"{type(error).__name__}: {error}"
            )
            self.notify(plain(text), title="Something failed", severity="error", markup=False)
            if event.worker.group == "refresh":
                self.main_screen.status.show_idle(0, "refresh failed")
            if event.worker.group == "articles":
                self.main_screen.status.articles_done("saving articles failed")


def save_articles_in_thread(
    database: Path, item_ids: list[str], post: Callable[[Message], object]
) -> None:
    """Run `Library.save_articles` on its own connection, posting progress messages."""
    from reader.core.articles import SaveProgress

    def progress(state: SaveProgress) -> None:
        post(ArticlesProgressed(state.done, state.total, state.failed))

    with Library(database) as library:
        try:
            outcomes = library.save_articles(item_ids, progress=progress)
        except ReaderError as error:
            post(ArticlesSaved("saving articles failed", problem=str(error)))
            return
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    words = {"saved": "saved", "already_saved": "already saved", "skipped": "skipped"}
    parts = [f"{counts[status]} {word}" for status, word in words.items() if counts.get(status)]
    if counts.get("failed"):
        parts.append(f"{counts['failed']} failed")
    summary = "articles: " + (", ".join(parts) or "nothing to save")
    problem = None
    if len(outcomes) == 1 and outcomes[0].status in ("failed", "skipped"):
        problem = outcomes[0].message or "the article could not be saved"
    post(
        ArticlesSaved(
            summary, item_ids=tuple(outcome.item_id for outcome in outcomes), problem=problem
        )
    )


def run_app(db_path: Path, *, notice: str | None = None) -> int:
    """Open the app on the library at `db_path`, saying `notice` as it starts; returns the
    exit code."""
    # The objects made by importing Textual and the core live as long as the app:
    # frozen, the collector never scans them again. Until the first screen shows,
    # no collection runs at all (a full one costs about 25 ms there).
    gc.freeze()
    gc.disable()
    try:
        try:
            app = ReaderApp(db_path, notice=notice)
        except ReaderError as error:
            import sys

            print(f"error: {plain(str(error))}", file=sys.stderr)
            return 1
        app.collector_paused = True
        app.run()
    finally:
        gc.enable()
    return app.return_code or 0
