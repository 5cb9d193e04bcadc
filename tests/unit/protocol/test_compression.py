"""protocol.compression: which requests are gzipped, how, and how a body is decoded."""

from __future__ import annotations

import gzip
import io

import pytest

from watson_async.protocol import endpoints
from watson_async.protocol.compression import (
    DEFAULT_GZIP_MIN_BYTES,
    BodyEncodingError,
    decode_body,
    gzip_request,
    gzip_threshold,
)
from watson_async.protocol.requests import Request

SKILL = "7b1c4f9e-1d2a-4e3b-9c8d-5a6f7e8d9c0b"


def classify(n: int) -> Request:
    """A bulk_classify request with ``n`` utterances (about 30 bytes each)."""
    return endpoints.bulk_classify(SKILL, [{"text": f"utterance number {i}"} for i in range(n)])


def test_threshold_off_on_and_bad_values() -> None:
    assert gzip_threshold(False, 1024) is None
    assert gzip_threshold(True, 0) == 0
    assert gzip_threshold(True, DEFAULT_GZIP_MIN_BYTES) == 1024
    for enabled in ("yes", 1, None):
        with pytest.raises(ValueError, match="gzip_requests must be True or False"):
            gzip_threshold(enabled, 1024)
    for size in (-1, 1.5, True, "1024", None):
        with pytest.raises(ValueError, match="gzip_min_bytes must be a non-negative integer"):
            gzip_threshold(True, size)


def test_a_body_at_the_threshold_is_gzipped_with_its_header() -> None:
    request = classify(100)
    raw = request.body
    assert isinstance(raw, bytes)
    packed = gzip_request(request, len(raw))
    assert packed.headers == (*request.headers, ("Content-Encoding", "gzip"))
    assert isinstance(packed.body, bytes)
    assert len(packed.body) < len(raw)
    assert gzip.decompress(packed.body) == raw
    # Everything else is the request's own.
    assert (packed.endpoint, packed.method, packed.path, packed.query, packed.idempotent) == (
        request.endpoint,
        request.method,
        request.path,
        request.query,
        request.idempotent,
    )


def test_the_same_body_always_compresses_to_the_same_bytes() -> None:
    request = classify(100)
    assert gzip_request(request, 0).body == gzip_request(request, 0).body  # mtime=0


def test_a_body_below_the_threshold_and_a_request_without_body_are_left_alone() -> None:
    request = classify(100)
    assert isinstance(request.body, bytes)
    assert gzip_request(request, len(request.body) + 1) is request
    status = endpoints.import_skills_status("a")
    assert status.body is None
    assert gzip_request(status, 0) is status


def test_an_existing_content_encoding_leaves_the_body_to_the_caller() -> None:
    request = classify(100)
    for name in ("Content-Encoding", "content-encoding", "CONTENT-ENCODING"):
        assert gzip_request(request, 0, {name: "br"}) is request
    encoded = (("content-encoding", "br"),)
    own = Request("x", "POST", "/v2/x", True, body=b"{}" * 100, headers=encoded)
    assert gzip_request(own, 0) is own
    assert gzip_request(request, 0, {"X-Other": "1"}) is not request


def test_release_archives_and_uploads_are_never_gzipped() -> None:
    as_bytes = endpoints.create_release_import("a", b"PK\x03\x04" + bytes(5000), None)
    assert gzip_request(as_bytes, 0) is as_bytes  # a zip: already compressed
    as_file = endpoints.create_release_import("a", io.BytesIO(bytes(5000)), None)
    assert gzip_request(as_file, 0) is as_file  # a file or stream: sent as it is


def test_decode_identity_and_gzip_in_any_case() -> None:
    assert decode_body(b"{}", None, 10) == b"{}"
    assert decode_body(b"{}", " Identity ", 10) == b"{}"
    packed = gzip.compress(b'{"a":1}')
    assert decode_body(packed, "gzip", 100) == b'{"a":1}'
    assert decode_body(packed, "GZIP", 100) == b'{"a":1}'
    assert decode_body(packed, "gzip", 7) == b'{"a":1}'  # exactly the limit


@pytest.mark.parametrize(
    ("body", "coding", "status", "message"),
    [
        (b'{"plain": "json"}', "gzip", 400, "not valid gzip"),
        (gzip.compress(b"x" * 1000)[:-5], "gzip", 400, "truncated"),
        (gzip.compress(b"{}") + b"junk", "gzip", 400, "bytes after its gzip data"),
        (gzip.compress(b"{}"), "br", 415, "Unsupported Content-Encoding 'br'"),
        (gzip.compress(b"{}"), "gzip, gzip", 415, "Unsupported Content-Encoding"),
    ],
)
def test_undecodable_bodies(body: bytes, coding: str, status: int, message: str) -> None:
    with pytest.raises(BodyEncodingError, match=message) as info:
        decode_body(body, coding, 10_000)
    assert info.value.status == status
    assert isinstance(info.value, ValueError)


def test_a_body_inflating_past_the_limit_stops_at_the_limit() -> None:
    bomb = gzip.compress(bytes(20_000_000))  # ~20 KB on the wire, 20 MB inflated
    assert len(bomb) < 50_000
    with pytest.raises(BodyEncodingError, match="exceeds 1000 bytes") as info:
        decode_body(bomb, "gzip", 1000)
    assert info.value.status == 413
