"""Tests of the scraped-article cleaner against the seeds and pages written for it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reader.core.clean import CleanedArticle, clean_article, repair_punctuation

DATA = Path(__file__).resolve().parent.parent / "data" / "clean"
READER_PACKAGE = Path(__file__).resolve().parents[2] / "reader"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

SEED_EXPECTATIONS: dict[str, dict[str, object]] = json.loads(
    (DATA / "seeds.json").read_text(encoding="utf-8")
)
PAGE_EXPECTATIONS: dict[str, dict[str, object]] = json.loads(
    (DATA / "expectations.json").read_text(encoding="utf-8")
)
TONE_MARKED_PINYIN = re.compile(r"[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")


def _check(result: CleanedArticle, expected: dict[str, object]) -> None:
    assert result.title == expected["title"]
    body = result.body
    # Every listed body passage is present, in reading order.
    position = 0
    for passage in expected["present"]:  # type: ignore[attr-defined]
        found = body.find(passage, position)
        assert found >= 0, f"missing or out of order: {passage!r}"
        position = found + len(passage)
    for noise in expected["absent"]:  # type: ignore[attr-defined]
        assert noise not in body, f"noise kept: {noise!r}"
        assert result.title is None or noise not in result.title
    lines = {line.strip() for line in body.splitlines()}
    for line in expected.get("absent_lines", []):  # type: ignore[attr-defined]
        assert line not in lines, f"noise line kept: {line!r}"
    for fragment in expected.get("never", []):  # type: ignore[attr-defined]
        assert fragment not in body
    # What was removed plus what was kept accounts for the noise.
    assert all(line.strip() for line in result.removed)


@pytest.mark.parametrize("name", sorted(SEED_EXPECTATIONS))
def test_seed_article(name: str) -> None:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"shared seed {name} not available")
    result = clean_article(path.read_text(encoding="utf-8"))
    _check(result, SEED_EXPECTATIONS[name])


@pytest.mark.parametrize("name", sorted(PAGE_EXPECTATIONS))
def test_own_noisy_page(name: str) -> None:
    result = clean_article((DATA / name).read_text(encoding="utf-8"))
    _check(result, PAGE_EXPECTATIONS[name])


def test_every_page_has_expectations() -> None:
    pages = {path.name for path in DATA.glob("*.txt")}
    assert pages == set(PAGE_EXPECTATIONS)
    assert len(pages) >= 4


def test_seed_003_reads_cleanly() -> None:
    path = SEEDS / "003_be9c51dfe77f7e66.txt"
    if not path.exists():
        pytest.skip("shared seed 003 not available")
    body = clean_article(path.read_text(encoding="utf-8")).body
    assert ",," not in body and ",。" not in body and "，，" not in body
    assert not TONE_MARKED_PINYIN.search(body)
    assert "發布" in body and "數據" in body


def test_no_seed_line_in_the_package() -> None:
    """The cleaner is generic: no line of the seeds is written into the code."""
    if not SEEDS.exists():
        pytest.skip("shared seeds not available")
    seed_lines = {
        line.strip()
        for path in SEEDS.glob("00[234]_*")
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) >= 4
    }
    source = "\n".join(path.read_text(encoding="utf-8") for path in READER_PACKAGE.rglob("*.py"))
    leaked = [line for line in seed_lines if line in source]
    assert leaked == []


MARKDOWN_ARTICLE = """\
# Weekly Notes 12

This week brought two releases worth a look and one long read about testing.
The notes below are short; follow the links for the details.

## Tools

- [ripgrep 15](https://example.org/rg) - faster searches in large monorepos.
- [uv 0.9](https://example.org/uv) - lock files now record the index used.
- A tip: `git log -S` finds the commit that added a string.

## Reading

1. [Property tests in practice](https://example.org/pt): a team explains how
   they found three bugs in a parser with twenty lines of test code.
2. [Why builds get slow](https://example.org/slow): a tour of caching mistakes.

> Make it work, make it right, make it fast.

| tool | version |
|------|---------|
| ripgrep | 15 |

```python
print("a,,b")
```

That's all for this week, see you next Friday.
"""


def test_markdown_article_passes_through() -> None:
    result = clean_article(MARKDOWN_ARTICLE)
    assert result.title == "Weekly Notes 12"
    body_lines = result.body.splitlines()
    for line in MARKDOWN_ARTICLE.splitlines()[1:]:
        if line.strip():
            assert line in body_lines, f"line dropped or changed: {line!r}"
    assert result.removed == ()


def test_plain_short_text_is_kept() -> None:
    result = clean_article("Hello world!\n\nSee you soon.\n")
    assert result.title is None
    assert result.body == "Hello world!\n\nSee you soon.\n"


def test_empty_text() -> None:
    assert clean_article("") == CleanedArticle(title=None, body="", removed=())
    assert clean_article(" \n\n\t\n").body == ""


def test_removed_lists_dropped_lines() -> None:
    text = (
        "Home | News | Sport | Weather | Contact\n"
        "A Quiet Week at the Harbour\n\n"
        + "The ferry ran on time every day this week, and the fishing boats came back "
        "with full holds despite the wind.\n\n"
        * 3
        + "© 2025 Harbour Gazette. All rights reserved.\n"
    )
    result = clean_article(text)
    assert result.title == "A Quiet Week at the Harbour"
    assert "Home | News | Sport | Weather | Contact" in result.removed
    assert "© 2025 Harbour Gazette. All rights reserved." in result.removed
    assert result.body.count("The ferry ran on time") == 3


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        ("近日,,深度", "近日,深度"),
        ("事件,。下一句", "事件。下一句"),
        ("結束。。然後", "結束。然後"),
        ("一，，二", "一，二"),
        ("一,，二", "一，二"),
        ("甲,、乙", "甲、乙"),
        ("熱線,;消費者", "熱線;消費者"),
        ("完了。,再", "完了。再"),
        ("發(fā)布", "發布"),
        ("參數(shù)", "參數"),
        ("權（quán）重", "權重"),
        ("English,, too", "English, too"),
    ],
)
def test_repair_punctuation(raw: str, repaired: str) -> None:
    assert repair_punctuation(raw) == repaired


@pytest.mark.parametrize(
    "kept",
    [
        "人工智能(AI)",
        "名為“open”(開放)",
        "函數(x)",
        "他說……。。。",
        "Wait... what?",
        "1,000,000 people",
        "see `a,,b` in code",
        "[link](https://example.org/a,,b)",
        "行(hang) without a tone mark",
    ],
)
def test_repair_punctuation_leaves_alone(kept: str) -> None:
    assert repair_punctuation(kept) == kept


def test_repair_skips_code_blocks() -> None:
    text = "```\nx = [1,,2]\n```\n近日,,好"
    assert repair_punctuation(text) == "```\nx = [1,,2]\n```\n近日,好"


def test_repair_keeps_tilde_fence_open_across_backtick_lines() -> None:
    text = "~~~\n```\na,,b\n~~~\nc,,d"
    assert repair_punctuation(text) == "~~~\n```\na,,b\n~~~\nc,d"


@pytest.mark.parametrize(
    "text",
    [
        "." * 100_000 + "x",
        "1" * 100_000 + " days ago",
        "…" * 50_000 + "x",
        "a" * 100_000 + "@",
        " " * 100_000 + "(記者)",
        "，" * 100_000,
        "x » " * 20_000,
    ],
    ids=["dots", "digits", "ellipses", "letters", "spaces", "commas", "crumbs"],
)
def test_long_runs_do_not_stall(text: str) -> None:
    """Each pattern is linear on long runs; a backtracking one would take minutes here."""
    result = clean_article(text)
    assert isinstance(result.body, str)
