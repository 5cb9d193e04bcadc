"""The cassette: record a client's exchanges through the transport seam, replay them.

``Cassette(path, mode)`` loads the file (if any); :meth:`Cassette.transport` gives a
:class:`~watson_async.transport.Transport` to hand to ``AssistantClient(transport=...)``
and to a token authenticator, so every request of both goes through it.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from watson_async._lifecycle import AsyncClosing
from watson_async.auth import Authenticator, NoAuthAuthenticator
from watson_async.client import AssistantClient
from watson_async.errors import ClientClosedError
from watson_async.transport import (
    AiohttpTransport,
    HttpResponse,
    RequestBody,
    StreamingResponse,
    Transport,
)

from ._format import (
    DEFAULT_IGNORED_KEYS,
    CassetteError,
    CassetteMismatchError,
    Exchange,
    Recorded,
    Scrubber,
    Target,
    UnmatchedRequestError,
    _canonical,
    dump,
    kept_headers,
    load,
    parse_body,
    same_service,
    scrub_chunk,
    scrub_reply,
    scrub_request,
    with_aliases,
)

__all__ = ["Cassette", "CassetteTransport", "RecordMode"]

_SUMMARY = 120
_SESSIONS = "/sessions"


class RecordMode(str, enum.Enum):
    """When a cassette sends requests for real and records them."""

    NONE = "none"
    """Replay only (the default): nothing reaches the network; no match is an error."""
    ONCE = "once"
    """Record when the file doesn't exist yet, else replay only."""
    NEW_EPISODES = "new_episodes"
    """Replay what matches; send and record the rest."""
    ALL = "all"
    """Send everything and record it again, replacing the file."""


class Cassette(AsyncClosing):
    """Recorded exchanges with the service (and its token endpoint) in a YAML file.

    Args:
        path: The cassette file.
        mode: A :class:`RecordMode` (or its value); ``none`` needs the file to exist.
        scrubbers: Functions applied to every request and reply body before it is
            written (and to live requests before matching), e.g. :func:`redact_keys`.
            ``Authorization``, cookies, the IAM API key, Cloud Pak for Data passwords and
            token replies are always scrubbed: request headers are never written.
        ignore_keys: Request body keys left out of matching, anywhere in the body (on
            top of ``timestamp``, ``transaction_id``, ``request_timestamp`` and a
            Segment batch's ``messageId`` and ``sentAt``).
        allow_repeats: Replay an exchange again once every match has been used (for
            requests sent any number of times, such as polling).

    Use ``async with Cassette(...) as cassette:``; leaving the block closes the
    transports it made and, unless the block raised, writes what it recorded
    (:meth:`save`).
    """

    def __init__(
        self,
        path: str | Path,
        mode: RecordMode | str = RecordMode.NONE,
        *,
        scrubbers: Sequence[Scrubber] = (),
        ignore_keys: Sequence[str] = (),
        allow_repeats: bool = False,
    ) -> None:
        try:
            self._mode = RecordMode(mode)
        except ValueError:
            choices = ", ".join(m.value for m in RecordMode)
            raise ValueError(f"mode must be one of {choices}, got {mode!r}") from None
        if callable(scrubbers) or any(not callable(s) for s in scrubbers):
            raise ValueError("scrubbers must be a list of callables taking a body and returning it")
        if isinstance(ignore_keys, str):
            raise ValueError(f"ignore_keys must be a list of keys, got {ignore_keys!r}")
        self._path = Path(path)
        self._scrubbers = tuple(scrubbers)
        self._ignored = DEFAULT_IGNORED_KEYS | frozenset(ignore_keys)
        self._allow_repeats = allow_repeats
        self._recorded: list[Exchange] = []
        self._service_url: str | None = None
        self._version: str | None = None
        exists = self._path.exists()
        if self._mode is RecordMode.NONE and not exists:
            raise CassetteError(
                f"cassette {self._path} does not exist; record it with mode 'once' "
                "(pytest --watson-record-mode=once, watson-async test --record)"
            )
        if exists and self._mode is not RecordMode.ALL:
            self._recorded, self._service_url, self._version = load(self._path)
        self._replaying = exists and self._mode is not RecordMode.ALL
        self._used = [0] * len(self._recorded)
        self._new: list[tuple[int, Exchange]] = []
        self._order = itertools.count()
        self._transports: list[CassetteTransport] = []
        # Session IDs as written: real ID -> ``session-N``, so that recording again changes
        # no line that only carries an ID. A replay hands out the written ones.
        self._aliases: dict[str, str] = {}
        self._loaded_sessions = sum(
            1 for e in self._recorded if e.method == "POST" and e.route.endswith(_SESSIONS)
        )

    def __repr__(self) -> str:
        return f"Cassette({str(self._path)!r}, mode={self._mode.value!r})"

    @property
    def path(self) -> Path:
        """The cassette file."""
        return self._path

    @property
    def mode(self) -> RecordMode:
        """The record mode."""
        return self._mode

    @property
    def records(self) -> bool:
        """Whether requests without a match are sent for real (and recorded)."""
        return self._mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            self._mode is RecordMode.ONCE and not self._replaying
        )

    @property
    def service_url(self) -> str | None:
        """The service URL the cassette was recorded against (None before any request)."""
        return self._service_url

    @property
    def version(self) -> str | None:
        """The API version it was recorded with (None before any request)."""
        return self._version

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange as the file will hold it: the loaded ones, then the new ones."""
        return self._recorded + [exchange for _, exchange in sorted(self._new, key=_first)]

    @property
    def played(self) -> int:
        """How many replies came from the file."""
        return sum(self._used)

    def transport(self, inner: Transport | None = None) -> CassetteTransport:
        """A transport answering from this cassette. ``inner`` sends what is recorded
        (default: an :class:`AiohttpTransport` made when first needed); the cassette
        closes it when it closes."""
        made = CassetteTransport(self, inner)
        self._transports.append(made)
        return made

    def client(
        self, version: str, authenticator: Authenticator | None = None, **options: Any
    ) -> AssistantClient:
        """An :class:`AssistantClient` sending through this cassette.

        Without an ``authenticator``: replaying, no credentials at all (nothing is sent)
        and the recorded service URL; recording, the ``ASSISTANT_*`` settings of
        :meth:`AssistantClient.from_env`. ``options`` go to the client.
        """
        options["transport"] = self.transport()
        if authenticator is not None:
            return AssistantClient(version, authenticator, **options)
        if self.records:
            return AssistantClient.from_env(version, **options)
        if self._service_url is not None:
            options.setdefault("service_url", self._service_url)
        return AssistantClient(version, NoAuthAuthenticator(), **options)

    def save(self) -> None:
        """Write the file: always when recording it whole (``all``, ``once`` without a
        file), for ``new_episodes`` when anything new was recorded."""
        if self._new or (self.records and self._mode is not RecordMode.NEW_EPISODES):
            dump(self._path, self.exchanges, self._service_url, self._version)

    async def aclose(self) -> None:
        """Close the transports this cassette made."""
        for made in self._transports:
            await made.aclose()

    async def _exit(self, exc: BaseException | None) -> None:
        await self.aclose()
        if exc is None:
            self.save()

    # --- used by the transports -----------------------------------------------------

    def _check_target(self, target: Target) -> None:
        """Note (recording) or check (replaying) the service URL and API version."""
        if not target.is_service:
            return
        if self._service_url is None:
            self._service_url, self._version = target.base, target.version
            return
        if not same_service(self._service_url, target.base):
            raise CassetteMismatchError(
                f"cassette {self._path} was recorded against {self._service_url}, "
                f"not {target.base}; record it again (mode 'all') to use this service"
            )
        if self._version != target.version:
            raise CassetteMismatchError(
                f"cassette {self._path} was recorded with API version {self._version}, "
                f"not {target.version}; record it again (mode 'all') for this version"
            )

    def _request_body(self, body: RequestBody, headers: Mapping[str, str]) -> Any:
        if body is None or isinstance(body, (bytes, bytearray)):
            return scrub_request(parse_body(bytes(body or b""), headers), self._scrubbers)
        return {"upload": "<not recorded>"}  # a file or stream: sent as is, not matched

    def _find(self, method: str, target: Target, body: Any) -> Recorded | None:
        """The first unused recorded reply for this request (the same path first, so each
        session's turns replay in its own order), or None."""
        if not self._replaying or (self.records and not target.is_service):
            # Recording, a recorded (scrubbed) token would only earn 401s: fetch a real one.
            return None
        self._check_target(target)
        matches = [
            i
            for i, e in enumerate(self._recorded)
            if e.matches(method, target, body, self._ignored)
        ]
        fresh = [i for i in matches if not self._used[i]]
        same_path = [i for i in fresh if self._recorded[i].path == target.path]
        chosen = (same_path or fresh or (matches[-1:] if self._allow_repeats else []))[:1]
        if not chosen:
            if self.records:
                return None
            raise UnmatchedRequestError(self._unmatched(method, target, body, bool(matches)))
        self._used[chosen[0]] += 1
        return self._recorded[chosen[0]].response

    def _unmatched(self, method: str, target: Target, body: Any, used_up: bool) -> str:
        said = _canonical(body)
        head = f"no recorded exchange in {self._path} for {method} {target.route}"
        if target.route != target.path:
            head += f" ({target.path})"
        if target.query:
            head += f" query {target.query}"
        head += f" with body {_clip(said)}"
        if used_up:
            return head + ": every recorded match has been replayed already"
        same = [e for e in self._recorded if (e.method, e.route) == (method, target.route)]
        if not same:
            return head + f": nothing recorded for {method} {target.route}"
        bodies = "; ".join(_clip(_canonical(e.body)) for e in same[:3])
        return head + f": {len(same)} recorded for this route, with bodies {bodies}"

    def _remember(
        self, order: int, method: str, target: Target, body: Any, reply: Recorded
    ) -> None:
        self._check_target(target)
        if target.route.endswith(_SESSIONS) and method == "POST" and isinstance(reply.body, dict):
            real = reply.body.get("session_id")
            if isinstance(real, str) and real not in self._aliases:
                self._aliases[real] = f"session-{len(self._aliases) + self._loaded_sessions + 1}"
        aliases = self._aliases
        exchange = Exchange(
            method,
            with_aliases(target.path, aliases),
            target.route,
            target.query,
            with_aliases(body, aliases),
            attrs.evolve(
                reply,
                body=with_aliases(reply.body, aliases),
                chunks=with_aliases(reply.chunks, aliases),
            ),
        )
        if not target.is_service and any(
            e.matches(method, target, body, self._ignored) for e in self.exchanges
        ):
            return  # a token request recorded already: one is enough to replay
        self._new.append((order, exchange))


def _first(item: tuple[int, Exchange]) -> int:
    return item[0]


def _clip(text: str) -> str:
    return text if len(text) <= _SUMMARY else text[: _SUMMARY - 3] + "..."


class CassetteTransport:
    """The transport of a :class:`Cassette` (from :meth:`Cassette.transport`)."""

    def __init__(self, cassette: Cassette, inner: Transport | None) -> None:
        self._cassette = cassette
        self._inner = inner
        self._closed = False

    def __repr__(self) -> str:
        return f"CassetteTransport({self._cassette!r})"

    def _look_up(
        self, method: str, url: str, headers: Mapping[str, str], body: RequestBody
    ) -> tuple[Target, Any, Recorded | None]:
        """The request's route, its body as matched, and the recorded reply to it."""
        if self._closed:  # as a closed AiohttpTransport: nothing answers any more
            raise ClientClosedError()
        target = Target.of(url)
        matched = self._cassette._request_body(body, headers)
        return target, matched, self._cassette._find(method, target, matched)

    def _forward(self) -> Transport:
        if self._inner is None:
            self._inner = AiohttpTransport()
        return self._inner

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> HttpResponse:
        """Answer from the cassette, or (recording) send through the inner transport."""
        cassette = self._cassette
        target, matched, found = self._look_up(method, url, headers, body)
        if found is not None:
            return HttpResponse(found.status, found.reason, _headers(found), found.body_bytes())
        order = next(cassette._order)
        response = await self._forward().send(method, url, headers, body, timeout)
        cassette._remember(
            order, method, target, matched, self._recorded(response, [response.body], False)
        )
        return response

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: RequestBody,
        timeout: float | None,
    ) -> AsyncIterator[StreamingResponse]:
        """Answer chunk by chunk as recorded, or (recording) keep each chunk passed on."""
        cassette = self._cassette
        target, matched, found = self._look_up(method, url, headers, body)
        if found is not None:
            yield _replayed_stream(found)
            return
        order = next(cassette._order)
        async with self._forward().stream(method, url, headers, body, timeout) as response:
            chunks: list[bytes] = []
            tee = _tee(response.chunks, chunks)
            try:
                yield StreamingResponse(
                    response.status,
                    response.reason,
                    response.headers,
                    tee,
                    _tee_read(response, chunks),
                )
            finally:
                await tee.aclose()
                reply = self._recorded(response, chunks, True)
                cassette._remember(order, method, target, matched, reply)

    def _recorded(
        self, response: HttpResponse | StreamingResponse, data: list[bytes], streamed: bool
    ) -> Recorded:
        headers = kept_headers(response.headers)
        scrubbers = self._cassette._scrubbers
        whole = b"".join(data)
        if streamed and "event-stream" in headers.get("Content-Type", ""):
            chunks = tuple(scrub_chunk(c.decode(errors="replace"), scrubbers) for c in data)
            return Recorded(response.status, response.reason, headers, chunks=chunks)
        body = scrub_reply(parse_body(whole, response.headers), scrubbers)
        return Recorded(response.status, response.reason, headers, body)

    async def aclose(self) -> None:
        """Close the inner transport, if one was made or given. Idempotent."""
        self._closed = True
        if self._inner is not None:
            await self._inner.aclose()


def _headers(found: Recorded) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(found.headers))


def _replayed_stream(found: Recorded) -> StreamingResponse:
    chunks = found.chunk_bytes()

    async def each() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    iterator = each()

    async def read() -> bytes:
        return b"".join([chunk async for chunk in iterator])

    return StreamingResponse(found.status, found.reason, _headers(found), iterator, read)


async def _tee(source: AsyncIterator[bytes], into: list[bytes]) -> AsyncGenerator[bytes, None]:
    async for chunk in source:
        into.append(chunk)
        yield chunk


def _tee_read(response: StreamingResponse, into: list[bytes]) -> Callable[[], Awaitable[bytes]]:
    async def read() -> bytes:
        data = await response.read()
        into.append(data)
        return data

    return read
