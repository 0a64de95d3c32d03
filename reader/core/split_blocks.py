"""The blocks under one heading -> items and a note: by leaders, list entries, quotes, links or rules.

What no rule splits stays one item, named after its heading.
"""

from __future__ import annotations

from reader.core.split_drafts import Draft, Segments, whole
from reader.core.split_leaders import LeaderReader
from reader.core.split_nodes import LINK_NODES, LIST_NODES, blocks_size, trim_rules
from reader.core.split_text import (
    HEADING_TITLE_MAX_CHARS,
    SENTENCE_ENDINGS,
    TITLE_SCAN_CHARS,
    clean,
    clip,
)
from reader.core.split_tree import Node

# Prose before the first entry of a list section longer than this is an
# editorial intro (an item of its own); shorter, it is the section's note.
INTRO_ITEM_MIN_BYTES = 600
# Splitting prose at source-link lines or `---` rules needs this many pieces:
# two links closing two paragraphs happen in ordinary articles too.
WEAK_SPLIT_MIN_ITEMS = 3
# Quotes, code or tables before a list mark an article that ends with links,
# not a digest whose list has an intro.
_ARTICLE_BLOCKS = frozenset({"blockquote", "fence", "code_block", "table"})


class BlockSplitter(LeaderReader):
    """Splits the blocks under one heading into item drafts and a note."""

    def _segment(self, blocks: list[Node], headed: bool) -> Segments:
        texts = [block for block in blocks if block.name != "hr" and not self.is_image_only(block)]
        if not texts:
            has_content = any(block.name != "hr" for block in blocks)
            return Segments([], [], grouped=False, has_content=has_content)
        if (
            len(texts) > 1
            or texts[0].name in LIST_NODES
            or (headed and texts[0].name == "paragraph")
        ):
            leaders = self._leaders(blocks, headed)
            lists = [
                block for block in texts if block.name in LIST_NODES and id(block) not in leaders
            ]
            entry_lists = (
                {
                    id(block)
                    for block in lists
                    if (len(block.children) > 1 or block is texts[0])
                    and self._entries(block) is not None
                }
                if lists
                else set()
            )
            if entry_lists:
                # Among lists of links, a one-entry list is one more entry; alone
                # after prose, it is part of that prose.
                entry_lists.update(id(block) for block in lists if self._entries(block) is not None)
            if leaders or entry_lists:
                grouped = self._grouped(blocks, leaders, entry_lists, headed)
                if grouped is not None:
                    return grouped
            elif (
                len(texts) >= 2
                and texts[0].name == "blockquote"
                and all(block.name == "blockquote" for block in texts)
            ):
                return self._by_quotes(blocks)
            elif len(texts) >= WEAK_SPLIT_MIN_ITEMS:
                found = self._by_trailing_links(blocks) or self._by_rules(blocks)
                if found is not None:
                    return found
        return Segments([], [], False, True, unsplit=trim_rules(blocks))

    def _grouped(
        self, blocks: list[Node], leaders: dict[int, str], entry_lists: set[int], headed: bool
    ) -> Segments | None:
        items: list[Draft] = []
        lead: list[Node] = []
        note: list[Node] = []
        current: Draft | None = None
        for block in blocks:
            key = id(block)
            if key in leaders:
                current = self._leader_draft(block, leaders[key])
                items.append(current)
            elif key in entry_lists and not (current is not None and not current.spans):
                current = None
                items.extend(self._entries(block) or [])
            elif block.name == "hr":
                current = None
            elif current is not None:
                current.spans.append(whole(block))
                current.scope.append(block)
                current.links = None
                current.item = None
            elif not items:
                lead.append(block)
            else:
                note.append(block)
        if any(block.name in _ARTICLE_BLOCKS for block in lead):
            return None
        lead_size = blocks_size([block for block in lead if not self.is_image_only(block)])
        if lead_size >= INTRO_ITEM_MIN_BYTES or (not headed and self._is_greeting(lead)):
            trimmed = trim_rules(lead)
            spans = [whole(block) for block in trimmed]
            items.insert(0, Draft("", None, spans, trimmed, source_only=True))
            dominant = blocks_size(blocks) - lead_size > lead_size
            return Segments(items, note, grouped=True, has_content=True, dominant=dominant)
        return Segments(items, lead + note, grouped=True, has_content=True)

    def _is_greeting(self, blocks: list[Node]) -> bool:
        """Prose before an issue's first item that says something: sentences, not a list's label.

        ("Hello! This week..." is an item; "This week's links:" or a dateline is a note.)
        """
        texts = [
            block for block in blocks if block.name == "paragraph" and not self.is_image_only(block)
        ]
        if not texts:
            return False
        last = clean(self.plain(list(texts[-1].children), TITLE_SCAN_CHARS))
        if last.endswith((":", "：")):
            return False
        return any(
            clean(self.plain(list(block.children), TITLE_SCAN_CHARS)).endswith(SENTENCE_ENDINGS)
            for block in texts
        )

    def _by_quotes(self, blocks: list[Node]) -> Segments:
        """Quotes one after the other, each an item (`> [Title](url)` over `> summary`)."""
        items: list[Draft] = []
        for block in blocks:
            if block.name != "blockquote":
                continue
            title, url = "", None
            first = block.children[0] if block.children else None
            if first is not None and first.name == "paragraph":
                lead = self._paragraph_leader(first)
                if lead.kind in ("bold", "link") and lead.head is not None:
                    inner = self.unwrap(lead.head)
                    title = self.plain(
                        list(inner.children) if inner.name in LINK_NODES else [inner]
                    )
                    url = lead.url
            items.append(Draft(clip(title, HEADING_TITLE_MAX_CHARS), url, [whole(block)], [block]))
        return Segments(items, [], grouped=True, has_content=True)

    def _by_trailing_links(self, blocks: list[Node]) -> Segments | None:
        """Summaries each closed by a line that is only their source link."""
        closers: dict[int, Node] = {}
        for block in blocks:
            if block.name == "paragraph":
                link = self._trailing_link(block)
                if link is not None:
                    closers[id(block)] = link
        if len(closers) < WEAK_SPLIT_MIN_ITEMS:
            return None
        items: list[Draft] = []
        pending: list[Node] = []
        for block in blocks:
            if block.name == "hr":
                continue
            pending.append(block)
            link = closers.get(id(block))
            if link is not None:
                title = clip(self.plain(list(link.children)), HEADING_TITLE_MAX_CHARS)
                items.append(Draft(title, None, [whole(part) for part in pending], pending))
                pending = []
        return Segments(items, pending, grouped=True, has_content=True)

    def _by_rules(self, blocks: list[Node]) -> Segments | None:
        """Chunks between `---` rules, each with a link of its own."""
        chunks: list[list[Node]] = [[]]
        for block in blocks:
            if block.name == "hr":
                chunks.append([])
            else:
                chunks[-1].append(block)
        chunks = [
            chunk for chunk in chunks if any(not self.is_image_only(block) for block in chunk)
        ]
        if len(chunks) < WEAK_SPLIT_MIN_ITEMS or not all(self.links(chunk) for chunk in chunks):
            return None
        items = [Draft("", None, [whole(block) for block in chunk], chunk) for chunk in chunks]
        return Segments(items, [], grouped=True, has_content=True)
