"""Display rules for untrusted text: no control characters, only safe links.

Everything from a feed, a file or a page passes through here before it
reaches a terminal (the CLI prints it, the TUI shows it).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})

# ANSI/VT escape sequences as a whole, so that no parameter bytes are left behind
# (`ESC [31m` must not show as `[31m`): CSI with its parameters and final byte, OSC
# (titles, OSC 8 hyperlinks, OSC 52 clipboard) and the other control strings up to
# BEL or ST, two- and three-character escapes, and the 8-bit C1 forms of each. A
# sequence cut short still goes whole: an unterminated string ends at the next control.
_STRING_BODY = r"[^\x00-\x1f\x7f-\x9f]*"
_STRING_END = r"(?:\x07|\x1b\\|\x9c)?"
_ESCAPE_SEQUENCE = (
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI, 7- and 8-bit
    rf"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]){_STRING_BODY}{_STRING_END}"  # OSC DCS SOS PM APC
    r"|\x1b[ -/]*[0-~]?"  # other escapes (ESC 7, ESC c, ESC ( B...) and a lone ESC
)


@functools.cache
def _escape_sequence() -> re.Pattern[str]:
    # Compiled when the first escape turns up: most text has none, and the app's start
    # need not pay for it.
    return re.compile(_ESCAPE_SEQUENCE)


_C1_INTRODUCERS = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")

# Bidirectional overrides and isolates can make text read in another order
# than it is stored (a URL that looks like another); zero-width characters
# hide text. Both go.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
)
# Controls (Cc), lone surrogates (Cs), private use (Co), line and paragraph
# separators, and the invisible characters above; newlines and tabs are controls
# too, kept apart for text that keeps its lines.
_UNSAFE_BESIDE_LINES = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff"
    "\u2028\u2029" + _INVISIBLE
)
_UNSAFE = re.compile(f"[\t\n{_UNSAFE_BESIDE_LINES}]")
_UNSAFE_BUT_LINES = re.compile(f"[{_UNSAFE_BESIDE_LINES}]")
_LINE_BREAKS = re.compile("[\r\n\t\u2028\u2029]+")
# ASCII text needs work only when it holds a control other than a newline or tab.
_ASCII_NEEDS_WORK = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def strip_escape_sequences(text: str) -> str:
    """`text` without terminal escape sequences (whole: introducer, parameters, terminator)."""
    if "\x1b" not in text and (text.isascii() or not _C1_INTRODUCERS.search(text)):
        return text
    return _escape_sequence().sub("", text)


def printable(text: str | None, *, keep_newlines: bool = False) -> str:
    """`text` without escape sequences, control, bidi and zero-width characters.

    Without `keep_newlines`, line breaks and tabs become single spaces, which
    is what a title or a list row needs.
    """
    if not text:
        return ""
    # Fast paths: this runs on every string shown. `isprintable` is False for every
    # control, format (bidi, zero-width) and separator character but the space.
    if text.isprintable():
        return text
    if text.isascii() and not _ASCII_NEEDS_WORK.search(text):
        return text if keep_newlines else _LINE_BREAKS.sub(" ", text)
    text = strip_escape_sequences(text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _UNSAFE_BUT_LINES.sub("", text)
    return _UNSAFE.sub("", _LINE_BREAKS.sub(" ", text))


# What JSON may carry unescaped but a terminal acts on or hides: DEL and the C1
# controls, bidi and zero-width characters, line separators, lone surrogates
# (which would not even encode). JSON reads them back the same from \u escapes.
_JSON_TERMINAL_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def terminal_safe_json(text: str) -> str:
    """JSON text with every character a terminal could act on written as a \\u escape.

    Only the form changes: a JSON reader gets exactly the same data back.
    """
    return _JSON_TERMINAL_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def is_openable_url(url: str | None) -> bool:
    """True when a link may be handed to a browser or mail client."""
    if not url:
        return False
    if any(ord(char) < 32 or char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in OPENABLE_SCHEMES:
        return False
    if parts.scheme.lower() == "mailto":
        return bool(parts.path)
    return bool(parts.netloc)


# Characters that can start Markdown syntax inside a line: emphasis, code spans,
# links and images, raw HTML and autolinks, headings' closing `#`s, strikethrough,
# and the backslash itself. Each is escaped with a backslash, which CommonMark
# allows before any ASCII punctuation.
_MARKDOWN_SIGNIFICANT = re.compile(r"([\\`*_\[\]<>#~|])")
# `&amp;`, `&#35;`: an entity reference would render as the character it names.
_MARKDOWN_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# In a link destination: what would end it early or open the `<...>` form.
_LINK_DESTINATION_SIGNIFICANT = re.compile(r"([\\()<>])")


def markdown_text(text: str | None) -> str:
    """Untrusted text as one line of Markdown that renders as exactly this text.

    For titles in a Markdown document: `[@click=app.quit]` stays literal, a `*`
    or `_` never starts emphasis, a `#` never closes a heading.
    """
    text = " ".join(printable(text).split())
    text = _MARKDOWN_SIGNIFICANT.sub(r"\\\1", text)
    return _MARKDOWN_ENTITY.sub(r"\\&", text)


def markdown_link(text: str | None, url: str | None) -> str:
    """`[text](url)` with both escaped, or the escaped text alone when the url may not open."""
    label = markdown_text(text)
    if not url or not is_openable_url(url):
        return label
    destination = _LINK_DESTINATION_SIGNIFICANT.sub(r"\\\1", url)
    return f"[{label}]({destination})"


# Inline links and pictures of Markdown: `[text](destination "title")` (the destination
# possibly in <>), and autolinks `<scheme:...>`.
_INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.)*)\]\(\s*(<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)[^)\n]*\)"
)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")


def without_unsafe_links(markdown: str) -> str:
    """Markdown whose links all open in a browser: a link to anything but http, https or
    mailto (javascript:, file:, data:, a relative path) keeps only its text, a picture
    from anywhere but http(s) only its alt text. For Markdown read elsewhere (an export)."""

    def link(match: re.Match[str]) -> str:
        picture, text, destination = match.group(1), match.group(2), match.group(3)
        url = destination[1:-1] if destination.startswith("<") else destination
        allowed = url.startswith(("http://", "https://")) if picture else is_openable_url(url)
        return match.group(0) if allowed else text

    def autolink(match: re.Match[str]) -> str:
        url = match.group(1)
        return match.group(0) if is_openable_url(url) else markdown_text(url)

    return _AUTOLINK.sub(autolink, _INLINE_LINK.sub(link, markdown))
