"""The bundled demo library that `reader demo` opens: issue files, a local feed and a few
saved articles.

`build_demo_library` makes a fresh copy of it in a folder of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reader.core.errors import ReaderError
from reader.core.library import Library
from reader.core.model import Article, Item

# The demo files are package data beside this module. The importer walks real
# folders, so they are used where they are installed rather than through a
# Traversable; a plain (non-zipped) install always puts them on disk.
DEMO_DIR = Path(__file__).resolve().parent
DEMO_ISSUES = DEMO_DIR / "issues"
DEMO_FEED = DEMO_DIR / "feed" / "weekly.atom"
DEMO_ARTICLES = DEMO_DIR / "articles"

MARKER_NAME = ".reader-demo"
DATABASE_NAME = "library.sqlite3"

# Triage that makes the demo look used, so every view has something on first
# start: the oldest issues of two newsletters read, one issue half read, a few
# stars and a few items saved for later. Positions count items in reading order.
READ_ISSUES = ("terminal-weekly-041.md", "slow-signals-017.md")
HALF_READ_ISSUE = "chengshi-weekly-088.md"
STARRED_ITEMS = (
    ("terminal-weekly-041.md", 5),
    ("slow-signals-018.md", 0),
    ("chengshi-weekly-089.md", 2),
    ("the-margin-011.md", 7),
)
LATER_ITEMS = (
    ("terminal-weekly-042.md", 6),
    ("slow-signals-018.md", 7),
    ("chengshi-weekly-089.md", 8),
    ("the-margin-012.md", 0),
)
# Source pages saved for offline reading, so `f` shows an article and search finds its
# words without a network: (issue file, item title, article file, when it was "fetched").
# Each file is Markdown starting with its `# title`, as a real save stores it.
SAVED_ARTICLES = (
    (
        "slow-signals-017.md",
        "A city that listens to its drains",
        "listening-to-the-drains.md",
        datetime(2026, 10, 23, 18, 40, tzinfo=UTC),
    ),
    (
        "chengshi-weekly-090.md",
        "走进一条综合管廊",
        "utility-tunnel-walk.md",
        datetime(2026, 10, 31, 10, 5, tzinfo=UTC),
    ),
)


def build_demo_library(home: Path) -> Path:
    """Make a fresh demo library in `home`, replacing an earlier demo there; returns `home`."""
    home = Path(home)
    _clear_previous_demo(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER_NAME).write_text(
        "A demo library made by `reader demo`. It is deleted and rebuilt on every run.\n",
        encoding="utf-8",
    )
    with Library(home / DATABASE_NAME) as library:
        library.import_paths([DEMO_ISSUES])
        _add_demo_feed(library)
        items_of = _items_of_files(library)
        _triage_some_items(library, items_of)
        _save_some_articles(library, items_of)
    return home


def _clear_previous_demo(home: Path) -> None:
    if not home.exists():
        return
    if home.is_dir() and not any(home.iterdir()):
        return
    if not (home / MARKER_NAME).is_file():
        # Never delete what `reader demo` did not make: the path may be a user's folder.
        raise ReaderError(
            f"{home} already exists and is not a demo library, so it was left alone; "
            "move it away or choose another folder"
        )
    shutil.rmtree(home)


def _add_demo_feed(library: Library) -> None:
    # Feed sources arrive with the fetcher; until a library can hold them, the
    # demo is its issue files alone.
    if not (hasattr(library, "add_source") and hasattr(library, "refresh")):
        return
    try:
        library.add_source(str(DEMO_FEED))
        library.refresh()
    except ReaderError:
        # The demo still opens on its files; `reader sources` shows the feed's error.
        pass


def _items_of_files(library: Library) -> Callable[[str], list[Item]]:
    """Items of the issue imported from a demo file (by file name), in reading order."""
    issues = {Path(issue.file).name: issue for issue in library.issues(limit=1000) if issue.file}

    def items_of(name: str) -> list[Item]:
        issue = issues.get(name)
        if issue is None:
            return []
        return [item for section in library.issue(issue.id).sections for item in section.items]

    return items_of


def _triage_some_items(library: Library, items_of: Callable[[str], list[Item]]) -> None:
    def pick(choices: tuple[tuple[str, int], ...]) -> list[str]:
        picked = []
        for name, position in choices:
            items = items_of(name)
            if position < len(items):
                picked.append(items[position].id)
        return picked

    for name in READ_ISSUES:
        if items := items_of(name):
            library.mark_read(issue_id=items[0].issue_id)
    half_read = items_of(HALF_READ_ISSUE)
    if half_read:
        library.mark([item.id for item in half_read[: len(half_read) // 2]], read=True)
    if starred := pick(STARRED_ITEMS):
        library.mark(starred, starred=True)
    if later := pick(LATER_ITEMS):
        library.mark(later, later=True)


def _save_some_articles(library: Library, items_of: Callable[[str], list[Item]]) -> None:
    for name, item_title, article_name, fetched_at in SAVED_ARTICLES:
        item = next((item for item in items_of(name) if item.title == item_title), None)
        if item is None or not item.url:
            continue
        markdown = (DEMO_ARTICLES / article_name).read_text(encoding="utf-8")
        title = markdown.partition("\n")[0].removeprefix("# ").strip()
        library.store.store_article(
            Article(item.id, item.url, fetched_at, markdown=markdown.strip(), title=title)
        )
