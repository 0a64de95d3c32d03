"""Search that understands Chinese: Traditional and Simplified find each other, width and case
fold, highlights are plain spans, and searches narrow by source, view and date.

Store tests use a real SQLite file under tmp_path.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reader.core.model import ParsedIssue, ParsedItem, ParsedSection, SearchHit
from reader.core.store import Store, folding
from reader.core.store.fold_table import SIMPLIFIED, TRADITIONAL
from reader.core.store.search import snippet_with_highlights
from reader.core.store.segment import segment

# --- the fold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("開源", "开源"),
        ("發", "发"),
        ("髮", "发"),
        ("後", "后"),
        ("裡", "里"),
        ("裏", "里"),
        ("臺灣", "台湾"),
        ("偽", "伪"),  # a Taiwan variant, read as OpenCC's standard form first
        ("數據庫", "数据库"),
        ("頭髮", "头发"),
    ],
)
def test_traditional_folds_to_simplified(traditional: str, simplified: str) -> None:
    assert folding.fold_han(traditional) == simplified


def test_simplified_and_other_text_stay_as_they_are() -> None:
    text = "开源模型发布以后，里面的头发 ABC abc にほんご 한국어 么 干 后 里 𠀀"
    assert folding.fold_han(text) == text
    assert folding.fold_han("plain ascii") == "plain ascii"


def test_the_fold_keeps_lengths_and_folding_twice_changes_nothing() -> None:
    assert len(TRADITIONAL) == len(SIMPLIFIED) > 4000
    folded = folding.fold_han(TRADITIONAL)
    assert len(folded) == len(TRADITIONAL)
    assert folded == SIMPLIFIED
    assert folding.fold_han(folded) == folded


def test_vendored_table_matches_the_opencc_dictionaries() -> None:
    # If this fails after an upgrade of opencc: regenerate fold_table.py
    # (python -m reader.core.store.folding) AND add a migration that rebuilds the index.
    pairs = folding.fold_pairs_from_opencc(folding.opencc_dictionary_folder())
    assert "".join(pairs) == TRADITIONAL
    assert "".join(pairs.values()) == SIMPLIFIED


def test_segment_cuts_both_scripts_into_the_same_tokens() -> None:
    assert segment("開源模型") == segment("开源模型")
    assert segment("頭髮與發佈") == segment("头发与发布")
    assert segment("ＡＩ開源") == segment("ai开源")
    assert segment("ＡＩ開源").split() == ["ai", "开", "开源", "源"]


def test_highlight_spans_cover_every_spelling() -> None:
    piece, spans = snippet_with_highlights(
        "今年開源模型大爆發，開源社區 Open AI ai ＡＩ said", ["开源", "ai"]
    )
    assert [piece[start:end] for start, end in spans] == ["開源", "開源", "AI", "ai", "ＡＩ"]
    assert spans == tuple(sorted(spans))
    piece, spans = snippet_with_highlights("A naïve CAFÉ review", ["cafe", "naive"])
    assert [piece[start:end] for start, end in spans] == ["naïve", "CAFÉ"]


# --- search -------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "library.sqlite") as opened:
        yield opened


def add_issue(
    store: Store,
    title: str,
    items: list[tuple[str, str]],
    *,
    date: datetime | None = None,
    source: str = "https://example.com/feed",
) -> str:
    source_id = store.ensure_source("feed", source, source)
    parsed_items = tuple(
        ParsedItem(name, f"https://example.com/{title}/{index}", body)
        for index, (name, body) in enumerate(items)
    )
    parsed = ParsedIssue(title, date, None, (ParsedSection("Section", parsed_items),))
    return store.upsert_issue(source_id, parsed).issue_id


def titles(hits: list[SearchHit]) -> list[str]:
    return [hit.title for hit in hits]


@pytest.fixture
def traditional(store: Store) -> Store:
    """A library written only in Traditional Chinese (and some English)."""
    add_issue(
        store,
        "科技週刊",
        [
            ("開源模型發佈", "某公司今天發佈了新的開源模型，效能大幅提升。"),
            ("理髮店的故事", "他在巷子裡開了一間理髮店，後來生意很好。"),
            ("AI 晶片", "新一代 AI 晶片在這裏發表。"),
        ],
        date=datetime(2025, 3, 1),
    )
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("开源", ["開源模型發佈"]),
        ("開源", ["開源模型發佈"]),
        ("开源模型", ["開源模型發佈"]),
        ("发", ["開源模型發佈", "理髮店的故事", "AI 晶片"]),  # 發 and 髮 both
        ("發", ["開源模型發佈", "理髮店的故事", "AI 晶片"]),
        ("髮", ["開源模型發佈", "理髮店的故事", "AI 晶片"]),
        ("理发店", ["理髮店的故事"]),
        ("后来", ["理髮店的故事"]),
        ("巷子里", ["理髮店的故事"]),
        ("这里", ["AI 晶片"]),  # 這裏
        ("ai", ["AI 晶片"]),
        ("AI", ["AI 晶片"]),
        ("ＡＩ", ["AI 晶片"]),
        ("闭源", []),
    ],
)
def test_traditional_text_is_found_in_either_script(
    traditional: Store, query: str, expected: list[str]
) -> None:
    assert sorted(titles(traditional.search(query))) == sorted(expected)


def test_simplified_text_is_found_by_traditional_queries(store: Store) -> None:
    add_issue(store, "周刊", [("开源模型发布", "头发与后来的故事在这里。")])
    for query in ["開源", "开源", "發佈", "頭髮", "後來", "這裡", "這裏"]:
        assert titles(store.search(query)) == ["开源模型发布"], query


def test_case_folds_both_ways(store: Store) -> None:
    add_issue(store, "Weekly", [("ai everywhere", "lower case"), ("The AI boom", "UPPER CASE")])
    assert sorted(titles(store.search("AI"))) == ["The AI boom", "ai everywhere"]
    assert sorted(titles(store.search("ai"))) == ["The AI boom", "ai everywhere"]
    assert titles(store.search("case upper")) == ["The AI boom"]


def test_two_character_chinese_search_uses_the_index(traditional: Store) -> None:
    connection = traditional._connection
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        assert traditional.search("开源")
        assert traditional.search("开源", view="unread", source_id=1, since=date(2025, 1, 1))
    finally:
        connection.set_trace_callback(None)
    plans = [
        " | ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT")
    ]
    fts = [plan for plan in plans if "items_fts" in plan]
    assert len(fts) == 2
    for plan in fts:
        assert "SCAN items_fts VIRTUAL TABLE INDEX" in plan, plan
    for plan in plans:
        assert "SCAN it " not in plan + " " and "SCAN items " not in plan + " ", plan
        assert "SCAN iss" not in plan and "SCAN issues" not in plan, plan


def test_title_hits_rank_first_in_either_script(store: Store) -> None:
    add_issue(store, "Old", [("開源的未來", "正文")], date=datetime(2020, 1, 1))
    add_issue(store, "New", [("一篇文章", "讨论开源的正文")], date=datetime(2025, 1, 1))
    assert titles(store.search("开源")) == ["開源的未來", "一篇文章"]


def test_snippets_are_plain_text_with_highlight_spans(store: Store) -> None:
    add_issue(
        store,
        "Weekly",
        [("[b]Title[/b] <i>x</i>", "With [red]markup[/red] and `code` on 開源 and AI.")],
    )
    (hit,) = store.search("开源 ai")
    assert hit.snippet == "With [red]markup[/red] and code on 開源 and AI."
    assert [hit.snippet[start:end] for start, end in hit.highlights] == ["開源", "AI"]
    assert hit.title == "[b]Title[/b] <i>x</i>"  # data, not markup: displays escape it


def test_highlights_only_mark_whole_words(store: Store) -> None:
    add_issue(store, "Weekly", [("Said", "She said the AI team aims for ai-first design.")])
    (hit,) = store.search("ai")
    assert [hit.snippet[start:end] for start, end in hit.highlights] == ["AI", "ai"]
    assert all(hit.snippet[end : end + 1] in " -." for _, end in hit.highlights)


def test_long_bodies_get_a_snippet_around_a_traditional_hit(store: Store) -> None:
    body = "前文" * 300 + "這是開源的故事" + "後文" * 300
    add_issue(store, "Long", [("Long", body)])
    (hit,) = store.search("开源")
    assert "開源" in hit.snippet and hit.snippet.startswith("…")
    assert [hit.snippet[start:end] for start, end in hit.highlights] == ["開源"]


# --- narrowing ----------------------------------------------------------------------------------


@pytest.fixture
def dated(store: Store) -> Store:
    add_issue(store, "January", [("Jan item", "shared word")], date=datetime(2025, 1, 15, 9))
    add_issue(store, "February", [("Feb item", "shared word")], date=datetime(2025, 2, 15))
    add_issue(
        store,
        "March",
        [("Mar item", "shared word"), ("Mar two", "shared word")],
        date=datetime(2025, 3, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),  # Apr 1 UTC
        source="https://other.example/feed",
    )
    add_issue(store, "Undated", [("Undated item", "shared word")])  # dated by when it was stored
    return store


def test_search_narrows_by_dates(dated: Store) -> None:
    def found(**narrowing: object) -> list[str]:
        return sorted(titles(dated.search("shared", **narrowing)))  # type: ignore[arg-type]

    assert found(since=date(2025, 2, 1), until=date(2025, 2, 28)) == ["Feb item"]
    assert found(until=date(2025, 1, 15)) == ["Jan item"]  # the whole day included
    assert found(until=datetime(2025, 1, 15, 8, 59)) == []
    assert found(since=datetime(2025, 1, 15, 9)) == sorted(
        ["Jan item", "Feb item", "Mar item", "Mar two", "Undated item"]
    )
    # An aware bound is compared in UTC: the March issue came out on April 1, UTC.
    assert found(since=date(2025, 4, 1), until=date(2025, 4, 1)) == ["Mar item", "Mar two"]
    assert found(since=datetime(2025, 3, 31, 20, tzinfo=timezone(timedelta(hours=-5)))) == [
        "Mar item",
        "Mar two",
        "Undated item",
    ]
    today = datetime.now(UTC).date()
    assert found(since=today - timedelta(days=1)) == ["Undated item"]


def test_search_narrows_by_source_view_and_dates_together(dated: Store) -> None:
    other = dated.source_by_url("https://other.example/feed")
    assert other is not None
    mar = {hit.title: hit.item_id for hit in dated.search("shared", source_id=other.id)}
    assert sorted(mar) == ["Mar item", "Mar two"]
    dated.set_flags([mar["Mar item"]], read=True, starred=True)
    dated.set_flags([mar["Mar two"]], later=True)
    assert titles(dated.search("shared", source_id=other.id, view="unread")) == ["Mar two"]
    assert titles(dated.search("shared", view="starred", since=date(2025, 3, 1))) == ["Mar item"]
    assert titles(dated.search("shared", view="later", until=date(2025, 3, 1))) == []
    assert titles(dated.search("shared", view="later", until=date(2025, 4, 1))) == ["Mar two"]
