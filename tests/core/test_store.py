"""The store: sources, upserting issues with stable ids, reading in order, triage flags.

Every test uses a real SQLite file under tmp_path.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reader.core.errors import NotFoundError, StoreError
from reader.core.model import Item, ParsedIssue, ParsedItem, ParsedSection
from reader.core.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "library.sqlite") as opened:
        yield opened


def parsed_item(title: str, url: str | None = None, body: str | None = None) -> ParsedItem:
    return ParsedItem(title, url, body if body is not None else f"About {title}.")


def parsed_issue(
    title: str,
    date: datetime | None,
    *sections: tuple[str, list[ParsedItem]],
    file: str | None = None,
    key: str | None = None,
) -> ParsedIssue:
    return ParsedIssue(
        title,
        date,
        None,
        tuple(ParsedSection(name, tuple(items)) for name, items in sections),
        file=file,
        key=key,
    )


def weekly(number: int, date: datetime | None = None) -> ParsedIssue:
    """A two-section issue with five items whose urls are unique to the issue."""
    base = f"https://example.com/{number}"
    return parsed_issue(
        f"Weekly {number}",
        date if date is not None else datetime(2025, 1, 1) + timedelta(days=7 * number),
        ("News", [parsed_item(f"News {i}", f"{base}/news/{i}") for i in range(3)]),
        ("Tools", [parsed_item(f"Tool {i}", f"{base}/tools/{i}") for i in range(2)]),
    )


def titles(items: list[Item]) -> list[str]:
    return [item.title for item in items]


# --- sources ---------------------------------------------------------------------


def test_ensure_source_returns_the_existing_id_for_a_known_url(store: Store) -> None:
    first = store.ensure_source("feed", "https://example.com/feed", "Example")
    again = store.ensure_source("feed", "https://example.com/feed", "Other title")
    other = store.ensure_source("folder", "/home/me/issues", "Issues")
    assert first == again != other
    assert store.source(first).title == "Example"
    assert store.source_by_url("https://example.com/feed") == store.source(first)
    assert store.source_by_url("https://nowhere.example") is None
    assert [source.id for source in store.sources()] == [first, other]


def test_unknown_source_kind_is_a_bug(store: Store) -> None:
    with pytest.raises(ValueError):
        store.ensure_source("gopher", "gopher://x", "X")


def test_update_source_stores_fetch_state(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://example.com/feed", "Example")
    refreshed = datetime(2025, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=8)))
    store.update_source(
        source_id,
        status="error",
        error="HTTP 503",
        last_refresh=refreshed,
        next_due=refreshed + timedelta(hours=1),
        etag='"abc"',
        last_modified="Sat, 01 Mar 2025 04:30:00 GMT",
        interval_s=3600,
        tags=["rust", "weekly"],
        settings={"full_text": True},
        title="Example Weekly",
    )
    source = store.source(source_id)
    assert (source.status, source.error, source.title) == ("error", "HTTP 503", "Example Weekly")
    assert source.last_refresh == refreshed
    assert source.last_refresh is not None and source.last_refresh.tzinfo is not None
    assert source.next_due == refreshed + timedelta(hours=1)
    assert (source.etag, source.last_modified, source.interval_s) == (
        '"abc"',
        "Sat, 01 Mar 2025 04:30:00 GMT",
        3600,
    )
    assert source.tags == ("rust", "weekly")
    assert source.settings == {"full_text": True}

    store.update_source(source_id, title_override="My name for it", error=None, status="ok")
    source = store.source(source_id)
    assert (source.title, source.title_override, source.error) == (
        "My name for it",
        "My name for it",
        None,
    )


def test_update_source_refuses_unknown_fields_and_taken_urls(store: Store) -> None:
    first = store.ensure_source("feed", "https://a.example/feed", "A")
    store.ensure_source("feed", "https://b.example/feed", "B")
    with pytest.raises(ValueError):
        store.update_source(first, colour="red")
    with pytest.raises(StoreError, match="another source"):
        store.update_source(first, url="https://b.example/feed")
    with pytest.raises(NotFoundError):
        store.update_source(999, status="ok")
    store.update_source(first, url="https://a.example/moved")
    assert store.source(first).url == "https://a.example/moved"


def test_sources_count_issues_and_unread_items(store: Store) -> None:
    first = store.ensure_source("feed", "https://a.example/feed", "A")
    second = store.ensure_source("feed", "https://b.example/feed", "B")
    store.upsert_issues(first, [weekly(1), weekly(2)])
    store.upsert_issue(second, weekly(3))
    store.mark_read(issue_id=store.issues(first)[0].id)
    counts = {source.id: (source.issues, source.unread) for source in store.sources()}
    assert counts == {first: (2, 5), second: (1, 5)}
    assert (store.source(first).issues, store.source(first).unread) == (2, 5)


def test_remove_source_keeps_only_issues_with_starred_or_later_items(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    other = store.ensure_source("feed", "https://b.example/feed", "B")
    results = store.upsert_issues(source_id, [weekly(1), weekly(2), weekly(3)])
    store.upsert_issue(other, weekly(4))
    starred_item = store.issue(results[0].issue_id).sections[0].items[0]
    later_item = store.issue(results[1].issue_id).sections[1].items[1]
    store.set_flags([starred_item.id], starred=True)
    store.set_flags([later_item.id], later=True)

    assert store.remove_source(source_id) == 2

    with pytest.raises(NotFoundError):
        store.source(source_id)
    kept = {issue.id: issue for issue in store.issues()}
    assert set(kept) == {results[0].issue_id, results[1].issue_id, store.issues(other)[0].id}
    assert kept[results[0].issue_id].source_id is None
    assert store.item(starred_item.id).starred
    with pytest.raises(NotFoundError):
        store.issue(results[2].issue_id)
    with pytest.raises(NotFoundError):
        store.remove_source(source_id)


# --- upserting issues ---------------------------------------------------------------


def test_upserting_the_same_issue_twice_stores_it_once(store: Store) -> None:
    source_id = store.ensure_source("file", "/issues/weekly-1.md", "Weekly")
    first = store.upsert_issue(source_id, weekly(1))
    second = store.upsert_issue(source_id, weekly(1))
    assert (first.is_new_issue, first.new_items, first.changed) == (True, 5, True)
    assert (second.is_new_issue, second.new_items, second.changed) == (False, 0, False)
    assert first.issue_id == second.issue_id
    assert len(store.issues()) == 1
    assert store.count_items() == 5
    assert [section.title for section in store.issue(first.issue_id).sections] == ["News", "Tools"]


def test_unchanged_reimport_writes_nothing(store: Store) -> None:
    source_id = store.ensure_source("file", "/issues", "Issues")
    store.upsert_issue(source_id, weekly(1))
    changes_before = store._connection.total_changes
    assert not store.upsert_issue(source_id, weekly(1)).changed
    assert store._connection.total_changes == changes_before


def test_issue_key_comes_from_the_parser_or_from_title_and_date(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    item = [parsed_item("Only", "https://a.example/1")]
    keyed = store.upsert_issue(source_id, parsed_issue("Old title", None, ("", item), key="e1"))
    retitled = store.upsert_issue(source_id, parsed_issue("New title", None, ("", item), key="e1"))
    assert keyed.issue_id == retitled.issue_id and retitled.changed
    assert store.issue(keyed.issue_id).title == "New title"

    date = datetime(2025, 2, 28, 20, 0)
    plain = store.upsert_issue(source_id, parsed_issue("Weekly  ONE", date, ("", item)))
    same = store.upsert_issue(source_id, parsed_issue("weekly one", date, ("", item)))
    later = store.upsert_issue(
        source_id, parsed_issue("weekly one", date + timedelta(days=7), ("", item))
    )
    assert plain.issue_id == same.issue_id != later.issue_id


def test_changed_version_keeps_item_ids_and_flags(store: Store) -> None:
    source_id = store.ensure_source("folder", "/issues", "Issues")
    date = datetime(2025, 3, 7, 9, 0)
    original = parsed_issue(
        "Weekly 9",
        date,
        (
            "News",
            [
                parsed_item("Alpha", "https://a.example/alpha"),
                parsed_item("Beta", None, "Beta has no link."),
                parsed_item("Gamma", "https://a.example/gamma"),
            ],
        ),
        ("Tools", [parsed_item("Delta", "https://a.example/delta")]),
        file="/issues/old/weekly-9.md",
    )
    issue_id = store.upsert_issue(source_id, original).issue_id
    before = {
        item.title: item for section in store.issue(issue_id).sections for item in section.items
    }
    store.set_flags([before["Alpha"].id], read=True)
    store.set_flags([before["Beta"].id], starred=True)
    store.set_flags([before["Gamma"].id], later=True, read=True)

    # Reordered, one item inserted, Gamma retitled (same url), Beta reworded (same title),
    # Delta moved to the other section; the file now lives elsewhere.
    edited = parsed_issue(
        "Weekly 9",
        date,
        (
            "News",
            [
                parsed_item("Gamma, now with a better title", "https://a.example/gamma"),
                parsed_item("Inserted", "https://a.example/new"),
                parsed_item("Alpha", "https://a.example/alpha", "Alpha, rewritten."),
                parsed_item("Delta", "https://a.example/delta"),
            ],
        ),
        ("Tools", [parsed_item("beta", None, "Beta, reworded.")]),
        file="/issues/new/weekly-9.md",
    )
    result = store.upsert_issue(source_id, edited)
    assert (result.issue_id, result.is_new_issue, result.new_items, result.changed) == (
        issue_id,
        False,
        1,
        True,
    )

    issue = store.issue(issue_id)
    assert issue.file == "/issues/new/weekly-9.md"
    assert [[item.title for item in section.items] for section in issue.sections] == [
        ["Gamma, now with a better title", "Inserted", "Alpha", "Delta"],
        ["beta"],
    ]
    after = {item.title: item for section in issue.sections for item in section.items}
    assert after["Gamma, now with a better title"].id == before["Gamma"].id
    assert after["Alpha"].id == before["Alpha"].id
    assert after["Alpha"].body == "Alpha, rewritten."
    assert after["beta"].id == before["Beta"].id
    assert after["Delta"].id == before["Delta"].id
    assert after["Delta"].section_id == issue.sections[0].id
    assert after["Inserted"].id not in {item.id for item in before.values()}
    flags = {title: (item.read, item.starred, item.later) for title, item in after.items()}
    assert flags == {
        "Gamma, now with a better title": (True, False, True),
        "Inserted": (False, False, False),
        "Alpha": (True, False, False),
        "Delta": (False, False, False),
        "beta": (False, True, False),
    }
    assert len(store.issues()) == 1
    assert store.count_items() == 5


def test_dropped_items_go_unless_starred_or_later(store: Store) -> None:
    source_id = store.ensure_source("folder", "/issues", "Issues")
    date = datetime(2025, 3, 7)
    issue_id = store.upsert_issue(
        source_id,
        parsed_issue(
            "Weekly",
            date,
            ("News", [parsed_item(name, f"https://a.example/{name}") for name in "ABCD"]),
            ("Extras", [parsed_item("E", "https://a.example/E")]),
        ),
    ).issue_id
    ids = {item.title: item.id for item in store.items_page(issue_id=issue_id)}
    store.set_flags([ids["B"]], starred=True)
    store.set_flags([ids["E"]], later=True)

    result = store.upsert_issue(
        source_id,
        parsed_issue("Weekly", date, ("News", [parsed_item("A", "https://a.example/A")])),
    )
    assert result.changed and result.new_items == 0
    issue = store.issue(issue_id)
    # B stays, appended to its section; E keeps its (otherwise vanished) section.
    assert [
        (section.title, [item.title for item in section.items]) for section in issue.sections
    ] == [
        ("News", ["A", "B"]),
        ("Extras", ["E"]),
    ]
    assert [item.id for item in store.items_page(issue_id=issue_id)] == [
        ids["A"],
        ids["B"],
        ids["E"],
    ]
    with pytest.raises(NotFoundError):
        store.item(ids["C"])


def test_items_with_the_same_url_or_title_get_distinct_stable_ids(store: Store) -> None:
    source_id = store.ensure_source("folder", "/issues", "Issues")
    home = "https://a.example/"
    issue = parsed_issue(
        "Links",
        None,
        ("", [parsed_item("One", home), parsed_item("Two", home), parsed_item("Two", None, "x")]),
        ("", [parsed_item("", None, "Only a body."), parsed_item("", None, "Only a body.")]),
    )
    first = store.upsert_issue(source_id, issue)
    ids = [item.id for item in store.items_page(issue_id=first.issue_id)]
    assert len(set(ids)) == 5
    assert not store.upsert_issue(source_id, issue).changed
    assert [item.id for item in store.items_page(issue_id=first.issue_id)] == ids


def test_same_issue_twice_in_one_batch_is_stored_once(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    results = store.upsert_issues(source_id, [weekly(1), weekly(2), weekly(1)])
    assert [result.is_new_issue for result in results] == [True, True, False]
    assert not results[2].changed
    assert store.count_items() == 10


def test_failed_batch_writes_nothing(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")

    def issues() -> Iterator[ParsedIssue]:
        yield weekly(1)
        raise RuntimeError("parser crashed")

    with pytest.raises(RuntimeError):
        store.upsert_issues(source_id, issues())
    assert store.issues() == []
    assert store.count_items() == 0
    store.upsert_issue(source_id, weekly(1))
    assert store.count_items() == 5


def test_dates_keep_their_zone_and_order_issues_newest_first(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    naive = datetime(2025, 2, 28, 20, 0)
    aware = datetime(2025, 3, 1, 6, 0, tzinfo=timezone(timedelta(hours=8)))  # 2025-02-28 22:00Z
    store.upsert_issues(
        source_id,
        [
            parsed_issue("Undated A", None, ("", [parsed_item("a")])),
            parsed_issue("Naive", naive, ("", [parsed_item("n")])),
            parsed_issue("Undated B", None, ("", [parsed_item("b")])),
            parsed_issue("Aware", aware, ("", [parsed_item("z")])),
            parsed_issue("Oldest", datetime(2024, 1, 1, tzinfo=UTC), ("", [parsed_item("o")])),
        ],
    )
    listed = store.issues()
    assert [issue.title for issue in listed] == [
        "Aware",
        "Naive",
        "Oldest",
        "Undated A",
        "Undated B",
    ]
    by_title = {issue.title: issue for issue in listed}
    assert by_title["Naive"].date == naive and by_title["Naive"].date.tzinfo is None
    assert by_title["Aware"].date == aware and by_title["Aware"].date.utcoffset() == timedelta(
        hours=8
    )
    assert by_title["Undated A"].date is None
    assert [issue.title for issue in store.issues(limit=2, offset=1)] == ["Naive", "Oldest"]


def test_issue_listing_counts_and_filters(store: Store) -> None:
    first = store.ensure_source("feed", "https://a.example/feed", "Source A")
    second = store.ensure_source("feed", "https://b.example/feed", "Source B")
    one, two = store.upsert_issues(first, [weekly(1), weekly(2)])
    store.upsert_issue(second, weekly(3))
    store.mark_read(issue_id=one.issue_id)
    items = store.items_page(issue_id=two.issue_id)
    store.set_flags([items[0].id, items[1].id], read=True)

    listed = {issue.id: issue for issue in store.issues(first)}
    assert (listed[one.issue_id].items, listed[one.issue_id].unread) == (5, 0)
    assert (listed[two.issue_id].items, listed[two.issue_id].unread) == (5, 3)
    assert listed[one.issue_id].source_title == "Source A"
    assert listed[one.issue_id].sections == ()
    assert [issue.id for issue in store.issues(first, unread_only=True)] == [two.issue_id]
    assert len(store.issues()) == 3


def test_full_issue_has_sections_and_items_in_order(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    issue_id = store.upsert_issue(source_id, weekly(1)).issue_id
    issue = store.issue(issue_id)
    assert issue.title == "Weekly 1" and issue.source_title == "A"
    assert (issue.items, issue.unread) == (5, 5)
    assert [section.title for section in issue.sections] == ["News", "Tools"]
    assert [item.title for item in issue.sections[0].items] == ["News 0", "News 1", "News 2"]
    assert all(item.section_id == issue.sections[1].id for item in issue.sections[1].items)
    assert store.item(issue.sections[1].items[0].id) == issue.sections[1].items[0]
    with pytest.raises(NotFoundError):
        store.issue("0000000000000000")
    with pytest.raises(NotFoundError):
        store.item("0000000000000000")


def test_items_keep_their_links(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    item = ParsedItem(
        "Linked", "https://a.example/1", "Body", ("https://a.example/1", "https://b.example/2")
    )
    issue_id = store.upsert_issue(source_id, parsed_issue("I", None, ("", [item]))).issue_id
    assert store.items_page(issue_id=issue_id)[0].links == item.links


def test_resolving_ids_by_prefix(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    results = store.upsert_issues(source_id, [weekly(number) for number in range(40)])
    issue_id = results[0].issue_id
    assert store.resolve_issue(issue_id) == issue_id
    assert store.resolve_issue(issue_id[:10].upper()) == issue_id
    with pytest.raises(NotFoundError, match="no issue id starts with"):
        store.resolve_issue("zzzz")
    with pytest.raises(NotFoundError, match="several issue ids"):
        store.resolve_issue(issue_id[:1])  # 40 issues: some share a first hex digit
    with pytest.raises(NotFoundError):
        store.resolve_issue("   ")
    item_id = store.items_page(issue_id=issue_id)[0].id
    assert store.resolve_item(item_id[:12]) == item_id
    with pytest.raises(NotFoundError, match="item"):
        store.resolve_item("xyz")


# --- reading pages ----------------------------------------------------------------------


def test_items_page_reads_newest_issue_first_in_position_order(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    store.upsert_issues(source_id, [weekly(1), weekly(3), weekly(2)])
    everything = store.items_page()
    assert [item.issue_id for item in everything[::5]] == [issue.id for issue in store.issues()]
    assert titles(everything[:5]) == ["News 0", "News 1", "News 2", "Tool 0", "Tool 1"]
    assert "/3/" in (everything[0].url or "")
    assert store.items_page(offset=3, limit=4) == everything[3:7]
    assert store.count_items() == 15


def test_items_page_views_filters_and_counts(store: Store) -> None:
    first = store.ensure_source("feed", "https://a.example/feed", "A")
    second = store.ensure_source("feed", "https://b.example/feed", "B")
    newer, older = store.upsert_issues(first, [weekly(2), weekly(1)])
    store.upsert_issue(second, weekly(0))
    newer_items = store.items_page(issue_id=newer.issue_id)
    older_items = store.items_page(issue_id=older.issue_id)
    store.set_flags([newer_items[0].id, older_items[4].id], starred=True)
    store.set_flags([older_items[1].id], later=True)
    store.set_flags([item.id for item in newer_items[:4]], read=True)

    starred = store.items_page(view="starred")
    assert [item.id for item in starred] == [newer_items[0].id, older_items[4].id]
    assert [item.id for item in store.items_page(view="later")] == [older_items[1].id]
    unread = store.items_page(source_id=first, view="unread")
    assert [item.id for item in unread] == [newer_items[4].id] + [item.id for item in older_items]
    assert store.count_items(source_id=first, view="unread") == 6
    assert store.count_items(view="unread") == 11
    assert store.count_items(view="starred") == 2

    tools = store.issue(older.issue_id).sections[1]
    assert titles(store.items_page(section_id=tools.id)) == ["Tool 0", "Tool 1"]
    assert titles(store.items_page(section_id=tools.id, view="starred")) == ["Tool 1"]
    assert store.count_items(section_id=tools.id) == 2
    assert store.items_page(section_id="missing") == []
    assert len(store.items_page(source_id=second)) == 5
    with pytest.raises(ValueError):
        store.items_page(view="everything")


def test_unread_counts_by_section(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    issue_id = store.upsert_issue(source_id, weekly(1)).issue_id
    news, tools = store.issue(issue_id).sections
    store.mark_read(section_id=tools.id)
    store.set_flags([news.items[0].id], read=True)
    assert store.unread_counts_by_section(issue_id) == {news.id: 2, tools.id: 0}


# --- triage -----------------------------------------------------------------------------


def test_set_flags_returns_previous_states_for_undo(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    issue_id = store.upsert_issue(source_id, weekly(1)).issue_id
    first, second = (item.id for item in store.items_page(issue_id=issue_id)[:2])
    store.set_flags([second], starred=True)

    previous = store.set_flags([first, second], read=True, later=True)
    assert previous == [(first, False, False, False), (second, False, True, False)]
    assert (store.item(first).read, store.item(first).later, store.item(first).starred) == (
        True,
        True,
        False,
    )
    assert (store.item(second).read, store.item(second).starred) == (True, True)
    read_at = store._connection.execute(
        "SELECT read_at FROM items WHERE id = ?", (first,)
    ).fetchone()[0]
    assert read_at is not None

    store.restore_flags(previous)
    assert (store.item(first).read, store.item(first).later) == (False, False)
    assert (store.item(second).read, store.item(second).starred) == (False, True)
    read_at = store._connection.execute(
        "SELECT read_at FROM items WHERE id = ?", (first,)
    ).fetchone()[0]
    assert read_at is None


def test_set_flags_on_an_unknown_item_changes_nothing(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    issue_id = store.upsert_issue(source_id, weekly(1)).issue_id
    known = store.items_page(issue_id=issue_id)[0].id
    with pytest.raises(NotFoundError):
        store.set_flags([known, "0000000000000000"], read=True)
    assert not store.item(known).read


def test_mark_read_by_issue_section_and_source_with_undo(store: Store) -> None:
    first = store.ensure_source("feed", "https://a.example/feed", "A")
    second = store.ensure_source("feed", "https://b.example/feed", "B")
    one, two = store.upsert_issues(first, [weekly(1), weekly(2)])
    store.upsert_issue(second, weekly(3))
    tools = store.issue(one.issue_id).sections[1]

    changed = store.mark_read(section_id=tools.id)
    assert [state[0] for state in changed] == [item.id for item in tools.items]
    assert store.count_items(view="unread") == 13

    changed = store.mark_read(issue_id=one.issue_id)
    assert len(changed) == 3  # the tools were read already
    assert store.issues(first)[1].unread == 0

    changed = store.mark_read(source_id=first)
    assert len(changed) == 5
    assert store.count_items(view="unread") == 5  # the other source is untouched

    store.restore_flags(changed)
    assert store.count_items(source_id=first, view="unread") == 5
    unread_again = store.mark_read(issue_id=two.issue_id, read=False)
    assert unread_again == []
    assert len(store.mark_read(issue_id=one.issue_id, read=False)) == 5


def test_reimport_never_touches_flags_of_existing_items(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    issue_id = store.upsert_issue(source_id, weekly(1)).issue_id
    store.mark_read(issue_id=issue_id)
    first = store.items_page(issue_id=issue_id)[0].id
    store.set_flags([first], starred=True, later=True)
    store.upsert_issue(source_id, weekly(1))
    items = store.items_page(issue_id=issue_id)
    assert all(item.read for item in items)
    assert (items[0].starred, items[0].later) == (True, True)


# --- concurrency ----------------------------------------------------------------------------


def _write_issues(
    path: str,
    name: str,
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[tuple[str, int]],
) -> None:
    with Store(Path(path)) as store:
        source_id = store.ensure_source("feed", f"https://{name}.example/feed", name)
        start.wait()  # both processes begin writing together
        for number in range(40):
            store.upsert_issue(source_id, weekly(number))
            store.mark_read(source_id=source_id)
        results.put((name, store.count_items(source_id=source_id)))


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    Store(path).close()
    # fork: the children inherit this module, which --import-mode=importlib makes
    # unimportable by name. No connection is open here at the fork.
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    results: multiprocessing.Queue[tuple[str, int]] = context.Queue()
    workers = [
        context.Process(target=_write_issues, args=(str(path), name, start, results))
        for name in ("one", "two")
    ]
    for worker in workers:
        worker.start()
    counts = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert counts == {"one": 200, "two": 200}
    with Store(path) as store:
        assert sorted(source.issues for source in store.sources()) == [40, 40]
        assert store.count_items(view="unread") == 0


def test_threads_may_share_a_store(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for number in range(offset, offset + 10):
                store.upsert_issue(source_id, weekly(number))
                store.items_page(view="unread")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count_items() == 100


def test_failed_transaction_rolls_back(store: Store) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_issue(source_id, weekly(1))
        raise RuntimeError("stop")
    assert store.count_items() == 0


# --- query plans ------------------------------------------------------------------------------


def _plans(store: Store, call: Callable[[], object]) -> list[str]:
    """The query plan of every SELECT that `call` runs, one string per statement."""
    statements: list[str] = []
    connection = store._connection
    connection.set_trace_callback(statements.append)  # receives the SQL with values bound
    try:
        call()
    finally:
        connection.set_trace_callback(None)
    return [
        " | ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT")
    ]


@pytest.mark.parametrize("view", ["all", "unread", "starred", "later"])
def test_first_pages_walk_indexes_without_sorting(store: Store, view: str) -> None:
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")
    store.upsert_issues(source_id, [weekly(number) for number in range(3)])
    calls: list[Callable[[], object]] = [
        lambda: store.items_page(view=view),
        lambda: store.items_page(view=view, source_id=source_id),
        lambda: store.items_page(view=view, issue_id=store.issues()[0].id),
        lambda: store.issues(),
        lambda: store.issues(source_id, unread_only=True),
    ]
    for call in calls:
        for plan in _plans(store, call):
            assert "TEMP B-TREE" not in plan, plan
            assert "SCAN it " not in plan + " " and "SCAN items" not in plan, plan
