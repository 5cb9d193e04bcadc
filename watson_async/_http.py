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
from collections.abc import Mapping
from typing import Protocol

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
    "Transport",
]

#: aiohttp's own default (100) silently caps a bot's concurrency; conversations mostly wait
#: on the service, so a larger pool costs little.
DEFAULT_MAX_CONNECTIONS = 500
#: Seconds for a whole attempt (connect, send, wait, read). Never unbounded.
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0


@attrs.frozen(slots=True)
class HttpResponse:
    """Status, headers and the whole body of one HTTP response."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """What the client needs from an HTTP implementation."""

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float | None,
    ) -> HttpResponse:
        """Send one request; raise :class:`~watson_async.TransportError` when no response."""
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
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"AiohttpTransport(max_connections={self._max_connections}, "
            f"timeout={self._timeout.total}, verify_ssl={self._verify_ssl})"
        )

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
        self._session = session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            trace_configs=self._trace_configs,
            auto_decompress=True,
        )
        self._loop = loop
        return session

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
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
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body,
                timeout=request_timeout,
                proxy=self._proxy,
                allow_redirects=False,
            ) as resp:
                data = await resp.read()
                return HttpResponse(resp.status, resp.reason or "", resp.headers, data)
        except aiohttp.ConnectionTimeoutError as exc:
            raise TransportError(
                f"timed out connecting ({exc})",
                method=method,
                url=url,
                request_sent=False,
                timeout=True,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(
                f"cannot connect: {exc.os_error or exc}",
                method=method,
                url=url,
                request_sent=False,
            ) from exc
        except (aiohttp.SocketTimeoutError, asyncio.TimeoutError) as exc:
            raise TransportError(
                "timed out waiting for the response",
                method=method,
                url=url,
                request_sent=True,
                timeout=True,
            ) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise TransportError(
                "server disconnected without a response",
                method=method,
                url=url,
                request_sent=True,
            ) from exc
        except aiohttp.ClientError as exc:
            raise TransportError(
                f"{type(exc).__name__}: {exc}", method=method, url=url, request_sent=True
            ) from exc

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _check_timeout(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds (never unbounded)")
