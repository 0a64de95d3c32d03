"""Nonsense dates from feeds and files: never a crash, and `reader issues` stays in order.

Dated issues come newest first, undated ones after them; a date that cannot be
true (year 0, year 99999, the 30th of February, far before 1970) counts as none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from html import escape
from pathlib import Path
from typing import Any

from tests.hostile.helpers import assert_terminal_safe, rss

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., Any]

FEED_DATES = [
    "0000-00-00",
    "0000-00-00T00:00:00Z",
    "99999-12-31T00:00:00Z",
    "Fri, 31 Dec 99999 23:59:59 GMT",
    "9999-12-31T23:59:59-23:59",  # past the end of time once made UTC
    "0001-01-01T00:00:00+14:00",  # before the start of time once made UTC
    "-0001-01-01T00:00:00Z",
    "-1",
    "-62135596800",
    "1e400",
    "2025-02-30T10:00:00Z",
    "2025-13-01",
    "2016-12-31T23:59:60Z",
    "Sat, 01 Mar 2025 10:00:00 CST",
    "2025-03-01T10:00:00 CST",
    "Sat, 01 Mar 2025 10:00:00 EST5EDT",
    "Mon, 32 Foo 2025 99:99:99 +9999",
    "",
    "   ",
    "x" * 10_000,
    "2025-03-0" + "1" * 5000,
]
JSON_DATES: list[Any] = [-5, -1e18, 1e20, 1e400, float("nan"), True, None, [2025, 3, 1], {"y": 1}]
FRONT_MATTER_DATES = [
    "0000-00-00",
    "99999-12-31",
    "-1",
    "2025-02-30",
    "1e99",
    "[2025, 3, 1]",
    "{a: 1}",
    "2025/02/28/ 20:00:00",
    "2025-03-01 10:00:00 CST",
    "Sat, 01 Mar 2025 10:00:00 CST",
    "!!timestamp 2025-03-01",
    "'9999-12-31T23:59:59-23:59'",
]


MAIL_DATES = [
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 01 Jan 0001 00:00:00 +1400",
    "Sat, 01 Mar 2025 10:00:00 CST",
    "99999",
    "-1",
]


def as_utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def assert_sensibly_ordered(issues: list[dict[str, Any]]) -> None:
    dates = [issue["date"] for issue in issues]
    first_undated = next((index for index, date in enumerate(dates) if date is None), len(dates))
    assert all(date is None for date in dates[first_undated:]), dates
    dated = [as_utc(date) for date in dates[:first_undated]]
    assert dated == sorted(dated, reverse=True), dates
    for when in dated:
        assert 1970 <= when.year <= 9000, when


def test_feed_dates_never_crash_and_sort_sensibly(
    run_cli: RunCli, run_json: RunJson, tmp_path: Path
) -> None:
    entries = [
        {
            "title": f"rss {index}",
            "guid": f"rss-{index}",
            "pubDate": escape(value),
            "description": "x",
        }
        for index, value in enumerate(FEED_DATES)
    ]
    entries += [
        {"title": "rss known", "guid": "known", "pubDate": "Sat, 01 Mar 2025 10:00:00 GMT"},
        {"title": "rss undated", "guid": "undated"},
        {"title": "rss newer", "guid": "newer", "pubDate": "Sun, 02 Mar 2025 10:00:00 +0000"},
    ]
    feed = tmp_path / "dates.rss"
    feed.write_bytes(rss("Dates", entries))
    items = [
        {
            "id": f"json-{index}",
            "title": f"json {index}",
            "date_published": value,
            "content_text": "x",
        }
        for index, value in enumerate(JSON_DATES + FEED_DATES)
    ]
    items.append(
        {"id": "json-mod", "title": "json modified", "date_modified": "2024-01-01T00:00:00Z"}
    )
    json_feed = tmp_path / "dates.json"
    json_feed.write_text(
        json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})
    )
    atom = tmp_path / "dates.atom"
    atom.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        + "".join(
            f"<entry><id>atom-{index}</id><title>atom {index}</title><updated>{escape(value)}</updated>"
            f"<published>{escape(value)}</published></entry>"
            for index, value in enumerate(FEED_DATES)
        )
        + "</feed>"
    )
    for path in (feed, json_feed, atom):
        code, out, err = run_cli("add", str(path))
        assert code == 0, err
        assert_terminal_safe(out + err)
    code, out, err = run_cli("refresh", "--force")
    assert code == 0, err

    issues = run_json("issues", "--limit", "1000")["issues"]
    assert len(issues) == len(entries) + len(items) + len(FEED_DATES)
    assert_sensibly_ordered(issues)
    by_title = {issue["title"]: issue["date"] for issue in issues}
    assert by_title["rss newer"] == "2025-03-02T10:00:00+00:00"
    assert as_utc(by_title["rss known"]) == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert by_title["rss undated"] is None
    # CST is read as one of its meanings (US Central or China), within a day.
    cst = by_title[f"rss {FEED_DATES.index('Sat, 01 Mar 2025 10:00:00 CST')}"]
    assert cst is None or abs((as_utc(cst) - datetime(2025, 3, 1, 10, tzinfo=UTC)).days) <= 1
    for index, value in enumerate(FEED_DATES):
        if value.startswith(("0000", "99999", "-", "1e", "Mon, 32")) or "99999" in value:
            assert by_title[f"rss {index}"] is None, (value, by_title[f"rss {index}"])
    code, out, err = run_cli("issues", "--limit", "1000")
    assert code == 0 and len(out.splitlines()) == len(issues), err


def test_file_and_mail_dates_never_crash_import(
    run_cli: RunCli, run_json: RunJson, tmp_path: Path
) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    for index, value in enumerate(FRONT_MATTER_DATES):
        (folder / f"issue-{index:02d}.md").write_text(
            f"---\ntitle: Issue {index}\ndate: {value}\n---\n\n## News\n\n"
            f"#### [Item {index}](https://example.com/{index})\n\nText.\n"
        )
    (folder / "undated.md").write_text(
        "# Undated issue\n\n#### [Item](https://example.com/u)\n\nText.\n"
    )
    (folder / "dated.md").write_text(
        "---\ntitle: Dated issue\ndate: 2025-03-07\n---\n\n#### [Item](https://example.com/d)\n\nText.\n"
    )
    (folder / "in-name-2025-03-08.md").write_text(
        "# Named\n\n#### [Item](https://example.com/n)\n\nT.\n"
    )
    for index, value in enumerate(MAIL_DATES):
        (folder / f"mail-{index}.eml").write_text(
            f"From: a@example.com\nSubject: Mail {index}\nDate: {value}\n\nA letter.\n"
        )
    code, out, err = run_cli("import", str(folder))
    assert code == 0, err
    assert_terminal_safe(out + err)
    assert f"imported {len(FRONT_MATTER_DATES) + len(MAIL_DATES) + 3} issues" in out
    issues = run_json("issues", "--limit", "1000")["issues"]
    assert_sensibly_ordered(issues)
    by_title = {issue["title"]: issue["date"] for issue in issues}
    assert by_title["Dated issue"].startswith("2025-03-07")
    assert by_title["Undated issue"] is None
    assert by_title["Mail 0"] is None
    for index, value in enumerate(FRONT_MATTER_DATES):
        if value in ("0000-00-00", "99999-12-31", "-1", "2025-02-30", "1e99"):
            assert by_title[f"Issue {index}"] is None, (value, by_title[f"Issue {index}"])


def test_the_store_takes_any_date_a_parser_hands_it(home: Path) -> None:
    from reader import paths
    from reader.core.library import Library
    from reader.core.model import ParsedIssue, ParsedItem, ParsedSection

    edge = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59)))
    with Library(paths.database_path()) as library:
        library.store_parsed(
            library.imports_source_id(),
            ParsedIssue(
                title="Edge",
                date=edge,
                url=None,
                sections=(ParsedSection("", (ParsedItem("Item", None, "Body"),)),),
            ),
        )
        assert [issue.title for issue in library.issues()] == ["Edge"]
