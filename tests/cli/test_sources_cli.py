"""`reader add|remove|source|refresh|sources|import x.opml|export opml` against 127.0.0.1.

Each test runs the command line in-process on a fresh READER_HOME and a real
threaded HTTP server whose request log shows what was fetched and with which headers.
"""

from __future__ import annotations

import html
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from reader.core.opml import parse_opml

RunCli = Callable[..., tuple[int, str, str]]
RunJson = Callable[..., Any]


def atom(title: str, posts: list[int]) -> bytes:
    """An Atom feed of plain posts numbered `posts`."""
    entries = "".join(
        f"<entry><id>urn:post:{number}</id><title>{title} post {number}</title>"
        f'<link href="https://blog.example.com/{number}/"/>'
        "<updated>2025-03-07T12:00:00Z</updated>"
        f'<content type="html">{html.escape(f"<p>Post {number} of {title}.</p>")}</content>'
        "</entry>"
        for number in posts
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:{title}</id><updated>2025-03-07T12:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()


class Site:
    """Feeds and pages on a threaded 127.0.0.1 server, with a log of every request."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.bodies: dict[str, tuple[bytes, str, str | None]] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self._handle)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def feed(self, path: str, body: bytes, etag: str | None = None) -> str:
        self.bodies[path] = (body, "application/atom+xml", etag)
        return self.url(path)

    def page(self, path: str, text: str) -> str:
        self.bodies[path] = (text.encode(), "text/html; charset=utf-8", None)
        return self.url(path)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [headers for logged, headers in self.log if logged == path]

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.log.append((request.path, dict(request.headers)))
        if request.path not in self.bodies:
            return Response("not here", status=404)
        body, content_type, etag = self.bodies[request.path]
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        headers = {"Content-Type": content_type, **({"ETag": etag} if etag else {})}
        return Response(body, headers=headers)


@pytest.fixture
def site() -> Iterator[Site]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield Site(server)
    finally:
        server.clear()
        server.stop()


def sources(run_json: RunJson) -> list[dict[str, Any]]:
    """Subscriptions, without the built-in source of imported files."""
    listed: list[dict[str, Any]] = run_json("sources")["sources"]
    return [source for source in listed if source["kind"] != "imports"]


def issue_count(run_json: RunJson) -> int:
    return len(run_json("issues", "--limit", "1000")["issues"])


# --- add -----------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Comments on A blog" href="/comments.rss">
<link rel="alternate" type="application/atom+xml" title="A blog" href="/atom.xml">
</head><body><p>Hello.</p><a href="/atom.xml">Subscribe</a></body></html>"""


def test_add_a_page_subscribes_to_its_preferred_feed_and_says_which(
    site: Site, run_cli: RunCli, run_json: RunJson
) -> None:
    page = site.page("/blog/", PAGE)
    atom_url = site.feed("/atom.xml", atom("A blog", [1, 2]))
    comments_url = site.feed("/comments.rss", atom("Comments", [7]))

    code, out, err = run_cli("add", page)

    assert code == 0, err
    assert f"subscribed to {atom_url}" in out
    assert f"chose {atom_url} over {comments_url}" in out
    assert "2 issues from A blog" in out
    [source] = sources(run_json)
    assert (source["url"], source["title"], source["issues"]) == (atom_url, "A blog", 2)
    assert site.requests_to("/comments.rss") == []

    # The JSON answer names every candidate, best first.
    run_cli("remove", atom_url)
    added = run_json("add", page)
    assert added["created"] and added["candidates"] == [atom_url, comments_url]


def test_a_page_whose_first_feed_is_broken_gets_the_next_one(
    site: Site, run_cli: RunCli, run_json: RunJson
) -> None:
    listing = PAGE.replace("/comments.rss", "/gone.rss").replace("Comments on A blog", "All")
    page = site.page("/blog/", listing)
    atom_url = site.feed("/atom.xml", atom("A blog", [1]))
    # The page lists /gone.rss first and it is not a comments feed, so it is preferred.
    code, out, err = run_cli("add", page)
    assert code == 0, err
    assert f"subscribed to {atom_url}" in out
    assert f"{site.url('/gone.rss')}: HTTP 404" in out
    assert [source["url"] for source in sources(run_json)] == [atom_url]


def test_add_with_a_title_keeps_it_across_refreshes(
    site: Site, run_cli: RunCli, run_json: RunJson
) -> None:
    feed = site.feed("/atom.xml", atom("The feed's own name", [1]))
    code, out, err = run_cli("add", feed, "--title", "My name", "--tag", "news")
    assert code == 0, err
    assert "1 issue from My name" in out
    site.feed("/atom.xml", atom("The feed's own name", [1, 2]))
    run_cli("refresh", "--force")
    [source] = sources(run_json)
    assert (source["title"], source["tags"], source["issues"]) == ("My name", ["news"], 2)


def test_a_page_without_a_feed_is_an_error(site: Site, run_cli: RunCli) -> None:
    page = site.page("/plain/", "<!doctype html><html><body><p>No feed here.</p></body></html>")
    code, out, err = run_cli("add", page)
    assert code == 1 and out == ""
    assert "links to no feed" in err and "Traceback" not in err


def test_adding_an_existing_source_says_so_and_changes_nothing(
    site: Site, run_cli: RunCli, run_json: RunJson
) -> None:
    page = site.page("/blog/", PAGE)
    feed = site.feed("/atom.xml", atom("A blog", [1, 2]))
    site.feed("/comments.rss", atom("Comments", [7]))
    assert run_cli("add", feed)[0] == 0
    before = (sources(run_json), issue_count(run_json))
    requests = len(site.log)

    for location in (feed, page):
        code, out, err = run_cli("add", location)
        assert code == 0, err
        assert out.strip() == f"already subscribed to {feed}"
    added = run_json("add", feed)
    assert added["created"] is False and added["new_issues"] == 0

    assert (sources(run_json), issue_count(run_json)) == before
    # The exact URL is known without asking the server; the page had to be read.
    assert [path for path, _ in site.log[requests:]] == ["/blog/"]


def test_adding_a_local_feed_file_and_a_folder(
    run_cli: RunCli, run_json: RunJson, tmp_path: Path
) -> None:
    feed_file = tmp_path / "weekly.atom"
    feed_file.write_bytes(atom("Local", [1, 2, 3]))
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "one.md").write_text("# Issue one\n\n## News\n\n- [A](https://a.example/) - a\n")

    assert "3 issues from Local" in run_cli("add", feed_file)[1]
    assert "1 issue from issues" in run_cli("add", folder)[1]
    kinds = {source["kind"]: source for source in sources(run_json)}
    assert kinds["file"]["url"] == str(feed_file) and kinds["folder"]["url"] == str(folder)

    # A new file in the folder is a new issue on the next refresh; old ones stay as they are.
    (folder / "two.md").write_text("# Issue two\n\n## News\n\n- [B](https://b.example/) - b\n")
    result = run_json("refresh", "--force")["sources"]
    news = {source["title"]: (source["new_issues"], source["status"]) for source in result}
    assert news == {"Local": (0, "ok"), "issues": (1, "ok")}
    assert issue_count(run_json) == 5


def test_adding_something_that_is_not_there(run_cli: RunCli, tmp_path: Path) -> None:
    for location, words in [
        (tmp_path / "missing.xml", "neither a web address nor an existing file"),
        ("ftp://example.com/feed", "use http or https"),
        ("http://127.0.0.1:9/feed", "127.0.0.1"),
    ]:
        code, out, err = run_cli("add", location)
        assert code == 1 and out == "" and words in err, err
        assert "Traceback" not in err


# --- remove and per-source settings -------------------------------------------------------


def test_remove_keeps_issues_with_starred_or_later_items_and_says_so(
    site: Site, run_cli: RunCli, run_json: RunJson
) -> None:
    feed = site.feed("/atom.xml", atom("Doomed", [1, 2, 3]))
    other = site.feed("/other.xml", atom("Other", [1]))
    run_cli("add", feed)
    run_cli("add", other)
    listed = {i["title"]: i["id"] for i in run_json("issues")["issues"]}
    starred = run_json("show", listed["Doomed post 1"])["issues"][0]["sections"][0]["items"][0]
    later = run_json("show", listed["Doomed post 2"])["issues"][0]["sections"][0]["items"][0]
    run_cli("mark", starred["id"], "--star")
    run_cli("mark", later["id"], "--later")

    code, out, err = run_cli("remove", "Doomed")

    assert code == 0, err
    assert out.strip() == "removed Doomed; kept 2 issues that hold starred or later items"
    assert [source["title"] for source in sources(run_json)] == ["Other"]
    titles = sorted(issue["title"] for issue in run_json("issues")["issues"])
    assert titles == ["Doomed post 1", "Doomed post 2", "Other post 1"]
    kept = run_json("show", listed["Doomed post 1"])["issues"][0]["sections"][0]["items"][0]
    assert kept["starred"] is True

    code, out, err = run_cli("remove", "Doomed")
    assert code == 1 and "no source is called 'Doomed'" in err


def test_source_renames_and_sets_interval_and_tags(
    site: Site, run_cli: RunCli, run_json: RunJson
) -> None:
    feed = site.feed("/atom.xml", atom("Original", [1]))
    run_cli("add", feed)
    settings = ["--title", "My name", "--interval", "120", "--tag", "rust", "--tag", "weekly"]
    code, out, err = run_cli("source", "Original", *settings)
    assert code == 0, err
    assert out.strip() == "1  My name  (every 120 min; rust, weekly)"
    [source] = sources(run_json)
    assert (source["title"], source["tags"]) == ("My name", ["rust", "weekly"])

    # The feed renaming itself does not undo the user's name.
    site.feed("/atom.xml", atom("Renamed by its author", [1, 2]))
    run_cli("refresh", "My name")
    assert sources(run_json)[0]["title"] == "My name"

    code, out, err = run_cli("source", "My name", "--interval", "1")
    assert code == 1 and "at least" in err


# --- refresh: due sources, naming, --force -------------------------------------------------


def test_refresh_fetches_due_sources_unless_named_or_forced(
    site: Site, run_cli: RunCli, run_json: RunJson, tmp_path: Path
) -> None:
    fresh = site.feed("/fresh.xml", atom("Fresh", [1]), etag='"fresh-1"')
    listed = site.feed("/listed.xml", atom("Listed", [1, 2]), etag='"listed-1"')
    run_cli("add", fresh)
    # Imported from OPML and never fetched: due at once.
    opml = tmp_path / "subs.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline text="Listed" xmlUrl="{listed}"/></body></opml>'
    )
    run_cli("import", opml)

    code, out, err = run_cli("refresh")
    assert code == 0, err
    assert re.fullmatch(r"Listed +2 new issues, 2 new items\n", out)
    assert len(site.requests_to("/fresh.xml")) == 1  # only when it was added

    code, out, _ = run_cli("refresh")
    assert out.strip() == "no source is due; `reader refresh --force` fetches them all"

    code, out, _ = run_cli("refresh", "Fresh")
    assert re.fullmatch(r"Fresh +not modified\n", out)
    assert site.requests_to("/fresh.xml")[-1]["If-None-Match"] == '"fresh-1"'

    result = run_json("refresh", "--force")
    assert [(s["title"], s["status"]) for s in result["sources"]] == [
        ("Fresh", "not_modified"),
        ("Listed", "not_modified"),
    ]
    assert site.requests_to("/listed.xml")[-1]["If-None-Match"] == '"listed-1"'
    assert len(site.requests_to("/fresh.xml")) == 3
    shown = {source["title"]: source for source in sources(run_json)}
    assert shown["Fresh"]["status"] == "not_modified" and shown["Fresh"]["last_refresh"]


def test_refresh_output_without_a_terminal_and_as_json(
    site: Site, run_cli: RunCli, run_json: RunJson, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli("add", site.feed("/a.xml", atom("A", [1])))
    run_cli("add", site.feed("/b.xml", atom("B", [1])))
    site.feed("/b.xml", atom("B", [1, 2]))

    code, out, err = run_cli("refresh", "--force")
    assert code == 0 and err == ""
    assert "\r" not in out and "\x1b" not in out
    assert out.splitlines() == [
        f"{'A':<50}  0 new issues, 0 new items",
        f"{'B':<50}  1 new issue, 1 new item",
    ]

    code, out, err = run_cli("refresh", "--force", "--json")
    assert code == 0 and err == ""
    payload = json.loads(out)
    assert list(payload) == ["sources"]
    assert [(s["title"], s["status"], s["new_issues"]) for s in payload["sources"]] == [
        ("A", "ok", 0),
        ("B", "ok", 0),
    ]
    assert set(payload["sources"][0]) >= {"id", "title", "status", "error", "new_items"}

    # On a terminal, progress goes to stderr and the summary still to stdout.
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run_cli("refresh", "--force")
    assert "refreshing: 2/2 sources" in err
    assert len(out.splitlines()) == 2
    code, out, err = run_cli("refresh", "--force", "--quiet")
    assert err == ""


# --- OPML ---------------------------------------------------------------------------------


def test_opml_import_subscribes_and_export_round_trips(
    site: Site, run_cli: RunCli, run_json: RunJson, tmp_path: Path, home: Path
) -> None:
    rust = site.url("/rust.xml")
    zig = site.url("/zig.xml")
    news = site.url("/news.xml?format=atom&lang=en")
    opml = tmp_path / "subs.opml"
    opml.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="Programming">
    <outline text="Languages">
      <outline type="rss" text="This Week in Rust" title="This Week in Rust" xmlUrl="{rust}"/>
      <outline type="rss" text="Zig News" xmlUrl="{zig}"/>
    </outline>
  </outline>
  <outline type="rss" text="News &amp; more" xmlUrl="{html.escape(news)}"/>
</body></opml>""",
        encoding="utf-8",
    )

    code, out, err = run_cli("import", opml)

    assert code == 0, err
    assert [line for line in out.splitlines() if line.startswith("subscribed to")] == [
        f"subscribed to {rust}",
        f"subscribed to {zig}",
        f"subscribed to {news}",
    ]
    expected = [
        (rust, "This Week in Rust", ["Programming", "Languages"]),
        (zig, "Zig News", ["Programming", "Languages"]),
        (news, "News & more", []),
    ]
    assert [(s["url"], s["title"], s["tags"]) for s in sources(run_json)] == expected
    assert site.log == []  # importing a list fetches nothing

    code, exported, err = run_cli("export", "opml")
    assert code == 0, err
    # Feeds are grouped by folder, so only the order may change.
    round_trip = [(f.url, f.title, list(f.tags)) for f in parse_opml(exported.encode())]
    assert sorted(round_trip) == sorted(expected)

    # Importing the export into another library gives the same subscriptions.
    (tmp_path / "exported.opml").write_text(exported, encoding="utf-8")
    other_home = tmp_path / "other"
    other_home.mkdir()
    code, _, err = run_cli("--home", other_home, "import", tmp_path / "exported.opml")
    assert code == 0, err
    again = json.loads(run_cli("--home", other_home, "sources", "--json")[1])["sources"]
    again_feeds = [(s["url"], s["title"], s["tags"]) for s in again if s["kind"] == "feed"]
    assert sorted(again_feeds) == sorted(expected)

    # Importing the same list twice adds nothing.
    code, out, _ = run_cli("import", opml)
    assert "subscribed to" not in out
    assert len(sources(run_json)) == 3
