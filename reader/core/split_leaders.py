"""Paragraph leaders: the first line that opens an item (`**Title**`, `[Title](url)`, `1、`).

Decides which paragraphs of a run lead items, and drafts the item each one opens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reader.core.split_drafts import NO_LEAD, SINGLE_LEAD, Draft, Lead, Span
from reader.core.split_entries import EntryReader
from reader.core.split_nodes import (
    BREAK_NODES,
    LINK_NODES,
    LIST_NODES,
    WRAPPER_NODES,
    node_lines,
)
from reader.core.split_text import (
    BRACKETED_TITLE,
    DERIVED_TITLE_MAX_CHARS,
    HEADING_TITLE_MAX_CHARS,
    NUMBER_PATTERNS,
    NUMBER_STARTS,
    NUMBER_STYLES,
    SENTENCE_ENDINGS,
    TITLE_SCAN_CHARS,
    cjk_count,
    clean,
    clip,
    has_alnum,
    is_sequence,
    is_symbol_tag,
    is_web,
    number_value,
    unbracketed,
)
from reader.core.split_tree import Node

# A link that opens a section's text alone is its item's title when it names
# something: this many words (or CJK characters), not `[Full report](...)`.
STORY_TITLE_MIN_WORDS = 3
STORY_TITLE_MIN_CJK = 5
# After a title in bold, a dash or bar opens its summary; after a linked title a colon too.
_BOLD_SUMMARY_SEPARATOR = re.compile(r"\s*(?:[—–|]|-\s|--)")
_LINK_SUMMARY_SEPARATOR = re.compile(r"\s*(?:[—–|:：]|-\s|--)")
_SYMBOL_TAG_MAX_BYTES = 40
# A label before a title (`*Sponsor:*`) is at most this long in the source.
_KICKER_MAX_BYTES = 30
# The ASCII characters a paragraph's numbering may start with.
_ASCII_NUMBER_STARTS = bytes(
    sorted(ord(character) for character in NUMBER_STARTS if character.isascii())
)
_BRACKET_OPEN = "【".encode()
# A title line over its link line: at most this long, and a few nodes of text.
_TITLED_MAX_CHARS = 120
_TITLED_MAX_NODES = 8


class LeaderReader(EntryReader):
    """Finds the paragraphs that lead items and drafts those items."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._lead_cache: dict[int, Lead] = {}

    def _leaders(self, blocks: list[Node], headed: bool = True) -> dict[int, str]:
        """Blocks that open an item, by id, with their kind.

        Numbered paragraphs lead when their numbers count up. Bold and link
        lines (and text lines over a link line) lead when two or more have a
        summary (their own, after a dash, or the block below), or when lines
        that are only links follow each other; once one kind leads, a lone
        line of the other kind (a sponsor among stories) leads too. Under a
        heading, a link line that opens the text leads alone.
        """
        kinds: list[tuple[int, Lead]] = []
        has_list = False
        for index, block in enumerate(blocks):
            name = block.name
            if name == "paragraph":
                lead = self._paragraph_leader(block)
                if lead.kind:
                    kinds.append((index, lead))
            elif name in LIST_NODES:
                has_list = True
                if len(block.children) == 1:
                    kinds.append((index, SINGLE_LEAD))
        found: dict[int, str] = {}
        if not kinds:
            return found
        if (len(kinds) == 1 or len({lead.kind for _index, lead in kinds}) == len(kinds)) and (
            not headed
            or has_list
            or self._first_content(blocks) not in {index for index, _lead in kinds}
        ):
            # One leader of each kind: only a lone one opening the text under a
            # heading could lead (see the end), and none does.
            return found
        candidates = {index for index, lead in kinds if lead.kind != "single"}

        def has_summary(index: int, lead: Lead) -> bool:
            # A leader followed straight by another paragraph leader has no summary
            # (a list after a `**Company**` line is its summary: the jobs it offers).
            return (
                lead.more_lines
                or lead.summary_at is not None
                or (
                    index + 1 < len(blocks)
                    and blocks[index + 1].name != "hr"
                    and index + 1 not in candidates
                )
            )

        by_kind: dict[str, list[tuple[int, Lead]]] = {}
        for index, lead in kinds:
            by_kind.setdefault(lead.kind, []).append((index, lead))
        lone: list[tuple[int, str]] = []
        for kind, members in by_kind.items():
            if kind.startswith("number:"):
                if is_sequence([lead.value for _index, lead in members]):
                    found.update((id(blocks[index]), kind) for index, _lead in members)
                elif headed and len(members) == 1:
                    index, lead = members[0]
                    if lead.value == (1,) or lead.head is not None:
                        lone.append((index, kind))
                continue
            led = [index for index, lead in members if has_summary(index, lead)]
            if kind == "link":
                # Lines that are only links, one after the other: a list written as paragraphs.
                lines = {index for index, _lead in members}
                led += [
                    index
                    for index, lead in members
                    if not has_summary(index, lead)
                    and (index + 1 in lines or index - 1 in lines)
                    and self._names_a_story(lead)  # not `[Yes]` `[No]` `[Maybe]` buttons
                ]
            if kind == "single":
                led = [index for index in led if self._entries(blocks[index]) is not None]
            if kind == "link" and led and self._closes_with_links(blocks, candidates, led):
                continue  # `summary / [link]` pairs: the links close items, they do not open them
            if len(led) >= 2:
                found.update((id(blocks[index]), kind) for index in led)
            elif kind != "titled":
                lone.extend((index, kind) for index in led)
        if found:
            # One sponsor line among stories of the other kind is an item too,
            # but not a source line (`[Read more](url)`) that only points at one.
            leads = dict(kinds)
            found.update(
                (id(blocks[index]), kind)
                for index, kind in lone
                if kind == "bold" or (kind == "link" and self._names_a_story(leads[index]))
            )
        elif headed and lone and not has_list:
            first = self._first_content(blocks)
            for index, kind in lone:
                lead = next(lead for at, lead in kinds if at == index)
                if index == first and lead.url is not None and self._names_a_story(lead):
                    found[id(blocks[index])] = kind
        return found

    def _names_a_story(self, lead: Lead) -> bool:
        """A linked title that names something (`[Full report](...)` only points at it)."""
        if lead.head is None or lead.kind.startswith("number:"):
            return True  # a number says it is an item
        inner = self.unwrap(lead.head)
        text = clean(self.plain(list(inner.children) if inner.name in LINK_NODES else [inner]))
        return len(text.split()) >= STORY_TITLE_MIN_WORDS or cjk_count(text) >= STORY_TITLE_MIN_CJK

    def _first_content(self, blocks: list[Node]) -> int | None:
        """The index of the first block that is no rule or picture."""
        for index, block in enumerate(blocks):
            if block.name != "hr" and not self.is_image_only(block):
                return index
        return None

    def _closes_with_links(self, blocks: list[Node], candidates: set[int], led: list[int]) -> bool:
        """Whether link lines close summaries: the text ends with one and does not open with one.

        A linked title right after a source line (`原文链接：url`, `[Read more](url)`)
        opens the next item: the text has links on both sides of each summary,
        and an intro above the first title does not make them closers.
        """
        if not self._ends_with_link(blocks) or self._first_content(blocks) in candidates:
            return False
        for index in led:
            before = index - 1
            while before >= 0 and blocks[before].name == "hr":
                before -= 1
            if (
                before >= 0
                and blocks[before].name == "paragraph"
                and self._trailing_link(blocks[before]) is not None
            ):
                return False
        return True

    def _ends_with_link(self, blocks: list[Node]) -> bool:
        for block in reversed(blocks):
            if block.name != "hr":
                return block.name == "paragraph" and self._trailing_link(block) is not None
        return False

    def _trailing_link(self, block: Node) -> Node | None:
        """The link node when the paragraph's last line holds only a link."""
        start, end = block.start, block.end
        lines = self.link_lines(start, end)
        if not lines or self.source[lines[-1][1] : end].strip():
            return None
        return self.link_node_at(block, lines[-1][2])

    def _paragraph_leader(self, block: Node) -> Lead:
        key = id(block)
        lead = self._lead_cache.get(key)
        if lead is None:
            lead = self._lead_cache[key] = self._read_leader(block)
        return lead

    def _read_leader(self, block: Node) -> Lead:
        """How the paragraph's first line could open an item (kind '' when it cannot)."""
        children = block.children
        position = 0
        kicker = False
        # Most paragraphs are prose and are let go at their first word.
        while position < len(children):
            node = children[position]
            name = node.name
            if not kicker and self._is_kicker(children, position):
                kicker = True
                position += 1  # `*Sponsor:* **[Title](url)** — ...`: a label before the title
                while position < len(children) and self.is_blank(children[position]):
                    position += 1
                continue
            if name == "text":
                if node.end - node.start <= _SYMBOL_TAG_MAX_BYTES and (
                    self.is_blank(node) or is_symbol_tag(self.text_of(node))
                ):
                    position += 1  # `👷 [Job](url) — ...`: an emoji or `[tag]` before the title
                    continue
                if position:
                    return NO_LEAD  # a number after an emoji is no numbering
                lead = self._numbered_leader(children, position)
                if lead.kind:
                    return lead
                if node.mapped and self.source.startswith(_BRACKET_OPEN, node.start):
                    lead = self._bracketed_leader(children)
                    if lead.kind:
                        return lead
                return self._titled_leader(block)
            if name == "text_special":
                return self._numbered_leader(children, position)
            break
        if position >= len(children):
            return NO_LEAD
        if kicker:
            lead = self._titled_by_head(block, children, position)
            # Only a title with its summary: `Source: [url](url)` is a source line.
            return lead if lead.summary_at is not None else NO_LEAD
        return self._titled_by_head(block, children, position)

    def _is_kicker(self, children: Sequence[Node], position: int) -> bool:
        """A short label ending in a colon that opens the paragraph before a bold or linked title.

        (`*Sponsor:*`, `**Sponsored:**`, `Job:` before `[Title](url) — summary`.)
        """
        if position:
            return False
        node = children[position]
        if node.name not in WRAPPER_NODES and node.name != "text":
            return False
        if node.end - node.start > _KICKER_MAX_BYTES:
            return False
        after = next(
            (child for child in children[position + 1 :] if not self.is_blank(child)), None
        )
        if after is None or (after.name != "strong" and after.name not in LINK_NODES):
            return False
        text = self.plain([node], _KICKER_MAX_BYTES).strip()
        return text.endswith((":", "：")) and has_alnum(text)

    def _titled_by_head(self, block: Node, children: Sequence[Node], position: int) -> Lead:
        """How a paragraph opens whose first meaningful node, at `position`, is bold or a link."""
        head = children[position]
        name = head.name
        if name != "strong" and name not in LINK_NODES:
            return NO_LEAD
        inner = self.unwrap(head)
        url = self.url_of(inner) if inner.name in LINK_NODES else None
        if url is not None and not is_web(url):
            return NO_LEAD  # `<name@example.com>: ...` is a mail header, not a story
        kind = "link" if url else "bold" if name == "strong" else ""
        if not kind or not has_alnum(self.plain([head], TITLE_SCAN_CHARS)):
            return NO_LEAD  # no title: an empty emphasis, a logo that is only an image
        rest: list[Node] = []
        more_lines = False
        for node in children[position + 1 :]:
            if node.name in BREAK_NODES:
                more_lines = True
                break
            if not self.is_blank(node):
                rest.append(node)
        if self._is_trailer(rest):
            return Lead(kind, (), more_lines, head, url)
        # `**Title** — summary` on one line: the summary follows the dash.
        separators = _LINK_SUMMARY_SEPARATOR if kind == "link" else _BOLD_SUMMARY_SEPARATOR
        if rest[0].name == "text" and separators.match(self.head_text(rest[0])):
            block_start, block_end = block.start, block.end
            summary_at = self._skip_separator(head.end, block_end)
            # A bold phrase opening prose (`**Step 1** — we merged...`) is no
            # title unless the paragraph links to something, as a job ad does.
            if summary_at < block_end and (url or self.has_link(block_start, block_end)):
                return Lead(kind, (), more_lines, head, url, summary_at)
        return NO_LEAD

    def _bracketed_leader(self, children: Sequence[Node]) -> Lead:
        """`【Title】` alone on the paragraph's first line: a title, as a bold line is."""
        line: list[Node] = []
        more_lines = False
        for node in children:
            if node.name in BREAK_NODES:
                more_lines = True
                break
            if not self.is_blank(node):
                line.append(node)
        if len(line) != 1 or line[0].name != "text":
            return NO_LEAD
        text = self.text_of(line[0]).strip()
        if not text.startswith("【") or not BRACKETED_TITLE.fullmatch(text):
            return NO_LEAD
        return Lead("bold", (), more_lines, line[0], None)

    def _titled_leader(self, block: Node) -> Lead:
        """A short line of plain text over a line that is only its link (plain-text e-mails).

        `Rust 2027 edition announced` / `https://blog.example/rust-2027` / summary.
        """
        children = block.children
        start, end = block.start, block.end
        if not self.has_link(start, end):
            return NO_LEAD
        first_break = next(
            (index for index, node in enumerate(children) if node.name in BREAK_NODES), None
        )
        if first_break is None or first_break > _TITLED_MAX_NODES:
            return NO_LEAD
        title_nodes = list(children[:first_break])
        if any(node.name in LINK_NODES or node.name == "image" for node in title_nodes):
            return NO_LEAD
        second: list[Node] = []
        for node in children[first_break + 1 :]:
            if node.name in BREAK_NODES:
                break
            if not self.is_blank(node):
                second.append(node)
        if len(second) != 1:
            return NO_LEAD
        link = self.unwrap(second[0])
        url = self.url_of(link)
        if url is None or not is_web(url) or not self._is_bare_url(link):
            return NO_LEAD  # `summary` over `[Title](url)`: the link closes the summary
        title = clean(self.plain(title_nodes, TITLE_SCAN_CHARS))
        if len(title) > _TITLED_MAX_CHARS or title.endswith(SENTENCE_ENDINGS):
            return NO_LEAD  # a sentence over its source, not a title
        return Lead("titled", (), True, link, url) if has_alnum(title) else NO_LEAD

    def _is_bare_url(self, link: Node) -> bool:
        """A link written as its address (`https://...`, `<https://...>`), as plain text has them."""
        if link.name != "link":
            return True
        return "://" in self.plain(list(link.children), 16)

    def _numbered_leader(self, children: Sequence[Node], position: int) -> Lead:
        """`1、`, `(2)`, `03`... opening the paragraph at `children[position]`."""
        if position:
            return NO_LEAD  # a number after an emoji is no numbering
        node = children[position]
        if node.name == "text" and node.mapped:
            first = self.source[node.start : node.start + 1]
            if b"!" <= first <= b"~" and first not in _ASCII_NUMBER_STARTS:
                return NO_LEAD  # a letter or a sign: no number opens the text
        text = self.head_text(node).lstrip()
        if not text or text[0] not in NUMBER_STARTS:
            return NO_LEAD
        for style, pattern in NUMBER_STYLES:
            match = pattern.match(text)
            if match:
                more_lines = False
                url = None
                for node in children:
                    if node.name in BREAK_NODES:
                        more_lines = True
                        break
                    if url is None and (node.name in LINK_NODES or node.name in WRAPPER_NODES):
                        url = self.url_of(self.unwrap(node))
                # `1、[Title](url)`: the number and then the linked title, nothing between.
                head = None
                if match.end() == len(text) and len(children) > position + 1:
                    after = self.unwrap(children[position + 1])
                    head = after if self.url_of(after) else None
                value = number_value(style, match.group(1))
                return Lead(f"number:{style}", value, more_lines, head, url)
        return NO_LEAD

    def _bold_after_number(self, line: list[Node], pattern: re.Pattern[str]) -> Node | None:
        """The bold phrase right after a paragraph's number, when it holds no link."""
        nodes = [node for node in line if not self.is_blank(node)]
        if len(nodes) < 3 or nodes[0].name != "text" or nodes[1].name != "strong":
            return None
        number = self.text_of(nodes[0]).lstrip()
        match = pattern.match(number)
        if match is None or match.end() != len(number) or self.links([nodes[1]]):
            return None
        return nodes[1] if has_alnum(self.plain([nodes[1]], TITLE_SCAN_CHARS)) else None

    def _link_after_number(self, node: Node) -> Node | None:
        """The link of a bold `1. [Title](url)`: a number and then only the link."""
        inner = [child for child in node.children if not self.is_blank(child)]
        if len(inner) != 2 or inner[0].name != "text" or inner[1].name not in LINK_NODES:
            return None
        number = self.text_of(inner[0]).strip()
        if not number or number[0] not in NUMBER_STARTS:
            return None
        for _style, pattern in NUMBER_STYLES:
            match = pattern.match(number + " ")
            if match is not None and match.end() >= len(number):
                return inner[1]
        return None

    def _leader_draft(self, block: Node, kind: str) -> Draft:
        if kind == "single":
            draft, _leads = self._entry_draft(block.children[0])
            draft.scope = [block]
            return draft
        lines = node_lines(block.children)
        first = [node for node in lines[0] if not self.is_blank(node)]
        end = block.end
        cut = lines[1][0].start if len(lines) > 1 else end
        url: str | None = None
        if kind == "titled":
            title = self.plain(lines[0], TITLE_SCAN_CHARS)
            url = self._paragraph_leader(block).url
            cut = lines[2][0].start if len(lines) > 2 else end
        elif kind in ("bold", "link"):
            lead = self._paragraph_leader(block)
            head = lead.head if lead.head is not None else first[0]
            inner = self.unwrap(head)
            if inner.name not in LINK_NODES:
                # `**1. [Title](url)**`: the number only counts the bold titles.
                inner = self._link_after_number(inner) or inner
            title = unbracketed(
                clean(self.plain(list(inner.children) if inner.name in LINK_NODES else [head]))
            )
            url = next((link for link in self.links([head]) if is_web(link)), None)
            if lead.summary_at is not None:
                cut = lead.summary_at
        else:
            pattern = NUMBER_PATTERNS[kind.partition(":")[2]]
            title = pattern.sub(
                "", clean(self.plain(lines[0], TITLE_SCAN_CHARS)[:TITLE_SCAN_CHARS]), count=1
            ).strip()
            link = next(
                (self.unwrap(node) for node in lines[0] if self.unwrap(node).name in LINK_NODES),
                None,
            )
            bold = self._bold_after_number(lines[0], pattern)
            if bold is not None:
                # `1/ **Ship it first.** Prose... [post](url)`: the bold names the
                # item, the prose after it is its summary, the link its source.
                title = clean(self.plain([bold], TITLE_SCAN_CHARS)).rstrip(".:：。")
                url = next((found for found in self.links([block]) if is_web(found)), None)
                cut = self._skip_separator(bold.end, end)
            elif link is not None and self.url_of(link):
                title = self.plain(list(link.children))
                url = self.url_of(link)
            elif not title and len(lines) > 1:
                title = self.plain(lines[1], TITLE_SCAN_CHARS)
                cut = lines[2][0].start if len(lines) > 2 else end
            elif len(title) > DERIVED_TITLE_MAX_CHARS:
                cut = block.start  # the title is clipped: keep the whole line in the body
        spans = [Span(block, cut, end)] if cut < end else []
        return Draft(clip(title, HEADING_TITLE_MAX_CHARS), url, spans, [block])
