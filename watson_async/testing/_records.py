"""What the fake records about the traffic it saw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["RecordedAnalytics", "RecordedRequest", "RecordedUpload"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the fake received (v2 and IAM routes), in arrival order.

    ``json`` is the parsed body when it was valid JSON, else None. ``headers`` keeps
    the header names as the client sent them (look them up case-sensitively, or use
    :meth:`header`). ``body`` is decoded from its ``Content-Encoding`` (gzip);
    ``encoded_body`` is then the body as it came over the wire (else None).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any | None
    body: bytes
    encoded_body: bytes | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header value, looked up case-insensitively."""
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return default

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (IAM requests)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True, slots=True)
class RecordedAnalytics:
    """An ``analytics`` object a client sent (``event`` is ``create_session``,
    ``message`` or ``message_stateless``)."""

    event: str
    assistant_id: str
    session_id: str | None
    analytics: Any


@dataclass(frozen=True, slots=True)
class RecordedUpload:
    """A ``create_release_import`` archive the fake received: its ``size`` in bytes and
    ``sha256`` (hex digest), to check that an upload arrived intact."""

    assistant_id: str
    size: int
    sha256: str
    content_type: str
