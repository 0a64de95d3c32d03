"""Download one feed over HTTP: redirects, validators, one deadline and a size cap.

The only module that speaks HTTP; it hands bytes and validators to the pure parsers.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import http
import ipaddress
import math
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import brotli
import httpcore
import httpx

from reader.core.errors import FetchError
from reader.core.limits import (
    ACCEPT,
    CONNECT_TIMEOUT_S,
    DECOMPRESS_CHUNK_BYTES,
    FEED_DEADLINE_S,
    KEEPALIVE_EXPIRY_S,
    MAX_AGE_CAP_S,
    MAX_BODY_BYTES,
    MAX_CONNECTIONS,
    MAX_KEEPALIVE_CONNECTIONS,
    MAX_REDIRECTS,
    RETRY_AFTER_CAP_S,
    USER_AGENT,
)

__all__ = ["FetchResult", "HTTPStatusError", "fetch", "make_client"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
# Bodies are decoded here, not by httpx, so every step can be bounded; only
# what can be decoded that way is offered.
ACCEPT_ENCODING = "gzip, deflate, br"


@dataclass(frozen=True)
class FetchResult:
    """What one fetch of a feed URL gave: the body (None on 304) and what to store."""

    url: str
    status: int
    content: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    charset: str | None
    permanent_redirect_to: str | None
    retry_after_s: float | None
    max_age_s: float | None
    not_modified: bool


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx or 5xx)."""

    def __init__(
        self, message: str, *, status: int, url: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        # Set when the server asked to be left alone for a while (429, 503).
        self.retry_after_s = retry_after_s


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the certificate bundle costs 40-80 ms: once per process, not per client.
    # httpx's own default, SSL_CERT_FILE / SSL_CERT_DIR included.
    return httpx.create_ssl_context()


def make_client(*, public_only: bool = False) -> httpx.AsyncClient:
    """An HTTP/1.1 keep-alive client with the project's limits and User-Agent.

    `public_only` refuses every request (redirects included) to a private, loopback or
    link-local address with PrivateAddressError, checked when the connection is made.
    """
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )
    return httpx.AsyncClient(
        verify=_tls_context(),
        http1=True,
        http2=False,
        # Redirects are followed in `fetch` so that loops, schemes and
        # permanent moves can be judged hop by hop.
        follow_redirects=False,
        timeout=httpx.Timeout(FEED_DEADLINE_S, connect=CONNECT_TIMEOUT_S),
        limits=limits,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        transport=_PublicOnlyTransport(verify=_tls_context(), limits=limits)
        if public_only
        else None,
        event_hooks={"request": [_refuse_private_hosts]} if public_only else None,
    )


# --- private addresses --------------------------------------------------------


class PrivateAddressError(FetchError):
    """A link (or a redirect) to a private, loopback or link-local address, refused."""


def is_private_address(address: str) -> bool:
    """True for an address that is not on the public internet (or is not an address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def _public_addresses(host: str, port: int | None) -> list[str]:
    """The addresses of `host`, or PrivateAddressError if any of them is not public."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            raise FetchError(f"could not find the host {host}") from None
        addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(is_private_address(address) for address in addresses):
        raise PrivateAddressError(f"skipped: private address ({host})")
    return addresses


async def _refuse_private_hosts(request: httpx.Request) -> None:
    # Before anything is sent: a clear message for a link to a private host, without
    # waiting for a connection (and one already open to that host would not ask again).
    await _public_addresses(request.url.host, request.url.port)


class _PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Connects only to public addresses, to the very address it checked.

    A name may resolve to a public address when checked and to a private one a moment
    later, when the connection resolves it again (DNS rebinding): resolving once and
    connecting to that address leaves no such gap. TLS still verifies the host name.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        (address, *_) = await _public_addresses(host, port)
        return await self._inner.connect_tcp(
            address, port, timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PrivateAddressError("skipped: a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connections made by _PublicOnlyBackend."""

    def __init__(self, *, verify: ssl.SSLContext, limits: httpx.Limits) -> None:
        # No proxy from the environment here: a proxy would resolve names itself.
        super().__init__(verify=verify, limits=limits, trust_env=False)
        pool = self._pool
        if not isinstance(pool, httpcore.AsyncConnectionPool):  # pragma: no cover
            raise TypeError("unexpected httpx transport layout")
        # httpx has no option for it: httpcore's pool takes its backend at creation.
        pool._network_backend = _PublicOnlyBackend(pool._network_backend)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    deadline_s: float = FEED_DEADLINE_S,
    max_bytes: int = MAX_BODY_BYTES,
) -> FetchResult:
    """Fetch `url` with conditional GET, following redirects, within one deadline."""
    start = _parse_http_url(url, what="address")
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        # One deadline around every hop and the whole body: per-read timeouts
        # alone let a server that drips a byte at a time hold on for ever.
        async with asyncio.timeout(deadline_s):
            return await _fetch_following_redirects(
                client, start, headers, etag=etag, last_modified=last_modified, max_bytes=max_bytes
            )
    except TimeoutError:
        raise FetchError(
            f"no complete response from {start.host} within {deadline_s:g} s"
        ) from None
    except httpx.HTTPError as error:
        raise FetchError(_describe_transport_error(error, _failed_host(error, start))) from error


async def _fetch_following_redirects(
    client: httpx.AsyncClient,
    start: httpx.URL,
    headers: dict[str, str],
    *,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
) -> FetchResult:
    current = start
    visited = {_without_fragment(start)}
    every_hop_permanent = True
    for _hop in range(MAX_REDIRECTS + 1):
        async with _stream(client, current, headers) as response:
            status = response.status_code
            if status in REDIRECT_STATUSES:
                target = _redirect_target(response, current)
                if _without_fragment(target) in visited:
                    raise FetchError(f"redirect loop: {_shown(target)} was already visited")
                visited.add(_without_fragment(target))
                every_hop_permanent = every_hop_permanent and status in PERMANENT_REDIRECT_STATUSES
                current = target
                continue
            moved_to = str(current) if current != start and every_hop_permanent else None
            if status == 304:
                # A 304 has no body; reading its end lets the connection serve the next
                # feed of the same host instead of being closed.
                await response.aread()
                return _result(
                    response,
                    current,
                    content=None,
                    moved_to=moved_to,
                    # A 304 may omit the validators; the stored ones still hold.
                    etag=response.headers.get("etag") or etag,
                    last_modified=response.headers.get("last-modified") or last_modified,
                )
            if status >= 400:
                raise _status_error(response, current)
            if not 200 <= status < 300:
                raise HTTPStatusError(
                    f"unexpected answer HTTP {status} {_reason(response)}",
                    status=status,
                    url=str(current),
                )
            content = await _read_body(response, max_bytes)
            return _result(
                response,
                current,
                content=content,
                moved_to=moved_to,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
    raise FetchError(f"more than {MAX_REDIRECTS} redirects, starting at {_shown(start)}")


@asynccontextmanager
async def _stream(
    client: httpx.AsyncClient, url: httpx.URL, headers: dict[str, str]
) -> AsyncIterator[httpx.Response]:
    try:
        async with client.stream("GET", url, headers=headers) as response:
            yield response
    except httpx.InvalidURL:
        # httpx builds the next request of every redirect, even unfollowed,
        # and fails on a Location such as "javascript:..." or "mailto:...".
        raise FetchError(
            f"refused a redirect from {_shown(url)} to an address that is not an http(s) URL"
        ) from None
    except httpx.RemoteProtocolError as error:
        if "location header" not in str(error).lower():
            raise
        raise FetchError(f"refused a redirect from {_shown(url)} to an invalid address") from None


def _result(
    response: httpx.Response,
    url: httpx.URL,
    *,
    content: bytes | None,
    moved_to: str | None,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    media_type, charset = _split_content_type(response.headers.get("content-type"))
    return FetchResult(
        url=str(url),
        status=response.status_code,
        content=content,
        etag=etag,
        last_modified=last_modified,
        content_type=media_type,
        charset=charset,
        permanent_redirect_to=moved_to,
        retry_after_s=parse_retry_after(response.headers.get("retry-after")),
        max_age_s=parse_max_age(response.headers.get("cache-control")),
        not_modified=content is None,
    )


# --- URLs and redirects ------------------------------------------------------


def _parse_http_url(url: str, *, what: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError(f"not a valid {what}: {_shown(url)}") from None
    if parsed.scheme not in ("http", "https"):
        scheme = f"{parsed.scheme}:" if parsed.scheme else "a relative"
        raise FetchError(
            f"refused {what} {_shown(url)}: only http and https can be fetched, not {scheme}"
        )
    if not parsed.host:
        raise FetchError(f"not a valid {what}: {_shown(url)} has no host")
    if not _VALID_HOST.fullmatch(parsed.raw_host.decode("ascii", "replace")):
        # httpx percent-encodes what it cannot read ("[invalid", "a b").
        raise FetchError(f"not a valid {what}: {_shown(url)} has an invalid host")
    return parsed


# A DNS name (IDNA-encoded by httpx), an IPv4 address, or an IPv6 address
# (brackets already removed).
_VALID_HOST = re.compile(r"[A-Za-z0-9_.\-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\w.\-]+)?")


def _redirect_target(response: httpx.Response, current: httpx.URL) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise HTTPStatusError(
            f"HTTP {response.status_code} redirect without a Location header",
            status=response.status_code,
            url=str(current),
        )
    try:
        joined = str(current.join(location.strip()))
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError(f"redirect to an invalid address: {_shown(location)}") from None
    return _parse_http_url(joined, what="redirect target")


def _without_fragment(url: httpx.URL) -> str:
    return str(url.copy_with(fragment=None))


# --- errors --------------------------------------------------------------------


def _reason(response: httpx.Response) -> str:
    # The standard phrase, not the server's: it is shown to the user and the
    # server's text is untrusted.
    try:
        return http.HTTPStatus(response.status_code).phrase
    except ValueError:
        return "(unknown status)"


def _status_error(response: httpx.Response, url: httpx.URL) -> HTTPStatusError:
    status = response.status_code
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    message = f"HTTP {status} {_reason(response)}"
    if retry_after is not None:
        message += f" (retry after {math.ceil(retry_after)} s)"
    return HTTPStatusError(message, status=status, url=str(url), retry_after_s=retry_after)


def _failed_host(error: httpx.HTTPError, start: httpx.URL) -> str:
    # After a redirect the failing host is not the one the user asked for.
    try:
        return error.request.url.host or start.host
    except RuntimeError:  # no request attached
        return start.host


def _root_cause(error: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        nested = error.__cause__ or error.__context__
        if nested is None:
            break
        error = nested
    return error


# OpenSSL's reasons when the server answers a handshake with something else (plain HTTP).
_PLAIN_TEXT_ANSWERS = frozenset(
    {"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE"}
)


def _describe_transport_error(error: httpx.HTTPError, host: str) -> str:
    cause = _root_cause(error)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS error: the certificate of {host} is not trusted ({cause.verify_message})"
    if isinstance(cause, ssl.SSLError):
        if cause.reason in _PLAIN_TEXT_ANSWERS:
            return (
                f"TLS error talking to {host}: it did not answer in TLS"
                " (does the address need http:// rather than https://?)"
            )
        return f"TLS error talking to {host}: {cause.reason or cause}"
    if isinstance(error, httpx.ConnectTimeout):
        return f"connecting to {host} timed out"
    if isinstance(error, httpx.TimeoutException):
        return f"{host} stopped answering (timed out)"
    if isinstance(cause, socket.gaierror):
        return f"could not find the host {host}"
    if isinstance(cause, ConnectionRefusedError):
        return f"{host} refused the connection"
    if isinstance(error, httpx.ConnectError):
        return f"could not connect to {host}: {_short(cause)}"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"{host} broke off the response: {_short(error)}"
    if isinstance(error, httpx.NetworkError):
        return f"connection to {host} failed: {_short(cause)}"
    return f"request to {host} failed: {_short(error)}"


# URLs in messages are cut: a hostile feed or server may hand over a megabyte.
MAX_URL_SHOWN_CHARS = 200


def _shown(url: str | httpx.URL) -> str:
    text = str(url)
    return text if len(text) <= MAX_URL_SHOWN_CHARS else text[: MAX_URL_SHOWN_CHARS - 1] + "…"


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _too_large(max_bytes: int) -> FetchError:
    return FetchError(f"response larger than {max_bytes / (1024 * 1024):g} MB")


# --- headers -------------------------------------------------------------------


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media_type, *params = value.split(";")
    charset = None
    for param in params:
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = param_value.strip().strip("\"'").strip() or None
    return media_type.strip().lower() or None, charset


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or a date), capped."""
    if not value:
        return None
    value = value.strip()
    seconds: float
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), float(RETRY_AFTER_CAP_S))


def parse_max_age(value: str | None) -> float | None:
    """Seconds a response stays fresh from Cache-Control max-age, capped."""
    if not value:
        return None
    max_age = None
    for directive in value.split(","):
        name, _, argument = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return None
        if name == "max-age":
            try:
                max_age = float(argument.strip().strip('"'))
            except ValueError:
                return None
    if max_age is None or math.isnan(max_age) or max_age < 0:
        return None
    return min(max_age, float(MAX_AGE_CAP_S))


# --- the body, decoded in bounded steps ------------------------------------------


async def _read_body(response: httpx.Response, max_bytes: int) -> bytes:
    encodings = [
        token.strip().lower()
        for token in response.headers.get("content-encoding", "").split(",")
        if token.strip()
    ]
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    # Content-Encoding lists the codings in the order they were applied.
    decoders = [_decoder_for(name) for name in reversed(encodings)]
    body = bytearray()
    raw_size = 0
    async for raw in response.aiter_raw():
        raw_size += len(raw)
        if raw_size > max_bytes:
            raise _too_large(max_bytes)
        for piece in _decode_through(decoders, raw):
            if len(body) + len(piece) > max_bytes:
                raise _too_large(max_bytes)
            body += piece
    return bytes(body)


def _decode_through(decoders: list[_Decoder], data: bytes) -> Iterator[bytes]:
    if not decoders:
        if data:
            yield data
        return
    first, rest = decoders[0], decoders[1:]
    for piece in first.feed(data):
        yield from _decode_through(rest, piece)


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...


class _IdentityDecoder:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data


class _ZlibDecoder:
    """gzip or deflate, producing at most DECOMPRESS_CHUNK_BYTES per step."""

    # 32 + 15: a zlib or gzip header, detected; servers mix the two up.
    _AUTO_HEADER_WBITS = 32 + zlib.MAX_WBITS
    _RAW_WBITS = -zlib.MAX_WBITS

    def __init__(self, name: str) -> None:
        self._name = name
        self._wbits = self._AUTO_HEADER_WBITS
        self._decompressor = zlib.decompressobj(self._wbits)
        self._started = False
        self._members = 1
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending or self._started:
            if self._done:
                return
            decompressor = self._decompressor
            if decompressor.eof:
                # gzip allows several members one after another; anything else
                # after the end of a stream is ignored, as browsers do.
                pending = decompressor.unused_data + pending
                if self._name != "gzip" or not pending:
                    self._done = self._name != "gzip"
                    return
                self._decompressor = zlib.decompressobj(self._wbits)
                self._members += 1
                continue
            try:
                out = decompressor.decompress(pending, DECOMPRESS_CHUNK_BYTES)
            except zlib.error:
                if not self._started and self._wbits != self._RAW_WBITS:
                    # Some servers send "deflate" without the zlib header.
                    self._wbits = self._RAW_WBITS
                    self._decompressor = zlib.decompressobj(self._wbits)
                    continue
                if self._members > 1:
                    # Trailing junk after a complete gzip member.
                    self._done = True
                    return
                raise FetchError(f"the response is not valid {self._name} data") from None
            self._started = True
            if out:
                yield out
            pending = decompressor.unconsumed_tail
            if decompressor.eof:
                continue
            if not pending and len(out) < DECOMPRESS_CHUNK_BYTES:
                return


class _BrotliDecoder:
    """brotli, producing at most DECOMPRESS_CHUNK_BYTES per step."""

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        if decompressor.is_finished():
            return
        try:
            out = decompressor.process(data, output_buffer_limit=DECOMPRESS_CHUNK_BYTES)
            while True:
                if out:
                    yield out
                if decompressor.can_accept_more_data() or decompressor.is_finished():
                    return
                out = decompressor.process(b"", output_buffer_limit=DECOMPRESS_CHUNK_BYTES)
        except brotli.error:
            raise FetchError("the response is not valid brotli data") from None


def _decoder_for(name: str) -> _Decoder:
    if name in ("gzip", "x-gzip"):
        return _ZlibDecoder("gzip")
    if name == "deflate":
        return _ZlibDecoder("deflate")
    if name == "br":
        return _BrotliDecoder()
    # "identity" and the odd bogus value ("utf-8") mean the body is as sent.
    return _IdentityDecoder()
