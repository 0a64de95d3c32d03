"""Sections are contiguous in reading order: the flattened items follow the document.

A section's items that come after one of its sub-sections continue it below that sub-section.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reader.core.model import ParsedIssue
from reader.core.split import SECTION_PATH_SEPARATOR, split_markdown
from reader.core.textio import decode_text

_HEADING_LINE = re.compile(r"^#{1,6} +(.+?) *$", re.MULTILINE)
_URL = re.compile(r"https?://[^\s)\]]+")


def _flat_titles(issue: ParsedIssue) -> list[str]:
    return [item.title for section in issue.sections for item in section.items]


def _flat_urls(issue: ParsedIssue) -> list[str]:
    return [item.url for section in issue.sections for item in section.items if item.url]


DIGEST = """\
# Weekly 12

## News

### [Alpha 2.0 released](https://alpha.example/releases/2.0)

Alpha gets a new parser and a faster start.

### Tools

- [Hammer](https://hammer.example/) - a tool that hits things.
- [Saw](https://saw.example/) - a tool that cuts things.

### [Beta 1.4 released](https://beta.example/1.4)

Beta fixes the crash on start.

### [Gamma joins the foundation](https://gamma.example/news)

Gamma moves to a foundation after ten years.

## Events

### [Rust Conf](https://conf.example/)

The conference is in May.
"""


def test_a_parents_items_after_its_sub_section_follow_it() -> None:
    issue = split_markdown(DIGEST)
    in_text = _URL.findall(DIGEST)
    assert _flat_urls(issue) == in_text
    titles = [section.title for section in issue.sections]
    # The parent continues below its sub-section under its own title.
    assert titles == ["News", f"News{SECTION_PATH_SEPARATOR}Tools", "News", "Events"]
    assert [item.title for item in issue.sections[2].items] == [
        "Beta 1.4 released",
        "Gamma joins the foundation",
    ]


def test_a_section_without_trailing_items_is_not_continued() -> None:
    text = DIGEST.replace(DIGEST[DIGEST.index("### [Beta") : DIGEST.index("## Events")], "")
    issue = split_markdown(text)
    assert [section.title for section in issue.sections] == [
        "News",
        f"News{SECTION_PATH_SEPARATOR}Tools",
        "Events",
    ]
    assert _flat_urls(issue) == _URL.findall(text)


def test_seed_001_items_follow_the_document(shared: Path) -> None:
    path = shared / "seeds" / "001_229fd99031045b7d.txt"
    text = decode_text(path.read_bytes())
    issue = split_markdown(text, fallback_title=path.stem, file=path.name)
    # Where each heading item's title stands in the text, in the order the app lists them.
    headings: dict[str, int] = {}
    for match in _HEADING_LINE.finditer(text):
        headings.setdefault(match.group(1), match.start())
    offsets = [headings[title] for title in _flat_titles(issue) if title in headings]
    assert len(offsets) >= 30
    assert offsets == sorted(offsets)
    english = next(title for title in headings if title.startswith("Advancing Large Language"))
    titles = _flat_titles(issue)
    assert titles.index("5.3 Case Studies") < titles.index("6. Limitations and Future Work")
    assert titles.index("2.1 Prompt Learning and Chain-of-Thought") < titles.index("7. Conclusion")
    # The paper's closing parts continue its section after its last sub-section.
    sections = [section.title for section in issue.sections]
    assert sections.count(english) == 2


@pytest.mark.parametrize("level", [1, 2])
def test_an_article_with_parts_reads_in_order(level: int) -> None:
    top, sub, leaf = "#" * level, "#" * (level + 1), "#" * (level + 2)
    text = (
        f"{top} A paper\n\n{sub} Abstract\n\nWe study things.\n\n"
        f"{sub} 1. Introduction\n\nThings matter.\n\n"
        f"{sub} 2. Method\n\n{leaf} 2.1 Data\n\nWe took data.\n\n{leaf} 2.2 Model\n\nWe fit it.\n\n"
        f"{leaf} 2.3 Cost\n\nIt is cheap.\n\n{leaf} 2.4 Risks\n\nFew.\n\n"
        f"{sub} 3. Results\n\n{leaf} 3.1 Speed\n\nIt is fast.\n\n"
        f"{leaf} 3.2 Size\n\nIt is small.\n\n{leaf} 3.3 Errors\n\nThey are rare.\n\n"
        f"{sub} 4. Conclusion\n\nIt works.\n\n{sub} References\n\n[Someone, 2020](https://papers.example/someone-2020)\n\n"
        f"{top} Another paper\n\n{sub} Abstract\n\nMore.\n\n{sub} 1. Method\n\n"
        f"{leaf} 1.1 Setup\n\nSet.\n\n{leaf} 1.2 Runs\n\nRan.\n\n{sub} 2. Conclusion\n\nDone.\n"
    )
    issue = split_markdown(text)
    in_text = [
        match.group(1)
        for match in _HEADING_LINE.finditer(text)
        if match.group(1) in set(_flat_titles(issue))
    ]
    assert _flat_titles(issue) == in_text
    assert "4. Conclusion" in in_text and "2.2 Model" in in_text
    # The parts are sections, and each paper's closing items follow its last part.
    assert [section.title for section in issue.sections].count("A paper") == 2
