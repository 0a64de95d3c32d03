"""E-mail chrome and footers: the buttons, mastheads and unsubscribe lines that are no items.

Cue words in small tables, tested on a block's links and text; the outline leaves such blocks out.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence

from reader.core.split_nodes import HEADING_NODES, LINK_NODES, NodeReader
from reader.core.split_text import clean
from reader.core.split_tree import Node

# A footer is at most this many top-level blocks at the end, none a heading.
FOOTER_MAX_BLOCKS = 8
# Blocks longer than this are content, whatever words they use.
FOOTER_BLOCK_MAX_BYTES = 600
# Between a footer's first cue and a `---` above it, at most this many short paragraphs.
FOOTER_LEAD_MAX_BLOCKS = 3
FOOTER_LEAD_MAX_BYTES = 300
# A footer block's source may be this many times the text it shows (links and
# line breaks of an address block) before it reads as content.
FOOTER_SOURCE_PER_TEXT = 4
# A paragraph ending a post on its own, `— END —`, `（完）`: what follows is a footer.
_END_MARK = re.compile(r"[\W_]*(?:(?:the\s+)?end|(?:全文)?完)[\W_]*", re.IGNORECASE)
END_MARK_MAX_BYTES = 24
# A paragraph holding a "view in browser" link is chrome when its text is this short.
MASTHEAD_MAX_CHARS = 100
# Chrome buttons may share their paragraph with this much other text (separators, a date).
BUTTON_TEXT_MAX_CHARS = 40
# The text of a `[text](url)` link as written, emphasis markers dropped.
# (An icon before the text, `[![](like.png)Like](url)`, is skipped.)
_LINK_LABEL = re.compile(r"\[[*_\s]*(?:!\[[^\[\]]*\]\([^()\s]*\)[*_\s]*)*([^\[\]]*?)[*_\s]*\]")
# Links that are e-mail buttons, whole: "Share", "Like", "Leave a comment".
_BUTTON = re.compile(
    r"^\W*(?:share(?: this(?: post| issue| email| newsletter)?)?|like|comments?|leave a comment"
    r"|restack|subscribe(?: now)?|upgrade(?: to paid)?|forward(?: to a friend)?|reply"
    r"|start writing|get the app|open in app|分享|点赞|在看|评论|留言|订阅|转发)\W*$",
    re.IGNORECASE,
)
# Links that point at the web copy or the subscription: mastheads and footers.
_MASTHEAD = re.compile(
    r"\b(?:view|read|open|see)\b.{0,24}\b(?:browser|online|web)\b|web version"
    r"|not displaying|unsubscribe|manage (?:your )?(?:subscription|preferences)"
    r"|update (?:your )?(?:subscription|preferences)|在浏览器|浏览器中|网页版|退订|取消订阅",
    re.IGNORECASE,
)
# What a footer says, in its text or its links' targets.
# ("Copyright" alone could be a story about copyright; "Copyright 2026" is a footer.)
_FOOTER = re.compile(
    r"unsubscribe|unsub\b|opt[ -]out|disable_email|optout|\u00a9|&copy;"
    r"|\bcopyright\s*(?:\(c\)|\d{4})|all rights reserved|you(?:'re| are)? receiv\w+ this"
    r"|退订|取消订阅|版权所有",
    re.IGNORECASE,
)
# Words one of the patterns above needs, looked for in a block's lower-cased
# UTF-8 source before anything is decoded: most blocks have none.
_HINTS = re.compile(
    b"|".join(
        re.escape(word.encode())
        for word in (
            *("share", "like", "comment", "restack", "subscri", "upgrade", "forward", "reply"),
            *("writing", "app", "browser", "online", "web", "displaying", "preferences"),
            *("分享", "点赞", "在看", "评论", "留言", "订阅", "转发", "浏览器", "网页版", "退订"),
        )
    )
)
# What a footer cue must contain, looked for in the lower-cased UTF-8 source
# before _FOOTER is run: most blocks have none. (Besides the ASCII words, the
# few other letters that _FOOTER, ignoring case, matches to ASCII ones.)
_FOOTER_HINTS = re.compile(
    "|".join(
        (
            *("unsub", "opt", "disable_email", "&copy;", "copyright", "all rights reserved"),
            *("receiv", "\u00a9", "退订", "取消订阅", "版权所有", "\u0130", "\u0131", "\u017f"),
            "\u212a",
        )
    ).encode()
)
# A link's text in the UTF-8 source, around what _LINK_LABEL reads from it.
_LINK_TEXT = re.compile(rb"\[(?:!\[[^\[\]]*\]\([^()\s]*\))*([^\[\]]*)\]")
# The words of _HINTS and the few other letters that _BUTTON and _MASTHEAD,
# ignoring case, match to ASCII ones: what a button's text must contain.
_BUTTON_HINTS = re.compile(_HINTS.pattern + "|\u0130|\u0131|\u017f|\u212a".encode())


def _might_be_button(source: bytes, start: int, end: int) -> bool:
    """False only when the link at source bytes [start, end) surely is no button."""
    text = _LINK_TEXT.match(source, start, end)
    return text is not None and _BUTTON_HINTS.search(text.group(1).lower()) is not None


def _might_be_chrome(source: bytes) -> bool:
    """Whether a block's source has a word that e-mail buttons and mastheads use."""
    return _HINTS.search(source.lower()) is not None


def _might_be_footer(source: bytes) -> bool:
    """False only when the source surely has no footer cue."""
    return _FOOTER_HINTS.search(source.lower()) is not None


def is_button(link_text: str) -> bool:
    """A link that is an e-mail button or a masthead link rather than a story."""
    return bool(_BUTTON.match(link_text) or _MASTHEAD.search(link_text))


def is_masthead_link(link_text: str) -> bool:
    """A link to the issue's web copy or to the subscription settings."""
    return bool(_MASTHEAD.search(link_text))


def has_footer_cue(source_text: str) -> bool:
    """Source text (links' targets included) that says it is an e-mail footer."""
    return bool(_FOOTER.search(source_text))


def is_chrome(reader: NodeReader, block: Node) -> bool:
    """A short paragraph of e-mail buttons or a masthead with a "view in browser" link."""
    if block.name != "paragraph":
        return False
    start, end = block.start, block.end
    if end - start > FOOTER_BLOCK_MAX_BYTES:
        return False
    # Read the link labels off the source first: most paragraphs are let go
    # without walking their nodes, and most at a glance at their links' texts.
    link_starts = reader.link_starts
    first = bisect_left(link_starts, start)
    last = bisect_left(link_starts, end, first)
    if first == last:
        return False
    source = reader.source
    link_ends = reader.link_ends
    for index in range(first, last):
        if _might_be_button(source, link_starts[index], link_ends[index]):
            break
    else:
        return False
    if not _might_be_chrome(source[start:end]):
        return False
    labels = [
        _LINK_LABEL.match(reader.slice(reader.link_starts[index], reader.link_ends[index]))
        for index in range(first, last)
    ]
    if not any(label is not None and is_button(label.group(1)) for label in labels):
        return False
    links = [node for node in block.walk() if node.name in LINK_NODES]
    texts = [clean(reader.plain(list(link.children))) for link in links]
    if not texts:
        return False
    plain = clean(reader.plain(list(block.children)))
    if any(is_masthead_link(text) for text in texts) and len(plain) <= MASTHEAD_MAX_CHARS:
        return True
    other = len(plain) - sum(len(text) for text in texts)
    return all(is_button(text) for text in texts) and other <= BUTTON_TEXT_MAX_CHARS


def footer_start(reader: NodeReader, blocks: Sequence[Node]) -> int:
    """Where the e-mail footer begins among the top-level blocks (their count when there is none).

    The footer is the first of the last few blocks that names an unsubscribe
    link or a copyright, or that marks the end of the post (`— END —`), with
    the `---`, the row of social icons and the short sign-off above it.
    """
    start = len(blocks)
    source = reader.source
    for index in range(len(blocks) - 1, max(-1, len(blocks) - 1 - FOOTER_MAX_BLOCKS), -1):
        block = blocks[index]
        if block.name in HEADING_NODES:
            break
        block_start, block_end = block.start, block.end
        size = block_end - block_start
        if (
            size <= FOOTER_BLOCK_MAX_BYTES * FOOTER_SOURCE_PER_TEXT
            and _might_be_footer(source[block_start:block_end])
            and has_footer_cue(reader.slice(block_start, block_end))
            and (
                size <= FOOTER_BLOCK_MAX_BYTES
                or len(reader.plain(list(block.children))) <= FOOTER_BLOCK_MAX_BYTES
            )
        ) or (
            size <= END_MARK_MAX_BYTES
            and block.name == "paragraph"
            and _END_MARK.fullmatch(reader.slice(block_start, block_end).strip())
        ):
            start = index
    if start == len(blocks):
        return start
    found = start
    for back in range(1, FOOTER_LEAD_MAX_BLOCKS + 2):
        index = start - back
        if index < 0:
            break
        block = blocks[index]
        if block.name == "hr":
            return index
        block_start, block_end = block.start, block.end
        if block.name == "paragraph" and _is_icon_row(reader, block):
            found = index  # `[![Facebook](...)](...) [![RSS](...)](...)`
            continue
        if (
            block.name != "paragraph"
            or block_end - block_start > FOOTER_LEAD_MAX_BYTES
            or (reader.has_link(block_start, block_end) and not is_chrome(reader, block))
        ):
            break  # a short last item between the rule and the footer stays
    return found


def _is_icon_row(reader: NodeReader, block: Node) -> bool:
    """A paragraph of links that show only pictures (social icons), nothing else."""
    links = 0
    for child in block.children:
        if child.name in LINK_NODES:
            if not child.children or any(
                node.name != "image" and not reader.is_blank(node) for node in child.children
            ):
                return False
            links += 1
        elif not reader.is_blank(child):
            return False
    return links > 0
