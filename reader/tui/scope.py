"""What the item list shows: a view of the whole library, or one source, issue or section.

A Scope turns into the keyword arguments of `Library.items_page` and `count_items`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VIEWS = ("unread", "starred", "later", "all")
VIEW_TITLES = {"unread": "Unread", "starred": "Starred", "later": "Later", "all": "All items"}


@dataclass(frozen=True)
class Scope:
    """A list of items: `kind` is view, source, issue or section."""

    kind: str
    view: str = "all"
    source_id: int | None = None
    issue_id: str | None = None
    section_id: str | None = None

    @classmethod
    def of_view(cls, view: str) -> Scope:
        return cls("view", view=view)

    def query(self, hide_read: bool) -> dict[str, Any]:
        """Arguments for `items_page` / `count_items`; hiding read items narrows "all" to unread.

        The starred and later views show read items always: one flag is all the store filters on.
        """
        if self.kind == "view":
            return {"view": "unread" if hide_read and self.view == "all" else self.view}
        view = "unread" if hide_read else "all"
        if self.kind == "source":
            return {"source_id": self.source_id, "view": view}
        if self.kind == "issue":
            return {"issue_id": self.issue_id, "view": view}
        return {"section_id": self.section_id, "view": view}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "view": self.view,
            "source_id": self.source_id,
            "issue_id": self.issue_id,
            "section_id": self.section_id,
        }

    @classmethod
    def from_json(cls, data: object) -> Scope | None:
        """A scope from saved state, or None when the data is not one."""
        if not isinstance(data, dict):
            return None
        kind = data.get("kind")
        view = data.get("view", "all")
        if kind not in ("view", "source", "issue", "section") or view not in VIEWS:
            return None
        source_id = data.get("source_id")
        issue_id = data.get("issue_id")
        section_id = data.get("section_id")
        if source_id is not None and not isinstance(source_id, int):
            return None
        if issue_id is not None and not isinstance(issue_id, str):
            return None
        if section_id is not None and not isinstance(section_id, str):
            return None
        needed = {"source": source_id, "issue": issue_id, "section": section_id}.get(kind, 0)
        if needed is None:
            return None
        return cls(kind, view, source_id, issue_id, section_id)
