"""Front matter (YAML `---`, TOML `+++`, Pelican `Key: value` headers) and tolerant dates.

Pure functions: text in, metadata and the remaining Markdown out; dates never change zone.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import yaml

# The loader keeps every scalar a string: YAML's own timestamp parsing rejects
# odd dates such as `2025/02/28/ 20:00:00`, crashes on `0000-00-00` and shifts
# zoned times to UTC, so dates go through `parse_date` instead.
_Loader: type[yaml.SafeLoader] = type(
    "_Loader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {}
)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_YAML_OPEN = re.compile(r"---[ \t]*\n")
_YAML_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TOML_OPEN = re.compile(r"\+\+\+[ \t]*\n")
_TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"([A-Za-z][\w .\-]{0,40}?)[ \t]*:(?:[ \t]+(.*)|[ \t]*)$")
_TOML_LINE = re.compile(r"([A-Za-z_][\w\-]*)[ \t]*=[ \t]*(.*)$")
# A header block only counts when it names one of these: a text that merely
# starts with "Note: ..." is prose, not metadata.
_HEADER_KEYS = frozenset({"title", "date", "subject"})
_MAX_FRONT_MATTER_CHARS = 64_000


def parse_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split leading YAML, TOML or Pelican metadata from `text`; ({}, text) when there is none."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("---"):
        return _delimited(text, _YAML_OPEN, _YAML_CLOSE, _load_yaml)
    if text.startswith("+++"):
        return _delimited(text, _TOML_OPEN, _TOML_CLOSE, _load_toml)
    return _pelican_header(text)


def _delimited(
    text: str,
    opening: re.Pattern[str],
    closing: re.Pattern[str],
    load: Callable[[str], dict[str, object]],
) -> tuple[dict[str, object], str]:
    first = opening.match(text)
    # Front matter starts with its first key on the next line; `---` followed
    # by a blank line is a thematic break opening the text.
    if first is None or text[first.end() : first.end() + 1] in ("\n", ""):
        return {}, text
    end = closing.search(text, first.end(), first.end() + _MAX_FRONT_MATTER_CHARS)
    if end is None:
        return {}, text
    meta = load(text[first.end() : end.start()])
    if not meta:
        return {}, text
    rest = text[end.end() :]
    return meta, rest[1:] if rest.startswith("\n") else rest


def _load_yaml(block: str) -> dict[str, object]:
    try:
        data = yaml.load(block, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError:
        # Hand-written front matter is often invalid YAML (`title: A: B`); the
        # plain key lines still carry the title and date.
        return _key_lines(block)
    if isinstance(data, dict):
        return {str(key): value for key, value in data.items()}
    return {}


def _load_toml(block: str) -> dict[str, object]:
    try:
        return dict(tomllib.loads(block))
    except tomllib.TOMLDecodeError:
        meta: dict[str, object] = {}
        for line in block.splitlines():
            match = _TOML_LINE.match(line.strip())
            if match:
                meta[match.group(1)] = match.group(2).strip().strip("\"'")
        return meta


def _key_lines(block: str) -> dict[str, object]:
    """`key: value` lines of broken YAML; prose between two rules is not metadata."""
    meta: dict[str, object] = {}
    for line in block.splitlines():
        if not line.strip() or line[:1] in (" ", "\t", "-", "#"):
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            return {}
        if match.group(2):
            meta[match.group(1).strip()] = match.group(2).strip().strip("\"'")
    return meta


def _pelican_header(text: str) -> tuple[dict[str, object], str]:
    """Pelican / MultiMarkdown metadata: `Key: value` lines up to the first blank line."""
    first = _KEY_LINE.match(text[: text.find("\n") if "\n" in text else len(text)])
    if first is None:
        return {}, text
    meta: dict[str, object] = {}
    last_key = ""
    position = 0
    while position < len(text):
        newline = text.find("\n", position)
        line_end = len(text) if newline < 0 else newline
        line = text[position:line_end]
        position = line_end + 1
        if not line.strip():
            break
        if line[:1] in (" ", "\t") and last_key:
            meta[last_key] = f"{meta[last_key]} {line.strip()}".strip()
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            return {}, text
        last_key = match.group(1).strip().lower()
        meta[last_key] = (match.group(2) or "").strip()
    if not _HEADER_KEYS & meta.keys():
        return {}, text
    return meta, text[min(position, len(text)) :]


# --- dates ----------------------------------------------------------------

_NUMERIC_DATE = re.compile(
    r"""^\s*(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?[/.]?
    (?:(?:\s*[Tt]\s*|\s+)(?P<hour>\d{1,2})\s*[:：时]\s*(?P<minute>\d{2})
       (?:\s*[:：分]\s*(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?\s*秒?)?
    \s*(?P<zone>[Zz]|(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?|UTC|GMT)?\s*$""",
    re.VERBOSE,
)
_WORD_DATE_FORMATS = (
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y %H:%M",
    "%b %d, %Y %H:%M",
)
# Years outside these are typos or attacks; near datetime's own limits (1 and
# 9999), a zone offset would push a date out of range when it is made UTC.
_MIN_YEAR = 1000
_MAX_YEAR = 9000


def parse_date(value: object) -> datetime | None:
    """A datetime from a date-like value, or None; naive when no zone was given."""
    if isinstance(value, datetime):
        found: datetime | None = value
    elif isinstance(value, date):
        found = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 100:
            return None
        found = _numeric_date(text) or _rfc822_date(text) or _word_date(text)
    else:
        return None
    if found is None or not _MIN_YEAR <= found.year <= _MAX_YEAR:
        return None
    return found


def _numeric_date(text: str) -> datetime | None:
    match = _NUMERIC_DATE.match(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    try:
        found = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction or 0),
        )
    except ValueError:
        return None
    zone = parts["zone"]
    if zone is None:
        return found
    offset = _zone_offset(zone)
    return None if offset is None else found.replace(tzinfo=offset)


def _zone_offset(zone: str) -> timezone | None:
    zone = zone.strip().upper().removeprefix("UTC").removeprefix("GMT").strip()
    if zone in ("", "Z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _rfc822_date(text: str) -> datetime | None:
    if not any(character.isalpha() for character in text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _word_date(text: str) -> datetime | None:
    for pattern in _WORD_DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None
