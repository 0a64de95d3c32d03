"""Each triage action is committed before the screen shows it, proved with SIGKILL.

The app runs as a separate process on a pseudo-terminal; once its screen shows an
action's confirmation, the process is killed and the store must already hold it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from reader.core.library import Library

ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
WAIT_S = 20.0


class Terminal:
    """A child process on a pseudo-terminal of 120x40, read as plain text."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.seen = b""

    def wait_for(self, text: str) -> None:
        """Read the screen output until `text` appears in it (escapes removed)."""
        wanted = text.encode("utf-8")
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if wanted in ESCAPES.sub(b"", self.seen):
                self.seen = b""
                return
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        raise AssertionError(f"{text!r} never appeared on the screen")

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        os.close(self.master)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_shown_triage_survives_sigkill(library_path: Path, home: Path) -> None:
    with Library(library_path) as library:
        first, second = library.items_page(view="unread", limit=2)
    terminal = Terminal([sys.executable, "-m", "reader", "--home", str(home)])
    try:
        terminal.wait_for("Unread")
        terminal.press("s")
        terminal.wait_for("Starred")
        terminal.press("j")
        terminal.press("l")
        terminal.wait_for("Saved for later")
        terminal.press("A")
        terminal.wait_for("items read")
    finally:
        terminal.kill()
    with Library(library_path) as library:
        assert library.item(first.id).starred
        assert library.item(second.id).later
        assert library.count_items(issue_id=first.issue_id, view="unread") == 0
