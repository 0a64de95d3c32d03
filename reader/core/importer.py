"""Files on disk -> parsed issues: Markdown, text, HTML, e-mail and mbox.

Decides per file which reader applies and turns a scraped article (plain text
with page noise) into a one-item issue through the cleaner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reader.core.errors import InputError, ReaderError
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.core.store import PreparedIssue

MAX_IMPORT_FILE_BYTES = 20 * 1024 * 1024

MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt", ".text", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
EMAIL_SUFFIXES = {".eml"}
MBOX_SUFFIXES = {".mbox"}
OPML_SUFFIXES = {".opml"}
IMPORTABLE_SUFFIXES = (
    MARKDOWN_SUFFIXES | HTML_SUFFIXES | EMAIL_SUFFIXES | MBOX_SUFFIXES | OPML_SUFFIXES
) - {""}

# Markdown structure that a newsletter written by hand has and a scraped
# page's text lacks: headings, inline links, list entries with links.
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+\S", re.MULTILINE)
_LINK = re.compile(r"\[[^\]\n]+\]\([^)\s]+[^)]*\)|<https?://[^>\s]+>")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?(?:---|\+\+\+)\s*\n")


@dataclass
class FileProblem:
    """A file that could not be imported, or imported with a warning."""

    path: str
    message: str


@dataclass
class LoadedFile:
    """What one file gave: its issues (possibly none) and any warnings."""

    path: Path
    # Prepared for the store (store.prepare_issue) when read in a worker process.
    issues: list[ParsedIssue | PreparedIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    size: int = 0  # bytes read


def iter_import_files(paths: list[Path]) -> Iterator[Path]:
    """Expand folders recursively into the importable files they hold, in name order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in IMPORTABLE_SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                ):
                    yield child
        else:
            yield path


def is_opml(path: Path) -> bool:
    """True for an OPML subscription list, which importing subscribes to."""
    return path.suffix.lower() in OPML_SUFFIXES


def looks_like_scraped_article(text: str) -> bool:
    """True for plain text without the Markdown a newsletter is written in."""
    if _FRONT_MATTER.match(text) or _HEADING.search(text):
        return False
    return len(_LINK.findall(text)) < 2


def article_issue(text: str, *, fallback_title: str, file: str | None) -> ParsedIssue:
    """A scraped article as one issue with one item, its page noise removed."""
    from reader.core.clean import clean_article

    cleaned = clean_article(text)
    title = cleaned.title or fallback_title
    body = cleaned.body.strip()
    if not body:
        raise InputError("the file holds no readable text")
    item = ParsedItem(title=title, url=None, body=body, links=())
    return ParsedIssue(
        title=title,
        date=None,
        url=None,
        sections=(ParsedSection(title="", items=(item,)),),
        file=file,
    )


def read_bytes(path: Path) -> bytes:
    """The bytes of an import file, refusing what cannot be a newsletter."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("no such file") from None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}") from None
    if size > MAX_IMPORT_FILE_BYTES:
        limit_mb = MAX_IMPORT_FILE_BYTES // (1024 * 1024)
        raise InputError(f"the file is {size / 1048576:.0f} MB, over the {limit_mb} MB limit")
    if size == 0:
        raise InputError("the file is empty")
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}") from None


def load_file(path: Path) -> LoadedFile:
    """Read one file into parsed issues; raises InputError for a file it cannot use."""
    from reader.core.convert import split_html
    from reader.core.split import split_markdown
    from reader.core.textio import decode_text

    suffix = path.suffix.lower()
    name = str(path)
    loaded = LoadedFile(path=path)
    if suffix in MBOX_SUFFIXES:
        from reader.core.email import parse_mbox

        loaded.issues.extend(parse_mbox(path, errors=loaded.warnings))
        if not loaded.issues:
            raise InputError("the mailbox holds no readable message")
        loaded.size = file_size(path)
        return loaded
    data = read_bytes(path)
    loaded.size = len(data)
    if suffix in EMAIL_SUFFIXES:
        from reader.core.email import parse_message

        loaded.issues.append(parse_message(data, file=name))
        return loaded
    text = decode_text(data)
    if not text.strip():
        raise InputError("the file holds only white space")
    fallback_title = path.stem
    if suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and _is_html(text)):
        issue = split_html(text, fallback_title=fallback_title, file=name)
    elif looks_like_scraped_article(text):
        issue = article_issue(text, fallback_title=fallback_title, file=name)
    else:
        issue = split_markdown(text, fallback_title=fallback_title, file=name)
    loaded.issues.append(issue)
    loaded.warnings.extend(issue.warnings)
    return loaded


def _is_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


def load_file_safely(path: Path) -> LoadedFile | FileProblem:
    """`load_file`, turning a user-caused failure into a FileProblem."""
    try:
        return load_file(path)
    except ReaderError as error:
        return FileProblem(str(path), str(error))
    except (UnicodeError, ValueError, RecursionError) as error:
        return FileProblem(str(path), f"cannot read the file as a newsletter: {error}")


def file_size(path: Path) -> int:
    """A file's size on disk; 0 when it cannot be told."""
    try:
        return path.stat().st_size
    except OSError:
        return 0
