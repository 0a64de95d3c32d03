"""Text segmentation for the full-text index, and safe FTS5 queries built from user text.

The index and the queries go through the same `segment`, so a word is always cut (and its
script folded) the same way.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array

from reader.core.store import folding

# Scripts written without spaces between words: kana, Han (with extensions and compatibility
# ideographs, plus 々〆〇) and Hangul syllables. unicode61 would keep a whole run as one token,
# so a word inside a sentence could never match. The katakana middle dot (U+30FB) is left out
# because it is punctuation. The group makes split() return the runs between the other text.
CJK_CHARS = (
    "\u3005-\u3007\u3040-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
CJK_RUNS = re.compile(f"([{CJK_CHARS}]+)")

# What unicode61 keeps as token characters, near enough: letters and digits, not underscore.
_TOKEN_CHAR = re.compile(r"[^\W_]")

# Full-width ASCII and the ideographic space, mapped as NFKC maps them. Chinese text is full
# of full-width punctuation, and this mapping is cheaper than a full NFKC pass. A regex finds
# the few such characters five times faster than str.translate walks every character.
_FULL_WIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
_FULL_WIDTH_CHARS = {chr(code): chr(ascii) for code, ascii in _FULL_WIDTH_TO_ASCII.items()}


def _to_ascii(match: re.Match[str]) -> str:
    return _FULL_WIDTH_CHARS[match.group()]


# Code points in the machine's own byte order, so an array("I") holds one per element.
_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
_CODE_POINT_TYPE = "I" if array("I").itemsize == 4 else "L"
_SPACE = ord(" ")
# Each CJK character becomes five code points: itself, a space, the bigram it starts, a space.
_SLOT = 5

# A pasted paragraph should not become a query with hundreds of phrases.
MAX_QUERY_WORDS = 32


def _split_runs(parts: list[str]) -> None:
    """Replace the CJK runs (odd entries of `parts`) by characters and bigrams, in place.

    "开源模型" -> "开 开源 源 源模 模 模型 型": single characters let one-character queries
    match exactly, bigrams keep longer queries selective, and any substring of a run is a
    contiguous token sequence of it, so a query segmented the same way matches as a phrase.
    All runs of a text are built at once as arrays of code points: a str per character, or
    even per run, costs several times more.
    """
    runs = parts[1::2]
    # Folding keeps one code point per code point, so the run lengths below still hold.
    joined = folding.fold_han("".join(runs))
    source = array(_CODE_POINT_TYPE)
    source.frombytes(joined.encode(_UTF32))
    tokens = array(_CODE_POINT_TYPE, [_SPACE]) * (_SLOT * len(joined))
    tokens[0::_SLOT] = source
    tokens[2:-_SLOT:_SLOT] = source[:-1]
    tokens[3:-_SLOT:_SLOT] = source[1:]
    end = 0
    for run in runs:
        end += len(run)
        # The last character of a run has no bigram: blank the one that spans two runs.
        tokens[_SLOT * end - 3] = tokens[_SLOT * end - 2] = _SPACE
    written = tokens.tobytes().decode(_UTF32)
    start = 0
    for index, run in enumerate(runs):
        parts[2 * index + 1] = f" {written[_SLOT * start : _SLOT * (start + len(run))]} "
        start += len(run)


def segment(text: object) -> str:
    """Text as the index sees it: NFKC-normalised, case-folded, CJK runs folded to Simplified
    Chinese and cut into tokens."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    # The quick check is a hundred times cheaper than normalising text that needs nothing.
    if not unicodedata.is_normalized("NFKC", text):
        text = _FULL_WIDTH.sub(_to_ascii, text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    folded = text.casefold()
    if folded.isascii():
        return folded
    parts = CJK_RUNS.split(folded)
    if len(parts) == 1:
        return folded
    _split_runs(parts)
    return "".join(parts)


def query_words(query: str) -> list[str]:
    """The words of a user query that can match anything, normalised like the index."""
    words: list[str] = []
    for word in query.split():
        folded = folding.fold_han(unicodedata.normalize("NFKC", word).casefold())
        if _TOKEN_CHAR.search(folded):
            words.append(folded)
        if len(words) == MAX_QUERY_WORDS:
            break
    return words


def query_groups(query: str) -> list[list[str]]:
    """The alternatives of a user query: its words, split where the word OR (in capitals,
    between other words) stands. Empty alternatives are dropped; at most MAX_QUERY_WORDS
    words in all."""
    groups: list[list[str]] = []
    budget = MAX_QUERY_WORDS
    for part in re.split(r"(?:^|\s)OR(?=\s|$)", query):
        words = query_words(part)[:budget]
        if words:
            groups.append(words)
            budget -= len(words)
        if budget <= 0:
            break
    return groups


# A last word shorter than this is not searched as a prefix: a one- or two-letter prefix
# matches thousands of index terms, and tells a search as you type little.
MIN_PREFIX_CHARS = 3


def is_prefix_word(word: str) -> bool:
    """Whether `word` (folded, the last of a query) is long enough to match as a prefix and
    ends in a letter or digit outside CJK (a CJK character is indexed alone already)."""
    tail = CJK_RUNS.split(word)[-1]
    letters = _TOKEN_CHAR.findall(tail)
    return len(letters) >= MIN_PREFIX_CHARS and _TOKEN_CHAR.match(tail[-1]) is not None


def match_expression(words: list[str], *, prefix_last: bool = False) -> str | None:
    """An FTS5 MATCH expression: every word one quoted phrase, all of them required.

    Quoting every word (with its double quotes doubled) means user text is never FTS5
    syntax: AND, NEAR(, *, - and quotes are searched for literally, or ignored as punctuation.
    With `prefix_last` the last word also matches longer words ("ozon" finds "ozone"), for a
    search as you type, when `is_prefix_word` allows it.
    """
    phrases = ['"' + segment(word).strip().replace('"', '""') + '"' for word in words]
    if prefix_last and phrases and is_prefix_word(words[-1]):
        phrases[-1] += " *"
    return " ".join(phrases) if phrases else None


def match_any_expression(groups: list[list[str]], *, prefix_last: bool = False) -> str | None:
    """An FTS5 MATCH expression for alternatives (see `query_groups`): items holding every
    word of at least one group. Each group is built by `match_expression`, so user text is
    still never FTS5 syntax; the OR between them is ours."""
    expressions = [
        match_expression(group, prefix_last=prefix_last and index == len(groups) - 1)
        for index, group in enumerate(groups)
    ]
    parts = [expression for expression in expressions if expression]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return " OR ".join(f"({part})" for part in parts)
