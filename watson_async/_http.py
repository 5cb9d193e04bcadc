"""Transport: the one place that talks to aiohttp.

A :class:`Transport` sends one fully built request and returns status, headers and
body. :class:`AiohttpTransport` owns one ``ClientSession`` and connector, created
lazily inside the running event loop; tests and advanced users may pass any object
with the same two methods.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import IO, Protocol

import aiohttp
import attrs
from yarl import URL

from .errors import TransportError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "AiohttpTransport",
    "HttpResponse",
    "RequestBody",
    "StreamingResponse",
    "Transport",
    "transport_error",
]

#: aiohttp's own default (100) silently caps a bot's concurrency; conversations mostly wait
#: on the service, so a larger pool costs little.
DEFAULT_MAX_CONNECTIONS = 500
#: Seconds for a whole attempt (connect, send, wait, read). Never unbounded.
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0


RequestBody = bytes | IO[bytes] | AsyncIterable[bytes] | None
"""What a request can carry: bytes, a binary file, or an async iterator of chunks."""


@attrs.frozen(slots=True)
class StreamingResponse:
    """Status and headers of a response whose body is read as it arrives."""

    status: int
    reason: str
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes] = attrs.field(repr=False)
    """The body, chunk by chunk as the network delivers it."""
    read: Callable[[], Awaitable[bytes]] = attrs.field(repr=False)
    """Read the whole (rest of the) body."""


@attrs.frozen(slots=True)
class HttpResponse:
    """Status, headers and the whole body of one HTTP response."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    pool_wait: float | None = None
    """Seconds spent getting a connection (queueing for the pool, opening one), if timed."""


class Transport(Protocol):
    """What the client needs from an HTTP implementation."""

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> HttpResponse:
        """Send one request; raise :class:`~watson_async.TransportError` when no response."""
        ...

    def stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> AbstractAsyncContextManager[StreamingResponse]:
        """Send one request and return its response with the body still to be read."""
        ...

    async def aclose(self) -> None:
        """Release connections. Idempotent."""
        ...


class AiohttpTransport:
    """The default transport: one aiohttp ``ClientSession`` per client.

    ``verify_ssl=False`` turns TLS verification off (only for test instances with
    self-signed certificates); ``ca_bundle`` is a path to a PEM file, or a ready
    ``ssl.SSLContext``, for private certificate authorities (Cloud Pak for Data).
    """

    def __init__(
        self,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        verify_ssl: bool = True,
        ca_bundle: str | ssl.SSLContext | None = None,
        proxy: str | None = None,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        time_pool: bool = False,
    ) -> None:
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ValueError("max_connections must be an integer")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        _check_timeout("timeout", timeout)
        _check_timeout("connect_timeout", connect_timeout)
        if not verify_ssl and ca_bundle is not None:
            raise ValueError("ca_bundle has no effect with TLS verification disabled")
        if isinstance(ca_bundle, str) and not os.path.isfile(ca_bundle):
            raise ValueError(f"ca_bundle {ca_bundle!r} is not a file")
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        self._connect_timeout = connect_timeout
        self._verify_ssl = verify_ssl
        self._ca_bundle = ca_bundle
        self._proxy = proxy
        self._trace_configs = trace_configs
        self._time_pool = time_pool
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"AiohttpTransport(max_connections={self._max_connections}, "
            f"timeout={self._timeout.total}, verify_ssl={self._verify_ssl})"
        )

    def time_pool(self) -> None:
        """Measure each request's wait for a connection (``HttpResponse.pool_wait``).

        Takes effect if called before the first request: it switches on aiohttp's
        request tracing, which costs a few microseconds per request.
        """
        self._time_pool = True

    def _ssl(self) -> ssl.SSLContext | bool:
        if not self._verify_ssl:
            return False
        if isinstance(self._ca_bundle, ssl.SSLContext):
            return self._ca_bundle
        if self._ca_bundle is not None:
            return ssl.create_default_context(cafile=self._ca_bundle)
        return True

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None and self._loop is loop:
            return session
        if self._closed:
            raise RuntimeError("this client is closed; create a new one")
        if session is not None:
            raise RuntimeError(
                "this client was first used in another event loop; aiohttp sessions are "
                "bound to one loop, so create one client per event loop"
            )
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, ssl=self._ssl(), ttl_dns_cache=300
        )
        trace_configs = list(self._trace_configs or ())
        if self._time_pool:
            trace_configs.append(_pool_timing())
        self._session = session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            trace_configs=trace_configs or None,
            auto_decompress=True,
        )
        self._slots = asyncio.Semaphore(self._max_connections)
        self._loop = loop
        return session

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> HttpResponse:
        session = self._get_session()
        if timeout is not None:
            _check_timeout("timeout", timeout)
        request_timeout = (
            self._timeout
            if timeout is None
            else aiohttp.ClientTimeout(total=timeout, connect=min(timeout, self._connect_timeout))
        )
        timing = _PoolTiming() if self._time_pool else None
        slots = self._slots
        assert slots is not None  # made with the session
        if slots.locked():
            # Every connection is busy. Wait here rather than in aiohttp's pool: a request
            # queued in aiohttp already holds its request object, payload and timers.
            request_timeout = await self._wait_for_slot(slots, request_timeout, timing, method, url)
        else:
            await slots.acquire()  # a slot is free: returns at once
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body,
                skip_auto_headers=_skip_auto_headers(body),
                timeout=request_timeout,
                proxy=self._proxy,
                allow_redirects=False,
                trace_request_ctx=timing,
            ) as resp:
                data = await resp.read()
                return HttpResponse(
                    resp.status,
                    resp.reason or "",
                    resp.headers,
                    data,
                    None if timing is None else timing.waited,
                )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise transport_error(exc, method, url) from exc
        finally:
            slots.release()

    async def _wait_for_slot(
        self,
        slots: asyncio.Semaphore,
        request_timeout: aiohttp.ClientTimeout,
        timing: _PoolTiming | None,
        method: str,
        url: str,
    ) -> aiohttp.ClientTimeout:
        """Wait for a free connection slot within the connect timeout, as aiohttp's pool
        would; return the request's timeout less the time waited."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        limit = request_timeout.connect or request_timeout.total
        try:
            if limit is None:
                await slots.acquire()
            elif sys.version_info >= (3, 11):
                async with asyncio.timeout(limit):
                    await slots.acquire()
            else:  # pragma: no cover - Python 3.10 has no asyncio.timeout
                await asyncio.wait_for(slots.acquire(), limit)
        except asyncio.TimeoutError:
            raise TransportError(
                "timed out waiting for a free connection in the pool",
                method=method,
                url=url,
                request_sent=False,
                timeout=True,
            ) from None
        waited = loop.time() - started
        if timing is not None:
            timing.waited += waited
        total, connect = request_timeout.total, request_timeout.connect
        return aiohttp.ClientTimeout(
            total=None if total is None else max(total - waited, 0.001),
            connect=None if connect is None else max(connect - waited, 0.001),
        )

    def stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> AbstractAsyncContextManager[StreamingResponse]:
        """Send a request and hand over the response as its bytes arrive.

        ``timeout`` bounds each wait for more bytes (not the whole transfer), so long
        streams and large downloads work. Leaving the context closes the connection
        unless the body was read to its end.
        """
        if timeout is not None:
            _check_timeout("timeout", timeout)
        read_timeout = self._timeout.total if timeout is None else timeout
        return _AiohttpStream(
            self._get_session(),
            method,
            url,
            headers,
            body,
            aiohttp.ClientTimeout(
                total=None, connect=self._connect_timeout, sock_read=read_timeout
            ),
            self._proxy,
        )

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


#: aiohttp labels a POST without a body ``application/octet-stream``; IBM's SDKs send no
#: ``Content-Type`` then (a body's own type is always set by the caller).
_NO_BODY_TYPE = ("Content-Type",)


def _skip_auto_headers(body: RequestBody) -> tuple[str, ...] | None:
    return _NO_BODY_TYPE if body is None else None


def _check_timeout(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds (never unbounded)")


def transport_error(exc: BaseException, method: str, url: str) -> TransportError:
    """The :class:`TransportError` for an aiohttp failure (no HTTP response)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportError(
            f"timed out connecting ({exc})",
            method=method,
            url=url,
            request_sent=False,
            timeout=True,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(
            f"cannot connect: {exc.os_error or exc}",
            method=method,
            url=url,
            request_sent=False,
        )
    if isinstance(exc, (aiohttp.SocketTimeoutError, asyncio.TimeoutError)):
        return TransportError(
            "timed out waiting for the response",
            method=method,
            url=url,
            request_sent=True,
            timeout=True,
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return TransportError(
            "server disconnected without a response",
            method=method,
            url=url,
            request_sent=True,
        )
    return TransportError(f"{type(exc).__name__}: {exc}", method=method, url=url, request_sent=True)


class _PoolTiming:
    """Per request: when it started waiting for a connection, and for how long."""

    __slots__ = ("since", "waited")

    def __init__(self) -> None:
        self.since = 0.0
        self.waited = 0.0


def _pool_timing() -> aiohttp.TraceConfig:
    """Tracing that adds up each request's time queued for and opening a connection."""

    async def start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: object
    ) -> None:
        timing = context.trace_request_ctx
        if isinstance(timing, _PoolTiming):
            timing.since = asyncio.get_running_loop().time()

    async def end(session: aiohttp.ClientSession, context: SimpleNamespace, params: object) -> None:
        timing = context.trace_request_ctx
        if isinstance(timing, _PoolTiming):
            timing.waited += asyncio.get_running_loop().time() - timing.since

    config = aiohttp.TraceConfig()
    config.on_connection_queued_start.append(start)
    config.on_connection_queued_end.append(end)
    config.on_connection_create_start.append(start)
    config.on_connection_create_end.append(end)
    config.freeze()
    return config


class _AiohttpStream:
    """The context manager :meth:`AiohttpTransport.stream` returns."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: aiohttp.ClientTimeout,
        proxy: str | None,
    ) -> None:
        self._session = session
        self._method = method
        self._url = url
        self._headers = headers
        self._body = body
        self._timeout = timeout
        self._proxy = proxy
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> StreamingResponse:
        try:
            response = await self._session.request(
                self._method,
                URL(self._url, encoded=True),
                headers=self._headers,
                data=self._body,
                skip_auto_headers=_skip_auto_headers(self._body),
                timeout=self._timeout,
                proxy=self._proxy,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise transport_error(exc, self._method, self._url) from exc
        self._response = response
        return StreamingResponse(
            response.status,
            response.reason or "",
            response.headers,
            self._chunks(response),
            self._reader(response),
        )

    async def _chunks(self, response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise transport_error(exc, self._method, self._url) from exc

    def _reader(self, response: aiohttp.ClientResponse) -> Callable[[], Awaitable[bytes]]:
        async def read() -> bytes:
            try:
                return await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise transport_error(exc, self._method, self._url) from exc

        return read

    async def __aexit__(self, *exc_info: object) -> None:
        response, self._response = self._response, None
        if response is not None:
            if response.content.at_eof():
                response.release()
            else:
                response.close()  # unread bytes: this connection can't be reused
