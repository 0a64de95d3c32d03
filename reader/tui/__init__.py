"""The Textual app: the only part of reader that imports Textual.

`reader.tui.app.run_app` is its entry point; screens and widgets sit beside it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (imports make objects that all live on).

    Importing Textual allocates enough to set off a few dozen collections, each
    scanning everything imported so far: tens of milliseconds at every start.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
