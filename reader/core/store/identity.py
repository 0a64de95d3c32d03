"""How the items of a new version of an issue find their stored selves, and new ids.

Matching by url, then title, then text keeps ids (and so read/star/later flags) stable.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from reader.core.model import ParsedItem, identity_text, stable_id


def body_hash(body: str) -> str:
    """A short fingerprint of an item's text, blind to case and spacing."""
    return stable_id(identity_text(body))


def section_ids(issue_id: str, titles: Iterable[str]) -> list[str]:
    """Section ids from their titles, so a section keeps its id when others move around it."""
    seen: Counter[str] = Counter()
    ids = []
    for title in titles:
        folded = identity_text(title)
        ids.append(stable_id(issue_id, "section", folded, str(seen[folded])))
        seen[folded] += 1
    return ids


class StoredItem:
    """An item of the issue as it is in the database, for matching against a new version."""

    __slots__ = ("body", "id", "keep", "links", "position", "rowid", "section_id", "title", "url")

    def __init__(self, row: tuple[object, ...]) -> None:
        (rowid, item_id, section_id, position, title, url, body, links, starred, later) = row
        self.rowid = int(str(rowid))
        self.id = str(item_id)
        self.section_id = str(section_id)
        self.position = int(str(position))
        self.title = str(title)
        self.url = None if url is None else str(url)
        self.body = str(body)
        self.links = str(links)
        # Starred and later items are the user's: they outlive their removal from the issue.
        self.keep = bool(starred) or bool(later)

    def placed_content(self) -> tuple[object, ...]:
        """Where the item sits and what it says, as compared when updating it."""
        return (self.section_id, self.position, self.title, self.url, self.body, self.links)


def _item_basis(item: ParsedItem) -> str:
    """What a new item's id is derived from: its url, else its title, else its text."""
    if item.url:
        return item.url
    title = identity_text(item.title)
    return title if title else body_hash(item.body)


class _ItemText(Protocol):
    """What matching looks at, shared by parsed and stored items."""

    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def body(self) -> str: ...


# How a new version's items find their stored selves, in order of trust.
_MATCH_KEYS: tuple[Callable[[_ItemText], str | None], ...] = (
    lambda item: item.url,
    lambda item: identity_text(item.title),
    lambda item: body_hash(item.body),
)


def match_items(
    new_items: Sequence[ParsedItem], stored: Sequence[StoredItem]
) -> list[StoredItem | None]:
    """Pair new items with stored ones: first by url, then by title, then by text."""
    matches: list[StoredItem | None] = [None] * len(new_items)
    unmatched = list(stored)
    # Each pass runs over all items before the next, so an exact url match anywhere wins
    # over a title that happens to be shared.
    for match_key in _MATCH_KEYS:
        if not unmatched or all(match is not None for match in matches):
            break
        candidates: dict[str, deque[StoredItem]] = {}
        for old in unmatched:
            key = match_key(old)
            if key:
                candidates.setdefault(key, deque()).append(old)
        taken: set[int] = set()
        for index, item in enumerate(new_items):
            if matches[index] is not None:
                continue
            key = match_key(item)
            queue = candidates.get(key) if key else None
            if queue:
                old = queue.popleft()
                matches[index] = old
                taken.add(old.rowid)
        unmatched = [old for old in unmatched if old.rowid not in taken]
    return matches


def new_item_ids(
    issue_id: str,
    items: Sequence[ParsedItem],
    matches: Sequence[StoredItem | None],
    taken: set[str],
) -> list[str | None]:
    """Ids for the unmatched items; the occurrence number tells apart items with one basis."""
    seen: Counter[str] = Counter()
    ids: list[str | None] = []
    for item, match in zip(items, matches, strict=True):
        basis = _item_basis(item)
        occurrence = seen[basis]
        seen[basis] += 1
        if match is not None:
            ids.append(None)
            continue
        item_id = stable_id(issue_id, basis, str(occurrence))
        while item_id in taken:
            occurrence += 1
            item_id = stable_id(issue_id, basis, str(occurrence))
        taken.add(item_id)
        ids.append(item_id)
    return ids
