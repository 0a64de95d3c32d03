"""feeds.py: every format, the shared corpus, encodings, dates, autodiscovery.

Pure tests: bytes in, entries out; no network.
"""

from __future__ import annotations

import ast
import contextlib
import html
import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reader.core.errors import FeedError
from reader.core.feeds import (
    EmptyFeedError,
    FeedEntry,
    ParsedFeed,
    WebPageError,
    _codec_name,
    decode_feed_bytes,
    discover_feeds,
    entry_to_issue,
    parse_feed,
    parse_feed_date,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FEEDS = CORPUS / "feeds"
PARSER_TESTS = CORPUS / "feedparser-tests"


def corpus_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.rglob("*") if path.is_file() and "LICENSE" not in path.name
    )


def corpus_id(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def corpus(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"shared corpus file {relative} not available")
    return path.read_bytes()


def rss(items: str, *, channel: str = "<title>T</title><link>http://example.com/</link>") -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{channel}{items}</channel></rss>'.encode()


# --- the captured real feeds ---------------------------------------------------------

# Files that are not usable feeds, and the error each gives.
DEGENERATE = {
    "newsboat__newsboat/test/data/empty.xml": "empty",
    "rbren__rss-parser/test/input/unrecognized.rss": "web page",
    "Ranchero-Software__RSParser/Tests/RSParserTests/Resources/allthis-partial.json": "cut short",
    "lemon24__reader/tests/data/10.json": "no entries",
    "lemon24__reader/tests/data/unknown.json": "no entries",
    # Encoding snippets: a channel title and no entries.
    "miniflux__v2/internal/reader/encoding/testdata/iso-8859-1.xml": "no entries",
    "miniflux__v2/internal/reader/encoding/testdata/windows-1252.xml": "no entries",
    "miniflux__v2/internal/reader/encoding/testdata/windows-1252-incorrect-prolog.xml": "no entries",
}


@pytest.mark.parametrize("path", corpus_files(FEEDS), ids=corpus_id)
def test_every_captured_feed_parses_or_fails_clearly(path: Path) -> None:
    relative = str(path.relative_to(FEEDS))
    data = path.read_bytes()
    if path.suffix == ".html":
        with pytest.raises(WebPageError, match="this is a web page, not a feed"):
            parse_feed(data)
        return
    if relative in DEGENERATE:
        with pytest.raises(FeedError, match=DEGENERATE[relative]):
            parse_feed(data)
        return
    feed = parse_feed(data, url="https://example.com/feed.xml")
    assert feed.entries
    keys = [entry.key for entry in feed.entries]
    assert len(keys) == len(set(keys))
    for entry in feed.entries:
        assert entry.key
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert "\ufffd" not in entry.title, entry.title


@pytest.mark.parametrize(
    ("relative", "count", "first_title"),
    [
        ("Ranchero-Software__RSParser/Tests/RSParserTests/Resources/DaringFireball.rss", 47, None),
        ("Ranchero-Software__RSParser/Tests/RSParserTests/Resources/allthis.atom", 12, None),
        (
            "miniflux__v2/internal/reader/parser/testdata/encoding_WINDOWS-1251.xml",
            50,
            "Цитата #17703",
        ),
        ("rbren__rss-parser/test/input/encoding.rss", 40, None),
        ("miniflux__v2/internal/reader/parser/testdata/no_encoding_ISO-8859-1.xml", 10, None),
        ("Ranchero-Software__RSParser/Tests/RSParserTests/Resources/ScriptingNews.json", 50, None),
        ("feedbin__feedbin/test/support/www/feed.json", 11, "Special #2 - Brent Simmons"),
        ("Ranchero-Software__RSParser/Tests/RSParserTests/Resources/kc0011.rss", 20, None),
    ],
)
def test_captured_feeds_yield_what_the_readme_states(
    relative: str, count: int, first_title: str | None
) -> None:
    feed = parse_feed(corpus(f"feeds/{relative}"))
    assert len(feed.entries) + feed.duplicates == count
    if first_title is not None:
        assert feed.entries[0].title == first_title


def test_file_names_lie_so_the_format_is_sniffed() -> None:
    resources = "feeds/Ranchero-Software__RSParser/Tests/RSParserTests/Resources"
    daring = corpus(f"{resources}/DaringFireball.rss")
    assert b"http://www.w3.org/2005/Atom" in daring[:500]
    assert len(parse_feed(daring).entries) == 47
    allthis = corpus(f"{resources}/allthis.atom")
    assert b"<rss" in allthis[:500]
    assert len(parse_feed(allthis).entries) == 12
    scripting = parse_feed(corpus(f"{resources}/ScriptingNews.json"))
    assert scripting.parser == "json" and scripting.title == "Scripting News"
    assert scripting.entries[0].link == "http://scripting.com/2017/06/26.html#a080605"


def test_legacy_encodings_of_captured_feeds_decode() -> None:
    encoding = parse_feed(corpus("feeds/rbren__rss-parser/test/input/encoding.rss"))
    assert encoding.entries[0].title.startswith("Mãe de utente é a nova presidente")
    uol = parse_feed(corpus("feeds/rbren__rss-parser/test/input/uolNoticias.rss"))
    assert uol.title == "UOL Noticias"
    assert (
        "Últimas Notícias"
        in decode_feed_bytes(corpus("feeds/rbren__rss-parser/test/input/uolNoticias.rss")).text
    )
    chinese = parse_feed(
        corpus("feeds/Ranchero-Software__RSParser/Tests/RSParserTests/Resources/kc0011.rss")
    )
    assert chinese.title.startswith("投资资讯网交易在线")
    latin = decode_feed_bytes(
        corpus("feeds/miniflux__v2/internal/reader/parser/testdata/no_encoding_ISO-8859-1.xml")
    )
    assert latin.encoding == "cp1252" and "é" in latin.text


def test_a_bozo_feed_still_gives_its_entries() -> None:
    data = corpus("feeds/rbren__rss-parser/test/input/itunes-missing-image.rss")
    feed = parse_feed(data)
    # 131 items, two of which share one guid: the first of them is kept.
    assert len(feed.entries) == 130 and feed.duplicates == 1
    shared = [e for e in feed.entries if e.key == "http://taverncast.com/shows/geekistry-2.mp3"]
    assert [e.title for e in shared] == ["Geekistry:  You Can See the Strings".replace("  ", " ")]


def test_entries_without_titles_survive() -> None:
    feed = parse_feed(corpus("feeds/newsboat__newsboat/test/data/items_without_titles.xml"))
    assert feed.entries[0].title == ""
    assert feed.entries[0].key and feed.entries[0].content_html


@pytest.mark.parametrize(
    "relative",
    [
        "miniflux__v2/internal/reader/encoding/testdata/utf8.xml",
        "miniflux__v2/internal/reader/encoding/testdata/utf8-incorrect-prolog.xml",
        "miniflux__v2/internal/reader/encoding/testdata/invalid-prolog.xml",
    ],
)
def test_utf8_with_a_wrong_or_bogus_prolog(relative: str) -> None:
    feed = parse_feed(corpus(f"feeds/{relative}"))
    assert feed.title == "테스트 피드"
    assert feed.entries[0].title == "Café"


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("iso-8859-1.xml", "Café"),
        ("windows-1252.xml", "Euro €"),
        ("windows-1252-incorrect-prolog.xml", "Euro €"),
        ("koi8r.xml", "Пример RSS ленты"),
        ("iso-8859-1.html", "Frédéric"),
        ("iso-8859-1-meta-after-1024.html", "Frédéric"),
        ("utf8-meta-after-1024.html", "Café"),
    ],
)
def test_miniflux_encoding_cases(relative: str, expected: str) -> None:
    text = decode_feed_bytes(
        corpus(f"feeds/miniflux__v2/internal/reader/encoding/testdata/{relative}")
    ).text
    assert expected in text


# --- feedparser's own test cases ---------------------------------------------------------


def header(data: bytes, name: str) -> str | None:
    head = data[:1500].decode("cp037" if data.startswith(b"Lo\xa7\x94") else "latin-1")
    match = re.search(rf"^\s*{name}:\s*(.+?)\s*$", head, re.MULTILINE)
    return match.group(1) if match else None


def skip_unless_available(data: bytes) -> None:
    condition = header(data, "SkipUnless")
    if not condition:
        return
    lookup = re.search(r"codecs'\)\.lookup\('([^']+)'\)", condition)
    # feeds.py knows a few names Python does not (ms-ansi, csmacintosh...).
    if lookup and _codec_name(lookup.group(1)) is None:
        pytest.skip(f"no codec {lookup.group(1)}")


ENTRY_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:item|entry|ITEM)[\s/>]")
EXPECTED_ENTRY_FIELD = re.compile(
    r"""entries\[0\](?:\['(title|link)'\]|\.(title|link)) == ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
)
# fastfeedparser prefers <media:title> to <title>; feedparser does not.
KNOWN_FIELD_DIFFERENCES = {"wellformed/media-rss/item_media_title2.xml"}


@pytest.mark.parametrize("path", corpus_files(PARSER_TESTS / "wellformed"), ids=corpus_id)
def test_wellformed_parser_cases_parse(path: Path) -> None:
    data = path.read_bytes()
    skip_unless_available(data)
    try:
        feed = parse_feed(data)
    except EmptyFeedError:
        # Feed-level cases: a channel and no entries.
        assert not ENTRY_TAG.search(data)
        return
    assert feed.entries
    relative = str(path.relative_to(PARSER_TESTS))
    for match in EXPECTED_ENTRY_FIELD.finditer(header(data, "Expect") or ""):
        if relative in KNOWN_FIELD_DIFFERENCES:
            continue
        field = match.group(1) or match.group(2)
        expected = ast.literal_eval(match.group(3))
        if field == "title":
            # Titles are plain text here.
            expected = " ".join(html.unescape(re.sub(r"<[^>]*>", "", expected)).split())
        assert getattr(feed.entries[0], field) == expected


@pytest.mark.parametrize("path", corpus_files(PARSER_TESTS / "illformed"), ids=corpus_id)
def test_illformed_parser_cases_give_entries_or_a_clear_error(path: Path) -> None:
    data = path.read_bytes()
    try:
        feed = parse_feed(data)
    except FeedError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert feed.entries


def test_illformed_feed_with_corrupted_ampersands_keeps_its_link() -> None:
    feed = parse_feed(corpus("feedparser-tests/illformed/rss_item_link_corrupted_ampersands.xml"))
    assert feed.entries[0].link == "http://link/get?a=1&b=2"


@pytest.mark.parametrize(
    "path", corpus_files(PARSER_TESTS / "illformed" / "chardet"), ids=corpus_id
)
def test_undeclared_legacy_encodings_are_detected(path: Path) -> None:
    data = path.read_bytes()
    expected_codec = re.search(r"encoding == '([^']+)'", header(data, "Expect") or "")
    assert expected_codec
    assert decode_feed_bytes(data).text == data.decode(expected_codec.group(1))


@pytest.mark.parametrize("path", corpus_files(PARSER_TESTS / "encoding"), ids=corpus_id)
def test_encoding_cases_decode(path: Path) -> None:
    data = path.read_bytes()
    skip_unless_available(data)
    charset = None
    content_type = header(data, "Header")
    if content_type:
        match = re.search(r"charset=['\"]?([\w.\-]+)", content_type)
        charset = match.group(1) if match else None
    decoded = decode_feed_bytes(data, charset=charset)
    assert "Description:" in decoded.text  # the header comment reads as text
    expect = header(data, "Expect") or ""
    title = re.search(r"feed(?:\['title'\]|\.title) == ('(?:[^'\\]|\\.)*')", expect)
    if title:
        expected = ast.literal_eval(title.group(1))
        found = re.search(r"<title>(.*?)</title>", decoded.text, re.DOTALL)
        assert found and found.group(1) == expected
    # Most cases hold a channel and no entries.
    with contextlib.suppress(FeedError):
        parse_feed(data, charset=charset)


@pytest.mark.parametrize(
    "name",
    [
        "utf-16be.xml",
        "utf-16le.xml",
        "utf-16be-bom.xml",
        "utf-16le-autodetect.xml",
        "utf-32be.xml",
        "utf-32le-bom.xml",
        "utf-32be-autodetect.xml",
        "x80_cp037.xml",
        "x80_ibm500.xml",
    ],
)
def test_wide_and_ebcdic_encodings_are_seen_in_the_bytes(name: str) -> None:
    decoded = decode_feed_bytes(corpus(f"feedparser-tests/encoding/{name}"))
    assert "<feed" in decoded.text or "<rss" in decoded.text


def test_json_feed_of_the_parser_tests() -> None:
    feed = parse_feed(corpus("feedparser-tests/json/example.json"))
    assert feed.parser == "json" and len(feed.entries) == 2


# --- formats and sniffing --------------------------------------------------------------------


def test_rss_entry_fields() -> None:
    feed = parse_feed(
        rss(
            "<item><title>A &amp; B</title><link>/posts/1</link><guid>id-1</guid>"
            "<pubDate>Tue, 02 Jan 2024 10:00:00 +0100</pubDate><author>ann@example.com (Ann)</author>"
            "<description>short</description>"
            "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
            "&lt;p&gt;the longer body&lt;/p&gt;</content:encoded></item>"
        ),
        url="https://example.com/blog/feed.xml",
    )
    entry = feed.entries[0]
    assert (feed.title, feed.link) == ("T", "http://example.com/")
    assert entry.title == "A & B"
    assert entry.link == "https://example.com/posts/1"
    assert entry.key == "id-1"
    assert entry.content_html == "<p>the longer body</p>"
    assert entry.date == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert entry.date is not None and entry.date.tzinfo is not None
    assert entry.author == "ann@example.com (Ann)"


def test_atom_entry_fields() -> None:
    feed = parse_feed(
        b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
        <link href="https://example.org/"/>
        <entry><id>tag:example.org,2024:1</id><title type="html">One &lt;b&gt;bold&lt;/b&gt;</title>
        <link rel="alternate" href="https://example.org/1"/><updated>2024-03-01T12:00:00Z</updated>
        <summary>short</summary><content type="html">&lt;h2&gt;Section&lt;/h2&gt;&lt;p&gt;body&lt;/p&gt;</content>
        <author><name>Ann</name></author></entry></feed>"""
    )
    entry = feed.entries[0]
    assert feed.parser == "fastfeedparser"
    assert (entry.key, entry.title, entry.link) == (
        "tag:example.org,2024:1",
        "One bold",
        "https://example.org/1",
    )
    assert entry.content_html == "<h2>Section</h2><p>body</p>"
    assert entry.date == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert entry.author == "Ann"


def test_rdf_and_atom_03_fall_back_to_feedparser() -> None:
    rdf = corpus("feeds/miniflux__v2/internal/reader/parser/testdata/rdf_UTF8.xml")
    feed = parse_feed(rdf)
    assert feed.parser == "feedparser" and len(feed.entries) == 60
    assert feed.title == "heise online News"
    atom03 = parse_feed(
        b"""<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
        <entry><title mode="base64">RXhhbXBsZQ==</title><id>x</id>
        <issued>2004-01-01T00:00:00Z</issued></entry></feed>"""
    )
    assert atom03.entries[0].title == "Example"


def test_broken_xml_that_loses_entries_in_the_fast_parser_falls_back() -> None:
    # A stray "&" and an unclosed tag: lxml's recovery drops what follows.
    data = rss(
        "<item><title>one</title><guid>1</guid></item>"
        "<item><title>two & three</title><guid>2</guid><description><b>bold</description></item>"
        "<item><title>four</title><guid>3</guid></item>"
    )
    feed = parse_feed(data)
    assert [entry.key for entry in feed.entries] == ["1", "2", "3"]


def test_xhtml_titles_are_filled_in_by_the_fallback() -> None:
    feed = parse_feed(
        b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
        <entry><id>1</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
        Example <b>Atom</b></div></title><content>text</content></entry></feed>"""
    )
    assert feed.entries[0].title == "Example Atom"
    assert feed.parser == "fastfeedparser+feedparser"


def test_fast_parser_handles_the_common_case_quickly() -> None:
    data = corpus("feeds/rbren__rss-parser/test/input/giantbomb-podcast.rss")
    started = time.perf_counter()
    feed = parse_feed(data)
    elapsed = time.perf_counter() - started
    assert feed.parser == "fastfeedparser" and len(feed.entries) == 730
    # feedparser alone takes about half a second for these 1.6 MB.
    assert elapsed < 0.4, f"{elapsed:.2f} s"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"\x00\x01\x02binary", "neither XML nor JSON"),
        (b"just some text", "neither XML nor JSON"),
        (b"<!DOCTYPE html><html><head><title>x</title></head></html>", "web page"),
        (b"<html><body>hi</body></html>", "web page"),
        (b'<?xml version="1.0"?><opml version="2.0"><body/></opml>', "OPML"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
            "no entries",
        ),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "cut short"),
        (b'{"a": 1,, }', "not valid JSON"),
        (b'{"hello": "world"}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b"<rss><channel><item><title>x</title></item>", None),
        (b"<?xml version='1.0'?><rss", None),
    ],
)
def test_bad_input_gives_a_clear_error(data: bytes, message: str | None) -> None:
    try:
        feed = parse_feed(data)
    except FeedError as error:
        if message is not None:
            assert message in str(error)
        return
    assert message is None and feed.entries


def test_html_page_says_it_is_a_page_even_with_a_feed_content_type() -> None:
    with pytest.raises(WebPageError):
        parse_feed(b"\n<!doctype html>\n<html lang=en><p>hi", content_type="application/rss+xml")


def test_a_feed_served_as_text_html_is_still_a_feed() -> None:
    feed = parse_feed(rss("<item><title>x</title><guid>1</guid></item>"), content_type="text/html")
    assert feed.entries[0].title == "x"


def test_xhtml_doctype_on_a_feed_does_not_make_it_a_page() -> None:
    data = corpus("feedparser-tests/illformed/always_strip_doctype.xml")
    with pytest.raises(EmptyFeedError):  # a real feed, with a channel and no items
        parse_feed(data)


# --- hostile input --------------------------------------------------------------------------

MIB = 1024 * 1024


@pytest.mark.parametrize(
    "data",
    [
        b"<" * MIB,
        b"<!-- -->" + b" " * MIB + b"\x01",
        b"<?a?>" * (MIB // 5) + b"\x01",
        b"<!--" * (MIB // 4),
        b"<foo>" + b"<bar>" * (MIB // 5),
        b"<rss><channel><item><description>" + b"<a>" * (MIB // 3),
        b"<rss><channel><item><title>" + b"&lt;script" * (MIB // 10) + b"</title></item>",
        b"[" * MIB,
        b'{"items":' + b"[" * MIB,
    ],
    ids=[
        "angle brackets",
        "whitespace in the prolog",
        "processing instructions",
        "open comments",
        "unknown elements",
        "deep nesting",
        "script in a title",
        "deep JSON",
        "deep JSON items",
    ],
)
def test_hostile_input_is_refused_or_read_quickly(data: bytes) -> None:
    started = time.perf_counter()
    with contextlib.suppress(FeedError):
        parse_feed(data)
    assert time.perf_counter() - started < 5


def test_entries_past_the_limit_are_left_out() -> None:
    from reader.core.limits import MAX_FEED_ENTRIES

    count = MAX_FEED_ENTRIES + 500
    feed = parse_feed(rss("".join(f"<item><guid>{n}</guid></item>" for n in range(count))))
    assert len(feed.entries) == MAX_FEED_ENTRIES and feed.over_limit == 500
    assert feed.entries[0].key == "0"


@pytest.mark.parametrize(
    "page",
    [
        b"<link rel=alternate " * (MIB // 20),
        b"<!--" * (MIB // 4),
        b'<a href="' + b"x" * MIB,
        b"<a " * (MIB // 3),
        b"<" * MIB,
    ],
    ids=["unclosed links", "open comments", "endless attribute", "unclosed anchors", "brackets"],
)
def test_discovery_on_hostile_pages_is_quick(page: bytes) -> None:
    started = time.perf_counter()
    assert discover_feeds(page, "https://example.com/") == []
    assert time.perf_counter() - started < 3


# --- JSON Feed -----------------------------------------------------------------------------------


def json_feed(**fields: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", **fields}).encode()


def test_json_feed_fields() -> None:
    feed = parse_feed(
        json_feed(
            title="J",
            home_page_url="https://example.com/",
            authors=[{"name": "Feed Author"}],
            items=[
                {
                    "id": "1",
                    "url": "/posts/1",
                    "title": "One",
                    "content_html": "<p>Hello</p>",
                    "summary": "Hi",
                    "date_published": "2024-01-02T03:04:05+02:00",
                },
                {"id": 2, "content_text": "plain <text>\n\nsecond", "date_modified": "2024-01-01"},
                {"external_url": "https://other.example/x", "title": "No id"},
            ],
        ),
        url="https://example.com/feed.json",
    )
    first, second, third = feed.entries
    assert (feed.title, feed.link) == ("J", "https://example.com/")
    assert (first.key, first.link, first.title) == ("1", "https://example.com/posts/1", "One")
    assert first.content_html == "<p>Hello</p>" and first.author == "Feed Author"
    assert first.date == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert second.key == "2"
    assert second.content_html == "<p>plain &lt;text&gt;</p>\n<p>second</p>\n"
    assert second.date == datetime(2024, 1, 1)
    assert third.key == third.link == "https://other.example/x"


def test_json_feed_with_wrong_types_never_crashes() -> None:
    feed = parse_feed(corpus("feeds/lemon24__reader/tests/data/invalid.json"))
    assert len(feed.entries) == 8
    assert feed.entries[0].title == "" and feed.entries[0].link is None
    assert feed.entries[1].key == "3.1415"
    assert feed.entries[-1].author == "Jane"


def test_json_feed_1_0_author() -> None:
    feed = parse_feed(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1",
                "items": [{"id": "a", "author": {"name": "Old Style"}, "content_text": "x"}],
            }
        ).encode()
    )
    assert feed.entries[0].author == "Old Style"


# --- identity ------------------------------------------------------------------------------------


def test_two_entries_with_one_id_keep_the_first() -> None:
    feed = parse_feed(
        rss(
            "<item><title>first</title><guid>same</guid></item>"
            "<item><title>second</title><guid>same</guid></item>"
            "<item><title>third</title><guid>other</guid></item>"
        )
    )
    assert [entry.title for entry in feed.entries] == ["first", "third"]
    assert feed.duplicates == 1


def test_key_falls_back_to_link_then_to_a_hash() -> None:
    feed = parse_feed(
        rss(
            "<item><title>linked</title><link>https://example.com/a</link></item>"
            "<item><title>bare</title><description>body one</description></item>"
            "<item><description>untitled body</description></item>"
        )
    )
    linked, bare, untitled = feed.entries
    assert linked.key == "https://example.com/a"
    assert bare.key.startswith("sha1:") and untitled.key.startswith("sha1:")
    # An edited body keeps the key of a titled entry, so the issue is updated.
    edited = parse_feed(rss("<item><title>bare</title><description>body two</description></item>"))
    assert edited.entries[0].key == bare.key


def test_both_parsers_give_the_same_entries_for_a_plain_feed() -> None:
    from reader.core.feeds import _parse_with_fastfeedparser, _parse_with_feedparser

    data = rss(
        "<item><title>x &amp; y</title><guid isPermaLink='false'>relative/id</guid>"
        "<link>/a</link><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate>"
        "<description>&lt;p&gt;body&lt;/p&gt;</description></item>"
        "<item><title>no id</title><link>https://example.com/b</link></item>"
    )
    url = "https://example.com/feed"
    fast = _parse_with_fastfeedparser(data, url)
    slow = _parse_with_feedparser(data, url, None)
    # Keys must not depend on the parser that happened to read the feed.
    for fast_entry, slow_entry in zip(fast.entries, slow.entries, strict=True):
        assert fast_entry == slow_entry
    assert fast.entries[0].key == "relative/id"


# --- links and content ----------------------------------------------------------------------------


def test_relative_links_resolve_and_other_schemes_are_dropped() -> None:
    feed = parse_feed(
        rss(
            "<item><guid>1</guid><link>post/1</link></item>"
            "<item><guid>2</guid><link>javascript:alert(1)</link></item>"
            "<item><guid>3</guid><link>file:///etc/passwd</link></item>"
        ),
        url="https://example.com/blog/feed.xml",
    )
    assert [entry.link for entry in feed.entries] == ["https://example.com/blog/post/1", None, None]


def test_plain_text_content_is_escaped_not_treated_as_html() -> None:
    feed = parse_feed(corpus("feeds/lemon24__reader/tests/data/relative.atom"))
    assert "<script>" not in feed.entries[0].content_html


def test_the_longest_of_content_and_summary_is_kept() -> None:
    feed = parse_feed(
        b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>1</id>
        <title>t</title><summary type="html">a much longer summary than the content</summary>
        <content type="html">short</content></entry></feed>"""
    )
    assert feed.entries[0].content_html == "a much longer summary than the content"


def test_titles_are_plain_text() -> None:
    feed = parse_feed(
        rss(
            "<item><guid>1</guid><title><![CDATA[safe<script>alert(1)</script> <b>title</b>]]>"
            "</title></item>"
            "<item><guid>2</guid><title>  many\n   spaces  </title></item>"
            "<item><guid>3</guid><title>1 &lt; 2</title></item>"
        )
    )
    assert [entry.title for entry in feed.entries] == ["safe title", "many spaces", "1 < 2"]


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    from reader.core.feeds import _parse_with_fastfeedparser, _parse_with_feedparser

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    data = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>
<rss version="2.0"><channel><title>T</title>
<item><guid>1</guid><title>a&xxe;b</title><description>x &xxe; y</description></item>
</channel></rss>""".encode()
    for feed in (
        parse_feed(data),
        _parse_with_fastfeedparser(data, None),
        _parse_with_feedparser(data, None, None),
    ):
        for entry in feed.entries:
            assert "SECRET" not in entry.title + entry.content_html


def test_entity_expansion_bomb_is_harmless() -> None:
    # Ten levels of ten references each: 10**9 "lol"s if expanded.
    levels = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    ]
    data = (
        '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(levels) + "]>"
        '<rss version="2.0"><channel><title>T</title>'
        "<item><guid>1</guid><title>&l9;</title></item></channel></rss>"
    ).encode()
    started = time.perf_counter()
    try:
        feed = parse_feed(data)
    except FeedError:
        pass
    else:
        assert len(feed.entries[0].title) < 1_000_000
    assert time.perf_counter() - started < 5


# --- encodings ----------------------------------------------------------------------------------

CJK = [
    ("gbk", "每周新闻摘要：人工智能的最新进展"),
    ("gb18030", "开源软件社区发布了新的版本，修复了许多问题"),
    ("big5", "每週新聞摘要：人工智慧的最新進展"),
    ("shift_jis", "週刊ニュースまとめ：人工知能の最新動向"),
    ("euc_jp", "データベースの性能を改善する十の方法"),
    ("euc_kr", "주간 뉴스 요약: 인공지능의 최신 동향"),
]


def cjk_feed(title: str, declared: str | None) -> str:
    declaration = f' encoding="{declared}"' if declared else ""
    items = "".join(
        f"<item><guid>{n}</guid><title>{title}{n}</title><description>{title}。{title}"
        "</description></item>"
        for n in range(3)
    )
    return f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'


@pytest.mark.parametrize(("codec", "title"), CJK)
@pytest.mark.parametrize(
    ("declared", "http_charset"),
    [(None, None), ("utf-8", None), (None, "utf-8"), ("utf-8", "utf-8"), ("iso-8859-1", None)],
)
def test_cjk_bodies_declared_wrongly_or_not_at_all_decode(
    codec: str, title: str, declared: str | None, http_charset: str | None
) -> None:
    data = cjk_feed(title, declared).encode(codec)
    feed = parse_feed(data, charset=http_charset)
    assert feed.title == title
    assert [entry.title for entry in feed.entries] == [f"{title}{n}" for n in range(3)]


@pytest.mark.parametrize(("codec", "title"), CJK)
def test_cjk_bodies_declared_correctly_decode(codec: str, title: str) -> None:
    label = {"gbk": "gb2312", "shift_jis": "Shift_JIS", "euc_kr": "EUC-KR"}.get(codec, codec)
    feed = parse_feed(cjk_feed(title, label).encode(codec))
    assert feed.entries[0].title == f"{title}0"


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Цитата дня: новости и обсуждения", "windows-1251"),
        ("Première édition: café, crème brûlée et déjà-vu", "iso-8859-1"),
        ("Größe, Maß und Übermut in der Straße", "windows-1252"),
    ],
)
def test_single_byte_encodings_declared_by_http_or_xml(text: str, codec: str) -> None:
    body = rss(f"<item><guid>1</guid><title>{text}</title></item>").decode()
    data = body.encode(codec)
    assert parse_feed(data, charset=codec).entries[0].title == text
    declared = body.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{codec}"?>')
    assert parse_feed(declared.encode(codec)).entries[0].title == text


def test_http_charset_wins_over_the_xml_declaration() -> None:
    body = rss("<item><guid>1</guid><title>Привет мир, новости</title></item>").decode()
    data = body.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="iso-8859-1"?>')
    assert parse_feed(data.encode("koi8-r"), charset="koi8-r").entries[0].title.startswith("Привет")


def test_utf8_with_a_stray_byte_stays_utf8() -> None:
    body = rss("<item><guid>1</guid><title>naïve café — “quoted” déjà vu</title></item>")
    data = body.replace("déjà".encode(), b"d\xe9j\xe0")
    decoded = decode_feed_bytes(data)
    assert decoded.encoding == "utf-8" and not decoded.exact
    assert "naïve café — “quoted”" in parse_feed(data).entries[0].title


def test_c1_controls_become_windows_1252_punctuation() -> None:
    data = corpus("feedparser-tests/encoding/demoronize-1.xml")
    assert "don\u2019t" in parse_feed(data).entries[0].content_html


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 02 Jan 2024 10:00:00 GMT", datetime(2024, 1, 2, 10, tzinfo=UTC)),
        ("Tue, 02 Jan 2024 10:00:00 +0200", datetime(2024, 1, 2, 8, tzinfo=UTC)),
        ("2024-01-02T10:00:00Z", datetime(2024, 1, 2, 10, tzinfo=UTC)),
        ("2024-01-02T10:00:00.123456789+0100", datetime(2024, 1, 2, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2024-01-02 10:00:00", datetime(2024, 1, 2, 10)),
        ("2024-01-02", datetime(2024, 1, 2)),
        ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ],
)
def test_dates_parse(value: object, expected: datetime) -> None:
    parsed = parse_feed_date(value)
    assert parsed is not None and parsed == expected
    assert (parsed.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize(
    "value",
    [
        "0000-00-00",
        "0000-00-00 00:00:00",
        "99999-01-01",
        "Tue, 02 Jan 99999 10:00:00 GMT",
        "1969-12-31T23:59:59Z",
        -1,
        -86400.5,
        1e300,
        float("nan"),
        True,
        "not a date",
        "",
        "2024-13-45",
        "Mon, 32 Foo 2024 99:99:99 +9999",
        "9" * 500,
        None,
        [],
        {},
    ],
)
def test_nonsense_dates_are_none_never_a_crash(value: object) -> None:
    assert parse_feed_date(value) is None


def test_nonsense_dates_in_a_feed() -> None:
    feed = parse_feed(
        rss(
            "<item><guid>1</guid><pubDate>0000-00-00</pubDate></item>"
            "<item><guid>2</guid><pubDate>Sat, 01 Jan 99999 00:00:00 GMT</pubDate></item>"
            "<item><guid>3</guid><pubDate>-1</pubDate></item>"
        )
    )
    assert [entry.date for entry in feed.entries] == [None, None, None]
    json_dates = parse_feed(
        json_feed(items=[{"id": "1", "date_published": -5}, {"id": "2", "date_published": "0000"}])
    )
    assert [entry.date for entry in json_dates.entries] == [None, None]


# --- autodiscovery ------------------------------------------------------------------------------


def test_discovery_prefers_alternate_links_in_page_order() -> None:
    page = b"""<!DOCTYPE html><html><head>
    <link rel="stylesheet" href="/style.css">
    <link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/1">
    <link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
    <link rel="alternate" type="application/rss+xml" title="Weekly &amp; more" href="/feed/">
    <link rel="alternate" type="application/atom+xml" title="Atom" href="https://example.com/atom.xml">
    <link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
    <link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
    <link rel="alternate" hreflang="de" href="/de/">
    </head><body><a href="/rss.xml">RSS</a><a href="/about">About</a></body></html>"""
    found = discover_feeds(page, "https://example.com/blog/")
    assert [(feed.url, feed.title, feed.type) for feed in found] == [
        ("https://example.com/feed/", "Weekly & more", "application/rss+xml"),
        ("https://example.com/atom.xml", "Atom", "application/atom+xml"),
        ("https://example.com/blog/feed.json", "JSON", "application/feed+json"),
        # A comment feed comes after the site's own feeds, whatever the page order.
        ("https://example.com/comments/feed/", "Comments", "application/rss+xml"),
        ("https://example.com/rss.xml", "RSS", "application/rss+xml"),
    ]
    assert found[0] == ("https://example.com/feed/", "Weekly & more", "application/rss+xml")


def test_discovery_uses_base_href_and_anchor_fallbacks() -> None:
    page = b"""<html><head><base href="https://cdn.example.net/site/"></head><body>
    <a href="index.xml">Subscribe</a> <a href="javascript:void(0)">x</a>
    <a href="/sitemap.xml">map</a> <a href="https://feeds.feedburner.com/Example">FB</a>
    <a href="posts/">posts</a></body></html>"""
    found = discover_feeds(page, "https://example.com/")
    assert [feed.url for feed in found] == [
        "https://cdn.example.net/site/index.xml",
        "https://feeds.feedburner.com/Example",
    ]


def test_discovery_on_hostile_or_empty_pages() -> None:
    assert discover_feeds(b"", "https://example.com/") == []
    assert discover_feeds(b"<link rel=alternate type=application/rss+xml>", "https://e.com/") == []
    assert discover_feeds(b"<<<>>><a href='feed'", "https://example.com/") == []
    found = discover_feeds(
        b'<link rel="ALTERNATE feed" type="Application/RSS+XML" href="x.rss">', "https://e.com/a/"
    )
    assert found == [("https://e.com/a/x.rss", "", "application/rss+xml")]


def test_discovery_reads_the_page_in_its_charset() -> None:
    page = '<meta charset="gbk"><link rel="alternate" type="application/rss+xml" title="新闻" href="/rss">'
    assert discover_feeds(page.encode("gbk"), "https://example.com/")[0].title == "新闻"


# --- entries -> issues ------------------------------------------------------------------------------


def test_a_digest_entry_becomes_sections_and_items() -> None:
    pytest.importorskip("reader.core.convert")
    entry = FeedEntry(
        key="k1",
        title="Weekly 12",
        link="https://example.com/12",
        date=datetime(2024, 1, 2, tzinfo=UTC),
        content_html=(
            "<h2>News</h2><h4><a href='https://a.example/'>First</a></h4><p>one</p><hr>"
            "<h4><a href='https://b.example/'>Second</a></h4><p>two</p>"
            "<h2>Tools</h2><ul><li><a href='https://c.example/'>Third</a> - three</li>"
            "<li><a href='/d'>Fourth</a> - four</li></ul>"
        ),
    )
    issue = entry_to_issue(entry, base_url="https://example.com/feed.xml")
    assert (issue.title, issue.key, issue.url, issue.date) == (
        "Weekly 12",
        "k1",
        "https://example.com/12",
        entry.date,
    )
    assert [
        (section.title, [(item.title, item.url) for item in section.items])
        for section in issue.sections
    ] == [
        ("News", [("First", "https://a.example/"), ("Second", "https://b.example/")]),
        ("Tools", [("Third", "https://c.example/"), ("Fourth", "https://example.com/d")]),
    ]


@pytest.mark.parametrize(
    "relative",
    [
        "Ranchero-Software__RSParser/Tests/RSParserTests/Resources/DaringFireball.rss",
        "Ranchero-Software__RSParser/Tests/RSParserTests/Resources/kc0011.rss",
        "rbren__rss-parser/test/input/content-encoded.rss",
        "feedbin__feedbin/test/support/www/feed.json",
        "feedbin__feedbin/test/support/www/microposts.xml",
        "miniflux__v2/internal/reader/parser/testdata/rdf_UTF8.xml",
    ],
)
def test_captured_entries_become_issues(relative: str) -> None:
    pytest.importorskip("reader.core.convert")
    feed = parse_feed(corpus(f"feeds/{relative}"), url="https://example.com/feed")
    for entry in feed.entries:
        issue = entry_to_issue(entry, base_url=entry.link or "https://example.com/feed")
        assert issue.title and issue.key == entry.key
        assert issue.sections and all(section.items for section in issue.sections)


def test_an_entry_without_body_is_one_item() -> None:
    pytest.importorskip("reader.core.convert")
    entry = FeedEntry(
        key="k", title="Link post", link="https://x.example/", date=None, content_html=""
    )
    issue = entry_to_issue(entry, base_url=None)
    assert issue.item_count == 1
    assert issue.sections[0].items[0].url == "https://x.example/"


def test_an_untitled_entry_is_titled_by_its_first_words() -> None:
    pytest.importorskip("reader.core.convert")
    body = "<p>Just <b>posted</b> a photo of the harbour at dawn, with the fishing boats coming home.</p>"
    entry = FeedEntry(key="k", title="", link=None, date=None, content_html=body)
    assert entry_to_issue(entry, base_url=None).title == (
        "Just posted a photo of the harbour at dawn, with the fishing boats coming home."
    )
    long_entry = FeedEntry(key="k", title="", link=None, date=None, content_html=body * 3)
    title = entry_to_issue(long_entry, base_url=None).title
    assert title.endswith("…") and len(title) <= 81


def test_a_plain_post_is_one_item() -> None:
    pytest.importorskip("reader.core.convert")
    entry = FeedEntry(
        key="k",
        title="Post",
        link="https://x.example/p",
        date=None,
        content_html="<p>Just a post.</p>",
    )
    issue = entry_to_issue(entry, base_url=None)
    assert issue.title == "Post" and issue.item_count == 1


def test_parsed_feeds_are_picklable_for_worker_processes() -> None:
    import pickle

    feed = parse_feed(rss("<item><guid>1</guid><title>x</title></item>"))
    assert isinstance(pickle.loads(pickle.dumps(feed)), ParsedFeed)
