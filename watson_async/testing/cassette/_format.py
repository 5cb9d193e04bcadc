"""Cassette files, pure: what one exchange holds, how it is scrubbed, matched, loaded and
written (no I/O but the file itself, no event loop).

A cassette is YAML: a header (format, service URL, API version) and the exchanges in the
order they were sent. Bodies are parsed JSON when they are JSON, so a review diff shows
the fields that changed; a streamed reply keeps its chunks as they arrived.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs

if TYPE_CHECKING:
    import yaml

from watson_async.protocol.compression import BodyEncodingError, decode_body
from watson_async.protocol.routes import ENDPOINTS

__all__ = [
    "FORMAT",
    "SCRUBBED",
    "CassetteError",
    "CassetteMismatchError",
    "Exchange",
    "Recorded",
    "Scrubber",
    "Target",
    "UnmatchedRequestError",
    "dump",
    "header",
    "load",
    "redact_keys",
    "scrub_chunk",
    "with_aliases",
]

FORMAT = 1
#: What a scrubbed value is written as.
SCRUBBED = "<scrubbed>"
_V2 = "/v2/"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
#: Request body keys that carry a credential (IAM form, Cloud Pak for Data, OAuth).
_SECRET_KEYS = frozenset(
    {"apikey", "api_key", "password", "client_secret", "refresh_token", "access_token"}
)
#: Reply keys holding a token: IAM's, and Cloud Pak for Data's ``token`` (a JWT whose
#: lifetime the authenticator reads from its claims, so a claims-only JWT replaces it).
_TOKEN_KEYS = frozenset({"access_token", "refresh_token", "delegated_refresh_token"})
#: Reply headers worth keeping: the rest (``Date``, transaction IDs, rate-limit reset
#: times, cookies, lengths the replay recomputes) change every run or must never be written.
_KEPT_HEADERS = ("content-type", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining")
#: Request body keys ignored when matching: they change every run (the last three are
#: a Segment batch's).
DEFAULT_IGNORED_KEYS = frozenset(
    {"timestamp", "transaction_id", "request_timestamp", "messageId", "sentAt"}
)
_LIMIT = 64 * 1024 * 1024

Scrubber = Callable[[Any], Any]
"""Takes a request or reply body (parsed JSON, or text) and returns it with PII removed."""


class CassetteError(Exception):
    """A cassette cannot answer: missing file, unreadable file, or a mismatch."""


class UnmatchedRequestError(CassetteError):
    """A replayed request has no recorded exchange (the message names the request)."""


class CassetteMismatchError(CassetteError):
    """The cassette was recorded against another service URL or API version."""


@attrs.frozen(slots=True)
class Target:
    """Where a request goes: the service base and its route, or another URL (IAM, CP4D)."""

    base: str
    """The service URL (before ``/v2/``), or the scheme and host of another endpoint."""
    path: str
    """The path from ``/v2/`` (or the whole path of another endpoint)."""
    route: str
    """The endpoint table's template for :attr:`path`, else :attr:`path` itself."""
    version: str | None
    query: dict[str, str]
    """The query without ``version``."""

    @classmethod
    def of(cls, url: str) -> Target:
        """Split a request URL."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        version = query.pop("version", None)
        origin = f"{parts.scheme}://{parts.netloc}"
        at = parts.path.find(_V2)
        if at < 0:
            return cls(origin, parts.path, parts.path, version, query)
        path = parts.path[at:]
        return cls(origin + parts.path[:at], path, route_of(path), version, query)

    @property
    def is_service(self) -> bool:
        """Whether this is a v2 API request (not a token service's)."""
        return self.path.startswith(_V2)


def _compile() -> list[tuple[str, re.Pattern[str]]]:
    templates: dict[str, None] = {}
    for row in ENDPOINTS:
        templates[row.path] = None
        if row.classic_path is not None:
            templates[row.classic_path] = None
    return [
        (t, re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(t)) + "$"))
        for t in templates
    ]


_TEMPLATES = _compile()


def route_of(path: str) -> str:
    """The endpoint table's template of a v2 path, else the path itself."""
    found = [template for template, pattern in _TEMPLATES if pattern.match(path)]
    # The most literal template wins (``.../sessions`` over an ID in that place).
    return min(found, key=lambda template: template.count("{")) if found else path


def same_service(recorded: str, live: str) -> bool:
    """Whether two service URLs name the same service. A loopback URL's port is ignored:
    a fake listens on a fresh port every run."""
    if recorded == live:
        return True
    a, b = urlsplit(recorded), urlsplit(live)
    return (
        a.hostname in _LOOPBACK
        and b.hostname in _LOOPBACK
        and (a.scheme, a.path) == (b.scheme, b.path)
    )


@attrs.frozen(slots=True)
class Recorded:
    """A recorded reply: whole, or the chunks of a streamed one as they arrived."""

    status: int
    reason: str
    headers: dict[str, str]
    body: Any = None
    """Parsed JSON, text, ``{"base64": ...}`` for binary, or None when empty."""
    chunks: tuple[str, ...] | None = None

    def body_bytes(self) -> bytes:
        """The whole body as the client receives it."""
        if self.chunks is not None:
            return "".join(self.chunks).encode()
        return _encode(self.body, self.headers.get("Content-Type", ""))

    def chunk_bytes(self) -> list[bytes]:
        """The body chunk by chunk (one chunk for a reply recorded whole)."""
        if self.chunks is not None:
            return [chunk.encode() for chunk in self.chunks]
        data = self.body_bytes()
        return [data] if data else []


@attrs.frozen(slots=True)
class Exchange:
    """One request (as matched) and its reply."""

    method: str
    path: str
    route: str
    query: dict[str, str]
    body: Any
    """The normalised, scrubbed request body (parsed JSON or form, text, or None)."""
    response: Recorded

    def matches(self, method: str, target: Target, body: Any, ignored: frozenset[str]) -> bool:
        """Whether a request is this one: method, route, query (``version`` aside) and
        body equal, ``ignored`` keys left out of the body; a scrubbed value matches any
        value (the replay needs no scrubbers)."""
        return (
            self.method == method
            and self.route == target.route
            and self.query == target.query
            and _same(_drop(self.body, ignored), _drop(body, ignored))
        )


def _same(recorded: Any, live: Any) -> bool:
    if recorded == SCRUBBED:
        return True
    if isinstance(recorded, dict) and isinstance(live, dict):
        return recorded.keys() == live.keys() and all(
            _same(value, live[key]) for key, value in recorded.items()
        )
    if isinstance(recorded, list) and isinstance(live, list):
        return len(recorded) == len(live) and all(map(_same, recorded, live))
    return bool(recorded == live)


# --- scrubbing ----------------------------------------------------------------------


def redact_keys(*names: str) -> Scrubber:
    """A scrubber replacing the value of every key named ``names`` (at any depth)."""
    wanted = frozenset(names)

    def scrub(body: Any) -> Any:
        return _replace_keys(body, wanted, lambda _key, _value: SCRUBBED)

    return scrub


def _replace_keys(body: Any, keys: frozenset[str], new: Callable[[str, Any], Any]) -> Any:
    if isinstance(body, dict):
        return {k: new(k, v) if k in keys else _replace_keys(v, keys, new) for k, v in body.items()}
    if isinstance(body, list):
        return [_replace_keys(item, keys, new) for item in body]
    return body


def _drop(body: Any, keys: frozenset[str]) -> Any:
    if isinstance(body, dict):
        return {k: _drop(v, keys) for k, v in body.items() if k not in keys}
    if isinstance(body, list):
        return [_drop(item, keys) for item in body]
    return body


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _claims_only_jwt(token: str) -> str:
    """A JWT with only the ``iat`` and ``exp`` claims of ``token`` (unsigned), or the
    scrubbed marker when ``token`` isn't a JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return SCRUBBED
    kept = {k: claims[k] for k in ("iat", "exp") if k in claims}

    def part(obj: Any) -> str:
        return base64.urlsafe_b64encode(_canonical(obj).encode()).rstrip(b"=").decode()

    # The signature is a word a JWT parser accepts as base64url: nothing was signed.
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(kept)}.scrubbed"


def scrub_request(body: Any, scrubbers: Sequence[Scrubber]) -> Any:
    """A request body without credentials, then through the user's scrubbers."""
    body = _replace_keys(body, _SECRET_KEYS, lambda _key, _value: SCRUBBED)
    for scrubber in scrubbers:
        body = scrubber(body)
    return body


def scrub_reply(body: Any, scrubbers: Sequence[Scrubber]) -> Any:
    """A reply body without tokens, then through the user's scrubbers."""

    def token(key: str, value: Any) -> Any:
        return _claims_only_jwt(value) if isinstance(value, str) else SCRUBBED

    body = _replace_keys(body, _TOKEN_KEYS, lambda _key, _value: SCRUBBED)
    if isinstance(body, dict) and isinstance(body.get("token"), str):
        body = _replace_keys(body, frozenset({"token"}), token)
    for scrubber in scrubbers:
        body = scrubber(body)
    return body


def scrub_chunk(text: str, scrubbers: Sequence[Scrubber]) -> str:
    """One chunk of an event stream with each whole ``data:`` line's JSON scrubbed (a
    line the chunk splits goes to the user's scrubbers as text)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.startswith("data:"):
            continue
        try:
            data = json.loads(line[5:])
        except ValueError:
            lines[i] = _scrub_text(line, scrubbers)
            continue
        scrubbed = scrub_reply(data, scrubbers)
        if scrubbed != data:
            lines[i] = "data: " + json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
    return "\n".join(lines)


def _scrub_text(text: str, scrubbers: Sequence[Scrubber]) -> str:
    for scrubber in scrubbers:
        scrubbed = scrubber(text)
        text = scrubbed if isinstance(scrubbed, str) else text
    return text


def with_aliases(value: Any, aliases: Mapping[str, str]) -> Any:
    """``value`` with every real ID in ``aliases`` replaced by its alias (in strings,
    paths and chunks too)."""
    if not aliases:
        return value
    if isinstance(value, str):
        for real, alias in aliases.items():
            value = value.replace(real, alias)
        return value
    if isinstance(value, dict):
        return {key: with_aliases(item, aliases) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(with_aliases(item, aliases) for item in value)
    return value


# --- bodies ---------------------------------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return ""


def parse_body(data: bytes, headers: Mapping[str, str]) -> Any:
    """A body as written to a cassette: JSON parsed, a form as a dict, text, base64."""
    coding = header(headers, "content-encoding")
    if coding and data:
        with contextlib.suppress(BodyEncodingError):  # kept as sent
            data = decode_body(data, coding, _LIMIT)
    if not data:
        return None
    kind = header(headers, "content-type")
    if "json" in kind or not kind:
        try:
            return json.loads(data)
        except ValueError:
            pass
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
    if "x-www-form-urlencoded" in kind:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


def _encode(body: Any, kind: str) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict) and "x-www-form-urlencoded" in kind:
        return urlencode(body).encode()
    if isinstance(body, dict) and set(body) == {"base64"} and "json" not in kind:
        return base64.b64decode(body["base64"])
    return json.dumps(body, ensure_ascii=False).encode()


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The reply headers a cassette keeps (see ``_KEPT_HEADERS``)."""
    kept = {
        str(key): str(value)  # aiohttp's keys are ``istr``, which YAML can't write
        for key, value in headers.items()
        if key.lower() in _KEPT_HEADERS
    }
    return dict(sorted(kept.items()))


# --- files ----------------------------------------------------------------------------


def _yaml() -> Any:
    """PyYAML, or a :class:`CassetteError` saying which extra brings it."""
    try:
        import yaml
    except ImportError:
        raise CassetteError(
            "cassette files need PyYAML: pip install 'watson-async[testing]'"
        ) from None
    return yaml


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    """A YAML dumper writing multi-line strings (SSE chunks, long texts) as literal
    blocks. Made on first use: PyYAML is imported only when a cassette is read or
    written, so the pytest plugin loads without the ``testing`` extra."""
    import yaml

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None  # the emitter falls back when it can't
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, text)
    return Dumper


def dump(
    path: Path, exchanges: Iterable[Exchange], service_url: str | None, version: str | None
) -> None:
    """Write a cassette file (parent folders made as needed)."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "service_url": service_url,
        "version": version,
        "interactions": [_exchange_dict(e) for e in exchanges],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = _yaml()

    text = yaml.dump(document, Dumper=_dumper(), sort_keys=True, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")


def _exchange_dict(exchange: Exchange) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": exchange.method,
        "path": exchange.path,
        "route": exchange.route,
    }
    if exchange.query:
        request["query"] = exchange.query
    if exchange.body is not None:
        request["body"] = exchange.body
    reply = exchange.response
    response: dict[str, Any] = {"status": reply.status, "reason": reply.reason}
    if reply.headers:
        response["headers"] = reply.headers
    if reply.chunks is not None:
        response["chunks"] = list(reply.chunks)
    elif reply.body is not None:
        response["body"] = reply.body
    return {"request": request, "response": response}


def load(path: Path) -> tuple[list[Exchange], str | None, str | None]:
    """Read a cassette file: its exchanges, service URL and API version."""
    yaml = _yaml()

    try:
        # libyaml's loader when PyYAML has it: about ten times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise CassetteError(f"cassette {path} is not valid YAML: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CassetteError(f"cassette {path} is not a format {FORMAT} watson_async cassette")
    try:
        exchanges = [_exchange(item) for item in document.get("interactions") or ()]
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"cassette {path} has a malformed interaction: {exc!r}") from None
    return exchanges, document.get("service_url"), document.get("version")


def _exchange(item: Mapping[str, Any]) -> Exchange:
    request, response = item["request"], item["response"]
    chunks = response.get("chunks")
    return Exchange(
        method=str(request["method"]),
        path=str(request["path"]),
        route=str(request.get("route", request["path"])),
        query={str(k): str(v) for k, v in (request.get("query") or {}).items()},
        body=request.get("body"),
        response=Recorded(
            status=int(response["status"]),
            reason=str(response.get("reason", "")),
            headers={str(k): str(v) for k, v in (response.get("headers") or {}).items()},
            body=response.get("body"),
            chunks=None if chunks is None else tuple(str(c) for c in chunks),
        ),
    )
