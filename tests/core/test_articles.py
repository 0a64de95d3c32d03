"""Saved articles: fetched from a real HTTP server on 127.0.0.1, extracted, cleaned, stored.

Hostile pages (huge, endless, slow, not HTML, redirected to another scheme) are refused one by
one with a message; the rest of the issue saves, and everything saved opens with the server gone.
"""

from __future__ import annotations

import asyncio
import html
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from reader import paths
from reader.core.articles import (
    ALREADY_SAVED,
    FAILED,
    SAVED,
    SKIPPED,
    ArticleSaver,
    SaveProgress,
    extract_article,
)
from reader.core.fetch import is_private_address
from reader.core.library import Library
from reader.core.limits import MAX_ARTICLE_BYTES
from reader.core.model import Item, ParsedIssue, ParsedItem, ParsedSection

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

Handler = Callable[[Request], Response]

NAV = ["Home", "World", "Technology", "Sign in", "Subscribe now"]
RELATED = ["Ten gadgets you will love", "Why cats rule the internet", "Markets slide again"]
FOOTER = "Copyright 2025 Example Daily Corporation. All rights reserved."


def article_page(title: str, paragraphs: list[str]) -> str:
    """A news page: navigation, the article, a related list and a footer."""
    nav = "".join(f'<li><a href="/{n.lower()}">{html.escape(n)}</a></li>' for n in NAV)
    body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    related = "".join(
        f'<li><a href="/r/{i}">{html.escape(r)}</a></li>' for i, r in enumerate(RELATED)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} | Example Daily</title></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>{html.escape(title)}</h1>{body}</article>"
        f"<aside><h2>Related articles</h2><ul>{related}</ul></aside></main>"
        f"<footer><p>{FOOTER}</p><a href='/privacy'>Privacy policy</a></footer>"
        "</body></html>"
    )


def story(topic: str) -> list[str]:
    return [
        f"The city council met on Tuesday to discuss {topic}, which has divided residents "
        "for most of the year and filled the letters page of this newspaper every week.",
        f"Supporters of {topic} argued that the plan would bring jobs and visitors, while "
        "opponents worried about traffic, noise and the cost to taxpayers over ten years.",
        "After four hours of debate the council voted seven to four to approve a smaller "
        "version of the plan, with a review of its effects promised for next spring.",
    ]


class Site:
    """Routes on a threaded 127.0.0.1 server, with a log of the paths requested."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.routes: dict[str, Handler] = {}
        self.log: list[str] = []
        self.release = threading.Event()
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.log.append(request.path)
        route = self.routes.get(request.path)
        return route(request) if route else Response("not here", status=404)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def page(self, path: str, text: str, content_type: str = "text/html; charset=utf-8") -> str:
        self.routes[path] = lambda request: Response(text, headers={"Content-Type": content_type})
        return self.url(path)

    def add_hostile_pages(self) -> dict[str, str]:
        """Pages no save may keep, by what is wrong with them."""
        huge = b"<html><body>" + b"<p>big</p>" * (MAX_ARTICLE_BYTES // 10 + 10) + b"</body></html>"
        self.routes["/huge"] = lambda request: Response(huge, content_type="text/html")

        def endless(request: Request) -> Response:
            def chunks() -> Iterator[bytes]:
                yield b"<html><body>"
                while not self.release.is_set():
                    yield b"<p>and on and on</p>" * 4096

            return Response(chunks(), content_type="text/html")

        self.routes["/endless"] = endless
        self.routes["/pdf"] = lambda request: Response(
            b"%PDF-1.7 ...", content_type="application/pdf"
        )
        self.routes["/to-file"] = lambda request: Response(
            status=302, headers={"Location": "file:///etc/passwd"}
        )
        self.routes["/to-javascript"] = lambda request: Response(
            status=301, headers={"Location": "javascript:alert(1)"}
        )
        return {
            name: self.url(f"/{name}")
            for name in ("huge", "endless", "pdf", "to-file", "to-javascript")
        }


@pytest.fixture
def site() -> Iterator[Site]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    served = Site(server)
    try:
        yield served
    finally:
        served.release.set()
        server.clear()
        if server.is_running():
            server.stop()


@pytest.fixture
def library(home: Path) -> Iterator[Library]:
    with Library(paths.database_path()) as opened:
        yield opened


def store_issue(library: Library, links: list[tuple[str, str | None]], title: str = "Links") -> str:
    """An imported issue with one item per (title, url); returns its id."""
    items = tuple(ParsedItem(name, url, f"Summary of {name}.") for name, url in links)
    parsed = ParsedIssue(title, datetime(2025, 3, 1), None, (ParsedSection("News", items),))
    return library.store_parsed(library.imports_source_id(), parsed)


def items_of(library: Library, issue_id: str) -> dict[str, Item]:
    return {item.title: item for s in library.issue(issue_id).sections for item in s.items}


# --- extraction -------------------------------------------------------------------------


def test_extraction_keeps_the_article_and_drops_page_chrome() -> None:
    title, markdown = extract_article(article_page("Council approves park", story("the park")))
    assert title == "Council approves park"
    assert markdown.startswith("# Council approves park\n\n")
    assert "voted seven to four" in markdown
    for noise in [*NAV, *RELATED, FOOTER, "Related articles", "Privacy policy"]:
        assert noise not in markdown


def test_extraction_cleans_scraper_noise_of_a_chinese_page(shared: Path) -> None:
    seed = next((shared / "seeds").glob("003_*.txt")).read_text(encoding="utf-8")
    page = (
        "<html><body><div>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in seed.splitlines() if line.strip())
        + "</div></body></html>"
    )
    _, markdown = extract_article(page)
    assert "深度求索" in markdown
    assert "發(fā)" not in markdown and ",," not in markdown  # repaired punctuation
    assert "免責聲明" not in markdown  # the disclaimer after the article


def test_page_without_an_article_is_refused() -> None:
    with pytest.raises(Exception, match="no article text"):
        extract_article("<html><body><nav><a href='/'>Home</a></nav></body></html>")


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", True),
        ("93.184.215.14", False),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", False),
    ],
)
def test_private_addresses(address: str, private: bool) -> None:
    assert is_private_address(address) is private


# --- saving an issue ------------------------------------------------------------------------


def test_saving_an_issue_keeps_main_text_refuses_hostile_pages_and_opens_offline(
    site: Site, library: Library
) -> None:
    good = {
        "Park": site.page("/park", article_page("Council approves park", story("the park"))),
        "Bridge": site.page("/bridge", article_page("New bridge opens", story("the bridge"))),
    }
    bad = site.add_hostile_pages()
    issue_id = store_issue(
        library, [*good.items(), *((name, url) for name, url in bad.items()), ("No link", None)]
    )
    library.mark([items_of(library, issue_id)["Bridge"].id], starred=True)
    reports: list[SaveProgress] = []
    items = items_of(library, issue_id)
    outcomes = library.save_articles(
        [item.id for item in items.values()], progress=lambda state: reports.append(state)
    )

    titles = {item.id: name for name, item in items.items()}
    by_title = {titles[outcome.item_id]: outcome for outcome in outcomes}
    assert by_title["Park"].status == SAVED and by_title["Bridge"].status == SAVED
    assert by_title["No link"].status == SKIPPED
    messages = {name: by_title[name].message or "" for name in bad}
    assert {by_title[name].status for name in bad} == {FAILED}
    assert "larger than" in messages["huge"] and "larger than" in messages["endless"]
    assert "not a web page (application/pdf)" in messages["pdf"]
    for name in ("to-file", "to-javascript"):
        assert messages[name].startswith("refused"), messages[name]
        assert re.search(r"only http and https|not an http\(s\) URL", messages[name])
    assert [state.done for state in reports] == list(range(1, len(items) + 1))
    assert reports[-1].failed == len(bad)

    # Failures are stored with their reason; the rest of the issue is untouched.
    for name in bad:
        article = library.article(items[name].id)
        assert article is not None and article.markdown is None
        assert article.error == messages[name]
    assert library.article(items["No link"].id) is None
    after = items_of(library, issue_id)
    assert after["Bridge"].starred and not any(item.read for item in after.values())
    assert {name: item.body for name, item in after.items()} == {
        name: item.body for name, item in items.items()
    }

    site.release.set()
    site.server.stop()
    library.close()
    with Library(paths.database_path()) as reopened:
        park = reopened.article(items["Park"].id)
        assert park is not None and park.error is None and park.markdown is not None
        assert park.title == "Council approves park"
        assert park.url == good["Park"]
        assert abs((datetime.now(UTC) - park.fetched_at).total_seconds()) < 60
        assert "voted seven to four" in park.markdown
        for noise in [*NAV, *RELATED, FOOTER]:
            assert noise not in park.markdown
        saved = reopened.articles_for_issue(issue_id)
        assert saved[items["Bridge"].id].markdown is not None
        assert "the bridge" in (saved[items["Bridge"].id].markdown or "")


def test_saved_articles_are_not_fetched_again_and_failures_are_retried(
    site: Site, library: Library
) -> None:
    url = site.page("/a", article_page("A story", story("a story")))
    site.routes["/later"] = lambda request: Response("gone", status=503)
    issue_id = store_issue(library, [("A", url), ("Later", site.url("/later"))])
    ids = [item.id for item in items_of(library, issue_id).values()]
    first = library.save_articles(ids)
    assert [o.status for o in first] == [SAVED, FAILED]
    assert "HTTP 503" in (first[1].message or "")
    site.page("/later", article_page("Back again", story("the return")))
    second = library.save_articles(ids)
    assert [o.status for o in second] == [ALREADY_SAVED, SAVED]
    assert site.log.count("/a") == 1 and site.log.count("/later") == 2


def test_an_article_serves_every_item_of_the_same_story(site: Site, library: Library) -> None:
    url = site.page("/story", article_page("Shared story", story("sharing")))
    first = store_issue(library, [("One", url + "?utm_source=a")], title="Issue 1")
    second = store_issue(library, [("Two", url + "#comments")], title="Issue 2")
    one = items_of(library, first)["One"]
    two = items_of(library, second)["Two"]
    library.save_articles([one.id])
    (outcome,) = library.save_articles([two.id])
    assert outcome.status == SAVED and "same story" in (outcome.message or "")
    assert site.log.count("/story") == 1
    copied = library.article(two.id)
    assert copied is not None and copied.markdown == (library.article(one.id) or copied).markdown


def test_auto_save_skips_private_addresses_but_an_explicit_save_fetches(
    site: Site, library: Library
) -> None:
    url = site.page("/local", article_page("Local story", story("the intranet")))
    issue_id = store_issue(library, [("Local", url)])
    item = items_of(library, issue_id)["Local"]
    (auto,) = library.save_articles([item.id], explicit=False)
    assert auto.status == SKIPPED
    assert auto.message == "skipped: private address (127.0.0.1)"
    assert site.log == []  # nothing was sent
    stored = library.article(item.id)
    assert stored is not None and stored.error == auto.message
    (explicit,) = library.save_articles([item.id])
    assert explicit.status == SAVED
    assert "the intranet" in ((library.article(item.id) or stored).markdown or "")


def test_auto_save_connects_to_the_address_it_checked_not_a_rebound_one(
    site: Site, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name that is public when checked and private when connecting."""
    port = site.url("/").split(":")[2].split("/")[0]
    url = f"http://rebinding.test:{port}/story"
    site.page("/story", article_page("Inside", story("the intranet")))
    issue_id = store_issue(library, [("Rebound", url)])
    item = items_of(library, issue_id)["Rebound"]
    answers: list[str] = []
    real = asyncio.BaseEventLoop.getaddrinfo

    async def rebinding(
        loop: asyncio.BaseEventLoop, host: object, *args: object, **kwargs: object
    ) -> object:
        if host != "rebinding.test":
            return await real(loop, host, *args, **kwargs)  # type: ignore[arg-type]
        # Public the first time (the request check), the server's loopback after.
        address = "93.184.215.14" if not answers else "127.0.0.1"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding)
    (outcome,) = library.save_articles([item.id], explicit=False)
    assert outcome.status == SKIPPED
    assert outcome.message == "skipped: private address (rebinding.test)"
    assert answers == ["93.184.215.14", "127.0.0.1"]  # checked, then checked again
    assert site.log == []  # nothing reached the private address


def test_slow_page_is_cut_at_the_deadline(site: Site, library: Library) -> None:
    def drip(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            yield b"<html><body><p>"
            while not site.release.wait(0.05):
                yield b"."

        return Response(chunks(), content_type="text/html")

    site.routes["/drip"] = drip
    fine = site.page("/fine", article_page("Fine", story("speed")))
    issue_id = store_issue(library, [("Drip", site.url("/drip")), ("Fine", fine)])
    ids = [item.id for item in items_of(library, issue_id).values()]
    started = time.monotonic()
    # Long enough for the fine page on a busy machine, short for a test.
    outcomes = ArticleSaver(library.store, deadline_s=2).run(ids)
    assert time.monotonic() - started < 15
    assert outcomes[0].status == FAILED and "within 2 s" in (outcomes[0].message or "")
    assert outcomes[1].status == SAVED


def test_charset_from_the_header_is_used(site: Site, library: Library) -> None:
    page = article_page("Große Überraschung", story("the café"))
    site.routes["/latin"] = lambda request: Response(
        page.replace("charset='utf-8'", "").encode("latin-1"),
        headers={"Content-Type": "text/html; charset=iso-8859-1"},
    )
    issue_id = store_issue(library, [("Latin", site.url("/latin"))])
    item = items_of(library, issue_id)["Latin"]
    assert library.save_articles([item.id])[0].status == SAVED
    assert "# Große Überraschung" in ((library.article(item.id)).markdown or "")  # type: ignore[union-attr]


def test_removed_items_take_their_articles_with_them(site: Site, library: Library) -> None:
    url = site.page("/x", article_page("Gone soon", story("removal")))
    source_id = library.store.ensure_source("folder", "/tmp/issues", "Folder")
    parsed = ParsedIssue(
        "Weekly", None, None, (ParsedSection("", (ParsedItem("X", url, "Text."),)),)
    )
    issue_id = library.store_parsed(source_id, parsed)
    item = items_of(library, issue_id)["X"]
    library.save_articles([item.id])
    library.remove_source("Folder")
    assert library.store.article(item.id) is None


def test_new_items_are_collected_only_when_stored(library: Library) -> None:
    store = library.store
    source_id = store.ensure_source("feed", "https://a.example/feed", "A")

    def issue(*titles: str) -> ParsedIssue:
        items = tuple(ParsedItem(title, f"https://a.example/{title}", "x") for title in titles)
        return ParsedIssue("Weekly", None, None, (ParsedSection("", items),))

    store.upsert_issue(source_id, issue("old"))
    with store.collecting_new_items() as new_items:
        store.upsert_issue(source_id, issue("old", "new"))
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_issue(source_id, issue("old", "new", "rolled back"))
            raise RuntimeError("abandon the batch")
    store.upsert_issue(source_id, issue("old", "new", "after"))
    titles = {store.item(item_id).title for _, item_id in new_items}
    assert titles == {"new"} and {source for source, _ in new_items} == {source_id}
