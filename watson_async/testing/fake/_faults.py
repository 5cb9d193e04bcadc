"""The fake's fault injection: enqueued faults for the next N matching requests
(errors, HTML pages, malformed JSON, disconnects, delays) and token-endpoint outages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiohttp import web

from watson_async.protocol import codec as _json

from ._state import HTML, JSON, TEXT, FakeState, phrase

__all__ = ["ERROR_FAULTS", "MALFORMED_JSON", "Fault", "FaultsMixin", "Outage", "encode_body"]

# What enqueue_malformed_json sends by default: a message response cut off mid-string.
MALFORMED_JSON = b'{"output": {"generic": [{"response_type": "text", "text": "Hel'


def encode_body(
    body: bytes | str | Mapping[str, Any] | list[Any],
) -> tuple[bytes, str]:
    """(raw bytes, content type) of a fault body: str/bytes as text, else JSON."""
    if isinstance(body, bytes):
        return body, TEXT
    if isinstance(body, str):
        return body.encode(), TEXT
    return _json.dumps(body), JSON


def _html_page(status: int) -> bytes:
    """A gateway's HTML error page (nginx style)."""
    title = f"{status} {phrase(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


@dataclass(slots=True)
class Fault:
    kind: str  # "error" | "disconnect" | "delay"
    method: str | None
    path_contains: str | None
    remaining: int
    status: int = 0
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] | None = None
    delay: float = 0.0
    after_processing: bool = False


@dataclass(slots=True)
class Outage:
    """An active token-endpoint outage (see :meth:`FakeAssistant.iam_outage`)."""

    status: int
    until: float | None
    remaining: int | None
    disconnect: bool
    body: bytes | None  # None: the endpoint's own error shape
    content_type: str | None
    headers: dict[str, str] | None


_OutageBody: TypeAlias = "bytes | str | Mapping[str, Any] | list[Any] | None"


class FaultsMixin(FakeState):
    """``enqueue_*`` faults and the IAM / CP4D outages."""

    def enqueue_error(
        self,
        status: int,
        *,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead.

        A mapping/list body is sent as JSON, str/bytes as ``text/plain`` (or as
        ``content_type``); with ``body=None`` a 4xx/5xx gets
        ``{"error": <reason>, "code": status}`` and other statuses an empty body.
        ``X-Global-Transaction-Id`` and ``Date`` are added unless ``headers`` sets them;
        rate-limit headers are not (pass them, and any ``Retry-After``, in ``headers``).

        Matching, the same for every ``enqueue_*`` method: ``method`` (any case; None:
        any) and ``path_contains`` (a substring of the request path, without the query;
        None: any) select the requests, v2 and token endpoints alike; ``times`` (>= 1)
        is how many of them the fault answers. Faults are tried in the order they were
        enqueued and a request consumes at most one (the first that matches), when it
        arrives (after ``latency``).

        By default the fault is decided *before* the request is processed: the request
        has no effect (no session created or deleted, no turn applied, no rate-limit
        count). With ``after_processing=True`` the request is processed normally first
        (a stateful turn counts, see :meth:`turns_received`) and its response is then
        replaced by the fault: the server did the work but the answer was lost.
        """
        raw: bytes
        kind: str | None
        if body is None:
            if status >= 400:
                raw = _json.dumps({"error": phrase(status), "code": status})
                kind = JSON
            else:
                raw, kind = b"", None
        else:
            raw, kind = encode_body(body)
        self._enqueue(
            Fault(
                "error",
                None,
                None,
                times,
                status=status,
                body=raw,
                content_type=content_type or kind,
                headers=dict(headers) if headers else None,
                after_processing=after_processing,
            ),
            method,
            path_contains,
        )

    def enqueue_html_error(
        self,
        status: int = 502,
        *,
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with a gateway's HTML error page
        (``Content-Type: text/html``): ``body``, or by default nginx's
        ``<html><head><title>502 Bad Gateway</title></head>...``. Matching and
        ``after_processing`` as in :meth:`enqueue_error`."""
        raw = _html_page(status) if body is None else body
        self.enqueue_error(
            status,
            body=raw,
            headers=headers,
            content_type=HTML,
            method=method,
            path_contains=path_contains,
            times=times,
            after_processing=after_processing,
        )

    def enqueue_malformed_json(
        self,
        *,
        status: int = 200,
        body: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (200 by default),
        ``Content-Type: application/json`` and a body that is not valid JSON: ``body``,
        or by default a message response cut off mid-string (:data:`MALFORMED_JSON`).
        Matching and ``after_processing`` as in :meth:`enqueue_error`."""
        self.enqueue_error(
            status,
            body=MALFORMED_JSON if body is None else body,
            headers=headers,
            content_type=JSON,
            method=method,
            path_contains=path_contains,
            times=times,
            after_processing=after_processing,
        )

    def enqueue_disconnect(
        self,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Close the connection of the next ``times`` matching requests unanswered
        (the client sees ``aiohttp.ServerDisconnectedError``). Matching and
        ``after_processing`` as in :meth:`enqueue_error`.

        Note that aiohttp's ``ClientSession`` (3.14) silently resends a request whose
        method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) once when the
        server disconnects or the connection fails (RFC 9112 section 9.3.1), whether
        or not the connection was reused: ``times=1`` on a GET or DELETE is then
        invisible to the caller (the resend succeeds, and with ``after_processing``
        the resend sees the first request's effect, e.g. 404 for a deleted session).
        Use ``times=2`` to make such a request fail; POST is never resent.
        """
        self._enqueue(
            Fault("disconnect", None, None, times, after_processing=after_processing),
            method,
            path_contains,
        )

    def enqueue_delay(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> None:
        """Delay the next ``times`` matching requests (through the injected ``sleep``)
        and then handle them normally: for client timeout tests. By default the delay
        comes before processing; with ``after_processing=True`` the request is
        processed first and only its response is delayed (a client that times out
        has still had its request applied). Matching as in :meth:`enqueue_error`."""
        self._enqueue(
            Fault("delay", None, None, times, delay=seconds, after_processing=after_processing),
            method,
            path_contains,
        )

    def _chance_fault(self, path: str) -> Fault | None:
        """With probability ``error_rate``, a v2 request's ``error_fault`` (else None)."""
        if not path.startswith(self._v2_prefix) or self._random.random() >= self.error_rate:
            return None
        ERROR_FAULTS[self.error_fault](self)  # the enqueue_* method builds it, last in line
        return self._faults.pop()

    def _enqueue(self, fault: Fault, method: str | None, path_contains: str | None) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        fault.method = method.upper() if method else None
        fault.path_contains = path_contains
        self._faults.append(fault)

    def clear_faults(self) -> None:
        """Drop pending enqueued faults (not outages: see :meth:`iam_recover`)."""
        self._faults.clear()

    def iam_outage(
        self,
        *,
        status: int = 500,
        until: float | None = None,
        times: int | None = None,
        body: _OutageBody = None,
        headers: Mapping[str, str] | None = None,
        disconnect: bool = False,
    ) -> None:
        """Make ``POST /identity/token`` fail until the outage ends.

        Each request (after latency and any enqueued fault, e.g. a delay) gets
        ``status`` with an IAM-style body (``{"errorCode": "BXNIM0001E",
        "errorMessage": ..., "context": {...}}``) or ``body`` (a mapping/list as JSON,
        str/bytes as ``text/plain``), plus ``headers``. ``disconnect=True`` (or
        ``status=0``) closes the connection unanswered instead.

        It ends at ``clock() >= until``, after ``times`` requests, whichever comes
        first, or (both None) at :meth:`iam_recover`. A new call replaces the current
        outage. The CP4D endpoint is unaffected.
        """
        self._outages["iam"] = self._new_outage(status, until, times, body, headers, disconnect)

    def iam_recover(self) -> None:
        """End any IAM outage now."""
        self._outages.pop("iam", None)

    @property
    def iam_outage_active(self) -> bool:
        """Whether the next IAM request would hit an outage."""
        return self._outage_active("iam")

    def cp4d_outage(
        self,
        *,
        status: int = 500,
        until: float | None = None,
        times: int | None = None,
        body: _OutageBody = None,
        headers: Mapping[str, str] | None = None,
        disconnect: bool = False,
    ) -> None:
        """Like :meth:`iam_outage`, for ``POST /v1/authorize``; the default body is
        CP4D-style ``{"_messageCode_": "<status>", "message": ..., "exception": ...}``.
        IAM is unaffected."""
        self._outages["cp4d"] = self._new_outage(status, until, times, body, headers, disconnect)

    def cp4d_recover(self) -> None:
        """End any CP4D outage now."""
        self._outages.pop("cp4d", None)

    @property
    def cp4d_outage_active(self) -> bool:
        """Whether the next CP4D authorize request would hit an outage."""
        return self._outage_active("cp4d")

    @staticmethod
    def _new_outage(
        status: int,
        until: float | None,
        times: int | None,
        body: _OutageBody,
        headers: Mapping[str, str] | None,
        disconnect: bool,
    ) -> Outage:
        if status == 0:
            disconnect = True
        elif not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status (100-599), or 0 to disconnect")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        raw, content_type = (None, None) if body is None else encode_body(body)
        return Outage(
            status,
            until,
            times,
            disconnect,
            raw,
            content_type,
            dict(headers) if headers else None,
        )

    def _outage_active(self, kind: str) -> bool:
        outage = self._outages.get(kind)
        if outage is None:
            return False
        if outage.until is not None and self._clock() >= outage.until:
            del self._outages[kind]
            return False
        return True

    def _take_outage(self, kind: str) -> Outage | None:
        """The active outage of ``kind`` for one request (counting it down), or None."""
        if not self._outage_active(kind):
            return None
        outage = self._outages[kind]
        if outage.remaining is not None:
            outage.remaining -= 1
            if outage.remaining <= 0:
                del self._outages[kind]
        return outage

    @property
    def pending_faults(self) -> int:
        return sum(f.remaining for f in self._faults)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if (fault.method is None or fault.method == method) and (
                fault.path_contains is None or fault.path_contains in path
            ):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[i]
                return fault
        return None

    def _fault_response(self, fault: Fault) -> web.Response:
        headers = self._std_headers(self._clock())
        if fault.headers:
            headers.update(fault.headers)
        if fault.content_type is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = fault.content_type
        return web.Response(status=fault.status, body=fault.body, headers=headers)

    async def _apply_fault(self, request: web.BaseRequest, fault: Fault) -> web.Response | None:
        """The fault's response, or None (after its delay) to answer normally."""
        if fault.kind == "disconnect":
            return self._disconnect(request)
        if fault.kind == "error":
            return self._fault_response(fault)
        await self._sleep(fault.delay)
        return None


#: The faults ``FakeAssistant(error_rate=...)`` answers a chosen request with, by
#: ``error_fault`` name, each as its ``enqueue_*`` method makes it.
ERROR_FAULTS: dict[str, Callable[[FaultsMixin], None]] = {
    "server-error": lambda fake: fake.enqueue_error(500),
    "unavailable": lambda fake: fake.enqueue_error(503),
    "rate-limit": lambda fake: fake.enqueue_error(429),
    "html-error": lambda fake: fake.enqueue_html_error(502),
    "malformed-json": lambda fake: fake.enqueue_malformed_json(),
    "disconnect": lambda fake: fake.enqueue_disconnect(),
}
