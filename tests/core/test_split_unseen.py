"""The splitter on newsletters written for these tests in shapes it was not tuned on.

Each file under tests/data/unseen/ is split as the importer would; the sections,
item titles and urls are what a careful reader of the issue would list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.convert import split_html
from reader.core.model import ParsedIssue
from reader.core.split import split_markdown
from reader.core.textio import decode_text

DATA = Path(__file__).resolve().parents[1] / "data" / "unseen"

Outline = list[tuple[str, list[tuple[str, str | None]]]]

# File name -> (issue title, [(section title, [(item title, item url)])]).
EXPECTED: dict[str, tuple[str, Outline]] = {
    "01-backend-brief.md": (
        "The Backend Brief — Issue 87",
        [
            (
                "",
                [
                    ("Hi friends — short issue this week because half of us were snowed in.", None),
                ],
            ),
            (
                "Databases",
                [
                    (
                        "Postgres 19 beta adds incremental materialized views",
                        "https://pgnews.example.org/19-beta-imv",
                    ),
                    (
                        "SQLite gets a new JSONB path operator",
                        "https://sqlite-notes.example.com/jsonb-path",
                    ),
                    (
                        "Why we moved off our sharding proxy",
                        "https://eng.shopwise.example/blog/leaving-the-proxy",
                    ),
                ],
            ),
            (
                "Queues and Streams",
                [
                    (
                        "Backpressure, explained with buckets",
                        "https://queues.example.net/backpressure-buckets",
                    ),
                    (
                        "Exactly-once is a marketing term",
                        "https://blog.kvstream.example/exactly-once",
                    ),
                ],
            ),
            (
                "Sponsor",
                [
                    ("Sponsor", "https://tracewell.example/?utm_source=backendbrief"),
                ],
            ),
            (
                "Quick Links",
                [
                    (
                        "A tiny Redis clone in 500 lines of Go",
                        "https://github.example.com/mkato/minikv",
                    ),
                    ("Connection pooling myths", "https://dbblog.example.org/pooling-myths"),
                    (
                        "The CAP theorem, twenty-five years on",
                        "https://papers.example.edu/cap-25.pdf",
                    ),
                ],
            ),
        ],
    ),
    "02-field-notes.md": (
        "Field Notes: Weekly Science Digest",
        [
            (
                "Earth and Climate",
                [
                    (
                        "Glacier retreat in the Andes has doubled since 2010",
                        "https://earthjournal.example.org/andes-glaciers-2026",
                    ),
                    (
                        "A new map of methane leaks from orbit",
                        "https://orbitwatch.example.com/methane-map",
                    ),
                ],
            ),
            (
                "Space",
                [
                    (
                        "The quiet moon of a gas giant may have a subsurface ocean",
                        "https://astro-daily.example.net/quiet-moon-ocean",
                    ),
                    (
                        "Private lander completes a full lunar night",
                        "https://spaceflight-notes.example.com/lander-lunar-night",
                    ),
                ],
            ),
            (
                "Odds and Ends",
                [
                    ("Octopuses dream, maybe", "https://biology-now.example.org/octopus-sleep"),
                ],
            ),
        ],
    ),
    "03-frontend-roundup.md": (
        "Frontend Roundup #204",
        [
            (
                "",
                [
                    ("Welcome back! Here is what caught our eye in the browser world.", None),
                ],
            ),
            (
                "Tools › Official",
                [
                    (
                        "Chromium DevTools now profiles layout shifts per element",
                        "https://devtools.example.dev/blog/layout-shift-profiler",
                    ),
                    (
                        "Firefox Profiler adds a network waterfall",
                        "https://profiler.example.org/changelog/network-waterfall",
                    ),
                ],
            ),
            (
                "Tools › Community",
                [
                    ("csslint-ng", "https://github.example.com/halvorsen/csslint-ng"),
                    ("tinybundle", "https://github.example.com/okafor/tinybundle"),
                    ("palette-picker", "https://github.example.com/lu-wen/palette-picker"),
                ],
            ),
            (
                "Articles",
                [
                    (
                        "Container queries in production, a year later",
                        "https://frontend-diary.example.com/container-queries-year",
                    ),
                    ("Stop animating height", "https://motion.example.net/stop-animating-height"),
                ],
            ),
            (
                "Events › Europe",
                [
                    ("CSS Day Lisbon, June 11–12", "https://cssday-lisbon.example.pt/"),
                    ("Frontend North, Leeds, July 2", "https://frontendnorth.example.co.uk/2026"),
                ],
            ),
            (
                "Events › Online",
                [
                    ("State of Forms livestream", "https://forms-live.example.com/"),
                ],
            ),
        ],
    ),
    "04-python-links.md": (
        "Python Links Weekly 312",
        [
            (
                "",
                [
                    (
                        "Good morning. This week: a packaging shake-up, two new type checkers and a…",
                        None,
                    ),
                ],
            ),
            (
                "News",
                [
                    (
                        "PEP 799 accepted: lazy imports by default",
                        "https://peps.example.org/pep-0799/",
                    ),
                    (
                        "pip 26.1 drops support for legacy setup.py installs",
                        "https://pip-news.example.org/26.1",
                    ),
                    ("Python 3.15 alpha 4", "https://python-releases.example.org/3.15.0a4"),
                ],
            ),
            (
                "Articles",
                [
                    (
                        "Writing a type checker in a weekend",
                        "https://blog.typefun.example.com/weekend-checker",
                    ),
                    ("Profiling asyncio without tears", "https://asyncdeep.example.net/profiling"),
                    (
                        "Dataclasses vs attrs in 2026",
                        "https://pyblog.example.io/dataclasses-vs-attrs",
                    ),
                ],
            ),
            (
                "Projects",
                [
                    ("quickcsv", "https://github.example.com/mhernandez/quickcsv"),
                    ("tapestry", "https://github.example.com/anjali-r/tapestry"),
                    ("sluggo", "https://github.example.com/beck/sluggo"),
                ],
            ),
        ],
    ),
    "05-zh-tech-weekly.md": (
        "科技周刊第 58 期",
        [
            (
                "",
                [
                    (
                        "这一周，大模型的价格战还在继续，开源社区也很热闹。",
                        None,
                    ),
                ],
            ),
            (
                "一、行业动态",
                [
                    (
                        "国产芯片厂商发布新一代推理加速卡",
                        "https://news.example.cn/2026/02/chip-accelerator",
                    ),
                    (
                        "某电商平台开放购物助手接口",
                        "https://open.shopdemo.example.cn/assistant-api",
                    ),
                    (
                        "自动驾驶出租车在三座新城市开始试运营",
                        "https://auto.example.cn/robotaxi-three-cities",
                    ),
                ],
            ),
            (
                "二、开源项目",
                [
                    (
                        "LightDoc：轻量级文档站点生成器",
                        "https://github.example.com/lightdoc/lightdoc",
                    ),
                    (
                        "pinyin-fuzzy：拼音模糊匹配库",
                        "https://github.example.com/zhao-lei/pinyin-fuzzy",
                    ),
                ],
            ),
            (
                "三、文章推荐",
                [
                    (
                        "我们如何把构建时间从 40 分钟降到 6 分钟",
                        "https://blog.devteam.example.cn/faster-builds",
                    ),
                    (
                        "写给后端工程师的前端性能指南",
                        "https://fe-guide.example.cn/perf-for-backend",
                    ),
                ],
            ),
        ],
    ),
    "06-indie-makers.md": (
        "Indie Makers Digest — Week 9",
        [
            (
                "",
                [
                    (
                        "A quiet week for launches, a loud one for pricing debates.",
                        None,
                    ),
                    (
                        "How I priced my first SaaS (and why I doubled it)",
                        "https://makerjournal.example.com/doubled-my-price",
                    ),
                    (
                        "The case against a free tier",
                        "https://bootstrapped.example.org/against-free-tiers",
                    ),
                    (
                        "A directory of no-code tools for accountants",
                        "https://nichesites.example.net/nocode-accounting",
                    ),
                    (
                        "Sponsored: Launchpad Analytics",
                        "https://launchpad-analytics.example.com/?ref=imd",
                    ),
                ],
            ),
        ],
    ),
    "07-zh-reading.md": (
        "深度阅读精选 · 第 21 期",
        [
            (
                "",
                [
                    (
                        "编者按：这一期我们挑选了四篇关于城市、技术与日常生活的长文，适合周末慢慢读。",
                        None,
                    ),
                    ("城市里的夜班公交，正在悄悄改变", "https://citylife.example.cn/night-bus"),
                    (
                        "为什么 Rust 在嵌入式领域越来越受欢迎",
                        "https://embedded-notes.example.cn/rust-embedded",
                    ),
                    ("一个图书馆员眼中的数字化", "https://library-voices.example.org/digitization"),
                    ("菜市场里的移动支付简史", "https://dailyecon.example.cn/market-payments"),
                ],
            ),
        ],
    ),
    # The sponsor's table cell follows the last featured story with nothing
    # between them once the layout tables are gone: it stays in that story's
    # body (see test_layout_cell_after_a_story_stays_in_its_body).
    "08-cloud-digest-email.html": (
        "Cloud Ops Digest #41",
        [
            (
                "",
                [
                    (
                        "Hello operators! This week's theme is cost: three stories on trimming cloud…",
                        None,
                    ),
                ],
            ),
            (
                "Featured",
                [
                    (
                        "How we halved our storage bill in a quarter",
                        "https://finops-stories.example.com/halved-bill",
                    ),
                    (
                        "When cost cutting caused an outage",
                        "https://sre-weekly-notes.example.org/overcut",
                    ),
                ],
            ),
            (
                "In Brief",
                [
                    (
                        "Requests vs limits, one more time",
                        "https://k8s-notes.example.io/requests-limits",
                    ),
                    (
                        "Refactoring with moved blocks",
                        "https://terraform-tips.example.net/moved-blocks",
                    ),
                    (
                        "A cloud provider's new billing API",
                        "https://billing-api.example.com/changelog/2026-02",
                    ),
                    (
                        "Carbon dashboards that people actually look at",
                        "https://greenops.example.org/carbon-dashboards",
                    ),
                ],
            ),
        ],
    ),
    "09-atom-entry.html": (
        "09-atom-entry",
        [
            (
                "",
                [
                    ("Welcome to issue 19 of Open Hardware Monthly.", None),
                ],
            ),
            (
                "New boards",
                [
                    ("Pico Plus ships with 16 MB flash", "https://boards.example.com/pico-plus"),
                    (
                        "A quad-core RISC-V single-board computer for under $40",
                        "https://riscv-hub.example.net/sbc-quad",
                    ),
                ],
            ),
            (
                "Reader projects",
                [
                    (
                        "Solar weather station",
                        "https://hackaday-like.example.com/projects/solar-weather",
                    ),
                    (
                        "A split keyboard with a trackball",
                        "https://keebs.example.org/builds/trackball-split",
                    ),
                ],
            ),
            (
                "Reading",
                [
                    (
                        "Where to put decoupling capacitors, really",
                        "https://eeblog.example.com/decoupling-caps",
                    ),
                    (
                        "Controlled impedance for hobbyists",
                        "https://pcbnotes.example.io/impedance-101",
                    ),
                ],
            ),
        ],
    ),
    "10-gbk-weekly.txt": (
        "开发者周报 2026-03",
        [
            (
                "",
                [
                    ("本周关注：编译器、数据库和一些好用的小工具。", None),
                ],
            ),
            (
                "新闻",
                [
                    ("某编译器项目发布 2.0 版本", "https://compiler.example.cn/release-2-0"),
                    ("国内云厂商上线托管向量数据库", "https://cloud.example.cn/vector-db"),
                    ("一款开源输入法宣布停止维护", "https://ime.example.cn/farewell"),
                ],
            ),
            (
                "工具",
                [
                    ("tabtidy", "https://github.example.com/wu/tabtidy"),
                    ("logpeek", "https://github.example.com/sun/logpeek"),
                ],
            ),
            (
                "招聘",
                [
                    ("招聘", "https://jobs.example.cn/backend-2026"),
                ],
            ),
        ],
    ),
    "11-product-letter.md": (
        "Notes from the Product Desk",
        [
            (
                "",
                [
                    ("Every few months someone asks me whether roadmaps are dead.", None),
                ],
            ),
            (
                "On Roadmaps",
                [
                    (
                        "Now, next, later: a format that survives contact with reality",
                        "https://pm-essays.example.com/now-next-later",
                    ),
                    (
                        "The roadmap is not the strategy",
                        "https://strategy-letters.example.org/roadmap-not-strategy",
                    ),
                    (
                        "Outcome roadmaps at a 40-person startup",
                        "https://startup-ops.example.io/outcome-roadmaps",
                    ),
                ],
            ),
            (
                "Presented by Lumen Surveys",
                [
                    ("Presented by Lumen Surveys", "https://lumensurveys.example.com/productdesk"),
                ],
            ),
            (
                "Elsewhere",
                [
                    (
                        "Why meetings expand to fill the calendar",
                        "https://workculture.example.net/meeting-creep",
                    ),
                    (
                        "A field guide to stakeholder maps",
                        "https://pm-toolkit.example.com/stakeholder-maps",
                    ),
                ],
            ),
        ],
    ),
    "12-infra-changelog.md": (
        "Infra Changelog",
        [
            (
                "",
                [
                    (
                        "Monthly notes on the platform team's work, written for the rest of engineering.",
                        None,
                    ),
                ],
            ),
            (
                "Networking",
                [
                    (
                        "Migrated the edge proxy to the new config format",
                        "https://wiki.infra.example.com/edge/config-v2",
                    ),
                    (
                        "IPv6 is on by default for new services",
                        "https://wiki.infra.example.com/network/ipv6-default",
                    ),
                ],
            ),
            (
                "Observability",
                [
                    (
                        "Log retention reduced to 14 days",
                        "https://wiki.infra.example.com/obs/retention-14d",
                    ),
                    (
                        "New dashboards for queue latency",
                        "https://grafana.infra.example.com/d/queues",
                    ),
                ],
            ),
        ],
    ),
    "13-ai-papers-mixed.md": (
        "AI 论文速递 Vol.33",
        [
            (
                "",
                [
                    ("本周 AI 论文速递，共 6 篇，分为两组。", None),
                ],
            ),
            (
                "大模型 LLMs",
                [
                    (
                        "Sparse Mixture of Retrievers for Long-Context QA",
                        "https://arxiv.example.org/abs/2603.01234",
                    ),
                    (
                        "Curriculum Distillation Without a Teacher",
                        "https://arxiv.example.org/abs/2603.02345",
                    ),
                    (
                        "Tokenizer-Free Chinese Language Modeling",
                        "https://arxiv.example.org/abs/2603.03456",
                    ),
                ],
            ),
            (
                "多模态 Multimodal",
                [
                    (
                        "Video Question Answering with Event Graphs",
                        "https://arxiv.example.org/abs/2603.04567",
                    ),
                    (
                        "Cheap Image Captions from Alt Text",
                        "https://arxiv.example.org/abs/2603.05678",
                    ),
                    (
                        "Speech-to-Speech Translation for Dialects",
                        "https://arxiv.example.org/abs/2603.06789",
                    ),
                ],
            ),
        ],
    ),
    "14-plaintext-letter.txt": (
        "THE MONDAY MEMO",
        [
            (
                "",
                [
                    ("Issue 150 - a milestone!", None),
                ],
            ),
            (
                "Top Stories",
                [
                    (
                        "Browser vendors agree on a shared extension format",
                        "https://webstandards.example.org/extension-format",
                    ),
                    (
                        "Open-source maintainer funding hits a record",
                        "https://oss-funding.example.com/report-2026",
                    ),
                    (
                        "A new compression format claims 20% gains",
                        "https://compress.example.net/zx-format",
                    ),
                ],
            ),
            (
                "Worth Your Time",
                [
                    (
                        "The lost art of the README",
                        "https://writing-for-devs.example.com/readme-art",
                    ),
                    (
                        "How a small team runs on-call",
                        "https://oncall-stories.example.org/small-team",
                    ),
                ],
            ),
        ],
    ),
    "15-zh-crlf-labels.md": (
        "产品观察 第 12 期",
        [
            (
                "一、本周热点",
                [
                    ("AI 写作助手进入办公套件", "https://office-news.example.cn/ai-writing"),
                    ("短视频平台测试长视频分区", "https://video-watch.example.cn/long-form"),
                ],
            ),
            (
                "二、产品拆解",
                [
                    ("一款记账应用的增长复盘", "https://growth-notes.example.cn/ledger-app"),
                    (
                        "Notion-like 编辑器的块模型设计",
                        "https://editor-design.example.com/block-model",
                    ),
                ],
            ),
        ],
    ),
    "16-zh-plain-numbered.md": (
        "效率工具周报 · 第 7 期",
        [
            (
                "一、新品速递",
                [
                    ("一款支持离线使用的笔记应用", "https://notes-offline.example.cn/"),
                    ("截图后自动识别表格的小工具", "https://table-shot.example.cn/"),
                ],
            ),
            (
                "二、使用技巧",
                [
                    ("用快捷指令批量重命名照片", "https://tips.example.cn/rename-photos"),
                    ("浏览器里的三个隐藏设置", "https://tips.example.cn/browser-flags"),
                ],
            ),
            (
                "三、本期讨论",
                [
                    ("三、本期讨论", None),
                ],
            ),
        ],
    ),
    "17-design-weekly.md": (
        "Design Systems Weekly, No. 58",
        [
            (
                "",
                [
                    ("Hello! A lot of tokens talk this week.", None),
                    (
                        "Design tokens are finally a standard",
                        "https://tokens-news.example.org/w3c-final",
                    ),
                    (
                        "Naming colours is harder than naming variables",
                        "https://colour-blog.example.com/naming",
                    ),
                    ("An audit of 50 public design systems", "https://ds-audit.example.net/2026"),
                    ("Figmint", "https://figmint.example.com/?ref=dsw"),
                ],
            ),
        ],
    ),
    "18-mobile-dev-notes.md": (
        "Mobile Dev Notes 19",
        [
            (
                "Releases",
                [
                    ("Kotlin 2.4 is out", "https://kotlin-news.example.org/2-4"),
                    (
                        "Swift 6.3 adds typed throws everywhere",
                        "https://swift-blog.example.com/6-3",
                    ),
                    ("Flutter 4 preview", "https://flutter-news.example.dev/4-preview"),
                ],
            ),
            (
                "Articles",
                [
                    ("Shrinking an Android app by 40%", "https://droid-diet.example.com/shrink-40"),
                    ("Offline-first sync on iOS", "https://ios-sync.example.net/offline-first"),
                ],
            ),
            (
                "Jobs",
                [
                    (
                        "Senior iOS engineer at Pebble Labs (remote, EU)",
                        "https://jobs.pebblelabs.example.com/ios",
                    ),
                    (
                        "Android lead at Fernway (Berlin)",
                        "https://fernway.example.de/careers/android-lead",
                    ),
                ],
            ),
        ],
    ),
    "19-ledger-feed-entry.html": (
        "19-ledger-feed-entry",
        [
            (
                "",
                [
                    (
                        "Hi all, welcome to The Ledger, a weekly letter about money and software.",
                        None,
                    ),
                ],
            ),
            (
                "What I'm reading",
                [
                    (
                        "Open banking in the EU, five years in",
                        "https://fintech-weekly.example.com/open-banking-eu",
                    ),
                    (
                        "Instant payments and fraud",
                        "https://payments-blog.example.org/instant-payments",
                    ),
                    (
                        "Double-entry bookkeeping for programmers",
                        "https://ledger-notes.example.net/double-entry",
                    ),
                ],
            ),
            (
                "One more thing",
                [
                    ("One more thing", None),
                ],
            ),
        ],
    ),
}


def _split_file(path: Path) -> ParsedIssue:
    """Split a file the way the importer does: bytes decoded, stem as fallback title."""
    text = decode_text(path.read_bytes())
    if path.suffix == ".html":
        return split_html(text, fallback_title=path.stem, file=path.name)
    return split_markdown(text, fallback_title=path.stem, file=path.name)


def _outline(issue: ParsedIssue) -> Outline:
    return [
        (section.title, [(item.title, item.url) for item in section.items])
        for section in issue.sections
    ]


def _items(name: str) -> dict[str, str]:
    """Item bodies of one file, by item title."""
    issue = _split_file(DATA / name)
    return {item.title: item.body for section in issue.sections for item in section.items}


def test_every_file_has_an_expectation() -> None:
    assert sorted(path.name for path in DATA.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sections_and_items(name: str) -> None:
    title, outline = EXPECTED[name]
    issue = _split_file(DATA / name)
    assert issue.title == title
    assert _outline(issue) == outline


def test_nested_sub_bullets_belong_to_their_entry() -> None:
    bodies = _items("04-python-links.md")
    assert bodies["PEP 799 accepted: lazy imports by default"] == (
        "The steering council approved the proposal after a long discussion.\n"
        "  * Discussion thread: [discuss.example.org](https://discuss.example.org/t/pep-799/4411)\n"
        "  * Migration notes for library authors are still being drafted."
    )
    assert bodies["Profiling asyncio without tears"].endswith("- Bonus: a flame graph cheat sheet.")


def test_source_line_repeating_the_title_link_leaves_the_body() -> None:
    bodies = _items("07-zh-reading.md")
    assert bodies["城市里的夜班公交，正在悄悄改变"] == (
        "作者跟车一周，记录了夜班公交司机和乘客的故事，也讨论了线路调整背后的数据分析。"
    )
    assert not any("原文链接" in body for body in bodies.values())
    bodies = _items("17-design-weekly.md")
    assert bodies["An audit of 50 public design systems"] == (
        "Most have buttons; few have documented focus states."
    )


def test_section_labels_stay_out_of_item_bodies() -> None:
    bodies = _items("15-zh-crlf-labels.md")
    assert (
        bodies["短视频平台测试长视频分区"] == "平台希望留住中长视频创作者，目前仅对部分用户开放。"
    )
    bodies = _items("16-zh-plain-numbered.md")
    assert bodies["截图后自动识别表格的小工具"] == (
        "截图即可得到可编辑的表格，识别准确率在测试中超过九成。"
    )
    assert not any("二、使用技巧" in body for body in bodies.values())


def test_kicker_and_bold_entry_titles_leave_the_summary() -> None:
    assert _items("17-design-weekly.md")["Figmint"] == (
        "hand-off without the hand-wringing. Free for open-source teams."
    )
    bodies = _items("18-mobile-dev-notes.md")
    assert bodies["Kotlin 2.4 is out"] == (
        "faster builds and a new K2 IDE mode. "
        "([release notes](https://kotlin-news.example.org/2-4))"
    )


def test_article_with_a_part_is_one_item() -> None:
    body = _items("18-mobile-dev-notes.md")["Offline-first sync on iOS"]
    assert "#### Related: conflict-free lists" in body
    assert body.endswith("A deeper dive into list CRDTs.\n\nhttps://crdt-notes.example.org/lists")


def test_layout_cell_after_a_story_stays_in_its_body() -> None:
    # Ambiguous once converted: nothing marks where the story's cell ended.
    body = _items("08-cloud-digest-email.html")["When cost cutting caused an outage"]
    assert "SpotBroker" in body


@pytest.mark.parametrize(
    ("name", "date"),
    [
        ("04-python-links.md", "2026-01-14T07:00:00+00:00"),
        ("05-zh-tech-weekly.md", "2026-02-09T00:00:00"),
        ("12-infra-changelog.md", "2026-04-07T09:30:00+02:00"),
        ("13-ai-papers-mixed.md", "2026-03-16T00:00:00"),
        ("16-zh-plain-numbered.md", "2026-03-02T08:00:00"),
    ],
)
def test_front_matter_dates(name: str, date: str) -> None:
    issue = _split_file(DATA / name)
    assert issue.date is not None and issue.date.isoformat() == date


def test_an_impossible_date_is_a_warning() -> None:
    issue = _split_file(DATA / "11-product-letter.md")
    assert issue.date is None
    assert any("2026-13-01" in warning for warning in issue.warnings)
