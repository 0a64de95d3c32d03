"""Markdown text -> ParsedIssue: sections from headings, items from headings, list entries and leaders.

Pure: one markdown-it-pyrs parse per document; item bodies are slices of the source, so they stay Markdown.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import PurePath

from markdown_it_pyrs import MarkdownIt, Node

from reader.core.frontmatter import parse_date, parse_front_matter
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection, identity_text

SECTION_PATH_SEPARATOR = " › "
PARSE_FAILED_WARNING = "The Markdown parser could not read this text; it is kept whole as one item."
UNTITLED_ISSUE = "Untitled"
# Titles made from running text (an intro, a list entry without a link) are clipped.
DERIVED_TITLE_MAX_CHARS = 80
HEADING_TITLE_MAX_CHARS = 300
# `Title - summary` list entries: a longer text before the dash is a sentence.
ENTRY_TITLE_MAX_CHARS = 50
# Prose before the first entry of a list section longer than this is an
# editorial intro (an item of its own); shorter, it is the section's note.
INTRO_ITEM_MIN_BYTES = 600
# Splitting prose at source-link lines or `---` rules needs this many pieces:
# two links closing two paragraphs happen in ordinary articles too.
WEAK_SPLIT_MIN_ITEMS = 3
# A heading's text up to this size with a link in it reads as a digest item
# rather than a chapter of an article.
SHORT_ITEM_MAX_BYTES = 2000
# A first line this long that stops mid-sentence is wrapped prose, not a title.
WRAPPED_LINE_MIN_CHARS = 60

# linkify turns bare URLs into links so that they count as sources.
_MARKDOWN = MarkdownIt("commonmark").enable_many(["table", "strikethrough", "linkify"])

_HEADINGS = frozenset({"heading", "lheading"})
_LISTS = frozenset({"bullet_list", "ordered_list"})
_LINKS = frozenset({"link", "autolink", "linkify"})
_BREAKS = frozenset({"softbreak", "hardbreak"})
_WRAPPERS = frozenset({"strong", "em"})
_BLOCKS = frozenset(
    {
        *("paragraph", "bullet_list", "ordered_list", "blockquote", "fence", "code_block"),
        *("html_block", "heading", "lheading", "hr", "table", "definition"),
    }
)
# Quotes, code or tables before a list mark an article that ends with links,
# not a digest whose list has an intro.
_ARTICLE_BLOCKS = frozenset({"blockquote", "fence", "code_block", "table"})
_URL_SCHEMES = ("http://", "https://", "mailto:")
_WEB_SCHEMES = ("http://", "https://")

_TAG_PREFIX = re.compile(r"^\s*(?:\[[^\[\]\n]{1,24}\]\s*)+$")
# What may precede a source link on its line: `Source:`, `原文：`, `–`, `👉`.
_LABEL_PREFIX = re.compile(
    r"^\s*\S.{0,20}?[:：→»>|\-–—]\s*$|^\s*(?:via|source|来源|原文|链接|阅读原文)\s*$|^\W{1,4}$",
    re.I,
)
_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+|:\s+|：\s*")
_LEADING_SEPARATOR = re.compile(r"^[\s\-–—:：|,，.。]+")
_SENTENCE_ENDINGS = (".", "!", "?", ":", "。", "！", "？", "：", "…")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]")
_HEADING_ID = re.compile(r"\s*\{#[\w:.\-]+\}\s*$")
_REFERENCE = re.compile(r"\[([^\[\]\n]{1,200})\]")
# A `]` not opening an inline destination: `[text][label]`, `[label][]` or `[label]`.
_REFERENCE_USE = re.compile(r"\](?!\()")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FENCED = re.compile(
    r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(?:.*?^ {0,3}\1[ \t]*$|.*\Z)", re.MULTILINE | re.DOTALL
)
_PARAGRAPH = re.compile(r"(?:^[ \t]*[^\s][^\n]*(?:\n|\Z))+", re.MULTILINE)
_BLOCK_START = re.compile(
    r"\n(?=[ \t]*(?:[*+-]|\d{1,9}[.)])[ \t]|[ \t]{0,3}#{1,6}[ \t]|[ \t]{0,3}>)"
)
_FLAT_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_BRACKET = re.compile(r"(?<!\\)[\[\]]")
# Hostile text with thousands of `[` is not worth a quadratic scan.
_MAX_BRACKETS_CHECKED = 200
_BACKTICKS = re.compile(r"(?<!\\)`+")
_BARE_URL = re.compile(r"https?://[^\s()<>\[\]\"']+")
# Titles are read from at most this many characters of running text.
_TITLE_SCAN_CHARS = 400
# One-line list entries read without the node tree: plain text and simple links.
# (Unrolled patterns, no per-character alternation: they run once per entry.)
_LIST_MARKER = re.compile(r"(?:[*+-]|\d{1,9}[.)])[ \t]+")
_QUICK_LINK = re.compile(
    r"\[(?P<title>[^\[\]`*_\\<>&!~\n]+)\]\((?P<url>[^()\s<>]+(?:\([^()\s<>]*\)[^()\s<>]*)*)\)"
)
_QUICK_SPECIAL = re.compile(r"[\[\]`*_\\<>&!~]")
# `[video] [Title with `code`](url) - summary`: tags, then the title link.
_QUICK_LED = re.compile(
    r"(?:\[[^\[\]\n]{1,24}\][ \t]*)*(?P<link>\[)"
    r"(?P<title>[^\[\]`*_\\<>&!~\n]*(?:`[^`\n]+`[^\[\]`*_\\<>&!~\n]*)*)\]"
    r"\([^()\s<>]+(?:\([^()\s<>]*\)[^()\s<>]*)*\)"
)
_FILE_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[-_]|$)")

_CJK_DIGITS = dict(
    zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_CJK_NUMERAL = "零〇一二三四五六七八九十百两"
# Paragraph numbering styles, (name, pattern); group 1 is the number.
_NUMBER_STYLES = (
    ("cjk", re.compile(rf"^([{_CJK_NUMERAL}]{{1,4}})\s*[、.．]\s*")),
    ("cjk-paren", re.compile(rf"^[（(]([{_CJK_NUMERAL}]{{1,4}})[）)]\s*")),
    ("paren", re.compile(r"^[（(](\d{1,3})[）)]\s*")),
    ("comma", re.compile(r"^(\d{1,3})\s*[、．]\s*")),
    ("dot", re.compile(r"^(\d{1,3})[.)]\s+")),
    ("decimal", re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\s+(?=\D)")),
    ("padded", re.compile(r"^(0[1-9]|[1-9]\d)(?:\s+|$)")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
    ("ordinal", re.compile(rf"^第([{_CJK_NUMERAL}\d]{{1,4}})[章节部分篇条点期]\s*")),
)
_NUMBER_PATTERNS = dict(_NUMBER_STYLES)
_NUMBER_STARTS = frozenset("0123456789（(第①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳" + _CJK_NUMERAL)


def split_markdown(
    text: str, *, fallback_title: str | None = None, file: str | None = None
) -> ParsedIssue:
    """Split a Markdown issue (front matter included) into sections and items."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, body = parse_front_matter(text)
    meta = {key.lower(): value for key, value in meta.items()}
    splitter = _Splitter(body)
    outline = splitter.outline()
    title = _clean(str(meta.get("title") or meta.get("subject") or ""))
    if title:
        _drop_repeated_title(outline, title)
    else:
        title = (
            splitter.title_from_h1(outline) or fallback_title or _file_stem(file) or UNTITLED_ISSUE
        )
    sections = splitter.sections(outline, title)
    date = _issue_date(meta, file)
    warnings = splitter.warnings
    if date is None and (written := _written_date(meta)):
        warnings = (*warnings, f"the date {written!r} is not a valid date: imported without one")
    return ParsedIssue(
        title=title,
        date=date,
        url=_issue_url(meta),
        sections=tuple(sections),
        file=file,
        warnings=warnings,
    )


# --- parsing ----------------------------------------------------------------


def _parse(text: str) -> Node | None:
    try:
        return _MARKDOWN.tree(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a Rust panic surfaces as a BaseException
        return None


def _escape_open_code_in_brackets(text: str) -> str:
    """Escape the backtick runs left open after a `[` in a paragraph.

    markdown-it-pyrs 0.4 panics on `[a `b](url)` or `[`` (a code span opened
    in possible link text and never closed there). An unclosed run is literal
    text in CommonMark anyway, so a backslash keeps the meaning and avoids the
    crash; what still gets through falls back to one item of raw text.
    """
    first_bracket = text.find("[")
    if first_bracket < 0 or text.rfind("`") < first_bracket:
        return text
    pieces: list[str] = []
    position = 0
    # Paragraphs (runs of non-blank lines) outside fenced code, found by regex
    # rather than line by line: this runs on every document.
    fences = list(_FENCED.finditer(text)) if "```" in text or "~~~" in text else []
    for fence in [*fences, None]:
        stop = fence.start() if fence is not None else len(text)
        for paragraph in _PARAGRAPH.finditer(text, position, stop):
            pieces.append(text[position : paragraph.start()])
            pieces.append(_escape_paragraph(paragraph.group()))
            position = paragraph.end()
        if fence is not None:
            pieces.append(text[position : fence.end()])
            position = fence.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _escape_all_backticks(text: str) -> str:
    """Every backtick outside fenced code made literal."""
    lines = text.split("\n")
    fence = ""
    for index, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) < 4 and stripped[:3] in ("```", "~~~"):
            fence = "" if stripped[:3] == fence else fence or stripped[:3]
        elif not fence and "`" in line:
            lines[index] = _BACKTICKS.sub(lambda run: "\\`" * len(run.group()), line)
    return "\n".join(lines)


def _escape_paragraph(text: str) -> str:
    first_bracket = text.find("[")
    if first_bracket < 0 or text.rfind("`") < first_bracket or _plainly_paired(text):
        return text
    pieces = _BLOCK_START.split(text)
    if len(pieces) > 1:
        # Code spans and link text end with their list item or heading.
        return "\n".join(_escape_block(piece) for piece in pieces)
    return _escape_block(text)


def _escape_block(text: str) -> str:
    first_bracket = text.find("[")
    if first_bracket < 0 or text.rfind("`") < first_bracket or _plainly_paired(text):
        return text
    runs = [(run.start(), run.end() - run.start()) for run in _BACKTICKS.finditer(text)]
    starts = [start for start, _length in runs]
    code, _unpaired = _pair_runs(runs)
    escaped: set[tuple[int, int]] = set()
    for opening, closing in _bracket_spans(text, code):
        first = bisect_left(starts, opening)
        inside = runs[first : bisect_left(starts, closing, first)]
        while inside and (open_run := _open_backtick_run(inside, escaped)) is not None:
            escaped.add(open_run)
    for start, length in sorted(escaped, reverse=True):
        text = text[:start] + "\\`" * length + text[start + length :]
    return text


def _plainly_paired(text: str) -> bool:
    """Whether every bracket pair is flat and holds an even number of single backticks.

    The common case (`[`code`: title](url)`), settled with C-speed string
    methods before any pairing is worked out in Python.
    """
    if "``" in text or "\\" in text:
        return False
    labels = _FLAT_BRACKETS.findall(text)
    return len(labels) == text.count("[") == text.count("]") and all(
        label.count("`") % 2 == 0 for label in labels
    )


def _pair_runs(
    runs: list[tuple[int, int]],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Backtick runs paired as CommonMark pairs them: (code spans, runs left unpaired).

    A run opens a code span closed by the next run of the same length; a run
    with no such partner is literal, and pairing resumes right after it.
    """
    spans: list[tuple[int, int]] = []
    unpaired: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        start, length = runs[index]
        partner = next(
            (later for later in range(index + 1, len(runs)) if runs[later][1] == length), None
        )
        if partner is None:
            unpaired.append(runs[index])
            index += 1
        else:
            spans.append((start, runs[partner][0] + length))
            index = partner + 1
    return spans, unpaired


def _bracket_spans(text: str, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each `[` outside code spans with the `]` that closes it (nesting counted), or the text's end."""
    code_starts = [start for start, _end in code]
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for match in _BRACKET.finditer(text):
        position = match.start()
        index = bisect_left(code_starts, position) - 1
        if index >= 0 and position < code[index][1]:
            continue  # `#[no_std]` inside code is no bracket
        if match.group() == "[":
            stack.append(position)
        elif stack:
            spans.append((stack.pop(), position))
    spans.extend((opening, len(text)) for opening in stack)
    return spans[:_MAX_BRACKETS_CHECKED]


def _open_backtick_run(
    runs: list[tuple[int, int]], escaped: set[tuple[int, int]]
) -> tuple[int, int] | None:
    """The run left open when runs pair in order, the way the crashing scanner sees them."""
    open_run: tuple[int, int] | None = None
    for run in runs:
        if run in escaped:
            continue
        if open_run is None:
            open_run = run
        elif open_run[1] == run[1]:
            open_run = None
    return open_run


# --- working data -----------------------------------------------------------


@dataclass(eq=False)
class _Outline:
    """A heading with the blocks up to its first sub-heading, and its sub-headings."""

    level: int
    heading: Node | None
    title: str
    parent: _Outline | None
    url: str | None = None
    blocks: list[Node] = field(default_factory=list)
    children: list[_Outline] = field(default_factory=list)


@dataclass
class _Span:
    """Part of an item body: source bytes [start, end) of a block, dedented by `indent`."""

    block: Node
    start: int
    end: int
    indent: int = 0


@dataclass
class _Draft:
    """An item before its body is cut: title, url from its title, body spans, link scope."""

    title: str
    url: str | None
    spans: list[_Span]
    scope: list[Node]
    links: list[str] | None = None
    # Prose with no title of its own (an intro, a whole article) has a url only
    # when a line gives its source; its first inline link is no source.
    source_only: bool = False
    # Set when the item was read off the source whole (a one-line list entry).
    item: ParsedItem | None = None


@dataclass
class _Segments:
    """How a run of blocks splits: items, leftover prose (the note), and whether it is a list."""

    items: list[_Draft]
    note: list[Node]
    grouped: bool
    has_content: bool
    # False when a long intro outweighs the entries after it: as a heading's
    # whole content, that reads as an article with links, not as a list.
    dominant: bool = True


def _whole(block: Node) -> _Span:
    start, end = _srcmap(block)
    return _Span(block, start, end)


# --- the splitter -----------------------------------------------------------


class _Splitter:
    """One document: reads text and links off nodes, decides sections and items, cuts bodies."""

    def __init__(self, text: str) -> None:
        text = _escape_open_code_in_brackets(text)
        root = _parse(text)
        if root is None:
            # A panic the targeted escaping did not foresee: once more with every
            # backtick literal, then, failing that, the text whole as one item.
            text = _escape_all_backticks(text)
            root = _parse(text)
        self.warnings = () if root is not None else (PARSE_FAILED_WARNING,)
        self.root = root if root is not None else _MARKDOWN.tree("")
        self.text = text
        self.source = text.encode("utf-8")
        self._link_starts: list[int] = []
        self._link_ends: list[int] = []
        self._link_urls: list[str] = []
        self._url_at: dict[int, str] = {}
        self._index_links()
        self.definitions: dict[str, str] = {}
        self.issue_title = ""
        self.item_level: int | None = None
        self.flat = False
        self._segments: dict[int, _Segments] = {}
        self._entry_cache: dict[int, list[_Draft] | None] = {}

    # reading nodes

    def slice(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "replace")

    def text_of(self, node: Node) -> str:
        # A text node's source is its content, and reading the bytes is much
        # cheaper than building the node's meta dict. markdown-it-pyrs 0.4
        # gives a text node before `  \n` an end past the line break, so a
        # slice with a newline in it is wrong and the meta is asked instead.
        if node.name == "text" and node.srcmap is not None:
            text = self.slice(*node.srcmap)
            if "\n" not in text:
                return text
        return str(node.meta.get("content", ""))

    def is_blank(self, node: Node) -> bool:
        if node.name != "text":
            return False
        start, end = _srcmap(node)
        # Only short text can be blank; decoding a long paragraph to learn that is waste.
        return end - start <= 16 and not self.slice(start, end).strip()

    def head_text(self, node: Node, limit: int = 64) -> str:
        """The first characters of a text node, without decoding all of it."""
        if node.name == "text" and node.srcmap is not None:
            start, end = node.srcmap
            return (
                self.source[start : min(end, start + limit)]
                .decode("utf-8", "ignore")
                .split("\n")[0]
            )
        return self.text_of(node)[:limit]

    def plain(self, nodes: list[Node], limit: int = 1 << 30) -> str:
        """Inline nodes as plain text: markup dropped, images skipped, breaks as spaces.

        Stops after about `limit` characters: titles never need a whole article.
        """
        if len(nodes) == 1 and nodes[0].name == "text":
            return self.text_of(nodes[0])
        parts: list[str] = []
        length = 0
        pending = nodes[::-1]
        while pending and length < limit:
            node = pending.pop()
            name = node.name
            if name == "text" or name == "text_special":
                parts.append(self.text_of(node))
                length += len(parts[-1])
            elif name in _BREAKS:
                parts.append(" ")
            elif name != "image" and name != "html_inline":
                pending.extend(reversed(node.children))
        return "".join(parts)

    def unwrap(self, node: Node) -> Node:
        """The single meaningful child of bold/italic wrappers (`**[t](u)**` -> the link)."""
        while node.name in _WRAPPERS:
            inner = [child for child in node.children if not self.is_blank(child)]
            if len(inner) != 1:
                return node
            node = inner[0]
        return node

    def _index_links(self) -> None:
        """Every http(s)/mailto link of the document, by source position, in one walk.

        Items then find their links by bisecting positions instead of walking
        their own nodes again, which is most of the work in link-dense lists.
        """
        found: list[tuple[int, int, str]] = []
        for node in self.root.walk():
            if node.name in _LINKS:
                url = self._target(node)
                if url:
                    found.append((*_srcmap(node), url))
        found.sort()
        self._link_starts = [start for start, _end, _url in found]
        self._link_ends = [end for _start, end, _url in found]
        self._link_urls = [url for _start, _end, url in found]
        self._url_at = {start: url for start, _end, url in found}

    def url_of(self, node: Node) -> str | None:
        """The http(s)/mailto target of a link node, else None."""
        return self._url_at.get(_srcmap(node)[0]) if node.name in _LINKS else None

    def links_between(self, start: int, end: int) -> list[str]:
        first = bisect_left(self._link_starts, start)
        last = bisect_left(self._link_starts, end, first)
        return list(dict.fromkeys(self._link_urls[first:last]))

    def _target(self, node: Node) -> str | None:
        """The target of a link node when it is http(s) or mailto."""
        if node.name == "linkify" and node.srcmap is not None:
            url = self.slice(*node.srcmap)
            # linkify runs a bare URL on into the CJK text that follows it.
            for index, character in enumerate(url):
                if ord(character) > 127:
                    url = url[:index].rstrip(".,;:!?'\")")
                    break
        else:
            url = str(node.meta.get("url", ""))
        return url if url[:8].lower().startswith(_URL_SCHEMES) else None

    def links(self, blocks: list[Node]) -> list[str]:
        """Links of consecutive blocks (what lies between them, comments, holds no link nodes)."""
        if not blocks:
            return []
        return self.links_between(_srcmap(blocks[0])[0], _srcmap(blocks[-1])[1])

    def link_lines(self, start: int, end: int) -> list[tuple[int, int, int, str]]:
        """Lines in source bytes [start, end) that hold only a link: (line start, line end, link start, url).

        Read off the source around each indexed link, so no node is touched:
        what precedes the link may be a short label (`Source:`), tags or
        bold/italic markers; what follows only punctuation.
        """
        found: list[tuple[int, int, int, str]] = []
        first = bisect_left(self._link_starts, start)
        last = bisect_left(self._link_starts, end, first)
        source = self.source
        for index in range(first, last):
            link_start, link_end = self._link_starts[index], self._link_ends[index]
            line_start = max(start, source.rfind(b"\n", 0, link_start) + 1)
            line_end = source.find(b"\n", link_end, end)
            line_end = end if line_end < 0 else line_end
            before = source[line_start:link_start].decode("utf-8", "ignore").strip(" \t*_>")
            after = source[link_end:line_end].decode("utf-8", "ignore")
            if _has_alnum(after.replace("\\", "")) or (found and found[-1][0] == line_start):
                continue
            if before and not (_LABEL_PREFIX.match(before) or _TAG_PREFIX.match(before)):
                continue
            found.append((line_start, line_end, link_start, self._link_urls[index]))
        return found

    def link_node_at(self, block: Node, position: int) -> Node | None:
        return next(
            (node for node in block.walk() if node.name in _LINKS and _srcmap(node)[0] == position),
            None,
        )

    def is_image_only(self, block: Node) -> bool:
        if block.name != "paragraph":
            return False
        seen_image = False
        for node in block.children:
            name = node.name
            if name == "image":
                seen_image = True
            elif name == "text":
                if not self.is_blank(node):
                    return False
            elif name in _LINKS or name in _WRAPPERS:
                inner = self.unwrap(node)
                if inner.name in _LINKS:
                    if not all(
                        child.name == "image" or self.is_blank(child) for child in inner.children
                    ):
                        return False
                elif inner.name != "image":
                    return False
                seen_image = True
            elif name not in _BREAKS:
                return False
        return seen_image

    def with_definitions(self, body: str) -> str:
        """Append the reference definitions a body uses, since its slice lost them."""
        if not self.definitions or not _REFERENCE_USE.search(body):
            return body
        needed: list[str] = []
        for match in _REFERENCE.finditer(body):
            definition = self.definitions.get(_label(match.group(1)))
            if definition and definition not in needed and definition not in body:
                needed.append(definition)
        return body + "\n\n" + "\n".join(needed) if needed else body

    # outline and title

    def outline(self) -> _Outline:
        """Headings as a tree; every other top-level block belongs to the heading above it."""
        root = _Outline(0, None, "", None)
        stack = [root]
        for block in self.root.children:
            name = block.name
            if name in _HEADINGS:
                level = int(block.meta.get("level", 1))
                while stack[-1].level >= level:
                    stack.pop()
                title = _clean(_HEADING_ID.sub("", self.plain(list(block.children))))
                node = _Outline(level, block, title[:HEADING_TITLE_MAX_CHARS], stack[-1])
                node.url = next((url for url in self.links([block]) if _is_web(url)), None)
                stack[-1].children.append(node)
                stack.append(node)
            elif name == "definition":
                label = _label(str(block.meta.get("label", "")))
                if label and block.srcmap is not None:
                    self.definitions[label] = self.slice(*block.srcmap).strip()
            elif name == "html_block" and self.slice(*_srcmap(block)).lstrip().startswith("<!--"):
                continue  # comments hold templates and notes to editors, never items
            elif block.srcmap is not None:
                stack[-1].blocks.append(block)
        return root

    def title_from_h1(self, outline: _Outline) -> str | None:
        """The first H1 becomes the issue title unless it is one of several H1 sections."""
        h1s = [child for child in outline.children if child.level == 1]
        if not h1s:
            return None
        chosen = h1s[0]
        if len(h1s) > 1:
            # Several H1s: the first is a title only when it opens the document
            # and has no sub-headings while the others do.
            opens = outline.children[0] is chosen and all(
                self.is_image_only(block) for block in outline.blocks
            )
            if chosen.children or not opens or not any(h1.children for h1 in h1s[1:]):
                return None
        _dissolve(outline, chosen)
        return chosen.title or None

    # sections and roles

    def sections(self, root: _Outline, issue_title: str) -> list[ParsedSection]:
        self.issue_title = issue_title
        self.item_level = self._item_level(root)
        kinds = [self._kind(child) for child in root.children]
        prose = [
            child
            for child, kind in zip(root.children, kinds, strict=True)
            if kind in ("prose", "link")
        ]
        # Top headings that are mostly prose, none with sub-headings: a digest
        # with one heading per item lists them as items of one section; an
        # article (headings without source links) stays one item.
        self.flat = len(prose) >= 2 and 2 * len(prose) >= len(kinds) and "parent" not in kinds
        digest = 2 * sum(1 for child in prose if self._looks_like_item(child)) >= len(prose)
        if self.flat and not digest and all(kind in ("prose", "link", "empty") for kind in kinds):
            return [ParsedSection(title="", items=(self._heading_item(root),))]
        drafts: list[tuple[str, list[ParsedItem], list[Node]]] = []
        self._visit(root, [], drafts)
        sections = [
            ParsedSection(title=title, items=tuple(items), note=self._note(note))
            for title, items, note in drafts
            if items
        ]
        return sections or [self._whole_text_section()]

    def _looks_like_item(self, node: _Outline) -> bool:
        """A heading with a source: a link in it, a line that is only a link, or a short linked text."""
        if node.url:
            return True
        if not node.blocks:
            return False
        start, end = _srcmap(node.blocks[0])[0], _srcmap(node.blocks[-1])[1]
        if any(_is_web(url) for *_position, url in self.link_lines(start, end)):
            return True
        return end - start <= SHORT_ITEM_MAX_BYTES and any(
            _is_web(url) for url in self.links_between(start, end)
        )

    def _segments_of(self, node: _Outline) -> _Segments:
        key = id(node)
        if key not in self._segments:
            self._segments[key] = self._segment(node.blocks)
        return self._segments[key]

    def _kind(self, node: _Outline) -> str:
        if node.children:
            return "parent"
        segments = self._segments_of(node)
        if segments.grouped and segments.dominant:
            return "group"
        if segments.has_content:
            return "prose"
        return "link" if node.url else "empty"

    def _all_prose(self, node: _Outline) -> bool:
        if not node.children:
            return self._kind(node) != "group"
        return not self._segments_of(node).grouped and all(
            self._all_prose(child) for child in node.children
        )

    def _item_level(self, root: _Outline) -> int | None:
        """The heading level that most often holds an item: a prose heading under a section."""
        levels: Counter[int] = Counter()
        pending = list(root.children)
        while pending:
            node = pending.pop()
            pending.extend(node.children)
            if node.parent is not root and self._kind(node) in ("prose", "link"):
                levels[node.level] += 1
        if not levels:
            return None
        return max(levels.items(), key=lambda pair: (pair[1], pair[0]))[0]

    def _is_item(self, node: _Outline) -> bool:
        kind = self._kind(node)
        at_top = node.parent is None or node.parent.heading is None
        if kind in ("prose", "link"):
            return self.flat if at_top else True
        if kind == "parent" and self.item_level is not None and node.level >= self.item_level:
            # A heading at item level whose sub-headings are all prose is one
            # article with sub-sections, not a section of its own.
            return self._all_prose(node) and (self.flat if at_top else True)
        return False

    def _visit(
        self,
        node: _Outline,
        path: list[str],
        drafts: list[tuple[str, list[ParsedItem], list[Node]]],
    ) -> None:
        items: list[ParsedItem] = []
        segments = self._segments_of(node)
        drafts.append(
            (SECTION_PATH_SEPARATOR.join(part for part in path if part), items, segments.note)
        )
        for draft in segments.items:
            if not draft.title and not segments.grouped and not node.children:
                # The whole text under a heading (or of a document without
                # headings) is one item named after it.
                draft.title = node.title if node.heading is not None else self.issue_title
            # Only text before any heading (an intro, a whole article) goes
            # without a url when no line names its source.
            draft.source_only = draft.source_only and node.heading is None
            items.append(self._item(draft, node.title))
        for child in node.children:
            if self._is_item(child):
                items.append(self._heading_item(child))
            elif self._kind(child) != "empty":
                self._visit(child, [*path, child.title], drafts)

    def _whole_text_section(self) -> ParsedSection:
        links = self.links(list(self.root.children))
        if self.warnings:
            links = list(
                dict.fromkeys(match.rstrip(".,;:!?") for match in _BARE_URL.findall(self.text))
            )
        item = ParsedItem(
            title=self.issue_title,
            url=next((url for url in links if _is_web(url)), None),
            body=self.text.strip(),
            links=tuple(links),
        )
        return ParsedSection(title="", items=(item,))

    # items

    def _heading_item(self, node: _Outline) -> ParsedItem:
        blocks: list[Node] = []
        pending = [node]
        while pending:
            current = pending.pop(0)
            if current is not node and current.heading is not None:
                blocks.append(current.heading)
            blocks.extend(current.blocks)
            pending[0:0] = current.children
        scope = [node.heading, *blocks] if node.heading is not None else blocks
        title = node.title if node.heading is not None else self.issue_title
        spans = [_whole(block) for block in blocks]
        draft = _Draft(title, node.url, spans, scope, source_only=node.heading is None)
        return self._item(draft, "")

    def _item(self, draft: _Draft, fallback: str) -> ParsedItem:
        if draft.item is not None:
            return draft.item
        spans = draft.spans
        while spans and spans[0].block.name == "hr":
            spans = spans[1:]
        while spans and spans[-1].block.name == "hr":
            spans = spans[:-1]
        links = draft.links if draft.links is not None else self.links(draft.scope)
        url = draft.url or self._source_link(spans)
        if url is None and not draft.source_only:
            url = next((link for link in links if _is_web(link)), None)
        if url is not None and (not links or links[0] != url):
            links = [url, *(link for link in links if link != url)]
        title = draft.title or self._first_line(spans) or fallback or self.issue_title
        return ParsedItem(title=title, url=url, body=self._body(spans), links=tuple(links))

    def _source_link(self, spans: list[_Span]) -> str | None:
        """The first line that is only a link; cut from the body when it ends the body."""
        last = max((index for index, span in enumerate(spans) if span.start < span.end), default=-1)
        for index, span in enumerate(spans):
            block = span.block
            if block.name != "paragraph":
                continue
            for line_start, line_end, _link_start, url in self.link_lines(span.start, span.end):
                if not _is_web(url):
                    continue
                if index == last and not self.source[line_end : span.end].strip():
                    span.end = line_start
                    if not self.slice(span.start, span.end).strip():
                        span.start = span.end
                return url
        return None

    def _body(self, spans: list[_Span]) -> str:
        pieces: list[str] = []
        for span in spans:
            if span.start < span.end:
                text = self._span_text(
                    span.start, span.end, span.indent, span.start != _srcmap(span.block)[0]
                )
                if text:
                    pieces.append(text)
        return self.with_definitions("\n\n".join(pieces))

    def _span_text(self, start: int, end: int, indent: int, partial: bool) -> str:
        """Source bytes [start, end) as body text: dedented, and trimmed of blank lines."""
        text = self.slice(start, end)
        if indent:
            text = _dedent(text, indent)
        if partial:
            text = text.lstrip()
        text = text.strip("\n").rstrip()
        return text if text.strip() else ""

    def _note(self, blocks: list[Node]) -> str:
        pieces = [
            self.slice(*_srcmap(block)).strip() for block in blocks if not self.is_image_only(block)
        ]
        return self.with_definitions("\n\n".join(piece for piece in pieces if piece))

    def _first_line(self, spans: list[_Span]) -> str:
        for span in spans:
            if span.start >= span.end:
                continue
            block = span.block
            if block.name == "paragraph":
                if self.is_image_only(block):
                    continue
                lines = [
                    line for line in _lines(block.children) if _srcmap(line[0])[0] >= span.start
                ]
                for index, line in enumerate(lines):
                    text = _clean(self.plain(line, _TITLE_SCAN_CHARS))
                    if len(text) >= WRAPPED_LINE_MIN_CHARS and not text.endswith(_SENTENCE_ENDINGS):
                        # A long line cut mid-sentence is hard-wrapped prose:
                        # the title is its first sentence, not its first line.
                        for later in lines[index + 1 :]:
                            if len(text) >= _TITLE_SCAN_CHARS:
                                break
                            text += " " + self.plain(later, _TITLE_SCAN_CHARS)
                    text = _clip(text)
                    if text:
                        return text
            else:
                text = _clip(self.plain(list(block.children), _TITLE_SCAN_CHARS))
                if text:
                    return text
        return ""

    # segmentation of the blocks under one heading

    def _segment(self, blocks: list[Node]) -> _Segments:
        content = [block for block in blocks if block.name != "hr"]
        texts = [block for block in content if not self.is_image_only(block)]
        if not texts:
            return _Segments([], [], grouped=False, has_content=bool(content))
        if len(texts) > 1 or texts[0].name in _LISTS:
            leaders = self._leaders(blocks)
            lists = [block for block in blocks if block.name in _LISTS and id(block) not in leaders]
            entry_lists = {
                id(block)
                for block in lists
                if (len(block.children) > 1 or block is texts[0])
                and self._entries(block) is not None
            }
            if entry_lists:
                # Among lists of links, a one-entry list is one more entry; alone
                # after prose, it is part of that prose.
                entry_lists.update(id(block) for block in lists if self._entries(block) is not None)
            if leaders or entry_lists:
                grouped = self._grouped(blocks, leaders, entry_lists)
                if grouped is not None:
                    return grouped
            elif len(texts) >= WEAK_SPLIT_MIN_ITEMS:
                found = self._by_trailing_links(blocks) or self._by_rules(blocks)
                if found is not None:
                    return found
        trimmed = _trim_rules(blocks)
        return _Segments(
            [_Draft("", None, [_whole(block) for block in trimmed], trimmed, source_only=True)],
            [],
            False,
            True,
        )

    def _grouped(
        self, blocks: list[Node], leaders: dict[int, str], entry_lists: set[int]
    ) -> _Segments | None:
        items: list[_Draft] = []
        lead: list[Node] = []
        note: list[Node] = []
        current: _Draft | None = None
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
                current.spans.append(_whole(block))
                current.scope.append(block)
                current.links = None
                current.item = None
            elif not items:
                lead.append(block)
            else:
                note.append(block)
        if any(block.name in _ARTICLE_BLOCKS for block in lead):
            return None
        lead_size = _size([block for block in lead if not self.is_image_only(block)])
        if lead_size >= INTRO_ITEM_MIN_BYTES:
            trimmed = _trim_rules(lead)
            spans = [_whole(block) for block in trimmed]
            items.insert(0, _Draft("", None, spans, trimmed, source_only=True))
            dominant = _size(blocks) - lead_size > lead_size
            return _Segments(items, note, grouped=True, has_content=True, dominant=dominant)
        return _Segments(items, lead + note, grouped=True, has_content=True)

    def _by_trailing_links(self, blocks: list[Node]) -> _Segments | None:
        """Summaries each closed by a line that is only their source link."""
        closers: dict[int, Node] = {}
        for block in blocks:
            if block.name == "paragraph":
                link = self._trailing_link(block)
                if link is not None:
                    closers[id(block)] = link
        if len(closers) < WEAK_SPLIT_MIN_ITEMS:
            return None
        items: list[_Draft] = []
        pending: list[Node] = []
        for block in blocks:
            if block.name == "hr":
                continue
            pending.append(block)
            link = closers.get(id(block))
            if link is not None:
                title = _clip(self.plain(list(link.children)), HEADING_TITLE_MAX_CHARS)
                items.append(_Draft(title, None, [_whole(part) for part in pending], pending))
                pending = []
        return _Segments(items, pending, grouped=True, has_content=True)

    def _by_rules(self, blocks: list[Node]) -> _Segments | None:
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
        items = [_Draft("", None, [_whole(block) for block in chunk], chunk) for chunk in chunks]
        return _Segments(items, [], grouped=True, has_content=True)

    def _trailing_link(self, block: Node) -> Node | None:
        """The link node when the paragraph's last line holds only a link."""
        start, end = _srcmap(block)
        lines = self.link_lines(start, end)
        if not lines or self.source[lines[-1][1] : end].strip():
            return None
        return self.link_node_at(block, lines[-1][2])

    # leaders: a paragraph's first line that opens an item

    def _leaders(self, blocks: list[Node]) -> dict[int, str]:
        kinds: list[tuple[int, str, tuple[int, ...], bool]] = []
        for index, block in enumerate(blocks):
            if block.name == "paragraph":
                kind, value, more_lines = self._paragraph_leader(block)
                if kind:
                    kinds.append((index, kind, value, more_lines))
            elif block.name in _LISTS and len(block.children) == 1:
                kinds.append((index, "single", (), False))
        found: dict[int, str] = {}
        if not kinds:
            return found
        # A leader followed straight by another paragraph leader has no summary
        # (a list after a `**Company**` line is its summary: the jobs it offers).
        candidates = {index for index, kind, _value, _more in kinds if kind != "single"}
        by_kind: dict[str, list[tuple[int, tuple[int, ...], bool]]] = {}
        for index, kind, value, more_lines in kinds:
            by_kind.setdefault(kind, []).append((index, value, more_lines))
        for kind, members in by_kind.items():
            if kind.startswith("number:"):
                if _is_sequence([value for _index, value, _more in members]):
                    found.update((id(blocks[index]), kind) for index, _value, _more in members)
                continue
            # Bold, link and single-entry leaders must be followed by their summary.
            led = [
                index
                for index, _value, more_lines in members
                if more_lines
                or (
                    index + 1 < len(blocks)
                    and blocks[index + 1].name != "hr"
                    and index + 1 not in candidates
                )
            ]
            if kind == "single":
                led = [index for index in led if self._entries(blocks[index]) is not None]
            if len(led) < 2:
                continue
            if kind == "link" and self._ends_with_link(blocks):
                continue  # `summary / [link]` pairs: the links close items, they do not open them
            found.update((id(blocks[index]), kind) for index in led)
        return found

    def _ends_with_link(self, blocks: list[Node]) -> bool:
        for block in reversed(blocks):
            if block.name != "hr":
                return block.name == "paragraph" and self._trailing_link(block) is not None
        return False

    def _paragraph_leader(self, block: Node) -> tuple[str, tuple[int, ...], bool]:
        """('bold' | 'link' | 'number:<style>' | '', number, whether more lines follow)."""
        first: list[Node] = []
        more_lines = False
        for node in block.children:
            if node.name in _BREAKS:
                more_lines = True
                break
            if not self.is_blank(node):
                first.append(node)
        if not first:
            return "", (), False
        head = first[0]
        name = head.name
        if name == "strong" or name in _LINKS:
            if not all(
                node.name == "text" and not _has_alnum(self.text_of(node)) for node in first[1:]
            ):
                return "", (), False
            if name == "strong":
                if not self.plain(list(head.children)).strip():
                    return "", (), False
                return ("link" if self.unwrap(head).name in _LINKS else "bold"), (), more_lines
            return ("link" if self.url_of(head) else ""), (), more_lines
        if name not in ("text", "text_special"):
            return "", (), False
        text = self.head_text(head).lstrip()
        if not text or text[0] not in _NUMBER_STARTS:
            return "", (), False
        for style, pattern in _NUMBER_STYLES:
            match = pattern.match(text)
            if match:
                return f"number:{style}", _number_value(style, match.group(1)), more_lines
        return "", (), False

    def _leader_draft(self, block: Node, kind: str) -> _Draft:
        if kind == "single":
            draft, _leads = self._entry_draft(block.children[0])
            draft.scope = [block]
            return draft
        lines = _lines(block.children)
        first = [node for node in lines[0] if not self.is_blank(node)]
        end = _srcmap(block)[1]
        cut = _srcmap(lines[1][0])[0] if len(lines) > 1 else end
        url: str | None = None
        if kind in ("bold", "link"):
            head = self.unwrap(first[0])
            title = self.plain(list(head.children) if head.name in _LINKS else [first[0]])
            url = next((link for link in self.links([first[0]]) if _is_web(link)), None)
        else:
            pattern = _NUMBER_PATTERNS[kind.partition(":")[2]]
            title = pattern.sub(
                "", _clean(self.plain(lines[0], _TITLE_SCAN_CHARS)[:_TITLE_SCAN_CHARS]), count=1
            ).strip()
            link = next(
                (self.unwrap(node) for node in lines[0] if self.unwrap(node).name in _LINKS), None
            )
            if link is not None and self.url_of(link):
                title = self.plain(list(link.children))
                url = self.url_of(link)
            elif not title and len(lines) > 1:
                title = self.plain(lines[1], _TITLE_SCAN_CHARS)
                cut = _srcmap(lines[2][0])[0] if len(lines) > 2 else end
            elif len(title) > DERIVED_TITLE_MAX_CHARS:
                cut = _srcmap(block)[0]  # the title is clipped: keep the whole line in the body
        spans = [_Span(block, cut, end)] if cut < end else []
        return _Draft(_clip(title, HEADING_TITLE_MAX_CHARS), url, spans, [block])

    # list entries

    def _entries(self, block: Node) -> list[_Draft] | None:
        """Items of a list whose entries (at least half) carry a link in their first paragraph."""
        key = id(block)
        if key not in self._entry_cache:
            self._entry_cache[key] = self._entry_drafts(list(block.children))
        return self._entry_cache[key]

    def _entry_drafts(self, entries: list[Node]) -> list[_Draft] | None:
        drafts: list[_Draft | None] = [None] * len(entries)
        linked = unlinked = 0
        for index, entry in enumerate(entries):
            # An entry without any link cannot lead with one: no need to read
            # it unless the list turns out to be a list of items.
            if self._has_link(*_srcmap(entry)):
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
        return [
            draft or self._entry_draft(entry)[0]
            for draft, entry in zip(drafts, entries, strict=True)
        ]

    def _has_link(self, start: int, end: int) -> bool:
        index = bisect_left(self._link_starts, start)
        return index < len(self._link_starts) and self._link_starts[index] < end

    def _entry_draft(self, entry: Node) -> tuple[_Draft, bool]:
        """The entry as an item, and whether its first paragraph has a link."""
        entry_start, entry_end = _srcmap(entry)
        quick = self._quick_entry(entry, entry_start, entry_end)
        if quick is not None:
            return quick
        inline = _inline_children(entry)
        content_start = _srcmap(inline[0])[0] if inline else entry_start
        inline_end = _srcmap(inline[-1])[1] if inline else entry_start
        indent = content_start - (self.source.rfind(b"\n", 0, content_start) + 1)
        index = bisect_left(self._link_starts, entry_start)
        first_link = self._link_starts[index] if index < len(self._link_starts) else entry_end
        links = self.links_between(entry_start, entry_end)
        leads_with_link = first_link < inline_end
        first: list[Node] = []
        for node in inline:
            if node.name in _BREAKS:
                break
            if not self.is_blank(node):
                first.append(node)
        position = 0
        while (
            position < len(first)
            and first[position].name == "text"
            and _is_tag(self.text_of(first[position]))
        ):
            position += 1
        head = self.unwrap(first[position]) if position < len(first) else None
        head_url = self.url_of(head) if head is not None and head.name in _LINKS else None
        if head is not None and head_url is not None:
            # `[Title](url) - summary`: the link is the title, the rest the body.
            cut = self._skip_separator(_srcmap(first[position])[1], entry_end)
            title = _clip(self.plain(list(head.children)), HEADING_TITLE_MAX_CHARS)
            return _Draft(
                title, head_url, [_Span(entry, cut, entry_end, indent)], [entry], links
            ), True
        text = self.plain(inline, _TITLE_SCAN_CHARS) or self.plain(
            list(entry.children), _TITLE_SCAN_CHARS
        )
        text = _clean(text[:_TITLE_SCAN_CHARS])
        # `Title - summary`: only a separator before the first link counts, so a
        # dash inside a linked name (`| [Rust - Systems Meetup](...)`) does not.
        before_link = [node for node in inline if _srcmap(node)[1] <= first_link]
        separator = _TITLE_SEPARATOR.search(
            _clean(self.plain(before_link, _TITLE_SCAN_CHARS)[:_TITLE_SCAN_CHARS]) + " "
        )
        if separator and 0 < separator.start() <= ENTRY_TITLE_MAX_CHARS:
            prefix = text[: separator.start()]
            if _is_title_like(prefix) and text[separator.end() :].strip():
                text = prefix
        url = next((link for link in links if _is_web(link)), None)
        span = _Span(entry, content_start, entry_end, indent)
        return _Draft(_clip(text), url, [span], [entry], links), leads_with_link

    def _quick_entry(self, entry: Node, start: int, end: int) -> tuple[_Draft, bool] | None:
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
        if led is not None:
            tags = line[: led.start("link")]
            link_start = byte_offset + (len(tags) if tags.isascii() else len(tags.encode()))
            index = bisect_left(self._link_starts, link_start)
            if index == len(self._link_starts) or self._link_starts[index] != link_start:
                return None
            title = _clip(led.group("title").replace("`", ""), HEADING_TITLE_MAX_CHARS)
            if not title:
                return None
            url: str | None = self._link_urls[index]
            cut = self._skip_separator(self._link_ends[index], end)
            links = self.links_between(start, end)
            draft = _Draft(title, url, [_Span(entry, cut, end, indent)], [entry], links)
            body = (
                self.with_definitions(self._span_text(cut, end, indent, True)) if cut < end else ""
            )
            draft.item = ParsedItem(
                title=title, url=url, body=body, links=_url_first(self._link_urls[index], links)
            )
            return draft, True
        if newline >= 0:
            rest = source[newline + 1 : min(end, newline + 64)].decode("utf-8", "ignore")
            if rest.strip() and not _LIST_MARKER.match(rest.lstrip(" ")):
                return None  # the first paragraph runs on: leave it to the parser's view
        if _QUICK_SPECIAL.search(_QUICK_LINK.sub("", line)):
            return None
        positions: list[int] = []
        for link in _QUICK_LINK.finditer(line):
            position = byte_offset + len(line[: link.start()].encode("utf-8"))
            if position not in self._url_at:
                return None
            positions.append(position)
        links = self.links_between(start, end)
        text = _clean(_QUICK_LINK.sub(lambda link: link.group("title"), line))
        before_link = _clean(line[: line.find("[")] if positions else line)
        separator = _TITLE_SEPARATOR.search(before_link + " ")
        if separator and 0 < separator.start() <= ENTRY_TITLE_MAX_CHARS:
            prefix = text[: separator.start()]
            if _is_title_like(prefix) and text[separator.end() :].strip():
                text = prefix
        url = next((link for link in links if _is_web(link)), None)
        draft = _Draft(_clip(text), url, [_Span(entry, byte_offset, end, indent)], [entry], links)
        return draft, bool(positions)

    def _skip_separator(self, position: int, end: int) -> int:
        window = self.source[position : min(end, position + 16)].decode("utf-8", "ignore")
        match = _LEADING_SEPARATOR.match(window)
        return position + len(match.group(0).encode("utf-8")) if match else position


# --- helpers ------------------------------------------------------------------


def _srcmap(node: Node) -> tuple[int, int]:
    return node.srcmap or (0, 0)


def _size(blocks: list[Node]) -> int:
    return sum(end - start for start, end in map(_srcmap, blocks))


def _label(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _clean(text: str) -> str:
    """Whitespace collapsed, control characters dropped."""
    if text.isprintable() and "  " not in text:
        return text.strip()
    text = " ".join(text.split())
    return text if text.isprintable() else _CONTROL.sub("", text)


def _clip(text: str, limit: int = DERIVED_TITLE_MAX_CHARS) -> str:
    text = _clean(text[: 4 * limit + 16])
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [match.end() for match in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= 20:
        return head[: ends[-1]].strip()
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,，、;；:：-") + "…"


def _url_first(url: str, links: list[str]) -> tuple[str, ...]:
    if links and links[0] == url:
        return tuple(links)
    return (url, *(link for link in links if link != url))


def _is_web(url: str) -> bool:
    return url[:8].lower().startswith(_WEB_SCHEMES)


def _has_alnum(text: str) -> bool:
    return any(character.isalnum() for character in text)


def _inline_children(block: Node) -> list[Node]:
    """The inline nodes of a list entry's first paragraph, tight or loose."""
    inline: list[Node] = []
    for child in block.children:
        if child.name == "paragraph":
            return inline or list(child.children)
        if child.name in _BLOCKS:
            break
        inline.append(child)
    return inline


def _lines(nodes: Sequence[Node]) -> list[list[Node]]:
    lines: list[list[Node]] = [[]]
    for node in nodes:
        if node.name in _BREAKS:
            lines.append([])
        else:
            lines[-1].append(node)
    return [line for line in lines if line]


def _trim_rules(blocks: list[Node]) -> list[Node]:
    start, end = 0, len(blocks)
    while start < end and blocks[start].name == "hr":
        start += 1
    while end > start and blocks[end - 1].name == "hr":
        end -= 1
    return blocks[start:end]


def _is_title_like(text: str) -> bool:
    """Text with a letter and no bracket or quote left open (a cut inside a quote is no title)."""
    if not any(character.isalpha() for character in text):
        return False
    pairs = ("()", "（）", "[]", "“”", "「」", "《》", "『』")
    return text.count('"') % 2 == 0 and all(
        text.count(pair[0]) == text.count(pair[1]) for pair in pairs
    )


def _is_tag(content: str) -> bool:
    """A `[video]` style tag or a lone emoji before an entry's link."""
    content = content.strip()
    return bool(_TAG_PREFIX.match(content)) or (len(content) <= 3 and not _has_alnum(content))


def _cjk_number(text: str) -> int:
    if "十" not in text and "百" not in text:
        value = 0
        for character in text:
            value = value * 10 + _CJK_DIGITS.get(character, 0)
        return value
    value, current = 0, 0
    for character in text:
        if character in "十百":
            value += (current or 1) * (10 if character == "十" else 100)
            current = 0
        else:
            current = _CJK_DIGITS.get(character, 0)
    return value + current


def _number_value(style: str, token: str) -> tuple[int, ...]:
    if style == "decimal":
        return tuple(int(part) for part in token.split("."))
    if style == "circled":
        return (ord(token) - ord("①") + 1,)
    return (int(token),) if token.isdigit() else (_cjk_number(token),)


def _is_sequence(values: list[tuple[int, ...]]) -> bool:
    """Numbers that count up: at least two, strictly rising, mostly by one."""
    if len(values) < 2:
        return False
    pairs = list(pairwise(values))
    if any(later <= earlier for earlier, later in pairs):
        return False
    if len(values[0]) > 1:
        return True
    return 2 * sum(1 for earlier, later in pairs if later[0] - earlier[0] == 1) >= len(pairs)


def _dedent(text: str, indent: int) -> str:
    lines = text.split("\n")
    for index in range(1, len(lines)):
        line = lines[index]
        lines[index] = line[min(indent, len(line) - len(line.lstrip(" "))) :]
    return "\n".join(lines)


# --- the issue around the sections --------------------------------------------


def _drop_repeated_title(outline: _Outline, title: str) -> None:
    """A front-matter title repeated as the opening H1: the H1 is the title, not a section."""
    if outline.children:
        first = outline.children[0]
        if first.level == 1 and identity_text(first.title) == identity_text(title):
            _dissolve(outline, first)


def _dissolve(outline: _Outline, heading: _Outline) -> None:
    # The title's own text joins the intro; a title below earlier sub-headings
    # (rare) moves its text up to the intro rather than into a stranger's section.
    position = outline.children.index(heading)
    outline.blocks.extend(heading.blocks)
    for child in heading.children:
        child.parent = outline
    outline.children[position : position + 1] = heading.children


def _file_stem(file: str | None) -> str | None:
    return (PurePath(file).stem or None) if file else None


_DATE_KEYS = ("date", "published", "pubdate", "created", "updated", "modified")


def _written_date(meta: dict[str, object]) -> str | None:
    """The date the front matter gives, as written, if it gives one."""
    for key in _DATE_KEYS:
        value = meta.get(key)
        if value not in (None, ""):
            return str(value)[:40]
    return None


def _issue_date(meta: dict[str, object], file: str | None) -> datetime | None:
    for key in _DATE_KEYS:
        if key in meta:
            found = parse_date(meta[key])
            if found is not None:
                return found
    stem = _file_stem(file)
    match = _FILE_DATE.match(stem) if stem else None
    return parse_date(match.group(1)) if match else None


def _issue_url(meta: dict[str, object]) -> str | None:
    for key in ("url", "link", "canonical_url", "canonical", "permalink"):
        value = meta.get(key)
        if isinstance(value, str) and _is_web(value.strip()):
            return value.strip()
    return None
