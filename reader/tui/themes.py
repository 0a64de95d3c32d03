"""Theme files (TOML) from the package's `reader.themes` and the user's `themes/` folder.

A file that cannot be used becomes a message for the user, never a crash.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.color import Color, ColorParseError
from textual.theme import Theme

from reader import paths

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)
THEME_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
TEXT_STYLE_WORDS = {"bold", "italic", "underline", "reverse", "dim", "strike", "none", "not"}
MAX_THEME_FILE_BYTES = 64 * 1024


class ThemeFileError(ValueError):
    """A theme file that cannot be used, with the reason in plain words."""


@dataclass
class LoadedThemes:
    """Themes that loaded, and one message per file that did not."""

    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_theme(text: str) -> Theme:
    """A Theme from the text of a TOML theme file; raises ThemeFileError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(f"not valid TOML: {error}") from None
    name = data.get("name")
    if not isinstance(name, str) or not THEME_NAME.match(name):
        raise ThemeFileError("needs a name of lowercase letters, digits and dashes")
    if "primary" not in data:
        raise ThemeFileError("needs a primary color")
    colors: dict[str, str] = {}
    for key in COLOR_FIELDS:
        if key in data:
            colors[key] = _color(key, data[key])
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError("dark must be true or false")
    unknown = set(data) - {*COLOR_FIELDS, "name", "dark", "variables", "description", "author"}
    if unknown:
        raise ThemeFileError(f"unknown field(s): {', '.join(sorted(unknown))}")
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError("[variables] must be a table")
    checked = {str(key): _variable(str(key), value) for key, value in variables.items()}
    theme = Theme(
        name=name,
        primary=colors["primary"],
        secondary=colors.get("secondary"),
        accent=colors.get("accent"),
        foreground=colors.get("foreground"),
        background=colors.get("background"),
        surface=colors.get("surface"),
        panel=colors.get("panel"),
        boost=colors.get("boost"),
        warning=colors.get("warning"),
        error=colors.get("error"),
        success=colors.get("success"),
        dark=dark,
        variables=checked,
    )
    try:
        # Building the color system is what Textual does when the theme is
        # applied; doing it here turns a late crash into a message now.
        theme.to_color_system().generate()
    except (ColorParseError, ValueError, TypeError) as error:
        raise ThemeFileError(f"unusable colors: {error}") from None
    return theme


def _color(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f'{key} must be a color string like "#1e88e5"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{key} = {value!r} is not a color") from None
    return value


def _variable(key: str, value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[#$a-zA-Z0-9_ ,.()%-]{1,64}", value):
        raise ThemeFileError(f"variables.{key} must be a short color or style string")
    if key.endswith("text-style"):
        if not set(value.split()) <= TEXT_STYLE_WORDS:
            raise ThemeFileError(f"variables.{key} = {value!r} is not a text style")
        return value
    if value.startswith("$"):
        return value
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"variables.{key} = {value!r} is not a color") from None
    return value


def _theme_files(folder: Traversable | Path) -> list[Traversable | Path]:
    try:
        return sorted(
            (entry for entry in folder.iterdir() if entry.name.endswith(".toml")),
            key=lambda entry: entry.name,
        )
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return []


def load_theme_files(files: Iterable[Traversable | Path], where: str) -> LoadedThemes:
    """Parse each file; a bad one adds a problem naming the file."""
    loaded = LoadedThemes()
    for entry in files:
        try:
            data = entry.read_bytes()
            if len(data) > MAX_THEME_FILE_BYTES:
                raise ThemeFileError("the file is too large for a theme")
            loaded.themes.append(parse_theme(data.decode("utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            loaded.problems.append(f"theme {where}/{entry.name}: cannot read it ({error})")
        except ThemeFileError as error:
            loaded.problems.append(f"theme {where}/{entry.name}: {error}")
    return loaded


def bundled_themes() -> LoadedThemes:
    """The themes shipped in the package (the repository's `themes/`)."""
    return load_theme_files(_theme_files(_bundled_folder()), "reader.themes")


def _bundled_folder() -> Traversable | Path:
    # The package's folder when it is one (a plain install): importlib.resources
    # costs a few milliseconds of every start to find it.
    import reader.themes

    folder = Path(next(iter(reader.themes.__path__), ""))
    if folder.name and folder.is_dir():
        return folder
    from importlib import resources

    return resources.files("reader.themes")


def user_themes_dir() -> Path:
    return paths.config_dir() / "themes"


def all_themes() -> LoadedThemes:
    """Bundled themes, then the user's (a user theme may replace a bundled one)."""
    loaded = bundled_themes()
    folder = user_themes_dir()
    user = load_theme_files(_theme_files(folder), str(folder))
    loaded.themes.extend(user.themes)
    loaded.problems.extend(user.problems)
    return loaded
