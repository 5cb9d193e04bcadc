"""The protocol layer's client side: requests out, responses in, with no I/O.

Turns a built :class:`~watson_async.protocol.endpoints.Request` into what the transport sends
(URL with ``?version=``, the header set) and a response into what the caller gets (a
model, a typed error, the verdict on a streamed reply). Pure like ``_wire`` (which it
uses for errors): it imports neither aiohttp nor asyncio and reads no clock (``now``
is passed in). ``tests/unit/protocol/test_protocol.py`` tests it without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Protocol, TypeVar

from watson_async.errors import ApiError, ResponseParseError
from watson_async.models._convert import converter
from watson_async.models._deferred import deferral
from watson_async.protocol import codec as _json
from watson_async.protocol import wire as _wire
from watson_async.protocol.endpoints import Request, query_string

__all__ = [
    "EVENT_STREAM",
    "Response",
    "Service",
    "base_headers",
    "expects_event_stream",
    "is_event_stream",
    "keeps_open",
    "merge_headers",
    "not_event_stream",
    "parse",
]

T = TypeVar("T")

EVENT_STREAM = "text/event-stream"


class Response(Protocol):
    """What this layer reads of a response (``_http.HttpResponse`` has it)."""

    @property
    def status(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...


# --- requests -------------------------------------------------------------------


def base_headers(
    user_agent: str,
    *,
    learning_opt_out: bool = False,
    customer_id: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of every request: ``User-Agent``, ``Accept``, the opt-outs, ``extra``.

    ``customer_id`` must be non-empty without ``;``, tabs or newlines (``ValueError``).
    """
    headers = {"User-Agent": user_agent, "Accept": "application/json"}
    if learning_opt_out:
        headers["X-Watson-Learning-Opt-Out"] = "true"
    if customer_id is not None:
        if not customer_id or any(c in customer_id for c in "\r\n\t;"):
            raise ValueError("customer_id must be non-empty without ';', tabs or newlines")
        headers["X-Watson-Metadata"] = f"customer_id={customer_id}"
    headers.update(extra or {})
    return headers


class Service:
    """One service instance: where its requests go and what they all carry.

    ``url`` has no trailing slash; ``headers`` are :func:`base_headers`. The parts that
    don't change between calls (the ``?version=`` query, the header sets with and
    without a JSON body) are made once.
    """

    __slots__ = ("_headers", "_json_headers", "_version_query", "url", "version")

    def __init__(self, url: str, version: str, headers: Mapping[str, str]) -> None:
        self.url = url.rstrip("/")
        self.version = version
        self._version_query = query_string(version)
        self._headers = dict(headers)
        self._json_headers = {**headers, "Content-Type": "application/json"}

    def url_for(self, request: Request) -> str:
        """The full URL: service URL, path, ``?version=...`` and the request's query."""
        query = request.query
        return (
            self.url
            + request.path
            + "?"
            + (self._version_query if not query else query_string(self.version, query))
        )

    def target(self, request: Request) -> tuple[str, Mapping[str, str]]:
        """The URL and the headers of every send of ``request`` (before authorization).

        The base headers, ``Content-Type: application/json`` when there is a body, then
        the endpoint's own headers (an ``Accept``, a non-JSON ``Content-Type``). The
        mapping may be shared: :func:`merge_headers` copies it.
        """
        base = self._json_headers if request.body is not None else self._headers
        if request.headers:
            base = {**base, **dict(request.headers)}
        return self.url_for(request), base

    def error(
        self,
        request: Request,
        status: int,
        reason: str | None,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float,
    ) -> ApiError:
        """The typed error for an error response to ``request`` (``now``: UNIX time)."""
        return _wire.error_from_response(
            status,
            reason,
            headers,
            body,
            method=request.method,
            url=self.url + request.path,
            now=now,
        )


def merge_headers(
    base: Mapping[str, str], authorization: str | None, extra: Mapping[str, str] | None
) -> dict[str, str]:
    """The headers of one send: ``base``, then ``Authorization``, then the caller's."""
    headers = dict(base)
    if authorization is not None:
        headers["Authorization"] = authorization
    if extra:
        headers.update(extra)
    return headers


# --- responses --------------------------------------------------------------------


def parse(request: Request, response: Response, model: type[T]) -> T:
    """A 2xx body as ``model``, or :class:`ResponseParseError` saying why not.

    The parts of it whose models allow it are typed on first read (``models/_deferred.py``);
    one that doesn't fit raises the same error then, with that part's JSON as its
    ``body``: a reply kept unread holds its headers, not its whole body."""
    endpoint, status, headers = request.endpoint, response.status, response.headers
    part_error = partial(_part_error, endpoint, model, status, headers)
    previous, deferral.origin = deferral.origin, part_error  # deferring(), inline
    try:
        return converter.structure(_json.loads(response.body), model)
    except Exception as exc:
        body = response.body.decode("utf-8", errors="replace")
        raise _parse_error(endpoint, model, model, exc, status, headers, body) from exc
    finally:
        deferral.origin = previous


def _part_error(
    endpoint: str,
    model: type,
    status: int,
    headers: Mapping[str, str],
    part: type,
    exc: Exception,
    raw: Any,
) -> ResponseParseError:
    """A deferred part's origin (``models/_deferred.py``), its first four arguments bound
    with ``partial`` per reply: cheaper than a closure, and no reference to the body."""
    body = _json.dumps(raw).decode()
    return _parse_error(endpoint, model, part, exc, status, headers, body)


def _parse_error(
    endpoint: str,
    model: type,
    part: type,
    exc: Exception,
    status: int,
    headers: Mapping[str, str],
    body: str,
) -> ResponseParseError:
    return ResponseParseError(
        f"{endpoint}: cannot read the response as {model.__name__}"
        f"{'' if part is model else f' ({part.__name__})'}: {exc}",
        status_code=status,
        body=body,
        headers=headers,
        global_transaction_id=headers.get(_wire.TRANSACTION_ID_HEADER),
    )


def is_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether ``Content-Type`` is ``text/event-stream`` (any case, parameters allowed)."""
    media_type = (_wire.header(headers, "Content-Type") or "").partition(";")[0]
    return media_type.strip().lower() == EVENT_STREAM


def expects_event_stream(request: Request) -> bool:
    """Whether ``request`` asks for ``text/event-stream`` (``message_stream``)."""
    return ("Accept", EVENT_STREAM) in request.headers


def keeps_open(request: Request, status: int, headers: Mapping[str, str]) -> bool:
    """Whether a streamed response is kept open for its caller to read.

    Only a 2xx, and only an event stream when ``request`` asked for one. Anything
    else has (the start of) its body read to become an error.
    """
    return status < 300 and (not expects_event_stream(request) or is_event_stream(headers))


def not_event_stream(request: Request, response: Response) -> ResponseParseError:
    """The error for a 2xx reply to a stream request that is not an event stream."""
    return ResponseParseError(
        f"{request.endpoint}: expected a {EVENT_STREAM} reply, got "
        f"{response.headers.get('Content-Type') or 'no Content-Type'}",
        status_code=response.status,
        body=response.body.decode("utf-8", errors="replace"),
        headers=response.headers,
        global_transaction_id=response.headers.get(_wire.TRANSACTION_ID_HEADER),
    )
