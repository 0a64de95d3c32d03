"""Chinese and mixed text in the reader pane break between characters, never inside an
English word, and never put a closing mark at the start of a line."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from rich.cells import cell_len
from textual.widgets import Markdown

from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
from reader.tui.app import ReaderApp
from reader.tui.linebreak import divide_line
from reader.tui.widgets.item_list import ItemList
from tests.tui.conftest import library_of

CLOSING = "、。，：；？！）」』】》…"
OPENING = "（「『【《"
NOT_WIDE = r"[^\s\u3000-\u9fff\uff00-\uffef…]+"
RUN_AT_END = re.compile(NOT_WIDE + "$")
RUN_AT_START = re.compile(NOT_WIDE)
FIRST_UNIT = re.compile(f"[{OPENING}]*(?:{NOT_WIDE}|.)[{CLOSING}]*")


def lines_of(text: str, width: int) -> list[str]:
    breaks = divide_line(text, width)
    return [text[start:end] for start, end in zip([0, *breaks], [*breaks, len(text)], strict=True)]


def assert_well_broken(text: str, width: int) -> list[str]:
    lines = lines_of(text, width)
    assert "".join(lines) == text
    for before, after in pairwise(lines):
        assert cell_len(before.rstrip()) <= width, (before, width)
        assert after[0] not in CLOSING, (before, after)
        assert before.rstrip()[-1:] not in OPENING, (before, after)
        # A run of English (a word, a number, a URL) is cut only when it is longer than a
        # line by itself.
        tail, head = RUN_AT_END.search(before), RUN_AT_START.match(after)
        if tail and head:
            assert cell_len(tail[0] + head[0]) > width, (before, after)
    return lines


def test_mixed_text_breaks_between_characters_and_keeps_words_whole() -> None:
    text = "斯坦福大学（Stanford University）的研究团队发布了新的模型，名为 DigiChina，支持 2025年的数据。"
    assert lines_of(text, 20) == [
        "斯坦福大学（Stanford ",
        "University）的研究团",
        "队发布了新的模型，名",
        "为 DigiChina，支持 ",
        "2025年的数据。",
    ]
    # A closing mark goes down with the character before it rather than start a line.
    assert lines_of("给水排水燃气电；共用隧道。", 14) == ["给水排水燃气", "电；共用隧道。"]
    # And an opening mark goes down with the character after it.
    assert lines_of("给水排水燃气（电力）", 14) == ["给水排水燃气", "（电力）"]
    # Lines are filled: a space is not the only place to break.
    assert lines_of("第 90 期。本期内容包括 DeepSeek、千问和 O3 背后的技术。", 24) == [
        "第 90 期。本期内容包括 ",
        "DeepSeek、千问和 O3 背后",
        "的技术。",
    ]


def test_english_text_wraps_as_textual_wraps_it() -> None:
    from rich._wrap import divide_line as rich_divide_line

    text = (
        "A plain English paragraph, with words of several lengths and a URL https://example.com/x."
    )
    for width in (10, 23, 40):
        assert divide_line(text, width) == rich_divide_line(text, width)


def test_random_mixed_text_keeps_every_rule() -> None:
    # Pieces no longer than 8 cells: an ideograph with a mark before or after it, or an
    # English word and its space. (A unit longer than a line is folded wherever it must be.)
    wide, words = "中文字年的数据隧道", ["word ", "Stanford ", "2025", "AI ", "ok. ", "x"]
    chooser = random.Random(17)
    for _ in range(500):
        pieces = []
        for _ in range(chooser.randint(1, 80)):
            kind = chooser.random()
            char = chooser.choice(wide)
            if kind < 0.45:
                pieces.append(char)
            elif kind < 0.6:
                pieces.append(char + chooser.choice(CLOSING))
            elif kind < 0.7:
                pieces.append(chooser.choice(OPENING) + char)
            else:
                pieces.append(chooser.choice(words))
        text = "".join(pieces).strip()
        if text:
            assert_well_broken(text, chooser.randint(8, 40))


def test_no_break_spaces_hold_a_date_and_a_flag_together() -> None:
    meta = "2025-03-07\xa009:00\xa0· Imported files\xa0· unread\xa0· ◷\xa0later"
    assert lines_of(meta, 30) == [
        "2025-03-07\xa009:00\xa0· Imported ",
        "files\xa0· unread\xa0· ◷\xa0later",
    ]
    assert lines_of(meta, 20) == [
        "2025-03-07\xa009:00\xa0· ",
        "Imported files\xa0· ",
        "unread\xa0· ◷\xa0later",
    ]


def test_a_run_longer_than_the_line_is_folded_to_fit() -> None:
    url = "https://example.com/a/very/long/path/that/does/not/fit"
    lines = lines_of(f"见 {url} 中文", 20)
    assert lines == ["见 ", url[:20], url[20:40], url[40:] + " 中文"]


async def test_the_reader_pane_wraps_chinese_by_these_rules(
    home: Path, make_app: Callable[..., ReaderApp]
) -> None:
    body = (
        "斯坦福大学（Stanford University）的研究团队本周发布了名为 DigiChina 的开放数据集，"
        "收录了 2025年以来的政策文件；团队表示，数据每月更新一次，并提供 JSON 与 CSV 两种格式。"
    ) * 2
    item = ParsedItem("数据集发布", "https://example.cn/data", body)
    issue = ParsedIssue("周刊", datetime(2025, 3, 1), None, (ParsedSection("新闻", (item,)),))
    app = make_app(library_of(issue))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        items = app.screen.query_one(ItemList)
        items.focus()
        await pilot.press("enter")
        await pilot.pause(0.5)
        markdown = app.screen.query_one(Markdown)
        paragraph = next(
            child
            for child in markdown.children
            if "DigiChina" in str(getattr(child, "_content", ""))
        )
        rendered = [paragraph.render_line(y).text.strip() for y in range(paragraph.size.height)]
        width = paragraph.content_region.width
    assert "".join(rendered).replace(" ", "") == body.replace(" ", "")
    for line, following in pairwise(rendered):
        assert following[:1] not in CLOSING, rendered
        # Each line is filled: what starts the next one would not have fitted.
        next_unit = FIRST_UNIT.match(following)
        assert next_unit is not None
        assert cell_len(line) + 1 + cell_len(next_unit[0]) > width, (line, following)
    words = re.findall(r"[A-Za-z]+", body)
    joined = " ".join(rendered)
    for word in set(words):
        assert re.search(rf"\b{word}\b", joined), (word, rendered)


async def test_long_code_lines_wrap_inside_the_reader_pane(
    home: Path, make_app: Callable[..., ReaderApp]
) -> None:
    from textual.widgets import Label
    from textual.widgets._markdown import MarkdownFence

    long_line = "    self.A = nn.Parameter(torch.zeros((in_f, rank)))  # the end of a long line"
    body = f"Code:\n\n```python\nclass LoRA(nn.Module):\n{long_line}\n```\n"
    item = ParsedItem("Code", "https://example.com/code", body)
    issue = ParsedIssue("Weekly", datetime(2025, 3, 1), None, (ParsedSection("Code", (item,)),))
    app = make_app(library_of(issue))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one(ItemList).focus()
        await pilot.press("enter")
        await pilot.pause(0.5)
        fence = app.screen.query_one(MarkdownFence)
        label = fence.query_one(Label)
        lines = [label.render_line(y).text.rstrip() for y in range(label.size.height)]
        assert label.outer_size.width <= fence.content_region.width
    shown = " ".join(line.strip() for line in lines)
    assert "# the end of a long line" in shown
    assert max(cell_len(line) for line in lines) <= label.outer_size.width
