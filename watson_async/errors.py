"""The exception hierarchy.

Every error raised by a client call derives from :class:`WatsonError`. Errors the
service answered with are :class:`ApiError` subclasses chosen by status code and carry
everything needed to debug them or to quote them to IBM support: status, message,
``code``, ``errors``, the ``X-Global-Transaction-Id``, response headers and the raw
body (JSON or not). Secrets never appear in an error: request headers are not kept.

``str(error)`` names the request by its URL with every ID as a placeholder
(``POST https://.../instances/{instance_id}/v2/assistants/{assistant_id}/.../message``),
so an error can be logged as the log lines are; the full URL, IDs included, is the
``url`` attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watson_async.protocol.routes import url_route

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "DeadlineExceededError",
    "IncompleteStreamError",
    "NotFoundError",
    "PermissionDeniedError",
    "PoolFullError",
    "RateLimitError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "ServerError",
    "SessionNotFoundError",
    "TransportError",
    "WatsonError",
]


class WatsonError(Exception):
    """Base class of every error raised by watson_async.

    When a call was retried, the error it finally raised also tells the story:
    ``attempts`` (how many were made), ``waited`` (seconds spent between them) and
    ``retry_history`` (a :class:`~watson_async.RetryEvent` per retry).
    """

    attempts: int = 1
    waited: float = 0.0
    retry_history: tuple[Any, ...] = ()


class TransportError(WatsonError):
    """The request got no HTTP response: connection refused or reset, DNS, TLS, timeout.

    ``request_sent`` is ``False`` when the failure happened before any byte of the
    request could have reached the service (connection not established), so repeating
    it is always safe; ``True`` when the service may have received and processed it.
    ``url`` is the full URL; ``str()`` shows only its :attr:`route`.
    """

    def __init__(
        self, message: str, *, method: str, url: str, request_sent: bool, timeout: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.request_sent = request_sent
        self.timeout = timeout

    @property
    def route(self) -> str:
        """The request's URL without its query, IDs replaced by ``{placeholders}``."""
        return url_route(self.url)

    def __str__(self) -> str:
        return f"{self.message} ({self.method} {self.route})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, method={self.method!r}, url={self.url!r}, "
            f"request_sent={self.request_sent!r}, timeout={self.timeout!r})"
        )


class ClientClosedError(WatsonError, RuntimeError):
    """The client (or its authenticator) was closed before this call could finish.

    Raised by calls made after :meth:`~watson_async.AssistantClient.aclose`, and by every
    call still pending when it runs: waiting on the rate-limit gate, between retries, for
    a token, or with its request in flight. Nothing more is sent for such a call. It is a
    ``RuntimeError`` too, as using a closed client always was.

    A :class:`~watson_async.conversation.Conversation` raises it too once its
    ``async with`` block has exited: for the turn that was in flight then, the turns
    queued behind it, and every later ``send``.
    """

    def __init__(self, message: str = "this client is closed; create a new one") -> None:
        super().__init__(message)
        self.message = message


class PoolFullError(WatsonError):
    """A :class:`~watson_async.conversation.ConversationPool` holds ``max_users`` users
    and every one has a request in progress, so a new user finds no place.

    Raised at once, before anything is sent: a web backend answers 503 and lets the
    client retry.
    """


class DeadlineExceededError(WatsonError, TimeoutError):
    """A call did not finish within the ``deadline`` of ``client.with_options(deadline=...)``.

    The deadline covers the whole call: the rate-limit gate's hold, every attempt and the
    waits between them (for a stream, until its response starts). When it passes, the
    call is abandoned (its request, if one is in flight, is cancelled) and this is raised
    instead; a stateful turn may or may not have reached the service. It is a
    ``TimeoutError`` too.
    """

    def __init__(self, deadline: float) -> None:
        super().__init__(f"the call did not finish within its deadline of {deadline:g} s")
        self.deadline = deadline


class ApiError(WatsonError):
    """The service answered with an error status (4xx/5xx).

    ``body`` is the response text as received (JSON, plain text or HTML), ``json`` its
    parsed form when it was JSON. ``message`` is the most specific text found:
    ``errors[0].message``, ``error``, ``message``, IAM's ``errorMessage``, else the
    HTTP reason phrase. ``method`` and ``url`` (the full URL, IDs included) name the
    request when there was one; ``str()`` shows only its :attr:`route`.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: int | str | None = None,
        errors: list[dict[str, Any]] | None = None,
        global_transaction_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: str = "",
        json: Any = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.errors = errors or []
        self.global_transaction_id = global_transaction_id
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.body = body
        self.json = json
        self.method = method
        self.url = url

    @property
    def route(self) -> str | None:
        """The request's URL without its query, IDs replaced by ``{placeholders}``."""
        return None if self.url is None else url_route(self.url)

    def __str__(self) -> str:
        where = f" on {self.method} {self.route}" if self.method else ""
        txid = (
            f" [X-Global-Transaction-Id: {self.global_transaction_id}]"
            if self.global_transaction_id
            else ""
        )
        return f"{self.status_code} {self.message}{where}{txid}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, message={self.message!r}, "
            f"code={self.code!r}, global_transaction_id={self.global_transaction_id!r})"
        )


class BadRequestError(ApiError):
    """400, 413 or 422: the service rejected the request as invalid."""


class AuthenticationError(ApiError):
    """401, or the token service (IAM, Cloud Pak for Data) refused to issue a token."""


class PermissionDeniedError(ApiError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(ApiError):
    """404: the assistant, environment or other resource does not exist."""


class SessionNotFoundError(NotFoundError):
    """404 ``Invalid Session``: the session expired or never existed; create a new one."""


class ConflictError(ApiError):
    """409: the request conflicts with the resource's current state."""


class RateLimitError(ApiError):
    """429: over the rate limit.

    ``retry_after`` is how many seconds to wait according to the response
    (``Retry-After``, else ``X-RateLimit-Reset`` against the response's ``Date``);
    ``reset_at`` the UNIX time the limit resets, when the service said so.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_at: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.reset_at = reset_at


class ServerError(ApiError):
    """5xx: the service failed."""


class ResponseParseError(WatsonError):
    """A successful response whose body is not what the method expects.

    Not JSON, JSON of another shape, a body that cannot be decoded (a corrupt
    ``Content-Encoding``), or a ``message_stream`` reply that is not
    ``text/event-stream``. ``body`` is the text received (at most ``max_response_bytes``;
    empty when nothing could be decoded). Never retried: the service answered, and
    asking again would most likely get the same answer.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str,
        headers: Mapping[str, str],
        global_transaction_id: str | None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers = headers
        self.global_transaction_id = global_transaction_id


class IncompleteStreamError(ResponseParseError):
    """A ``message_stream`` reply that ended without its final frame.

    The connection closed cleanly, but before the ``final_response`` frame (the whole
    reply) arrived; ``frames`` is how many frames came before the end. ``body`` is
    empty. A connection lost mid-stream is a :class:`TransportError` instead.
    """

    def __init__(
        self,
        message: str,
        *,
        frames: int,
        status_code: int,
        headers: Mapping[str, str],
        global_transaction_id: str | None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body="",
            headers=headers,
            global_transaction_id=global_transaction_id,
        )
        self.frames = frames


class ResponseTooLargeError(ResponseParseError):
    """A successful response bigger than the client agreed to read.

    A body read into memory over ``max_response_bytes``, or one event of a stream over
    ``max_event_bytes`` (see :class:`~watson_async.AssistantClient`). ``limit`` is that
    limit; ``size`` is the ``Content-Length`` the response announced, or how many bytes
    had arrived when reading stopped (more than ``limit``). ``body`` is empty: what was
    read is dropped (a token service's reply, for one, holds a token). The connection
    is closed; the error is never retried.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        size: int,
        status_code: int,
        headers: Mapping[str, str],
        global_transaction_id: str | None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body="",
            headers=headers,
            global_transaction_id=global_transaction_id,
        )
        self.limit = limit
        self.size = size
