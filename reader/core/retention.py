"""Retention: per-source limits on how many issues, and how old, a library keeps.

The limits live in each source's settings; the store removes the issues they no longer cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reader.core.model import Source
from reader.core.store import Store

# Keys of a source's settings.
KEEP_ISSUES = "keep_issues"
KEEP_DAYS = "keep_days"


def _positive(value: object) -> int | None:
    # Settings are JSON the user may have edited: anything but a positive number means "off".
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        return None
    return int(value)


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep the newest `keep_issues` issues and every issue younger than `keep_days` days;
    None means no such limit. Issues with starred or later items are always kept."""

    keep_issues: int | None = None
    keep_days: int | None = None

    @classmethod
    def of(cls, source: Source) -> RetentionPolicy:
        """The policy stored in a source's settings."""
        return cls(
            keep_issues=_positive(source.settings.get(KEEP_ISSUES)),
            keep_days=_positive(source.settings.get(KEEP_DAYS)),
        )

    @property
    def active(self) -> bool:
        """Whether the policy removes anything at all."""
        return self.keep_issues is not None or self.keep_days is not None


def apply_retention(store: Store, sources: Iterable[Source], now: datetime) -> int:
    """Remove the issues each source's policy no longer keeps; returns how many went."""
    removed = 0
    for source in sources:
        policy = RetentionPolicy.of(source)
        if not policy.active:
            continue
        older_than = None if policy.keep_days is None else now - timedelta(days=policy.keep_days)
        removed += store.remove_expired_issues(
            source.id, keep_issues=policy.keep_issues, older_than=older_than
        )
    return removed
