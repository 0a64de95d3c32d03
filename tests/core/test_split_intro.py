"""Editorial intros: a short title from their opening sentence, the whole text as their body.

Also: pictures and captions are never an intro's title, items' own titles are
untouched, and a list entry whose link opens a sentence keeps the sentence whole.
"""

from __future__ import annotations

import unicodedata

from reader.core.convert import split_html
from reader.core.model import ParsedIssue, ParsedItem
from reader.core.split import split_markdown
from reader.core.split_text import INTRO_TITLE_MAX_CELLS

LINKS_EN = (
    "## Links\n\n"
    "* [Tide gauges explained](https://tides.example.org/gauges) - how they work.\n"
    "* [Crane spotting](https://cranes.example.org/) - a hobby for the patient.\n"
)
LINKS_ZH = (
    "## 本周焦点\n\n"
    "1、[索道的六十年](https://news.example.cn/ropeway)\n\n"
    "一条索道运营了六十年，载客超过一亿人次。\n\n"
    "2、[轻轨穿楼](https://news.example.cn/monorail)\n\n"
    "轻轨从居民楼中间穿过，成了网红景点。\n"
)


def _intro(issue: ParsedIssue) -> ParsedItem:
    section = issue.sections[0]
    assert section.title == ""
    return section.items[0]


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_a_chinese_intro_is_titled_by_its_opening_sentences_and_keeps_its_whole_text() -> None:
    prose = "第 12 期。这一期从山城的交通讲起：索道、轻轨和爬坡的公交。感谢读者「小舟」推荐了本期的两篇文章。"
    issue = split_markdown(
        "---\ntitle: 山城周报（第 12 期）\n---\n\n"
        f"![封面：雨中的索道](https://img.example.cn/12/cover.jpg)\n\n{prose}\n\n{LINKS_ZH}"
    )
    intro = _intro(issue)
    # "第 12 期。" alone is too short to name anything: the next sentence joins it.
    assert intro.title == "第 12 期。这一期从山城的交通讲起：索道、轻轨和爬坡的公交。"
    assert intro.body == f"![封面：雨中的索道](https://img.example.cn/12/cover.jpg)\n\n{prose}"
    assert intro.url is None
    assert [item.title for item in issue.sections[1].items] == ["索道的六十年", "轻轨穿楼"]


def test_an_english_intro_is_titled_by_its_first_sentence() -> None:
    prose = (
        "Three ferries, two cranes and a new tide gauge kept the harbour busy this week. "
        "We also answer your letters about the lighthouse."
    )
    issue = split_markdown(f"# Harbour Notes 31\n\n{prose}\n\nA second paragraph.\n\n{LINKS_EN}")
    intro = _intro(issue)
    assert intro.title == (
        "Three ferries, two cranes and a new tide gauge kept the harbour busy this week."
    )
    assert intro.body == f"{prose}\n\nA second paragraph."


def test_a_short_greeting_is_joined_by_the_next_sentence_cut_at_a_word() -> None:
    prose = (
        "Hello again! This week the harbour was busy with three ferries, two cranes "
        "and a new tide gauge that reports every minute."
    )
    intro = _intro(split_markdown(f"# Harbour Notes 32\n\n{prose}\n\n{LINKS_EN}"))
    assert intro.title == (
        "Hello again! This week the harbour was busy with three ferries, two cranes and…"
    )
    assert _cells(intro.title) <= INTRO_TITLE_MAX_CELLS
    assert intro.body == prose


def test_a_long_chinese_sentence_is_cut_between_characters_to_the_cell_limit() -> None:
    prose = (
        "这一周里，本地优先软件、端侧小模型和城市数据开放三件事凑到了一起，"
        "我们干脆把它们放在同一期里讲，顺便回答读者来信里最常见的几个问题。下一句不会出现在标题里。"
    )
    intro = _intro(split_markdown(f"# 周刊第 3 期\n\n{prose}\n\n{LINKS_ZH}"))
    assert (
        intro.title
        == "这一周里，本地优先软件、端侧小模型和城市数据开放三件事凑到了一起，我们干脆把它…"
    )
    assert _cells(intro.title) <= INTRO_TITLE_MAX_CELLS
    assert intro.body == prose


def test_a_hard_wrapped_intro_reads_as_one_sentence() -> None:
    issue = split_markdown(
        "# Notes 7\n\nThis week I rebuilt the shed, planted the\nbeans and read two books. "
        "More below.\n\n" + LINKS_EN
    )
    assert (
        _intro(issue).title == "This week I rebuilt the shed, planted the beans and read two books."
    )


def test_abbreviations_and_numbers_do_not_end_the_first_sentence() -> None:
    prose = "Welcome to The Margin No. 12, where we read slowly. Pour a cup of tea."
    intro = _intro(split_markdown(f"# The Margin\n\n{prose}\n\n{LINKS_EN}"))
    assert intro.title == "Welcome to The Margin No. 12, where we read slowly."


def test_a_cover_picture_and_its_caption_are_not_the_title_of_an_intro() -> None:
    issue = split_markdown(
        "# Harbour Notes 33\n\n"
        "![Cover: three ferries at dawn](https://img.example.org/33.jpg)\n\n"
        "*The ferries at dawn, seen from the pier.*\n\n"
        "Fog closed the harbour twice this week. Here is what we did instead.\n\n" + LINKS_EN
    )
    intro = _intro(issue)
    assert intro.title == "Fog closed the harbour twice this week."
    assert intro.body == (
        "![Cover: three ferries at dawn](https://img.example.org/33.jpg)\n\n"
        "*The ferries at dawn, seen from the pier.*\n\n"
        "Fog closed the harbour twice this week. Here is what we did instead."
    )


def test_a_caption_on_the_line_under_its_picture_is_passed_over_too() -> None:
    issue = split_markdown(
        "# 周刊第 4 期\n\n![封面：雨后的绿地](https://img.example.cn/4.jpg)\n*雨后的下沉式绿地。*\n\n"
        "本期讲城市里的雨水怎样被留下来。欢迎投稿。\n\n" + LINKS_ZH
    )
    assert _intro(issue).title == "本期讲城市里的雨水怎样被留下来。"


def test_a_labelled_caption_sentence_after_a_picture_is_passed_over() -> None:
    prose = "本期封面：初春的西湖。这一周，大模型的价格战还在继续，开源社区也很热闹。"
    issue = split_markdown(
        f"# 科技周刊第 58 期\n\n![封面图](https://img.example.cn/58.jpg)\n\n{prose}\n\n{LINKS_ZH}"
    )
    intro = _intro(issue)
    assert intro.title == "这一周，大模型的价格战还在继续，开源社区也很热闹。"
    assert intro.body == f"![封面图](https://img.example.cn/58.jpg)\n\n{prose}"
    # Without a picture before it, the same sentence is prose like any other.
    issue = split_markdown(f"# 科技周刊第 58 期\n\n{prose}\n\n{LINKS_ZH}")
    assert _intro(issue).title == "本期封面：初春的西湖。"


def test_a_caption_alone_still_names_the_intro() -> None:
    caption = (
        "*The pier after the storm, which took the railings and half of the benches with it. "
        "We will rebuild them.*"
    )
    issue = split_markdown(
        f"# Harbour Notes 34\n\n![The pier](https://img.example.org/34.jpg)\n\n{caption}\n\n"
        + LINKS_EN
    )
    intro = _intro(issue)
    assert intro.title == (
        "The pier after the storm, which took the railings and half of the benches with…"
    )
    assert intro.body == f"![The pier](https://img.example.org/34.jpg)\n\n{caption}"


def test_an_html_figure_caption_is_not_the_title_of_the_intro() -> None:
    issue = split_html(
        "<h1>The Commons Log, week 42</h1>"
        '<figure><img src="https://img.example.org/w42.jpg" alt="Three logos on a whiteboard">'
        "<figcaption>The newest members of the Commons.</figcaption></figure>"
        "<p>Three projects joined the foundation this week. Here is who they are.</p>"
        "<h2>New members</h2>"
        '<h3><a href="https://tide.example.org/">Tide</a></h3><p>A task runner.</p>'
        '<h3><a href="https://loom.example.net/">Loom</a></h3><p>A terminal multiplexer.</p>'
    )
    intro = _intro(issue)
    assert intro.title == "Three projects joined the foundation this week."
    assert intro.body == (
        "![Three logos on a whiteboard](https://img.example.org/w42.jpg)\n\n"
        "*The newest members of the Commons.*\n\n"
        "Three projects joined the foundation this week. Here is who they are."
    )


def test_an_intro_with_its_own_heading_is_named_by_it() -> None:
    issue = split_markdown(
        "# Harbour Notes 35\n\n### A week of fog and ferries\n\n"
        "Fog closed the harbour twice this week. Here is what we did instead.\n\n"
        "## Links\n\n### [Tide gauges explained](https://tides.example.org/gauges)\n\nHow they work.\n\n"
        "### [Crane spotting](https://cranes.example.org/)\n\nA hobby.\n"
    )
    intro = _intro(issue)
    assert intro.title == "A week of fog and ferries"
    assert intro.body == (
        "### A week of fog and ferries\n\n"
        "Fog closed the harbour twice this week. Here is what we did instead."
    )


def test_an_intro_under_a_byline_is_titled_by_its_prose() -> None:
    issue = split_markdown(
        "# Weeknotes 88\n\nJune 21, 2026 · 4 min read\n\n"
        "This week I finished the map project. More below.\n\n" + LINKS_EN
    )
    assert _intro(issue).title == "This week I finished the map project."


def test_items_with_titles_of_their_own_keep_them_whole() -> None:
    long_heading = (
        "Why the harbour master still keeps a paper log, and what the city learned "
        "when the servers went down for a week"
    )
    issue = split_markdown(
        "# Harbour Notes 36\n\nHello! Short one this week.\n\n"
        f"## Stories\n\n### [{long_heading}](https://news.example.org/log)\n\n"
        "A long read. It has two sentences.\n\n"
        "### [第二篇：港口的夜班。还有一句。](https://news.example.cn/night)\n\n夜班的故事。\n\n"
        "## Tools\n\n"
        "**[Tide tables for the terminal. Fast and small.](https://tools.example.org/tides)** — "
        "prints the week's tides.\n\n"
        "**[Crane log](https://tools.example.org/cranes)** — keeps a log of cranes.\n\n"
        "## Quick links\n\n"
        "* [A very long list entry title that goes on and on about ferries and fog and "
        "lighthouses](https://links.example.org/a) - a summary.\n"
        "* [Short entry](https://links.example.org/b) - another.\n"
    )
    titles = [(section.title, [item.title for item in section.items]) for section in issue.sections]
    assert titles == [
        ("", ["Hello! Short one this week."]),
        ("Stories", [long_heading, "第二篇：港口的夜班。还有一句。"]),
        ("Tools", ["Tide tables for the terminal. Fast and small.", "Crane log"]),
        (
            "Quick links",
            [
                "A very long list entry title that goes on and on about ferries and fog and "
                "lighthouses",
                "Short entry",
            ],
        ),
    ]


def test_a_list_entry_whose_link_opens_a_sentence_keeps_the_sentence_as_its_body() -> None:
    issue = split_html(
        "<h2>How we choose</h2><ul>"
        '<li><a href="https://commons.example.org/criteria">Our membership criteria</a>, '
        "rewritten this year in plain language.</li>"
        '<li><a href="https://commons.example.org/minutes">Board minutes for October</a>, '
        "including the two projects we asked to reapply.</li>"
        '<li><a href="https://commons.example.org/faq">The FAQ</a> - answers to common questions.</li>'
        "</ul>"
    )
    items = issue.sections[0].items
    assert [(item.title, item.url, item.body) for item in items] == [
        (
            "Our membership criteria",
            "https://commons.example.org/criteria",
            "[Our membership criteria](https://commons.example.org/criteria), "
            "rewritten this year in plain language.",
        ),
        (
            "Board minutes for October",
            "https://commons.example.org/minutes",
            "[Board minutes for October](https://commons.example.org/minutes), "
            "including the two projects we asked to reapply.",
        ),
        ("The FAQ", "https://commons.example.org/faq", "answers to common questions."),
    ]


def test_a_chinese_or_bold_entry_link_before_a_comma_keeps_the_sentence_too() -> None:
    issue = split_markdown(
        "## 工具\n\n"
        "- [zh-lint](https://code.example.cn/zh-lint)，一个检查中文排版的命令行工具。\n"
        "- **[tally](https://code.example.org/tally)**, a *fast* line counter.\n"
        "- [grid](https://code.example.org/grid)：给终端画表格。\n"
    )
    items = issue.sections[0].items
    assert [(item.title, item.body) for item in items] == [
        ("zh-lint", "[zh-lint](https://code.example.cn/zh-lint)，一个检查中文排版的命令行工具。"),
        ("tally", "**[tally](https://code.example.org/tally)**, a *fast* line counter."),
        ("grid", "给终端画表格。"),
    ]
