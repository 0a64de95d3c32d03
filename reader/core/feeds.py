"""Feed bytes -> entries (RSS, Atom, RDF, JSON Feed), feed autodiscovery, entries -> issues.

Pure: bytes in, frozen dataclasses out; fastfeedparser first, feedparser as the tolerant fallback.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from reader.core.errors import FeedError
from reader.core.limits import MAX_BODY_BYTES, MAX_FEED_ENTRIES
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection

__all__ = [
    "DecodedText",
    "DiscoveredFeed",
    "EmptyFeedError",
    "FeedEntry",
    "ParsedFeed",
    "WebPageError",
    "decode_feed_bytes",
    "discover_feeds",
    "entry_to_issue",
    "parse_feed",
    "parse_feed_date",
]


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, before conversion: its HTML is untrusted."""

    key: str
    title: str
    link: str | None
    date: datetime | None
    content_html: str
    author: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its title, its site link and its entries in feed order."""

    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]
    # Which parser produced the entries: "json", "fastfeedparser", "feedparser"
    # or "fastfeedparser+feedparser" (gaps filled by the second).
    parser: str = ""
    # Entries dropped because an earlier entry had the same key.
    duplicates: int = 0
    # Entries left out past MAX_FEED_ENTRIES.
    over_limit: int = 0


class DiscoveredFeed(NamedTuple):
    """A feed a web page points to."""

    url: str
    title: str
    type: str


class WebPageError(FeedError):
    """The bytes are an HTML page; its feeds may be found with `discover_feeds`."""


class EmptyFeedError(FeedError):
    """A well-formed feed that has no entries (yet)."""


class DecodedText(NamedTuple):
    """Text decoded from feed bytes, the codec that decoded it, and whether it is exact.

    `exact` is False when bytes were replaced or C1 controls repaired, so the
    text no longer equals the bytes read in `encoding`.
    """

    text: str
    encoding: str
    exact: bool = True


_MIB = 1024 * 1024


def parse_feed(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
) -> ParsedFeed:
    """Parse feed bytes of any supported format; FeedError when they are not a usable feed."""
    if not data.strip():
        raise FeedError("the feed is empty (0 bytes)" if not data else "the feed is empty")
    if len(data) > MAX_BODY_BYTES:
        # Downloads stop at this size; a local feed file is held to the same.
        raise FeedError(
            f"the feed is {len(data) / _MIB:.0f} MB, over the {MAX_BODY_BYTES / _MIB:g} MB limit"
        )
    decoded = decode_feed_bytes(data, charset=charset)
    kind = _sniff(decoded.text, content_type)
    if kind == "json":
        feed = _parse_json_feed(decoded.text, url)
    elif kind == "html":
        raise WebPageError("this is a web page, not a feed")
    elif kind == "opml":
        raise FeedError("this is an OPML subscription list, not a feed: import it instead")
    elif kind == "garbage":
        raise FeedError("not a feed: the content is neither XML nor JSON")
    else:
        feed = _parse_xml_feed(data, decoded, url)
    if not feed.entries:
        raise EmptyFeedError("the feed has no entries")
    return _without_duplicates(feed)


# --- decoding --------------------------------------------------------------------

_BYTE_ORDER_MARKS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# "<?xm" in EBCDIC (XML 1.0, appendix F).
_EBCDIC_XML_START = b"\x4c\x6f\xa7\x94"
_XML_DECLARATION_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']\s*([A-Za-z0-9._:\-]+)\s*["']""", re.IGNORECASE
)
_HTML_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)
# Declared names that mean a larger codec in practice: pages declared gb2312
# hold GBK characters, "shift_jis" pages hold Windows-31J characters, and
# so on (the WHATWG encoding standard maps them the same way).
_CODEC_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "cp932": ("cp932", "shift_jis_2004"),
    "euc_jp": ("euc_jp", "euc_jis_2004"),
    "euc_kr": ("cp949",),
    "iso8859-1": ("cp1252", "iso8859-1"),
    "ascii": ("cp1252", "iso8859-1"),
    "iso8859-9": ("cp1254", "iso8859-9"),
    "tis-620": ("cp874", "tis-620"),
    "iso8859-11": ("cp874", "iso8859-11"),
}
# Names seen in feeds that Python does not know.
_CODEC_ALIASES = {
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "csmacintosh": "mac_roman",
    "macintosh": "mac_roman",
    "ms-ansi": "cp1252",
    "ms-arab": "cp1256",
    "ms-cyrl": "cp1251",
    "ms-ee": "cp1250",
    "ms-greek": "cp1253",
    "ms-hebr": "cp1255",
    "ms-turk": "cp1254",
    "winbaltrim": "cp1257",
    "x-gbk": "gb18030",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "csunicode": "utf-16",
    "iso-10646-ucs-2": "utf-16",
    "ucs-2": "utf-16",
    "csucs4": "utf-32",
    "iso-10646-ucs-4": "utf-32",
    "ucs-4": "utf-32",
    "unicode": "utf-16",
    "mac": "mac_roman",
}
_C1_CONTROLS = re.compile("[\x80-\x9f]")
# The same in UTF-8 bytes: searching bytes for a literal is much faster.
_C1_CONTROLS_IN_UTF8 = re.compile(b"\xc2[\x80-\x9f]")
# Windows-1252 punctuation written as C1 controls by a misconfigured
# converter ("don\x92t"); the five undefined code points stay.
_C1_TO_CP1252 = {
    code: ch
    for code in range(0x80, 0xA0)
    if (ch := bytes([code]).decode("cp1252", errors="ignore")) and ch != chr(code)
}


def decode_feed_bytes(data: bytes, *, charset: str | None = None) -> DecodedText:
    """Decode feed bytes, trusting what the bytes show over what the labels claim.

    Order: byte order mark; UTF-16/32 or EBCDIC seen in the first bytes;
    valid (or nearly valid) UTF-8; the HTTP charset, the XML declaration and
    an HTML meta charset, each tried strictly; charset detection; finally the
    first label with replacement characters.
    """
    for mark, codec in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decoded(data[len(mark) :], codec)
    sniffed = _sniff_wide_encoding(data)
    if sniffed:
        return _decoded(data, sniffed)
    if data.isascii():
        return DecodedText(data.decode("ascii"), "utf-8")
    try:
        return _decoded(data, "utf-8", errors="strict")
    except UnicodeDecodeError:
        pass
    labels = [charset, *_declared_encodings(data)]
    candidates = _candidate_codecs(label for label in labels if label)
    if _mostly_utf8(data) and not any(_is_multibyte(codec) for codec in candidates):
        # A UTF-8 feed with a stray byte from a pasted quote: reading the
        # whole feed as some legacy codec would garble every other character.
        return _decoded(data, "utf-8")
    for codec in candidates:
        if codec in _WESTERN_CODECS and not _looks_western(data):
            # "ISO-8859-1" is many servers' default label, whatever they send:
            # every byte decodes in it, so only a look at the text tells.
            detected = _detect_codec(data)
            if detected and detected not in _WESTERN_CODECS:
                try:
                    text = data.decode(detected)
                except UnicodeDecodeError:
                    pass
                else:
                    if not _is_latin_script(text):
                        return DecodedText(text, detected)
        try:
            return DecodedText(data.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            continue
    detected = _detect_codec(data)
    if detected:
        decoded = _decoded(data, detected)
        # Detectors often call short Western text Baltic or Central European.
        if detected == "cp1252" or not _is_latin_script(decoded.text) or not _looks_western(data):
            return decoded
    if _looks_western(data):
        return DecodedText(data.decode("cp1252"), "cp1252")
    return _decoded(data, candidates[0] if candidates else "utf-8")


def _decoded(data: bytes, codec: str, *, errors: str = "replace") -> DecodedText:
    text = data.decode(codec, errors)
    exact = "\ufffd" not in text or errors == "strict"
    if codec == "utf-8":
        has_c1 = _C1_CONTROLS_IN_UTF8.search(data) is not None
    else:
        has_c1 = codec.startswith("utf") and _C1_CONTROLS.search(text) is not None
    if has_c1:
        text = text.translate(_C1_TO_CP1252)
        exact = False
    return DecodedText(text, codec, exact)


def _sniff_wide_encoding(data: bytes) -> str | None:
    head = data[:4]
    if len(head) < 4:
        return None
    if head.startswith(_EBCDIC_XML_START):
        return _ebcdic_codec(data)
    zeros = (head[0] == 0, head[1] == 0, head[2] == 0, head[3] == 0)
    patterns = {
        (True, True, True, False): "utf-32-be",
        (False, True, True, True): "utf-32-le",
        (True, False, True, False): "utf-16-be",
        (False, True, False, True): "utf-16-le",
    }
    return patterns.get(zeros)


def _ebcdic_codec(data: bytes) -> str:
    declared = _XML_DECLARATION_ENCODING.match(
        data[:200].decode("cp037").encode("ascii", "replace")
    )
    if declared:
        codec = _codec_name(declared.group(1).decode("ascii"))
        # Only an EBCDIC codec reads the declaration's bytes as "<?xml".
        if codec and _encodes_as(codec, "<?xm", _EBCDIC_XML_START):
            return codec
    return "cp037"


def _encodes_as(codec: str, text: str, expected: bytes) -> bool:
    try:
        return text.encode(codec) == expected
    except (UnicodeError, LookupError):
        return False


def _declared_encodings(data: bytes) -> list[str]:
    head = data[:2048]
    found = []
    declaration = _XML_DECLARATION_ENCODING.match(head)
    if declaration:
        found.append(declaration.group(1).decode("ascii"))
    meta = _HTML_META_CHARSET.search(data[:4096])
    if meta:
        found.append(meta.group(1).decode("ascii"))
    return found


def _codec_name(label: str) -> str | None:
    label = label.strip().lower()
    label = _CODEC_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _candidate_codecs(labels: Iterable[str]) -> list[str]:
    candidates: list[str] = []
    for label in labels:
        codec = _codec_name(label)
        # UTF-8 has been tried already, and a UTF-16/32 label on bytes without
        # their zero bytes is a false label.
        if not codec or codec.startswith(("utf-8", "utf-16", "utf-32")):
            continue
        for name in _CODEC_SUPERSETS.get(codec, (codec,)):
            if name not in candidates:
                candidates.append(name)
    return candidates


def _is_multibyte(codec: str) -> bool:
    return codec.startswith(("gb", "big5", "cp9", "shift_jis", "euc", "iso2022", "hz", "johab"))


def _mostly_utf8(data: bytes) -> bool:
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd")
    errors = replaced - data.count(b"\xef\xbf\xbd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - replaced
    # Legacy bytes read as UTF-8 are mostly errors; a stray byte is one among many.
    return non_ascii >= 2 * max(errors, 1)


_WESTERN_CODECS = frozenset({"cp1252", "iso8859-1", "iso8859-15", "ascii"})
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# A non-ASCII letter inside a word of ASCII letters ("café", "Straße"), or an
# apostrophe between letters ("don’t").
_LETTER_IN_ASCII_WORD = re.compile(
    r"(?<=[A-Za-z])[^\W\d_A-Za-z]|[^\W\d_A-Za-z](?=[A-Za-z])|(?<=[A-Za-z])’(?=[A-Za-z])"
)


def _looks_western(data: bytes) -> bool:
    """True when the bytes read as Windows-1252 look like French, German, Portuguese...

    In a Western language most non-ASCII characters are accented letters
    inside words of ASCII letters. Cyrillic, Greek or CJK bytes read as
    Windows-1252 give symbols and runs of accented letters instead.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    non_ascii = len(_NON_ASCII.findall(text))
    return non_ascii > 0 and len(_LETTER_IN_ASCII_WORD.findall(text)) >= 0.5 * non_ascii


def _is_latin_script(text: str) -> bool:
    """True when every non-ASCII letter of `text` is a Latin one."""
    return all(
        unicodedata.name(character, "LATIN").startswith("LATIN")
        for character in set(_NON_ASCII.findall(text))
        if character.isalpha()
    )


def _detect_codec(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data).best()
    if best is None:
        return None
    codec = _codec_name(best.encoding)
    if codec is None:
        return None
    return _CODEC_SUPERSETS.get(codec, (codec,))[0]


def _as_utf8_xml(data: bytes, decoded: DecodedText) -> bytes:
    """The document as UTF-8 bytes whose declaration says so, for the XML parsers."""
    if decoded.encoding == "utf-8" and decoded.exact:
        declaration = _XML_DECLARATION_ENCODING.match(data[:2048])
        if declaration is None or _codec_name(declaration.group(1).decode("ascii")) == "utf-8":
            return data
    text = _XML_DECLARATION_ENCODING_TEXT.sub(r"\1utf-8\2", decoded.text, count=1)
    return text.encode("utf-8", "replace")


_XML_DECLARATION_ENCODING_TEXT = re.compile(
    r"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*["'])[^"']*(["'])""", re.IGNORECASE
)


# --- sniffing ----------------------------------------------------------------------

_FIRST_ELEMENT = re.compile(
    # Possessive: on hostile input, backtracking into the prolog is exponential.
    r"""\A(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^>\[]|\[.*?\])*+>)*+<([A-Za-z_][\w:.\-]*)""",
    re.DOTALL | re.IGNORECASE,
)
_FEED_ROOT_HINT = re.compile(r"<(?:\?xml|rss|feed|rdf:RDF)\b", re.IGNORECASE)


# Local names of the root elements feedparser reads (channel: Microsoft's CDF).
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})


def _root_element(text: str) -> str | None:
    """The local name of the first element, lower-cased, if the prolog lets it be found."""
    match = _FIRST_ELEMENT.match(text[:8192].lstrip("\ufeff \t\r\n"))
    return match.group(1).lower().rpartition(":")[2] if match else None


def _sniff(text: str, content_type: str | None) -> str:
    head = text[:8192].lstrip("\ufeff \t\r\n")
    if not head:
        return "garbage"
    if head[0] in "{[":
        return "json"
    name = _root_element(head)
    if name is not None:
        if name in ("html", "head", "body"):
            return "html"
        if name == "opml":
            return "opml"
        return "xml"
    if _FEED_ROOT_HINT.search(head):
        return "xml"
    if head.startswith("<"):
        return "xml"
    if content_type and "html" in content_type and "<" in head:
        return "html"
    return "garbage"


# --- JSON Feed and RSS-in-JSON ---------------------------------------------------


# A JSON number is kept as text past this many digits: Python refuses to convert
# more than 4300, and a feed's id needs no arithmetic.
_MAX_JSON_INT_DIGITS = 64
# JSON may escape half of a UTF-16 pair ("\ud800"); such text can be neither
# stored nor printed, so every string is repaired when the text holds one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _MAX_JSON_INT_DIGITS else digits


def _json_object_without_surrogates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {
        _LONE_SURROGATE.sub("\ufffd", key): (
            _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value
        )
        for key, value in pairs
    }


def _parse_json_feed(text: str, url: str | None) -> ParsedFeed:
    hook = _json_object_without_surrogates if _SURROGATE_ESCAPE.search(text) else None
    try:
        document = json.loads(text, parse_int=_json_int, object_pairs_hook=hook)
    except json.JSONDecodeError as error:
        if error.pos >= len(text.rstrip()) - 1:
            raise FeedError(
                "the JSON feed is cut short (truncated JSON at the end of the file)"
            ) from None
        raise FeedError(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise FeedError("not valid JSON: nested too deeply") from None
    if isinstance(document, dict) and isinstance(document.get("rss"), dict):
        return _parse_rss_in_json(document["rss"], url)
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("JSON that is not a JSON Feed (no list of items)")
    base = url
    feed_title = _text(document.get("title"))
    feed_link = _resolve(_string(document.get("home_page_url")), base)
    entries = []
    items, over_limit = _capped(document["items"])
    for item in items:
        if not isinstance(item, dict):
            continue
        link = _resolve(_string(item.get("url")) or _string(item.get("external_url")), base)
        html_parts = [
            _string(item.get("content_html")),
            _text_to_html(_string(item.get("content_text"))),
            _text_to_html(_string(item.get("summary"))),
        ]
        entries.append(
            _make_entry(
                key=_scalar_string(item.get("id")),
                title=_text(item.get("title")),
                link=link,
                date=parse_feed_date(item.get("date_published"))
                or parse_feed_date(item.get("date_modified")),
                contents=html_parts,
                author=_json_author(item) or _json_author(document),
            )
        )
    return _finish(feed_title, feed_link, entries, "json", over_limit)


def _json_author(item: Mapping[str, Any]) -> str | None:
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else []
    if isinstance(item.get("author"), dict):
        candidates = [item["author"], *candidates]
    for author in candidates:
        if isinstance(author, dict):
            name = _string(author.get("name"))
            if name:
                return name.strip()
    return None


def _parse_rss_in_json(rss: Mapping[str, Any], url: str | None) -> ParsedFeed:
    channel = rss.get("channel")
    if not isinstance(channel, dict):
        raise FeedError("RSS-in-JSON without a channel")
    items = channel.get("item")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        items = []
    feed_link = _resolve(_string(channel.get("link")), url)
    entries = []
    items, over_limit = _capped(items)
    for item in items:
        if not isinstance(item, dict):
            continue
        guid = item.get("guid")
        if isinstance(guid, dict):
            guid = guid.get("#value")
        link = _resolve(_string(item.get("link")), url)
        entries.append(
            _make_entry(
                key=_scalar_string(guid),
                title=_text(item.get("title")),
                link=link,
                date=parse_feed_date(item.get("pubDate")),
                contents=[_string(item.get("description"))],
                author=_string(item.get("author")),
            )
        )
    return _finish(_text(channel.get("title")), feed_link, entries, "json", over_limit)


# --- RSS, Atom and RDF --------------------------------------------------------------

# Start tags of entries, with or without a namespace prefix; `<items>` (RDF's
# table of contents) does not match.
_ENTRY_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:item|entry)[\s/>]")


def _parse_xml_feed(data: bytes, decoded: DecodedText, url: str | None) -> ParsedFeed:
    xml = _as_utf8_xml(data, decoded)
    # fastfeedparser reads well-formed feeds many times faster than feedparser,
    # but lxml's recovery can silently drop entries of a broken document, so
    # its count is checked against the entry start tags in the bytes.
    expected = len(_ENTRY_START_TAG.findall(xml))
    fast: ParsedFeed | None = None
    fast_error: str | None = None
    try:
        # Atom 0.3's base64 text is left encoded by fastfeedparser.
        if _BASE64_MODE.search(xml) is None:
            fast = _parse_with_fastfeedparser(xml, url)
    except WebPageError:
        raise
    except Exception as error:  # a third-party parser on untrusted bytes
        fast_error = str(error)
    if fast is not None and fast.entries and len(fast.entries) + fast.over_limit >= expected:
        if not _has_gaps(fast, xml):
            return fast
        try:
            return _fill_gaps(fast, _parse_with_feedparser(xml, url, None))
        except FeedError:
            return fast
    if fast is None and expected == 0 and _root_element(decoded.text) not in _FEED_ROOTS:
        # feedparser's tolerant reading of a large non-feed takes seconds.
        raise FeedError(f"not a feed: no RSS, Atom or RDF document ({_short_reason(fast_error)})")
    try:
        slow = _parse_with_feedparser(xml, url, fast_error)
    except FeedError:
        if fast is not None and fast.entries:
            return fast
        raise
    if (
        fast is not None
        and len(fast.entries) + fast.over_limit >= len(slow.entries) + slow.over_limit
    ):
        return fast
    return slow


_BASE64_MODE = re.compile(rb"""mode=["']base64["']""")
_RICH_TITLE = re.compile(rb"""<(?:media:title|(?:[A-Za-z_][\w.\-]*:)?title[^>]*type=["']xhtml)""")
_TITLE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?title[\s>]")
_CONTENT_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?(?:description|content|summary|encoded|body|fullitem)[\s>]"
)


def _has_gaps(feed: ParsedFeed, xml: bytes) -> bool:
    """True when entries lack a title or content that the document seems to hold.

    fastfeedparser leaves XHTML titles (`type="xhtml"`), inline XHTML bodies
    and media descriptions empty; feedparser reads them.
    """
    count = len(feed.entries)
    untitled = sum(1 for entry in feed.entries if not entry.title)
    empty = sum(1 for entry in feed.entries if not entry.content_html)
    if untitled and _RICH_TITLE.search(xml):
        return True
    # The channel's own title and its image's title are not entries'.
    if untitled and len(_TITLE_TAG.findall(xml)) > count - untitled + 2:
        return True
    return bool(empty and len(_CONTENT_TAG.findall(xml)) > count - empty + 1)


def _fill_gaps(fast: ParsedFeed, slow: ParsedFeed) -> ParsedFeed:
    by_key = {entry.key: entry for entry in slow.entries}
    same_length = len(slow.entries) == len(fast.entries)
    filled = []
    for index, entry in enumerate(fast.entries):
        other = by_key.get(entry.key) or (slow.entries[index] if same_length else None)
        if other is None:
            filled.append(entry)
            continue
        title = entry.title or other.title
        content = entry.content_html or other.content_html
        key = entry.key
        if key.startswith(_HASH_KEY_PREFIX) and title != entry.title:
            key = _hash_key(title, entry.date, content)
        filled.append(
            replace(
                entry,
                key=key,
                title=title,
                content_html=content,
                link=entry.link or other.link,
                date=entry.date or other.date,
                author=entry.author or other.author,
            )
        )
    title = fast.title or slow.title
    return _finish(
        title, fast.link or slow.link, filled, "fastfeedparser+feedparser", fast.over_limit
    )


def _keep_raw_date(value: str) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _load_fastfeedparser() -> Any:
    import fastfeedparser
    import fastfeedparser.main

    # fastfeedparser's last resort for dates is dateutil's fuzzy parser, which
    # invents them: "-1" becomes the 1st of November of this year, and an item
    # whose guid is "12" is dated the 12th of this month. Its date hook is
    # made to hand the raw text through, and parse_feed_date reads it.
    if getattr(fastfeedparser.main, "_parse_date", None) is not _keep_raw_date:
        fastfeedparser.main._parse_date = _keep_raw_date
    return fastfeedparser


def _parse_with_fastfeedparser(xml: bytes, url: str | None) -> ParsedFeed:
    fastfeedparser = _load_fastfeedparser()
    try:
        parsed = fastfeedparser.parse(xml)
    except ValueError as error:
        message = str(error)
        if "HTML" in message:
            raise WebPageError("this is a web page, not a feed") from None
        raise
    feed = parsed.get("feed") or {}
    base = url
    feed_link = _resolve(_string(feed.get("link")), base)
    entries = []
    items, over_limit = _capped(parsed.get("entries") or [])
    for item in items:
        contents = [_content_html(part) for part in item.get("content") or []]
        contents.append(_string(item.get("description")))
        entries.append(
            _make_entry(
                key=_string(item.get("id")),
                title=_text(item.get("title")),
                link=_first_web_link([item.get("link"), *_alternate_links(item)], base),
                date=parse_feed_date(item.get("published")) or parse_feed_date(item.get("updated")),
                contents=contents,
                author=_string(item.get("author")),
            )
        )
    return _finish(_text(feed.get("title")), feed_link, entries, "fastfeedparser", over_limit)


# An entity declaration of a DTD's internal subset, quoted ">" included.
_ENTITY_DECLARATION = re.compile(rb"""<!ENTITY\s(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")


def _without_entity_declarations(xml: bytes) -> bytes:
    """The document without the entities its DOCTYPE declares.

    feedparser drops declarations only when each starts a line, and its expat
    expands the rest: a one-line "billion laughs" costs seconds up to expat's
    own limit. Without declarations, references stay as the text they are.
    """
    doctype = xml.find(b"<!DOCTYPE")
    if doctype < 0 or _ELEMENT_START.search(xml, 0, doctype):
        return xml
    subset_end = xml.find(b"]>", doctype)
    if subset_end < 0 or xml.find(b"<!ENTITY", doctype, subset_end) < 0:
        return xml
    head = _ENTITY_DECLARATION.sub(b"", xml[doctype:subset_end])
    return xml[:doctype] + head + xml[subset_end:]


def _parse_with_feedparser(xml: bytes, url: str | None, earlier_error: str | None) -> ParsedFeed:
    import feedparser

    # No content-location: feedparser would resolve entry ids against it and
    # ids must not depend on which parser read the feed; links are resolved here.
    headers = {"content-type": "application/xml; charset=utf-8"}
    # A stream, never a string: feedparser treats a string as a URL or a path.
    try:
        parsed = feedparser.parse(
            io.BytesIO(_without_entity_declarations(xml)), response_headers=headers
        )
    except Exception as error:  # its tolerant parser has bugs on broken markup
        reason = _short_reason(earlier_error or f"{type(error).__name__}: {error}")
        raise FeedError(f"not a well-formed feed: {reason}") from None
    feed = parsed.get("feed") or {}
    if not parsed.get("entries"):
        if parsed.get("bozo") and _is_xml_error(parsed.get("bozo_exception")):
            reason = _short_reason(parsed.get("bozo_exception") or earlier_error)
            raise FeedError(f"not a well-formed feed: {reason}")
        return _finish(_text(feed.get("title")), None, [], "feedparser")
    feed_link = _resolve(_string(feed.get("link")), url)
    entries = []
    items, over_limit = _capped(parsed["entries"])
    for item in items:
        contents = [_content_html(part) for part in item.get("content") or []]
        summary = item.get("summary_detail")
        if isinstance(summary, dict):
            contents.append(_content_html(summary))
        else:
            contents.append(_string(item.get("summary")))
        # dict.get: feedparser's own get() maps "updated" to "published" with
        # a deprecation warning.
        raw_date = dict.get(item, "published") or dict.get(item, "updated")
        date = parse_feed_date(raw_date) or _struct_time_date(
            dict.get(item, "published_parsed") or dict.get(item, "updated_parsed")
        )
        entries.append(
            _make_entry(
                key=_string(item.get("id")),
                title=_text(item.get("title")),
                link=_first_web_link([item.get("link"), *_alternate_links(item)], url),
                date=date,
                contents=contents,
                author=_string(item.get("author")),
            )
        )
    return _finish(_text(feed.get("title")), feed_link, entries, "feedparser", over_limit)


def _is_xml_error(error: object) -> bool:
    # feedparser also flags harmless things (a charset it overrode, a
    # text/plain content type); only broken XML makes an empty feed an error.
    harmless = ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")
    return isinstance(error, Exception) and type(error).__name__ not in harmless


_EXPAT_POSITION = re.compile(r"^<unknown>:(\d+):(\d+):\s*")


def _short_reason(error: object) -> str:
    text = " ".join(str(error or "unknown error").split())
    text = _EXPAT_POSITION.sub(r"line \1, column \2: ", text)
    return text if len(text) <= 160 else text[:157] + "..."


def _alternate_links(item: Mapping[str, Any]) -> list[object]:
    return [
        link.get("href")
        for link in item.get("links") or []
        if isinstance(link, dict) and link.get("rel") in (None, "alternate")
    ]


def _first_web_link(links: Iterable[object], base: str | None) -> str | None:
    for link in links:
        resolved = _resolve(_string(link), base)
        if resolved:
            return resolved
    return None


def _content_html(part: object) -> str | None:
    if not isinstance(part, dict):
        return None
    value = _string(part.get("value"))
    if not value:
        return None
    content_type = str(part.get("type") or "").lower()
    if content_type in ("text/plain", "text"):
        return _text_to_html(value)
    return value


def _struct_time_date(value: object) -> datetime | None:
    try:
        return _sane_date(datetime(*value[:6], tzinfo=UTC))  # type: ignore[index, misc]
    except (TypeError, ValueError, OverflowError):
        return None


# --- entries -------------------------------------------------------------------------


def _make_entry(
    *,
    key: str | None,
    title: str,
    link: str | None,
    date: datetime | None,
    contents: Iterable[str | None],
    author: str | None,
) -> FeedEntry:
    content = max((part for part in contents if part), key=len, default="")
    key = (key or "").strip() or link or _hash_key(title, date, content)
    return FeedEntry(
        key=key,
        title=title,
        link=link,
        date=date,
        content_html=content,
        author=author.strip() if author and author.strip() else None,
    )


_HASH_KEY_PREFIX = "sha1:"


def _hash_key(title: str, date: datetime | None, content: str) -> str:
    """A key for an entry with neither id nor link.

    Title and date, when there are any, so that an edited body updates the
    entry instead of adding another; the body's text otherwise. Markup is left
    out because the two parsers sanitize it differently.
    """
    if title or date:
        basis = f"{title}\x1f{date.isoformat() if date else ''}"
    else:
        basis = _plain_text(content)
    return _HASH_KEY_PREFIX + hashlib.sha1(basis.encode()).hexdigest()


def _finish(
    title: str, link: str | None, entries: Iterable[FeedEntry], parser: str, over_limit: int = 0
) -> ParsedFeed:
    return ParsedFeed(
        title=title, link=link, entries=tuple(entries), parser=parser, over_limit=over_limit
    )


def _capped(items: list[Any]) -> tuple[list[Any], int]:
    """The first MAX_FEED_ENTRIES items (feeds put the newest first) and how many were left."""
    return items[:MAX_FEED_ENTRIES], max(0, len(items) - MAX_FEED_ENTRIES)


def _without_duplicates(feed: ParsedFeed) -> ParsedFeed:
    seen: set[str] = set()
    unique = []
    for entry in feed.entries:
        # Two entries with one key: the first is the one the feed shows on top.
        if entry.key not in seen:
            seen.add(entry.key)
            unique.append(entry)
    if len(unique) == len(feed.entries):
        return feed
    return replace(feed, entries=tuple(unique), duplicates=len(feed.entries) - len(unique))


_MAX_TITLE_INPUT_CHARS = 4096
_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
_PLAIN_TEXT_SCRIPT_CHARS = 16384
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _text(value: object) -> str:
    """Plain one-line text from a title that may hold markup or entities."""
    text = _string(value)
    if not text:
        return ""
    # A title is short; a hostile one is cut before the regular expressions.
    text = text[:_MAX_TITLE_INPUT_CHARS]
    if "<" in text:
        text = _TAG.sub("", _SCRIPT_OR_STYLE.sub("", text))
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


def _plain_text(html_text: str) -> str:
    """The words of an HTML fragment, on one line."""
    # Script and style are dropped only near the start: on a hostile body the
    # search for their ends would be quadratic.
    head, tail = html_text[:_PLAIN_TEXT_SCRIPT_CHARS], html_text[_PLAIN_TEXT_SCRIPT_CHARS:]
    text = _TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", head) + tail)
    return " ".join(html.unescape(text).split())


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _scalar_string(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return _string(value)


def _text_to_html(text: str | None) -> str | None:
    if not text:
        return None
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(
        "<p>" + html.escape(paragraph).replace("\n", "<br>\n") + "</p>\n"
        for paragraph in paragraphs
    )


def _resolve(link: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL, or None: other schemes are never opened."""
    if not link:
        return None
    link = link.strip()
    if link[:8].lower().startswith(("http://", "https://")) and " " not in link:
        return link  # the common case, without urljoin's cost
    try:
        absolute = urljoin(base, link) if base else link
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") else None


# --- dates --------------------------------------------------------------------------

_EARLIEST_YEAR = 1970
_LATEST_YEAR = 9000
_ISO_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d\d)(\d\d)$")
_ISO_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_feed_date(value: object) -> datetime | None:
    """A datetime from RFC 822, ISO 8601 or epoch seconds; None for nonsense, never an error."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not 0 <= value < 1e11:
                return None
            return _sane_date(datetime.fromtimestamp(value, UTC))
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text or len(text) > 100:
            return None
        for parse in (_parse_iso_date, _parse_rfc822_date, _parse_date_elsewhere):
            parsed = parse(text)
            if parsed is not None:
                return _sane_date(parsed)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    return None


def _parse_iso_date(text: str) -> datetime | None:
    if not text[:4].isdigit():
        return None
    try:
        # fastfeedparser's own output, and most Atom dates, need no repair.
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    normalized = text.replace(" ", "T", 1) if len(text) > 10 else text
    if normalized[-1] in "Zz":
        normalized = normalized[:-1] + "+00:00"
    normalized = _ISO_OFFSET_WITHOUT_COLON.sub(r"\1:\2", normalized)
    normalized = _ISO_LONG_FRACTION.sub(r"\1", normalized)
    try:
        return datetime.fromisoformat(normalized)
    except ValueError:
        return None


def _parse_rfc822_date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _parse_date_elsewhere(text: str) -> datetime | None:
    try:
        from reader.core.frontmatter import parse_date
    except ImportError:
        return None
    try:
        parsed = parse_date(text)
    except Exception:  # another module's parser on untrusted text
        return None
    return parsed if isinstance(parsed, datetime) else None


def _sane_date(value: datetime) -> datetime | None:
    if not _EARLIEST_YEAR <= value.year <= _LATEST_YEAR:
        return None
    return value


# --- autodiscovery --------------------------------------------------------------------

_FEED_LINK_TYPES = {
    "application/atom+xml": 0,
    "application/rss+xml": 0,
    "application/feed+json": 0,
    "application/rdf+xml": 1,
    "application/x.atom+xml": 1,
    "application/x-atom+xml": 1,
    "application/x-rss+xml": 1,
    "application/xml": 2,
    "text/xml": 2,
    "application/json": 3,
}
# Paths of anchors that likely lead to a feed: "/feed/", "/rss", "index.xml",
# "atom.xml", "posts.rss", "feed.json".
_FEED_PATH = re.compile(
    r"(?:\.(?:rss|atom|rdf|xml)|(?:^|/)(?:feeds?|rss|atom)/?|(?:^|/)feed\.json)$", re.IGNORECASE
)
_FEED_HOSTS = ("feeds.feedburner.com", "feeds.feedblitz.com")
_NOT_FEED_HREF = re.compile(r"/wp-json/|oembed|sitemap", re.IGNORECASE)


# Tags are found with bounded patterns, not html.parser: on a hostile page
# (unclosed tags, endless comments) html.parser runs for minutes.
_LINK_TAG = re.compile(r"<link\b([^<>]{0,4096})>", re.IGNORECASE)
_BASE_TAG = re.compile(r"<base\b([^<>]{0,4096})>", re.IGNORECASE)
_ANCHOR_TAG = re.compile(r"<a\b([^<>]{0,4096})>", re.IGNORECASE)
_ANCHOR_END = re.compile(r"</a\s*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ANCHOR_TEXT_CHARS = 1000


def discover_feeds(html_page: bytes, base_url: str) -> list[DiscoveredFeed]:
    """Feeds a web page points to, best first: its alternate links, then likely anchors."""
    page = _without_comments(decode_feed_bytes(html_page).text)
    base_tag = _BASE_TAG.search(page)
    base_href = _attributes(base_tag.group(1)).get("href") if base_tag else None
    base = urljoin(base_url, base_href) if base_href else base_url
    # (href, title, type, rank): rank 0-3 for <link>, 10 for anchors.
    candidates: list[tuple[str, str, str, int]] = []
    for tag in _LINK_TAG.finditer(page):
        attributes = _attributes(tag.group(1))
        rels = attributes.get("rel", "").lower().split()
        media_type = attributes.get("type", "").split(";")[0].strip().lower()
        href = attributes.get("href", "").strip()
        if "alternate" in rels and media_type in _FEED_LINK_TYPES and href:
            title = " ".join(attributes.get("title", "").split())
            candidates.append((href, title, media_type, _FEED_LINK_TYPES[media_type]))
    for tag in _ANCHOR_TAG.finditer(page):
        href = _attributes(tag.group(1)).get("href", "").strip()
        if href and _looks_like_feed_href(href):
            text = page[tag.end() : tag.end() + _ANCHOR_TEXT_CHARS]
            closing = _ANCHOR_END.search(text)
            title = _plain_text(text[: closing.start()] if closing else "")[:200]
            candidates.append((href, title, _guess_feed_type(href), 10))
    found: list[tuple[tuple[int, int, int], DiscoveredFeed]] = []
    seen: set[str] = set()
    for order, (href, title, media_type, rank) in enumerate(candidates):
        url = _resolve(href, base)
        if url is None or url in seen or _NOT_FEED_HREF.search(url):
            continue
        seen.add(url)
        # Comment feeds come after the site's own feeds, whatever the page order.
        is_comments = "comment" in (title + " " + url).lower()
        found.append(((rank, int(is_comments), order), DiscoveredFeed(url, title, media_type)))
    found.sort(key=lambda pair: pair[0])
    return [feed for _, feed in found]


def _without_comments(page: str) -> str:
    """The page without HTML comments, in one pass (a regex is quadratic on "<!--<!--")."""
    parts = []
    position = 0
    while (start := page.find("<!--", position)) >= 0:
        parts.append(page[position:start])
        end = page.find("-->", start + 4)
        if end < 0:
            return "".join(parts)
        position = end + 3
    parts.append(page[position:])
    return "".join(parts)


def _attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, double, single, bare in _ATTRIBUTE.findall(text):
        attributes.setdefault(name.lower(), html.unescape(double or single or bare))
    return attributes


def _looks_like_feed_href(href: str) -> bool:
    try:
        parts = urlsplit(href)
    except ValueError:
        return False
    return bool(_FEED_PATH.search(parts.path)) or parts.netloc.lower() in _FEED_HOSTS


def _guess_feed_type(href: str) -> str:
    path = urlsplit(href).path.lower()
    if path.endswith(".json"):
        return "application/feed+json"
    if "atom" in path:
        return "application/atom+xml"
    if path.endswith((".rss", ".rdf")) or "rss" in path:
        return "application/rss+xml"
    return ""


# --- entries -> issues ------------------------------------------------------------------


def entry_to_issue(entry: FeedEntry, *, base_url: str | None) -> ParsedIssue:
    """Convert and split one entry: a digest gets its sections and items, a post one item."""
    from reader.core.convert import split_html

    parsed = split_html(
        entry.content_html,
        # Without a title of its own (a micro-blog post) an entry is known by
        # its first words, unless its body starts with a heading.
        fallback_title=entry.title or _untitled(entry),
        base_url=base_url or entry.link,
    )
    title = entry.title or parsed.title
    sections = tuple(section for section in parsed.sections if section.items)
    if not sections:
        sections = (ParsedSection(title="", items=(ParsedItem(title, entry.link, ""),)),)
    elif len(sections) == 1 and len(sections[0].items) == 1 and sections[0].items[0].url is None:
        # A plain post, or a link post without a body: its one item is the entry.
        only = sections[0]
        sections = (replace(only, items=(replace(only.items[0], url=entry.link),)),)
    return ParsedIssue(
        title=title,
        date=entry.date,
        url=entry.link,
        sections=sections,
        key=entry.key,
        warnings=parsed.warnings,
    )


_UNTITLED_WORDS_CHARS = 80


def _untitled(entry: FeedEntry) -> str:
    """A title for an entry without one (a micro-blog post): its first words."""
    text = _plain_text(entry.content_html[:_PLAIN_TEXT_SCRIPT_CHARS])
    if len(text) > _UNTITLED_WORDS_CHARS:
        cut = text[:_UNTITLED_WORDS_CHARS].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,.;:") + "…"
    if text:
        return text
    if entry.date is not None:
        return f"Untitled ({entry.date.date().isoformat()})"
    return "Untitled"
