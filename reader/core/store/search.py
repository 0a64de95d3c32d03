"""Full-text search over items and their saved articles: bounded FTS5 queries, ordering,
snippets and their highlights.

The index itself (table and triggers) is defined in schema.py; segmentation in segment.py.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from reader.core.model import SearchHit
from reader.core.store import folding
from reader.core.store.reading import EFFECTIVE_DATE, view_clause
from reader.core.store.segment import (
    CJK_CHARS,
    CJK_RUNS,
    is_prefix_word,
    match_any_expression,
    query_groups,
)

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
# Pictures go (their alt text is a caption, not the text's start); links keep their text.
_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
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
    text = _LINK.sub(r"\1", _IMAGE.sub(" ", markdown))
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


# The rest of a word that a prefix match runs on into: letters and digits, not the CJK
# characters the index cuts apart (segment.py).
_WORD_REST = f"(?:(?![{CJK_CHARS}])[^\\W_])*"


def hit_pattern(words: list[str], *, prefix_last: bool = False) -> re.Pattern[str] | None:
    """A pattern that finds `words` however the text writes them: any case, width, accents,
    Traditional or Simplified script (use `hits` to keep only whole-word matches). With
    `prefix_last`, the last word's matches run on to the end of the word it starts."""
    prefix = words[-1] if prefix_last and words and is_prefix_word(words[-1]) else None
    alternatives = [
        "".join(folding.char_pattern(char) for char in word)
        + (_WORD_REST if word == prefix else "")
        for word in sorted(set(words), key=len, reverse=True)
    ]
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def _is_word_char(char: str) -> bool:
    # A letter or digit that the index would not cut off from its neighbours (CJK is cut
    # into single characters, so "GPT模型" holds the word "gpt").
    return _TOKEN.match(char) is not None and CJK_RUNS.match(char) is None


def hits(
    text: str, pattern: re.Pattern[str] | None, *, first_only: bool = False
) -> list[tuple[int, int]]:
    """(start, end) of each match of `pattern` in `text` that is not part of a longer word."""
    found: list[tuple[int, int]] = []
    if pattern is None:
        return found
    for match in pattern.finditer(text):
        start, end = match.span()
        if start == end:
            continue
        before = start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start])
        after = end < len(text) and _is_word_char(text[end]) and _is_word_char(text[end - 1])
        if before or after:
            continue
        found.append((start, end))
        if first_only:
            break
    return found


def _first_hit(text: str, pattern: re.Pattern[str] | None) -> int:
    """Where the first whole-word match of `pattern` starts in `text`; -1 if none."""
    found = hits(text, pattern, first_only=True)
    return found[0][0] if found else -1


def snippet(markdown: str, words: list[str]) -> str:
    """About SNIPPET_CHARS of plain text around the first of `words` in `markdown`."""
    return snippet_with_highlights(markdown, words)[0]


def snippet_with_highlights(
    markdown: str, words: list[str], pattern: re.Pattern[str] | None = None
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A snippet (see `snippet`) and the (start, end) spans of the words within it."""
    if pattern is None:
        pattern = hit_pattern(words)
    first = _first_hit(markdown, pattern)
    if first < 0 and not unicodedata.is_normalized("NFKC", markdown):
        # The text may match only once normalised (ligatures, say); when it does not
        # match even then (the hit was in the title), it is shown as written.
        normalised = unicodedata.normalize("NFKC", markdown)
        found = _first_hit(normalised, pattern)
        if found >= 0:
            markdown, first = normalised, found
    first = max(first, 0)
    # Clean only a window around the hit, then find the hit again in the clean text.
    window_start = max(0, first - SNIPPET_WINDOW_BEFORE_CHARS)
    window_end = first + SNIPPET_WINDOW_AFTER_CHARS
    # Not normalised here: NFKC costs more than the rest of the snippet, and the text is shown
    # as written unless only its normalised form matched.
    text = plain_text(markdown[window_start:window_end])
    first = max(_first_hit(text, pattern), 0)
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
    piece = before + text[start:end].strip() + after
    return piece, tuple(hits(piece, pattern))


def _without_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    if len(decomposed) == len(text):
        # Nothing came apart, so there are no accents to drop (the common case for CJK).
        return text
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def title_word_counter(words: list[str], *, prefix_last: bool = False) -> Callable[[str], int]:
    """A function telling how many of the query words a title holds, near enough to what
    the index matched.

    Checked in Python over the bounded candidates: an FTS5 title-only query for a common
    word would have to test every item that holds it.
    """
    # A whole word for a word, a substring for CJK text (no spaces to split on) or a word
    # with punctuation inside. Words come folded from query_words; accents go here.
    whole_words: list[str] = []
    substrings: list[str] = []
    prefixes: list[str] = []
    for index, word in enumerate(words):
        plain = _without_accents(word)
        is_word = plain.isascii() and _TOKEN.fullmatch(plain) is not None
        if is_word and prefix_last and index == len(words) - 1 and is_prefix_word(plain):
            prefixes.append(plain)
        else:
            (whole_words if is_word else substrings).append(plain)

    def count(title: str) -> int:
        folded = folding.fold_han(_without_accents(title).casefold())
        found = sum(word in folded for word in substrings)
        if whole_words or prefixes:
            tokens = set(_TOKEN.findall(folded))
            found += sum(word in tokens for word in whole_words)
            found += sum(any(token.startswith(p) for token in tokens) for p in prefixes)
        return found

    return count


def _date_text(moment: date | datetime) -> str:
    """A bound as EFFECTIVE_DATE writes dates: aware times in UTC, naive ones as given."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def date_bounds(
    since: date | datetime | None, until: date | datetime | None
) -> tuple[str | None, str | None]:
    """(lowest included, lowest excluded) issue dates: `until` as a day includes that day."""
    lower = None if since is None else _date_text(since)
    upper = None
    if until is not None:
        # A whole day (a date) or a whole second (stored dates have no fractions).
        step = timedelta(days=1) if not isinstance(until, datetime) else timedelta(seconds=1)
        if isinstance(until, datetime):
            until = until.replace(microsecond=0)
        upper = _date_text(until + step)
    return lower, upper


def _candidates(
    connection: sqlite3.Connection,
    index: Literal["items_fts", "articles_fts"],
    expression: str,
    source_id: int | None,
    view: str,
    dates: tuple[str | None, str | None],
) -> list[int]:
    """Rowids of the items with the newest matches (by insertion) in their own text or in
    their saved article, at most SEARCH_CANDIDATES_MAX; both indexes use the items' rowids."""
    clauses = []
    parameters: list[object] = [expression]
    clause = view_clause(view)
    if clause:
        clauses.append(clause)
    if source_id is not None:
        clauses.append("iss.source_id = ?")
        parameters.append(source_id)
    lower, upper = dates
    if lower is not None:
        clauses.append(f"{EFFECTIVE_DATE} >= ?")
        parameters.append(lower)
    if upper is not None:
        clauses.append(f"{EFFECTIVE_DATE} < ?")
        parameters.append(upper)
    if clauses:
        needs_issue = source_id is not None or lower is not None or upper is not None
        joined_issues = " CROSS JOIN issues AS iss ON iss.id = it.issue_id" if needs_issue else ""
        # CROSS JOIN keeps the FTS5 cursor outermost so it still walks rowids downwards.
        sql = (
            f"SELECT {index}.rowid FROM {index} CROSS JOIN items AS it"
            f" ON it.rowid = {index}.rowid{joined_issues} WHERE {index} MATCH ? AND "
            + " AND ".join(clauses)
            + f" ORDER BY {index}.rowid DESC LIMIT ?"
        )
    else:
        sql = f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rowid DESC LIMIT ?"
    parameters.append(SEARCH_CANDIDATES_MAX)
    return [int(row[0]) for row in connection.execute(sql, parameters)]


def search(
    connection: sqlite3.Connection,
    query: str,
    *,
    limit: int,
    source_id: int | None,
    view: str,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    prefix_last: bool = False,
) -> list[SearchHit]:
    """Items holding every word of `query` (or of one of its alternatives: `a b OR c`) in
    their own text, or in their saved article:
    title matches first, then newest issue first. With `prefix_last` the last word also
    matches longer words (see `match_expression`).

    Only the SEARCH_CANDIDATES_MAX most recently added matches are ordered, which keeps a
    word found in half the library as quick as a rare one. `since` and `until` bound the
    issue's date (its storing date if it has none); a date `until` includes that day.
    """
    groups = query_groups(query)
    words = [word for group in groups for word in group]
    expression = match_any_expression(groups, prefix_last=prefix_last)
    if expression is None or limit <= 0:
        return []
    dates = date_bounds(since, until)
    in_items = _candidates(connection, "items_fts", expression, source_id, view, dates)
    in_articles = _candidates(connection, "articles_fts", expression, source_id, view, dates)
    # Items found only through their saved article show a snippet of the article.
    article_only = set(in_articles).difference(in_items)
    candidates = sorted(set(in_items).union(in_articles), reverse=True)[:SEARCH_CANDIDATES_MAX]
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
    in_title = title_word_counter(words, prefix_last=prefix_last)
    keys.sort(key=lambda key: in_title(str(key[4])), reverse=True)
    rank = {int(key[0]): index for index, key in enumerate(keys[:limit])}
    rows = connection.execute(
        "SELECT it.rowid, it.id, it.title, it.url, it.issue_id, iss.title, sec.title, it.body,"
        " it.read FROM items AS it JOIN issues AS iss ON iss.id = it.issue_id"
        " JOIN sections AS sec ON sec.id = it.section_id"
        " WHERE it.rowid IN (SELECT value FROM json_each(?))",
        (json.dumps(list(rank)),),
    ).fetchall()
    rows.sort(key=lambda row: rank[int(row[0])])
    shown_from_article = article_only.intersection(rank)
    article_text = {
        int(rowid): str(markdown)
        for rowid, markdown in connection.execute(
            "SELECT it.rowid, a.markdown FROM items AS it JOIN articles AS a ON a.item_id = it.id"
            " WHERE it.rowid IN (SELECT value FROM json_each(?)) AND a.markdown IS NOT NULL",
            (json.dumps(sorted(shown_from_article)),),
        )
    }
    pattern = hit_pattern(words, prefix_last=prefix_last)
    found: list[SearchHit] = []
    for rowid, item_id, title, url, issue_id, issue_title, section_title, body, read in rows:
        in_article = int(rowid) in article_text
        text = article_text[int(rowid)] if in_article else str(body)
        piece, highlights = snippet_with_highlights(text, words, pattern)
        if not piece:
            piece = plain_text(str(title))
            highlights = tuple(hits(piece, pattern))
        found.append(
            SearchHit(
                item_id=str(item_id),
                title=str(title),
                url=None if url is None else str(url),
                issue_id=str(issue_id),
                issue_title=str(issue_title),
                section_title=str(section_title),
                snippet=piece,
                read=bool(read),
                highlights=highlights,
                in_article=in_article,
            )
        )
    return found
