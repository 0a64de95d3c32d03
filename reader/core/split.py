"""Markdown text -> ParsedIssue: sections from headings, items from headings, list entries and leaders.

Pure: one markdown-it-pyrs parse per document; item bodies are slices of the source, so they stay Markdown.
This module reads the outline and decides what each heading is; below it, in layers,
split_items cuts items from drafts, split_blocks segments the text under one heading,
split_leaders and split_entries find items in paragraphs and lists, split_nodes reads
the parsed document, and split_chrome leaves out e-mail buttons and footers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import PurePath

from reader.core.frontmatter import parse_date, parse_front_matter
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection, identity_text
from reader.core.split_chrome import footer_start, is_chrome
from reader.core.split_drafts import Draft, Lead, Segments, Span
from reader.core.split_items import ItemWriter
from reader.core.split_nodes import HEADING_NODES, LIST_NODES
from reader.core.split_text import (
    BARE_URL,
    HEADING_TITLE_MAX_CHARS,
    NUMBER_STARTS,
    TITLE_SCAN_CHARS,
    clean,
    is_sequence,
    is_web,
    label_key,
)
from reader.core.split_tree import Node

SECTION_PATH_SEPARATOR = " › "
UNTITLED_ISSUE = "Untitled"
# A heading's text up to this size with a link in it reads as a digest item
# rather than a chapter of an article.
SHORT_ITEM_MAX_BYTES = 2000
# A bold line this short over bold-titled items names a section; it nests below
# every real heading (levels 1-6).
LABEL_MAX_CHARS = 60
LABEL_LEVEL = 7
_LABEL_ENDINGS = (".", "!", "?", "。", "！", "？", "…")
# `#Favorites`: a heading written without the space CommonMark needs.
_PSEUDO_HEADING = re.compile(r"(#{1,6})(?=[^\W\d_])[^\n#]{1,60}")
_HEADING_ID = re.compile(r"\s*\{#[\w:.\-]+\}\s*$")
_FILE_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[-_]|$)")
_DATE_KEYS = ("date", "published", "pubdate", "created", "updated", "modified")


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
    title = clean(str(meta.get("title") or meta.get("subject") or ""))
    if title:
        _drop_repeated_title(outline, title)
    else:
        title = (
            splitter.title_from_h1(outline) or fallback_title or _file_stem(file) or UNTITLED_ISSUE
        )
    _dissolve_subtitle(outline, splitter)
    _drop_contents(outline, splitter)
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


@dataclass(eq=False)
class _Outline:
    """A heading with the blocks up to its first sub-heading, and its sub-headings."""

    level: int
    heading: Node | None
    title: str
    # Whether its parent is the root (the text before any heading). No link to
    # the parent itself: the tree then holds no cycle, and is freed as soon as
    # the split is done rather than by the garbage collector.
    top: bool
    url: str | None = None
    blocks: list[Node] = field(default_factory=list)
    children: list[_Outline] = field(default_factory=list)
    # How its blocks split, once asked (the outline no longer changes then).
    segments: Segments | None = None


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
        child.top = outline.heading is None
    outline.children[position : position + 1] = heading.children


def _dissolve_subtitle(outline: _Outline, splitter: _Splitter) -> None:
    """A heading right under the title and deeper than the sections after it is a subtitle.

    (An e-mail's `<h3>` teaser between its `<h1>` and its first `<h2>`.) It
    opens the intro, and names it, instead of becoming a section.
    """
    children = outline.children
    if (
        len(children) >= 2
        and children[0].heading is not None
        and children[0].heading.name in HEADING_NODES
        and not children[0].children
        and children[0].level > children[1].level
        and all(splitter.is_image_only(block) for block in outline.blocks)
    ):
        subtitle = children[0]
        if subtitle.heading is not None:
            subtitle.blocks.insert(0, subtitle.heading)
        _dissolve(outline, subtitle)


def _drop_contents(outline: _Outline, splitter: _Splitter) -> None:
    """An issue's own table of contents (a list of links to its anchors) is no item.

    A heading over such a list (`## In this issue`) only labels it: the
    prose below the list joins the text above the heading.
    """
    first = outline.blocks[0] if outline.blocks else None
    if first is not None and first.name in LIST_NODES and splitter.is_contents_list(first):
        del outline.blocks[0]
    for child in list(outline.children):
        blocks = child.blocks
        if (
            child.heading is not None
            and blocks
            and blocks[0].name in LIST_NODES
            and splitter.is_contents_list(blocks[0])
        ):
            del blocks[0]
            if blocks or child.children:
                _dissolve(outline, child)
            else:
                outline.children.remove(child)
        _drop_contents(child, splitter)


def _file_stem(file: str | None) -> str | None:
    return (PurePath(file).stem or None) if file else None


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
        if isinstance(value, str) and is_web(value.strip()):
            return value.strip()
    return None


class _Splitter(ItemWriter):
    """One document: its outline, the role of each heading, and the sections that come of it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.item_level: int | None = None
        self.flat = False
        # Ids of the items cut at their own heading, below their section's.
        self.heading_items: set[int] = set()

    def outline(self) -> _Outline:
        """Headings as a tree; every other top-level block belongs to the heading above it.

        E-mail chrome (buttons, "view in browser") and the footer are left out.
        """
        root = _Outline(0, None, "", top=False)
        stack = [root]
        blocks = self.root.children
        blocks = blocks[: footer_start(self, blocks)]
        pseudo = (
            self._pseudo_headings(blocks) | self._bold_labels(blocks) | self._number_labels(blocks)
        )
        for block in blocks:
            name = block.name
            if name in HEADING_NODES or (pseudo and id(block) in pseudo):
                level = pseudo.get(id(block)) or int(block.meta.get("level", 1))
                while stack[-1].level >= level:
                    stack.pop()
                title = self.plain(list(block.children))
                if id(block) in pseudo:
                    title = title.lstrip("#").rstrip(":：")
                title = clean(_HEADING_ID.sub("", title) if "{#" in title else title)
                title = title[:HEADING_TITLE_MAX_CHARS]
                node = _Outline(level, block, title, top=stack[-1] is root)
                if self.has_link(block.start, block.end):
                    node.url = next((url for url in self.links([block]) if is_web(url)), None)
                stack[-1].children.append(node)
                stack.append(node)
            elif name == "definition":
                label = label_key(str(block.meta.get("label", "")))
                if label and block.mapped:
                    self.definitions[label] = self.slice(block.start, block.end).strip()
            elif name == "html_block" and self.slice(block.start, block.end).lstrip().startswith(
                "<!--"
            ):
                continue  # comments hold templates and notes to editors, never items
            elif block.mapped and (name != "paragraph" or not is_chrome(self, block)):
                stack[-1].blocks.append(block)
        return root

    def is_contents_list(self, block: Node) -> bool:
        """A list whose entries are only links to the issue's own anchors (`[Jobs](#jobs)`)."""
        entries = block.children
        return len(entries) >= 2 and all(self._is_anchor_entry(entry) for entry in entries)

    def _is_anchor_entry(self, entry: Node) -> bool:
        nodes = entry.children
        if len(nodes) == 1 and nodes[0].name == "paragraph":
            nodes = nodes[0].children
        inline = [node for node in nodes if not self.is_blank(node)]
        if len(inline) != 1:
            return False
        link = self.unwrap(inline[0])
        return link.name == "link" and str(link.parsed.meta.get("url", "")).startswith("#")

    def _pseudo_headings(self, blocks: Sequence[Node]) -> dict[int, int]:
        """`#Favorites` lines (no space after the `#`) used as headings, by block id, with their level.

        Plain-text e-mails write section names so; two or more such lines make
        a pattern, one alone is more likely a hashtag.
        """
        found: dict[int, int] = {}
        for block in blocks:
            if block.name == "paragraph" and self.source.startswith(b"#", block.start):
                match = _PSEUDO_HEADING.fullmatch(self.slice(block.start, block.end).strip())
                if match:
                    found[id(block)] = len(match.group(1))
        return found if len(found) >= 2 else {}

    def _number_labels(self, blocks: Sequence[Node]) -> dict[int, int]:
        """Short numbered lines whose numbering holds another one: section names.

        (`一、新品速递` over `1、[Title](url)`, `2、...`, then `二、使用技巧` over
        `1、...` again.) A numbering counts as sections when it counts up, its
        lines are short text without links, and the other numbering starts
        again at 1 after two or more of them.
        """
        numbered: list[tuple[int, Lead]] = []
        source = self.source
        for index, block in enumerate(blocks):
            if block.name != "paragraph" or block.start >= len(source):
                continue
            first = source[block.start : block.start + 3].decode("utf-8", "ignore")[:1]
            if first not in NUMBER_STARTS:
                continue  # most paragraphs: a letter or a sign opens them, no number
            lead = self._paragraph_leader(block)
            if lead.kind.startswith("number:"):
                numbered.append((index, lead))
        if len(numbered) < 4 or len({lead.kind for _index, lead in numbered}) < 2:
            return {}
        for kind in dict.fromkeys(lead.kind for _index, lead in numbered):
            positions = [at for at, (_index, lead) in enumerate(numbered) if lead.kind == kind]
            labels = [numbered[at] for at in positions]
            if (
                len(labels) < 2
                or any(lead.more_lines or lead.url for _index, lead in labels)
                or not is_sequence([lead.value for _index, lead in labels])
            ):
                continue
            restarts = sum(
                1
                for at in positions
                if at + 1 < len(numbered)
                and numbered[at + 1][1].kind != kind
                and numbered[at + 1][1].value == (1,)
            )
            if restarts < 2:
                continue
            found: dict[int, int] = {}
            for index, _lead in labels:
                block = blocks[index]
                text = clean(self.plain(list(block.children), TITLE_SCAN_CHARS))
                if len(text) > LABEL_MAX_CHARS or text.endswith(_LABEL_ENDINGS):
                    return {}
                found[id(block)] = LABEL_LEVEL
            return found
        return {}

    def _bold_labels(self, blocks: Sequence[Node]) -> dict[int, int]:
        """Short bold lines over items that open with a bold or linked title: section names.

        (`**Tools**` over `**[ripgrep](url)** — ...`.) They nest below any real
        heading; two or more make a pattern. A bold line over prose or a list is
        an item's title instead.
        """
        found: dict[int, int] = {}
        if b"**" not in self.source and b"__" not in self.source:
            return found  # no bold text at all
        for index, (block, after) in enumerate(pairwise(blocks)):
            if block.name != "paragraph" or after.name != "paragraph":
                continue
            lead = self._paragraph_leader(block)
            if lead.kind != "bold" or lead.more_lines or lead.summary_at is not None:
                continue
            following = self._paragraph_leader(after)
            if following.kind not in ("bold", "link") or not (
                following.more_lines
                or following.summary_at is not None
                or self._leads_summary(blocks, index + 2)
            ):
                continue
            text = clean(self.plain(list(block.children), TITLE_SCAN_CHARS))
            if len(text) <= LABEL_MAX_CHARS and not text.endswith(_LABEL_ENDINGS):
                found[id(block)] = LABEL_LEVEL
        return found if len(found) >= 2 else {}

    def _leads_summary(self, blocks: Sequence[Node], index: int) -> bool:
        """Whether the block at `index` is a paragraph of summary (no title line of its own).

        (`**Label**` / `**Title**` / summary: the title alone on its line still
        opens an item, so the bold line above it names a section.)
        """
        if index >= len(blocks) or blocks[index].name != "paragraph":
            return False
        block = blocks[index]
        return not self._paragraph_leader(block).kind and not self.is_image_only(block)

    def title_from_h1(self, outline: _Outline) -> str | None:
        """The first H1 becomes the issue title unless it is one of several H1 sections."""
        h1s = [
            child
            for child in outline.children
            if child.level == 1
            and child.heading is not None
            and child.heading.name in HEADING_NODES
        ]
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
        if self._is_article(drafts, headed=bool(root.children)):
            return [ParsedSection(title="", items=(self._heading_item(root),))]
        sections = [
            ParsedSection(title=title, items=tuple(items), note=self._note(note))
            for title, items, note in drafts
            if items
        ]
        return sections or [self._whole_text_section()]

    def _is_article(
        self, drafts: list[tuple[str, list[ParsedItem], list[Node]]], *, headed: bool
    ) -> bool:
        """Whether the items cut from the text are parts of one article rather than a digest's.

        A digest's items each point to a source (a link that opens them, stands
        on a line of its own or closes them). An article's parts only hold
        links inside their prose. Unless a heading groups item headings, when
        no part points to a source, or, in a text without headings, when most
        parts and the paragraphs between them hold no link at all, the document
        is one text.
        """
        items = [item for _title, found, _note in drafts for item in found]
        if len(items) < 2 or any(
            title and sum(1 for item in found if id(item) in self.heading_items) >= 2
            for title, found, _note in drafts
        ):
            return False  # a heading over item headings: a digest's section
        sourced = sum(1 for item in items if id(item) in self.sourced)
        if not sourced:
            return True
        if headed:
            return False
        # Without headings, the parts that hold a link at all count against the prose: a
        # round-up of links (a sentence each, its link inside) stays a digest.
        linked = sum(1 for item in items if id(item) in self.sourced or item.url is not None)
        prose = sum(
            1 for _title, _found, note in drafts for block in note if not self.is_image_only(block)
        )
        return 2 * linked < len(items) + prose

    def _looks_like_item(self, node: _Outline) -> bool:
        """A heading with a source: a link in it, a line that is only a link, or a short linked text."""
        if node.url:
            return True
        if not node.blocks:
            return False
        start, end = node.blocks[0].start, node.blocks[-1].end
        if any(is_web(url) for *_position, url in self.link_lines(start, end)):
            return True
        return end - start <= SHORT_ITEM_MAX_BYTES and any(
            is_web(url) for url in self.links_between(start, end)
        )

    def _segments_of(self, node: _Outline) -> Segments:
        if node.segments is None:
            node.segments = self._segment(node.blocks, headed=node.heading is not None)
        return node.segments

    def _kind(self, node: _Outline) -> str:
        if node.children:
            return "parent"
        segments = node.segments or self._segments_of(node)
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
            if not node.top and self._kind(node) in ("prose", "link"):
                levels[node.level] += 1
        if not levels:
            return None
        return max(levels.items(), key=lambda pair: (pair[1], pair[0]))[0]

    def _is_item(self, node: _Outline, item_levels: frozenset[int] = frozenset()) -> bool:
        """Whether the heading is an item; `item_levels` are those of its siblings that are items."""
        kind = self._kind(node)
        at_top = node.top
        if kind in ("prose", "link"):
            return self.flat if at_top else True
        if kind == "parent" and (
            (self.item_level is not None and node.level >= self.item_level)
            or (node.level in item_levels and self._looks_like_item(node))
        ):
            # A heading at item level whose sub-headings are all prose is one
            # article with sub-sections, not a section of its own; so is one
            # with a source of its own at the level of sibling items.
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
        for draft in segments.drafts():
            if not draft.title and not segments.grouped and not node.children:
                # The whole text under a heading (or of a document without
                # headings) is one item named after it.
                draft.title = node.title if node.heading is not None else self.issue_title
            # Only text before any heading (an intro, a whole article) goes
            # without a url when no line names its source.
            draft.source_only = draft.source_only and node.heading is None
            items.append(self._item(draft, node.title))
        # Below a section, prose headings are its items, and a sibling at their
        # level with sub-headings of its own is one too (an article with parts).
        item_levels = frozenset(
            child.level
            for child in node.children
            if not child.top and self._kind(child) in ("prose", "link")
        )
        title = drafts[-1][0]
        interrupted = False
        for child in node.children:
            if self._is_item(child, item_levels):
                if interrupted:
                    # Items after a sub-section continue this section below it:
                    # sections stay contiguous in reading order.
                    items = []
                    drafts.append((title, items, []))
                    interrupted = False
                item = self._heading_item(child)
                self.heading_items.add(id(item))
                items.append(item)
            elif self._kind(child) != "empty":
                below = len(drafts)
                self._visit(child, [*path, child.title], drafts)
                interrupted = interrupted or any(found for _title, found, _note in drafts[below:])

    def _whole_text_section(self) -> ParsedSection:
        links = self.links(list(self.root.children))
        if self.warnings:
            links = list(
                dict.fromkeys(match.rstrip(".,;:!?") for match in BARE_URL.findall(self.text))
            )
        item = ParsedItem(
            title=self.issue_title,
            url=next((url for url in links if is_web(url)), None),
            body=self.text.strip(),
            links=tuple(links),
        )
        return ParsedSection(title="", items=(item,))

    def _heading_item(self, node: _Outline) -> ParsedItem:
        blocks = list(node.blocks)
        pending = list(node.children)
        while pending:
            current = pending.pop(0)
            if current.heading is not None:
                blocks.append(current.heading)
            blocks.extend(current.blocks)
            pending[0:0] = current.children
        scope = [node.heading, *blocks] if node.heading is not None else blocks
        title = node.title if node.heading is not None else self.issue_title
        spans = [Span(block, block.start, block.end) for block in blocks]
        draft = Draft(title, node.url, spans, scope, source_only=node.heading is None)
        return self._item(draft, "")
