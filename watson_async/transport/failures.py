"""How a request that got no usable response fails: typed errors, never aiohttp's
(their ``repr`` holds the request headers), and bounded reads of bodies.
"""

from __future__ import annotations

import asyncio
from typing import NoReturn

import aiohttp
from aiohttp import hdrs
from aiohttp.http_exceptions import ContentEncodingError

from watson_async.errors import (
    ResponseParseError,
    ResponseTooLargeError,
    TransportError,
    WatsonError,
)
from watson_async.protocol.wire import TRANSACTION_ID_HEADER


def check_byte_limit(name: str, value: int) -> None:
    """``ValueError`` unless ``value`` is a positive whole number of bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive number of bytes, got {value!r}")


async def read_body(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, decompressed, if it has at most ``limit`` bytes.

    Over the limit, a 2xx raises :class:`ResponseTooLargeError` and another status gets
    its first ``limit`` bytes; either way the connection is closed. A body that cannot
    be decoded raises :class:`ResponseParseError` for a 2xx and is empty otherwise.
    """
    try:
        length = resp.content_length
        if length is not None and hdrs.CONTENT_ENCODING not in resp.headers:
            if length <= limit:  # the usual case: one read, nothing counted
                return await resp.read()
            if resp.status < 300:
                resp.close()
                raise _too_large(resp, limit, length, f"Content-Length: {length}")
        parts: list[bytes] = []  # no length, or compressed: count as it arrives
        size = 0
        while chunk := await resp.content.readany():
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                resp.close()
                if resp.status < 300:
                    raise _too_large(resp, limit, size, f"{size} bytes so far")
                return b"".join(parts)[:limit]
        return b"".join(parts)
    except aiohttp.ClientPayloadError as exc:
        if not is_undecodable(exc):
            raise  # the connection failed mid-body: a transport error
    if resp.status < 300:
        raise_alone(undecodable_error(resp))
    return b""  # an error status says what happened; its body is lost


def _too_large(
    resp: aiohttp.ClientResponse, limit: int, size: int, seen: str
) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"a response body of more than max_response_bytes={limit} bytes ({seen})",
        limit=limit,
        size=size,
        status_code=resp.status,
        headers=resp.headers,
        global_transaction_id=resp.headers.get(TRANSACTION_ID_HEADER),
    )


def undecodable_error(resp: aiohttp.ClientResponse) -> ResponseParseError:
    encoding = resp.headers.get("Content-Encoding")
    return ResponseParseError(
        f"cannot decode the response body (Content-Encoding: {encoding})",
        status_code=resp.status,
        body="",
        headers=resp.headers,
        global_transaction_id=resp.headers.get(TRANSACTION_ID_HEADER),
    )


def is_undecodable(exc: BaseException) -> bool:
    """Whether aiohttp failed to decode the body (``Content-Encoding``), rather than to
    receive it."""
    return isinstance(exc, aiohttp.ClientPayloadError) and isinstance(
        exc.__cause__, ContentEncodingError
    )


def raise_alone(error: WatsonError) -> NoReturn:
    """Raise ``error`` with no exception chained to it.

    aiohttp's exceptions must be neither ``__cause__`` nor ``__context__`` of ours: their
    ``repr`` holds the request headers, credentials included. Callers raise outside their
    ``except`` block, and the context is cleared besides, because Python 3.10 can still
    count an exception aiohttp handled further down as being handled here.
    """
    try:
        raise error
    finally:
        error.__context__ = None


def check_timeout(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds (never unbounded)")


def transport_error(exc: BaseException, method: str, url: str) -> TransportError:
    """The :class:`TransportError` for an aiohttp failure (no HTTP response)."""
    message, request_sent, timeout = _describe(exc)
    return TransportError(
        message, method=method, url=url, request_sent=request_sent, timeout=timeout
    )


def _describe(exc: BaseException) -> tuple[str, bool, bool]:
    """What went wrong, whether the request had been sent, whether it was a timeout."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"timed out connecting ({exc})", False, True
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        # Its text holds the proxy URL, password included: name the status only.
        return f"the proxy refused the connection: HTTP {exc.status} {exc.message}", False, False
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error or exc}", False, False
    if isinstance(exc, (aiohttp.SocketTimeoutError, asyncio.TimeoutError)):
        return "timed out waiting for the response", True, True
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected without a response", True, False
    return f"{type(exc).__name__}: {exc}", True, False
