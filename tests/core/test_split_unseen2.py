"""The splitter on a second round of newsletters written for these tests, in new shapes.

E-mails as Substack-, Buttondown- and Mailchimp-style templates send them, a
table of contents of anchors, `1/` threads, emoji bullets, a changelog,
WeChat-style `【标题】` digests, trailing `原文：url` lines, `***`/`___` rules
with bold labels, an Atom entry of `<dl>` terms and a JSON Feed item. Each
file under tests/data/unseen2/ is read as the importer (or a feed refresh)
reads it; the sections, item titles and urls are what a careful reader would list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.convert import html_to_markdown
from reader.core.feeds import entry_to_issue, parse_feed
from reader.core.importer import load_file
from reader.core.model import ParsedIssue
from reader.core.split import split_markdown

DATA = Path(__file__).resolve().parents[1] / "data" / "unseen2"

Outline = list[tuple[str, list[tuple[str, str | None]]]]

# File name -> (issue title, [(section title, [(item title, item url)])]).
EXPECTED: dict[str, tuple[str, Outline]] = {
    "01-substack-style.eml": (
        "Quiet Compiler #33: parsers, profilers and a postmortem",
        [
            ("", [("Three reads for people who build languages", None)]),
            (
                "Parsers",
                [
                    (
                        "Lark grows an incremental mode",
                        "https://parsing.example.org/lark-incremental",
                    )
                ],
            ),
            ("Tools", [("asyncprof: stacks that cross await", "https://asyncprof.example.dev/")]),
            (
                "Postmortems",
                [
                    (
                        "The leap-second-that-wasn't outage",
                        "https://status.example-cloud.com/incidents/2026-04-21",
                    )
                ],
            ),
        ],
    ),
    "02-buttondown-style.html": (
        "Small Web Notes — No. 19",
        [
            ("", [("Hello again, fellow homesteaders of the web.", None)]),
            (
                "Sites I found",
                [
                    ("moss.example.net", "https://moss.example.net/"),
                    ("Trains of the Midlands", "https://trainsof.example.org/"),
                    (
                        "A guestbook that works without JavaScript",
                        "https://kettle.example.com/guestbook",
                    ),
                ],
            ),
            (
                "Tools",
                [
                    ("Ringmaker", "https://ringmaker.example.dev/"),
                    ("tinyfeed", "https://tinyfeed.example.io/"),
                ],
            ),
        ],
    ),
    "03-mailchimp-style.eml": (
        "Harbor City Food Bulletin — May",
        [
            ("", [("Spring is finally here and so are the strawberries.", None)]),
            (
                "Market news",
                [
                    (
                        "The Saturday market moves to summer hours",
                        "https://harborcityfood.example.org/market-hours-2026",
                    ),
                    (
                        "Six new vendors join the market",
                        "https://harborcityfood.example.org/new-vendors-may",
                    ),
                ],
            ),
            (
                "Events",
                [
                    ("Dumpling crawl, May 16", "https://harborcityfood.example.org/dumpling-crawl"),
                    ("The pie contest returns", "https://harborcityfood.example.org/pie-contest"),
                ],
            ),
            (
                "Openings",
                [
                    (
                        "A hand-pulled noodle bar on Pier Street",
                        "https://harborcityfood.example.org/openings/noodle-bar",
                    )
                ],
            ),
        ],
    ),
    "04-toc-digest.md": (
        "The Platform Letter #212",
        [
            (
                "",
                [
                    (
                        "Welcome back. Two weeks of storage news piled up while I was on leave, "
                        "so this…",
                        None,
                    )
                ],
            ),
            (
                "Storage",
                [
                    (
                        "Object stores learn to append",
                        "https://blobnotes.example.com/append-objects",
                    ),
                    (
                        "A field guide to erasure coding",
                        "https://storagecraft.example.org/erasure-guide",
                    ),
                ],
            ),
            (
                "Runtimes",
                [
                    ("WASI preview 3 lands async", "https://wasm-weekly.example.net/wasi-p3"),
                    (
                        "The JVM's new pauseless collector, measured",
                        "https://jvmperf.example.com/pauseless-measured",
                    ),
                ],
            ),
            (
                "Jobs",
                [
                    (
                        "Staff engineer, storage team at Ferrous Labs",
                        "https://ferrouslabs.example.com/careers/staff-storage",
                    )
                ],
            ),
        ],
    ),
    "05-hn-digest.md": (
        "Orange Digest — Top stories for Tuesday",
        [
            (
                "",
                [
                    ("Show HN: A spreadsheet that compiles to SQL", "https://gridql.example.dev/"),
                    (
                        "The unreasonable effectiveness of print debugging",
                        "https://blog.tracy.example.org/print-debugging",
                    ),
                    (
                        "Why your CI is slow: a profile of 10,000 pipelines",
                        "https://pipelines.example.io/slow-ci-study",
                    ),
                    (
                        "Ask HN: What tools do you use for personal finance?",
                        "https://news.example.com/item?id=4100004",
                    ),
                    ("A history of the humble hyphen", "https://typehistory.example.com/hyphen"),
                ],
            )
        ],
    ),
    "06-numbered-slash.md": (
        "Thread of the Week: seven things I learned shipping a mobile app alone",
        [
            (
                "",
                [
                    (
                        "A lot of you asked for the long version of my thread, so here it "
                        "is, lightly…",
                        None,
                    ),
                    ("Ship the boring version first", "https://solo-dev.example.com/launch-week"),
                    (
                        "Crash reporting before analytics",
                        "https://solo-dev.example.com/crash-reporting",
                    ),
                    ("App review is a conversation", "https://solo-dev.example.com/app-review"),
                    ("Price higher than feels comfortable", "https://solo-dev.example.com/pricing"),
                    (
                        "Write the changelog for humans",
                        "https://solo-dev.example.com/changelog-template",
                    ),
                ],
            )
        ],
    ),
    "07-emoji-bullets.md": (
        "Maker Mail — week 18",
        [
            ("", [("Hey makers! Short and link-heavy this week.", None)]),
            (
                "📌 Worth your time",
                [
                    ("Designing a keyboard from scratch", "https://keebs.example.com/from-scratch"),
                    (
                        "Laser-cut boxes that actually close",
                        "https://cutfile.example.org/closing-boxes",
                    ),
                    (
                        "The soldering iron buyer's guide",
                        "https://tools.example.net/soldering-2026",
                    ),
                ],
            ),
            (
                "▶ Watch",
                [
                    ("Restoring a 1970s oscilloscope", "https://video.example.com/watch?v=scope70"),
                    ("How flex PCBs are made", "https://video.example.com/watch?v=flexpcb"),
                ],
            ),
            ("📣 From the community", [("📣 From the community", None)]),
        ],
    ),
    "08-changelog-digest.md": (
        "Tidewater release notes — April",
        [
            ("", [("What changed in Tidewater this month.", None)]),
            (
                "v1.4.0",
                [
                    (
                        "Add a --dry-run flag to tide sync",
                        "https://git.example.com/tidewater/tidewater/pull/812",
                    ),
                    (
                        "Read credentials from the system keyring when available",
                        "https://git.example.com/tidewater/tidewater/pull/805",
                    ),
                    (
                        "Fix a crash when a remote returns an empty manifest",
                        "https://git.example.com/tidewater/tidewater/pull/819",
                    ),
                ],
            ),
            (
                "v1.3.2",
                [
                    (
                        "Retry uploads on connection resets",
                        "https://git.example.com/tidewater/tidewater/pull/798",
                    ),
                    (
                        "Document the TIDE_HOME environment variable",
                        "https://git.example.com/tidewater/tidewater/pull/801",
                    ),
                ],
            ),
            (
                "v1.3.1",
                [
                    (
                        "Fix progress bars overlapping log lines on narrow terminals",
                        "https://git.example.com/tidewater/tidewater/pull/790",
                    )
                ],
            ),
        ],
    ),
    "09-zh-wechat.md": (
        "科技早知道 | 第 58 期",
        [
            (
                "",
                [
                    ("小编按：五一假期刚过，大家的精神状态还好吗？", None),
                    ("国产 RISC-V 笔记本开始量产", "https://chipwatch.example.cn/riscv-laptop"),
                    ("城市咖啡馆的数字化生存", "https://xiaodian.example.cn/coffee-digital"),
                    ("为什么你的手机越用越慢", "https://shuma.example.cn/phone-slow"),
                    ("开源社区的“隐形劳动”", "https://kaiyuanzhi.example.org/invisible-work"),
                ],
            )
        ],
    ),
    "10-zh-trailing-url.md": (
        "前端周刊 第 120 期",
        [
            (
                "文章",
                [
                    (
                        "浏览器原生的视图过渡终于可以跨页面了",
                        "https://fe-notes.example.cn/cross-document-transitions",
                    ),
                    ("用 CSS 锚点定位重写提示框", "https://css-lab.example.com/anchor-tooltips"),
                ],
            ),
            (
                "工具",
                [
                    (
                        "一个只有 3KB 的状态管理库",
                        "https://github.example.com/tiny-state/tiny-state",
                    ),
                    ("图片压缩命令行工具 squish", "https://squish.example.dev/"),
                ],
            ),
        ],
    ),
    "11-quick-links.md": (
        "Data Engineering Weekly #77",
        [
            ("", [("Hello! One deep dive and a pile of quick links this week.", None)]),
            (
                "Deep dive: the cost of late-arriving data",
                [
                    (
                        "Deep dive: the cost of late-arriving data",
                        "https://dataeng.example.com/late-arriving-data",
                    )
                ],
            ),
            (
                "Quick links",
                [
                    (
                        "Parquet page indexes, explained",
                        "https://columnar.example.org/page-indexes",
                    ),
                    (
                        "DuckDB in the browser for ad-hoc analysis",
                        "https://quackdata.example.com/browser-analysis",
                    ),
                    (
                        "A checklist for schema migrations in a lakehouse",
                        "https://lakehouse.example.net/migration-checklist",
                    ),
                    (
                        "Why we stopped using cron for pipelines",
                        "https://eng.freightly.example/no-more-cron",
                    ),
                    (
                        "Great Expectations vs. hand-written checks",
                        "https://dq.example.io/expectations-vs-hand",
                    ),
                    (
                        "The small-files problem, again",
                        "https://hdfs-stories.example.org/small-files",
                    ),
                    ("Streaming joins without tears", "https://streams.example.com/joins"),
                ],
            ),
        ],
    ),
    "12-rules-bold-labels.md": (
        "Sunday Reading",
        [
            ("", [("A weekly letter of things I read, watched and cooked.", None)]),
            (
                "Reading",
                [
                    (
                        "The cartographers of the deep sea",
                        "https://oceanlong.example.org/deep-cartographers",
                    ),
                    ("Why libraries still matter", "https://civic-essays.example.com/libraries"),
                ],
            ),
            (
                "Watching",
                [
                    (
                        "A documentary about competitive bread baking",
                        "https://docs.example.tv/bread-championship",
                    )
                ],
            ),
            (
                "Cooking",
                [
                    (
                        "A weeknight dal that takes twenty minutes",
                        "https://kitchen.example.com/weeknight-dal",
                    )
                ],
            ),
        ],
    ),
    "13-atom-dl-entry.xml": (
        "Glossary Weekly 44: words from distributed systems",
        [
            (
                "",
                [
                    (
                        "Each week, a handful of terms with the best explanation I could "
                        "find for each.",
                        None,
                    )
                ],
            ),
            (
                "This week's terms",
                [
                    ("Quorum", "https://dsbook.example.org/terms/quorum"),
                    ("Fencing token", "https://dsbook.example.org/terms/fencing-token"),
                    ("Hybrid logical clock", "https://hlc.example.net/explainer"),
                ],
            ),
            ("Reader mail", [("Reader mail", None)]),
        ],
    ),
    "14-json-feed.json": (
        "Open Maps Monthly — May 2026",
        [
            ("", [("Welcome to the May issue.", None)]),
            (
                "Routing",
                [
                    (
                        "Bike routing that finally respects hills",
                        "https://routing.example.com/bike-elevation",
                    ),
                    (
                        "GTFS-Flex support arrives in two planners",
                        "https://transit-data.example.net/gtfs-flex",
                    ),
                ],
            ),
            (
                "Map of the month",
                [
                    (
                        "Every river in Europe, coloured by drainage basin",
                        "https://cartofolio.example.org/rivers-of-europe",
                    )
                ],
            ),
            (
                "Events",
                [
                    ("Lisbon mapathon", "https://mapathon.example.org/lisbon"),
                    ("State of the Map 2026", "https://sotm.example.org/2026"),
                ],
            ),
        ],
    ),
    "15-zh-gb2312-email.eml": (
        "每周书单 第 31 期",
        [
            ("", [("编者按：这周天气转暖，适合在阳台上读书。", None)]),
            (
                "本周推荐",
                [
                    ("《盐的故事》", "https://shudan.example.cn/books/salt"),
                    ("《城市的记忆》", "https://shudan.example.cn/books/city-memory"),
                    ("《夜车》", "https://shudan.example.cn/books/night-train"),
                ],
            ),
            ("长文", [("我们还在读纸质书吗？", "https://changwen.example.cn/reading-habits")]),
        ],
    ),
    "16-zh-wechat-article.html": (
        "设计周末 | 第 22 期",
        [
            (
                "",
                [
                    ("小编按：本期聚焦字体与排版，四篇文章都值得收藏。", None),
                    ("一套免费商用的中文黑体发布", "https://zitiquan.example.cn/free-heiti"),
                    ("中文网页排版的十个细节", "https://paiban.example.com/ten-details"),
                    ("海报设计中的留白", "https://shijue.example.cn/whitespace"),
                ],
            )
        ],
    ),
}


def _issue(name: str) -> ParsedIssue:
    """One file read as the importer reads it; a feed file as a refresh reads its first entry."""
    path = DATA / name
    if path.suffix in (".xml", ".json"):
        feed = parse_feed(path.read_bytes(), url="https://feeds.example.org/feed")
        entry = feed.entries[0]
        return entry_to_issue(entry, base_url=entry.link)
    issue = load_file(path).issues[0]
    assert isinstance(issue, ParsedIssue)
    return issue


def _outline(issue: ParsedIssue) -> Outline:
    return [
        (section.title, [(item.title, item.url) for item in section.items])
        for section in issue.sections
    ]


def _bodies(name: str) -> dict[str, str]:
    """Item bodies of one file, by item title."""
    return {item.title: item.body for section in _issue(name).sections for item in section.items}


def test_every_file_has_an_expectation() -> None:
    assert sorted(path.name for path in DATA.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sections_and_items(name: str) -> None:
    title, outline = EXPECTED[name]
    issue = _issue(name)
    assert issue.title == title
    assert _outline(issue) == outline


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_footer_or_tracker_in_any_body(name: str) -> None:
    for body in _bodies(name).values():
        for junk in ("nsubscribe", "退订", "©", "open.php", "/open", "二维码", "END"):
            assert junk not in body


def test_icon_buttons_and_social_icons_leave_the_last_item() -> None:
    # `[![](heart.png)Like](...)` is a button like `[Like](...)`.
    body = _bodies("01-substack-style.eml")["The leap-second-that-wasn't outage"]
    assert "Like" not in body
    assert "Restack" not in body
    # A row of social icons above a long address footer goes with the footer.
    bodies = _bodies("03-mailchimp-style.eml")
    assert bodies["A hand-pulled noodle bar on Pier Street"] == (
        "Lunch only for now, with a short menu of four bowls."
    )


def test_an_end_mark_closes_the_post() -> None:
    bodies = _bodies("16-zh-wechat-article.html")
    assert (
        bodies["海报设计中的留白"] == "留白不是空着，而是给视线一个停下来的地方。\n\n来源：视觉笔记"
    )


def test_bracketed_titles_lead_their_summary_and_source() -> None:
    bodies = _bodies("09-zh-wechat.md")
    assert bodies["国产 RISC-V 笔记本开始量产"] == (
        "一家深圳厂商宣布其 RISC-V 笔记本进入量产阶段，首批面向开发者，售价三千元以内。"
        "\n\n来源：芯片观察"
    )


def test_a_thread_post_is_titled_by_its_bold_opening() -> None:
    bodies = _bodies("06-numbered-slash.md")
    assert bodies["Price higher than feels comfortable"] == (
        "Nobody complained when I doubled it. "
        "[The pricing experiment](https://solo-dev.example.com/pricing)"
    )


def test_a_table_of_contents_is_no_section() -> None:
    issue = _issue("04-toc-digest.md")
    intro = issue.sections[0].items[0]
    assert intro.body.startswith("Welcome back.")
    assert "#storage" not in intro.body


def test_a_contents_list_of_web_links_stays() -> None:
    issue = split_markdown(
        "# Digest\n\n## Picks\n\n"
        "- [Tide tables](https://tides.example.org/)\n"
        "- [Crane spotting](https://cranes.example.org/)\n"
    )
    assert _outline(issue) == [
        (
            "Picks",
            [
                ("Tide tables", "https://tides.example.org/"),
                ("Crane spotting", "https://cranes.example.org/"),
            ],
        )
    ]


def test_pixel_images_are_dropped_and_pictures_kept() -> None:
    markdown = html_to_markdown(
        '<p>Text <img src="https://t.example.com/o.gif" width="1" height="1" alt="">'
        '<img src="https://t.example.com/spacer.gif" width=0 height=0>'
        '<img src="https://img.example.com/chart.png" width="100" height="1x" alt="Chart"></p>'
    )
    assert markdown == "Text ![Chart](https://img.example.com/chart.png)\n"


def test_an_end_word_inside_prose_is_no_end_mark() -> None:
    issue = split_markdown(
        "# Letters\n\n"
        "**[First story](https://a.example.org/1)** — one.\n\n"
        "**[Second story](https://a.example.org/2)** — two.\n\n"
        "The end of the month is near, and so is the next issue.\n"
    )
    body = issue.sections[0].items[-1].body
    assert body.endswith("The end of the month is near, and so is the next issue.")
