"""The default transport on aiohttp: one ``ClientSession`` and connector per client,
created lazily inside the running event loop; the only module that sends with aiohttp.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace

import aiohttp
from yarl import URL

from watson_async.errors import (
    ClientClosedError,
    TransportError,
    WatsonError,
)
from watson_async.transport.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    HttpResponse,
    RequestBody,
    StreamingResponse,
)
from watson_async.transport.failures import (
    check_byte_limit,
    check_timeout,
    is_undecodable,
    raise_alone,
    read_body,
    transport_error,
    undecodable_error,
)
from watson_async.transport.settings import ConnectionSettings, env_proxy

#: The aiohttp release in use (the client names it in its ``User-Agent``).
AIOHTTP_VERSION: str = aiohttp.__version__


class AiohttpTransport:
    """The default transport: one aiohttp ``ClientSession`` per client.

    ``verify_ssl=False`` turns TLS verification off (only for test instances with
    self-signed certificates); ``ca_bundle`` is a path to a PEM file, or a ready
    ``ssl.SSLContext``, for private certificate authorities (Cloud Pak for Data).
    ``max_response_bytes`` bounds the body :meth:`send` reads (after decompression): a
    2xx over it raises :class:`~watson_async.ResponseTooLargeError`, another status
    keeps that many bytes of its body. A 2xx whose body cannot be decoded raises
    :class:`~watson_async.ResponseParseError`.

    ``proxy`` sends every request through that proxy (credentials, if any, in the
    URL: ``http://user:password@proxy:3128``). Without it, ``proxy_from_env=True``
    (the default) honours ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` by the rules
    of Python's ``urllib``, read once per host the transport talks to;
    ``proxy_from_env=False`` ignores them. ``~/.netrc`` is never read.
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
        proxy_from_env: bool = True,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        time_pool: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ValueError("max_connections must be an integer")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        check_timeout("timeout", timeout)
        check_timeout("connect_timeout", connect_timeout)
        check_byte_limit("max_response_bytes", max_response_bytes)
        self._settings = ConnectionSettings(
            verify_ssl=verify_ssl, ca_bundle=ca_bundle, proxy=proxy, proxy_from_env=proxy_from_env
        )
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
        self._connect_timeout = connect_timeout
        self._verify_ssl = verify_ssl
        self._ca_bundle = ca_bundle
        self._proxy = proxy
        self._proxy_from_env = proxy_from_env
        self._env_proxies: dict[tuple[str, str | None], str | None] = {}
        self._trace_configs = trace_configs
        self._time_pool = time_pool
        self._max_response_bytes = max_response_bytes
        self._session: aiohttp.ClientSession | None = None
        self._slots: _Slots | None = None
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

    def _proxy_for(self, url: URL) -> str | None:
        if self._proxy is not None or not self._proxy_from_env:
            return self._proxy
        key = (url.scheme, url.raw_authority)
        try:
            return self._env_proxies[key]
        except KeyError:
            if len(self._env_proxies) >= 64:
                self._env_proxies.clear()
            proxy = self._env_proxies[key] = env_proxy(url)
            return proxy

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None and self._loop is loop:
            return session
        if self._closed:
            raise ClientClosedError()
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
        self._slots = _Slots(self._max_connections)
        self._loop = loop
        return session

    async def send(  # noqa: RET503 - it ends in raise_alone(), which never returns
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> HttpResponse:
        session = self._get_session()
        if timeout is not None:
            check_timeout("timeout", timeout)
        request_timeout = (
            self._timeout
            if timeout is None
            else aiohttp.ClientTimeout(total=timeout, connect=min(timeout, self._connect_timeout))
        )
        timing = _PoolTiming() if self._time_pool else None
        slots = self._slots
        assert slots is not None  # made with the session
        if slots.free > 0 and not slots.waiters and not self._closed:
            slots.free -= 1  # a slot is free (_take_slot's first case, inline)
        else:
            request_timeout = await self._take_slot(request_timeout, timing, method, url)
        try:
            target = URL(url, encoded=True)
            async with session.request(
                method,
                target,
                headers=headers,
                data=body,
                skip_auto_headers=_NO_BODY_TYPE if body is None else None,
                timeout=request_timeout,
                proxy=self._proxy_for(target),
                allow_redirects=False,
                trace_request_ctx=timing,
            ) as resp:
                data = await read_body(resp, self._max_response_bytes)
                return HttpResponse(
                    resp.status,
                    resp.reason or "",
                    resp.headers,
                    data,
                    None if timing is None else timing.waited,
                )
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
            error = self._failure(exc, method, url)
        finally:
            slots.release()
        raise_alone(error)

    def _failure(
        self,
        exc: BaseException,
        method: str,
        url: str,
        response: aiohttp.ClientResponse | None = None,
    ) -> WatsonError:
        """What a request whose response could not be had (or read to its end) raises:
        closed under it, a body that can't be decoded, or a transport error."""
        if self._closed:
            return ClientClosedError()
        if isinstance(exc, RuntimeError):
            raise exc  # not aiohttp's "Session is closed": a bug to surface as it is
        if response is not None and is_undecodable(exc):
            return undecodable_error(response)
        return transport_error(exc, method, url)

    async def _take_slot(
        self,
        request_timeout: aiohttp.ClientTimeout,
        timing: _PoolTiming | None,
        method: str,
        url: str,
    ) -> aiohttp.ClientTimeout:
        """Take a connection slot (every request and stream holds one while open); return
        the request's timeout less any time spent waiting for it."""
        slots = self._slots
        assert slots is not None  # made with the session
        if slots.locked():
            # Every connection is busy. Wait here rather than in aiohttp's pool: a request
            # queued in aiohttp already holds its request object, payload and timers.
            request_timeout = await self._wait_for_slot(slots, request_timeout, timing, method, url)
        else:
            await slots.acquire()  # a slot is free: returns at once
        if self._closed:  # woken by a request that the close ended
            slots.release()
            raise ClientClosedError()
        return request_timeout

    def _release_slot(self) -> None:
        assert self._slots is not None
        self._slots.release()

    async def _wait_for_slot(
        self,
        slots: _Slots,
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
            check_timeout("timeout", timeout)
        read_timeout = self._timeout.total if timeout is None else timeout
        return _AiohttpStream(
            self,
            self._get_session(),
            method,
            url,
            headers,
            body,
            aiohttp.ClientTimeout(
                total=None, connect=self._connect_timeout, sock_read=read_timeout
            ),
            self._proxy_for(URL(url, encoded=True)),
        )

    @property
    def opened(self) -> bool:
        """Whether connections were opened (a first request) and not closed since."""
        return self._session is not None

    async def aclose(self) -> None:
        """Close every connection; requests in flight end with ``ClientClosedError``.

        Connections belong to the event loop they were opened in. From another thread's
        running loop they are closed there; a loop that is not running can't close them,
        so that is refused with a ``RuntimeError`` naming it (nothing is changed: call
        ``aclose()`` again inside that loop).
        """
        refusal = self._foreign_loop_refusal()
        if refusal is not None:
            raise refusal
        session, loop = self._session, self._loop
        self._closed = True
        self._session = None
        if session is None or loop is None:
            return
        if loop is asyncio.get_running_loop():
            await session.close()
        else:  # running in another thread: close there
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(session.close(), loop))

    def _foreign_loop_refusal(self) -> RuntimeError | None:
        """The error :meth:`aclose` raises when it can't close from the running loop."""
        loop = self._loop
        if self._session is None or loop is None or loop is asyncio.get_running_loop():
            return None
        if loop.is_running():
            return None  # another thread's loop: aclose() closes the session there
        state = "closed" if loop.is_closed() else "not running"
        return RuntimeError(
            f"this client's connections belong to event loop {loop!r}, which is {state}: "
            "call aclose() inside that loop (connections can't be closed from another one)"
        )


class SessionTransport(AiohttpTransport):
    """An :class:`AiohttpTransport` over an ``aiohttp.ClientSession`` that the caller owns.

    Requests go through that session (its connector, TLS and pool settings), with the
    same timeouts, proxy rules, body limit and typed errors as :class:`AiohttpTransport`.
    :meth:`aclose` stops this transport but leaves the session open: closing it is its
    owner's business (so a request in flight is not interrupted either).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        proxy: str | None = None,
        proxy_from_env: bool = True,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__(
            timeout=timeout,
            proxy=proxy,
            proxy_from_env=proxy_from_env,
            max_response_bytes=max_response_bytes,
        )
        self._given = session

    def __repr__(self) -> str:
        return f"SessionTransport(timeout={self._timeout.total})"

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError()
        if self._slots is None:
            self._slots = _Slots(self._max_connections)
            self._loop = asyncio.get_running_loop()
        return self._given

    async def aclose(self) -> None:
        """Stop sending through the session; the session itself stays open."""
        self._closed = True


class _Slots:
    """The transport's connection slots: a FIFO semaphore whose free case is inline.

    ``asyncio.Semaphore`` checks for waiters with a generator on every ``acquire`` (and
    ``locked``): with a free slot, that was most of the cost of taking one.
    """

    __slots__ = ("free", "waiters")

    def __init__(self, count: int) -> None:
        self.free = count
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def locked(self) -> bool:
        """Whether :meth:`acquire` would wait."""
        return self.free <= 0 or bool(self.waiters)

    async def acquire(self) -> None:
        """Take a slot, after those who wait for one already."""
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot as it was cancelled: pass it on
            elif waiter in self.waiters:
                self.waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiter still waiting, else to the free ones."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


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
        transport: AiohttpTransport,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: aiohttp.ClientTimeout,
        proxy: str | None,
    ) -> None:
        self._transport = transport
        self._session = session
        self._method = method
        self._url = url
        self._headers = headers
        self._body = body
        self._timeout = timeout
        self._proxy = proxy
        self._response: aiohttp.ClientResponse | None = None

    def __del__(self) -> None:
        # A stream dropped unclosed (never iterated, say) must not keep its pool slot
        # forever; aiohttp itself warns about the unclosed response.
        response, self._response = self._response, None
        if response is not None:
            response.close()
            self._transport._release_slot()

    async def __aenter__(self) -> StreamingResponse:  # noqa: RET503 - ends in raise_alone()
        transport = self._transport
        timeout = await transport._take_slot(self._timeout, None, self._method, self._url)
        try:
            response = await self._session.request(
                self._method,
                URL(self._url, encoded=True),
                headers=self._headers,
                data=self._body,
                skip_auto_headers=_NO_BODY_TYPE if self._body is None else None,
                timeout=timeout,
                proxy=self._proxy,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
            error = transport._failure(exc, self._method, self._url)
        except BaseException:
            transport._release_slot()
            raise
        else:
            self._response = response
            return StreamingResponse(
                response.status,
                response.reason or "",
                response.headers,
                self._chunks(response),
                self._reader(response),
            )
        transport._release_slot()
        raise_alone(error)

    async def _chunks(self, response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        content = response.content
        while True:
            try:
                chunk = await content.readany()
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
                error = self._transport._failure(exc, self._method, self._url, response)
            else:
                if not chunk:
                    return
                yield chunk
                continue
            raise_alone(error)

    def _reader(self, response: aiohttp.ClientResponse) -> Callable[[], Awaitable[bytes]]:
        async def read() -> bytes:  # noqa: RET503 - ends in raise_alone()
            try:
                return await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
                error = self._transport._failure(exc, self._method, self._url, response)
            raise_alone(error)

        return read

    async def __aexit__(self, *exc_info: object) -> None:
        response, self._response = self._response, None
        if response is not None:
            if response.content.at_eof():
                response.release()
            else:
                response.close()  # unread bytes: this connection can't be reused
            self._transport._release_slot()


#: aiohttp labels a POST without a body ``application/octet-stream``; IBM's SDKs send no
#: ``Content-Type`` then (a body's own type is always set by the caller).
_NO_BODY_TYPE = ("Content-Type",)
