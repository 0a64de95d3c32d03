"""Worker processes (parsing feeds, reading files) that end with the process they serve.

Pool workers wait on a queue whose writing end they share, so a refresh or an import
killed with SIGKILL (or by the OOM killer) would leave them waiting for ever. Each one
watches its parent instead and exits once it is gone.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Callable

# How often a worker checks that the process that started it still runs.
PARENT_CHECK_INTERVAL_S = 0.5


def serve_parent(parent_pid: int) -> None:
    """Worker initializer: leave Ctrl-C to `parent_pid` and exit once it is gone.

    Under the fork start method `parent_pid` is the worker's parent, so a change of
    parent says it is gone. Under forkserver (the default on Linux from Python 3.14)
    the parent is the fork server, which outlives `parent_pid` as long as workers it
    forked are alive, so the worker watches `parent_pid` itself.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    alive = _watcher(parent_pid)
    if not alive():
        os._exit(0)

    def watch() -> None:
        while alive():
            time.sleep(PARENT_CHECK_INTERVAL_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _watcher(parent_pid: int) -> Callable[[], bool]:
    """A check that `parent_pid` still runs, as exact as the system allows."""
    parent = os.getppid()
    if parent == parent_pid:
        return lambda: os.getppid() == parent
    try:
        # A pidfd names the process itself: it cannot be confused with a later process
        # that reuses the number, and it reads as ready once the process has ended.
        handle = os.pidfd_open(parent_pid)
    except (AttributeError, OSError):
        return lambda: _exists(parent_pid)
    return lambda: not select.select([handle], [], [], 0)[0]


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process has the number now: ours is gone
    return True
