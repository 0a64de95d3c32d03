"""Refresh in a child process: the child's entry point, and the app's end of its pipe.

The app runs `python -m reader.tui.refresh_process`, at a lower CPU priority, so that
fetching, parsing and storing never compete with the UI for its process (its GIL, its
memory) and lose to it for the CPU. The child calls `Library.refresh` and writes one
JSON line per finished source on stdout. It never imports Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# How much the child yields the CPU: a nice value, inherited by its parse workers.
CHILD_NICE = 10
# How much of the child's stderr is kept to explain a crash.
STDERR_TAIL_CHARS = 4000
# A progress line is a few hundred bytes; a longer one is not ours.
MAX_LINE_BYTES = 1 << 20
# The pipe from the app: its end means the app is gone (or wants the refresh stopped).
STDIN_FD = 0


@dataclass(frozen=True)
class Progress:
    """Sources done out of `total`, and how the last one finished (when one has)."""

    done: int
    total: int
    failed: int
    source_id: int | None = None
    title: str = ""
    status: str | None = None
    error: str | None = None
    new_items: int = 0


@dataclass(frozen=True)
class Finished:
    """The refresh ended: its totals, or `error` when it failed as a whole."""

    refreshed: int = 0
    new_items: int = 0
    failed: int = 0
    error: str | None = None


Event = Progress | Finished


class RefreshCrashed(Exception):
    """The child ended without saying it finished; the message says how."""


# --- the app's end -------------------------------------------------------------


def child_command(
    database: Path,
    source_ids: Sequence[int] = (),
    *,
    force: bool = False,
    concurrency: int | None = None,
    deadline_s: float | None = None,
) -> list[str]:
    """The command that refreshes `source_ids` (all due ones when empty) of `database`."""
    command = [sys.executable, "-m", "reader.tui.refresh_process", "--database", str(database)]
    if force:
        command.append("--force")
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    if deadline_s:
        command += ["--deadline", str(deadline_s)]
    return [*command, *(str(source_id) for source_id in source_ids)]


def parse_line(line: bytes) -> Event | None:
    """The event on one line of the child's stdout, or None for a line that is not one."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields: dict[str, Any] = {key: value for key, value in data.items() if key != "event"}
    try:
        if data.get("event") == "progress":
            return Progress(**fields)
        if data.get("event") == "finished":
            return Finished(**fields)
    except TypeError:
        return None
    return None


def describe_exit(returncode: int, stderr_tail: str) -> str:
    """Why a child that did not finish stopped, in words for the status line."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the refresh process was stopped by {name}"
    lines = [line.strip() for line in stderr_tail.splitlines() if line.strip()]
    why = f": {lines[-1]}" if lines else ""
    return f"the refresh process ended with exit code {returncode}{why}"


class RefreshProcess:
    """One child refreshing sources: started, read event by event, stopped."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_tail = ""
        self._stopped = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        # A session of its own: stopping it stops its parse workers too. Its stdin
        # stays open while the app runs; the child stops when it reads the end.
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=MAX_LINE_BYTES,
        )

    async def events(self) -> AsyncIterator[Event]:
        """The child's events until it exits; raises RefreshCrashed if it never finished."""
        process = self._process
        assert process is not None and process.stdout is not None
        stderr = asyncio.create_task(self._read_stderr())
        finished = False
        try:
            while True:
                try:
                    line = await process.stdout.readline()
                except ValueError:  # a line over the limit: not one of ours
                    continue
                if not line:
                    break
                event = parse_line(line)
                if event is None:
                    continue
                finished = finished or isinstance(event, Finished)
                yield event
            returncode = await process.wait()
            await stderr
        finally:
            stderr.cancel()
        if not finished:
            raise RefreshCrashed(describe_exit(returncode, self._stderr_tail))

    async def _read_stderr(self) -> None:
        # Drained as it comes, or a chatty child would block on a full pipe.
        assert self._process is not None and self._process.stderr is not None
        while chunk := await self._process.stderr.read(4096):
            tail = self._stderr_tail + chunk.decode("utf-8", "replace")
            self._stderr_tail = tail[-STDERR_TAIL_CHARS:]

    def stop(self) -> None:
        """Stop the child and its parse workers at once.

        Its process group outlives a child that crashed while its workers run, and
        no new process can take the group's id while any of them is left in it. Done
        once: later, the id could belong to a stranger.
        """
        if self._process is None or self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)


# --- the child -----------------------------------------------------------------


def _yield_cpu(nice: int) -> None:
    """Give way to the app: a higher nice value and, on Linux, the batch scheduler."""
    with contextlib.suppress(OSError):
        os.nice(nice)
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is not None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, batch, os.sched_param(0))


def _stop_with_app() -> None:
    """End this process (and its parse workers) when the app closes our stdin or dies."""

    def watch() -> None:
        # os.read, not sys.stdin: a thread blocked inside a file object holds its
        # lock, and a parse worker forked meanwhile would hang closing its stdin.
        with contextlib.suppress(OSError):
            while os.read(STDIN_FD, 4096):
                pass
        if os.getpgrp() == os.getpid():
            os.killpg(0, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="stop-with-app", daemon=True).start()


def _emit(event: Event) -> None:
    kind = "progress" if isinstance(event, Progress) else "finished"
    # ASCII JSON: feed titles cannot split a line or confuse the reader.
    sys.stdout.write(json.dumps({"event": kind, **asdict(event)}) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """The child: refresh, one JSON line per finished source, a last line when done."""
    parser = argparse.ArgumentParser(prog="python -m reader.tui.refresh_process")
    parser.add_argument("--database", required=True, type=Path)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--deadline", type=float, default=None)
    parser.add_argument("--nice", type=int, default=CHILD_NICE)
    parser.add_argument("sources", nargs="*", type=int)
    args = parser.parse_args(argv)
    _yield_cpu(args.nice)
    _stop_with_app()

    from reader.core.errors import ReaderError
    from reader.core.library import Library
    from reader.core.refresh import RefreshProgress

    def progress(state: RefreshProgress) -> None:
        last = state.outcomes[-1] if state.outcomes else None
        if last is None:
            _emit(Progress(state.done, state.total, state.failed))
            return
        _emit(
            Progress(
                state.done,
                state.total,
                state.failed,
                source_id=last.source_id,
                title=last.title,
                status=last.status,
                error=last.error,
                new_items=last.new_items,
            )
        )

    try:
        with Library(args.database) as library:
            outcomes = library.refresh(
                [str(source_id) for source_id in args.sources],
                force=args.force,
                progress=progress,
                concurrency=args.concurrency,
                deadline_s=args.deadline,
            )
    except ReaderError as error:
        _emit(Finished(error=str(error)))
        return 1
    _emit(
        Finished(
            refreshed=len(outcomes),
            new_items=sum(outcome.new_items for outcome in outcomes),
            failed=sum(outcome.status == "error" for outcome in outcomes),
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
