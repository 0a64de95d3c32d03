"""reader: a terminal reader for digest newsletters.

The core (`reader.core`) works without a terminal; `reader.tui` is the app.
"""

__version__ = "0.1.0"
