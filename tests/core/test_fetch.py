"""fetch.py against real HTTP servers on 127.0.0.1: validators, redirects, limits.

Hostile servers (drip, endless, bombs) are real sockets, never mocked clients.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from reader.core.errors import FeedError, FetchError
from reader.core.feeds import WebPageError, discover_feeds, parse_feed
from reader.core.fetch import HTTPStatusError, fetch, make_client
from reader.core.limits import MAX_AGE_CAP_S, MAX_REDIRECTS, RETRY_AFTER_CAP_S, USER_AGENT

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test</title><link>http://example.com/</link>
<item><title>One</title><link>http://example.com/1</link><guid>1</guid></item>
</channel></rss>"""
MIB = 1024 * 1024


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as http_client:
        yield http_client


async def get(client: httpx.AsyncClient, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return await fetch(client, url, etag=None, last_modified=None, **kwargs)  # type: ignore[arg-type]


# --- a raw socket server for responses no HTTP framework will send ------------


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each socket to `respond` in a thread."""

    def __init__(self, respond: Callable[[socket.socket, threading.Event], None]) -> None:
        self.respond = respond
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            read_request_head(connection)
            # OSError: the client gave up, as it should.
            with contextlib.suppress(OSError):
                self.respond(connection, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def read_request_head(connection: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


@pytest.fixture
def raw_server() -> Iterator[
    Callable[[Callable[[socket.socket, threading.Event], None]], RawServer]
]:
    servers: list[RawServer] = []

    def start(respond: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        server = RawServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


# --- bombs, built quickly and checked before use ---------------------------------

GIB = 1 << 30
# CRC-32 of 2**30 zero bytes: zlib.crc32 over 1024 chunks of 1 MiB of zeros.
CRC32_OF_ONE_GIB_OF_ZEROS = 0x5B64C2B0


def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros.

    Deflate restarts its history after a full flush, so every flushed MiB of
    zeros compresses to the same bytes; compressing one and repeating it is
    the streaming compression of 1 GiB, without the five seconds it takes.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_RLE)
    one_mib = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_block = compressor.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = CRC32_OF_ONE_GIB_OF_ZEROS.to_bytes(4, "little") + GIB.to_bytes(4, "little")
    return header + one_mib * (GIB // MIB) + final_block + trailer


def brotli_bomb() -> bytes:
    """About 13 KB of brotli that inflates to 1 GiB of zeros (flushed MiBs repeat)."""
    compressor = brotli.Compressor(quality=5, lgwin=24)
    first = compressor.process(bytes(MIB)) + compressor.flush()
    steady = compressor.process(bytes(MIB)) + compressor.flush()
    assert compressor.process(bytes(MIB)) + compressor.flush() == steady
    bomb: bytes = first + steady * (GIB // MIB - 1) + compressor.finish()
    return bomb


def gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def inflates_past(decompress: Callable[[bytes, int], bytes], data: bytes, limit: int) -> bool:
    """True when `data` decompresses to more than `limit` bytes (checked in 1 MiB steps)."""
    produced = 0
    piece = decompress(data, MIB)
    while piece:
        produced += len(piece)
        if produced > limit:
            return True
        piece = decompress(b"", MIB)
    return False


def gzip_stepper() -> Callable[[bytes, int], bytes]:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def step(data: bytes, size: int) -> bytes:
        return decompressor.decompress(data or decompressor.unconsumed_tail, size)

    return step


def brotli_stepper() -> Callable[[bytes, int], bytes]:
    decompressor = brotli.Decompressor()
    return lambda data, size: decompressor.process(data, output_buffer_limit=size)


@pytest.fixture(scope="module")
def bombs() -> dict[str, tuple[bytes, str]]:
    gzip_once = gzip_bomb()
    return {
        "gzip": (gzip_once, "gzip"),
        "gzip twice": (gzip(gzip_once), "gzip, gzip"),
        "brotli": (brotli_bomb(), "br"),
    }


# --- conditional GET ------------------------------------------------------------------


async def test_conditional_get_sends_both_validators_and_keeps_them_on_304(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    etag, modified = '"v1"', "Mon, 01 Jan 2024 00:00:00 GMT"
    httpserver.expect_request(
        "/feed", headers={"If-None-Match": etag, "If-Modified-Since": modified}
    ).respond_with_data("", status=304)
    httpserver.expect_request("/feed").respond_with_data(
        RSS, headers={"ETag": etag, "Last-Modified": modified}, content_type="application/rss+xml"
    )
    url = httpserver.url_for("/feed")

    first = await get(client, url)
    assert (first.status, first.not_modified, first.content) == (200, False, RSS)
    assert (first.etag, first.last_modified) == (etag, modified)

    second = await fetch(client, url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.content is None
    # The 304 carried no validators; the stored ones still hold.
    assert (second.etag, second.last_modified) == (etag, modified)

    requests = [request for request, _response in httpserver.log]
    assert "If-None-Match" not in requests[0].headers
    assert requests[1].headers["If-None-Match"] == etag
    assert requests[1].headers["If-Modified-Since"] == modified
    assert requests[1].headers["User-Agent"] == USER_AGENT


async def test_a_304_with_new_validators_replaces_them(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=304, headers={"ETag": '"v2"'})
    result = await fetch(client, httpserver.url_for("/feed"), etag='"v1"', last_modified="x")
    assert (result.etag, result.last_modified) == ('"v2"', "x")


async def test_result_reports_type_charset_and_capped_max_age(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        RSS,
        headers={
            "Content-Type": "Application/RSS+XML; charset='GBK'",
            "Cache-Control": "public, max-age=99999999",
        },
    )
    result = await get(client, httpserver.url_for("/feed"))
    assert (result.content_type, result.charset) == ("application/rss+xml", "GBK")
    assert result.max_age_s == MAX_AGE_CAP_S
    assert result.permanent_redirect_to is None and result.retry_after_s is None


# --- redirects ----------------------------------------------------------------------------


def redirect(httpserver: HTTPServer, path: str, status: int, location: str) -> None:
    httpserver.expect_request(path).respond_with_data(
        "", status=status, headers={"Location": location}
    )


@pytest.mark.parametrize("statuses", [(301,), (308,), (301, 308)])
async def test_permanent_redirects_are_reported(
    httpserver: HTTPServer, client: httpx.AsyncClient, statuses: tuple[int, ...]
) -> None:
    for hop, status in enumerate(statuses):
        redirect(httpserver, f"/hop{hop}", status, f"/hop{hop + 1}")
    final = f"/hop{len(statuses)}"
    httpserver.expect_request(final).respond_with_data(RSS)
    result = await get(client, httpserver.url_for("/hop0"))
    assert result.url == httpserver.url_for(final)
    assert result.permanent_redirect_to == httpserver.url_for(final)
    assert result.content == RSS


@pytest.mark.parametrize("statuses", [(302,), (307,), (303,), (301, 302), (302, 301)])
async def test_temporary_redirects_are_followed_but_not_reported(
    httpserver: HTTPServer, client: httpx.AsyncClient, statuses: tuple[int, ...]
) -> None:
    for hop, status in enumerate(statuses):
        redirect(httpserver, f"/hop{hop}", status, httpserver.url_for(f"/hop{hop + 1}"))
    httpserver.expect_request(f"/hop{len(statuses)}").respond_with_data(RSS)
    result = await get(client, httpserver.url_for("/hop0"))
    assert result.url == httpserver.url_for(f"/hop{len(statuses)}")
    assert result.permanent_redirect_to is None


async def test_redirect_loop_is_refused(httpserver: HTTPServer, client: httpx.AsyncClient) -> None:
    redirect(httpserver, "/a", 302, "/b")
    redirect(httpserver, "/b", 301, "/a")
    with pytest.raises(FetchError, match="redirect loop"):
        await get(client, httpserver.url_for("/a"))


async def test_a_hundred_redirects_are_refused(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    for hop in range(100):
        redirect(httpserver, f"/r{hop}", 302, f"/r{hop + 1}")
    httpserver.expect_request("/r100").respond_with_data(RSS)
    with pytest.raises(FetchError, match=f"more than {MAX_REDIRECTS} redirects"):
        await get(client, httpserver.url_for("/r0"))
    assert len(httpserver.log) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("file:///etc/passwd", "only http and https can be fetched, not file:"),
        ("ftp://example.com/feed", "only http and https can be fetched, not ftp:"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("mailto:someone@example.com", "not an http(s) URL"),
    ],
)
async def test_redirect_to_another_scheme_is_refused(
    httpserver: HTTPServer, client: httpx.AsyncClient, location: str, message: str
) -> None:
    redirect(httpserver, "/feed", 301, location)
    with pytest.raises(FetchError, match="redirect") as caught:
        await get(client, httpserver.url_for("/feed"))
    assert message in str(caught.value)


async def test_redirect_to_a_malformed_url_is_refused(
    raw_server: Callable[..., RawServer], client: httpx.AsyncClient
) -> None:
    def respond(connection: socket.socket, _stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 301 Moved\r\nLocation: http://[invalid\r\nContent-Length: 0\r\n\r\n"
        )

    server = raw_server(respond)
    with pytest.raises(FetchError, match=r"not a valid redirect target: .*invalid host"):
        await get(client, server.url)


async def test_redirect_without_location(httpserver: HTTPServer, client: httpx.AsyncClient) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=302)
    with pytest.raises(FetchError, match="without a Location"):
        await get(client, httpserver.url_for("/feed"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "not a url", "/feed"])
async def test_only_http_urls_are_fetched(client: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(FetchError):
        await get(client, url)


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"), [(500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found")]
)
async def test_error_status_is_a_clear_error(
    httpserver: HTTPServer, client: httpx.AsyncClient, status: int, message: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data("<html>oops</html>", status=status)
    with pytest.raises(HTTPStatusError) as caught:
        await get(client, httpserver.url_for("/feed"))
    assert str(caught.value) == message
    assert caught.value.status == status and caught.value.retry_after_s is None


@pytest.mark.parametrize(
    ("status", "retry_after", "expected_s"),
    [(429, "120", 120.0), (503, "99999999", RETRY_AFTER_CAP_S), (429, "soon", None)],
)
async def test_retry_after_is_honoured_and_capped(
    httpserver: HTTPServer,
    client: httpx.AsyncClient,
    status: int,
    retry_after: str,
    expected_s: float | None,
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", status=status, headers={"Retry-After": retry_after}
    )
    with pytest.raises(HTTPStatusError) as caught:
        await get(client, httpserver.url_for("/feed"))
    assert caught.value.retry_after_s == expected_s
    if expected_s is not None:
        assert f"retry after {int(expected_s)} s" in str(caught.value)


async def test_retry_after_as_a_date(httpserver: HTTPServer, client: httpx.AsyncClient) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    httpserver.expect_request("/feed").respond_with_data(
        "", status=503, headers={"Retry-After": when}
    )
    with pytest.raises(HTTPStatusError) as caught:
        await get(client, httpserver.url_for("/feed"))
    assert caught.value.retry_after_s is not None
    assert 3500 < caught.value.retry_after_s <= 3600


async def test_connection_refused_is_a_short_clear_error(client: httpx.AsyncClient) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 refused the connection"):
        await get(client, f"http://127.0.0.1:{port}/feed")


async def test_tls_error_is_a_short_clear_error(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    # A plain HTTP server answering a TLS handshake.
    httpserver.expect_request("/feed").respond_with_data(RSS)
    url = httpserver.url_for("/feed").replace("http://", "https://")
    with pytest.raises(FetchError, match=r"^TLS error") as caught:
        await get(client, url)
    assert len(str(caught.value)) < 200 and "\n" not in str(caught.value)


async def test_body_cut_short_is_a_clear_error(
    raw_server: Callable[..., RawServer], client: httpx.AsyncClient
) -> None:
    def respond(connection: socket.socket, _stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<rss>")

    server = raw_server(respond)
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 broke off the response"):
        await get(client, server.url)


# --- the deadline -------------------------------------------------------------------------


async def test_slow_drip_is_cut_at_the_deadline(
    raw_server: Callable[..., RawServer], client: httpx.AsyncClient
) -> None:
    body_bytes, interval_s, deadline_s = 100, 0.5, 2.0
    # The whole drip would take 50 s: only the deadline can end it early.
    assert body_bytes * interval_s > 10 * deadline_s

    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % body_bytes)
        for _ in range(body_bytes):
            if stop.wait(interval_s):
                return
            connection.sendall(b"x")

    server = raw_server(respond)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete response .* within 2 s"):
        await get(client, server.url, deadline_s=deadline_s)
    elapsed = time.monotonic() - started
    assert deadline_s - 0.1 <= elapsed < deadline_s + 1.5


async def test_the_deadline_covers_every_redirect_hop(
    raw_server: Callable[..., RawServer], client: httpx.AsyncClient
) -> None:
    # Each hop answers after 0.4 s, well within any per-read timeout; ten of
    # them outlast a 1.5 s deadline.
    def respond(connection: socket.socket, stop: threading.Event) -> None:
        if stop.wait(0.4):
            return
        target = f"/hop{time.monotonic_ns()}"
        connection.sendall(
            f"HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode()
        )

    server = raw_server(respond)
    assert 0.4 * MAX_REDIRECTS > 1.5 * 2
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"within 1\.5 s"):
        await get(client, server.url, deadline_s=1.5)
    assert time.monotonic() - started < 3.0


# --- size caps and bombs ---------------------------------------------------------------------


async def test_endless_body_is_cut_at_the_size_cap(
    raw_server: Callable[..., RawServer], client: httpx.AsyncClient
) -> None:
    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        chunk = b"<item>" * 10_000
        while not stop.is_set():
            connection.sendall(chunk)

    server = raw_server(respond)
    with pytest.raises(FetchError, match="response larger than 2 MB"):
        await get(client, server.url, max_bytes=2 * MIB)


async def test_declared_length_over_the_cap_is_refused_unread(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"x" * (MIB + 1))
    with pytest.raises(FetchError, match="response larger than 1 MB"):
        await get(client, httpserver.url_for("/feed"), max_bytes=MIB)


@pytest.mark.parametrize("name", ["gzip", "gzip twice", "brotli"])
async def test_decompression_bombs_are_cut_with_bounded_memory(
    httpserver: HTTPServer,
    client: httpx.AsyncClient,
    bombs: dict[str, tuple[bytes, str]],
    name: str,
) -> None:
    body, encoding = bombs[name]
    cap = 4 * MIB
    # First prove the fixture: it is small and really inflates past the cap.
    assert len(body) < 1.1 * MIB
    if name == "gzip":
        assert inflates_past(gzip_stepper(), body, cap)
    elif name == "gzip twice":
        assert len(body) < 16 * 1024
        inner = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        assert inner == bombs["gzip"][0] and inflates_past(gzip_stepper(), inner, cap)
    else:
        assert len(body) < 16 * 1024 and inflates_past(brotli_stepper(), body, cap)

    httpserver.expect_request("/feed").respond_with_data(
        body, headers={"Content-Encoding": encoding}, content_type="application/rss+xml"
    )
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with pytest.raises(FetchError, match="response larger than 4 MB"):
            await get(client, httpserver.url_for("/feed"), max_bytes=cap)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The cap plus a few decompression steps and the server's copy of the
    # body; one unbounded step of the gzip bomb alone would be 64 MiB.
    assert peak < 4 * cap + 4 * MIB, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip),
        ("x-gzip", gzip),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),
        ("br", brotli.compress),
        ("gzip, br", lambda data: brotli.compress(gzip(data))),
        ("identity", lambda data: data),
        ("gzip", lambda data: gzip(data[:100]) + gzip(data[100:])),
    ],
)
async def test_compressed_feeds_are_decoded(
    httpserver: HTTPServer,
    client: httpx.AsyncClient,
    encoding: str,
    encode: Callable[[bytes], bytes],
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        encode(RSS), headers={"Content-Encoding": encoding}
    )
    result = await get(client, httpserver.url_for("/feed"))
    assert result.content == RSS
    assert "br" in httpserver.log[0][0].headers["Accept-Encoding"]


async def test_corrupt_gzip_is_a_clear_error(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"\x1f\x8b\x08\x00garbage-garbage", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError, match="not valid gzip data"):
        await get(client, httpserver.url_for("/feed"))


# --- end to end: bytes in a lying charset -------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "header_charset", "title"),
    [
        ("gbk", "utf-8", "每周新闻摘要：人工智能的最新进展"),
        ("gb18030", None, "开源软件社区发布了新的版本"),
        ("big5", "utf-8", "每週新聞摘要：人工智慧的最新進展"),
        ("shift_jis", "iso-8859-1", "週刊ニュースまとめ：人工知能の最新動向"),
    ],
)
async def test_a_feed_sent_in_another_charset_than_declared_decodes(
    httpserver: HTTPServer,
    client: httpx.AsyncClient,
    codec: str,
    header_charset: str | None,
    title: str,
) -> None:
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        + "".join(
            f"<item><title>{title}{n}</title><guid>{n}</guid><description>{title}。{title}"
            f"</description></item>"
            for n in range(3)
        )
        + "</channel></rss>"
    )
    content_type = "application/rss+xml" + (f"; charset={header_charset}" if header_charset else "")
    httpserver.expect_request("/feed").respond_with_data(
        feed.encode(codec), headers={"Content-Type": content_type}
    )
    result = await get(client, httpserver.url_for("/feed"))
    assert result.content is not None
    parsed = parse_feed(result.content, url=result.url, charset=result.charset)
    assert [entry.title for entry in parsed.entries] == [f"{title}{n}" for n in range(3)]


async def test_invalid_xml_and_html_pages_are_clear_errors_after_fetching(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    httpserver.expect_request("/broken").respond_with_data(
        b"<?xml version='1.0'?><rss><chanel><<<", content_type="application/rss+xml"
    )
    page = b"""<!DOCTYPE html><html><head><title>Blog</title>
    <link rel="alternate" type="application/atom+xml" title="Posts" href="/atom.xml">
    </head><body>Hello</body></html>"""
    httpserver.expect_request("/page").respond_with_data(page, content_type="text/html")

    broken = await get(client, httpserver.url_for("/broken"))
    assert broken.content is not None
    with pytest.raises(FeedError, match=r"^not a well-formed feed: line 1, column \d+: "):
        parse_feed(broken.content, url=broken.url, content_type=broken.content_type)

    html_page = await get(client, httpserver.url_for("/page"))
    assert html_page.content is not None and html_page.content_type == "text/html"
    with pytest.raises(WebPageError, match="this is a web page, not a feed"):
        parse_feed(html_page.content, url=html_page.url, content_type=html_page.content_type)
    assert discover_feeds(html_page.content, html_page.url) == [
        (httpserver.url_for("/atom.xml"), "Posts", "application/atom+xml")
    ]


async def test_handler_for_request_body_check(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    """Requests are plain GETs with no body, whatever the validators."""

    def handler(request: Request) -> Response:
        assert request.method == "GET" and request.get_data() == b""
        return Response(RSS, content_type="application/rss+xml")

    httpserver.expect_request("/feed").respond_with_handler(handler)
    result = await fetch(client, httpserver.url_for("/feed"), etag='"x"', last_modified=None)
    assert result.content == RSS
    assert "If-Modified-Since" not in httpserver.log[0][0].headers


async def test_a_304_keeps_its_connection_for_the_next_feed_of_the_host(
    raw_server: Callable[[Callable[[socket.socket, threading.Event], None]], RawServer],
    client: httpx.AsyncClient,
) -> None:
    connections: list[int] = []
    not_modified = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 0\r\n\r\n'

    def respond(connection: socket.socket, stop: threading.Event) -> None:
        connections.append(1)
        connection.sendall(not_modified)
        # The same connection serves every request the client sends on it.
        while read_request_head(connection):
            connection.sendall(not_modified)

    server = raw_server(respond)
    for _ in range(3):
        result = await fetch(client, server.url, etag='"v1"', last_modified=None)
        assert result.not_modified
    assert len(connections) == 1
