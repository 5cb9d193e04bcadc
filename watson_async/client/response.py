"""``DetailedResponse``: a typed result together with its HTTP status and headers."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Generic, TypeVar

import attrs

from watson_async.protocol.wire import TRANSACTION_ID_HEADER, RateLimit, parse_rate_limit
from watson_async.transport import HttpResponse

__all__ = ["DetailedResponse"]

T = TypeVar("T")

# Set only while ``AssistantClient.with_response`` awaits one call. A context variable
# is task-local, so concurrent calls in other tasks can't mix their responses up.
capture: ContextVar[list[HttpResponse] | None] = ContextVar("watson_async_capture", default=None)


@attrs.frozen(slots=True)
class DetailedResponse(Generic[T]):
    """The result of one call plus the HTTP response it came from.

    Get one with ``await client.with_response(client.message, ...)``.
    """

    result: T
    status_code: int
    headers: Mapping[str, str] = attrs.field(repr=False)

    @property
    def global_transaction_id(self) -> str | None:
        """``X-Global-Transaction-Id``: quote it to IBM support."""
        return self.headers.get(TRANSACTION_ID_HEADER)

    @property
    def rate_limit(self) -> RateLimit | None:
        """The ``X-RateLimit-*`` headers, or ``None`` when the response had none."""
        return parse_rate_limit(self.headers)
