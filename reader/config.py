"""Settings from the user's TOML file: key bindings, theme, automatic refresh, fetch limits.

Loading never raises: a broken file gives defaults plus a list of problems the app shows.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from reader import paths

# The fetch settings a user may change, with the bounds that keep a typo from
# hurting (a concurrency of 10,000 or a deadline of a day).
FETCH_SETTING_BOUNDS: dict[str, tuple[float, float]] = {
    "concurrency": (1, 64),
    "deadline_s": (1, 600),
}
MAX_AUTO_REFRESH_MINUTES = 7 * 24 * 60

EXAMPLE = """\
# reader configuration
theme = "reader-night"        # any name from the theme picker
auto_refresh = 30             # minutes between refreshes of due sources; 0 turns it off

[keys]                        # binding id = "key" or "key1,key2" (see `?` in the app)
next_unread = "n,right"

[fetch]
concurrency = 16
deadline_s = 30
"""


@dataclass
class Settings:
    """What the user configured; anything missing keeps its default."""

    keys: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    auto_refresh_minutes: int = 0
    fetch: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def load_settings(path: Path | None = None) -> Settings:
    """Settings from `path` (default: the user's config file); problems are listed, not raised."""
    path = path or paths.config_path()
    settings = Settings(path=path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return settings
    except OSError as error:
        settings.problems.append(f"cannot read {path}: {error.strerror or error}")
        return settings
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        settings.problems.append(f"{path} is not valid TOML ({error}); using the defaults")
        return settings
    _read_keys(data.get("keys"), settings)
    _read_theme(data.get("theme"), settings)
    _read_auto_refresh(data.get("auto_refresh"), settings)
    _read_fetch(data.get("fetch"), settings)
    known = {"keys", "theme", "auto_refresh", "fetch"}
    for name in sorted(set(data) - known):
        settings.problems.append(f"unknown setting {name!r} in {path}")
    return settings


def _read_keys(value: object, settings: Settings) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        settings.problems.append('[keys] must be a table of binding id = "keys"')
        return
    for binding_id, keys in value.items():
        if isinstance(keys, list) and all(isinstance(key, str) for key in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str) or not keys.strip():
            settings.problems.append(f'keys.{binding_id} must be a string like "j,down"')
            continue
        settings.keys[str(binding_id)] = ",".join(key.strip() for key in keys.split(","))


def _read_theme(value: object, settings: Settings) -> None:
    if value is None:
        return
    if isinstance(value, str) and value.strip():
        settings.theme = value.strip()
    else:
        settings.problems.append("theme must be the name of a theme")


def _read_auto_refresh(value: object, settings: Settings) -> None:
    if value is None or value is False:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        settings.problems.append("auto_refresh must be a number of minutes (0 turns it off)")
        return
    if not 0 <= value <= MAX_AUTO_REFRESH_MINUTES:
        settings.problems.append(f"auto_refresh must be between 0 and {MAX_AUTO_REFRESH_MINUTES}")
        return
    settings.auto_refresh_minutes = int(value)


def _read_fetch(value: object, settings: Settings) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        settings.problems.append("[fetch] must be a table")
        return
    for name, number in value.items():
        bounds = FETCH_SETTING_BOUNDS.get(name)
        if bounds is None:
            settings.problems.append(f"unknown setting fetch.{name}")
        elif isinstance(number, bool) or not isinstance(number, int | float):
            settings.problems.append(f"fetch.{name} must be a number")
        elif not bounds[0] <= number <= bounds[1]:
            settings.problems.append(
                f"fetch.{name} must be between {bounds[0]:g} and {bounds[1]:g}"
            )
        else:
            settings.fetch[name] = number
