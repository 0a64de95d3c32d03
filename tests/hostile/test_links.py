"""Links inside feeds: never fetched while refreshing, only web links kept, huge URLs survive.

The feeds point at the test server itself (127.0.0.1), at private and link-local
addresses, at local files and at script URLs; the server's log proves that a
refresh asked for the feed and for nothing else.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from tests.hostile.conftest import MARKER
from tests.hostile.helpers import (
    OSC_52,
    OSC_TITLE,
    HostileServer,
    assert_terminal_safe,
    file_holds,
    gzip_bomb,
    inflated_size,
    json_feed,
    rss,
)

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., Any]
WEB_SCHEMES = ("http://", "https://", "mailto:")


def stored_items(run_json: RunJson) -> list[dict[str, Any]]:
    items = []
    for issue in run_json("issues", "--limit", "1000")["issues"]:
        (full,) = run_json("show", issue["id"])["issues"]
        items += [item for section in full["sections"] for item in section["items"]]
    return items


def test_links_in_feeds_are_never_fetched_and_only_web_links_are_kept(
    run_cli: RunCli, run_json: RunJson, server: HostileServer, secret: Path, home: Path
) -> None:
    canary = server.url("/canary")
    body_html = (
        f'<p>Read <a href="{canary}-anchor">this</a>, <a href="javascript:alert(1)">that</a>, '
        f'<a href="file://{secret}">a file</a>, <a href="data:text/html,<script>1</script>">data</a>, '
        '<a href="/relative-canary">relative</a>, <a href="http://10.0.0.1/admin">router</a>, '
        '<a href="http://169.254.169.254/latest/meta-data/">metadata</a>, '
        f'<a href="http://[::1]:{server.port}/v6-canary">v6</a>.</p>'
        f'<img src="{canary}-image"><iframe src="{canary}-frame"></iframe>'
        f'<link rel="stylesheet" href="{canary}-style"><script src="{canary}-script"></script>'
        f'<video src="{canary}-video" poster="{canary}-poster"></video>'
        f'<object data="file://{secret}"></object>'
    )
    feed = rss(
        "Links",
        [
            {
                "title": "Script link",
                "guid": "a",
                "link": "javascript:alert(document.cookie)",
                "description": escape(body_html),
            },
            {
                "title": "File link",
                "guid": "b",
                "link": f"file://{secret}",
                "description": escape("<p>see the link</p>"),
            },
            {
                "title": "Data link",
                "guid": "c",
                "link": "data:text/html;base64,PHNjcmlwdD4=",
                "description": "x",
            },
            {"title": "Relative link", "guid": "d", "link": "/relative-entry", "description": "y"},
            {"title": "Loopback link", "guid": "e", "link": f"{canary}-entry", "description": "z"},
        ],
    )
    json_body = json_feed(
        "Links as JSON",
        [
            {"id": "1", "title": "j1", "url": "javascript:alert(1)", "content_html": body_html},
            {
                "id": "2",
                "title": "j2",
                "url": f"file://{secret}",
                "external_url": "data:,x",
                "content_text": "plain",
            },
            {
                "id": "3",
                "title": "j3",
                "url": f"{canary}-json",
                "image": f"{canary}-json-image",
                "content_text": "plain",
            },
        ],
    )
    feed_url = server.static("/feed", feed)
    json_url = server.static("/feed.json", json_body, headers={"Content-Type": "application/json"})
    for url in (feed_url, json_url):
        code, _out, err = run_cli("add", url)
        assert code == 0, err
    code, _out, err = run_cli("refresh", "--force")
    assert code == 0, err

    # Two feeds, fetched once to subscribe and once to refresh: nothing else.
    assert sorted(server.paths()) == ["/feed", "/feed", "/feed.json", "/feed.json"]
    items = stored_items(run_json)
    assert len(items) >= 8
    for item in items:
        for url in [item["url"], *item["links"]]:
            assert url is None or url.startswith(WEB_SCHEMES), url
        # Markdown bodies keep no script, file or data link either.
        for bad in ("javascript:", "file:", "data:"):
            assert f"]({bad}" not in item["body"], item["body"]
    urls = {item["url"] for item in items}
    assert f"{canary}-entry" in urls  # kept as a link to show, never followed
    assert server.url("/relative-entry") in urls
    # Nothing read the file the links pointed at.
    assert MARKER not in json.dumps(items).encode()
    assert not file_holds(home / "library.sqlite3", MARKER)


def test_a_megabyte_url_is_handled(
    run_cli: RunCli, run_json: RunJson, server: HostileServer, tmp_path: Path
) -> None:
    huge = "https://example.com/" + "a" * (1024 * 1024)
    feed = rss(
        "Huge links",
        [
            {
                "title": "Huge link",
                "guid": "huge",
                "link": huge,
                "description": escape(f'<p>A <a href="{huge}">huge</a> link.</p>'),
            },
            {
                "title": "Normal",
                "guid": "normal",
                "link": "https://example.com/ok",
                "description": "fine",
            },
        ],
    )
    url = server.static("/feed", feed)
    started = time.monotonic()
    code, _out, err = run_cli("add", url)
    assert code == 0, err
    code, out, err = run_cli("issues")
    assert code == 0 and "Normal" in out, err
    items = stored_items(run_json)
    assert {item["title"] for item in items} >= {"Huge link", "Normal"}
    # A URL of a megabyte addressed to the server itself: refused or answered, never a crash.
    code, _out, err = run_cli("add", server.url("/" + "b" * (1024 * 1024)))
    assert code == 1 and "Traceback" not in err and len(err) < 2000, err[:2000]
    subscriptions = tmp_path / "huge.opml"
    subscriptions.write_text(f'<opml><body><outline xmlUrl="{huge}"/></body></opml>')
    code, _out, err = run_cli("import", str(subscriptions))
    assert code == 0, err
    assert time.monotonic() - started < 30


ARTICLE_TEXT = "A paragraph of the saved article, long enough to count as one. " * 12


def article_page(title: str, extra: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1><p>{ARTICLE_TEXT}</p><p>{ARTICLE_TEXT}</p>{extra}</article>"
        "</body></html>"
    ).encode()


def test_auto_save_never_fetches_private_addresses_but_the_user_may(
    run_cli: RunCli, run_json: RunJson, server: HostileServer
) -> None:
    links = {
        "loopback": server.url("/article/loopback"),
        "localhost": f"http://localhost:{server.port}/article/localhost",
        "mapped": f"http://[::ffff:127.0.0.1]:{server.port}/article/mapped",
        "redirect": server.url("/article/redirect"),
        "private": "http://10.255.255.1/article/private",
        "link-local": "http://169.254.169.254/latest/meta-data/",
    }
    for name in ("loopback", "localhost", "mapped"):
        server.static(f"/article/{name}", article_page(name), headers={"Content-Type": "text/html"})
    feed = rss(
        "Auto",
        [
            {"title": name, "guid": name, "link": url, "description": escape(f"<p>{name}</p>")}
            for name, url in links.items()
        ],
    )
    url = server.static("/feed", feed)
    code, _out, err = run_cli("add", url)
    assert code == 0, err
    code, _out, err = run_cli("source", url, "--auto-save")
    assert code == 0, err
    assert run_json("sources")["sources"][-1]["auto_save"] is True
    server.static(
        "/feed", feed.replace(b"</channel>", _new_entry(links["loopback"]) + b"</channel>")
    )
    code, _out, err = run_cli("refresh", "--force")
    assert code == 0, err
    # Automatic saving asked for none of the pages: they are all on non-public addresses.
    assert [path for path in server.paths() if path.startswith("/article")] == []
    # The user asking for one item is another matter: that page is fetched and kept.
    issues = run_json("issues")["issues"]
    loopback = next(issue for issue in issues if issue["title"] == "loopback")
    (full,) = run_json("show", loopback["id"])["issues"]
    item_id = full["sections"][0]["items"][0]["id"]
    code, _out, err = run_cli("save", item_id)
    assert code == 0, err
    assert server.paths().count("/article/loopback") == 1
    (full,) = run_json("show", loopback["id"])["issues"]
    assert "saved article" in (full["sections"][0]["items"][0]["article"] or "")


def _new_entry(link: str) -> bytes:
    return f"<item><title>again</title><guid>again</guid><link>{link}</link></item>".encode()


def test_a_hostile_article_page_reads_no_file_and_prints_safely(
    run_cli: RunCli, run_json: RunJson, server: HostileServer, secret: Path, home: Path
) -> None:
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        f"<html><head><title>XXE &xxe;</title></head><body><article><h1>Page &xxe;</h1>"
        f"<p>{ARTICLE_TEXT} &xxe; {OSC_52}{OSC_TITLE}\u202e</p><p>{ARTICLE_TEXT}</p>"
        f'<img src="{server.url("/pixel")}"><iframe src="{secret.as_uri()}"></iframe>'
        f'<a href="javascript:alert(1)">script</a></article></body></html>'
    ).encode()
    bomb = gzip_bomb()
    assert inflated_size(bomb, "gzip", 6 * 1024 * 1024) > 5 * 1024 * 1024
    pages = {
        "xxe": server.static("/page/xxe", xxe, headers={"Content-Type": "text/html"}),
        "bomb": server.static(
            "/page/bomb", bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        ),
        "deep": server.static(
            "/page/deep",
            article_page("Deep", "<div>" * 100_000 + "deep" + "</div>" * 100_000),
            headers={"Content-Type": "text/html"},
        ),
    }
    feed = rss(
        "Pages",
        [
            {"title": name, "guid": name, "link": url, "description": "x"}
            for name, url in pages.items()
        ],
    )
    code, _out, err = run_cli("add", server.static("/feed", feed))
    assert code == 0, err
    issues = run_json("issues")["issues"]
    code, out, err = run_cli("save", *[issue["id"] for issue in issues])
    assert_terminal_safe(out + err, what="reader save")
    assert "1 failed" in out or "failed" in err, out + err
    for issue in issues:
        code, out, err = run_cli("show", issue["id"])
        assert code == 0, err
        assert_terminal_safe(out + err, what="reader show")
        (full,) = run_json("show", issue["id"])["issues"]
        for section in full["sections"]:
            for item in section["items"]:
                assert MARKER.decode() not in json.dumps(item)
                if issue["title"] == "xxe":  # read, without the entity's file
                    assert "saved article" in (item["article"] or ""), item["article_error"]
                if issue["title"] == "bomb":
                    assert item["article"] is None and "larger than 5 MB" in item["article_error"]
    assert not file_holds(home / "library.sqlite3", MARKER)
    assert "/pixel" not in server.paths()
