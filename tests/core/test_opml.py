"""opml.py: reading real-world OPML tolerantly and safely, writing it back.

Pure tests: bytes in, subscriptions out.
"""

from __future__ import annotations

import time
from pathlib import Path
from xml.parsers import expat

import pytest

from reader.core.errors import InputError
from reader.core.opml import OpmlFeed, parse_opml, write_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline type="rss" text="Top level" xmlUrl="https://top.example/feed.xml" htmlUrl="https://top.example/"/>
    <outline text="Tech" title="Tech">
      <outline text="Rust" title="Rust">
        <outline type="rss" title="This Week in Rust" text="TWiR" xmlUrl="https://this-week-in-rust.org/rss.xml"/>
      </outline>
      <outline type="rss" text="No title attribute" xmlUrl="https://b.example/atom"/>
    </outline>
    <outline title="News">
      <outline type="rss" text="Again" xmlUrl="https://top.example/feed.xml"/>
      <outline type="rss" xmlUrl="https://untitled.example/rss"/>
    </outline>
    <outline text="Just a link" type="link" url="https://example.com/"/>
  </body>
</opml>"""


def test_folders_become_tags_and_titles_fall_back() -> None:
    feeds = parse_opml(NESTED)
    assert feeds == [
        OpmlFeed(
            "https://top.example/feed.xml", "Top level", ("News",), site_url="https://top.example/"
        ),
        OpmlFeed("https://this-week-in-rust.org/rss.xml", "This Week in Rust", ("Tech", "Rust")),
        OpmlFeed("https://b.example/atom", "No title attribute", ("Tech",)),
        OpmlFeed("https://untitled.example/rss", "", ("News",)),
    ]


def test_categories_add_tags() -> None:
    feeds = parse_opml(
        b'<opml version="2.0"><body><outline text="Folder">'
        b'<outline xmlUrl="https://a.example/" text="A" category="/Tech/Rust, news,,/"/>'
        b"</outline></body></opml>"
    )
    assert feeds[0].tags == ("Folder", "Tech/Rust", "news")


def test_attribute_names_are_case_insensitive() -> None:
    feeds = parse_opml(b'<opml><body><outline TEXT="A" XMLURL="https://a.example/"/></body></opml>')
    assert feeds == [OpmlFeed("https://a.example/", "A")]


def test_broken_exports_are_read_tag_by_tag() -> None:
    # A bare "&" in a URL, an HTML entity and an unclosed folder.
    data = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>Export &amp; more</title></head><body>
<outline title="Caf&eacute; &amp; news">
  <outline text="Q&A" xmlUrl="https://q.example/feed?a=1&b=2" type="rss"/>
  <outline text='single' xmlUrl='https://s.example/rss'/>
</body></opml>"""
    with pytest.raises(expat.ExpatError):
        expat.ParserCreate().Parse(data, True)
    feeds = parse_opml(data)
    assert feeds == [
        OpmlFeed("https://q.example/feed?a=1&b=2", "Q&A", ("Café & news",)),
        OpmlFeed("https://s.example/rss", "single", ("Café & news",)),
    ]


def test_legacy_encodings() -> None:
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><opml><body>'
        '<outline text="Générique" xmlUrl="https://g.example/"/></body></opml>'
    ).encode("latin-1")
    assert parse_opml(data)[0].title == "Générique"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><opml><body><outline text="新闻" xmlUrl="https://n.example/"/></body></opml>'
    assert parse_opml(utf16.encode("utf-16"))[0].title == "新闻"


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE opml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>',
        "<!DOCTYPE opml ["
        + '<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8))
        + "]>",
    ],
    ids=["external entity", "parameter entity", "billion laughs"],
)
def test_entity_declarations_are_refused(doctype: str) -> None:
    data = (
        f'<?xml version="1.0"?>{doctype}<opml><body>'
        '<outline text="&xxe;&i;" xmlUrl="https://a.example/"/></body></opml>'
    ).encode()
    started = time.perf_counter()
    with pytest.raises(InputError, match="entity declarations are refused"):
        parse_opml(data)
    assert time.perf_counter() - started < 1


def test_a_plain_doctype_is_fine() -> None:
    data = (
        b'<!DOCTYPE opml><opml><body><outline text="A" xmlUrl="https://a.example/"/></body></opml>'
    )
    assert parse_opml(data) == [OpmlFeed("https://a.example/", "A")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"<html><body>not opml</body></html>", "not an OPML file"),
        (b"\x00\x01\x02", "not an OPML file"),
        (b'{"json": true}', "not an OPML file"),
    ],
)
def test_not_opml_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_opml(data)


@pytest.mark.parametrize("closed", [True, False])
def test_deeply_nested_folders_are_read_without_recursion(closed: bool) -> None:
    depth = 20_000  # far past Python's recursion limit
    data = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline text="deep" xmlUrl="https://deep.example/"/>'
        + (b"</outline>" * depth + b"</body></opml>" if closed else b"")
    )
    started = time.perf_counter()
    feeds = parse_opml(data)
    assert time.perf_counter() - started < 5
    assert feeds[0].url == "https://deep.example/"
    assert 0 < len(feeds[0].tags) <= 8


def test_an_opml_file_without_feeds_is_an_empty_list() -> None:
    assert parse_opml(b'<opml version="2.0"><head/><body/></opml>') == []


def test_write_then_read_gives_the_same_feeds() -> None:
    feeds = [
        OpmlFeed("https://a.example/feed?x=1&y=2", 'A "quoted" <title> & more'),
        OpmlFeed("https://b.example/rss", "B", ("Tech",), site_url="https://b.example/"),
        OpmlFeed("https://c.example/atom", "C", ("Tech", "Rust", "weekly")),
        OpmlFeed("https://d.example/", "新闻\x00\x1b[31m", ("新闻",)),
        OpmlFeed("https://e.example/", "", ()),
    ]
    text = write_opml(feeds)
    parser = expat.ParserCreate()
    parser.Parse(text.encode("utf-8"), True)  # well-formed
    assert "\x00" not in text and "\x1b" not in text
    read = parse_opml(text.encode("utf-8"))
    assert [(feed.url, feed.tags, feed.site_url) for feed in read] == [
        (feed.url, feed.tags, feed.site_url)
        for feed in [feeds[0], feeds[4], feeds[1], feeds[2], feeds[3]]
    ]
    titles = {feed.url: feed.title for feed in read}
    assert titles["https://a.example/feed?x=1&y=2"] == 'A "quoted" <title> & more'
    assert titles["https://d.example/"] == "新闻[31m"
    assert titles["https://e.example/"] == "https://e.example/"


def test_written_opml_has_a_head_title_and_folders() -> None:
    text = write_opml([OpmlFeed("https://a.example/", "A", ("Tech",))], title="Mine & yours")
    assert "<title>Mine &amp; yours</title>" in text
    assert '<outline text="Tech" title="Tech">' in text
    assert 'xmlUrl="https://a.example/"' in text


def test_a_captured_feed_is_not_opml() -> None:
    path = (
        Path(__file__).resolve().parents[3]
        / "shared/corpus/feeds/newsboat__newsboat/test/data/rss20_1.xml"
    )
    if not path.is_file():
        pytest.skip("shared corpus not available")
    with pytest.raises(InputError, match="not an OPML file"):
        parse_opml(path.read_bytes())
