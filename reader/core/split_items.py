"""Drafts -> ParsedItem: title, source url, and a body cut from the source as Markdown.

Intros are titled by their opening sentence, past bylines, datelines, pictures
and captions; a line that is only a link is a source.
"""

from __future__ import annotations

from bisect import bisect_left

from reader.core.model import ParsedItem
from reader.core.split_blocks import BlockSplitter
from reader.core.split_drafts import Draft, Span
from reader.core.split_nodes import HEADING_NODES, WRAPPER_NODES, node_lines
from reader.core.split_text import (
    SENTENCE_ENDINGS,
    TITLE_SCAN_CHARS,
    clean,
    clip,
    has_alnum,
    intro_title,
    is_web,
)
from reader.core.split_tree import Node

# A short line before an intro's prose that does not end a sentence is a
# byline, a dateline or a masthead: the intro's title comes from what follows.
META_LINE_MAX_CHARS = 48
# A first line this long that stops mid-sentence is wrapped prose, not a title.
WRAPPED_LINE_MIN_CHARS = 60


class ItemWriter(BlockSplitter):
    """Turns drafts into items: title, source url, body cut from the source."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.issue_title = ""
        # Ids of the items that point to a source (see `_points_to_source`).
        self.sourced: set[int] = set()

    def _item(self, draft: Draft, fallback: str) -> ParsedItem:
        if draft.item is not None:
            self.sourced.add(id(draft.item))  # an entry read off the link that opens it
            return draft.item
        spans = draft.spans
        while spans and spans[0].block.name == "hr":
            spans = spans[1:]
        while spans and spans[-1].block.name == "hr":
            spans = spans[:-1]
        links = draft.links if draft.links is not None else self.links(draft.scope)
        if draft.url is not None and spans:
            self._cut_repeated_source(spans, draft.url)
        # An intro's source is a link line after its prose, not a byline above it.
        url = draft.url or self._source_link(
            (self._without_meta_lines(spans, headings=False) or spans)
            if draft.source_only
            else spans
        )
        # A line that is only a link, found above, is a source; so is a link that
        # opens or closes the item.
        sourced = (url is not None and draft.url is None) or self._points_to_source(draft, spans)
        if url is None and not draft.source_only:
            url = next((link for link in links if is_web(link)), None)
        if url is not None and (not links or links[0] != url):
            links = [url, *(link for link in links if link != url)]
        title = (
            draft.title
            or (draft.source_only and self._intro_title(spans))
            or self._first_line(spans)
            or fallback
            or self.issue_title
        )
        item = ParsedItem(title=title, url=url, body=self._body(spans), links=tuple(links))
        if sourced:
            self.sourced.add(id(item))
        return item

    def _points_to_source(self, draft: Draft, spans: list[Span]) -> bool:
        """Whether a link of the item is its source rather than a word of its prose.

        It is when it is in the item's heading, opens the item (`* [Title](url) - ...`),
        stands alone on a line, or closes the text (`... [Link](url)`, `([#812](url))`).
        """
        scope = draft.scope
        if scope:
            first = scope[0]
            if first.name in HEADING_NODES:
                if self.has_link(first.start, first.end):
                    return True
            elif self._opens_with_link(first):
                return True
        last = len(spans) - 1
        while last >= 0 and spans[last].start >= spans[last].end:
            last -= 1
        if last < 0:
            return False
        end = spans[last].end
        index = bisect_left(self.link_starts, end) - 1
        if index >= 0 and self.link_starts[index] >= spans[last].start:
            after = self.source[self.link_ends[index] : end].decode("utf-8", "ignore")
            if not has_alnum(after):
                return True
        return any(
            self.link_lines(block.start, block.end)
            for block in scope
            if block.name == "paragraph" and self.has_link(block.start, block.end)
        )

    def _opens_with_link(self, block: Node) -> bool:
        """Whether the block's text opens with a link, past its heading or list marker."""
        index = bisect_left(self.link_starts, block.start)
        if index == len(self.link_starts) or self.link_starts[index] >= block.end:
            return False
        if self.source.startswith(b"[![", self.link_starts[index]):
            return False  # a linked picture (a logo, a cover) is no source
        before = self.source[block.start : self.link_starts[index]].decode("utf-8", "ignore")
        return not has_alnum(before.lstrip(" \t#>*+-_").lstrip("0123456789.)、 \t*_"))

    def _without_meta_lines(self, spans: list[Span], *, headings: bool = True) -> list[Span]:
        """Spans from the first that reads as prose: bylines, datelines and mastheads skipped.

        A heading (a subtitle) counts as prose unless `headings` is False.
        """
        for index, span in enumerate(spans):
            block = span.block
            if span.start >= span.end or self.is_image_only(block):
                continue
            if block.name in HEADING_NODES and not headings:
                continue
            if block.name != "paragraph":
                return spans[index:]
            lines = node_lines(block.children)
            if len(lines) != 1:
                return spans[index:]
            lead = self._paragraph_leader(block)
            if lead.kind == "link" and lead.summary_at is None:
                if self.slice(block.start, block.end).rstrip().endswith((":", "：")):
                    return spans[index:]  # `[Someone writes](url):` introduces a quote
                continue  # a line that is only a link: the site's name, the author's
            text = clean(self.plain(lines[0], TITLE_SCAN_CHARS))
            if len(text) > META_LINE_MAX_CHARS or text.endswith(SENTENCE_ENDINGS):
                return spans[index:]
        return []

    def _source_link(self, spans: list[Span]) -> str | None:
        """The first line that is only a link; cut from the body when it ends the body."""
        last = len(spans) - 1
        while last >= 0 and spans[last].start >= spans[last].end:
            last -= 1
        for index, span in enumerate(spans):
            block = span.block
            if block.name != "paragraph":
                continue
            for line_start, line_end, _link_start, url in self.link_lines(span.start, span.end):
                if not is_web(url):
                    continue
                if index == last and not self.source[line_end : span.end].strip():
                    span.end = line_start
                    if not self.slice(span.start, span.end).strip():
                        span.start = span.end
                return url
        return None

    def _cut_repeated_source(self, spans: list[Span], url: str) -> None:
        """A last line that is only a link to the item's own url (`Read more`, `原文链接：`) is cut.

        The title already links there; the line would only repeat it in the body.
        """
        last = len(spans) - 1
        while last >= 0 and spans[last].start >= spans[last].end:
            last -= 1
        if last < 0:
            return
        span = spans[last]
        if span.block.name != "paragraph" or not self.has_link(span.start, span.end):
            return
        lines = self.link_lines(span.start, span.end)
        if not lines:
            return
        line_start, line_end, _link_start, line_url = lines[-1]
        if line_url == url and not self.source[line_end : span.end].strip():
            span.end = max(span.start, line_start)
            while span.end > span.start and self.source[span.end - 1 : span.end].isspace():
                span.end -= 1

    def _body(self, spans: list[Span]) -> str:
        pieces: list[str] = []
        for span in spans:
            if span.start < span.end:
                text = self._span_text(
                    span.start, span.end, span.indent, span.start != span.block.start
                )
                if text:
                    pieces.append(text)
        return self.with_definitions("\n\n".join(pieces))

    def _note(self, blocks: list[Node]) -> str:
        pieces = [
            self.slice(block.start, block.end).strip()
            for block in blocks
            if not self.is_image_only(block)
        ]
        return self.with_definitions("\n\n".join(piece for piece in pieces if piece))

    def _intro_title(self, spans: list[Span]) -> str:
        """Prose without a title of its own (an intro): its heading, else its opening sentence.

        Bylines, datelines and pictures are passed over, and so is a caption (a
        line in italics or bold right after a picture) unless nothing follows it.
        """
        prose = self._without_meta_lines(spans)
        skipped = len(spans) - len(prose)
        caption = ""
        first_after_image = False
        after_image = skipped > 0 and self.is_image_only(spans[skipped - 1].block)
        for span in prose:
            if span.start >= span.end:
                continue
            block = span.block
            if block.name != "paragraph":
                # Its own heading (a subtitle), else the first paragraph of a
                # quote or a list.
                inline = block if block.name in HEADING_NODES else self._first_paragraph(block)
                if inline is not None:
                    title = intro_title(self.plain(list(inline.children), TITLE_SCAN_CHARS))
                    if title:
                        return title
                after_image = False
                continue
            if self.is_image_only(block):
                after_image = True
                continue
            parts: list[str] = []
            for line in node_lines(block.children):
                if line[0].start < span.start:
                    continue
                text = self.plain(line, TITLE_SCAN_CHARS)
                if not has_alnum(text):
                    # A picture (its alt text is no title), or a line of signs.
                    after_image = after_image or any(node.name == "image" for node in line)
                    continue
                if after_image and not parts and self._is_emphasis(line):
                    caption = caption or clean(text)
                    after_image = False
                    continue
                if not parts:
                    first_after_image = after_image
                after_image = False
                parts.append(text)
                if sum(map(len, parts)) >= TITLE_SCAN_CHARS:
                    break
            if parts:
                return intro_title(" ".join(parts), after_picture=first_after_image)
        return intro_title(caption) if caption else ""

    @staticmethod
    def _first_paragraph(block: Node) -> Node | None:
        return next((node for node in block.walk() if node.name == "paragraph"), None)

    def _is_emphasis(self, line: list[Node]) -> bool:
        """A line that is only italic or bold text (a picture's caption, under one)."""
        meaningful = [node for node in line if not self.is_blank(node)]
        return bool(meaningful) and all(node.name in WRAPPER_NODES for node in meaningful)

    def _first_line(self, spans: list[Span]) -> str:
        for span in spans:
            if span.start >= span.end:
                continue
            block = span.block
            if block.name == "paragraph":
                if self.is_image_only(block):
                    continue
                lines = [line for line in node_lines(block.children) if line[0].start >= span.start]
                for index, line in enumerate(lines):
                    text = clean(self.plain(line, TITLE_SCAN_CHARS))
                    if len(text) >= WRAPPED_LINE_MIN_CHARS and not text.endswith(SENTENCE_ENDINGS):
                        # A long line cut mid-sentence is hard-wrapped prose:
                        # the title is its first sentence, not its first line.
                        for later in lines[index + 1 :]:
                            if len(text) >= TITLE_SCAN_CHARS:
                                break
                            text += " " + self.plain(later, TITLE_SCAN_CHARS)
                    text = clip(text)
                    if text:
                        return text
            else:
                text = clip(self.plain(list(block.children), TITLE_SCAN_CHARS))
                if text:
                    return text
        return ""
