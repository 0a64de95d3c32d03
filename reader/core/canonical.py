"""Canonical item URLs: one spelling per story, so links to it from different issues meet.

Pure string work, no network: the canonical form is a key for comparison, never fetched.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# Query parameters that say where a click came from, never which page it is. Compared
# case-insensitively; `utm_` and the other prefixes below match any suffix.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "mkt_tok",
        "ref", "ref_src", "ref_url", "referrer", "spm", "scm", "_ga", "_gl",
        "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "rb_clickid", "s_kwcid",
        "wickedid", "ck_subscriber_id", "sr_share", "ncid", "cmpid", "trk",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters RFC 3986 calls unreserved: their percent-encoded and plain forms are one URL.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20]")
# What stays as written in a path or a query (escapes included); the rest is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
# Text that quote() would leave as it is, in a path or a query alike.
_PLAIN = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")


def _normalise_escapes(text: str, safe: str) -> str:
    """Escapes of unreserved characters decoded, the others in upper case, the rest encoded."""
    if _PLAIN.fullmatch(text):
        return text  # the common case: nothing to decode, nothing to encode

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_PERCENT_ESCAPE.sub(one, text), safe=safe)


def _is_tracking(name: str) -> bool:
    folded = _normalise_escapes(name, "").lower()
    return folded in TRACKING_PARAMETERS or folded.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The form of an http(s) link that two links to the same page share, or None.

    Scheme and host are lower-cased (http is read as https, `www.` dropped), default ports,
    user names, trailing slashes, tracking parameters (utm_*, fbclid...) and fragments go;
    the remaining parameters, which say which page it is, are kept in sorted order.
    """
    if not url:
        return None
    text = url.strip()
    if not text or _CONTROL_OR_SPACE.search(text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    host = host.removeprefix("www.")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _normalise_escapes(parts.path, _PATH_SAFE).rstrip("/") or "/"
    kept = [
        _normalise_escapes(pair, _QUERY_SAFE)
        for pair in parts.query.split("&")
        if pair and not _is_tracking(pair.partition("=")[0])
    ]
    query = "?" + "&".join(sorted(kept)) if kept else ""
    # A fragment usually points into the page; one that starts with ! or / is the route
    # of a single-page site, and so names the page itself.
    fragment = parts.fragment if parts.fragment.startswith(("!", "/")) else ""
    return f"https://{host}{path}{query}" + (f"#{fragment}" if fragment else "")
