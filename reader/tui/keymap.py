"""Every key binding of the app as data: id, default keys, description, action.

The main and search screens' bindings, the help screen and the command palette are
all made from `KEYMAP`; the user's `[keys]` table overrides keys by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeyAction:
    """One binding: `action` runs on its `screen` (or the app, with `app.`)."""

    id: str
    keys: str
    description: str
    action: str
    group: str
    footer: bool = False
    footer_label: str = ""
    # "main", or "search" for keys that work while the search screen is open.
    screen: str = "main"


KEYMAP: tuple[KeyAction, ...] = (
    # Moving
    KeyAction("move_down", "j,down", "Move down", "move_down", "Move"),
    KeyAction("move_up", "k,up", "Move up", "move_up", "Move"),
    KeyAction("first_item", "g,home", "Go to the first item", "first_item", "Move"),
    KeyAction("last_item", "G,end", "Go to the last item", "last_item", "Move"),
    KeyAction(
        "next_unread",
        "n",
        "Next unread item, across issues",
        "next_unread",
        "Move",
        True,
        "Next",
    ),
    KeyAction("previous_unread", "p", "Previous unread item", "previous_unread", "Move"),
    KeyAction("scroll_down", "J,shift+down", "Scroll the reader down", "scroll_reader(1)", "Move"),
    KeyAction("scroll_up", "K,shift+up", "Scroll the reader up", "scroll_reader(-1)", "Move"),
    KeyAction("toggle_tree", "t", "Show or hide the source tree", "toggle_tree", "Move"),
    # Triage
    KeyAction("open_item", "enter", "Open the item (marks it read)", "open_item", "Triage"),
    KeyAction(
        "read_and_next",
        "space",
        "Mark read and open the next unread",
        "read_and_next",
        "Triage",
        True,
        "Read+next",
    ),
    KeyAction("toggle_read", "m", "Mark read / unread", "toggle_read", "Triage"),
    KeyAction("mark_section_read", "a", "Mark the section read", "mark_section_read", "Triage"),
    KeyAction(
        "mark_issue_read",
        "A",
        "Mark the issue read",
        "mark_issue_read",
        "Triage",
        True,
        "Issue read",
    ),
    KeyAction("mark_source_read", "M", "Mark the whole source read", "mark_source_read", "Triage"),
    KeyAction("toggle_star", "s", "Star / unstar", "toggle_star", "Triage", True, "Star"),
    KeyAction("toggle_later", "l", "Save for later / remove", "toggle_later", "Triage"),
    KeyAction("undo", "u", "Undo the last triage action", "undo", "Triage", True, "Undo"),
    # Views
    KeyAction("view_unread", "1", "View: unread items", "show_view('unread')", "Views"),
    KeyAction("view_starred", "2", "View: starred items", "show_view('starred')", "Views"),
    KeyAction("view_later", "3", "View: saved for later", "show_view('later')", "Views"),
    KeyAction("view_all", "4", "View: all items", "show_view('all')", "Views"),
    KeyAction("toggle_hide_read", "h", "Hide / show read items", "toggle_hide_read", "Views"),
    # Links
    KeyAction("open_link", "o", "Open the link in the browser", "open_link", "Links", True, "Open"),
    KeyAction("copy_link", "c", "Copy the link", "copy_link", "Links"),
    KeyAction("next_link", "L", "Next link of the item", "next_link", "Links"),
    # Articles and stories told in several issues
    KeyAction(
        "toggle_article",
        "f",
        "Switch summary / saved article",
        "toggle_article",
        "Articles",
    ),
    KeyAction(
        "save_article",
        "d",
        "Save the article for offline reading",
        "save_articles(False)",
        "Articles",
    ),
    KeyAction(
        "save_issue_articles",
        "D",
        "Save every article of the issue",
        "save_articles(True)",
        "Articles",
    ),
    KeyAction(
        "toggle_auto_save",
        "S",
        "Auto-save the source's articles",
        "toggle_auto_save",
        "Articles",
    ),
    KeyAction("also_in", "i", "Go to the same story elsewhere", "also_in", "Articles"),
    # Search
    KeyAction("search", "slash", "Search", "search", "Search", True, "Search"),
    KeyAction(
        "search_filter",
        "ctrl+f",
        "In search: unread/starred/later only",
        "cycle_filter",
        "Search",
        screen="search",
    ),
    KeyAction(
        "search_source",
        "ctrl+s",
        "In search: this source only",
        "toggle_source",
        "Search",
        screen="search",
    ),
    # Library
    KeyAction("refresh_all", "R", "Refresh all sources", "refresh_sources(True)", "Library"),
    KeyAction("refresh_source", "r", "Refresh this source", "refresh_sources(False)", "Library"),
    KeyAction("source_error", "e", "Show the source's last error", "source_error", "Library"),
    # App
    KeyAction("help", "question_mark", "Help: every key", "help", "App", True, "Help"),
    KeyAction("pick_theme", "T", "Choose a theme", "app.change_theme", "App"),
    KeyAction("command_palette", "ctrl+p", "Command palette", "app.command_palette", "App"),
    KeyAction("quit", "q", "Quit", "app.quit", "App", True, "Quit"),
)

KEYMAP_BY_ID: dict[str, KeyAction] = {entry.id: entry for entry in KEYMAP}


def bindings(screen: str = "main") -> list[BindingType]:
    """Textual bindings of one screen; ids let `App.set_keymap` replace their keys."""
    return [
        Binding(
            entry.keys,
            entry.action,
            entry.footer_label or entry.description,
            show=entry.footer,
            id=entry.id,
        )
        for entry in KEYMAP
        if entry.screen == screen
    ]


def check_overrides(overrides: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The overrides that name a known binding, and a problem for each that does not."""
    known: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in overrides.items():
        if binding_id in KEYMAP_BY_ID:
            known[binding_id] = keys
        else:
            problems.append(f"keys.{binding_id}: no binding has that id (see the help screen)")
    return known, problems


def effective_keys(overrides: Mapping[str, str]) -> dict[str, list[str]]:
    """Binding id -> the keys in force, the user's first."""
    return {entry.id: split_keys(overrides.get(entry.id, entry.keys)) for entry in KEYMAP}


def split_keys(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]


def ids() -> Iterable[str]:
    return (entry.id for entry in KEYMAP)


KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "down": "↓",
    "up": "↑",
    "shift+down": "shift+↓",
    "shift+up": "shift+↑",
}


def key_label(key: str) -> str:
    """How a key reads in help: `question_mark` -> `?`."""
    return KEY_NAMES.get(key, key)


def keys_text(entry: KeyAction, overrides: Mapping[str, str]) -> str:
    """The keys in force for `entry`, as help shows them."""
    return ", ".join(key_label(key) for key in split_keys(overrides.get(entry.id, entry.keys)))
