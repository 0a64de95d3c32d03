"""E-mail import: one message (.eml bytes) or an mbox file -> parsed issues.

The HTML part is preferred and split like any issue; plain text is the fallback.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from os import PathLike
from pathlib import Path

from reader.core.convert import split_html
from reader.core.errors import InputError
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.core.safety import strip_escape_sequences
from reader.core.split import split_markdown
from reader.core.textio import decode_text

# One message larger than this is skipped: newsletters are far smaller, and the
# importer caps a single file at the same size.
MAX_MESSAGE_BYTES = 20 * 1024 * 1024
# MIME parts nested deeper than this are ignored; real mail nests a few levels,
# hostile mail nests thousands to exhaust the parser's recursion.
MAX_MIME_DEPTH = 32
NO_SUBJECT_TITLE = "(no subject)"
_TOO_DEEP = "the e-mail message is nested too deeply to read"

# A message has at least one of these; a file with none is not e-mail.
_EMAIL_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "received",
        "return-path",
        "delivered-to",
        "reply-to",
        "sender",
        "list-id",
    }
)
# Declared charsets that are usually a narrower guess than the real encoding.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
}
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_ANGLE_URL = re.compile(r"<\s*(https?://[^>\s]+)\s*>")
_WEB_URL = re.compile(r"https?://[^\s<>\"')\]]+")
# The link text of a "view in browser" link, in English and Chinese.
_VIEW_ONLINE = re.compile(
    r"view\b.{0,30}\b(?:browser|online|on the web|web version)"
    r"|web\s+version|read\s+(?:it\s+)?online|read\s+on\s+the\s+web|open\s+in\s+(?:your\s+)?browser"
    r"|浏览器|瀏覽器|网页版|網頁版|在线阅读|在線閱讀|线上阅读|線上閱讀",
    re.IGNORECASE,
)
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class _Body:
    """The text chosen to stand for a message, and where it came from."""

    kind: str  # "html" or "plain"
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)


def parse_message(data: bytes, *, file: str | None = None) -> ParsedIssue:
    """One RFC 5322 message as an issue; raises InputError when it is not readable e-mail."""
    if len(data) > MAX_MESSAGE_BYTES:
        limit_mb = MAX_MESSAGE_BYTES // (1024 * 1024)
        raise InputError(f"the message is over the {limit_mb} MB limit")
    if not data.strip():
        raise InputError("the message is empty")
    if b"\x00" in data[:4096]:
        raise InputError("this is a binary file, not an e-mail message")
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except RecursionError:
        raise InputError(_TOO_DEEP) from None
    except (ValueError, TypeError, LookupError) as error:
        raise InputError(f"cannot read the e-mail message: {error}") from None
    if not any(name.lower() in _EMAIL_HEADERS for name, _ in message.raw_items()):
        raise InputError("this is not an e-mail message: it has no mail headers")
    try:
        return _issue(message, data, file)
    except RecursionError:
        raise InputError(_TOO_DEEP) from None


def parse_mbox(
    path: str | PathLike[str], *, errors: list[str] | None = None
) -> Iterator[ParsedIssue]:
    """Each readable message of an mbox file as an issue.

    A message that cannot be read is skipped, not fatal: its problem is appended
    to `errors` (when given) as `message N: reason`, N counting from 1. A path
    that is not a readable file raises InputError.
    """
    box_path = Path(path)
    if not box_path.is_file():
        raise InputError("no such mailbox file")
    try:
        box = mailbox.mbox(box_path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as error:
        raise InputError(f"cannot read the mailbox: {error}") from None
    try:
        for number, key in enumerate(keys, start=1):
            try:
                data = box.get_bytes(key)
                yield parse_message(data, file=str(box_path))
            except InputError as error:
                if errors is not None:
                    errors.append(f"message {number}: {error}")
            except (OSError, KeyError) as error:
                if errors is not None:
                    errors.append(f"message {number}: cannot be read ({error})")
    finally:
        box.close()


# --- the issue ----------------------------------------------------------------


def _issue(message: EmailMessage, data: bytes, file: str | None) -> ParsedIssue:
    warnings: list[str] = []
    subject = _subject(message)
    date = _date(message, warnings)
    body = _choose_body(message, depth=0)
    url = _header_url(message, "archived-at") or _header_url(message, "list-post")
    if url is None and body is not None:
        url = _view_online_url(body)
    fallback = subject or (Path(file).stem if file else None) or NO_SUBJECT_TITLE
    issue: ParsedIssue | None = None
    if body is not None and body.kind == "html":
        issue = split_html(body.text, fallback_title=fallback, file=file, base_url=url)
    elif body is not None:
        issue = split_markdown(body.text, fallback_title=fallback, file=file)
    if issue is None or issue.item_count == 0:
        warnings.append("the message has no readable text")
        issue = _placeholder_issue(message, fallback, file)
    return replace(
        issue,
        title=subject or issue.title or fallback,
        date=date or issue.date,
        url=url or issue.url,
        file=file,
        key=_message_key(message, data),
        warnings=(*issue.warnings, *warnings),
    )


def _placeholder_issue(message: EmailMessage, title: str, file: str | None) -> ParsedIssue:
    """An issue for a message without text (only attachments), so it still lists."""
    names = _attachment_names(message)
    body = "_This message has no readable text._"
    if names:
        body += "\n\nAttachments: " + ", ".join(names)
    item = ParsedItem(title=title, url=None, body=body)
    return ParsedIssue(
        title=title,
        date=None,
        url=None,
        sections=(ParsedSection(title="", items=(item,)),),
        file=file,
    )


def _attachment_names(message: Message) -> list[str]:
    names: list[str] = []
    for part in _parts(message, depth=0):
        try:
            name = part.get_filename()
        except (HeaderParseError, ValueError, TypeError, LookupError):
            name = None
        if name:
            names.append(_clean_header_text(name))
    return names


def _parts(message: Message, depth: int) -> Iterator[Message]:
    """Every leaf part, depth-first, without following nesting past MAX_MIME_DEPTH."""
    if depth > MAX_MIME_DEPTH:
        return
    if message.is_multipart():
        payload = message.get_payload()
        if isinstance(payload, list):
            for part in payload:
                if isinstance(part, Message):
                    yield from _parts(part, depth + 1)
        return
    yield message


# --- headers ------------------------------------------------------------------------


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _clean_header_text(text: str) -> str:
    """Unfolded, single-spaced header text without control characters."""
    text = strip_escape_sequences(text.replace("\r", "").replace("\n", " "))
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)
    return " ".join(text.split())


def _subject(message: Message) -> str | None:
    raw = _raw_header(message, "subject")
    if raw is None:
        return None
    text: str
    if _SURROGATE.search(raw):
        # Unencoded 8-bit bytes in the header: decode them like a body.
        text = _decode_bytes(raw.encode("ascii", "surrogateescape"), None)
    else:
        text = raw
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", text)
    try:
        text = str(make_header(decode_header(unfolded)))
    except (HeaderParseError, ValueError, LookupError, UnicodeError, TypeError):
        # A broken encoded word: the raw text is still better than no title.
        text = unfolded
    text = _clean_header_text(text)
    return text or None


def _date(message: Message, warnings: list[str]) -> datetime | None:
    raw = _raw_header(message, "date")
    if raw is None or not raw.strip():
        return None
    try:
        value = parsedate_to_datetime(_clean_header_text(raw))
    except (ValueError, TypeError, IndexError, OverflowError):
        warnings.append("the Date header could not be read")
        return None
    if not _EARLIEST_YEAR <= value.year <= _LATEST_YEAR:
        warnings.append(f"the Date header gives the year {value.year}, taken as no date")
        return None
    # `-0000` means "UTC, local zone unknown"; the instant is still exact.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# No mail was sent before 1970; near datetime's limits (years 1 and 9999) a zone
# offset would push a date out of range when it is made UTC.
_EARLIEST_YEAR = 1970
_LATEST_YEAR = 9000


def _header_url(message: Message, name: str) -> str | None:
    raw = _raw_header(message, name)
    if not raw:
        return None
    text = _clean_header_text(raw)
    angled = _ANGLE_URL.search(text)
    if angled:
        return angled.group(1)
    # Only web links count: List-Post is often a mailto: address.
    bare = _WEB_URL.search(text)
    return bare.group(0) if bare else None


def _message_key(message: Message, data: bytes) -> str:
    """Message-ID without its brackets; a content hash for messages without one."""
    raw = _raw_header(message, "message-id")
    if raw:
        key = _clean_header_text(raw).strip().strip("<>").strip()
        if key:
            return key
    return "sha1:" + hashlib.sha1(data).hexdigest()


# --- the body ---------------------------------------------------------------------------


def _choose_body(message: Message, depth: int) -> _Body | None:
    """HTML with text, else plain text, else HTML of images, else a nested message's body."""
    html: list[Message] = []
    plain: list[Message] = []
    nested: list[Message] = []
    _collect(message, depth, html, plain, nested)
    bodies_without_text: list[_Body] = []
    for part in html:
        text = _part_text(part)
        scan = _scan_html(text)
        body = _Body("html", text, scan.links)
        if scan.has_text:
            return body
        if text.strip():
            bodies_without_text.append(body)
    for part in plain:
        text = _part_text(part)
        if text.strip():
            return _Body("plain", text, [])
    if bodies_without_text:
        return bodies_without_text[0]
    for inner in nested:
        found = _choose_body(inner, depth + 1)
        if found is not None:
            return found
    return None


def _collect(
    part: Message, depth: int, html: list[Message], plain: list[Message], nested: list[Message]
) -> None:
    if depth > MAX_MIME_DEPTH:
        return
    content_type = part.get_content_type()
    if part.is_multipart():
        payload = part.get_payload()
        if not isinstance(payload, list):
            return
        if content_type in {"message/rfc822", "message/global"}:
            nested.extend(inner for inner in payload if isinstance(inner, Message))
            return
        if content_type.startswith("message/"):
            # Delivery reports and the like: machine-readable fields, not a body.
            return
        for child in payload:
            if isinstance(child, Message):
                _collect(child, depth + 1, html, plain, nested)
        return
    if _is_attachment(part):
        return
    if content_type == "text/html":
        html.append(part)
    elif content_type == "text/plain":
        plain.append(part)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
    except (ValueError, TypeError, LookupError):
        return False
    return disposition == "attachment"


def _part_text(part: Message) -> str:
    """The decoded text of a leaf part, surviving wrong or unknown charsets."""
    try:
        raw = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError):
        raw = None
    if not isinstance(raw, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        declared = part.get_content_charset()
    except (ValueError, TypeError, LookupError):
        declared = None
    if declared is None and part.get_content_type() == "text/html":
        meta = _META_CHARSET.search(raw[:4096])
        declared = meta.group(1).decode("ascii", "replace").lower() if meta else None
    return _decode_bytes(raw, declared)


def _decode_bytes(raw: bytes, declared: str | None) -> str:
    """Decode with the declared charset when it fits, else detect the encoding."""
    wide = declared is not None and declared.startswith(("utf-16", "utf-32"))
    if not wide and not raw.isascii():
        # Valid UTF-8 by accident is rare in legacy encodings, and mail that
        # declares us-ascii or latin-1 over UTF-8 bytes is common.
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if declared:
        try:
            return raw.decode(_CHARSET_SUPERSETS.get(declared, declared))
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_text(raw)
    except InputError:
        return raw.decode("utf-8", errors="replace")


# --- HTML scanning --------------------------------------------------------------------


class _HtmlScan(HTMLParser):
    """Collects whether an HTML body has visible text, and its links with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.has_text = False
        self.links: list[tuple[str, str]] = []
        self._skip_depth = 0
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head", "title"}:
            self._skip_depth += 1
        elif tag == "a":
            self._href = dict(attrs).get("href") or None
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"} and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._link_text).split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if data.strip(" \t\r\n\xa0\u200b\u200c\u034f"):
            self.has_text = True
        if self._href is not None:
            self._link_text.append(data)


def _scan_html(text: str) -> _HtmlScan:
    scan = _HtmlScan()
    try:
        scan.feed(text)
        scan.close()
    except (AssertionError, ValueError):
        # html.parser gives up on some broken markup; what it saw so far stands.
        pass
    return scan


def _view_online_url(body: _Body) -> str | None:
    """The "view this e-mail in your browser" link, when the message has one."""
    if body.kind == "html":
        for href, text in body.links:
            href = href.strip()
            if href.lower().startswith(("http://", "https://")) and _VIEW_ONLINE.search(text):
                return href
        return None
    # In plain text the link follows the cue on the same line or the next one.
    lines = body.text.splitlines()[:40]
    for number, line in enumerate(lines):
        if _VIEW_ONLINE.search(line):
            match = _WEB_URL.search(" ".join(lines[number : number + 2]))
            if match:
                return match.group(0)
    return None
