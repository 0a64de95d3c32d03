"""Display rules for untrusted text: no control characters, only safe links.

Everything from a feed, a file or a page passes through here before it
reaches a terminal (the CLI prints it, the TUI shows it).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})

# ANSI/VT escape sequences as a whole (CSI, OSC up to BEL or ST, and
# two-character escapes), so that no parameter bytes are left behind.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
    r"|\x1b[@-_]?"
)

# Bidirectional overrides and isolates can make text read in another order
# than it is stored (a URL that looks like another); zero-width characters
# hide text. Both go.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
)


def _is_unsafe(char: str, keep_newlines: bool) -> bool:
    if char in _INVISIBLE:
        return True
    if keep_newlines and char in "\n\t":
        return False
    return unicodedata.category(char) in {"Cc", "Cs", "Co"} or char in "\u2028\u2029"


def printable(text: str | None, *, keep_newlines: bool = False) -> str:
    """`text` without escape sequences, control, bidi and zero-width characters.

    Without `keep_newlines`, line breaks and tabs become single spaces, which
    is what a title or a list row needs.
    """
    if not text:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", text)
    if not keep_newlines:
        text = re.sub(r"[\r\n\t\u2028\u2029]+", " ", text)
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        (" " if not keep_newlines and char in "\n\t" else "")
        if _is_unsafe(char, keep_newlines)
        else char
        for char in text
    )


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
