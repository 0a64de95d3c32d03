"""What the app remembers between runs: theme, list, hidden read items, the open item.

A small JSON file beside the library; a missing or broken file means a fresh start.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader import paths
from reader.tui.scope import Scope

STATE_FILE_NAME = "tui-state.json"


@dataclass
class AppState:
    """The remembered parts of a session."""

    theme: str | None = None
    scope: Scope = field(default_factory=lambda: Scope.of_view("unread"))
    hide_read: bool = False
    item_id: str | None = None
    show_tree: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "scope": self.scope.to_json(),
            "hide_read": self.hide_read,
            "item_id": self.item_id,
            "show_tree": self.show_tree,
        }


def state_path() -> Path:
    return paths.data_dir() / STATE_FILE_NAME


def load_state(path: Path | None = None) -> AppState:
    """The remembered state, or defaults when there is none or it cannot be read."""
    path = path or state_path()
    state = AppState()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return state
    if not isinstance(data, dict):
        return state
    if isinstance(data.get("theme"), str):
        state.theme = data["theme"]
    state.scope = Scope.from_json(data.get("scope")) or state.scope
    state.hide_read = data.get("hide_read") is True
    if isinstance(data.get("item_id"), str):
        state.item_id = data["item_id"]
    if isinstance(data.get("show_tree"), bool):
        state.show_tree = data["show_tree"]
    return state


def save_state(state: AppState, path: Path | None = None) -> None:
    """Write the state atomically; failing to remember is not worth an error."""
    path = path or state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state.to_json(), indent=1), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
