"""Where the library, the configuration and the cache live.

`READER_HOME` (or `--home`, which sets it) puts all three in one folder, so a
test or a second library never touches the user's own files.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "reader"
HOME_ENV = "READER_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The folder that holds the library database."""
    home = _home()
    return home if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The folder that holds `config.toml` and the user's themes."""
    home = _home()
    return home if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The folder for data that can be thrown away."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    """The SQLite file of the library."""
    return data_dir() / "library.sqlite3"


def config_path() -> Path:
    """The user's configuration file."""
    return config_dir() / "config.toml"


def set_home(path: str | os.PathLike[str]) -> None:
    """Point every location at `path` (what `--home` does)."""
    os.environ[HOME_ENV] = str(Path(path).expanduser().resolve())
