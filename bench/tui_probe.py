"""Helper of startup_bench.py (not a benchmark by itself): runs `reader` or a bare Textual
app in a terminal the benchmark provides, and reports when frames reach the terminal.

It wraps `App._display` (the call that writes a frame to the terminal) and reports,
as JSON lines on the file descriptor BENCH_FD, the first frame that shows a
condition: the item list populated, an issue opened, the end of a list reached,
a key's effect. Times are `time.monotonic()`, comparable with the parent's.

Environment: BENCH_MODE (reader | bare), BENCH_SCRIPT (startup | keys | none),
BENCH_BIG_ISSUE and BENCH_BIG_SOURCE (the issue to open).
"""

from __future__ import annotations

import os

if os.environ.get("BENCH_PROFILE"):
    import cProfile

    PROFILER: cProfile.Profile | None = cProfile.Profile()
    PROFILER.enable()
else:
    PROFILER = None

import asyncio
import atexit
import json
import queue
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_OUT = os.fdopen(int(os.environ["BENCH_FD"]), "w", buffering=1)
# Reports are written by a thread of their own: a write to the pipe wakes the
# benchmark, and the app's event loop must not wait for it (on two busy cores
# it did, a millisecond or two per frame).
_REPORTS: queue.SimpleQueue[str | None] = queue.SimpleQueue()


def _write_reports() -> None:
    while (line := _REPORTS.get()) is not None:
        _OUT.write(line)


_WRITER = threading.Thread(target=_write_reports, name="reports", daemon=True)
_WRITER.start()


@atexit.register
def _flush_reports() -> None:
    _REPORTS.put(None)
    _WRITER.join(timeout=5)


def emit(event: str, **data: Any) -> None:
    _REPORTS.put(json.dumps({"event": event, "t": time.monotonic(), **data}) + "\n")


def maxrss_mib() -> float:
    """Peak RSS of this program. Not ru_maxrss: Linux carries that over from the parent
    through fork and exec, so a child of a big benchmark would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Waiter:
    def __init__(self, condition: Callable[[Any], bool], fire: Callable[[float], None]) -> None:
        self.condition = condition
        self.fire = fire


WAITERS: list[Waiter] = []

from textual.app import App  # noqa: E402 - the wrap must exist before the app starts

_original_display = App._display


def _display(self: App[Any], screen: Any, renderable: Any) -> None:
    _original_display(self, screen, renderable)
    if renderable is None or self._batch_count:
        return
    now = time.monotonic()
    for waiter in list(WAITERS):
        try:
            hit = waiter.condition(self)
        except Exception:  # a widget not mounted yet is simply "not yet"
            hit = False
        if hit:
            WAITERS.remove(waiter)
            waiter.fire(now)


App._display = _display  # type: ignore[method-assign]


def when_shown(condition: Callable[[Any], bool]) -> asyncio.Future[float]:
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    WAITERS.append(Waiter(condition, lambda t: future.done() or future.set_result(t)))
    return future


async def measure(
    label: str, action: Callable[[], Any], condition: Callable[[Any], bool], timeout: float = 20.0
) -> None:
    future = when_shown(condition)
    started = time.monotonic()
    result = action()
    if asyncio.iscoroutine(result):
        await result
    try:
        shown = await asyncio.wait_for(future, timeout)
    except TimeoutError:
        emit(label, timeout=True)
        return
    emit(label, seconds=shown - started)


# --- the reader app -----------------------------------------------------------------


def _main_screen(app: Any) -> Any:
    from reader.tui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise LookupError


def _list_ready(app: Any) -> bool:
    screen = _main_screen(app)
    return screen.is_mounted and screen.items.option_count > 0


def _pane_ready(app: Any) -> bool:
    screen = _main_screen(app)
    return _list_ready(app) and screen.reader.item is not None


async def startup_script(app: Any) -> None:
    from reader.tui.scope import Scope

    await asyncio.sleep(0.5)
    screen = _main_screen(app)
    big_issue = os.environ.get("BENCH_BIG_ISSUE")
    if big_issue:
        source_id = int(os.environ["BENCH_BIG_SOURCE"])

        def issue_open(app: Any) -> bool:
            current = screen.items.current
            return (
                current is not None
                and current.issue_id == big_issue
                and screen.reader.item is not None
                and screen.reader.item.id == current.id
            )

        await measure(
            "open-largest-issue",
            lambda: screen.show_scope(Scope("issue", source_id=source_id, issue_id=big_issue)),
            issue_open,
        )
        emit("list-size", what="largest issue", total=screen.items.total)
        await asyncio.sleep(0.3)
        await measure("end-of-issue", screen.action_last_item, _at_end(screen))
        await asyncio.sleep(0.3)
    await measure(
        "open-all-view",
        lambda: screen.action_show_view("all"),
        lambda app: (
            screen.scope.kind == "view"
            and screen.scope.view == "all"
            and screen.items.current is not None
        ),
    )
    emit("list-size", what="all items", total=screen.items.total)
    await asyncio.sleep(0.3)
    await measure("end-of-all", screen.action_last_item, _at_end(screen))
    await asyncio.sleep(0.3)
    await measure(
        "back-to-top", screen.action_first_item, lambda app: screen.items.absolute_index == 0
    )
    await asyncio.sleep(0.3)
    # Leave the app at the end of the long list: the next start reopens there.
    screen.action_last_item()
    await asyncio.sleep(0.5)
    emit("memory", maxrss_mib=maxrss_mib(), rows=len(screen.items.rows))
    app.exit()


def _at_end(screen: Any) -> Callable[[Any], bool]:
    def at_end(app: Any) -> bool:
        items = screen.items
        return (
            items.total > 0
            and items.absolute_index == items.total - 1
            and (screen.reader.item is not None and screen.reader.item.id == items.current.id)
        )

    return at_end


def instrument_keys() -> None:
    """Report each move key: when its action ran and the first frame after it."""
    from reader.tui.app import ReaderApp
    from reader.tui.screens.main import MainScreen

    def wrap(name: str) -> None:
        original = getattr(MainScreen, name)

        def action(self: Any) -> None:
            started = time.monotonic()
            original(self)
            finished = time.monotonic()

            def fire(shown: float) -> None:
                emit("key", action_started=started, action_finished=finished, shown=shown)

            WAITERS.append(Waiter(lambda app: True, fire))

        setattr(MainScreen, name, action)

    wrap("action_move_down")
    wrap("action_move_up")

    original_refresh = ReaderApp.refresh_sources

    def refresh_sources(self: Any, *args: Any, **kwargs: Any) -> None:
        emit("refresh-requested", available=bool(self.refresh_available))
        original_refresh(self, *args, **kwargs)

    ReaderApp.refresh_sources = refresh_sources  # type: ignore[method-assign]

    original_finished = ReaderApp.on_refresh_finished

    def on_refresh_finished(self: Any, message: Any) -> None:
        original_finished(self, message)
        finished = getattr(message, "finished", message)
        emit(
            "refresh-finished",
            summary=getattr(message, "summary", ""),
            error=getattr(finished, "error", None),
            maxrss_mib=maxrss_mib(),
            # The largest reaped child: the refresh process when the app runs one.
            children_maxrss_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        )

    ReaderApp.on_refresh_finished = on_refresh_finished  # type: ignore[method-assign]

    original_progressed = ReaderApp.on_refresh_progressed

    def on_refresh_progressed(self: Any, message: Any) -> None:
        original_progressed(self, message)
        progress = getattr(message, "progress", message)
        emit(
            "refresh-progress",
            done=getattr(progress, "done", 0),
            total=getattr(progress, "total", 0),
        )

    ReaderApp.on_refresh_progressed = on_refresh_progressed  # type: ignore[method-assign]


def run_reader() -> int:
    script = os.environ.get("BENCH_SCRIPT", "startup")
    if script == "keys":
        instrument_keys()

    def fire_ready(shown: float) -> None:
        if PROFILER is not None:
            PROFILER.disable()
            PROFILER.dump_stats(os.environ["BENCH_PROFILE"])
        emit("ready", shown=shown, maxrss_mib=maxrss_mib(), cpu=time.process_time())
        app = App._bench_app  # type: ignore[attr-defined]
        if script == "startup":
            app.run_worker(startup_script(app), name="bench")

    WAITERS.append(Waiter(_list_ready, fire_ready))
    WAITERS.append(
        Waiter(_pane_ready, lambda shown: emit("pane-ready", shown=shown, cpu=time.process_time()))
    )

    original_init = App.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        App._bench_app = self  # type: ignore[attr-defined]

    App.__init__ = init  # type: ignore[method-assign]

    from reader.cli import main

    code = main([])
    emit("exit", code=code, maxrss_mib=maxrss_mib())
    return code or 0


# --- a bare app -------------------------------------------------------------------------


def run_bare() -> int:
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self) -> Any:
            yield Label("a bare Textual app")

    app = Bare()

    def fire(shown: float) -> None:
        emit("ready", shown=shown, maxrss_mib=maxrss_mib(), cpu=time.process_time())
        app.call_later(app.exit)

    WAITERS.append(Waiter(lambda app: bool(app.screen.query(Label)), fire))
    app.run()
    emit("exit", code=0, maxrss_mib=maxrss_mib())
    return 0


if __name__ == "__main__":
    sys.exit(run_bare() if os.environ.get("BENCH_MODE") == "bare" else run_reader())
