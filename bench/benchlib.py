"""Shared pieces of the benchmarks: generated text and corpora, a local feed server, timing.

Everything here is deterministic (seeded), so two runs measure the same input.
Run as a script (`python bench/benchlib.py serve ...`) it is the feed server.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import hashlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SHARED_DIR = REPO_DIR.parent / "shared"
CORES = os.cpu_count() or 1

# --- vocabulary ---------------------------------------------------------------

_EN_REAL = """
the of and to in a is for that on with model data new release rust python open
source language compiler memory safety async runtime performance library crate
update support feature version team project community community week article
blog post paper research training inference agent agents tool tools search web
browser server client network cloud storage database query index cache kernel
linux windows apple google meta openai nvidia gpu chip chips hardware software
security privacy policy law market company startup funding launch product users
developer developers engineer engineering design system systems scale benchmark
faster slower test tests testing bug fix fixes error errors build builds api
code review reasoning vision audio video image images text token tokens context
window long short small large fine tuning dataset datasets evaluation score
results study analysis report survey interview guide tutorial introduction
deep dive how why what when where first last year month today time future past
history lessons notes thoughts ideas thread discussion proposal rfc stable
nightly beta preview experimental migration upgrade deprecation breaking change
changes changelog roadmap plan team governance foundation conference talk video
podcast episode slides workshop meetup hiring job jobs remote salary growth
economy china europe america global trade chips export energy power climate
""".split()  # noqa: SIM905 - a word list reads best as text

_SYLLABLES = (  # noqa: SIM905
    "ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri "
    "ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu dra gri plo stu "
    "ven tor lix quar mon pel dax fen gor hul jin kev"
).split()

_ZH_WORDS = """
模型 开源 数据 推理 训练 算力 芯片 智能 人工 技术 公司 发布 产品 用户 市场 研究 论文
团队 工程 系统 平台 应用 服务 安全 隐私 政策 监管 全球 中国 美国 欧洲 投资 融资 创业
能力 性能 成本 效率 架构 算法 代码 编程 语言 工具 框架 社区 生态 标准 协议 网络 云端
存储 数据库 搜索 引擎 浏览器 手机 电脑 硬件 软件 设计 体验 内容 创作 视频 图像 音频
文本 翻译 对话 助手 代理 机器人 自动 驾驶 医疗 教育 金融 能源 制造 供应链 出口 贸易
竞争 合作 战略 趋势 未来 历史 经验 教训 观点 思考 访谈 报告 调查 分析 评测 指南 教程
入门 深度 解读 周刊 资讯 新闻 动态 更新 版本 特性 改进 修复 问题 错误 测试 部署 运维
开发 开发者 工程师 科学家 学者 大学 实验 实验室 基础 前沿 突破 创新 变革 影响 机会 挑战
风险 价值 意义 方法 方案 路线 计划 目标 结果 效果 规模 速度 质量 稳定 可靠 开放 封闭
""".split()  # noqa: SIM905 - a word list reads best as text

_ZH_PHRASES = """
人工智能 开源模型 数据中心 推理能力 大型语言 强化学习 芯片出口 全球博弈 技术路线 用户体验
开发工具 云端服务 自动驾驶 供应链安全 深度学习 机器翻译 代码生成 隐私保护 能源转型 创业公司
""".split()  # noqa: SIM905 - a word list reads best as text

_ZH_PARTICLES = ["的", "了", "在", "是", "和", "与", "对", "将", "从", "把", "让", "也", "都", "还"]
_ZH_TERMS = ["AI", "GPU", "Rust", "Python", "LLM", "API", "SQLite", "Linux", "DeepSeek", "OpenAI"]
_SECTION_EN = ["News", "Research", "Tools", "Releases", "Community", "Opinion", "Jobs", "Events"]
_SECTION_ZH = [
    "随便看看",
    "行业动态",
    "技术前沿",
    "工具推荐",
    "深度阅读",
    "产品观察",
    "观点",
    "资源",
]
_ZH_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八"]


def _pseudo_words(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seen = set(_EN_REAL)
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    cumulative = []
    total = 0.0
    for rank in range(1, count + 1):
        total += 1.0 / rank**exponent
        cumulative.append(total)
    return cumulative


EN_VOCAB = _EN_REAL + _pseudo_words(8000, seed=7)
EN_CUMULATIVE = _zipf_weights(len(EN_VOCAB))
# Phrases sit at middling ranks so a 4-character query has a real answer set.
ZH_VOCAB = _ZH_WORDS[:40] + _ZH_PHRASES + _ZH_WORDS[40:]
ZH_CUMULATIVE = _zipf_weights(len(ZH_VOCAB), 0.9)

# Query words, chosen by rank so their frequencies are known in advance.
QUERIES = {
    "en-common": ["model", "data", "release", "rust", "open source"],
    "en-rare": [EN_VOCAB[rank] for rank in (2500, 4000, 5500, 7000, 8100)],
    "zh-1": ["模", "的", "芯", "网", "鲸"],
    "zh-2": ["开源", "模型", "推理", "安全", "周刊"],
    "zh-4": ["人工智能", "开源模型", "数据中心", "全球博弈", "能源转型"],
}


class TextMaker:
    """Seeded English, Chinese and mixed sentences with Zipf-distributed words."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def en_words(self, count: int) -> list[str]:
        return self.rng.choices(EN_VOCAB, cum_weights=EN_CUMULATIVE, k=count)

    def en_sentence(self, count: int) -> str:
        words = self.en_words(count)
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def en_title(self) -> str:
        return " ".join(word.capitalize() for word in self.en_words(self.rng.randint(4, 8)))

    def zh_run(self, count: int) -> str:
        rng = self.rng
        parts = []
        for word in rng.choices(ZH_VOCAB, cum_weights=ZH_CUMULATIVE, k=count):
            parts.append(word)
            roll = rng.random()
            if roll < 0.35:
                parts.append(rng.choice(_ZH_PARTICLES))
            elif roll < 0.42:
                parts.append(f" {rng.choice(_ZH_TERMS)} ")
            elif roll < 0.5:
                parts.append("，")
        return "".join(parts).strip()

    def zh_sentence(self, count: int) -> str:
        return self.zh_run(count) + "。"

    def zh_title(self) -> str:
        return self.zh_run(self.rng.randint(3, 5)).replace("，", "")

    def title(self, lang: str) -> str:
        return self.en_title() if lang == "en" else self.zh_title()

    def summary(self, lang: str, scale: float = 1.0) -> str:
        rng = self.rng
        if lang == "en":
            return " ".join(
                self.en_sentence(rng.randint(10, 18)) for _ in range(max(1, round(2 * scale)))
            )
        return "".join(
            self.zh_sentence(rng.randint(7, 13)) for _ in range(max(1, round(2 * scale)))
        )

    def lang(self, mix: float) -> str:
        """'en' or 'zh'; `mix` is the share of Chinese."""
        return "zh" if self.rng.random() < mix else "en"


# --- issue files (import and startup benchmarks) -----------------------------------

ITEMS_PER_ISSUE = 20
SHAPES = ("hugo", "twir", "zh-numbered", "bold-lead")


@dataclass(frozen=True)
class GenItem:
    title: str
    url: str
    summary: str
    link_title: str


def _items(maker: TextMaker, issue: int, count: int, mix: float) -> list[GenItem]:
    items = []
    for index in range(count):
        lang = maker.lang(mix)
        title = maker.title(lang)
        items.append(
            GenItem(
                title=title,
                url=f"https://news{issue % 97}.example.com/{issue}/{index}-{maker.rng.randrange(10**6)}",
                summary=maker.summary(lang),
                link_title=maker.title(lang),
            )
        )
    return items


def issue_date(index: int) -> datetime:
    return datetime(2020, 1, 1, 20, 0) + timedelta(hours=7 * (index % 20000))


def issue_markdown(index: int, items_per_issue: int = ITEMS_PER_ISSUE) -> tuple[str, str]:
    """One generated issue file: (shape, Markdown text) of about 6 KB."""
    maker = TextMaker(index * 7919 + 13)
    shape = SHAPES[index % len(SHAPES)]
    mix = (0.15, 0.5, 0.85)[index % 3]
    items = _items(maker, index, items_per_issue, mix)
    date = issue_date(index)
    out: list[str] = []
    half = items_per_issue // 2
    if shape == "hugo":
        out += [
            "---",
            "layout: post",
            f"title: L{index}_{maker.zh_title()}",
            f"date: {date:%Y/%m/%d}/ {date:%H:%M:%S}",
            "tags:",
            "  - NewsLetter",
            "---",
            f"![cover](https://img.example.com/cover-{index}.jpg)",
            "",
        ]
        for part, chunk in enumerate((items[:half], items[half:])):
            out += [f"## {_SECTION_ZH[(index + part) % 8]}", ""]
            for item in chunk:
                out += [
                    f"#### {item.title}",
                    "",
                    item.summary,
                    f"[{item.link_title}]({item.url})",
                    "",
                    "---",
                    "",
                ]
    elif shape == "twir":
        out += [
            f"# This Week in Widgets {index}",
            "",
            "Hello and welcome to another issue! " + maker.en_sentence(14),
            "",
            "<!-- * [Title](https://example.com/template) - not an item -->",
            "",
        ]
        groups = [items[i : i + 5] for i in range(0, items_per_issue, 5)]
        for number, group in enumerate(groups):
            if number % 2 == 0:
                out += [f"## {_SECTION_EN[(index + number) % 8]}", ""]
            out += [f"### {_SECTION_EN[(index + number + 3) % 8]} Notes", ""]
            for position, item in enumerate(group):
                out.append(f"* [{item.title}]({item.url}) - {item.summary}")
                if position == 2:
                    out.append(f"    * [{item.link_title}]({item.url}/more)")
            out.append("")
    elif shape == "zh-numbered":
        out += [f"# {maker.zh_title()} 第{index}期", ""]
        for part, chunk in enumerate((items[:half], items[half:])):
            out += [f"## {_ZH_NUMERALS[part]}、{_SECTION_ZH[(index + part + 2) % 8]}", ""]
            for number, item in enumerate(chunk, 1):
                out += [f"{number}、[{item.title}]({item.url})", "", item.summary, ""]
    else:
        out += ["---", f'title: "Weekly Digest {index}"', f"date: {date:%Y-%m-%d}", "---", ""]
        for part, chunk in enumerate((items[:half], items[half:])):
            out += [f"# {_SECTION_EN[(index + part + 5) % 8]}", ""]
            for item in chunk:
                out += [
                    f"**{item.title}**",
                    "",
                    item.summary,
                    "",
                    f"[{item.link_title}]({item.url})",
                    "",
                ]
    return shape, "\n".join(out) + "\n"


def write_issue_files(folder: Path, count: int) -> tuple[int, dict[str, int]]:
    """Write `count` issue files into `folder`; returns (total bytes, files per shape)."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    shapes: dict[str, int] = {}
    for index in range(count):
        shape, text = issue_markdown(index)
        data = text.encode("utf-8")
        (folder / f"issue-{index:05d}.md").write_bytes(data)
        total += len(data)
        shapes[shape] = shapes.get(shape, 0) + 1
    return total, shapes


def parsed_issue(index: int, items: int = ITEMS_PER_ISSUE, sections: int = 2) -> object:
    """A generated issue as the splitter would give it (for building big libraries fast)."""
    from reader.core.model import ParsedIssue, ParsedItem, ParsedSection

    maker = TextMaker(index * 104729 + 3)
    mix = (0.15, 0.5, 0.85)[index % 3]
    generated = _items(maker, index, items, mix)
    per_section = math.ceil(items / sections)
    parsed_sections = []
    for number in range(sections):
        chunk = generated[number * per_section : (number + 1) * per_section]
        if not chunk:
            break
        parsed_sections.append(
            ParsedSection(
                title=_SECTION_ZH[(index + number) % 8]
                if mix > 0.5
                else _SECTION_EN[(index + number) % 8],
                items=tuple(
                    ParsedItem(
                        title=item.title,
                        url=item.url,
                        body=f"{item.summary}\n\n[{item.link_title}]({item.url})",
                        links=(item.url,),
                    )
                    for item in chunk
                ),
            )
        )
    title = f"Digest {index}: {maker.title(maker.lang(mix))}"
    return ParsedIssue(
        title=title,
        date=issue_date(index),
        url=f"https://digest.example.com/{index}",
        sections=tuple(parsed_sections),
        key=f"generated-{index}",
    )


# --- feeds (refresh and startup benchmarks) -------------------------------------------


def entry_html(feed: int, entry: int) -> str:
    """A feed entry's HTML: mostly digests (sections of linked items), some plain posts."""
    maker = TextMaker(feed * 100003 + entry * 31 + 5)
    mix = (0.1, 0.5, 0.9)[(feed + entry) % 3]
    base = f"https://feed{feed}.example.org"
    parts: list[str] = []
    if entry % 4 == 3:
        # A plain blog post: paragraphs, a figure, a code block.
        lang = maker.lang(mix)
        parts.append(f"<p>{escape(maker.summary(lang, 3))}</p>")
        parts.append(
            f'<figure><img src="{base}/img/{entry}.png" alt="figure"><figcaption>{escape(maker.title(lang))}</figcaption></figure>'
        )
        for _ in range(12):
            parts.append(
                f'<p>{escape(maker.summary(maker.lang(mix), 2.5))} <a href="{base}/ref/{maker.rng.randrange(10**6)}">{escape(maker.title("en"))}</a></p>'
            )
        parts.append('<pre><code>fn main() {\n    println!("hello");\n}\n</code></pre>')
        return "\n".join(parts)
    parts.append(f"<p>{escape(maker.summary(maker.lang(mix)))}</p>")
    parts.append(f'<figure><img src="{base}/cover/{entry}.jpg" alt="cover"></figure>')
    for section in range(3):
        heading = (
            _SECTION_ZH[(entry + section) % 8] if mix > 0.5 else _SECTION_EN[(entry + section) % 8]
        )
        slug = f"s{section}"
        parts.append(
            f'<h2 id="{slug}"><a class="anchor" href="#{slug}">#</a>{escape(heading)}</h2>'
        )
        for index in range(7):
            lang = maker.lang(mix)
            url = f"{base}/{entry}/{section}-{index}"
            parts.append(f"<h4>{escape(maker.title(lang))}</h4>")
            parts.append(f"<p>{escape(maker.summary(lang, 2.6))}</p>")
            parts.append(f'<p><a href="{url}">{escape(maker.title(lang))}</a></p>')
            parts.append("<hr>")
    return "\n".join(parts)


FEED_EPOCH = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


def feed_xml(feed: int, entries: int) -> bytes:
    """A whole feed: even numbers RSS 2.0 (description or content:encoded), odd ones Atom."""
    title = f"Bench Feed {feed}"
    link = f"https://feed{feed}.example.org/"
    out: list[str] = []
    if feed % 2 == 0:
        out.append('<?xml version="1.0" encoding="utf-8"?>')
        out.append('<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">')
        out.append(
            f"<channel><title>{title}</title><link>{link}</link><description>bench</description>"
        )
        for entry in range(entries):
            date = FEED_EPOCH - timedelta(days=entry, hours=feed % 24)
            html = entry_html(feed, entry)
            out.append("<item>")
            out.append(f"<title>{escape(f'Issue {entries - entry} of feed {feed}')}</title>")
            out.append(f"<link>{link}issues/{entry}</link>")
            out.append(f'<guid isPermaLink="false">feed{feed}-entry{entry}</guid>')
            out.append(f"<pubDate>{email.utils.format_datetime(date)}</pubDate>")
            if feed % 4 == 0:
                out.append(f"<description>{escape(html)}</description>")
            else:
                out.append("<description>A summary of the issue.</description>")
                out.append(f"<content:encoded><![CDATA[{html}]]></content:encoded>")
            out.append("</item>")
        out.append("</channel></rss>")
    else:
        out.append('<?xml version="1.0" encoding="utf-8"?>')
        out.append('<feed xmlns="http://www.w3.org/2005/Atom">')
        out.append(f'<title>{title}</title><link href="{link}"/><id>urn:bench:feed:{feed}</id>')
        out.append(f"<updated>{FEED_EPOCH.isoformat()}</updated>")
        for entry in range(entries):
            date = FEED_EPOCH - timedelta(days=entry, hours=feed % 24)
            out.append("<entry>")
            out.append(f"<title>{escape(f'Issue {entries - entry} of feed {feed}')}</title>")
            out.append(f'<link rel="alternate" href="{link}issues/{entry}"/>')
            out.append(f"<id>urn:bench:feed:{feed}:entry:{entry}</id>")
            out.append(f"<updated>{date.isoformat()}</updated>")
            out.append(f'<content type="html">{escape(entry_html(feed, entry))}</content>')
            out.append("</entry>")
        out.append("</feed>")
    return "\n".join(out).encode("utf-8")


def write_feed_corpus(folder: Path, feeds: int, entries: int) -> int:
    """Write feeds as NNN.xml into `folder`; returns the total size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for feed in range(feeds):
        data = feed_xml(feed, entries)
        (folder / f"{feed:03d}.xml").write_bytes(data)
        total += len(data)
    return total


def items_feed_xml(name: str, items: Sequence[tuple[str, str, str]]) -> bytes:
    """An RSS feed of plain items (title, url, Markdown-ish body), one entry per item."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel>']
    out.append(
        f"<title>{escape(name)}</title><link>https://{name}.example.org/</link><description>x</description>"
    )
    for number, (title, url, body) in enumerate(items):
        date = FEED_EPOCH - timedelta(minutes=number)
        out.append(
            f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
            f'<guid isPermaLink="false">{name}-{number}</guid>'
            f"<pubDate>{email.utils.format_datetime(date)}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out).encode("utf-8")


# --- the feed server ------------------------------------------------------------------


class FeedServer:
    """A threaded HTTP server in a child process serving a folder of files from 127.0.0.1.

    Paths: /feed/NAME serves NAME with ETag and Last-Modified (and 304s),
    /fail/NAME answers 500, /hang/NAME sends nothing for `hang_s`,
    /stats returns request counts. Every response waits `latency_s` first.
    """

    def __init__(self, folder: Path, *, latency_s: float = 0.05, hang_s: float = 60.0) -> None:
        self.folder = folder
        self.latency_s = latency_s
        self.hang_s = hang_s
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> FeedServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__)),
                "serve",
                str(self.folder),
                "--latency",
                str(self.latency_s),
                "--hang",
                str(self.hang_s),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"feed server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def url(self, name: str, kind: str = "feed") -> str:
        return f"http://127.0.0.1:{self.port}/{kind}/{name}"

    def stats(self, reset: bool = False) -> dict[str, int]:
        import urllib.request

        query = "?reset=1" if reset else ""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.port}/stats{query}", timeout=10
        ) as response:
            return json.loads(response.read())


def _not_modified_since(value: str) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since >= FEED_EPOCH


def serve(folder: Path, latency_s: float, hang_s: float) -> None:
    bodies: dict[str, bytes] = {}
    etags: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file():
            data = path.read_bytes()
            bodies[path.name] = data
            etags[path.name] = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
    last_modified = email.utils.format_datetime(FEED_EPOCH.astimezone(UTC), usegmt=True)
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def count(key: str) -> None:
        with lock:
            counts[key] = counts.get(key, 0) + 1

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(
            self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts[0] == "stats":
                with lock:
                    body = json.dumps(counts).encode()
                    if "reset=1" in self.path:
                        counts.clear()
                self._send(200, body, {"Content-Type": "application/json"})
                return
            time.sleep(latency_s)
            kind, name = [*parts, ""][:2]
            if kind == "hang":
                count("hang")
                time.sleep(hang_s)
                self.close_connection = True
                return
            if kind == "fail":
                count("500")
                self._send(500, b"internal error", {"Content-Type": "text/plain"})
                return
            if kind != "feed" or name not in bodies:
                count("404")
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            etag = etags[name]
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (inm and etag in [tag.strip() for tag in inm.split(",")]) or (
                not inm and ims and _not_modified_since(ims)
            ):
                count("304")
                count("304-with-both-validators" if inm and ims else "304-one-validator")
                self._send(304, b"", {"ETag": etag, "Last-Modified": last_modified})
                return
            count("200")
            self._send(
                200,
                bodies[name],
                {
                    "Content-Type": "application/atom+xml"
                    if b"<feed" in bodies[name][:300]
                    else "application/rss+xml",
                    "ETag": etag,
                    "Last-Modified": last_modified,
                },
            )

        do_HEAD = do_GET

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

        def handle_error(self, request: object, client_address: object) -> None:
            # Clients that give up (deadlines, hangs) reset their connections: not news.
            pass

    server = Server(("127.0.0.1", 0), Handler)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


# --- measuring ------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """'p50 … p95 … max …' in milliseconds, from seconds."""
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 0.5) * 1000:7.1f} ms  p95 {percentile(values, 0.95) * 1000:7.1f} ms"
        f"  max {max(values) * 1000:7.1f} ms  (n={len(values)})"
    )


def maxrss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process and its reaped children."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@contextlib.contextmanager
def temp_home(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary READER_HOME, set in the environment while the block runs."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    previous = os.environ.get("READER_HOME")
    os.environ["READER_HOME"] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop("READER_HOME", None)
        else:
            os.environ["READER_HOME"] = previous
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def database_path(home: Path) -> Path:
    """Where the library lives under a READER_HOME (asks reader.paths when it can)."""
    try:
        from reader import paths

        previous = os.environ.get("READER_HOME")
        os.environ["READER_HOME"] = str(home)
        try:
            return paths.database_path()
        finally:
            if previous is None:
                os.environ.pop("READER_HOME", None)
            else:
                os.environ["READER_HOME"] = previous
    except ImportError:
        return home / "library.sqlite3"


def header(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 70 - len(title)))


def busy_share(seconds: float = 1.0) -> float:
    """Share of all CPU time that was busy over `seconds` (other work skews wall times)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    try:
        total_before, idle_before = sample()
        time.sleep(seconds)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    total = total_after - total_before
    return 1.0 - (idle_after - idle_before) / total if total else float("nan")


def load_line() -> str:
    """How busy the machine is right now, with a warning when the figures will be skewed."""
    busy = busy_share()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    text = f"machine load before the run: {busy:.0%} of the CPUs busy, load average {load:.2f}"
    if busy > 0.15:
        text += "  WARNING: other work is running; wall times will be inflated (CPU times less so)"
    return text


def machine_line() -> str:
    import platform

    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    memory = ""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        lines = Path("/proc/meminfo").read_text().splitlines()
        kib = int(next(line for line in lines if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}  {CORES} cores ({model}){memory}, "
        f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("serve", help="serve a folder of feeds on 127.0.0.1")
    server.add_argument("folder", type=Path)
    server.add_argument("--latency", type=float, default=0.05)
    server.add_argument("--hang", type=float, default=60.0)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.folder, args.latency, args.hang)


if __name__ == "__main__":
    main()
