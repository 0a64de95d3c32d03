"""The bundled demo library that `reader demo` opens: every file imports and splits well.

Builds the demo in a temporary folder, as `reader demo` does, and reads it back.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest

import reader.demo
from reader.core.errors import ReaderError
from reader.core.library import Library
from reader.core.model import Issue, Item
from reader.demo import (
    DATABASE_NAME,
    DEMO_FEED,
    DEMO_ISSUES,
    MARKER_NAME,
    build_demo_library,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp")

# Per file: the sections and the items its author wrote. An editorial intro or
# a sponsor block may add a section or an item of its own, never more.
EXPECTED = {
    "slow-signals-017.md": (4, 14),
    "slow-signals-018.md": (4, 13),
    "terminal-weekly-041.md": (4, 15),
    "terminal-weekly-042.md": (5, 15),
    "terminal-weekly-043.md": (4, 13),
    "chengshi-weekly-088.md": (4, 11),
    "chengshi-weekly-089.md": (6, 20),
    "chengshi-weekly-090.md": (4, 11),
    "the-margin-011.md": (3, 10),
    "the-margin-012.md": (3, 11),
}
EXTRA_INTRO_ITEMS = 2


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_library(tmp_path_factory.mktemp("demo") / "home")


@pytest.fixture(scope="module")
def demo_issues(demo_home: Path) -> list[Issue]:
    with Library(demo_home / DATABASE_NAME) as library:
        return [library.issue(issue.id) for issue in library.issues(limit=1000)]


def items_of(issue: Issue) -> list[Item]:
    return [item for section in issue.sections for item in section.items]


def file_issues(issues: list[Issue]) -> dict[str, Issue]:
    return {Path(issue.file).name: issue for issue in issues if issue.file}


def test_demo_files_ship_inside_the_package() -> None:
    names = sorted(path.name for path in DEMO_ISSUES.glob("*.md"))
    assert names == sorted(EXPECTED)
    assert DEMO_FEED.is_file()
    assert DEMO_ISSUES.parent == Path(reader.demo.__file__).resolve().parent


def test_every_demo_file_imports_without_problems(tmp_path: Path) -> None:
    with Library(tmp_path / DATABASE_NAME) as library:
        report = library.import_paths([DEMO_ISSUES])
    assert report.problems == []
    assert report.warnings == []
    imported = sorted(Path(issue.file).name for issue in report.imported)
    assert imported == sorted(EXPECTED)
    assert all(issue.is_new for issue in report.imported)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_issue_splits_into_its_sections_and_items(demo_issues: list[Issue], name: str) -> None:
    issue = file_issues(demo_issues)[name]
    sections, items = EXPECTED[name]
    assert issue.title and not issue.title.startswith(Path(name).stem)
    assert issue.date is not None and issue.date.year == 2026
    assert len(issue.sections) >= sections
    assert all(section.items for section in issue.sections)
    assert items <= len(items_of(issue)) <= items + EXTRA_INTRO_ITEMS
    assert all(item.title.strip() for item in items_of(issue))


def test_every_item_has_its_source_link(demo_issues: list[Issue]) -> None:
    # Every item has its source link, except an editorial intro whose only
    # links sit inside its prose: those are not its source, but it keeps them.
    for issue in file_issues(demo_issues).values():
        for position, item in enumerate(items_of(issue)):
            if position == 0 and item.url is None:
                assert item.links, f"{issue.title}: the intro lost its links"
                continue
            assert item.url, f"{issue.title} / {item.title}: no url"
            assert urlsplit(item.url).scheme == "https", item.url
            assert not urlsplit(item.url).path.lower().endswith(IMAGE_SUFFIXES), item.url


def test_the_demo_has_english_and_chinese_issues(demo_issues: list[Issue]) -> None:
    chinese = [issue for issue in demo_issues if CJK.search(issue.title)]
    english = [issue for issue in demo_issues if not CJK.search(issue.title)]
    assert len(chinese) >= 3
    assert len(english) >= 5


def test_square_brackets_in_a_title_are_kept(demo_issues: list[Issue]) -> None:
    titles = [item.title for issue in demo_issues for item in items_of(issue)]
    assert "[RFC] Structured cancellation for the Tide task runner" in titles


def test_bold_lead_lines_are_item_titles(demo_issues: list[Issue]) -> None:
    issue = file_issues(demo_issues)["the-margin-011.md"]
    titles = [item.title for item in items_of(issue)]
    assert titles[:2] == ["A field guide to things that are not there", "The translator's notebook"]


def test_one_story_is_linked_from_two_newsletters(demo_issues: list[Issue]) -> None:
    def without_tracking(url: str) -> str:
        parts = urlsplit(url)
        query = "&".join(
            f"{key}={value}" for key, value in parse_qsl(parts.query) if not key.startswith("utm_")
        )
        return urlunsplit(parts._replace(query=query))

    issues_by_story: dict[str, set[str]] = {}
    for issue in demo_issues:
        for item in items_of(issue):
            if item.url and "utm_source=" in item.url:
                issues_by_story.setdefault(without_tracking(item.url), set()).add(issue.id)
    drains = "https://stormwater.example.org/field-notes/listening-to-the-drains"
    assert len(issues_by_story[drains]) == 2


def test_every_view_has_something(demo_issues: list[Issue]) -> None:
    items = [item for issue in demo_issues for item in items_of(issue)]
    assert any(item.read for item in items)
    assert any(not item.read for item in items)
    assert any(item.starred for item in items)
    assert any(item.later and not item.read for item in items)
    fully_read = [issue for issue in demo_issues if all(i.read for i in items_of(issue))]
    assert len(fully_read) >= 2


# A Markdown link that is not an image (a cover picture is no source).
TEXT_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(https?:")


def test_the_local_feed_is_a_source(demo_home: Path, demo_issues: list[Issue]) -> None:
    if not (hasattr(Library, "add_source") and hasattr(Library, "refresh")):
        pytest.skip("feed sources are not built yet")
    entries = [issue for issue in demo_issues if not issue.file]
    assert len(entries) == 3
    for entry in entries:
        assert len(entry.sections) >= 2, entry.title
        # A blog entry's intro is prose without a link; every linked item has its url.
        linked = [item for item in items_of(entry) if TEXT_LINK.search(item.body) or item.url]
        assert len(linked) >= 5, entry.title
        assert all(item.url for item in linked), entry.title


def test_building_twice_gives_a_fresh_copy(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    build_demo_library(home)
    with Library(home / DATABASE_NAME) as library:
        first = {issue.id: issue.unread for issue in library.issues(limit=1000)}
        for issue_id in first:
            library.mark_read(issue_id=issue_id)
    (home / "stray.txt").write_text("left by the user", encoding="utf-8")

    assert build_demo_library(home) == home

    assert (home / MARKER_NAME).is_file()
    assert not (home / "stray.txt").exists()
    with Library(home / DATABASE_NAME) as library:
        second = {issue.id: issue.unread for issue in library.issues(limit=1000)}
    assert second == first


def test_an_empty_folder_becomes_the_demo(tmp_path: Path) -> None:
    build_demo_library(tmp_path)
    assert (tmp_path / MARKER_NAME).is_file()


def test_a_folder_that_is_not_a_demo_is_left_alone(tmp_path: Path) -> None:
    precious = tmp_path / "notes.md"
    precious.write_text("# my notes\n", encoding="utf-8")
    with pytest.raises(ReaderError, match="not a demo library"):
        build_demo_library(tmp_path)
    assert precious.read_text(encoding="utf-8") == "# my notes\n"


async def test_reader_demo_says_that_the_demo_is_made_afresh(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.tui.app
    from reader.cli import DEMO_NOTICE, main

    started: list[tuple[Path, str | None]] = []
    monkeypatch.setattr(
        reader.tui.app,
        "run_app",
        lambda path, *, notice=None: started.append((path, notice)) or 0,
    )
    assert main(["demo"]) == 0
    ((database, notice),) = started
    assert notice == DEMO_NOTICE and "nothing is kept" in notice
    app = reader.tui.app.ReaderApp(database, notice=notice)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert DEMO_NOTICE in [str(n.message) for n in app._notifications]
