"""The help screen: every key binding, generated from the keymap table.

It shows the keys in force, so a user's overrides appear as they typed them.
"""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from reader.tui.keymap import KEYMAP, KeyAction, keys_text


def _group_table(group: str, entries: list[KeyAction], overrides: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", no_wrap=True, min_width=10)
    table.add_column()
    table.add_row("", Text(group, style="bold underline"))
    for entry in entries:
        table.add_row(Text(keys_text(entry, overrides)), Text(entry.description))
    table.add_row("", "")
    return table


def help_table(overrides: dict[str, str], *, columns: int = 2) -> Table:
    """Every binding grouped as in the keymap, the groups laid out in `columns` columns."""
    grouped = [
        (group, list(entries)) for group, entries in groupby(KEYMAP, key=lambda entry: entry.group)
    ]
    layout = Table.grid(padding=(0, 4))
    for _ in range(columns):
        layout.add_column(vertical="top")
    # Fill column by column so that related groups stay together, each column about
    # as tall as the others (a group is its heading, its keys and a blank line).
    heights = [len(entries) + 2 for _, entries in grouped]
    target = sum(heights) / columns
    stacks: list[list[Table]] = [[]]
    filled = 0
    for (group, entries), height in zip(grouped, heights, strict=True):
        if stacks[-1] and filled + height / 2 > target and len(stacks) < columns:
            stacks.append([])
            filled = 0
        stacks[-1].append(_group_table(group, entries, overrides))
        filled += height
    layout.add_row(*[_stack(stack) for stack in stacks])
    footer = Table.grid()
    footer.add_column()
    footer.add_row(layout)
    footer.add_row(
        Text(
            "tab / shift+tab move the keys between the tree, the list and the reader (the"
            " pane with the keys shows a solid cursor). In the tree, → or space opens a node,"
            " ← closes it, enter lists its items.",
            style="dim",
        )
    )
    footer.add_row(
        Text("Mouse: click items, links and tree nodes; the wheel scrolls.", style="dim")
    )
    footer.add_row(
        Text(
            "Change keys in config.toml under [keys]; the command palette (ctrl+p) shows each id.",
            style="dim",
        )
    )
    return footer


def _stack(tables: list[Table]) -> Table:
    stack = Table.grid()
    stack.add_column()
    for table in tables:
        stack.add_row(table)
    return stack


class HelpScreen(ModalScreen[None]):
    """Every key, in the groups of the keymap table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", show=False),
        Binding("k,up", "scroll(-1)", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 112;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-color: $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, overrides: dict[str, str]) -> None:
        super().__init__()
        self.overrides = overrides

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            scroll.border_subtitle = "escape closes"
            columns = 2 if self.app.size.width >= 100 else 1
            yield Static(help_table(self.overrides, columns=columns), id="help-table")

    def action_scroll(self, direction: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=direction * 3, animate=False)
