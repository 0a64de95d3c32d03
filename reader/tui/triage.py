"""Triage through the Library with an undo stack: each call returns what changed.

The Library commits every write before returning, so the screen only ever shows stored state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from reader.core.library import FlagState, Library, Undo
from reader.core.model import Item

MAX_UNDO = 100

Flags = dict[str, tuple[bool, bool, bool]]
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """A stored triage action: how to undo it and which counts it touched."""

    undo: Undo
    source_ids: frozenset[int] = field(default_factory=frozenset)
    issue_ids: frozenset[str] = field(default_factory=frozenset)
    section_ids: frozenset[str] = field(default_factory=frozenset)
    # The views whose counts the action changes ("all" never does).
    views: frozenset[str] = frozenset({"unread"})


def flags_after(
    previous: Sequence[FlagState],
    *,
    read: bool | None = None,
    starred: bool | None = None,
    later: bool | None = None,
) -> Flags:
    """Item id -> (read, starred, later) the store now holds, given the flags before."""
    return {
        item_id: (
            was_read if read is None else read,
            was_starred if starred is None else starred,
            was_later if later is None else later,
        )
        for item_id, was_read, was_starred, was_later in previous
    }


def _ids(values: Iterable[T | None]) -> frozenset[T]:
    return frozenset(value for value in values if value is not None)


class Triage:
    """Marks items, sections, issues and sources, remembering how to undo each."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.undo_stack: list[Change] = []

    def _remember(self, change: Change) -> None:
        if change.undo.previous:
            self.undo_stack.append(change)
            del self.undo_stack[:-MAX_UNDO]

    def mark(
        self,
        item: Item,
        source_id: int | None,
        *,
        read: bool | None = None,
        starred: bool | None = None,
        later: bool | None = None,
    ) -> tuple[Change, Flags]:
        """Set flags on one item."""
        undo = self.library.mark([item.id], read=read, starred=starred, later=later)
        views = _ids(
            view
            for view, flag in (("unread", read), ("starred", starred), ("later", later))
            if flag is not None
        )
        change = Change(
            undo, _ids([source_id]), _ids([item.issue_id]), _ids([item.section_id]), views
        )
        self._remember(change)
        before = [(item.id, item.read, item.starred, item.later)]
        return change, flags_after(before, read=read, starred=starred, later=later)

    def mark_read(
        self,
        *,
        source_id: int | None,
        issue_id: str | None = None,
        section_id: str | None = None,
        touched_issue_ids: Iterable[str] = (),
        touched_section_ids: Iterable[str] = (),
    ) -> tuple[Change, Flags]:
        """Mark a section (if given), else an issue, else a whole source read."""
        if section_id is not None:
            undo = self.library.mark_read(section_id=section_id)
        elif issue_id is not None:
            undo = self.library.mark_read(issue_id=issue_id)
        elif source_id is not None:
            undo = self.library.mark_read(source_id=source_id)
        else:
            raise ValueError("say what to mark read")
        change = Change(
            undo,
            _ids([source_id]),
            _ids([issue_id, *touched_issue_ids]),
            _ids([section_id, *touched_section_ids]),
        )
        self._remember(change)
        return change, flags_after(undo.previous, read=True)

    def undo(self) -> tuple[Change, Flags] | None:
        """Put back the flags of the last action; None when there is nothing to undo."""
        if not self.undo_stack:
            return None
        change = self.undo_stack.pop()
        self.library.undo(change.undo)
        return change, flags_after(change.undo.previous)
