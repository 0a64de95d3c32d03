"""Reading a parsed Markdown document: text, links and lines of its nodes by source position.

One markdown-it-pyrs parse per document; links are indexed once so items find theirs by bisection.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence

from markdown_it_pyrs import MarkdownIt
from markdown_it_pyrs import Node as ParsedNode

from reader.core.split_escape import (
    escape_all_backticks,
    escape_open_code_in_brackets,
    flatten_deep_nesting,
)
from reader.core.split_text import TAG_PREFIX, dedent, has_alnum, label_key
from reader.core.split_tree import Node, read_tree

PARSE_FAILED_WARNING = "The Markdown parser could not read this text; it is kept whole as one item."

# linkify turns bare URLs into links so that they count as sources.
_MARKDOWN = MarkdownIt("commonmark").enable_many(["table", "strikethrough", "linkify"])

HEADING_NODES = frozenset({"heading", "lheading"})
LIST_NODES = frozenset({"bullet_list", "ordered_list"})
LINK_NODES = frozenset({"link", "autolink", "linkify"})
BREAK_NODES = frozenset({"softbreak", "hardbreak"})
WRAPPER_NODES = frozenset({"strong", "em"})
BLOCK_NODES = frozenset(
    {
        *("paragraph", "bullet_list", "ordered_list", "blockquote", "fence", "code_block"),
        *("html_block", "heading", "lheading", "hr", "table", "definition"),
    }
)
_URL_SCHEMES = ("http://", "https://", "mailto:")
# What may precede a source link on its line: `Source:`, `原文：`, `–`, `👉`.
_LABEL_PREFIX = re.compile(
    r"^\s*\S.{0,20}?[:：→»>|\-–—]\s*$|^\s*(?:via|source|来源|原文|链接|阅读原文)\s*$|^\W{1,4}$",
    re.I,
)
_REFERENCE = re.compile(r"\[([^\[\]\n]{1,200})\]")
# A `]` not opening an inline destination: `[text][label]`, `[label][]` or `[label]`.
_REFERENCE_USE = re.compile(r"\](?!\()")
# How much of a line after a link is read at a time, looking for words.
_LINE_WINDOW_BYTES = 256


def _parse(text: str) -> ParsedNode | None:
    try:
        return _MARKDOWN.tree(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a Rust panic surfaces as a BaseException
        return None


def blocks_size(blocks: list[Node]) -> int:
    return sum(block.end - block.start for block in blocks)


def inline_children(block: Node) -> list[Node]:
    """The inline nodes of a list entry's first paragraph, tight or loose."""
    inline: list[Node] = []
    for child in block.children:
        if child.name == "paragraph":
            return inline or list(child.children)
        if child.name in BLOCK_NODES:
            break
        inline.append(child)
    return inline


def node_lines(nodes: Sequence[Node]) -> list[list[Node]]:
    lines: list[list[Node]] = [[]]
    for node in nodes:
        if node.name in BREAK_NODES:
            lines.append([])
        else:
            lines[-1].append(node)
    return [line for line in lines if line]


def trim_rules(blocks: list[Node]) -> list[Node]:
    start, end = 0, len(blocks)
    while start < end and blocks[start].name == "hr":
        start += 1
    while end > start and blocks[end - 1].name == "hr":
        end -= 1
    return blocks[start:end]


class NodeReader:
    """One parsed document: text and links read off its nodes by source position."""

    def __init__(self, text: str) -> None:
        text = escape_open_code_in_brackets(flatten_deep_nesting(text))
        root = _parse(text)
        if root is None:
            # A panic the targeted escaping did not foresee: once more with every
            # backtick literal, then, failing that, the text whole as one item.
            text = escape_all_backticks(text)
            root = _parse(text)
        self.warnings: tuple[str, ...] = () if root is not None else (PARSE_FAILED_WARNING,)
        self.root, links = read_tree(root if root is not None else _MARKDOWN.tree(""), LINK_NODES)
        self.text = text
        self.source = text.encode("utf-8")
        self.link_starts: list[int] = []
        self.link_ends: list[int] = []
        self.link_urls: list[str] = []
        self.url_at: dict[int, str] = {}
        self._index_links(links)
        # Reference definitions by label, filled in as the outline is read.
        self.definitions: dict[str, str] = {}
        # Several rules ask the same of a block; each is answered once.
        self._image_only: dict[int, bool] = {}

    def slice(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "replace")

    def text_of(self, node: Node) -> str:
        # A text node's source is its content, and reading the bytes is much
        # cheaper than building the node's meta dict. markdown-it-pyrs 0.4
        # gives a text node before `  \n` an end past the line break, so a
        # slice with a newline in it is wrong and the meta is asked instead.
        if node.name == "text" and node.mapped:
            text = self.source[node.start : node.end].decode("utf-8", "replace")
            if "\n" not in text:
                return text
        return str(node.meta.get("content", ""))

    def is_blank(self, node: Node) -> bool:
        if node.name != "text":
            return False
        start, end = node.start, node.end
        # Only short text can be blank; decoding a long paragraph to learn that is waste.
        if end - start > 16:
            return False
        chunk = self.source[start:end]
        return not (chunk.strip() if chunk.isascii() else chunk.decode("utf-8", "replace").strip())

    def head_text(self, node: Node, limit: int = 64) -> str:
        """The first characters of a text node, without decoding all of it."""
        if node.name == "text" and node.mapped:
            start, end = node.start, node.end
            return (
                self.source[start : min(end, start + limit)]
                .decode("utf-8", "ignore")
                .split("\n")[0]
            )
        return self.text_of(node)[:limit]

    def plain(self, nodes: list[Node], limit: int = 1 << 30, *, mask_code: bool = False) -> str:
        """Inline nodes as plain text: markup dropped, images skipped, breaks as spaces.

        Stops after about `limit` characters: titles never need a whole article.
        With `mask_code`, code reads as `_` of the same length, so that no
        separator is found inside it.
        """
        if len(nodes) == 1:
            # One node of text, or one that only wraps one (a link's title):
            # what the walk below would find, read at once.
            node = nodes[0]
            name = node.name
            if name == "text":
                return self.text_of(node)
            children = node.children
            if (
                len(children) == 1
                and children[0].name == "text"
                and name != "image"
                and not (mask_code and name == "code_inline")
            ):
                return self.text_of(children[0])
        parts: list[str] = []
        length = 0
        pending = nodes[::-1]
        while pending and length < limit:
            node = pending.pop()
            name = node.name
            if name == "text" or name == "text_special":
                parts.append(self.text_of(node))
                length += len(parts[-1])
            elif mask_code and name == "code_inline":
                parts.append("_" * len(self.plain(list(node.children))))
                length += len(parts[-1])
            elif name in BREAK_NODES:
                parts.append(" ")
            elif name != "image" and name != "html_inline":
                pending.extend(reversed(node.children))
        return "".join(parts)

    def unwrap(self, node: Node) -> Node:
        """The single meaningful child of bold/italic wrappers (`**[t](u)**` -> the link)."""
        while node.name in WRAPPER_NODES:
            inner = [child for child in node.children if not self.is_blank(child)]
            if len(inner) != 1:
                return node
            node = inner[0]
        return node

    def _index_links(self, links: list[Node]) -> None:
        """Every http(s)/mailto link of the document (found as the tree was read), by source position.

        Items then find their links by bisecting positions instead of walking
        their own nodes again, which is most of the work in link-dense lists.
        """
        found: list[tuple[int, int, str]] = []
        for node in links:
            url = self._target(node)
            if url:
                found.append((node.start, node.end, url))
        found.sort()
        self.link_starts = [start for start, _end, _url in found]
        self.link_ends = [end for _start, end, _url in found]
        self.link_urls = [url for _start, _end, url in found]
        self.url_at = {start: url for start, _end, url in found}

    def url_of(self, node: Node) -> str | None:
        """The http(s)/mailto target of a link node, else None."""
        return self.url_at.get(node.start) if node.name in LINK_NODES else None

    def links_between(self, start: int, end: int) -> list[str]:
        first = bisect_left(self.link_starts, start)
        last = bisect_left(self.link_starts, end, first)
        return list(dict.fromkeys(self.link_urls[first:last]))

    def _target(self, node: Node) -> str | None:
        """The target of a link node when it is http(s) or mailto."""
        if node.name == "linkify" and node.mapped:
            url = self.slice(node.start, node.end)
            # linkify runs a bare URL on into the CJK text that follows it.
            for index, character in enumerate(url):
                if ord(character) > 127:
                    url = url[:index].rstrip(".,;:!?'\")")
                    break
        else:
            url = str(node.parsed.meta.get("url", ""))
        return url if url[:8].lower().startswith(_URL_SCHEMES) else None

    def links(self, blocks: list[Node]) -> list[str]:
        """Links of consecutive blocks (what lies between them, comments, holds no link nodes)."""
        if not blocks:
            return []
        return self.links_between(blocks[0].start, blocks[-1].end)

    def link_lines(self, start: int, end: int) -> list[tuple[int, int, int, str]]:
        """Lines in source bytes [start, end) that hold only a link: (line start, line end, link start, url).

        Read off the source around each indexed link, so no node is touched:
        what precedes the link may be a short label (`Source:`), tags or
        bold/italic markers; what follows only punctuation.
        """
        found: list[tuple[int, int, int, str]] = []
        first = bisect_left(self.link_starts, start)
        last = bisect_left(self.link_starts, end, first)
        source = self.source
        for index in range(first, last):
            link_start, link_end = self.link_starts[index], self.link_ends[index]
            if source.startswith(b"[![", link_start):
                continue  # a linked picture (its full size, a logo) is no source
            line_end = self._bare_line_end(link_end, end)
            if line_end is None:
                continue  # words follow the link
            # (The line's start before `start` would be clamped to it anyway.)
            line_start = source.rfind(b"\n", start, link_start) + 1 or start
            if found and found[-1][0] == line_start:
                continue
            before = source[line_start:link_start].decode("utf-8", "ignore").strip(" \t*_>")
            if before and not (_LABEL_PREFIX.match(before) or TAG_PREFIX.match(before)):
                continue
            found.append((line_start, line_end, link_start, self.link_urls[index]))
        return found

    def _bare_line_end(self, position: int, end: int) -> int | None:
        """Where the line from source byte `position` ends (by `end`); None if a word comes first.

        Read a window at a time, up to the first letter or digit: a long line
        with many links is then read about once, not to its end for each link.
        """
        source = self.source
        while position < end:
            stop = min(end, position + _LINE_WINDOW_BYTES)
            while stop < end and source[stop] & 0xC0 == 0x80:
                stop += 1  # end the window where a character starts
            newline = source.find(b"\n", position, stop)
            text = source[position : stop if newline < 0 else newline].decode("utf-8", "ignore")
            if has_alnum(text):
                return None
            if newline >= 0:
                return newline
            position = stop
        return end

    def link_node_at(self, block: Node, position: int) -> Node | None:
        return next(
            (node for node in block.walk() if node.name in LINK_NODES and node.start == position),
            None,
        )

    def is_image_only(self, block: Node) -> bool:
        """A paragraph of pictures (linked or not) and nothing else."""
        if block.name != "paragraph":
            return False
        key = id(block)
        found = self._image_only.get(key)
        if found is None:
            found = self._image_only[key] = self._read_image_only(block)
        return found

    def _read_image_only(self, block: Node) -> bool:
        seen_image = False
        for node in block.children:
            name = node.name
            if name == "image":
                seen_image = True
            elif name == "text":
                if not self.is_blank(node):
                    return False
            elif name in LINK_NODES or name in WRAPPER_NODES:
                inner = self.unwrap(node)
                if inner.name in LINK_NODES:
                    for child in inner.children:
                        if child.name != "image" and not self.is_blank(child):
                            return False
                elif inner.name != "image":
                    return False
                seen_image = True
            elif name not in BREAK_NODES:
                return False
        return seen_image

    def _span_text(self, start: int, end: int, indent: int, partial: bool) -> str:
        """Source bytes [start, end) as body text: dedented, and trimmed of blank lines."""
        text = self.slice(start, end)
        if indent:
            text = dedent(text, indent)
        if partial:
            text = text.lstrip()
        text = text.strip("\n").rstrip()
        return text if text.strip() else ""

    def with_definitions(self, body: str) -> str:
        """Append the reference definitions a body uses, since its slice lost them."""
        if not self.definitions or not _REFERENCE_USE.search(body):
            return body
        needed: list[str] = []
        for match in _REFERENCE.finditer(body):
            definition = self.definitions.get(label_key(match.group(1)))
            if definition and definition not in needed and definition not in body:
                needed.append(definition)
        return body + "\n\n" + "\n".join(needed) if needed else body

    def has_link(self, start: int, end: int) -> bool:
        index = bisect_left(self.link_starts, start)
        return index < len(self.link_starts) and self.link_starts[index] < end
