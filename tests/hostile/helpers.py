"""Tools of the hostile suite: a misbehaving HTTP server, attack payloads, terminal checks.

Everything here runs on 127.0.0.1 and in temporary folders; nothing reaches the network.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import brotli

MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]

# --- what a terminal must never receive ----------------------------------------------

# C0 controls but newline and tab, DEL and the C1 controls (8-bit CSI, OSC, ST...),
# bidirectional embeddings, overrides and isolates, zero-width characters, BOM,
# line and paragraph separators.
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def terminal_unsafe(text: str) -> list[str]:
    """The characters of `text` that could drive a terminal or reorder what it shows."""
    return sorted({f"U+{ord(char):04X}" for char in _TERMINAL_UNSAFE.findall(text)})


def assert_terminal_safe(text: str, *, what: str = "output") -> None:
    """Fail when human output holds an escape, a control, a bidi or zero-width character."""
    unsafe = terminal_unsafe(text)
    assert not unsafe, f"{what} holds {unsafe}: {text[:400]!r}"
    assert "Traceback" not in text, f"{what} holds a traceback: {text[-2000:]}"


# --- injection payloads ------------------------------------------------------------------

CLIPBOARD_SECRET = "PWNED-CLIPBOARD"
OSC_52 = "\x1b]52;c;" + base64.b64encode(CLIPBOARD_SECRET.encode()).decode() + "\x07"
OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC_8_LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
CSI = "\x1b[2J\x1b[31m"
C1 = "\x9b31m\x9d0;c1-title\x9c\x85"
BIDI = "\u202egpj.exe\u202c \u2066iso\u2069 \u200f \u061c"
ZERO_WIDTH = "zero\u200bwidth\u200d\u2060\ufeff"
MARKUP = "[/] [@click=app.quit]click[/] [b]bold[/b] [link=file:///etc/passwd]x[/link]"
# Characters XML 1.0 cannot carry; a JSON Feed can.
CONTROL_PAYLOAD = OSC_52 + OSC_TITLE + OSC_8_LINK + CSI + C1 + "\r\x08\x07"
XML_SAFE_PAYLOAD = MARKUP + " " + BIDI + " " + ZERO_WIDTH
PAYLOAD = f"{MARKUP} {CONTROL_PAYLOAD} {BIDI} {ZERO_WIDTH}"


def hostile(label: str, *, xml: bool = False) -> str:
    """`label` wrapped in every injection the format can carry; the label survives cleaning."""
    payload = XML_SAFE_PAYLOAD if xml else PAYLOAD
    return f"{label} {payload} {label}-end"


# --- feeds ------------------------------------------------------------------------------


def rss(title: str, entries: Sequence[dict[str, str]], *, prolog: str = "") -> bytes:
    """An RSS 2.0 feed; entry fields are inserted as given (callers escape)."""
    items = "".join(
        "<item>" + "".join(f"<{name}>{value}</{name}>" for name, value in entry.items()) + "</item>"
        for entry in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example.com/</link>{items}</channel></rss>"
    ).encode()


def plain_rss(name: str, count: int = 2) -> bytes:
    """A well-behaved feed of `count` posts, for the source that must still refresh."""
    return rss(
        name,
        [
            {
                "title": f"{name} post {number}",
                "link": f"https://news.example.com/{name}/{number}",
                "guid": f"{name}-{number}",
                "pubDate": f"Sat, 0{1 + number} Mar 2025 10:00:00 GMT",
                "description": escape(f"<p>Post {number} of {name}.</p>"),
            }
            for number in range(count)
        ],
    )


def json_feed(title: Any, items: list[Any]) -> bytes:
    """A JSON Feed 1.1 document (any value may be of the wrong type)."""
    document = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    return json.dumps(document).encode()


def opml(urls: Sequence[str]) -> str:
    """An OPML list subscribing to `urls` without fetching them."""
    outlines = "".join(
        f'<outline type="rss" text="{escape(u)}" xmlUrl="{escape(u)}"/>' for u in urls
    )
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'


# --- bombs --------------------------------------------------------------------------------

GIB = 1 << 30
# CRC-32 of 2**30 zero bytes.
_CRC32_OF_ONE_GIB_OF_ZEROS = 0x5B64C2B0


def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros (each flushed MiB compresses alike)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_RLE)
    one_mib = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = _CRC32_OF_ONE_GIB_OF_ZEROS.to_bytes(4, "little") + GIB.to_bytes(4, "little")
    return header + one_mib * (GIB // MIB) + final + trailer


def gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def brotli_bomb() -> bytes:
    """About 13 KB of brotli that inflates to 1 GiB of zeros."""
    compressor = brotli.Compressor(quality=5, lgwin=24)
    first = compressor.process(bytes(MIB)) + compressor.flush()
    steady = compressor.process(bytes(MIB)) + compressor.flush()
    bomb: bytes = first + steady * (GIB // MIB - 1) + compressor.finish()
    return bomb


def inflated_size(data: bytes, encoding: str, limit: int) -> int:
    """How much `data` inflates to, counted in 1 MiB steps and stopped past `limit`."""
    produced = 0
    if encoding == "br":
        decompressor = brotli.Decompressor()
        piece = decompressor.process(data, output_buffer_limit=MIB)
        while piece and produced <= limit:
            produced += len(piece)
            piece = decompressor.process(b"", output_buffer_limit=MIB)
        return produced
    for _layer in encoding.split(","):
        gz = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = bytearray()
        piece = gz.decompress(data, MIB)
        while piece and len(out) <= limit:
            out += piece
            piece = gz.decompress(gz.unconsumed_tail, MIB)
        data = bytes(out)
    return len(data)


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity bomb: ten levels of ten references, 10**10 'lol's if expanded."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    ]
    prolog = "<!DOCTYPE rss [" + "".join(entities) + "]>"
    return rss(
        f"Laughs &lol{levels - 1};",
        [{"title": f"&lol{levels - 1};", "guid": "laughs", "description": f"&lol{levels - 1};"}],
        prolog=prolog,
    )


def quadratic_blowup(entity_kib: int = 64, references: int = 4096) -> bytes:
    """One big entity referenced many times: 256 MiB if expanded, no nesting to spot."""
    prolog = f'<!DOCTYPE rss [<!ENTITY big "{"x" * (entity_kib * 1024)}">]>'
    refs = "&big;" * references
    return rss(
        "Quadratic", [{"title": "q", "guid": "quadratic", "description": refs}], prolog=prolog
    )


# --- a hostile HTTP server ----------------------------------------------------------------


@dataclass
class Request:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    tls: bool = False


Handler = Callable[[socket.socket, Request, threading.Event], None]


def send(
    connection: socket.socket,
    body: bytes = b"",
    *,
    status: str = "200 OK",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> None:
    """Write one response and nothing else (the connection is closed afterwards)."""
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    all_headers = {"Content-Type": "application/rss+xml", **(headers or {})}
    if length and "Content-Length" not in all_headers:
        all_headers["Content-Length"] = str(len(body))
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


@dataclass
class HostileServer:
    """A raw-socket HTTP/1.1 server on 127.0.0.1 whose routes misbehave on purpose.

    Every request, answered or not, is logged, so a test can prove what reader asked for.
    """

    routes: dict[str, Handler] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(self, path: str, body: bytes, **options: Any) -> str:
        """Serve `body` at `path` (options go to `send`)."""
        return self.route(
            path, lambda connection, _request, _stop: send(connection, body, **options)
        )

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.log]

    def requests_to(self, path: str) -> int:
        return self.paths().count(path)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.settimeout(30)
            request = self._read_request(connection)
            if request is None:
                return
            with self._lock:
                self.log.append(request)
            if request.tls:
                # A TLS ClientHello on a plain port: answer in plain HTTP, as a
                # misconfigured server does, so the client's handshake fails.
                send(connection, b"plain HTTP here", status="400 Bad Request")
                return
            handler = self.routes.get(request.path.split("?")[0])
            if handler is None:
                send(connection, b"not here", status="404 Not Found")
                return
            handler(connection, request, self.stop)

    @staticmethod
    def _read_request(connection: socket.socket) -> Request | None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = connection.recv(4096)
            if not chunk:
                return None
            head += chunk
            if head[:1] == b"\x16":
                return Request("TLS", "(tls handshake)", {}, tls=True)
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, path, *_ = [*lines[0].split(" "), "", ""]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Request(method, path, headers)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


# --- running reader as a separate process ----------------------------------------------


def reader_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reader", *args]


def reader_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "READER_HOME": str(home), "PYTHONPATH": str(REPO)}
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def run_reader(
    home: Path, *args: str, timeout: float = 60, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run `reader ARGS` in a new process; never a shell."""
    return subprocess.run(
        reader_command(*args),
        env=reader_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **options,
    )


def poll(condition: Callable[[], bool], *, timeout_s: float = 30, step_s: float = 0.01) -> bool:
    """Ask `condition` until it holds or the time is up (bounded polling, not a sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step_s)
    return condition()


def ended(process: subprocess.Popen[Any], *, within_s: float) -> bool:
    """Whether the process ends within `within_s` (bounded polling)."""
    return poll(lambda: process.poll() is not None, timeout_s=within_s, step_s=0.002)


def kill_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a process started with start_new_session, and its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


# --- reading the library file behind reader's back ---------------------------------------


@contextlib.contextmanager
def read_only(database: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        yield connection
    finally:
        connection.close()


def count_rows(database: Path, table: str) -> int:
    """Rows of a table, or -1 while the file is missing, busy or half created."""
    try:
        with read_only(database) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return -1


def assert_consistent(database: Path) -> None:
    """The file passes SQLite's checks and the model's: no issue without a section or
    a section without an item, every item in its issue's section, search index in step."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert (
            connection.execute(
                "SELECT count(*) FROM issues WHERE id NOT IN (SELECT issue_id FROM sections)"
            ).fetchone()[0]
            == 0
        )
        assert (
            connection.execute(
                "SELECT count(*) FROM sections WHERE id NOT IN (SELECT section_id FROM items)"
            ).fetchone()[0]
            == 0
        )
        assert (
            connection.execute(
                "SELECT count(*) FROM items JOIN sections ON sections.id = items.section_id"
                " WHERE sections.issue_id != items.issue_id"
            ).fetchone()[0]
            == 0
        )
        connection.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 0)")


def file_holds(path: Path, marker: bytes) -> bool:
    """True when `marker` appears in the file or its WAL (read as raw bytes)."""
    found = False
    for candidate in (path, path.with_name(path.name + "-wal")):
        if candidate.exists():
            found = found or marker in candidate.read_bytes()
    return found


# --- libraries to crash ----------------------------------------------------------------


def issue_file(number: int, sections: int = 3, items: int = 8) -> str:
    parts = [f"---\ntitle: Batch {number}\ndate: 2025-01-{1 + number % 28:02d}\n---\n"]
    for section in range(sections):
        parts.append(f"## Section {section}\n")
        for item in range(items):
            parts.append(
                f"#### [Item {number}.{section}.{item}](https://example.com/{number}/{section}/{item})\n\n"
                + "Some body text for the item, with words to search. " * 20
                + "\n\n---\n"
            )
    return "\n".join(parts)


def write_batch(folder: Path, numbers: range) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        (folder / f"issue-{number:04d}.md").write_text(issue_file(number))
    return folder


TRIAGE_SCRIPT = textwrap.dedent(
    """
    import itertools, sys
    from pathlib import Path
    from reader.core.library import Library

    library = Library(Path(sys.argv[1]))
    issues = [issue.id for issue in library.issues(limit=1000)]
    print("ready", flush=True)
    for turn in itertools.count():
        issue = issues[turn % len(issues)]
        library.mark_read(issue_id=issue, read=(turn // len(issues)) % 2 == 0)
        items = [item.id for item in library.items_page(issue_id=issue, limit=1000)]
        library.undo(library.mark(items, starred=True, later=True))
    """
)


def assert_issues_uniform(database: Path) -> None:
    """Each triage action covers a whole issue in one transaction: never half of one."""
    with read_only(database) as connection:
        mixed = connection.execute(
            "SELECT issue_id FROM items GROUP BY issue_id"
            " HAVING min(read) != max(read) OR min(starred) != max(starred)"
            " OR min(later) != max(later)"
        ).fetchall()
    assert mixed == [], f"issues left half marked: {mixed}"
