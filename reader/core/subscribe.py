"""Subscribing: turn what the user typed into a source, finding a page's feed.

A URL is fetched once to learn what it is; a web page is searched for the
feeds it links to; a local file must parse as a feed; a folder is taken as is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reader.core.errors import FeedError, InputError
from reader.core.feeds import WebPageError, discover_feeds
from reader.core.fetch import FetchResult, fetch, make_client
from reader.core.model import Source
from reader.core.refresh import Fetched, Refresher, parse_feed_bytes, scan_folder
from reader.core.store import Store


@dataclass(frozen=True)
class AddResult:
    """A subscription: the source, whether it is new, and what to tell the user."""

    source: Source
    created: bool
    message: str
    new_issues: int = 0
    candidates: tuple[str, ...] = ()


def subscribe(store: Store, location: str, *, title: str | None = None) -> AddResult:
    """Add `location` as a source (see `Library.add_source`) and store its issues."""
    location = location.strip()
    if not location:
        raise InputError("say what to subscribe to: a feed or page URL, a feed file or a folder")
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        return _subscribe_url(store, location, title)
    if scheme and len(scheme) > 1 and scheme != "file":
        raise InputError(f"cannot subscribe to a {scheme}: address; use http or https")
    path = Path(location.removeprefix("file://")).expanduser()
    if not path.exists():
        raise InputError(f"{location} is neither a web address nor an existing file or folder")
    return _subscribe_path(store, path.resolve(), title)


def _existing(store: Store, url: str) -> AddResult | None:
    source = store.source_by_url(url)
    if source is None:
        return None
    return AddResult(source, created=False, message=f"already subscribed to {url}")


def _subscribe_path(store: Store, path: Path, title: str | None) -> AddResult:
    url = str(path)
    existing = _existing(store, url)
    if existing:
        return existing
    if path.is_dir():
        fetched = scan_folder(path, {})
        source_id = store.ensure_source("folder", url, title or path.name)
        return _store_first(store, source_id, fetched, f"subscribed to the folder {url}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    parsed = parse_feed_bytes(data, path.as_uri(), None, None)
    source_id = store.ensure_source("file", url, title or parsed.title or path.name)
    return _store_first(store, source_id, Fetched(parsed=parsed), f"subscribed to {url}")


def _subscribe_url(store: Store, url: str, title: str | None) -> AddResult:
    existing = _existing(store, url)
    if existing:
        return existing
    result = _fetch_once(url)
    content = result.content or b""
    candidates: tuple[str, ...] = ()
    chosen_note = ""
    try:
        parsed = parse_feed_bytes(content, result.url, result.content_type, result.charset)
        feed_url = result.permanent_redirect_to or url
    except WebPageError:
        found = discover_feeds(content, result.url)
        if not found:
            raise FeedError(f"{url} is a web page that links to no feed") from None
        candidates = tuple(feed.url for feed in found)
        feed_url = found[0].url
        existing = _existing(store, feed_url)
        if existing:
            return existing
        result = _fetch_once(feed_url)
        parsed = parse_feed_bytes(
            result.content or b"", result.url, result.content_type, result.charset
        )
        feed_url = result.permanent_redirect_to or feed_url
        if len(found) > 1:
            others = ", ".join(feed.url for feed in found[1:4])
            chosen_note = f" (the page offers {len(found)} feeds; chose {feed_url} over {others})"
        else:
            chosen_note = f" (found on the page {url})"
    existing = _existing(store, feed_url)
    if existing:
        return existing
    source_id = store.ensure_source("feed", feed_url, title or parsed.title or feed_url)
    fetched = Fetched(parsed=parsed, http=result)
    added = _store_first(store, source_id, fetched, f"subscribed to {feed_url}{chosen_note}")
    return AddResult(added.source, True, added.message, added.new_issues, candidates=candidates)


def _fetch_once(url: str) -> FetchResult:
    async def run() -> FetchResult:
        async with make_client() as client:
            return await fetch(client, url, etag=None, last_modified=None)

    return asyncio.run(run())


def _store_first(store: Store, source_id: int, fetched: Fetched, message: str) -> AddResult:
    source = store.source(source_id)
    outcome = Refresher(store).store_result(source, fetched)
    stored: Source = store.source(source_id)
    return AddResult(stored, True, message, outcome.new_issues)
