"""List entries as items: `* [Title](url) - summary`, tags, trailing `(comments)` links.

One-line entries are read straight off the source; the rest off their nodes, to the same result.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from reader.core.model import ParsedItem
from reader.core.split_drafts import Draft, Span
from reader.core.split_nodes import (
    BREAK_NODES,
    LINK_NODES,
    WRAPPER_NODES,
    NodeReader,
    inline_children,
    node_lines,
)
from reader.core.split_text import (
    HEADING_TITLE_MAX_CHARS,
    TITLE_SCAN_CHARS,
    clean,
    clip,
    continues_sentence,
    entry_title,
    has_alnum,
    is_tag,
    is_web,
    url_first,
)
from reader.core.split_tree import Node

_LEADING_SEPARATOR = re.compile(r"^[\s\-–—:：|,，.。]+")
# After a bold title opening a list entry: a dash, a bar or a colon, then its summary.
_BOLD_TITLE_SEPARATOR = re.compile(r"\s*(?:[—–|:：]|-\s|--)\s*\S")
# One-line list entries read without the node tree: plain text and simple links.
# (Unrolled patterns, no per-character alternation: they run once per entry.)
_LIST_MARKER = re.compile(r"(?:[*+-]|\d{1,9}[.)])[ \t]+")
_QUICK_LINK = re.compile(
    r"\[(?P<title>[^\[\]`*_\\<>&!~\n]+)\]\((?P<url>[^()\s<>]+(?:\([^()\s<>]*\)[^()\s<>]*)*)\)"
)
# `Text ([comments](url))`: a trailing link the slow path leaves out of the title.
_QUICK_TRAILER = re.compile(r"[(（][ \t]*\[[^\[\]\n]{1,30}\]\([^()\s]+\)[^\n]{0,80}[)）][ \t]*$")
_QUICK_SPECIAL = re.compile(r"[\[\]`*_\\<>&!~]")
# `[video] [Title with `code`](url) - summary`: tags, then the title link.
_QUICK_LED = re.compile(
    r"(?:\[[^\[\]\n]{1,24}\][ \t]*)*(?P<link>\[)"
    r"(?P<title>[^\[\]`*_\\<>&!~\n]*(?:`[^`\n]+`[^\[\]`*_\\<>&!~\n]*)*)\]"
    r"\([^()\s<>]+(?:\([^()\s<>]*\)[^()\s<>]*)*\)"
)
# `(comments)`, `（英文）`, `[PDF]` after a title: notes, not a sentence going on.
_TRAILER_MAX_CHARS = 30
_OPENING_BRACKETS = ("(", "[", "（", "【")
_PARENTHETICAL = re.compile(r"[(（\[][^()（）\[\]\n]{0,30}[)）\]]")


class EntryReader(NodeReader):
    """Reads list entries as items."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._entry_cache: dict[int, list[Draft] | None] = {}

    def _entries(self, block: Node) -> list[Draft] | None:
        """Items of a list whose entries (at least half) carry a link in their first paragraph."""
        key = id(block)
        if key not in self._entry_cache:
            self._entry_cache[key] = self._entry_drafts(list(block.children))
        return self._entry_cache[key]

    def _entry_drafts(self, entries: list[Node]) -> list[Draft] | None:
        drafts: list[Draft | None] = [None] * len(entries)
        linked = unlinked = 0
        for index, entry in enumerate(entries):
            # An entry without any link cannot lead with one: no need to read
            # it unless the list turns out to be a list of items.
            if self.has_link(entry.start, entry.end):
                draft, leads_with_link = self._entry_draft(entry)
                drafts[index] = draft
                if leads_with_link:
                    linked += 1
                    continue
            unlinked += 1
            if 2 * unlinked > len(entries):
                return None
        if not linked:
            return None
        done = [
            draft or self._entry_draft(entry)[0]
            for draft, entry in zip(drafts, entries, strict=True)
        ]
        return None if self._is_contents(done) else done

    def _is_contents(self, drafts: list[Draft]) -> bool:
        """Bare links that all point into one page (`issue#tools`, `issue#jobs`): a table of contents."""
        pages = {
            draft.url.partition("#")[0] if draft.url and "#" in draft.url else None
            for draft in drafts
        }
        if len(drafts) < 2 or len(pages) != 1 or None in pages:
            return False
        return all(
            not self.slice(span.start, span.end).strip() for draft in drafts for span in draft.spans
        )

    def _entry_draft(self, entry: Node) -> tuple[Draft, bool]:
        """The entry as an item, and whether its first paragraph has a link."""
        entry_start, entry_end = entry.start, entry.end
        quick = self._quick_entry(entry, entry_start, entry_end)
        if quick is not None:
            return quick
        inline = inline_children(entry)
        content_start = inline[0].start if inline else entry_start
        inline_end = inline[-1].end if inline else entry_start
        indent = content_start - (self.source.rfind(b"\n", 0, content_start) + 1)
        index = bisect_left(self.link_starts, entry_start)
        first_link = self.link_starts[index] if index < len(self.link_starts) else entry_end
        links = self.links_between(entry_start, entry_end)
        leads_with_link = first_link < inline_end
        first: list[Node] = []
        for node in inline:
            if node.name in BREAK_NODES:
                break
            if not self.is_blank(node):
                first.append(node)
        position = 0
        while (
            position < len(first)
            and first[position].name == "text"
            and is_tag(self.text_of(first[position]))
        ):
            position += 1
        head = self.unwrap(first[position]) if position < len(first) else None
        head_url = self.url_of(head) if head is not None and head.name in LINK_NODES else None
        after = first[position + 1] if position + 1 < len(first) else None
        continues = (
            after is not None and after.name == "text" and continues_sentence(self.head_text(after))
        )
        if head is not None and head_url is not None and not continues:
            # `[Title](url) - summary`: the link is the title, the rest the body.
            cut = self._summary_start(first[position].end, content_start, entry_end)
            title = clip(self.plain(list(head.children)), HEADING_TITLE_MAX_CHARS)
            return Draft(
                title, head_url, [Span(entry, cut, entry_end, indent)], [entry], links
            ), True
        bold = first[position] if position < len(first) else None
        if (
            bold is not None
            and bold.name == "strong"
            and after is not None
            and after.name == "text"
            and _BOLD_TITLE_SEPARATOR.match(self.head_text(after))
        ):
            # `**Title**: summary ([link](url))`: the bold text is the title, the
            # entry's first link its source.
            title = clip(self.plain([bold]), HEADING_TITLE_MAX_CHARS)
            if has_alnum(title):
                cut = self._skip_separator(bold.end, entry_end)
                url = next((link for link in links if is_web(link)), None)
                span = Span(entry, cut, entry_end, indent)
                return Draft(title, url, [span], [entry], links), leads_with_link
        kept = self._before_trailer(first) if len(first) == len(inline) else inline
        lines = node_lines(inline) if kept is inline else []
        # `* Title` over `  https://source` over a summary: the first line is the title.
        if (
            len(lines) > 1
            and not any(node.name in LINK_NODES for node in lines[0])
            and any(self._is_link_line(line) for line in lines[1:])
        ):
            kept = lines[0]
        text = self.plain(kept, TITLE_SCAN_CHARS) or self.plain(
            list(entry.children), TITLE_SCAN_CHARS
        )
        text = clean(text[:TITLE_SCAN_CHARS])
        if kept is not inline and kept is not first:
            text = text.rstrip(" ([（")  # the bracket that opened the trailer
        if continues:
            # `[Security fixes](url) landed in 1.24`: the link is part of a sentence.
            url = head_url
        else:
            # `Title - summary`: only a separator before the first link counts, so a
            # dash inside a linked name (`| [Rust - Systems Meetup](...)`) does not.
            before_link = [node for node in inline if node.end <= first_link]
            masked = self.plain(before_link, TITLE_SCAN_CHARS, mask_code=True)
            text = entry_title(text, clean(masked[:TITLE_SCAN_CHARS]))
            url = next((link for link in links if is_web(link)), None)
        span = Span(entry, content_start, entry_end, indent)
        return Draft(clip(text), url, [span], [entry], links), leads_with_link

    def _quick_entry(self, entry: Node, start: int, end: int) -> tuple[Draft, bool] | None:
        """A plain one-line entry read straight off the source, without walking its nodes.

        Most digest entries are `* [Title](url) - summary` or a line of plain
        text and simple links; the patterns accept no other Markdown and every
        link must be one the parser saw, so the result equals the slow path's.
        """
        source = self.source
        newline = source.find(b"\n", start, end)
        line_end = end if newline < 0 else newline
        head = source[start:line_end].decode("utf-8", "ignore")
        marker = _LIST_MARKER.match(head)
        if marker is None:
            return None
        byte_offset = start + marker.end()  # the list marker is ASCII
        line = head[marker.end() :]
        indent = byte_offset - (source.rfind(b"\n", 0, byte_offset) + 1)
        led = _QUICK_LED.match(line)
        if led is not None and continues_sentence(line[led.end() : led.end() + 24]):
            return None  # a link inside a sentence: the slow path titles it with the sentence
        if led is not None:
            tags = line[: led.start("link")]
            link_start = byte_offset + (len(tags) if tags.isascii() else len(tags.encode()))
            index = bisect_left(self.link_starts, link_start)
            if index == len(self.link_starts) or self.link_starts[index] != link_start:
                return None
            title = clip(led.group("title").replace("`", ""), HEADING_TITLE_MAX_CHARS)
            if not title:
                return None
            url: str | None = self.link_urls[index]
            cut = self._summary_start(self.link_ends[index], byte_offset, end)
            links = self.links_between(start, end)
            draft = Draft(title, url, [Span(entry, cut, end, indent)], [entry], links)
            body = (
                self.with_definitions(self._span_text(cut, end, indent, True)) if cut < end else ""
            )
            draft.item = ParsedItem(
                title=title, url=url, body=body, links=url_first(self.link_urls[index], links)
            )
            return draft, True
        if newline >= 0:
            rest = source[newline + 1 : min(end, newline + 64)].decode("utf-8", "ignore")
            if rest.strip() and not _LIST_MARKER.match(rest.lstrip(" ")):
                return None  # the first paragraph runs on: leave it to the parser's view
        if _QUICK_SPECIAL.search(_QUICK_LINK.sub("", line)) or _QUICK_TRAILER.search(line):
            return None
        positions: list[int] = []
        for link in _QUICK_LINK.finditer(line):
            position = byte_offset + len(line[: link.start()].encode("utf-8"))
            if position not in self.url_at:
                return None
            positions.append(position)
        links = self.links_between(start, end)
        text = clean(_QUICK_LINK.sub(lambda link: link.group("title"), line))
        text = entry_title(text, clean(line[: line.find("[")] if positions else line))
        url = next((link for link in links if is_web(link)), None)
        draft = Draft(clip(text), url, [Span(entry, byte_offset, end, indent)], [entry], links)
        # A bare URL (linkified) counts as a link, as on the slow path.
        return draft, bool(positions) or self.has_link(byte_offset, start + len(head.encode()))

    def _summary_start(self, link_end: int, content_start: int, end: int) -> int:
        """Where the body of an entry led by its title link starts.

        Past the separator (`[Title](url) - summary`), but at the entry's start
        when a comma follows the link (`[Title](url), rewritten this year...`):
        the words after it go on with a sentence the title opens.
        """
        after = self.source[link_end : link_end + 8].lstrip(b" \t")
        if after.startswith((b",", "，".encode())):
            return content_start
        return self._skip_separator(link_end, end)

    def _skip_separator(self, position: int, end: int) -> int:
        window = self.source[position : min(end, position + 16)].decode("utf-8", "ignore")
        match = _LEADING_SEPARATOR.match(window)
        return position + len(match.group(0).encode("utf-8")) if match else position

    def _is_link_line(self, nodes: list[Node]) -> bool:
        meaningful = [node for node in nodes if not self.is_blank(node)]
        return len(meaningful) == 1 and self.unwrap(meaningful[0]).name in LINK_NODES

    def _before_trailer(self, nodes: list[Node]) -> list[Node]:
        """A line's nodes without the `(comments)` links that close it."""
        for cut in range(1, len(nodes)):
            rest = nodes[cut:]
            if not any(node.name in LINK_NODES for node in rest) or not self._is_trailer(rest):
                continue
            kept = self.plain(nodes[:cut], TITLE_SCAN_CHARS).rstrip()
            # Only a bracketed trailer: `reported in [#97](url).` ends a sentence.
            opened = kept.endswith(_OPENING_BRACKETS) or self.plain(rest).lstrip().startswith(
                _OPENING_BRACKETS
            )
            if opened and has_alnum(kept):
                return nodes[:cut]
        return nodes

    def _is_trailer(self, nodes: list[Node]) -> bool:
        """What may follow a title on its line: punctuation, `(comments)` links, `（英文）` notes."""
        for node in nodes:
            if node.name in LINK_NODES or node.name in WRAPPER_NODES:
                if len(self.plain([node], _TRAILER_MAX_CHARS + 1)) > _TRAILER_MAX_CHARS:
                    return False
            elif node.name == "text":
                text = _PARENTHETICAL.sub("", self.text_of(node))
                if has_alnum(text):
                    return False
            elif node.name not in ("image", "html_inline"):
                return False
        return True
