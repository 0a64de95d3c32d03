"""Errors a user can cause, each with a message they can act on.

The CLI prints `str(error)` and exits non-zero; the TUI shows it in a notice.
"""

from __future__ import annotations


class ReaderError(Exception):
    """Base class: something the user did or met, explained in plain words."""


class InputError(ReaderError):
    """A file or text that cannot be read as a newsletter issue."""


class NotFoundError(ReaderError):
    """An id or name that matches nothing in the library."""


class FetchError(ReaderError):
    """A source that could not be downloaded (network, HTTP status, limits)."""


class FeedError(ReaderError):
    """Downloaded bytes that are not a usable feed."""


class StoreError(ReaderError):
    """The library database cannot be opened or written."""
