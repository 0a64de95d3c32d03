"""HTML (feed content, e-mail bodies, blog pages) -> Markdown, and HTML -> ParsedIssue.

Pure: html-to-markdown converts; links are then resolved and only http(s)/mailto kept.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from urllib.parse import urljoin

from html_to_markdown import CodeBlockStyle, HeadingStyle, NewlineStyle
from html_to_markdown._html_to_markdown import ConversionOptions, convert

from reader.core.frontmatter import parse_date, parse_front_matter
from reader.core.model import ParsedIssue
from reader.core.split import split_markdown

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_IMAGE_SCHEMES = ("http://", "https://")
# What blog engines put in a heading's link to itself.
_ANCHOR_SYMBOLS = frozenset("#¶§🔗⚓∞")
# Keys of the metadata block html-to-markdown writes from <head>.
_DATE_KEYS = (
    "meta-article:published_time",
    "meta-date",
    "meta-dc.date",
    "meta-pubdate",
    "meta-og:published_time",
    "date",
)
# A destination that is not already an absolute web or mail link needs work.
_NEEDS_REWRITE = re.compile(r"\]\(<?(?!https?://|mailto:)", re.IGNORECASE)
# `](destination "title")` as html-to-markdown writes it: `<...>` or balanced parentheses.
# (Unrolled, and possessive where giving back could never help a match: the
# same matches as the plain alternation, found without backtracking.)
_LINK_TAIL = re.compile(
    r'\]\((<[^<>\n]*+>|[^()\s]*+(?:\([^()\s]*+\)[^()\s]*+)*+)(?:\s+"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+")?\)'
)
_FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_TABLE_TAG = re.compile(r"<(/?)(?:table|thead|tbody|tfoot|tr|td|th)\b[^>]*>", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "div", "table", "blockquote", "pre", "hr"}
)
# A link around blocks (a bookmark card) holds at most this much HTML.
CARD_MAX_CHARS = 4000
# (Case spelled out rather than ignored: the regex engine then finds the `<`
# quickly instead of trying every position.)
_LINK_OPEN = re.compile(r"<[aA]\b([^>]*)>")
_LINK_CLOSE = re.compile(r"</[aA]\s*>")
_BLOCK_IN_LINK = re.compile(r"<(?:div|p|h[1-6])\b", re.IGNORECASE)
_BLOCK_TAG = re.compile(
    r"(</?(?:div|p|h[1-6]|section|header|footer|figcaption|ul|ol|li|br)\b[^>]*>)", re.IGNORECASE
)
# The name of an opening tag (a closing one reads as a paragraph again).
_TAG_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)")
_INLINE_TAG = re.compile(r"<[^>]*>")
_IMAGE_TAG = re.compile(r"<(?:img|svg|picture|source)\b[^>]*>|</(?:svg|picture)>", re.IGNORECASE)
# A picture one pixel wide or high (or none): an e-mail's open tracker or a spacer.
_PIXEL_IMAGE = re.compile(
    r"<img\b[^>]*?\s(?:width|height)\s*=\s*[\"']?[01](?:px)?(?=[\"'\s/>])[^>]*>", re.IGNORECASE
)
_UNSAFE_IN_URL = re.compile(r"[\s<>]")
_DROPPED_IN_URL = re.compile(r"[\t\n\r]")
_TRIMMED_AROUND_URL = "".join(chr(code) for code in range(33))
# Built once, in the native form: the package's `convert` would otherwise
# translate its Python options on every call, which costs about half as much
# as converting a whole entry. No visitor: a Python visitor makes
# html-to-markdown 2-3x slower, while rewriting the few links that need it
# afterwards costs next to nothing.
_OPTIONS = ConversionOptions(
    extract_metadata=True,
    autolinks=False,
    heading_style=HeadingStyle.ATX,
    code_block_style=CodeBlockStyle.BACKTICKS,
    newline_style=NewlineStyle.BACKSLASH,
)


def html_to_markdown(html: str, base_url: str | None = None) -> str:
    """Convert HTML to Markdown; relative links resolve against `base_url`, unsafe ones become text."""
    return _convert(html, base_url)[1]


def split_html(
    html: str,
    *,
    fallback_title: str | None = None,
    file: str | None = None,
    base_url: str | None = None,
) -> ParsedIssue:
    """Convert HTML to Markdown and split it into sections and items."""
    meta, markdown = _convert(html, base_url)
    # The page's <title> names it better than a file name does, and worse than its H1.
    page_title = " ".join(str(meta.get("title") or "").split()) or None
    issue = split_markdown(markdown, fallback_title=page_title or fallback_title, file=file)
    if issue.date is None:
        for key in _DATE_KEYS:
            found = parse_date(meta.get(key))
            if found is not None:
                return dataclasses.replace(issue, date=found)
    return issue


def _convert(html: str, base_url: str | None) -> tuple[dict[str, object], str]:
    """(metadata from <head>, Markdown body)."""
    if "<img" in html or "<IMG" in html:
        html = _PIXEL_IMAGE.sub("", html)
    html = _unwrap_block_links(_unwrap_layout_tables(html))
    meta, markdown = parse_front_matter(convert(html, _OPTIONS).content or "")
    if _NEEDS_REWRITE.search(markdown):
        markdown = _rewrite_links(markdown, base_url)
    markdown = markdown.strip("\n")
    return meta, markdown + "\n" if markdown.strip() else ""


def _unwrap_layout_tables(html: str) -> str:
    """Tables used for layout (e-mail templates) become plain blocks.

    A cell holding headings, paragraphs or lists is layout, not data; as a
    Markdown table it would flatten a whole newsletter into one row.
    """
    if "<t" not in html and "<T" not in html:
        return html
    depth = 0
    for tag in _TAG.finditer(html):
        closing, name = tag.group(1), tag.group(2).lower()
        if name in ("td", "th"):
            depth = max(0, depth - 1) if closing else depth + 1
        elif depth and not closing and name in _BLOCK_TAGS:
            return _TABLE_TAG.sub(lambda match: f"<{match.group(1)}div>", html)
    return html


def _unwrap_block_links(html: str) -> str:
    """Links wrapped around blocks (bookmark cards) become a linked title and plain paragraphs.

    Blog and newsletter engines render a link preview as one `<a>` holding
    the title, the description and the site name in `<div>`s; converted as it
    is, all of it would be one run-on link text.
    """
    if "<a" not in html and "<A" not in html:
        return html
    pieces: list[str] = []
    position = 0
    for opening in _LINK_OPEN.finditer(html):
        if opening.start() < position:
            continue  # inside the card just rewritten
        # A card is small: looking no further keeps hostile pages with
        # thousands of unclosed links linear.
        closing = _LINK_CLOSE.search(html, opening.end(), opening.end() + CARD_MAX_CHARS)
        if closing is None:
            continue
        start, end = opening.end(), closing.start()
        if (
            html.find("<", start, end) < 0
            or not _BLOCK_IN_LINK.search(html, start, end)
            or _LINK_OPEN.search(html, start, end)
        ):
            continue  # no blocks inside, or a link left open: not a card
        card = _card_as_paragraphs(opening.group(1), html[start:end])
        if card is not None:
            pieces.append(html[position : opening.start()])
            pieces.append(card)
            position = closing.end()
    if not pieces:
        return html
    pieces.append(html[position:])
    return "".join(pieces)


def _card_as_paragraphs(attributes: str, inner: str) -> str | None:
    """The card's texts as blocks, the first one linked; headings stay headings."""
    pieces: list[tuple[str, str]] = []  # (block tag, text)
    tag = "p"
    for index, part in enumerate(_BLOCK_TAG.split(inner)):
        if index % 2:
            opening = _TAG_NAME.match(part)
            tag = opening.group(1).lower() if opening else "p"
            continue
        # Icons and thumbnails go; emphasis and code inside the texts stay.
        text = _IMAGE_TAG.sub("", part).strip()
        if _INLINE_TAG.sub("", text).strip():
            pieces.append((tag if tag[0] == "h" and tag[1:].isdigit() else "p", text))
    if not pieces:
        return None
    (first_tag, first_text), rest = pieces[0], pieces[1:]
    head = f"<{first_tag}><a{attributes}>{first_text}</a></{first_tag}>"
    return head + "".join(f"<{tag}>{text}</{tag}>" for tag, text in rest)


def _rewrite_links(markdown: str, base_url: str | None) -> str:
    """Resolve relative links, drop images that cannot show, turn unsafe links into their text."""
    # Images first: they sit inside links (`[![logo](src)](href)`), and a
    # second pass over the rewritten text then sees the links alone.
    resolved: dict[str, str | None] = {}
    tails = _tails(markdown, base_url, resolved)
    if not tails:
        return markdown
    rewritten = _rewrite(markdown, tails, images=True)
    if rewritten is not markdown:
        tails = _tails(rewritten, base_url, resolved)
    return _rewrite(rewritten, tails, images=False)


def _tails(
    markdown: str, base_url: str | None, resolved: dict[str, str | None]
) -> list[tuple[int, int, str, str | None]]:
    """Where links and images that may need an edit end: (`]`, after `)`, target, resolved target).

    An absolute web link whose text shows needs none, whether link or image.
    `resolved` caches targets made absolute (as links), across both passes.
    """
    found: list[tuple[int, int, str, str | None]] = []
    for tail in _LINK_TAIL.finditer(markdown):
        close = tail.start()
        destination = tail.group(1)
        target = destination[1:-1] if destination.startswith("<") else destination
        if target not in resolved:
            resolved[target] = _absolute(target, base_url, _LINK_SCHEMES)
        url = resolved[target]
        if (
            url is not None
            and url == target
            and close
            and url[:8].lower().startswith(_IMAGE_SCHEMES)
            and _ends_visible(markdown, close)
        ):
            continue
        found.append((close, tail.end(), target, url))
    return found


def _rewrite(markdown: str, tails: list[tuple[int, int, str, str | None]], *, images: bool) -> str:
    """`markdown` with the images (or links) its `tails` close rewritten; itself when none changes."""
    code: _Code | None = None
    edits: list[tuple[int, int, str]] = []
    for close, tail_end, target, url in tails:
        if images and url is not None and not url.lower().startswith(_IMAGE_SCHEMES):
            url = None  # a mail link is no picture
        if url == target and close and (images or _ends_visible(markdown, close)):
            # Already absolute and allowed, and a link's text does not end empty:
            # nothing to change, whatever link or image this tail closes.
            continue
        if code is None:
            code = _Code(markdown)
        if code.holds(close):
            continue
        open_ = _matching_bracket(markdown, close)
        if open_ is None:
            continue
        is_image = open_ > 0 and markdown[open_ - 1] == "!"
        if is_image != images:
            continue
        start = open_ - 1 if is_image else open_
        if edits and start < edits[-1][1]:
            continue  # nested in an earlier match: left for the next pass
        text = markdown[open_ + 1 : close]
        if url is None or not (images or text.strip()):
            # A link left without text (its image could not stay) shows nothing.
            replacement = "" if images or _is_anchor_symbol(text) else text
        elif url == target:
            continue
        else:
            replacement = f"{'!' if images else ''}[{text}]({_destination(url)})"
        edits.append((start, tail_end, replacement))
    if not edits:
        return markdown
    pieces: list[str] = []
    position = 0
    for start, end, replacement in edits:
        pieces.append(markdown[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(markdown[position:])
    return "".join(pieces)


def _ends_visible(markdown: str, close: int) -> bool:
    """Whether link text ending at `close` surely holds more than white space.

    Its last character shows, and is not the `[` that would open an empty text.
    """
    last = markdown[close - 1]
    return last != "[" and not last.isspace()


class _Code:
    """Whether positions of a text, asked in increasing order, are code: in a fenced block, or
    in a span left open on their line.

    The backticks of a long line with many links are counted once, not once per link.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        fences = (
            [match.span() for match in _FENCE.finditer(text)]
            if "```" in text or "~~~" in text
            else []
        )
        self.fence_starts = [start for start, _end in fences]
        self.fence_ends = [end for _start, end in fences]
        # Backticks between the start of the line and `position`, the last position asked.
        self.position = 0
        self.ticks = 0

    def holds(self, position: int) -> bool:
        index = bisect_right(self.fence_starts, position) - 1
        if index >= 0 and position < self.fence_ends[index]:
            return True
        text = self.text
        newline = text.rfind("\n", self.position, position)
        if newline >= 0:
            self.position, self.ticks = newline + 1, 0
        self.ticks += text.count("`", self.position, position)
        self.position = position
        return self.ticks % 2 == 1


def _matching_bracket(markdown: str, close: int) -> int | None:
    """The `[` that opens the link text ending at `close`, on the same paragraph."""
    depth = 0
    position = close - 1
    while position >= 0:
        character = markdown[position]
        if character == "\n" and markdown[position - 1 : position] == "\n":
            return None
        escaped = position > 0 and markdown[position - 1] == "\\"
        if not escaped:
            if character == "]":
                depth += 1
            elif character == "[":
                if depth == 0:
                    return position
                depth -= 1
        position -= 1
    return None


def _is_anchor_symbol(text: str) -> bool:
    stripped = text.strip()
    return not stripped or all(character in _ANCHOR_SYMBOLS for character in stripped)


def _absolute(href: str, base_url: str | None, schemes: tuple[str, ...]) -> str | None:
    """`href` made absolute when allowed, else None (anchors, javascript:, data:, relative without a base)."""
    # Browsers trim URLs and drop tabs and newlines inside them, so must we
    # before deciding on the scheme (`java\nscript:` is javascript:).
    href = href.strip(_TRIMMED_AROUND_URL)
    if "\t" in href or "\n" in href or "\r" in href:
        href = _DROPPED_IN_URL.sub("", href)
    if not href or href.startswith("#"):
        return None
    if href.startswith("//"):
        scheme = base_url.split(":", 1)[0] if base_url and ":" in base_url else "https"
        href = f"{scheme}:{href}"
    if base_url and not href.lower().startswith(schemes) and ":" not in href.split("/", 1)[0]:
        href = urljoin(base_url, href)
    if base_url and href.split("#", 1)[0] == base_url.split("#", 1)[0] and "#" in href:
        return None  # an in-page anchor written as a full URL
    return href if href.lower().startswith(schemes) else None


def _destination(url: str) -> str:
    url = _UNSAFE_IN_URL.sub(lambda match: f"%{ord(match.group(0)):02X}", url)
    return f"<{url}>" if "(" in url or ")" in url else url
