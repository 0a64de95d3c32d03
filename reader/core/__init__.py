"""The reader core: everything that works without a terminal.

It never imports Textual; the CLI and the TUI both go through `Library`.
"""

from reader.core.errors import (
    FeedError,
    FetchError,
    InputError,
    NotFoundError,
    ReaderError,
    StoreError,
)
from reader.core.model import (
    AlsoIn,
    Article,
    Issue,
    Item,
    ParsedIssue,
    ParsedItem,
    ParsedSection,
    SearchHit,
    Section,
    Source,
)

__all__ = [
    "AlsoIn",
    "Article",
    "FeedError",
    "FetchError",
    "InputError",
    "Issue",
    "Item",
    "NotFoundError",
    "ParsedIssue",
    "ParsedItem",
    "ParsedSection",
    "ReaderError",
    "SearchHit",
    "Section",
    "Source",
    "StoreError",
]
