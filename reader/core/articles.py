"""Saving items' source pages for offline reading: fetch, extract the article, clean, store.

Pages come through fetch.py (one deadline, size cap, checked redirects); trafilatura finds the
article in worker threads; every outcome, failures included, is stored with its date.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from reader.core.clean import clean_article, repair_punctuation
from reader.core.errors import FetchError, InputError, ReaderError
from reader.core.fetch import FetchResult, PrivateAddressError, fetch, make_client
from reader.core.limits import (
    ARTICLE_ACCEPT,
    ARTICLE_DEADLINE_S,
    ARTICLE_EXTRACT_WORKERS,
    MAX_ARTICLE_BYTES,
    MAX_CONCURRENT_ARTICLE_FETCHES,
    MIN_ARTICLE_CHARS,
)
from reader.core.model import Article, Item
from reader.core.store import Store

# Media types whose pages are searched for an article; anything else is refused.
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# How much of a page without a Content-Type is looked at to tell whether it is HTML.
SNIFF_BYTES = 1024

_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_LETTERS = re.compile(r"[^\W_]+")

# Key of a source's settings: save the articles of its new items at each refresh.
AUTO_SAVE = "auto_save"

SAVED = "saved"
ALREADY_SAVED = "already_saved"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class SaveOutcome:
    """What saving one item's article did.

    `status` is "saved", "already_saved" (nothing fetched), "skipped" (not fetched: no link,
    or a private address during auto-save) or "failed"; `message` says why, for the user.
    """

    item_id: str
    url: str | None
    status: str
    message: str | None = None


@dataclass(frozen=True)
class SaveProgress:
    """Totals so far, for a progress display (a new one after each item, safe to pass to
    another thread); `last` is the outcome just reached."""

    total: int
    done: int = 0
    failed: int = 0
    last: SaveOutcome | None = None


SaveProgressCallback = Callable[[SaveProgress], None]


def extract_article(page: bytes | str, url: str | None = None) -> tuple[str | None, str]:
    """(title, Markdown body) of the main article of an HTML page; InputError if none.

    Navigation, related lists and footers go (trafilatura, favouring precision), then the
    cleaner drops the scraper noise trafilatura keeps and repairs punctuation.
    """
    import trafilatura  # 0.3 s to import: only when a page is saved

    markdown = trafilatura.extract(
        page,
        url=url,
        output_format="markdown",
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=True,
    )
    if not markdown or len(_visible_text(markdown)) < MIN_ARTICLE_CHARS:
        raise InputError("no article text found on the page")
    cleaned = clean_article(markdown)
    body = cleaned.body.strip() or repair_punctuation(markdown).strip()
    title = cleaned.title.strip() if cleaned.title else None
    if title and not body:
        body = title
    return title, (f"# {title}\n\n{body}" if title and body != title else body)


def _visible_text(markdown: str) -> str:
    """Letters and digits a reader would see (link targets and markup left out)."""
    return "".join(_LETTERS.findall(_LINK_TARGET.sub("", markdown)))


def _check_html(result: FetchResult) -> None:
    media_type = result.content_type
    if media_type is None:
        start = (result.content or b"")[:SNIFF_BYTES].lstrip().lower()
        if start.startswith((b"<!doctype html", b"<html")) or b"<body" in start:
            return
        raise FetchError("not a web page (no content type, and it does not look like HTML)")
    if media_type not in HTML_MEDIA_TYPES:
        raise FetchError(f"not a web page ({media_type}): only HTML pages are saved")


def _page_text(result: FetchResult) -> bytes | str:
    content = result.content or b""
    if result.charset:
        try:
            return content.decode(result.charset, errors="replace")
        except LookupError:
            pass  # an unknown charset name: let the extractor read the page's own
    return content


class ArticleSaver:
    """One batch of article saves, storing through `store` in the calling thread.

    `explicit` saves are what the user asked for and may reach any address; others
    (auto-save) skip links to private, loopback and link-local addresses.
    """

    def __init__(
        self,
        store: Store,
        *,
        explicit: bool = True,
        concurrency: int = MAX_CONCURRENT_ARTICLE_FETCHES,
        deadline_s: float = ARTICLE_DEADLINE_S,
        max_bytes: int = MAX_ARTICLE_BYTES,
        progress: SaveProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.explicit = explicit
        self.concurrency = max(1, concurrency)
        self.deadline_s = deadline_s
        self.max_bytes = max_bytes
        self.progress = progress
        self._state = SaveProgress(total=0)

    def run(self, item_ids: Sequence[str]) -> list[SaveOutcome]:
        """Save the articles of these items (full ids), in their order; never raises for a
        page that cannot be saved: each outcome says what happened."""
        unique = list(dict.fromkeys(item_ids))
        self._state = SaveProgress(total=len(unique))
        outcomes: dict[str, SaveOutcome] = {}
        saved = self.store.saved_item_ids(unique)
        to_fetch: list[Item] = []
        for item_id in unique:
            outcome = None
            if item_id in saved:
                outcome = SaveOutcome(item_id, None, ALREADY_SAVED, "already saved")
            else:
                item = self.store.item(item_id)
                outcome = self._without_fetching(item)
                if outcome is None:
                    to_fetch.append(item)
            if outcome is not None:
                outcomes[item_id] = outcome
                self._report(outcome)
        if to_fetch:
            for outcome in asyncio.run(self._fetch_all(to_fetch)):
                outcomes[outcome.item_id] = outcome
        return [outcomes[item_id] for item_id in unique]

    def _without_fetching(self, item: Item) -> SaveOutcome | None:
        """The outcome for an item that needs no download, or None to fetch it."""
        if not item.url:
            return SaveOutcome(item.id, None, SKIPPED, "the item has no link to save")
        same_story = self.store.article_of_same_story(item.id)
        if same_story is not None:
            self.store.store_article(replace(same_story, item_id=item.id))
            return SaveOutcome(item.id, item.url, SAVED, "the same story was saved already")
        return None

    def _report(self, outcome: SaveOutcome) -> None:
        last = self._state
        self._state = SaveProgress(
            last.total, last.done + 1, last.failed + (outcome.status == FAILED), outcome
        )
        if self.progress:
            self.progress(self._state)

    async def _fetch_all(self, items: list[Item]) -> list[SaveOutcome]:
        semaphore = asyncio.Semaphore(self.concurrency)
        with ThreadPoolExecutor(max_workers=ARTICLE_EXTRACT_WORKERS) as extractors:
            # Auto-save fetches what feeds link to without asking: never a private address.
            async with make_client(public_only=not self.explicit) as client:
                client.headers["Accept"] = ARTICLE_ACCEPT

                async def one(item: Item) -> SaveOutcome:
                    async with semaphore:
                        outcome = await self._save_one(client, extractors, item)
                    self._report(outcome)
                    return outcome

                return list(await asyncio.gather(*(one(item) for item in items)))

    async def _save_one(
        self, client: httpx.AsyncClient, extractors: ThreadPoolExecutor, item: Item
    ) -> SaveOutcome:
        url = item.url or ""
        try:
            result = await fetch(
                client,
                url,
                etag=None,
                last_modified=None,
                deadline_s=self.deadline_s,
                max_bytes=self.max_bytes,
            )
            _check_html(result)
            loop = asyncio.get_running_loop()
            try:
                title, markdown = await loop.run_in_executor(
                    extractors, extract_article, _page_text(result), result.url
                )
            except ReaderError:
                raise
            except Exception as error:  # a hostile page must not end the batch
                raise InputError(
                    f"could not read the page ({type(error).__name__}); a bug"
                ) from error
        except PrivateAddressError as error:
            return self._failure(item, str(error), SKIPPED)
        except ReaderError as error:
            return self._failure(item, str(error), FAILED)
        article = Article(
            item_id=item.id,
            url=result.url,
            fetched_at=datetime.now(UTC),
            markdown=markdown,
            title=title,
        )
        self.store.store_article(article)
        return SaveOutcome(item.id, url, SAVED, None)

    def _failure(self, item: Item, message: str, status: str) -> SaveOutcome:
        self.store.store_article(
            Article(
                item_id=item.id, url=item.url or "", fetched_at=datetime.now(UTC), error=message
            )
        )
        return SaveOutcome(item.id, item.url, status, message)
