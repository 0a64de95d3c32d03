"""Full-text search: segmentation, English and Chinese of any length, safe queries, triggers.

Every test uses a real SQLite file under tmp_path.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.core.store import Store
from reader.core.store.search import plain_text, snippet
from reader.core.store.segment import match_expression, query_words, segment


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "library.sqlite") as opened:
        yield opened


def add_issue(
    store: Store,
    title: str,
    items: list[tuple[str, str]],
    *,
    section: str = "Section",
    date: datetime | None = None,
    source: str = "https://example.com/feed",
) -> str:
    """Store one issue whose items are (title, body) pairs; returns the issue id."""
    source_id = store.ensure_source("feed", source, "Example")
    parsed_items = tuple(
        ParsedItem(item_title, f"https://example.com/{title}/{index}", body)
        for index, (item_title, body) in enumerate(items)
    )
    parsed = ParsedIssue(title, date, None, (ParsedSection(section, parsed_items),))
    return store.upsert_issue(source_id, parsed).issue_id


def hit_titles(
    store: Store,
    query: str,
    *,
    view: str = "all",
    source_id: int | None = None,
    limit: int = 50,
) -> list[str]:
    return [hit.title for hit in store.search(query, view=view, source_id=source_id, limit=limit)]


@pytest.fixture
def library(store: Store) -> Store:
    add_issue(
        store,
        "中文周刊",
        [
            ("开源模型发布", "某公司今天发布了新的开源模型，性能大幅提升。"),
            ("数据库", "这是一篇关于数据库索引的文章。"),
            ("模型评测", "我们评测了三个模型的开放程度。"),
        ],
        section="科技动态",
        date=datetime(2025, 3, 1),
    )
    add_issue(
        store,
        "Rust Weekly",
        [
            (
                "Rust 1.85 released",
                "The **Rust** team ships [a new edition](https://blog.rust-lang.org).",
            ),
            ("Async cleanup", "Structured concurrency for async Python, with trust issues."),
            ("Café culture", "A naïve look at résumé formats and Ｆｕｌｌ－ｗｉｄｔｈ text."),
        ],
        section="News",
        date=datetime(2025, 2, 1),
    )
    return store


# --- segmentation ---------------------------------------------------------------------------


def test_segment_writes_cjk_as_characters_and_bigrams() -> None:
    assert segment("开源模型").split() == ["开", "开源", "源", "源模", "模", "模型", "型"]
    assert segment("开").split() == ["开"]
    assert segment("GPT模型很强").split() == ["gpt", "模", "模型", "型", "型很", "很", "很强", "强"]
    assert segment("日本語テキスト").split()[:3] == ["日", "日本", "本"]
    # Several runs in one text: no bigram spans the punctuation or the Latin word between.
    assert segment("开源，模型x数据").split() == [
        "开", "开源", "源", ",", "模", "模型", "型", "x", "数", "数据", "据",
    ]  # fmt: skip


def test_segment_normalises_width_and_case() -> None:
    assert segment("Ｒｕｓｔ　ＡＩ") == "rust ai"
    assert segment("Straße") == "strasse"
    assert segment("") == "" and segment(None) == ""


def test_query_words_and_expression_quote_everything() -> None:
    assert query_words('  "--"  ** - rust ') == ["rust"]
    assert query_words("*** --- ...") == []
    assert match_expression([]) is None
    assert match_expression(query_words('a"b NEAR(')) == '"a""b" "near("'


def test_plain_text_strips_markdown_crudely() -> None:
    markdown = (
        "# Heading\n\n> A **bold** and _em_ [link](https://x.example) ![pic](p.png)\n"
        "- item `code`\n<!-- hidden -->\n<b>tag</b>\n---\n[ref]: https://x.example\n"
    )
    # A picture goes, alt text and all: it is no part of the text to quote.
    assert plain_text(markdown) == "Heading A bold and em link item code tag"


def test_snippet_centres_on_the_first_hit() -> None:
    text = "filler " * 60 + "the needle sits here " + "after " * 60
    piece = snippet(text, ["needle"])
    assert "needle" in piece
    assert piece.startswith("…") and piece.endswith("…")
    assert len(piece) <= 130
    chinese = "前文" * 100 + "开源模型" + "后文" * 100
    assert "开源模型" in snippet(chinese, ["开源模型"])


# --- matching -------------------------------------------------------------------------------


def test_english_word_case_insensitive(library: Store) -> None:
    assert hit_titles(library, "rust") == ["Rust 1.85 released"]
    assert hit_titles(library, "RUST") == ["Rust 1.85 released"]
    assert hit_titles(library, "async") == ["Async cleanup"]
    # A word, not a substring: "trust" does not match "rust".
    assert "Async cleanup" not in hit_titles(library, "rust")


def test_accents_and_full_width_text_match_plain_queries(library: Store) -> None:
    assert hit_titles(library, "cafe") == ["Café culture"]
    assert hit_titles(library, "resume") == ["Café culture"]
    assert hit_titles(library, "full-width") == ["Café culture"]


def test_chinese_phrase_matches_only_the_sequence(library: Store) -> None:
    assert hit_titles(library, "开源模型") == ["开源模型发布"]
    assert hit_titles(library, "新的开源模型") == ["开源模型发布"]
    assert hit_titles(library, "模型开源") == []  # both words are there, not in that order
    assert hit_titles(library, "数据库索引") == ["数据库"]


def test_two_character_chinese_word(library: Store) -> None:
    assert hit_titles(library, "开源") == ["开源模型发布"]
    assert set(hit_titles(library, "模型")) == {"开源模型发布", "模型评测"}
    assert hit_titles(library, "开放") == ["模型评测"]


def test_one_character_chinese_query(library: Store) -> None:
    assert set(hit_titles(library, "模")) == {"开源模型发布", "模型评测"}
    assert hit_titles(library, "库") == ["数据库"]
    assert set(hit_titles(library, "开")) == {"开源模型发布", "模型评测"}


def test_sequences_not_present_find_nothing(library: Store) -> None:
    assert hit_titles(library, "开源数据") == []
    assert hit_titles(library, "鲸") == []
    assert hit_titles(library, "nonexistentword") == []


def test_mixed_query_requires_every_word(library: Store) -> None:
    assert hit_titles(library, "Rust edition") == ["Rust 1.85 released"]
    assert hit_titles(library, "Rust 开源") == []
    assert hit_titles(library, "公司 性能") == ["开源模型发布"]


@pytest.mark.parametrize(
    "query",
    [
        "AND",
        "rust AND",
        "OR rust",
        "NOT rust",
        '"',
        '"rust',
        'rust"',
        "rust*",
        "*",
        "NEAR(",
        "NEAR(rust async)",
        "-rust",
        "-",
        "title:rust",
        "{title body}: rust",
        "^rust",
        "rust + async",
        "(((",
        ")",
        "'",
        "\\",
        "\x00",
        "开源 AND 模型",
        "🦀",
    ],
)
def test_fts_syntax_in_queries_is_taken_literally(library: Store, query: str) -> None:
    hits = library.search(query)  # must never raise
    for hit in hits:
        assert hit.item_id


def test_fts_operators_are_searched_as_words(store: Store) -> None:
    add_issue(
        store,
        "Operators",
        [
            ("Boolean logic", "Use AND to join and OR to choose."),
            ("Rust only", "rust without the keyword"),
        ],
    )
    assert hit_titles(store, "AND") == ["Boolean logic"]
    assert hit_titles(store, "rust AND") == []  # AND is a word both must contain
    assert hit_titles(store, "-rust") == ["Rust only"]  # not a NOT: the dash is punctuation
    assert hit_titles(store, "rust*") == ["Rust only"]  # not a prefix query


def test_punctuation_only_query_returns_nothing(library: Store) -> None:
    assert library.search("***") == []
    assert library.search(" - \" ' ( ) ") == []
    assert library.search("") == []
    assert library.search("rust", limit=0) == []


# --- results --------------------------------------------------------------------------------


def test_hits_carry_issue_and_section_titles_and_a_snippet(library: Store) -> None:
    (hit,) = library.search("开源")
    assert (hit.title, hit.issue_title, hit.section_title) == (
        "开源模型发布",
        "中文周刊",
        "科技动态",
    )
    assert hit.url == "https://example.com/中文周刊/0"
    assert "开源模型" in hit.snippet
    assert hit.issue_id == library.item(hit.item_id).issue_id
    assert not hit.read

    (rust,) = library.search("edition")
    assert rust.snippet == "The Rust team ships a new edition."  # Markdown stripped


def test_title_hits_come_first_then_newest_issue(store: Store) -> None:
    add_issue(
        store,
        "Old",
        [("Parsing in Rust", "Body."), ("Other", "Mentions rust.")],
        date=datetime(2020, 1, 1),
    )
    add_issue(
        store,
        "New",
        [("Something", "Also about rust."), ("More", "rust again")],
        date=datetime(2025, 1, 1),
    )
    add_issue(store, "Undated", [("Last", "rust, undated")])
    assert hit_titles(store, "rust") == ["Parsing in Rust", "Something", "More", "Other", "Last"]
    assert hit_titles(store, "rust", limit=2) == ["Parsing in Rust", "Something"]


def test_search_filters_by_view_and_source(store: Store) -> None:
    add_issue(store, "A", [("First", "shared word"), ("Second", "shared word")])
    add_issue(store, "B", [("Third", "shared word")], source="https://other.example/feed")
    first = store.search("shared")
    assert len(first) == 3
    by_title = {hit.title: hit for hit in first}
    store.set_flags([by_title["First"].item_id], read=True, starred=True)
    assert sorted(hit_titles(store, "shared", view="unread")) == ["Second", "Third"]
    assert hit_titles(store, "shared", view="starred") == ["First"]
    assert hit_titles(store, "shared", view="later") == []
    other = store.source_by_url("https://other.example/feed")
    assert other is not None
    assert hit_titles(store, "shared", source_id=other.id) == ["Third"]
    assert {hit.read for hit in store.search("shared")} == {True, False}


# --- the index follows the items ------------------------------------------------------------


def test_index_follows_updates_and_deletes(store: Store) -> None:
    source_id = store.ensure_source("folder", "/issues", "Issues")

    def version(*items: tuple[str, str, str]) -> ParsedIssue:
        parsed = tuple(ParsedItem(title, url, body) for title, url, body in items)
        return ParsedIssue("Weekly", datetime(2025, 1, 1), None, (ParsedSection("", parsed),))

    store.upsert_issue(
        source_id,
        version(
            ("Zebra news", "https://z.example", "Stripes 斑马"),
            ("Otter news", "https://o.example", "Whiskers 水獭"),
            ("Kept", "https://k.example", "Starred 收藏"),
        ),
    )
    kept = store.search("收藏")[0].item_id
    store.set_flags([kept], starred=True)
    store.upsert_issue(
        source_id,
        version(
            ("Zebra news", "https://z.example", "Spots 长颈鹿"),  # body changed
            ("Beaver news", "https://b.example", "Dams 河狸"),  # otter gone, beaver new
        ),
    )
    assert hit_titles(store, "stripes") == []
    assert hit_titles(store, "斑马") == []
    assert hit_titles(store, "spots") == ["Zebra news"]
    assert hit_titles(store, "长颈鹿") == ["Zebra news"]
    assert hit_titles(store, "whiskers") == []
    assert hit_titles(store, "水獭") == []
    assert hit_titles(store, "河狸") == ["Beaver news"]
    assert hit_titles(store, "收藏") == ["Kept"]  # dropped from the issue, but starred
    # Flag changes leave the index alone and the index agrees with the items table.
    store.set_flags([kept], read=True)
    assert _index_is_consistent(store)


def test_index_follows_removed_sources(store: Store) -> None:
    add_issue(store, "Gone", [("Goodbye", "vanishing words 消失")], source="https://gone.example/f")
    add_issue(store, "Stays", [("Hello", "remaining words 留下")], source="https://stays.example/f")
    gone = store.source_by_url("https://gone.example/f")
    assert gone is not None
    store.remove_source(gone.id)
    assert hit_titles(store, "vanishing") == []
    assert hit_titles(store, "消失") == []
    assert hit_titles(store, "words") == ["Hello"]
    assert _index_is_consistent(store)


def test_removing_most_of_the_library_rebuilds_the_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.core.store import sources

    monkeypatch.setattr(sources, "BULK_DELETE_MIN_ITEMS", 2)
    add_issue(
        store,
        "Big",
        [(f"Item {n}", f"bulk text 大量 {n}") for n in range(6)],
        source="https://big.example/f",
    )
    add_issue(store, "Small", [("Tiny", "small text 少量")], source="https://small.example/f")
    big = store.source_by_url("https://big.example/f")
    assert big is not None
    store.remove_source(big.id)
    assert hit_titles(store, "大量") == []
    assert hit_titles(store, "text") == ["Tiny"]
    triggers = store._connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert "items_fts_delete" in {row[0] for row in triggers}
    add_issue(store, "After", [("Later", "new text 新")])
    assert sorted(hit_titles(store, "text")) == ["Later", "Tiny"]
    assert _index_is_consistent(store)


def _index_is_consistent(store: Store) -> bool:
    """The index holds exactly the items (FTS5's own check, given the segmented text)."""
    connection = store._connection
    connection.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 0)")
    indexed = connection.execute(
        "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", ('"news" OR "words" OR "text"',)
    ).fetchone()[0]
    expected = connection.execute(
        "SELECT count(*) FROM items WHERE lower(title || ' ' || body) GLOB '*news*'"
        " OR lower(title || ' ' || body) GLOB '*words*' OR lower(title || ' ' || body) GLOB '*text*'"
    ).fetchone()[0]
    return bool(indexed == expected)


def test_full_width_forms_are_segmented_as_nfkc_reads_them() -> None:
    import unicodedata

    from reader.core.store.segment import segment

    text = "ＧＰＴ－５　发布，支持１２８Ｋ上下文！（ｂｅｔａ）"
    assert segment(text) == segment(unicodedata.normalize("NFKC", text))
    assert segment(text).startswith("gpt-5 ")


def test_a_snippet_without_the_words_keeps_the_text_as_written() -> None:
    from reader.core.store.search import snippet

    body = "管线、光纤管道，文字轻松，插图精美。"
    # The word was in the title: the body's full-width commas stay full-width.
    assert snippet(body, ["地下"]) == body
    # A hit found only in the normalised text is shown from it.
    assert snippet("\ufb01ber optics", ["fiber"]) == "fiber optics"
