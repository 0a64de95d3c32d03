"""Tests of front matter parsing (YAML, TOML, Pelican headers) and of tolerant dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from reader.core.frontmatter import parse_date, parse_front_matter


def test_yaml_front_matter_keeps_odd_dates_as_text() -> None:
    meta, rest = parse_front_matter(
        "---\nlayout: post\ntitle: L1 标题\ndate: 2025/02/28/ 20:00:00\ntags:\n  - a\n---\n# Body\n"
    )
    assert meta == {
        "layout": "post",
        "title": "L1 标题",
        "date": "2025/02/28/ 20:00:00",
        "tags": ["a"],
    }
    assert rest == "# Body\n"


def test_yaml_dates_are_not_parsed_or_shifted_by_yaml() -> None:
    meta, _rest = parse_front_matter("---\ndate: 2020-12-02 10:00:00+08:00\nday: 0000-00-00\n---\n")
    assert meta["date"] == "2020-12-02 10:00:00+08:00"
    assert meta["day"] == "0000-00-00"


def test_invalid_yaml_still_yields_its_key_lines() -> None:
    meta, rest = parse_front_matter("---\ntitle: Part 1: The Start\ndate: 2024-01-01\n---\ntext")
    assert meta == {"title": "Part 1: The Start", "date": "2024-01-01"}
    assert rest == "text"


def test_toml_front_matter() -> None:
    meta, rest = parse_front_matter('+++\ntitle = "T"\ndate = 2023-11-05T18:00:00Z\n+++\n\nBody')
    assert meta["title"] == "T"
    assert meta["date"] == datetime(2023, 11, 5, 18, 0, tzinfo=UTC)
    assert rest == "\nBody"


def test_invalid_toml_still_yields_its_key_lines() -> None:
    meta, _rest = parse_front_matter('+++\ntitle = "Broken\ndate = "2024-01-01"\n+++\n')
    assert meta["date"] == "2024-01-01"


def test_pelican_header_ends_at_the_first_blank_line() -> None:
    meta, rest = parse_front_matter(
        "Title: This Week in Rust 1\nNumber: 1\nDate: 2013-06-07 18:46\nCategory: This Week in Rust\n\nHello: world\n"
    )
    assert meta == {
        "title": "This Week in Rust 1",
        "number": "1",
        "date": "2013-06-07 18:46",
        "category": "This Week in Rust",
    }
    assert rest == "Hello: world\n"


@pytest.mark.parametrize(
    "text",
    [
        "Just a paragraph.\n\n---\nnot: front matter",
        "Note: this starts with a colon line\nand goes on as prose.\n",
        "---\nA setext heading, not metadata\n---\n",
        "---\ntitle: never closed\n",
        "---\n\nNote: a rule, then prose.\n\n---\n\nMore.\n",
        "---\nA line of prose: with a colon, and: more: colons\nthat goes on here\n---\n",
    ],
)
def test_text_without_front_matter_is_returned_whole(text: str) -> None:
    assert parse_front_matter(text) == ({}, text)


def test_bom_before_front_matter_is_ignored() -> None:
    meta, rest = parse_front_matter("\ufeff---\ntitle: X\n---\nbody")
    assert meta == {"title": "X"}
    assert rest == "body"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025/02/28/ 20:00:00", datetime(2025, 2, 28, 20, 0)),
        ("2020-12-2", datetime(2020, 12, 2)),
        ("2013-06-07 12:00", datetime(2013, 6, 7, 12, 0)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (
            "2024-01-02T03:04:05.250+08:00",
            datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=timezone(timedelta(hours=8))),
        ),
        (
            "2024-01-02 10:00 -0500",
            datetime(2024, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("Tue, 10 Jun 2003 04:00:00 GMT", datetime(2003, 6, 10, 4, 0, tzinfo=UTC)),
        (
            "Tue, 10 Jun 2003 04:00:00 +0200",
            datetime(2003, 6, 10, 4, 0, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2025年2月28日", datetime(2025, 2, 28)),
        ("2025年2月28日 20:30", datetime(2025, 2, 28, 20, 30)),
        ("June 7, 2013", datetime(2013, 6, 7)),
        (date(2020, 1, 31), datetime(2020, 1, 31)),
        (datetime(2020, 1, 31, 5, 6), datetime(2020, 1, 31, 5, 6)),
    ],
)
def test_parse_date_understands(value: object, expected: datetime) -> None:
    found = parse_date(value)
    assert found == expected
    assert (found.tzinfo is None) == (expected.tzinfo is None)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    [
        "0000-00-00",
        "99999-01-01",
        "2024-02-30",
        "2024-13-01",
        "0001-01-01",
        "yesterday",
        "",
        None,
        20240101,
        "2024-01-01 25:00",
    ],
)
def test_parse_date_refuses(value: object) -> None:
    assert parse_date(value) is None


def test_parse_date_keeps_the_zone_as_written() -> None:
    found = parse_date("2024-06-01T23:30:00+09:00")
    assert found is not None
    assert found.hour == 23
    assert found.utcoffset() == timedelta(hours=9)
