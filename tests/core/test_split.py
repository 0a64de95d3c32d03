"""Tests of the splitter: golden files, the shared samples, and the rules one by one."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from reader.core.convert import split_html
from reader.core.model import ParsedIssue
from reader.core.split import SECTION_PATH_SEPARATOR, split_markdown
from reader.core.textio import decode_text

DATA = Path(__file__).resolve().parents[1] / "data" / "split"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED_000 = SHARED / "seeds" / "000_c3745a1a3647e165.txt"
SEED_001 = SHARED / "seeds" / "001_229fd99031045b7d.txt"
TWIR = SHARED / "corpus" / "twir"
TWIR_665 = TWIR / "2026-08-19-this-week-in-rust.md"
TWIR_FILES = sorted(
    path for path in [*TWIR.glob("*.m*"), *(TWIR / "draft").iterdir()] if path.name != "LICENSE.md"
)
GOLDEN = sorted(DATA.glob("*.expected.json"))
INPUT_SUFFIXES = (".md", ".markdown", ".txt", ".html")


def _split_file(path: Path, base_url: str | None = None) -> ParsedIssue:
    """Split a file the way the importer does: bytes decoded, stem as fallback title."""
    text = decode_text(path.read_bytes())
    if path.suffix == ".html":
        return split_html(text, fallback_title=path.stem, file=path.name, base_url=base_url)
    return split_markdown(text, fallback_title=path.stem, file=path.name)


def _golden_input(expected_path: Path, expected: dict[str, object]) -> Path:
    if "source" in expected:
        return SHARED / str(expected["source"])
    stem = expected_path.name.removesuffix(".expected.json")
    for suffix in INPUT_SUFFIXES:
        candidate = DATA / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise AssertionError(f"no input beside {expected_path.name}")


def _as_expectation(issue: ParsedIssue, expected: dict[str, object]) -> dict[str, object]:
    """The issue in the golden file's shape, with bodies and notes only where the file has them."""
    sections = []
    for section, wanted in zip(issue.sections, expected["sections"], strict=False):  # type: ignore[call-overload]
        items = []
        for item, wanted_item in zip(section.items, wanted["items"], strict=False):
            shown: dict[str, object] = {"title": item.title, "url": item.url}
            if "body" in wanted_item:
                shown["body"] = item.body
            items.append(shown)
        items.extend({"title": item.title, "url": item.url} for item in section.items[len(items) :])
        shown_section: dict[str, object] = {"title": section.title}
        if "note" in wanted:
            shown_section["note"] = section.note
        sections.append({**shown_section, "items": items})
    sections.extend(
        {
            "title": section.title,
            "items": [{"title": item.title, "url": item.url} for item in section.items],
        }
        for section in issue.sections[len(sections) :]
    )
    return {
        "title": issue.title,
        "date": issue.date.isoformat() if issue.date else None,
        "sections": sections,
    }


@pytest.mark.parametrize(
    "expected_path", GOLDEN, ids=lambda path: path.name.removesuffix(".expected.json")
)
def test_golden(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    source = _golden_input(expected_path, expected)
    if not source.exists():
        pytest.skip(f"shared sample missing: {source}")
    issue = _split_file(source, expected.get("base_url"))
    wanted = {key: value for key, value in expected.items() if key in ("title", "date", "sections")}
    assert _as_expectation(issue, expected) == wanted


def test_there_are_enough_golden_cases() -> None:
    own = [path for path in GOLDEN if "source" not in json.loads(path.read_text(encoding="utf-8"))]
    assert len(own) >= 10
    assert any(path.name.startswith("shared__") for path in GOLDEN)


# --- seed 000: a static-blog issue ---------------------------------------------


@pytest.fixture(scope="module")
def seed_000() -> ParsedIssue:
    if not SEED_000.exists():
        pytest.skip("shared seeds missing")
    return _split_file(SEED_000)


def test_seed_000_title_and_naive_date(seed_000: ParsedIssue) -> None:
    assert seed_000.title == "L58_推理、平权与全球博弈"
    assert seed_000.date == datetime(2025, 2, 28, 20, 0)
    assert seed_000.date is not None and seed_000.date.tzinfo is None


def test_seed_000_has_one_section_of_five_items(seed_000: ParsedIssue) -> None:
    assert [section.title for section in seed_000.sections] == ["随便看看"]
    assert len(seed_000.sections[0].items) == 5


def test_seed_000_first_item_is_its_summary_and_source(seed_000: ParsedIssue) -> None:
    first = seed_000.sections[0].items[0]
    assert first.title == "推理语言模型（RLM）：AI 推理的未来基石"
    assert first.url == "https://mp.weixin.qq.com/s/wrZohEYc5uOT2L4DtZgFdg"
    # The body is the summary paragraph alone: no heading, no source line, no rule.
    assert first.body.startswith("DeepSeek、千问和 O3")
    assert first.body.endswith("智能推理系统。")
    assert "\n" not in first.body
    assert first.links == ("https://mp.weixin.qq.com/s/wrZohEYc5uOT2L4DtZgFdg",)


def test_seed_000_cover_image_is_no_item_and_every_item_has_a_source(seed_000: ParsedIssue) -> None:
    items = [item for section in seed_000.sections for item in section.items]
    assert all(item.url and item.url.startswith("https://mp.weixin.qq.com/") for item in items)
    assert not any(
        "pics.naaln.com" in item.body or "pics.naaln.com" in (item.url or "") for item in items
    )
    assert not any("---" in item.body for item in items)


# --- seed 001: a long mixed-script digest of whole articles ---------------------


@pytest.fixture(scope="module")
def seed_001() -> ParsedIssue:
    if not SEED_001.exists():
        pytest.skip("shared seeds missing")
    return _split_file(SEED_001)


def test_seed_001_sections_follow_its_headings(seed_001: ParsedIssue) -> None:
    titles = [section.title for section in seed_001.sections]
    assert 10 <= len(titles) <= 30
    english = "Advancing Large Language Models through Integrated Parameter-Efficient Fine-tuning and Reasoning Techniques"
    chinese = "大型语言模型的高效适应与推理能力增强：一个统一框架"
    assert english in titles
    assert chinese in titles
    assert f"{english}{SECTION_PATH_SEPARATOR}2. Related Work" in titles
    assert f"{chinese}{SECTION_PATH_SEPARATOR}3. 技术方法" in titles
    # Two H1s with sub-headings are sections, so neither becomes the title.
    assert seed_001.title == SEED_001.stem


def test_seed_001_items_follow_sub_headings_and_numbered_paragraphs(seed_001: ParsedIssue) -> None:
    by_title = {section.title: section for section in seed_001.sections}
    related = by_title[
        "Advancing Large Language Models through Integrated Parameter-Efficient Fine-tuning and Reasoning Techniques"
        f"{SECTION_PATH_SEPARATOR}2. Related Work"
    ]
    assert [item.title for item in related.items] == [
        "2.1 Prompt Learning and Chain-of-Thought",
        "2.2 RAG and Tool Use",
        "2.3 Low-Rank Adaptation Techniques",
    ]
    item_titles = [item.title for section in seed_001.sections for item in section.items]
    # `一、` and `01` numbered paragraphs start items of their own.
    assert "惊世突破：DeepSeek-R1 横空出世" in item_titles
    assert "价格战第一枪是怎么打响的？" in item_titles


def test_seed_001_code_fences_and_tables_stay_in_bodies(seed_001: ParsedIssue) -> None:
    bodies = "\n".join(item.body for section in seed_001.sections for item in section.items)
    assert "```" in bodies
    assert "| Citation | Reference |" in bodies


# --- This Week in Rust -----------------------------------------------------------


@pytest.fixture(scope="module")
def twir_665() -> ParsedIssue:
    if not TWIR_665.exists():
        pytest.skip("shared corpus missing")
    return _split_file(TWIR_665)


def _top_level(issue: ParsedIssue) -> list[str]:
    seen: list[str] = []
    for section in issue.sections:
        top = section.title.split(SECTION_PATH_SEPARATOR)[0]
        if top and top not in seen:
            seen.append(top)
    return seen


def _items_under(issue: ParsedIssue, top: str) -> list[str]:
    return [
        item.title
        for section in issue.sections
        if section.title == top or section.title.startswith(top + SECTION_PATH_SEPARATOR)
        for item in section.items
    ]


def test_twir_665_title_and_sections(twir_665: ParsedIssue) -> None:
    assert twir_665.title == "This Week in Rust 665"
    assert twir_665.date == datetime(2026, 8, 19)
    assert _top_level(twir_665) == [
        "Updates from Rust Community",
        "Crate of the Week",
        "Calls for Testing",
        "Call for Participation; projects and speakers",
        "Updates from the Rust Project",
        "Upcoming Events",
        "Jobs",
        "Quote of the Week",
    ]


def test_twir_665_community_updates_skip_the_commented_template(twir_665: ParsedIssue) -> None:
    items = _items_under(twir_665, "Updates from Rust Community")
    assert len(items) == 17
    assert "Title of the linked Page" not in items
    assert "Implementing State Machines (Part 1)" in items  # `[video] [series]` tags dropped
    official = next(
        section
        for section in twir_665.sections
        if section.title.endswith(f"{SECTION_PATH_SEPARATOR}Official")
    )
    assert official.title == f"Updates from Rust Community{SECTION_PATH_SEPARATOR}Official"


def test_twir_665_events_keep_their_sub_bullets(twir_665: ParsedIssue) -> None:
    events = [
        item
        for section in twir_665.sections
        if section.title.startswith(f"Upcoming Events{SECTION_PATH_SEPARATOR}")
        for item in section.items
    ]
    assert len(events) == 55
    first = events[0]
    assert first.title == "2026-08-19 | Hybrid (Vancouver, CA) | Vancouver Rust"
    assert first.url == "https://www.meetup.com/vancouver-rust"
    assert (
        "[**Dealing with Dependencies**](https://www.meetup.com/vancouver-rust/events/314105333/)"
        in first.body
    )
    assert all(item.url and len(item.links) >= 1 for item in events)


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK_LED_BULLET = re.compile(
    r"^[*-] +(?:\[[^\]\n]{1,24}\] +)*\[[^\n]*?\]\((https?://[^)\s]+)\)", re.MULTILINE
)


@pytest.mark.parametrize("path", TWIR_FILES, ids=lambda path: path.name)
def test_every_twir_issue_splits(path: Path) -> None:
    issue = _split_file(path)
    assert len(issue.sections) > 3
    assert all(section.items for section in issue.sections)
    items = [item for section in issue.sections for item in section.items]
    assert all(item.title for item in items)
    # Every `* [title](url)` bullet (outside comments) is an item with that url,
    # or sits in the body of the item it belongs to (a quote's list of editors).
    bullets = _LINK_LED_BULLET.findall(_COMMENT.sub("", path.read_text(encoding="utf-8")))
    urls = {item.url for item in items}
    links = {link for item in items for link in item.links}
    assert all(url in links for url in bullets)
    assert sum(url in urls for url in bullets) >= 0.85 * len(bullets)


# --- rules, one by one ---------------------------------------------------------------


def _titles(issue: ParsedIssue) -> list[tuple[str, list[str]]]:
    return [(section.title, [item.title for item in section.items]) for section in issue.sections]


def test_empty_text_is_one_item_named_after_the_file() -> None:
    issue = split_markdown("", fallback_title="empty-issue")
    assert _titles(issue) == [("", ["empty-issue"])]
    assert split_markdown("   \n").title == "Untitled"


def test_title_falls_back_from_front_matter_to_h1_to_file_name() -> None:
    assert split_markdown("---\ntitle: From YAML\n---\n# From H1\n\ntext").title == "From YAML"
    assert split_markdown("# From H1\n\ntext", fallback_title="stem").title == "From H1"
    assert split_markdown("just text", file="notes/2024-05-01-issue.md").title == "2024-05-01-issue"


def test_date_from_a_dated_file_name_when_front_matter_has_none() -> None:
    assert split_markdown("text", file="posts/2020-12-2-weekly.md").date == datetime(2020, 12, 2)
    assert split_markdown("text", file="weekly.md").date is None


def test_front_matter_title_repeated_as_h1_is_not_a_section() -> None:
    issue = split_markdown(
        "---\ntitle: Weekly 5\n---\n# Weekly 5\n\nHello.\n\n## News\n\n### [A](https://a.example)\n\nText.\n"
    )
    assert [section.title for section in issue.sections] == ["", "News"]


def test_first_h1_is_the_title_and_not_a_section() -> None:
    issue = split_markdown(
        "# The Title\n\n## One\n\n#### [A](https://a.example)\n\nx\n\n#### [B](https://b.example)\n\ny\n"
    )
    assert issue.title == "The Title"
    assert _titles(issue) == [("One", ["A", "B"])]


def test_crlf_and_bom_are_handled_by_split_markdown_itself() -> None:
    issue = split_markdown(
        "\ufeff# T\r\n\r\n## S\r\n\r\n* [A](https://a.example) - one\r\n* [B](https://b.example)\r\n"
    )
    assert issue.title == "T"
    assert _titles(issue) == [("S", ["A", "B"])]
    assert issue.sections[0].items[0].body == "one"


def test_heading_lines_in_code_fences_are_not_headings() -> None:
    text = "# T\n\n## Real\n\n```\n## fake\n```\n\n[Source](https://x.example)\n"
    issue = split_markdown(text)
    assert [section.title for section in issue.sections] == ["Real"]
    assert "## fake" in issue.sections[0].items[0].body


def test_list_entries_take_link_titles_and_keep_summaries() -> None:
    issue = split_markdown(
        "## Links\n\n"
        "* [video] [series] [Tagged title](https://t.example) - the summary\n"
        "* Plain lead - with a [link](https://p.example) later\n"
        "* 中文标题：摘要内容 https://zh.example/a\n"
    )
    items = issue.sections[0].items
    assert [item.title for item in items] == ["Tagged title", "Plain lead", "中文标题"]
    assert [item.url for item in items] == [
        "https://t.example",
        "https://p.example",
        "https://zh.example/a",
    ]
    assert items[0].body == "the summary"


def test_nested_bullets_stay_in_their_parents_body() -> None:
    issue = split_markdown(
        "## Events\n\n* Monday | [Group](https://g.example)\n    * [**Talk**](https://g.example/talk)\n* Friday | [Other](https://o.example)\n"
    )
    first, second = issue.sections[0].items
    assert "[**Talk**](https://g.example/talk)" in first.body
    assert first.links == ("https://g.example", "https://g.example/talk")
    assert second.title == "Friday | Other"


def test_sub_headings_that_group_links_become_sections_with_context() -> None:
    issue = split_markdown(
        "## Updates\n\nIntro text.\n\n### Official\n* [A](https://a.example)\n\n### Blogs\n* [B](https://b.example)\n* [C](https://c.example)\n"
    )
    assert [section.title for section in issue.sections] == [
        "Updates",
        f"Updates{SECTION_PATH_SEPARATOR}Official",
        f"Updates{SECTION_PATH_SEPARATOR}Blogs",
    ]


def test_commented_out_bullets_are_not_items() -> None:
    issue = split_markdown(
        "## S\n\n<!--\n* [Template](https://template.example)\n-->\n* [Real](https://real.example)\n"
    )
    assert _titles(issue) == [("S", ["Real"])]


def test_url_is_the_source_link_not_an_image_or_anchor() -> None:
    issue = split_markdown(
        "## S\n\n#### Item\n\n![pic](https://img.example/p.png) Summary with [an anchor](#top).\n[Source](https://source.example)\n"
    )
    item = issue.sections[0].items[0]
    assert item.url == "https://source.example"
    assert "https://img.example/p.png" not in item.links


def test_bare_urls_and_autolinks_count_as_links() -> None:
    issue = split_markdown(
        "## S\n\n#### A\n\nSee https://bare.example/x and <https://auto.example/y>.\n"
    )
    assert issue.sections[0].items[0].links == ("https://bare.example/x", "https://auto.example/y")


def test_bare_url_followed_by_chinese_text_ends_at_the_url() -> None:
    issue = split_markdown("## S\n\n#### A\n\n详见https://example.cn/a了解更多。\n")
    assert issue.sections[0].items[0].url == "https://example.cn/a"


def test_only_web_and_mail_links_are_kept() -> None:
    issue = split_markdown(
        "## S\n\n#### A\n\n[js](javascript:alert(1)) [file](file:///etc/passwd) [mail](mailto:a@b.example) [web](https://w.example)\n"
    )
    assert issue.sections[0].items[0].links == ("https://w.example", "mailto:a@b.example")


def test_reference_links_keep_their_definitions_in_the_body() -> None:
    issue = split_markdown(
        "## S\n\n* Fixed in [#1][pr1].\n* Also [#2][pr2].\n\n[pr1]: https://x.example/1\n[pr2]: https://x.example/2\n"
    )
    first = issue.sections[0].items[0]
    assert first.url == "https://x.example/1"
    assert first.body.endswith("[pr1]: https://x.example/1")


def test_hostile_titles_stay_literal() -> None:
    issue = split_markdown(
        "## [/]\n\nText [x](https://x.example)\n\n## [@click=app.quit]\n\nMore [y](https://y.example)\n"
    )
    assert [item.title for section in issue.sections for item in section.items] == [
        "[/]",
        "[@click=app.quit]",
    ]


def test_control_characters_never_reach_titles() -> None:
    issue = split_markdown("## Bad\x1b[31m title\x07\n\n[x](https://x.example)\n")
    title = issue.sections[0].items[0].title
    assert "\x1b" not in title and "\x07" not in title


def test_unclosed_code_span_in_link_text_does_not_crash_the_parser() -> None:
    issue = split_markdown("## S\n\n* [a `b](https://a.example)\n* [c](https://c.example)\n")
    assert [item.url for item in issue.sections[0].items] == [
        "https://a.example",
        "https://c.example",
    ]
    assert issue.sections[0].items[0].title == "a `b"
    assert not issue.warnings


@pytest.mark.parametrize(
    "text", ["[`", "[[]`", "[a\n`b", "[` ``", "x [a ``b`` c`](u) y", "[```\n>```"]
)
def test_backticks_after_a_bracket_never_reach_the_parser_open(text: str) -> None:
    # markdown-it-pyrs 0.4 panics on these; they must split without the fallback.
    issue = split_markdown(text)
    assert not issue.warnings
    assert issue.item_count == 1


def test_a_parser_failure_keeps_the_text_as_one_item(monkeypatch: pytest.MonkeyPatch) -> None:
    from reader.core import split_nodes

    class PanickingParser:
        def tree(self, text: str) -> object:
            if text:
                raise BaseException("simulated Rust panic")  # what pyo3 raises
            return real.tree(text)

    real = split_nodes._MARKDOWN
    monkeypatch.setattr(split_nodes, "_MARKDOWN", PanickingParser())
    issue = split_markdown("# T\n\n* [a](https://a.example/x)\n", fallback_title="f")
    assert issue.warnings == (split_nodes.PARSE_FAILED_WARNING,)
    assert [[item.body for item in section.items] for section in issue.sections] == [
        ["# T\n\n* [a](https://a.example/x)"]
    ]
    assert issue.sections[0].items[0].links == ("https://a.example/x",)


def test_a_plain_article_is_one_section_with_one_item() -> None:
    issue = split_markdown("Just one paragraph of text.\n\nAnd another one.", fallback_title="note")
    assert _titles(issue) == [("", ["note"])]
    assert issue.sections[0].items[0].body == "Just one paragraph of text.\n\nAnd another one."
    assert issue.sections[0].items[0].url is None


def test_editorial_intro_is_an_item_and_short_list_intros_are_notes() -> None:
    intro = "An editorial about the state of things. " * 20
    issue = split_markdown(
        f"## S\n\n{intro}\n\n* [A](https://a.example)\n* [B](https://b.example)\n"
    )
    assert [item.title for item in issue.sections[0].items][1:] == ["A", "B"]
    issue = split_markdown(
        "## S\n\nThis week's links:\n\n* [A](https://a.example)\n* [B](https://b.example)\n"
    )
    assert [item.title for item in issue.sections[0].items] == ["A", "B"]
    assert issue.sections[0].note == "This week's links:"


def test_an_item_whose_title_is_a_long_sentence_is_clipped() -> None:
    long_line = "word " * 60
    issue = split_markdown(
        f"## S\n\n* {long_line}[x](https://x.example)\n* other [y](https://y.example)\n"
    )
    assert len(issue.sections[0].items[0].title) <= 81


# --- digest shapes met in the wild ----------------------------------------------

FRONTEND_FOCUS = """# Frontend Focus — Issue 712

Hello! This week we have news on interop and a guide.

**[Interop 2027 Proposals Open](https://web.example.dev/interop-2027)** — The yearly effort...
_Browser Team_

**[A Guide to View Transitions](https://guide.example.com/vt)** — A thorough walk-through.
_Ann Smith_

## In Brief

- Chrome 140 ships with [anchor positioning fixes](https://chrome.example.com/140).

## Jobs

**Senior Frontend Engineer at Acme** — Remote, EU. [Apply](https://jobs.example.com/1)

**UI Engineer at Lumen** — Berlin. [Apply](https://jobs.example.com/2)
"""


def test_bold_linked_titles_with_a_dash_summary_before_any_section_are_items() -> None:
    issue = split_markdown(FRONTEND_FOCUS)
    assert _titles(issue) == [
        (
            "",
            [
                "Hello! This week we have news on interop and a guide.",
                "Interop 2027 Proposals Open",
                "A Guide to View Transitions",
            ],
        ),
        ("In Brief", ["Chrome 140 ships with anchor positioning fixes."]),
        ("Jobs", ["Senior Frontend Engineer at Acme", "UI Engineer at Lumen"]),
    ]
    featured = issue.sections[0].items[1]
    assert featured.url == "https://web.example.dev/interop-2027"
    assert featured.body == "The yearly effort...\n_Browser Team_"
    assert [item.url for item in issue.sections[2].items] == [
        "https://jobs.example.com/1",
        "https://jobs.example.com/2",
    ]


def test_bold_phrases_opening_prose_do_not_split_an_essay() -> None:
    essay = (
        "# Leaving microservices\n\nFive years of lessons.\n\n## The reality\n\n"
        "**Step 1** — we merged the smallest services.\n\n"
        "**Step 2** — we merged the rest.\n\n## Conclusion\n\nStart with a monolith.\n"
    )
    assert _titles(split_markdown(essay)) == [("", ["Leaving microservices"])]


def test_a_lone_sponsor_line_among_stories_of_another_kind_is_an_item_of_its_own() -> None:
    issue = split_markdown(
        "## Featured\n\n**[One](https://one.example)**\nFirst summary.\n\n"
        "**Sponsored: Figment**\nA whiteboard.\n[Try it](https://figment.example)\n\n"
        "**[Two](https://two.example)**\nSecond summary.\n"
    )
    items = issue.sections[0].items
    assert [item.title for item in items] == ["One", "Sponsored: Figment", "Two"]
    assert items[1].url == "https://figment.example"
    assert "Second" not in items[1].body


def test_link_lines_in_a_row_are_items_and_comment_links_are_not_their_source() -> None:
    issue = split_markdown(
        "## Code\n\n"
        "[Writing a regex engine in 400 lines](https://regex.example/400) "
        "[(comments)](https://news.example/item?id=1)\n\n"
        "[Postgres as a queue, revisited](https://pgq.example/revisited) "
        "[(comments)](https://news.example/item?id=2)\n"
    )
    items = issue.sections[0].items
    assert [(item.title, item.url) for item in items] == [
        ("Writing a regex engine in 400 lines", "https://regex.example/400"),
        ("Postgres as a queue, revisited", "https://pgq.example/revisited"),
    ]
    assert items[0].links == ("https://regex.example/400", "https://news.example/item?id=1")


def test_button_links_in_a_row_are_not_items() -> None:
    issue = split_markdown(
        "## Reply\n\nWill you come?\n\n[Yes](https://cal.example/y)\n\n[No](https://cal.example/n)\n"
    )
    assert _titles(issue) == [("Reply", ["Reply"])]


def test_hash_lines_without_a_space_are_headings_when_there_are_several() -> None:
    issue = split_markdown(
        "Intro line.\n\n#Favorites\n\n* [A](https://a.example)\n* [B](https://b.example)\n\n"
        "#Code\n\n* [C](https://c.example)\n* [D](https://d.example)\n"
    )
    assert [section.title for section in issue.sections] == ["", "Favorites", "Code"]
    lone = split_markdown("## Notes\n\n#rustlang\n\nSome text.\n")
    assert [section.title for section in lone.sections] == ["Notes"]


def test_email_buttons_and_view_in_browser_lines_are_not_items() -> None:
    issue = split_markdown(
        "[View this email in your browser](https://mail.example/view)\n\n"
        "# Letter 19\n\nHello friends, a short letter today.\n\n"
        "[Like](https://app.example/like) · [Comment](https://app.example/comment)\n\n"
        "## Links\n\n* [A](https://a.example)\n* [B](https://b.example)\n\n"
        "[Share](https://app.example/share)\n"
    )
    assert _titles(issue) == [
        ("", ["Hello friends, a short letter today."]),
        ("Links", ["A", "B"]),
    ]
    bodies = " ".join(item.body for section in issue.sections for item in section.items)
    assert "app.example" not in bodies and "mail.example" not in bodies


def test_the_footer_from_its_rule_to_the_end_is_dropped() -> None:
    issue = split_markdown(
        "## Links\n\n**[A story](https://a.example)**\nIts summary.\n\n"
        "**[Another](https://b.example)**\nIts summary.\n\n---\n\n"
        "Thanks for reading!\n\n"
        "You received this because you subscribed. [Unsubscribe](https://list.example/u?x=1)\n\n"
        "[Powered by Mailer](https://mailer.example)\n"
    )
    items = issue.sections[0].items
    assert [item.title for item in items] == ["A story", "Another"]
    assert items[-1].body == "Its summary."


def test_a_short_last_story_after_a_rule_is_not_taken_for_the_footer() -> None:
    issue = split_markdown(
        "## Links\n\n**[A](https://a.example)**\nOne.\n\n**[B](https://b.example)**\nTwo.\n\n"
        "---\n\n**[Copyright law and models](https://c.example)**\nA ruling.\n\n"
        "© 2026 The Letter\n"
    )
    assert [item.title for item in issue.sections[0].items] == [
        "A",
        "B",
        "Copyright law and models",
    ]


def test_a_subtitle_under_the_title_opens_the_intro_instead_of_a_section() -> None:
    issue = split_markdown(
        "# Signal 48\n\n### Three stories and a tool\n\n[Marta](https://site.example/@marta)\n\n"
        "Good morning. Here is the week.\n\n## Stories\n\n"
        "### [A](https://a.example)\n\nSummary.\n\n### [B](https://b.example)\n\nSummary.\n"
    )
    assert _titles(issue) == [("", ["Three stories and a tool"]), ("Stories", ["A", "B"])]
    assert issue.sections[0].items[0].url is None  # the byline is not the intro's source


def test_a_named_link_line_opening_a_section_titles_its_item() -> None:
    issue = split_markdown(
        "## Sponsor\n\n**[Deploy apps in one click with Shipyard](https://ship.example)**\n"
        "Push to git, get a URL.\n\n"
        "## Compiler team\n\n[Full report](https://reports.example/compiler).\n\n"
        "The groundwork for SIMD landed.\n"
    )
    assert _titles(issue) == [
        ("Sponsor", ["Deploy apps in one click with Shipyard"]),
        ("Compiler team", ["Compiler team"]),
    ]


def test_a_lone_numbered_link_in_a_section_is_its_item_but_a_count_is_not() -> None:
    issue = split_markdown(
        "## Go\n\n3、[gotask](https://go.example/task)：任务管理工具。\n\n"
        "4、[lazyssh](https://go.example/ssh)：SSH 管理器。\n\n"
        "## 机器学习\n\n5、[tiny-llm](https://ml.example/llm)：从零实现小模型。\n\n"
        "## Core\n\n79 pull requests were [merged in the last week](https://gh.example/q).\n\n"
        "More notes on the week.\n"
    )
    assert _titles(issue) == [
        ("Go", ["gotask", "lazyssh"]),
        ("机器学习", ["tiny-llm"]),
        ("Core", ["Core"]),
    ]


def test_a_link_inside_a_sentence_titles_the_entry_with_the_sentence() -> None:
    issue = split_markdown(
        "## Brief\n\n"
        "* [Security fixes](https://go.example/sec) for `net/http` landed in 1.24.5.\n"
        "* [The case for the small web](https://essays.example/small) by Jo Park — a manifesto.\n"
        "* [Release notes](https://rel.example) - what changed\n"
    )
    items = issue.sections[0].items
    assert [item.title for item in items] == [
        "Security fixes for net/http landed in 1.24.5.",
        "The case for the small web",
        "Release notes",
    ]
    assert items[0].url == "https://go.example/sec"


def test_label_colons_read_whole_while_dashes_and_chinese_colons_cut() -> None:
    issue = split_markdown(
        "## Top\n\n"
        "* Ask: what do you use for backups? ([discussion](https://forum.example/t/1))\n"
        "* Firefox now supports `text-wrap: pretty` by default.\n"
        "* Plain lead - with a [link](https://p.example) later\n"
        "* 中文标题：摘要内容 https://zh.example/a\n"
    )
    items = issue.sections[0].items
    assert [item.title for item in items] == [
        "Ask: what do you use for backups?",
        "Firefox now supports text-wrap: pretty by default.",
        "Plain lead",
        "中文标题",
    ]
    assert items[0].url == "https://forum.example/t/1"


def test_bare_urls_are_links_and_not_words_of_a_title() -> None:
    issue = split_markdown(
        "TOP STORIES\n-----------\n\n"
        "* Rust 2027 edition announced\n  https://blog.example/rust-2027\n  Async ergonomics.\n\n"
        "QUICK HITS\n----------\n\n"
        "- A CSS trick for sticky headers: https://css.example/sticky\n"
        "- Why timezones are hard: https://time.example/tz\n"
    )
    assert _titles(issue) == [
        ("TOP STORIES", ["Rust 2027 edition announced"]),
        ("QUICK HITS", ["A CSS trick for sticky headers", "Why timezones are hard"]),
    ]
    assert issue.sections[1].items[1].url == "https://time.example/tz"


def test_an_intro_is_named_after_its_prose_not_its_byline_or_dateline() -> None:
    issue = split_markdown(
        "# Weeknotes 88\n\nJune 21, 2026 · 4 min read\n\n"
        "This week I finished the map project. More below.\n\n"
        "## Tools\n\n* [jq-lite](https://jq.example)\n* [shotty](https://shot.example)\n"
    )
    assert issue.sections[0].items[0].title == "This week I finished the map project."


def test_a_greeting_before_the_first_item_is_an_item_and_a_dateline_is_a_note() -> None:
    greeting = split_markdown(
        "Hello! Three links this week.\n\n"
        "**[A](https://a.example)** — one.\n\n**[B](https://b.example)** — two.\n"
    )
    assert _titles(greeting) == [("", ["Hello! Three links this week.", "A", "B"])]
    dateline = split_markdown(
        "#601 — July 3, 2026\n\n"
        "**[A](https://a.example)** — one.\n\n**[B](https://b.example)** — two.\n"
    )
    assert _titles(dateline) == [("", ["A", "B"])]
    assert dateline.sections[0].note == "#601 — July 3, 2026"


def test_quotes_one_after_another_are_items() -> None:
    issue = split_markdown(
        "## 今日推荐\n\n> [为什么代码越来越难改](https://blog.example.cn/a)\n>\n> 作者分析了原因。\n\n"
        "> [一个人的产品公司](https://indie.example.cn/b)\n>\n> 五年的收入和开销。\n"
    )
    items = issue.sections[0].items
    assert [(item.title, item.url) for item in items] == [
        ("为什么代码越来越难改", "https://blog.example.cn/a"),
        ("一个人的产品公司", "https://indie.example.cn/b"),
    ]


def test_a_linked_picture_is_not_a_source_link() -> None:
    issue = split_markdown(
        "## Unboxing\n\nFirst the box.\n\n"
        "[![box](https://img.example/box_thumb.jpg)](https://img.example/box.jpg)\n\n"
        "Then the cable.\n\n"
        "[![cable](https://img.example/cable_thumb.jpg)](https://img.example/cable.jpg)\n\n"
        "Then the adapter.\n\n"
        "[![plug](https://img.example/plug_thumb.jpg)](https://img.example/plug.jpg)\n"
    )
    assert _titles(issue) == [("Unboxing", ["Unboxing"])]


def test_a_mail_address_line_is_not_a_story() -> None:
    issue = split_markdown(
        "This is an automated message.\n\nhttps://help.example/bounces\n\nPlease write to us.\n\n"
        "<someone@mail.example>: host said 550 no such user\n"
    )
    assert len(issue.sections[0].items) == 1


def test_short_bold_lines_over_bold_titled_items_name_sections() -> None:
    issue = split_markdown(
        "# Notes 12\n\n**Articles**\n\n**[Why we left the cloud](https://a.example)**\nCosts.\n\n"
        "**[SQLite internals](https://b.example)**\nPages.\n\n**Tools:**\n\n"
        "**[ripgrep 15](https://c.example)** — searches archives.\n\n"
        "**[fzf 0.60](https://d.example)** — a new preview.\n"
    )
    assert _titles(issue) == [
        ("Articles", ["Why we left the cloud", "SQLite internals"]),
        ("Tools", ["ripgrep 15", "fzf 0.60"]),
    ]
    # A bold line over a list is the title of the item the list belongs to.
    jobs = split_markdown(
        "## Jobs\n\n**Kollider**\n\n* [Backend Engineer](https://k.example/1)\n"
        "* [DevOps Engineer](https://k.example/2)\n\n**Tempus**\n\n"
        "* [Several positions](https://t.example)\n"
    )
    assert [section.title for section in jobs.sections] == ["Jobs"]


def test_plain_text_titles_over_their_address_are_items() -> None:
    issue = split_markdown(
        "## Top stories\n\nRust 2027 edition announced\nhttps://blog.example/rust-2027\n"
        "Async ergonomics first.\n\nSQLite gets a JSON type\nhttps://sqlite.example/json\n"
    )
    items = issue.sections[0].items
    assert [(item.title, item.url) for item in items] == [
        ("Rust 2027 edition announced", "https://blog.example/rust-2027"),
        ("SQLite gets a JSON type", "https://sqlite.example/json"),
    ]
    assert items[0].body == "Async ergonomics first."


def test_a_table_of_contents_is_not_a_list_of_items() -> None:
    issue = split_markdown(
        "In this issue:\n\n- [Top stories](https://byte.example/89#top)\n"
        "- [Quick hits](https://byte.example/89#quick)\n\n"
        "## Top stories\n\n* [A](https://a.example) - one\n* [B](https://b.example) - two\n"
    )
    assert [item.title for item in issue.sections[0].items] != ["Top stories", "Quick hits"]
    assert _titles(issue)[-1] == ("Top stories", ["A", "B"])
