"""A plain blog post is one item, headings and inline links included; a digest still splits.

A digest's items each point to a source (a link opening them, on a line of its own, or
closing them); an article's links sit inside its prose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reader.core.convert import split_html
from reader.core.feeds import FeedEntry, entry_to_issue, parse_feed
from reader.core.model import ParsedIssue
from reader.core.split import split_markdown

LARGE_ATOM = "corpus/feeds/miniflux__v2/internal/reader/parser/testdata/large_atom.xml"

ENGLISH_POST = """\
# Rewriting our build cache

Last winter we moved the build cache of our [monorepo](https://example.com/repo) to a
content-addressed store. The old cache worked, but it had grown slow and hard to reason about.

## Why the old cache was slow

Every lookup hashed the whole input tree, and the [profiler](https://example.com/profiler)
showed that most of the time went into reading files that had not changed at all.

We tried a few cheap fixes first, such as caching file metadata, but none of them
survived a branch switch.

## What we built instead

The new store keys every artifact by the hash of its inputs, as described in the
[Bazel docs](https://bazel.build/remote/caching) and in a talk by our colleague last year.
Lookups now read a small manifest instead of the tree.

- Manifests are written once and never changed.
- Old artifacts are collected by a [nightly job](https://example.com/gc) that reads the manifests.
- Clients keep a local copy of the manifests they used recently.

## What we learned

Measure before fixing. Our first guess about the slow part was wrong, and the
[flame graphs](https://example.com/flames) made that obvious within an hour.
"""

CHINESE_POST = """\
# 我们如何重写构建缓存

去年冬天，我们把[单体仓库](https://example.com/repo)的构建缓存迁到了按内容寻址的存储上。旧缓存能用，但越来越慢，也越来越难以理解。

## 旧缓存为什么慢

每次查找都要对整个输入目录求哈希，[性能分析器](https://example.com/profiler)显示大部分时间都花在读取根本没有变化的文件上。

我们先试了几个简单的办法，比如缓存文件元数据，但切换分支之后都失效了。

## 我们做了什么

新的存储按输入的哈希来索引每个产物，做法和[Bazel 文档](https://bazel.build/remote/caching)里描述的一样。现在查找只需要读一个小清单。

- 清单只写一次，之后不再修改。
- 旧产物由一个[夜间任务](https://example.com/gc)根据清单回收。

## 经验

先测量再修复。我们最初对慢在哪里的猜测是错的，[火焰图](https://example.com/flames)在一小时内就说明了这一点。
"""

ENGLISH_HTML_POST = """\
<article>
<h1>Notes on a paper about kernel stacks</h1>
<p>The paper, published at <a href="https://conf.example.org/2023">a security conference</a>
last year, looks at how data copied onto the kernel stack can be reused by an attacker.</p>
<h2>The idea</h2>
<p>System calls copy user data into the kernel, and some of it stays on the stack long
enough for a <a href="https://en.wikipedia.org/wiki/Return-oriented_programming">ROP chain</a>
to use it later.</p>
<ul>
<li>Valid data copied on purpose, like the arguments of <code>poll</code>, for speed.</li>
<li>Registers saved on entry and restored on return, as <a href="https://example.org/abi">the ABI</a> asks.</li>
<li>Memory left uninitialised between two calls.</li>
</ul>
<h2>Mitigations</h2>
<p>Randomising the stack offset helps a little, but <a href="https://example.org/randkstack">five bits</a>
of randomness are quickly brute-forced when the kernel does not panic on an oops.</p>
<p>Clearing the stack on return closes one of the three ways, and nothing closes the others yet.</p>
</article>
"""

CHINESE_HTML_POST = """\
<h2>背景</h2>
<p>今年我们把博客从动态站点迁到了<a href="https://gohugo.io/">静态生成器</a>上，主要是为了减少维护工作。</p>
<h2>迁移过程</h2>
<p>旧文章用脚本转换成 Markdown，图片统一放进一个目录，<a href="https://example.cn/redirects">旧链接</a>通过重定向保留下来。</p>
<p>评论系统暂时关闭，之后也许会换成邮件回复。</p>
<h2>结果</h2>
<p>页面加载时间从两秒降到了两百毫秒左右，服务器每月的费用也少了一半，详细数据见<a href="https://example.cn/stats">统计页面</a>里的图表。</p>
"""

# A post without headings whose list entries are prose with links inside (a year in review).
LIST_POST = """\
This year I did, amongst other things:

- Donated some money to a few organisations:
  * $400 to [FSFE](https://fsfe.org/)
  * $500 to the [Internet Archive](https://archive.org)
- Read a couple of books, most of them borrowed from the library near my flat.
- Moved back to France after five years abroad.
- Refused to sell one of my old domains to a [spammer](https://example.com/spam) for the third time.
- Learnt some Rust so I could contribute to a [text editor](https://example.com/editor) I use daily.
- Gave a talk about fuzzing at a local meetup, which went better than expected.

Next year, I would like to write more, and to travel less.
"""

# A digest of about the same size: each item points to its source.
DIGEST = """\
# Backend Brief 42

## Releases

### [Postgres 17 released](https://postgres.example.org/17)

Incremental backups and faster vacuum for large tables.

### [Redis changes its licence](https://redis.example.com/licence)

The project moves away from BSD; forks are already announced.

## Reading

- [How we cut our p99 in half](https://eng.example.com/p99) - a story of connection pools.
- [Queues are not databases](https://blog.example.net/queues) - and why it matters at scale.
- [A tour of io_uring](https://kernel.example.org/io-uring) - the interface, step by step.

## Tools

**Migrate safely**
A linter that flags locking migrations before they reach production.
[https://tools.example.com/migrate](https://tools.example.com/migrate)

**Trace viewer**
Open traces from any collector in the browser, offline.
[https://tools.example.com/traces](https://tools.example.com/traces)
"""


def _items(issue: ParsedIssue) -> list[tuple[str, str | None]]:
    return [(item.title, item.url) for section in issue.sections for item in section.items]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (ENGLISH_POST, "Rewriting our build cache"),
        (CHINESE_POST, "我们如何重写构建缓存"),
    ],
    ids=["english", "chinese"],
)
def test_a_markdown_post_with_headings_is_one_item(text: str, title: str) -> None:
    issue = split_markdown(text)
    assert issue.title == title
    assert len(issue.sections) == 1
    [item] = issue.sections[0].items
    assert item.title == title
    # The whole text, headings included.
    for heading in [line.lstrip("# ") for line in text.splitlines() if line.startswith("## ")]:
        assert heading in item.body
    assert text.splitlines()[-1] in item.body


def test_an_html_post_with_headings_is_one_item() -> None:
    issue = split_html(ENGLISH_HTML_POST)
    [section] = issue.sections
    [item] = section.items
    assert item.title == "Notes on a paper about kernel stacks"
    assert "## The idea" in item.body and "## Mitigations" in item.body
    assert "nothing closes the others yet" in item.body


def test_a_chinese_feed_entry_with_headings_is_one_item() -> None:
    entry = FeedEntry(
        key="k",
        title="博客迁移记",
        link="https://example.cn/posts/migration",
        date=datetime(2024, 5, 1, tzinfo=UTC),
        content_html=CHINESE_HTML_POST,
    )
    issue = entry_to_issue(entry, base_url=entry.link)
    assert _items(issue) == [("博客迁移记", "https://example.cn/posts/migration")]
    body = issue.sections[0].items[0].body
    assert "迁移过程" in body and "统计页面" in body


def test_a_post_of_prose_list_entries_is_one_item() -> None:
    issue = split_markdown(LIST_POST, fallback_title="2024 in retrospect")
    [section] = issue.sections
    [item] = section.items
    assert item.title == "2024 in retrospect"
    assert "Moved back to France" in item.body and "travel less" in item.body


def test_a_digest_of_the_same_size_still_splits() -> None:
    issue = split_markdown(DIGEST)
    assert _items(issue) == [
        ("Postgres 17 released", "https://postgres.example.org/17"),
        ("Redis changes its licence", "https://redis.example.com/licence"),
        ("How we cut our p99 in half", "https://eng.example.com/p99"),
        ("Queues are not databases", "https://blog.example.net/queues"),
        ("A tour of io_uring", "https://kernel.example.org/io-uring"),
        ("Migrate safely", "https://tools.example.com/migrate"),
        ("Trace viewer", "https://tools.example.com/traces"),
    ]


def test_a_list_digest_without_headings_still_splits() -> None:
    text = "This week's links:\n\n" + "\n".join(
        f"- [Story number {index}](https://news.example.com/{index}) - what happened, in a line."
        for index in range(6)
    )
    assert len(_items(split_markdown(text))) == 6


def test_large_atom_posts_are_one_item_each(shared: Path) -> None:
    feed = parse_feed((shared / LARGE_ATOM).read_bytes(), url="https://dustri.org/b/feed")
    issues = {
        entry.title: entry_to_issue(entry, base_url=entry.link or "https://dustri.org/b/")
        for entry in feed.entries
    }
    for title in (
        "Paper notes: RetSpill",
        "Carrot disclosure",
        "fortify-headers 2.1",
        'Some notes on "Randomized slab caches for kmalloc()"',
    ):
        issue = issues[title]
        assert issue.item_count == 1, title
        [item] = issue.sections[0].items
        assert item.title == title
        assert item.url == issue.url
    # A list of sentences with links in them reads like a round-up of links, whose
    # entries a reader triages one by one: kept split when any entry ends with its link.
    # (This year-in-review post has that shape; so do many newsletters.)
    retrospect = issues["2023 in retrospect"]
    assert retrospect.item_count > 10


def test_a_round_up_of_links_inside_sentences_still_splits() -> None:
    text = (
        "# Friday links\n\n"
        "- I enjoyed [this essay on caching](https://a.example/x) by Jane, which argues for less.\n"
        "- The [new release of Foo](https://b.example) adds a plugin system.\n"
        "- Bob wrote about testing terminal apps with snapshots: [link](https://c.example).\n"
        "- A short one on [regex performance](https://d.example) and why it matters.\n"
    )
    items = _items(split_markdown(text))
    assert [url for _title, url in items] == [
        "https://a.example/x",
        "https://b.example",
        "https://c.example",
        "https://d.example",
    ]
