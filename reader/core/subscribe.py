"""Subscribing: turn what the user typed into a source, finding a page's feed.

A URL is fetched once to learn what it is; a web page is searched for the
feeds it links to; a local file must parse as a feed; a folder is taken as is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from reader.core.errors import FeedError, FetchError, InputError, ReaderError
from reader.core.feeds import DiscoveredFeed, WebPageError, discover_feeds
from reader.core.fetch import FetchResult, fetch, make_client
from reader.core.model import Source
from reader.core.refresh import (
    Fetched,
    ParsedSource,
    Refresher,
    parse_feed_bytes,
    read_feed_file,
    scan_folder,
)
from reader.core.store import Store

# Feeds a page links to that are tried, best first, when the better ones fail:
# enough for a dead feed link or two, never a fetch of every link a page holds.
MAX_DISCOVERED_FEEDS_TRIED = 4
# Other feeds of a page named in the message about the one chosen.
OTHER_FEEDS_NAMED = 3


@dataclass(frozen=True)
class AddResult:
    """A subscription: the source, whether it is new, and what to tell the user."""

    source: Source
    created: bool
    message: str
    new_issues: int = 0
    candidates: tuple[str, ...] = ()


def subscribe(store: Store, location: str, *, title: str | None = None) -> AddResult:
    """Add `location` as a source (see `Library.add_source`) and store its issues.

    A `title` is the user's name for the source: the feed's own title never replaces it.
    """
    location = location.strip()
    title = title.strip() if title and title.strip() else None
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
        source_id = _create_source(store, "folder", url, title, path.name)
        return _store_first(store, source_id, fetched, f"subscribed to the folder {url}")
    try:
        data = read_feed_file(path)
    except FetchError as error:
        raise InputError(str(error)) from None
    parsed = parse_feed_bytes(data, path.as_uri(), None, None)
    source_id = _create_source(store, "file", url, title, parsed.title or path.name)
    return _store_first(store, source_id, Fetched(parsed=parsed), f"subscribed to {url}")


def _subscribe_url(store: Store, url: str, title: str | None) -> AddResult:
    existing = _existing(store, url)
    if existing:
        return existing
    with _Fetcher() as fetcher:
        result = fetcher.fetch(url)
        content = result.content or b""
        try:
            parsed = parse_feed_bytes(content, result.url, result.content_type, result.charset)
        except WebPageError:
            return _subscribe_discovered(store, fetcher, url, result, title)
    return _subscribe_feed(store, result.permanent_redirect_to or url, parsed, result, title, "")


def _subscribe_discovered(
    store: Store, fetcher: _Fetcher, page_url: str, page: FetchResult, title: str | None
) -> AddResult:
    """Subscribe to the best feed a page links to that works."""
    found = discover_feeds(page.content or b"", page.url)
    if not found:
        raise FeedError(f"{page_url} is a web page that links to no feed")
    candidates = tuple(feed.url for feed in found)
    failures: list[str] = []
    for feed in found[:MAX_DISCOVERED_FEEDS_TRIED]:
        existing = _existing(store, feed.url)
        if existing:
            return existing
        try:
            result = fetcher.fetch(feed.url)
            parsed = parse_feed_bytes(
                result.content or b"", result.url, result.content_type, result.charset
            )
        except ReaderError as error:
            failures.append(f"{feed.url}: {error}")
            continue
        feed_url = result.permanent_redirect_to or feed.url
        note = _choice_note(page_url, found, feed, failures)
        added = _subscribe_feed(store, feed_url, parsed, result, title, note)
        return AddResult(added.source, added.created, added.message, added.new_issues, candidates)
    raise FeedError(f"no feed that {page_url} links to works: " + "; ".join(failures))


def _choice_note(
    page_url: str, found: list[DiscoveredFeed], chosen: DiscoveredFeed, failures: list[str]
) -> str:
    if len(found) == 1:
        return f" (found on the page {page_url})"
    note = f" (the page offers {len(found)} feeds; chose {chosen.url}"
    if failures:
        return note + "; skipped " + "; ".join(failures) + ")"
    others = [feed.url for feed in found if feed is not chosen][:OTHER_FEEDS_NAMED]
    return note + " over " + ", ".join(others) + ")"


def _subscribe_feed(
    store: Store,
    feed_url: str,
    parsed: ParsedSource,
    result: FetchResult,
    title: str | None,
    note: str,
) -> AddResult:
    # A redirect may lead to a feed that is already a source.
    existing = _existing(store, feed_url)
    if existing:
        return existing
    source_id = _create_source(store, "feed", feed_url, title, parsed.title or feed_url)
    fetched = Fetched(parsed=parsed, http=result)
    return _store_first(store, source_id, fetched, f"subscribed to {feed_url}{note}")


def _create_source(store: Store, kind: str, url: str, title: str | None, own_title: str) -> int:
    source_id = store.ensure_source(kind, url, title or own_title)
    if title:
        store.update_source(source_id, title_override=title)
    return source_id


class _Fetcher:
    """One event loop and one HTTP client for the few fetches of one subscription."""

    def __enter__(self) -> _Fetcher:
        self._runner = asyncio.Runner()
        self._client = make_client()
        return self

    def fetch(self, url: str) -> FetchResult:
        return self._runner.run(fetch(self._client, url, etag=None, last_modified=None))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._runner.run(self._client.aclose())
        finally:
            self._runner.close()


def _store_first(store: Store, source_id: int, fetched: Fetched, message: str) -> AddResult:
    source = store.source(source_id)
    outcome = Refresher(store).store_result(source, fetched)
    stored: Source = store.source(source_id)
    return AddResult(stored, True, message, outcome.new_issues)
