"""Hostile HTTP end to end: one `reader refresh` against a server that misbehaves every way.

Bombs, endless and dripping bodies, lying lengths, redirect chains and scheme
changes, far-future Retry-After, 429s and a TLS handshake with a plain-HTTP port:
every source ends with a clear one-line error in `reader sources`, next refreshes
are scheduled within the caps, memory stays bounded, and a good feed still refreshes.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reader import paths
from reader.core.library import Library
from reader.core.limits import DEFAULT_INTERVAL_S, MAX_BODY_BYTES, MAX_REDIRECTS, RETRY_AFTER_CAP_S
from tests.hostile.helpers import (
    MIB,
    HostileServer,
    Request,
    assert_terminal_safe,
    brotli_bomb,
    gzip,
    gzip_bomb,
    inflated_size,
    opml,
    plain_rss,
    poll,
    reader_env,
    send,
)

RunCli = Callable[..., tuple[int, str, str]]
DEADLINE_S = 4.0
DRIP_BYTES, DRIP_INTERVAL_S = 100, 0.5
# Measures the peak memory of a refresh run in its own process, with a short deadline.
# VmHWM starts afresh at exec; ru_maxrss would carry the peak of the forking test worker.
REFRESH_WITH_PEAK = """
import re, sys
import reader.core.limits
reader.core.limits.FEED_DEADLINE_S = {deadline}
from reader.cli import main
code = main(["refresh", "--force", "--json"])
status = open("/proc/self/status").read()
print("PEAK_KIB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
sys.exit(code)
"""


class Counter:
    """What the endless body sent, and whether the client is the one that ended it."""

    def __init__(self) -> None:
        self.sent = 0
        self.cut_by_client = False


def endless_chunked(counter: Counter) -> Callable[[socket.socket, Request, threading.Event], None]:
    def respond(connection: socket.socket, _request: Request, stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"<item>" * 10_000
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        try:
            while not stop.is_set():  # never a last chunk
                connection.sendall(framed)
                counter.sent += len(chunk)
        except OSError:
            counter.cut_by_client = True

    return respond


def drip(connection: socket.socket, _request: Request, stop: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % DRIP_BYTES)
    for _ in range(DRIP_BYTES):
        if stop.wait(DRIP_INTERVAL_S):
            return
        connection.sendall(b"x")


def lying_length(declared: int, body: bytes) -> Callable[..., None]:
    def respond(connection: socket.socket, _request: Request, _stop: threading.Event) -> None:
        send(connection, body, headers={"Content-Length": str(declared)})

    return respond


def redirect(location: str, status: str = "302 Found") -> Callable[..., None]:
    def respond(connection: socket.socket, _request: Request, _stop: threading.Event) -> None:
        send(connection, status=status, headers={"Location": location})

    return respond


def setup_sources(server: HostileServer, counter: Counter, secret: Path) -> dict[str, str]:
    bomb = gzip_bomb()
    bombs = {
        "gzip-bomb": (bomb, "gzip"),
        "gzip-twice": (gzip(bomb), "gzip, gzip"),
        "brotli-bomb": (brotli_bomb(), "br"),
    }
    # Each bomb is small and really inflates past the cap.
    for body, encoding in bombs.values():
        assert len(body) < 1.1 * MIB
        assert inflated_size(body, encoding, MAX_BODY_BYTES) > MAX_BODY_BYTES
    assert len(bombs["gzip-twice"][0]) < 16 * 1024 and len(bombs["brotli-bomb"][0]) < 16 * 1024
    # The drip would outlast the deadline many times over.
    assert DRIP_BYTES * DRIP_INTERVAL_S > 10 * DEADLINE_S

    feed = plain_rss("Feed")
    far_date = "Fri, 31 Dec 9999 23:59:59 GMT"
    urls = {"good": server.static("/good", plain_rss("Good"))}
    for name, (body, encoding) in bombs.items():
        urls[name] = server.static(f"/{name}", body, headers={"Content-Encoding": encoding})
    urls |= {
        "endless-chunked": server.route("/endless-chunked", endless_chunked(counter)),
        "drip": server.route("/drip", drip),
        "length-too-long": server.route("/length-too-long", lying_length(100_000, feed)),
        "length-too-short": server.route("/length-too-short", lying_length(40, feed)),
        "length-huge": server.route("/length-huge", lying_length(10**12, feed)),
        "redirect-loop": server.route("/redirect-loop", redirect("/redirect-loop?again")),
        "redirect-file": server.route("/redirect-file", redirect(secret.as_uri())),
        "redirect-javascript": server.route(
            "/redirect-javascript", redirect("javascript:alert(1)")
        ),
        "redirect-ftp": server.route(
            "/redirect-ftp", redirect("ftp://127.0.0.1/feed", "301 Moved")
        ),
        "retry-after-far": server.route(
            "/retry-after-far",
            lambda c, _r, _s: send(
                c, status="503 Service Unavailable", headers={"Retry-After": "99999999999"}
            ),
        ),
        "retry-after-date": server.route(
            "/retry-after-date",
            lambda c, _r, _s: send(
                c, status="429 Too Many Requests", headers={"Retry-After": far_date}
            ),
        ),
        "too-many-requests": server.route(
            "/too-many-requests",
            lambda c, _r, _s: send(
                c, status="429 Too Many Requests", headers={"Retry-After": "120"}
            ),
        ),
        "ok-but-go-away": server.static(
            "/ok-but-go-away",
            feed,
            headers={"Retry-After": far_date, "Cache-Control": "max-age=99999999999"},
        ),
        "tls-to-plain-port": server.url("/tls", scheme="https"),
    }
    for hop in range(100):
        server.route(f"/chain/{hop}", redirect(f"/chain/{hop + 1}"))
    urls["redirect-100"] = server.url("/chain/0")
    return urls


EXPECTED_ERRORS = {
    "gzip-bomb": "response larger than 20 MB",
    "gzip-twice": "response larger than 20 MB",
    "brotli-bomb": "response larger than 20 MB",
    # Cut at the size cap, or at the deadline on a slow machine.
    "endless-chunked": "",
    "drip": f"no complete response from 127.0.0.1 within {DEADLINE_S:g} s",
    "length-too-long": "127.0.0.1 broke off the response",
    "length-huge": "response larger than 20 MB",
    "redirect-loop": "redirect loop",
    "redirect-file": "only http and https can be fetched, not file:",
    "redirect-javascript": "not an http(s) URL",
    "redirect-ftp": "only http and https can be fetched, not ftp:",
    "redirect-100": f"more than {MAX_REDIRECTS} redirects",
    "retry-after-far": f"HTTP 503 Service Unavailable (retry after {RETRY_AFTER_CAP_S} s)",
    "retry-after-date": f"HTTP 429 Too Many Requests (retry after {RETRY_AFTER_CAP_S} s)",
    "too-many-requests": "HTTP 429 Too Many Requests (retry after 120 s)",
    "tls-to-plain-port": "TLS error talking to 127.0.0.1: it did not answer in TLS",
}


def test_hostile_servers_in_one_refresh(
    home: Path, run_cli: RunCli, server: HostileServer, secret: Path, tmp_path: Path
) -> None:
    counter = Counter()
    urls = setup_sources(server, counter, secret)
    subscriptions = tmp_path / "hostile.opml"
    subscriptions.write_text(opml(list(urls.values())), encoding="utf-8")
    code, _out, err = run_cli("import", str(subscriptions))
    assert code == 0, err

    started = datetime.now(UTC)
    clock = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", REFRESH_WITH_PEAK.format(deadline=DEADLINE_S)],
        env=reader_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - clock
    assert result.returncode == 0, result.stderr
    # Every source ran at once: the slowest is cut at the deadline, not after minutes.
    assert elapsed < 30, f"refresh took {elapsed:.1f} s"
    peak_mib = int(result.stderr.split("PEAK_KIB")[1]) / 1024
    assert peak_mib < 300, f"the refresh peaked at {peak_mib:.0f} MiB in {elapsed:.1f} s"
    outcomes = {outcome["title"]: outcome for outcome in json.loads(result.stdout)["sources"]}
    assert len(outcomes) == len(urls)
    # The endless body was still going when reader hung up.
    assert poll(lambda: counter.cut_by_client, timeout_s=10) and counter.sent > MIB
    # No request followed a redirect to a file, a script or another scheme; none
    # went past the redirect cap.
    assert server.requests_to("/chain/11") == 0 and server.requests_to("/chain/10") == 1
    assert server.requests_to("(tls handshake)") == 1

    code, listing, err = run_cli("sources")
    assert code == 0, err
    assert_terminal_safe(listing + err, what="reader sources")
    with Library(paths.database_path()) as library:
        sources = {source.url: source for source in library.sources() if source.kind == "feed"}
    by_name = {name: sources[url] for name, url in urls.items()}
    for name, expected in EXPECTED_ERRORS.items():
        source = by_name[name]
        assert source.status == "error", (name, source.status, source.error)
        assert source.error and expected in source.error, (name, source.error)
        if name == "endless-chunked":
            assert "larger than 20 MB" in source.error or "within" in source.error
        assert len(source.error) < 300 and "\n" not in source.error, (name, source.error)
        assert f"error: {source.error}" in listing
    # A body that ends early is either cut (broke off) or unreadable: never a crash.
    assert by_name["length-too-short"].status == "error"
    assert by_name["good"].status == "ok" and by_name["good"].issues == 2
    assert by_name["ok-but-go-away"].status == "ok" and by_name["ok-but-go-away"].issues == 2

    # Next refreshes: servers may push them back, up to the cap, never for years.
    # The store keeps whole seconds, so the start is rounded down to compare.
    started = started.replace(microsecond=0)
    cap = timedelta(seconds=RETRY_AFTER_CAP_S + 120)
    for name in ("retry-after-far", "retry-after-date", "ok-but-go-away"):
        due = by_name[name].next_due
        assert (
            due is not None
            and started + timedelta(seconds=RETRY_AFTER_CAP_S) <= due <= started + cap
        )
    interval = timedelta(seconds=DEFAULT_INTERVAL_S)
    for name in ("too-many-requests", "good", "drip"):
        due = by_name[name].next_due
        assert due is not None and started + interval <= due <= started + interval + cap


def test_add_reports_hostile_servers_in_one_line(
    run_cli: RunCli, server: HostileServer, secret: Path
) -> None:
    urls = setup_sources(server, Counter(), secret)
    for name in ("gzip-twice", "redirect-100", "redirect-file", "tls-to-plain-port", "length-huge"):
        code, out, err = run_cli("add", urls[name])
        assert code == 1, (name, out)
        assert_terminal_safe(out + err)
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        assert EXPECTED_ERRORS[name] in err, (name, err)
    code, out, err = run_cli("sources", "--json")
    assert json.loads(out)["sources"] == [] or all(
        source["kind"] == "imports" for source in json.loads(out)["sources"]
    )
