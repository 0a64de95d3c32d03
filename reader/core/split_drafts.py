"""The splitter's working data: items before their bodies are cut, and how a block leads one.

Plain dataclasses shared by the modules that segment a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from reader.core.model import ParsedItem
from reader.core.split_tree import Node


@dataclass(slots=True)
class Span:
    """Part of an item body: source bytes [start, end) of a block, dedented by `indent`."""

    block: Node
    start: int
    end: int
    indent: int = 0


@dataclass(slots=True)
class Draft:
    """An item before its body is cut: title, url from its title, body spans, link scope."""

    title: str
    url: str | None
    spans: list[Span]
    scope: list[Node]
    links: list[str] | None = None
    # Prose with no title of its own (an intro, a whole article) has a url only
    # when a line gives its source; its first inline link is no source.
    source_only: bool = False
    # Set when the item was read off the source whole (a one-line list entry).
    item: ParsedItem | None = None


@dataclass(slots=True)
class Segments:
    """How a run of blocks splits: items, leftover prose (the note), and whether it is a list."""

    items: list[Draft]
    note: list[Node]
    grouped: bool
    has_content: bool
    # False when a long intro outweighs the entries after it: as a heading's
    # whole content, that reads as an article with links, not as a list.
    dominant: bool = True
    # Blocks that no rule split: one item, drafted only when asked for (a
    # heading's text that is an item of its parent section never is).
    unsplit: list[Node] | None = None

    def drafts(self) -> list[Draft]:
        """The items, the unsplit text's drafted afresh on each call."""
        if self.unsplit is None:
            return self.items
        spans = [whole(block) for block in self.unsplit]
        return [Draft("", None, spans, self.unsplit, source_only=True)]


class Lead(NamedTuple):
    """How a paragraph's first line opens an item: its kind, number, title node and source.

    (A named tuple: one is read for most paragraphs, and it is cheap to make.)
    """

    # 'bold' | 'link' | 'titled' (a text line over its link line) | 'number:<style>' |
    # 'single' (a one-entry list) | '' (none)
    kind: str
    value: tuple[int, ...] = ()
    more_lines: bool = False
    head: Node | None = None
    url: str | None = None
    # Where a summary on the title's own line starts (`**Title** — summary`).
    summary_at: int | None = None


NO_LEAD = Lead("")
SINGLE_LEAD = Lead("single")


def whole(block: Node) -> Span:
    return Span(block, block.start, block.end)
