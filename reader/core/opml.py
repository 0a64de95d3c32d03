"""OPML subscription lists in and out: feed URLs, titles, and folders as tags.

Pure; reading refuses entity declarations and never fetches anything a file names.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from reader.core.errors import InputError

__all__ = ["OpmlFeed", "parse_opml", "write_opml"]


@dataclass(frozen=True)
class OpmlFeed:
    """One subscription of an OPML file; `tags` are its folders, outermost first."""

    url: str
    title: str
    tags: tuple[str, ...] = ()
    site_url: str | None = None


@dataclass
class _Outline:
    attributes: dict[str, str]
    children: list[_Outline] = field(default_factory=list)


class _EntitiesRefused(Exception):
    pass


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Subscriptions from OPML bytes, in file order; InputError when it is not OPML."""
    from reader.core.feeds import decode_feed_bytes

    if not data.strip():
        raise InputError("the OPML file is empty")
    text = decode_feed_bytes(data).text
    try:
        root_name, outlines = _parse_strict(text)
    except _EntitiesRefused:
        raise InputError("OPML files with entity declarations are refused") from None
    except expat.ExpatError:
        # Exported lists often hold a bare "&" in a URL: read them tag by tag.
        root_name, outlines = _parse_loose(text)
    if root_name != "opml" and not outlines:
        raise InputError("not an OPML file (no <opml> element and no outlines)")
    feeds: dict[str, OpmlFeed] = {}
    _collect(outlines, feeds)
    return list(feeds.values())


def _parse_strict(text: str) -> tuple[str, list[_Outline]]:
    parser = expat.ParserCreate()
    # Billion-laughs and external entities both start with a declaration.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: object) -> None:
        raise _EntitiesRefused

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    root: list[str] = []
    top: list[_Outline] = []
    stack: list[_Outline] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if not root:
            root.append(name.lower())
        if name.lower() != "outline":
            return
        outline = _Outline({key.lower(): value for key, value in attributes.items()})
        (stack[-1].children if stack else top).append(outline)
        stack.append(outline)

    def end(name: str) -> None:
        if name.lower() == "outline" and stack:
            stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(text, True)
    return (root[0] if root else ""), top


_LOOSE_OUTLINE_START = re.compile(r"<(/?)outline\b", re.IGNORECASE)
_LOOSE_ATTRIBUTE = re.compile(r"""([\w:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def _parse_loose(text: str) -> tuple[str, list[_Outline]]:
    top: list[_Outline] = []
    stack: list[_Outline] = []
    for match in _LOOSE_OUTLINE_START.finditer(text):
        if match.group(1):
            if stack:
                stack.pop()
            continue
        # The tag ends at the next ">": broken files rarely quote one, and a
        # quote-aware scan could run to the end of the file from every tag.
        end = text.find(">", match.end())
        if end < 0:
            break
        attribute_text = text[match.end() : end]
        attributes = {
            name.lower(): html.unescape(double or single or bare)
            for name, double, single, bare in _LOOSE_ATTRIBUTE.findall(attribute_text)
        }
        outline = _Outline(attributes)
        (stack[-1].children if stack else top).append(outline)
        if not attribute_text.rstrip().endswith("/"):
            stack.append(outline)
    root = "opml" if re.search(r"<opml\b", text[:4096], re.IGNORECASE) else ""
    return root, top


# Folders nested deeper than this add no more tags (a hostile file nests thousands).
_MAX_FOLDER_DEPTH = 8


def _collect(outlines: list[_Outline], feeds: dict[str, OpmlFeed]) -> None:
    # Depth first, in file order, without recursion: outlines may nest deeply.
    pending: list[tuple[_Outline, tuple[str, ...]]] = [
        (outline, ()) for outline in reversed(outlines)
    ]
    while pending:
        outline, folders = pending.pop()
        attributes = outline.attributes
        title = _clean(attributes.get("title") or attributes.get("text") or "")
        url = _clean(attributes.get("xmlurl") or "")
        if url:
            tags = _unique((*folders, *_categories(attributes.get("category", ""))))
            existing = feeds.get(url)
            if existing is None:
                feeds[url] = OpmlFeed(
                    url=url,
                    title=title,
                    tags=tags,
                    site_url=_clean(attributes.get("htmlurl") or "") or None,
                )
            else:
                # One feed filed in two folders keeps both as tags.
                feeds[url] = replace(existing, tags=_unique((*existing.tags, *tags)))
        # Only an outline without a feed URL is a folder; its title becomes a tag.
        is_folder = not url and title and len(folders) < _MAX_FOLDER_DEPTH
        inner = (*folders, title) if is_folder else folders
        pending.extend((child, inner) for child in reversed(outline.children))


def _categories(value: str) -> list[str]:
    # OPML 2.0: comma-separated, each a slash-delimited path ("/Tech/Rust").
    return [part.strip().strip("/") for part in value.split(",") if part.strip().strip("/")]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _clean(value: str) -> str:
    return " ".join(value.split())


# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_opml(feeds: Iterable[OpmlFeed], *, title: str = "reader subscriptions") -> str:
    """An OPML 2.0 document: each feed once, in the folder of its first tag.

    Further tags go in the `category` attribute, which `parse_opml` reads back.
    """
    folders: dict[str, list[OpmlFeed]] = {}
    top: list[OpmlFeed] = []
    for feed in feeds:
        if feed.tags:
            folders.setdefault(feed.tags[0], []).append(feed)
        else:
            top.append(feed)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_escape_text(title)}</title>",
        "  </head>",
        "  <body>",
    ]
    lines.extend(_outline(feed, "    ") for feed in top)
    for folder, members in folders.items():
        label = _attribute(folder)
        lines.append(f"    <outline text={label} title={label}>")
        lines.extend(_outline(feed, "      ") for feed in members)
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _outline(feed: OpmlFeed, indent: str) -> str:
    title = feed.title or feed.url
    parts = [
        'type="rss"',
        f"text={_attribute(title)}",
        f"title={_attribute(title)}",
        f"xmlUrl={_attribute(feed.url)}",
    ]
    if feed.site_url:
        parts.append(f"htmlUrl={_attribute(feed.site_url)}")
    if len(feed.tags) > 1:
        parts.append(f"category={_attribute(','.join(feed.tags[1:]))}")
    return f"{indent}<outline {' '.join(parts)}/>"


# Characters XML carries but a terminal showing the file would act on or hide (C1
# controls, bidi and zero-width characters): written as character references.
_TERMINAL_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _as_references(value: str) -> str:
    return _TERMINAL_UNSAFE.sub(lambda match: f"&#x{ord(match.group()):x};", value)


def _attribute(value: str) -> str:
    quoted = quoteattr(_XML_INVALID.sub("", value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    return _as_references(quoted)


def _escape_text(value: str) -> str:
    return _as_references(html.escape(_XML_INVALID.sub("", value), quote=False))
