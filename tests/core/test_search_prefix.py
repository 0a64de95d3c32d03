"""Search as you type: the last word of a query also matches the longer words it begins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from reader import paths
from reader.core.library import Library
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.core.store.segment import match_expression


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    with Library(paths.database_path()) as opened:
        items = (
            ParsedItem("The quiet success of the ozone layer", None, "Thirty years of repair."),
            ParsedItem("A city that listens to its drains", None, "Sensors in the sewers."),
            ParsedItem("Notes", None, "The drainage map is out, and the ozone report too."),
            ParsedItem("开源模型发布", None, "一个新的开源模型，支持长文本。"),
        )
        issue = ParsedIssue("Digest", datetime(2025, 3, 1), None, (ParsedSection("News", items),))
        opened.store_parsed(opened.imports_source_id(), issue)
        yield opened


def titles(library: Library, query: str, **options: bool) -> list[str]:
    return [hit.title for hit in library.search(query, **options)]


def test_the_last_word_matches_the_words_it_begins(library: Library) -> None:
    assert titles(library, "ozon") == []
    # Title hits first, then the rest in reading order.
    assert titles(library, "ozon", prefix=True) == ["The quiet success of the ozone layer", "Notes"]
    assert titles(library, "drain", prefix=True) == [
        "A city that listens to its drains",
        "Notes",
    ]
    # Only the last word: the others still match whole words.
    assert titles(library, "drain repo", prefix=True) == []
    assert titles(library, "drainage repo", prefix=True) == ["Notes"]


def test_the_snippet_marks_the_whole_word_a_prefix_matched(library: Library) -> None:
    (hit,) = [hit for hit in library.search("ozon", prefix=True) if hit.title == "Notes"]
    assert [hit.snippet[start:end] for start, end in hit.highlights] == ["ozone"]


def test_short_prefixes_and_chinese_match_as_before(library: Library) -> None:
    # One or two letters would match most of the index: they stay whole words.
    assert match_expression(["dr"], prefix_last=True) == '"dr"'
    assert match_expression(["dra"], prefix_last=True) == '"dra" *'
    assert titles(library, "dr", prefix=True) == []
    # A CJK character is indexed alone already, so a prefix adds nothing there.
    assert match_expression(["开源"], prefix_last=True) == match_expression(["开源"])
    assert titles(library, "开源模", prefix=True) == titles(library, "开源模") == ["开源模型发布"]
    # User text is still never FTS5 syntax, prefix or not (OR is the app's own word).
    assert titles(library, "NEAR(ozon drains)", prefix=True) == []
    assert titles(library, 'ozon" AND "drains', prefix=True) == []


def test_or_between_words_gives_alternatives(library: Library) -> None:
    assert titles(library, "sewers OR ozone") == [
        "The quiet success of the ozone layer",
        "A city that listens to its drains",
        "Notes",
    ]
    # Title hits first, as always.
    assert titles(library, "drainage map OR 开源 模型") == ["开源模型发布", "Notes"]
    # A lone, leading or trailing OR is no operator; lower-case "or" is a word.
    assert titles(library, "OR ozone OR") == titles(library, "ozone")
    assert titles(library, "sewers or ozone") == []
    hit = next(hit for hit in library.search("sewers OR drainage") if hit.title == "Notes")
    assert [hit.snippet[start:end] for start, end in hit.highlights] == ["drainage"]
