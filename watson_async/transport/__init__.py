"""Transport: the one place that talks to aiohttp.

A :class:`Transport` sends one fully built request and returns status, headers and
body. :class:`AiohttpTransport` owns one ``ClientSession`` and connector, created
lazily inside the running event loop; tests and advanced users may pass any object
with the same two methods.
"""

from __future__ import annotations

from watson_async.transport.aiohttp_transport import (
    AIOHTTP_VERSION,
    AiohttpTransport,
    SessionTransport,
)
from watson_async.transport.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    HttpResponse,
    RequestBody,
    StreamingResponse,
    Transport,
)
from watson_async.transport.failures import (
    check_byte_limit,
    raise_alone,
    transport_error,
)
from watson_async.transport.settings import ConnectionSettings, env_proxy

__all__ = [
    "AIOHTTP_VERSION",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "AiohttpTransport",
    "ConnectionSettings",
    "HttpResponse",
    "RequestBody",
    "SessionTransport",
    "StreamingResponse",
    "Transport",
    "check_byte_limit",
    "env_proxy",
    "raise_alone",
    "transport_error",
]
