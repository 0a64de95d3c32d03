"""Theme files shipped with reader, installed as the package `reader.themes`.

Each `*.toml` file here defines one theme; see `reader/tui/themes.py` for the format.
"""
