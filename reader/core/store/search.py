"""Full-text search over items: bounded FTS5 queries, ordering, and plain-text snippets.

The index itself (table and triggers) is defined in schema.py; segmentation in segment.py.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

from reader.core.model import SearchHit
from reader.core.store.reading import view_clause
from reader.core.store.segment import match_expression, query_words

# Each FTS5 query stops after this many matches, newest first: ordering every item that holds
# a common word costs over 100 ms on 100,000 items, and nobody pages that far.
SEARCH_CANDIDATES_MAX = 500
SNIPPET_CHARS = 120
# How much text comes before the first hit in a snippet.
SNIPPET_LEAD_CHARS = 40
# Markdown around the first hit that is cleaned for a snippet; bodies can be whole articles.
SNIPPET_WINDOW_BEFORE_CHARS = 200
SNIPPET_WINDOW_AFTER_CHARS = 400

_TOKEN = re.compile(r"[^\W_]+")
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_MARKUP = re.compile(
    r"<!--.*?-->"  # HTML comments
    r"|^[ \t]*(?:```|~~~).*$"  # code fence lines
    r"|^[ \t]*\[[^\]]+\]:[ \t]*\S+.*$"  # link reference definitions
    r"|</?[A-Za-z][^>\n]*>"  # HTML tags
    r"|^[ \t]{0,3}(?:#{1,6}|>+|[-*+]|\d+[.)])[ \t]+"  # headings, quotes, list markers
    r"|^[ \t]*(?:[-*_=][ \t]*){3,}$"  # rules
    r"|\*{1,3}|~~|`+|(?<!\w)_{1,3}|_{1,3}(?!\w)"  # emphasis and code marks
    r"|[\x00-\x1f\x7f-\x9f]",  # control characters (newlines too, after the line rules)
    re.MULTILINE | re.DOTALL,
)


def plain_text(markdown: str) -> str:
    """Markdown stripped crudely to one line of readable text."""
    text = _LINK.sub(r"\1", markdown)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


def _first_hit(text: str, words: list[str]) -> int:
    """Where the first of `words` starts in `text`, case-insensitively; -1 if none is there."""
    folded = text.casefold()
    if len(folded) != len(text):
        # Case folding changed lengths (ß -> ss), so its offsets would not fit `text`.
        folded = text.lower() if len(text.lower()) == len(text) else text
    hits = [position for word in words if (position := folded.find(word)) >= 0]
    return min(hits, default=-1)


def snippet(markdown: str, words: list[str]) -> str:
    """About SNIPPET_CHARS of plain text around the first of `words` in `markdown`."""
    first = _first_hit(markdown, words)
    if first < 0 and not unicodedata.is_normalized("NFKC", markdown):
        # The text may match only once normalised (full-width letters, say).
        markdown = unicodedata.normalize("NFKC", markdown)
        first = _first_hit(markdown, words)
    first = max(first, 0)
    # Clean only a window around the hit, then find the hit again in the clean text.
    window_start = max(0, first - SNIPPET_WINDOW_BEFORE_CHARS)
    window_end = first + SNIPPET_WINDOW_AFTER_CHARS
    # Not normalised here: NFKC costs more than the rest of the snippet, and the text is shown
    # as written unless only its normalised form matched.
    text = plain_text(markdown[window_start:window_end])
    first = max(_first_hit(text, words), 0)
    start = max(0, first - SNIPPET_LEAD_CHARS)
    if start > 0:
        # Begin at a word boundary when the lead-in has one (CJK text has none to find).
        space = text.find(" ", start, first)
        if space >= 0:
            start = space + 1
    end = start + SNIPPET_CHARS
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        if space > start:
            end = space
    before = "…" if start > 0 or window_start > 0 else ""
    after = "…" if end < len(text) or window_end < len(markdown) else ""
    return before + text[start:end].strip() + after


def _without_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    if len(decomposed) == len(text):
        # Nothing came apart, so there are no accents to drop (the common case for CJK).
        return text
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words_in_title(title: str, words: list[str]) -> int:
    """How many of the query words a title holds, near enough to what the index matched.

    Checked in Python over the bounded candidates: an FTS5 title-only query for a common
    word would have to test every item that holds it.
    """
    folded = _without_accents(title).casefold()
    tokens = set(_TOKEN.findall(folded))
    count = 0
    for word in words:
        plain = _without_accents(word)
        # A whole word for a word, a substring for CJK text (no spaces to split on) or a
        # word with punctuation inside.
        whole_word = plain.isascii() and _TOKEN.fullmatch(plain) is not None
        count += (plain in tokens) if whole_word else (plain in folded)
    return count


def _candidates(
    connection: sqlite3.Connection, expression: str, source_id: int | None, view: str
) -> list[int]:
    """Rowids of the newest matches (by insertion), at most SEARCH_CANDIDATES_MAX."""
    clauses = []
    parameters: list[object] = [expression]
    clause = view_clause(view)
    if clause:
        clauses.append(clause)
    if source_id is not None:
        clauses.append("it.issue_id IN (SELECT id FROM issues WHERE source_id = ?)")
        parameters.append(source_id)
    if clauses:
        # CROSS JOIN keeps the FTS5 cursor outermost so it still walks rowids downwards.
        sql = (
            "SELECT items_fts.rowid FROM items_fts CROSS JOIN items AS it"
            " ON it.rowid = items_fts.rowid WHERE items_fts MATCH ? AND "
            + " AND ".join(clauses)
            + " ORDER BY items_fts.rowid DESC LIMIT ?"
        )
    else:
        sql = "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    parameters.append(SEARCH_CANDIDATES_MAX)
    return [int(row[0]) for row in connection.execute(sql, parameters)]


def search(
    connection: sqlite3.Connection,
    query: str,
    *,
    limit: int,
    source_id: int | None,
    view: str,
) -> list[SearchHit]:
    """Items holding every word of `query`: title matches first, then newest issue first.

    Only the SEARCH_CANDIDATES_MAX most recently added matches are ordered, which keeps a
    word found in half the library as quick as a rare one.
    """
    words = query_words(query)
    expression = match_expression(words)
    if expression is None or limit <= 0:
        return []
    candidates = _candidates(connection, expression, source_id, view)
    if not candidates:
        return []
    keys = connection.execute(
        "SELECT it.rowid, iss.sort_date, iss.rowid, it.position, it.title FROM items AS it"
        " JOIN issues AS iss ON iss.id = it.issue_id"
        " WHERE it.rowid IN (SELECT value FROM json_each(?))",
        (json.dumps(candidates),),
    ).fetchall()
    # Stable sorts from the last key to the first: reading order within an issue, issues
    # newest first (undated last), then items whose titles hold more of the words first.
    keys.sort(key=lambda key: (key[2], key[3]))
    keys.sort(key=lambda key: key[1] or "", reverse=True)
    keys.sort(key=lambda key: _words_in_title(str(key[4]), words), reverse=True)
    rank = {int(key[0]): index for index, key in enumerate(keys[:limit])}
    rows = connection.execute(
        "SELECT it.rowid, it.id, it.title, it.url, it.issue_id, iss.title, sec.title, it.body,"
        " it.read FROM items AS it JOIN issues AS iss ON iss.id = it.issue_id"
        " JOIN sections AS sec ON sec.id = it.section_id"
        " WHERE it.rowid IN (SELECT value FROM json_each(?))",
        (json.dumps(list(rank)),),
    ).fetchall()
    rows.sort(key=lambda row: rank[int(row[0])])
    return [
        SearchHit(
            item_id=str(item_id),
            title=str(title),
            url=None if url is None else str(url),
            issue_id=str(issue_id),
            issue_title=str(issue_title),
            section_title=str(section_title),
            snippet=snippet(str(body), words) or plain_text(str(title)),
            read=bool(read),
        )
        for _, item_id, title, url, issue_id, issue_title, section_title, body, read in rows
    ]
