"""gzip request bodies: the client's ``gzip_requests`` option and the decoding the fake does.

Pure functions over a :class:`Request` (or a body and its ``Content-Encoding``); no I/O.
The client compresses a request once per call, before its first attempt, so every send
of it (a retry, the replay after a 401) carries the same compressed bytes and the
compression is paid once.

What is compressed: a JSON body (every body but the release archive) of at least
``min_bytes``. Never compressed: a release archive (``create_release_import``: a zip,
already compressed, so gzip would cost CPU to save nothing) and a file or stream upload
(only the release import takes one), and any request whose own or per-call headers
already carry a ``Content-Encoding`` (the body is the caller's to encode then).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping

from watson_async.protocol.requests import Request

__all__ = [
    "CONTENT_ENCODING",
    "DEFAULT_GZIP_MIN_BYTES",
    "GZIP",
    "GZIP_LEVEL",
    "BodyEncodingError",
    "decode_body",
    "gzip_request",
    "gzip_threshold",
]

CONTENT_ENCODING = "Content-Encoding"
GZIP = "gzip"

#: Bodies smaller than this are sent as they are: below ~1 KB the gzip header and a
#: compressor's setup cost more than they save (benchmarks/gzip_body.py).
DEFAULT_GZIP_MIN_BYTES = 1024

#: zlib's level. On 1-10 MB JSON bodies level 1 takes 10-13x less CPU than the 9 IBM's
#: cores use (``gzip.compress``'s default) for output ~30% larger (ratio 3.1-4.3 against
#: 4.1-5.6), which makes it the level that saves the most time on any link faster than
#: ~15 Mbit/s (benchmarks/gzip_body.py, docs/performance.md "gzip request bodies").
GZIP_LEVEL = 1

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip member (header and trailer), not raw deflate


def gzip_threshold(enabled: object, min_bytes: object) -> int | None:
    """The smallest body to compress, or ``None`` with compression off.

    ``ValueError`` unless ``enabled`` is a bool and ``min_bytes`` a non-negative int.
    """
    if not isinstance(enabled, bool):
        raise ValueError(f"gzip_requests must be True or False, got {enabled!r}")
    if isinstance(min_bytes, bool) or not isinstance(min_bytes, int) or min_bytes < 0:
        raise ValueError(f"gzip_min_bytes must be a non-negative integer, got {min_bytes!r}")
    return min_bytes if enabled else None


def _has_encoding(headers: Mapping[str, str] | tuple[tuple[str, str], ...] | None) -> bool:
    if not headers:
        return False
    names = headers.keys() if isinstance(headers, Mapping) else (name for name, _ in headers)
    return any(name.lower() == "content-encoding" for name in names)


def gzip_request(
    request: Request, min_bytes: int, headers: Mapping[str, str] | None = None
) -> Request:
    """``request`` with its JSON body gzipped and ``Content-Encoding: gzip`` added, when
    the body is at least ``min_bytes``; otherwise ``request`` itself.

    ``headers`` are the call's own: a ``Content-Encoding`` among them (or the
    endpoint's) leaves the body alone, as does an endpoint's own ``Content-Type`` (the
    release archive) and a file or stream upload. The output has no timestamp
    (``mtime=0``), so the same body always compresses to the same bytes.
    """
    body = request.body
    if type(body) is not bytes or len(body) < min_bytes:
        return request
    own = request.headers
    if any(name == "Content-Type" for name, _ in own) or _has_encoding(own):
        return request
    if _has_encoding(headers):
        return request
    return request._replace(
        body=gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
        headers=(*own, (CONTENT_ENCODING, GZIP)),
    )


class BodyEncodingError(ValueError):
    """A request body that can't be decoded: ``status`` is the HTTP answer (400 for a
    malformed gzip body, 413 for one that inflates past the limit, 415 for an unknown
    coding)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def decode_body(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``body`` as sent before its ``Content-Encoding`` (``None``, ``identity`` or
    ``gzip``, any case), at most ``limit`` bytes once decoded.

    Raises :class:`BodyEncodingError` for a malformed or truncated gzip body, trailing
    bytes after it, a decoded body over ``limit`` (checked while inflating, so a small
    "gzip bomb" is never inflated whole) or another coding.
    """
    coding = (content_encoding or "identity").strip().lower()
    if coding == "identity":
        return body
    if coding != GZIP:
        raise BodyEncodingError(415, f"Unsupported Content-Encoding {content_encoding!r}")
    inflater = zlib.decompressobj(_GZIP_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyEncodingError(400, f"The request body is not valid gzip: {exc}") from None
    if len(data) > limit:
        raise BodyEncodingError(413, f"The decoded request body exceeds {limit} bytes")
    if not inflater.eof:
        raise BodyEncodingError(400, "The request body is not valid gzip: it is truncated")
    if inflater.unused_data:
        raise BodyEncodingError(400, "The request body has bytes after its gzip data")
    return data
