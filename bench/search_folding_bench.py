"""Search folding and saved-articles benchmark (issue 7).

1. Builds two libraries of the same generated items (default 5,000 issues x 20 = 100,000
   items, a quarter of the issues written in Traditional Chinese): one with the shipped
   segmenter, which folds Traditional to Simplified, and one with folding switched off (the
   segmenter and search of schema version 2). Times both builds, then the same queries on
   each (p50/p95 per query kind and overall). Aim: folding under 2x plain, p95 under 50 ms.
2. Article extraction throughput on generated news pages (pages/s): one thread, the
   saver's extraction threads, and end to end (`ArticleSaver` fetching from a local server).

    .venv/bin/python bench/search_folding_bench.py [--small] [--issues N] [--pages N]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import random
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import benchlib as b

AIM_SEARCH_P95_MS = 50.0
AIM_FOLDING_RATIO = 2.0

# Query kinds, each with queries in the script the items are written in and the other one.
QUERIES: dict[str, list[str]] = {
    "zh 1 char": ["发", "模", "數", "開"],
    "zh 2 chars": ["开源", "開源", "数据", "數據", "芯片", "模型"],
    "zh 4 chars": ["开源模型", "開源模型", "人工智能", "數據中心"],
    "en word": ["rust", "model", "Security", "GPU"],
    "mixed": ["AI 模型", "open 开源", "數據 data"],
}


# --- libraries -----------------------------------------------------------------------------


def traditional_table() -> dict[int, int]:
    """Simplified -> Traditional, one character for one (OpenCC's first choice)."""
    from reader.core.store import folding

    table: dict[int, int] = {}
    path = folding.opencc_dictionary_folder() / "STCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        if len(key) == 1 and values.split():
            table[ord(key)] = ord(values.split()[0][0])
    return table


def to_traditional(parsed: object, table: dict[int, int]) -> object:
    from dataclasses import replace

    from reader.core.model import ParsedIssue

    assert isinstance(parsed, ParsedIssue)
    sections = tuple(
        replace(
            section,
            title=section.title.translate(table),
            items=tuple(
                replace(item, title=item.title.translate(table), body=item.body.translate(table))
                for item in section.items
            ),
        )
        for section in parsed.sections
    )
    return replace(parsed, title=parsed.title.translate(table), sections=sections)


@contextlib.contextmanager
def folding_switched_off() -> Iterator[None]:
    """Segment and search as before folding: no script fold, highlights by plain letters."""
    from reader.core.store import folding

    saved = folding.fold_han, folding.char_pattern
    folding.fold_han = lambda text: text  # type: ignore[assignment]
    folding.char_pattern = re.escape  # type: ignore[assignment]
    try:
        yield
    finally:
        folding.fold_han, folding.char_pattern = saved  # type: ignore[assignment]


def build_library(path: Path, issues: int, batch: int = 250) -> float:
    """Store `issues` generated issues; returns the seconds it took."""
    from reader.core.store import Store

    table = traditional_table()
    started = time.perf_counter()
    with Store(path) as store:
        source_id = store.ensure_source("feed", "https://bench.example/feed", "Bench")
        for start in range(0, issues, batch):
            chunk = []
            for index in range(start, min(start + batch, issues)):
                parsed = b.parsed_issue(index)
                chunk.append(to_traditional(parsed, table) if index % 4 == 3 else parsed)
            store.upsert_issues(source_id, chunk)  # type: ignore[arg-type]
    return time.perf_counter() - started


Timings = dict[str, list[float]]


def time_queries(
    plain_path: Path, folded_path: Path, repeat: int, clock: Callable[[], float]
) -> tuple[Timings, Timings]:
    """Seconds per search on each library by query kind, on `clock` (wall or CPU time).
    The libraries take turns query by query, so other work on the machine falls on both."""
    from reader.core.store import Store

    plain: Timings = {kind: [] for kind in QUERIES}
    folded: Timings = {kind: [] for kind in QUERIES}
    with Store(plain_path) as plain_store, Store(folded_path) as folded_store:

        def plain_search(query: str) -> None:
            with folding_switched_off():
                plain_store.search(query, limit=50)

        def folded_search(query: str) -> None:
            folded_store.search(query, limit=50)

        for queries in QUERIES.values():  # warm the caches
            for query in queries:
                plain_search(query)
                folded_search(query)
        for _ in range(repeat):
            for kind, queries in QUERIES.items():
                for query in queries:
                    for search, timings in ((plain_search, plain), (folded_search, folded)):
                        started = clock()
                        search(query)
                        timings[kind].append(clock() - started)
    return plain, folded


def match_counts(path: Path) -> dict[str, int]:
    """How many items the index matches for a few words (all of them, not the top 500)."""
    from reader.core.store import Store
    from reader.core.store.segment import match_expression, query_words

    counts = {}
    with Store(path) as store:
        for query in ("开源", "開源", "數據"):
            expression = match_expression(query_words(query))
            row = store._connection.execute(
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", (expression,)
            ).fetchone()
            counts[query] = int(row[0])
    return counts


def report_timings(clock_name: str, plain: Timings, folded: Timings) -> None:
    print(f"-- {clock_name} time per search (limit 50)")
    print(f"{'query kind':<12} {'plain p50/p95 ms':>18} {'folded p50/p95 ms':>19}  ratio p50")
    every_plain: list[float] = []
    every_folded: list[float] = []
    for kind in QUERIES:
        every_plain += plain[kind]
        every_folded += folded[kind]
        p, f = plain[kind], folded[kind]
        print(
            f"{kind:<12} {b.percentile(p, 0.5) * 1000:8.1f} {b.percentile(p, 0.95) * 1000:8.1f}"
            f"   {b.percentile(f, 0.5) * 1000:8.1f} {b.percentile(f, 0.95) * 1000:8.1f}"
            f"   {b.percentile(f, 0.5) / b.percentile(p, 0.5):8.2f}x"
        )
    ratio = b.percentile(every_folded, 0.5) / b.percentile(every_plain, 0.5)
    p95 = b.percentile(every_folded, 0.95) * 1000
    print(f"all plain : {b.summary_ms(every_plain)}")
    print(f"all folded: {b.summary_ms(every_folded)}")
    verdict = "meets" if ratio < AIM_FOLDING_RATIO and p95 < AIM_SEARCH_P95_MS else "MISSES"
    print(
        f"{clock_name}: folding costs {ratio:.2f}x plain at p50, p95 {p95:.1f} ms: {verdict}"
        f" the aim (< {AIM_FOLDING_RATIO:g}x, < {AIM_SEARCH_P95_MS:g} ms)"
    )


def search_section(issues: int, repeat: int) -> None:
    b.header(f"search over {issues * b.ITEMS_PER_ISSUE:,} items: folding on vs off")
    work = Path(tempfile.mkdtemp(prefix="reader-folding-bench-"))
    try:
        plain_path, folded_path = work / "plain.sqlite", work / "folded.sqlite"
        with folding_switched_off():
            plain_build = build_library(plain_path, issues)
        folded_build = build_library(folded_path, issues)
        for name, path, seconds in (
            ("plain ", plain_path, plain_build),
            ("folded", folded_path, folded_build),
        ):
            size = path.stat().st_size / 1e6
            print(f"{name} build {seconds:6.1f} s   file {size:6.1f} MB")
        with folding_switched_off():
            plain_hits = match_counts(plain_path)
        folded_hits = match_counts(folded_path)
        print(f"items matched: plain {plain_hits}\n               folded {folded_hits}")
        for clock_name, clock in (("wall", time.perf_counter), ("CPU", time.thread_time)):
            plain, folded = time_queries(plain_path, folded_path, repeat, clock)
            report_timings(clock_name, plain, folded)
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


# --- articles ------------------------------------------------------------------------------


# Inline script and style of a page, as real news pages carry (tens of KB).
_PAGE_SCRIPT = "<script>" + "window.dataLayer.push({event: 'view', id: 12345});" * 300 + "</script>"
_PAGE_STYLE = "<style>" + ".menu li a { color: #333; padding: 4px 8px; }" * 200 + "</style>"


def news_page(number: int) -> bytes:
    """A generated news page (about 35 KB): scripts, navigation, the article, related
    links, a footer; a third of them in Chinese."""
    maker = b.TextMaker(number * 7919 + 11)
    lang = "zh" if number % 3 == 0 else "en"
    rng = random.Random(number)
    nav = "".join(f'<li><a href="/s/{i}">{maker.title("en")}</a></li>' for i in range(60))
    paragraphs = "".join(
        f"<p>{html.escape(maker.summary(lang, scale=3.0))}</p>" for _ in range(rng.randint(8, 20))
    )
    related = "".join(
        f'<li><a href="/r/{i}">{html.escape(maker.title(lang))}</a></li>' for i in range(10)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(maker.title(lang))}</title>{_PAGE_SCRIPT}{_PAGE_STYLE}</head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>{html.escape(maker.title(lang))}</h1><p class='byline'>By A. Writer</p>"
        f"{paragraphs}</article><aside><h2>Related</h2><ul>{related}</ul></aside></main>"
        "<footer><p>Copyright 2025 Bench News. All rights reserved.</p></footer></body></html>"
    ).encode()


@contextlib.contextmanager
def page_server(pages: list[bytes], latency_s: float) -> Iterator[Callable[[int], str]]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(latency_s)
            body = pages[int(self.path.strip("/").split("/")[-1])]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lambda number: f"http://127.0.0.1:{server.server_address[1]}/page/{number}"
    finally:
        server.shutdown()
        server.server_close()


def articles_section(count: int) -> None:
    from reader.core.articles import ArticleSaver, extract_article
    from reader.core.limits import ARTICLE_EXTRACT_WORKERS
    from reader.core.model import ParsedIssue, ParsedItem, ParsedSection
    from reader.core.store import Store

    b.header(f"article extraction: {count} generated pages")
    pages = [news_page(number) for number in range(count)]
    size = sum(map(len, pages))
    print(f"pages: {size / count / 1024:.1f} KiB on average, {size / 1e6:.1f} MB in all")
    extract_article(pages[0])  # imports trafilatura
    started = time.perf_counter()
    lengths = [len(extract_article(page)[1]) for page in pages]
    one = time.perf_counter() - started
    print(
        f"one thread          {count / one:7.1f} pages/s  ({size / one / 1e6:.1f} MB/s,"
        f" {sum(lengths) / count / 1024:.1f} KiB of Markdown per page)"
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=ARTICLE_EXTRACT_WORKERS) as pool:
        list(pool.map(extract_article, pages))
    threads = time.perf_counter() - started
    print(f"{ARTICLE_EXTRACT_WORKERS} threads (saver)   {count / threads:7.1f} pages/s")

    for latency_s in (0.0, 0.05):
        with tempfile.TemporaryDirectory(prefix="reader-articles-bench-") as folder:
            store = Store(Path(folder) / "library.sqlite")
            with page_server(pages, latency_s) as url_of:
                items = tuple(ParsedItem(f"Page {n}", url_of(n), "summary") for n in range(count))
                source_id = store.ensure_source("imports", "imports:", "Imports")
                issue = store.upsert_issue(
                    source_id, ParsedIssue("Pages", None, None, (ParsedSection("", items),))
                )
                ids = [item.id for item in store.issue(issue.issue_id).sections[0].items]
                started = time.perf_counter()
                outcomes = ArticleSaver(store).run(ids)
                seconds = time.perf_counter() - started
            store.close()
        saved = sum(outcome.status == "saved" for outcome in outcomes)
        print(
            f"end to end, {latency_s * 1000:3.0f} ms server latency: {saved / seconds:7.1f} pages/s"
            f"  ({saved}/{count} saved in {seconds:.1f} s)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="500 issues, 100 pages")
    parser.add_argument("--issues", type=int, default=None, help="issues (default 5000)")
    parser.add_argument("--pages", type=int, default=None, help="article pages (default 300)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each query")
    args = parser.parse_args()
    issues = args.issues or (500 if args.small else 5000)
    pages = args.pages or (100 if args.small else 300)
    repeat = args.repeat or (3 if args.small else 10)
    sys.path.insert(0, str(b.REPO_DIR))
    print(f"search folding benchmark: {b.machine_line()}")
    print(b.load_line())
    search_section(issues, repeat)
    articles_section(pages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
