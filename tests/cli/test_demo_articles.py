"""The demo library's saved articles: on the right items, searchable, and shown by `f` offline.

Builds the demo in a temporary folder, as `reader demo` does; nothing here touches a network.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reader import paths
from reader.config import Settings
from reader.core.articles import SAVED
from reader.core.library import Library
from reader.core.model import Item
from reader.demo import DATABASE_NAME, DEMO_ARTICLES, SAVED_ARTICLES, build_demo_library

# (issue file, item title, article title, a word found only in the article, a phrase of it)
ARTICLES = [
    (
        "slow-signals-017.md",
        "A city that listens to its drains",
        "A year of listening to the drains",
        "suction",
        "Field notes from the stormwater team",
    ),
    (
        "chengshi-weekly-090.md",
        "走进一条综合管廊",
        "走进一条综合管廊",
        "法兰",
        "记者跟随巡检班",
    ),
]
# The same story in another newsletter: saving it copies the saved article, offline.
SAME_STORY = ("terminal-weekly-043.md", "What the drains told us, in code")


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_library(tmp_path_factory.mktemp("demo") / "home") / DATABASE_NAME


def item_of(library: Library, file_name: str, title: str) -> Item:
    """The item titled `title` of the issue imported from the demo file `file_name`."""
    issue = next(
        issue
        for issue in library.issues(limit=1000)
        if issue.file and Path(issue.file).name == file_name
    )
    sections = library.issue(issue.id).sections
    return next(item for section in sections for item in section.items if item.title == title)


def test_the_article_files_ship_beside_the_demo() -> None:
    names = sorted(path.name for path in DEMO_ARTICLES.glob("*.md"))
    assert names == sorted(entry[2] for entry in SAVED_ARTICLES)


@pytest.mark.parametrize(("file_name", "item_title", "article_title", "word", "phrase"), ARTICLES)
def test_each_article_is_saved_on_its_item(
    demo_database: Path, file_name: str, item_title: str, article_title: str, word: str, phrase: str
) -> None:
    with Library(demo_database) as library:
        item = item_of(library, file_name, item_title)
        article = library.article(item.id)
    assert article is not None
    assert article.error is None
    assert article.title == article_title
    assert article.url == item.url
    assert article.markdown is not None
    assert article.markdown.startswith(f"# {article_title}\n")
    assert phrase in article.markdown


def test_only_those_items_have_articles(demo_database: Path) -> None:
    with Library(demo_database) as library:
        saved = {
            (Path(issue.file).name if issue.file else issue.title, article.title)
            for issue in library.issues(limit=1000)
            for article in library.articles_for_issue(issue.id).values()
        }
    assert saved == {(file_name, title) for file_name, _, title, _, _ in ARTICLES}


@pytest.mark.parametrize(("file_name", "item_title", "article_title", "word", "phrase"), ARTICLES)
def test_search_finds_the_item_by_a_word_of_its_article(
    demo_database: Path, file_name: str, item_title: str, article_title: str, word: str, phrase: str
) -> None:
    with Library(demo_database) as library:
        item = item_of(library, file_name, item_title)
        hits = library.search(word)
    assert word.lower() not in f"{item.title}\n{item.body}".lower()
    assert [(hit.item_id, hit.in_article) for hit in hits] == [(item.id, True)]


def test_the_same_story_in_another_issue_saves_without_a_network(tmp_path: Path) -> None:
    database = build_demo_library(tmp_path / "home") / DATABASE_NAME
    with Library(database) as library:
        item = item_of(library, *SAME_STORY)
        assert library.article(item.id) is None
        # Checked first, so that a broken story match fails here rather than fetching.
        assert library.store.article_of_same_story(item.id) is not None
        [outcome] = library.save_articles([item.id])
        article = library.article(item.id)
    assert outcome.status == SAVED
    assert article is not None and article.title == "A year of listening to the drains"


@pytest.fixture
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A READER_HOME holding a fresh demo; the reader pane draws bodies at once."""
    home = build_demo_library(tmp_path / "home")
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("reader.tui.screens.main.READER_DELAY_S", 0)
    return home


@pytest.mark.parametrize(("file_name", "item_title", "article_title", "word", "phrase"), ARTICLES)
async def test_f_shows_the_saved_article_in_the_app(
    app_home: Path,
    file_name: str,
    item_title: str,
    article_title: str,
    word: str,
    phrase: str,
) -> None:
    from textual.widgets import Markdown

    from reader.tui.app import ReaderApp
    from reader.tui.scope import Scope

    database = app_home / DATABASE_NAME
    with Library(database) as library:
        item = item_of(library, file_name, item_title)
    app = ReaderApp(database, settings=Settings(), state_file=app_home / "tui-state.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        source_id = screen.places.source_id(item.issue_id)
        screen.show_scope(Scope("issue", source_id=source_id, issue_id=item.issue_id))
        await pilot.pause()
        assert screen.items.go_to_item(item.id)
        await pilot.pause()
        assert screen.reader.item is not None and screen.reader.item.id == item.id

        def body() -> str:
            return screen.reader.query_one("#item-body", Markdown).source

        assert phrase not in body()
        await pilot.press("f")
        await pilot.pause()
        assert body().startswith(f"# {article_title}")
        assert phrase in body()
        await pilot.press("f")
        await pilot.pause()
        assert phrase not in body()
