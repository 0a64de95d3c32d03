"""Fixtures for the TUI tests: a temporary READER_HOME with a real SQLite library.

The library is imported from Markdown issue files written here (English and
Chinese, several sections), so tests drive the app on what a user would have.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from reader import paths
from reader.config import Settings
from reader.core.library import Library
from reader.core.model import ParsedIssue, ParsedItem, ParsedSection

ISSUE_41 = """\
---
title: "Weekly Digest 41"
date: 2025-02-21 20:00:00
---

## News

#### [Rust 1.85 released](https://example.com/rust-185)

The 2024 edition is stable. Async closures arrive, and `cargo` learns new tricks.

---

#### [SQLite adds a JSONB type](https://example.com/sqlite-jsonb)

Binary JSON is stored compactly and queried faster than text.

## Tools

#### [A terminal file manager](https://example.com/tfm)

Keyboard driven, with previews and bulk rename.

---

#### [A faster grep](https://example.com/grep)

It searches a monorepo in under a second. See also [the benchmark](https://example.com/grep-bench).

---

#### [A long read](https://example.com/long)

Paragraph 1: the long read keeps going so that the reader pane has to scroll.

Paragraph 2: the long read keeps going so that the reader pane has to scroll.

Paragraph 3: the long read keeps going so that the reader pane has to scroll.

Paragraph 4: the long read keeps going so that the reader pane has to scroll.

Paragraph 5: the long read keeps going so that the reader pane has to scroll.

Paragraph 6: the long read keeps going so that the reader pane has to scroll.

Paragraph 7: the long read keeps going so that the reader pane has to scroll.

Paragraph 8: the long read keeps going so that the reader pane has to scroll.

Paragraph 9: the long read keeps going so that the reader pane has to scroll.

Paragraph 10: the long read keeps going so that the reader pane has to scroll.

Paragraph 11: the long read keeps going so that the reader pane has to scroll.

Paragraph 12: the long read keeps going so that the reader pane has to scroll.

Paragraph 13: the long read keeps going so that the reader pane has to scroll.

Paragraph 14: the long read keeps going so that the reader pane has to scroll.

Paragraph 15: the long read keeps going so that the reader pane has to scroll.

Paragraph 16: the long read keeps going so that the reader pane has to scroll.

Paragraph 17: the long read keeps going so that the reader pane has to scroll.

Paragraph 18: the long read keeps going so that the reader pane has to scroll.

Paragraph 19: the long read keeps going so that the reader pane has to scroll.

Paragraph 20: the long read keeps going so that the reader pane has to scroll.

Paragraph 21: the long read keeps going so that the reader pane has to scroll.

Paragraph 22: the long read keeps going so that the reader pane has to scroll.

Paragraph 23: the long read keeps going so that the reader pane has to scroll.

Paragraph 24: the long read keeps going so that the reader pane has to scroll.

Paragraph 25: the long read keeps going so that the reader pane has to scroll.

Paragraph 26: the long read keeps going so that the reader pane has to scroll.

Paragraph 27: the long read keeps going so that the reader pane has to scroll.

Paragraph 28: the long read keeps going so that the reader pane has to scroll.

Paragraph 29: the long read keeps going so that the reader pane has to scroll.

Paragraph 30: the long read keeps going so that the reader pane has to scroll.

Paragraph 31: the long read keeps going so that the reader pane has to scroll.

Paragraph 32: the long read keeps going so that the reader pane has to scroll.

Paragraph 33: the long read keeps going so that the reader pane has to scroll.

Paragraph 34: the long read keeps going so that the reader pane has to scroll.

Paragraph 35: the long read keeps going so that the reader pane has to scroll.

Paragraph 36: the long read keeps going so that the reader pane has to scroll.

Paragraph 37: the long read keeps going so that the reader pane has to scroll.

Paragraph 38: the long read keeps going so that the reader pane has to scroll.

Paragraph 39: the long read keeps going so that the reader pane has to scroll.

Paragraph 40: the long read keeps going so that the reader pane has to scroll.
"""

ISSUE_42 = """\
---
title: "Weekly Digest 42"
date: 2025-02-28 20:00:00
---

## News

#### [Python 3.14 beta](https://example.com/py314)

Free-threaded builds are supported. Template strings land.

---

#### [Textual 8 is out](https://example.com/textual8)

Faster rendering of long lists and a new theme system.

---

#### [Firefox drops a feature](https://example.com/firefox)

An old API goes away after a long deprecation.

## Tools

#### [A Markdown linter](https://example.com/mdlint)

Catches broken links and odd headings.

---

#### [A tiny HTTP server](https://example.com/httpd)

One file, no dependencies, serves a folder.
"""

ISSUE_ZH = """\
---
title: "科技周刊 第17期"
date: 2025-03-07 09:00:00
---

## 新闻

#### [开源数据库发布新版本](https://example.cn/db)

这个版本支持中文全文检索，一个字和两个字的查询都能找到。

---

#### [终端阅读器的中文排版](https://example.cn/typeset)

中英文混排时，宽字符占两个单元格，列要对齐。Mixed 中文 and English.

## 工具

#### [一个命令行翻译工具](https://example.cn/translate)

支持离线词典，速度很快。
"""

ISSUE_FILES = {
    "weekly-041.md": ISSUE_41,
    "weekly-042.md": ISSUE_42,
    "keji-017.md": ISSUE_ZH,
}


@pytest.fixture(autouse=True)
def immediate_reader_pane(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw the reader pane's body at once, so tests need not wait for the deferral."""
    monkeypatch.setattr("reader.tui.screens.main.READER_DELAY_S", 0)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty READER_HOME; local time is UTC so dates show the same everywhere."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return home


@pytest.fixture
def library_path(home: Path, tmp_path: Path) -> Path:
    """A library imported from the three issue files above."""
    issues = tmp_path / "issues"
    issues.mkdir()
    for name, text in ISSUE_FILES.items():
        (issues / name).write_text(text, encoding="utf-8")
    database = paths.database_path()
    with Library(database) as library:
        report = library.import_paths([issues])
        assert not report.problems, report.problems
        assert len(report.imported) == 3
    return database


def build_big_library(database: Path, *, issues: int, items_per_issue: int) -> None:
    """A library of `issues` x `items_per_issue` items, stored without the splitter."""
    with Library(database) as library:
        source_id = library.imports_source_id()
        for number in range(issues):
            items = tuple(
                ParsedItem(
                    title=f"Item {number:03d}-{index:03d}",
                    url=f"https://example.com/{number}/{index}",
                    body=f"Body of item {index} in issue {number}.",
                )
                for index in range(items_per_issue)
            )
            half = items_per_issue // 2
            library.store_parsed(
                source_id,
                ParsedIssue(
                    title=f"Big issue {number:03d}",
                    date=datetime(2024, 1, 1 + number % 28, 8, number % 60),
                    url=None,
                    sections=(
                        ParsedSection("First half", items[:half]),
                        ParsedSection("Second half", items[half:]),
                    ),
                    key=f"big-{number}",
                ),
            )


@pytest.fixture
def big_library(home: Path) -> Path:
    """A library of 3,000 items: 60 issues of two sections of 25 items."""
    database = paths.database_path()
    build_big_library(database, issues=60, items_per_issue=50)
    return database


@pytest.fixture
def make_app(home: Path) -> Iterator[Callable[..., object]]:
    """A factory of ReaderApp on the home's library with default settings."""
    from reader.tui.app import ReaderApp

    def factory(
        database: Path | None = None,
        settings: Settings | None = None,
        *,
        returning: bool = False,
    ) -> ReaderApp:
        """`returning`: the user has been here before (a state file opens the Unread view);
        without it the app makes its first start, at the newest issue."""
        if returning:
            from reader.tui.state import AppState, save_state, state_path

            if not state_path().exists():
                save_state(AppState())
        return ReaderApp(database or paths.database_path(), settings=settings or Settings())

    yield factory


ARTICLE_PAGE = """\
<!doctype html><html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About</a></nav>
<article><h1>{title}</h1>
<p>{title}: the full story, kept for reading offline. The release brings faster builds,
clearer error messages and a long list of fixes that users asked for over the year.</p>
<p>Maintainers thanked the contributors who tested the betas and wrote the documentation,
and they explained the plans for the next release in some detail.</p>
</article>
<footer>Related: <a href="/other">Other story</a> · Share on social media</footer>
</body></html>
"""


class ArticleServer:
    """Article pages on 127.0.0.1: `/story/NAME` is a page, anything else is a 404."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if not self.path.startswith("/story/"):
                    self.send_error(404, "Not Found")
                    return
                title = self.path.rsplit("/", 1)[-1].replace("-", " ").title()
                body = ARTICLE_PAGE.format(title=title).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def __enter__(self) -> ArticleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def library_of(*issues: ParsedIssue) -> Path:
    """The home's library with these parsed issues stored as imported files; its path."""
    database = paths.database_path()
    with Library(database) as library:
        for issue in issues:
            library.store_parsed(library.imports_source_id(), issue)
    return database


def add_issue(
    database: Path,
    title: str,
    items: list[tuple[str, str]],
    *,
    source_id: int | None = None,
    date: datetime | None = None,
) -> str:
    """Store an issue of (title, url) items in one section 'Links'; returns its id."""
    with Library(database) as library:
        return library.store_parsed(
            source_id if source_id is not None else library.imports_source_id(),
            ParsedIssue(
                title=title,
                date=date or datetime(2025, 3, 10, 8, 0),
                url=None,
                sections=(
                    ParsedSection(
                        "Links",
                        tuple(
                            ParsedItem(title=item_title, url=url, body=f"Summary of {item_title}.")
                            for item_title, url in items
                        ),
                    ),
                ),
                key=title,
            ),
        )
