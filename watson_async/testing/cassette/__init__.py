"""Record and replay at the transport seam: :class:`Cassette` and its :class:`RecordMode`.

A cassette wraps the client's (and a token authenticator's) transport: recording, it
sends through a real transport and keeps each exchange, scrubbed; replaying, it answers
from the file and nothing reaches the network. See ``docs/testing-your-assistant.md``.
"""

from ._cassette import Cassette, CassetteTransport, RecordMode
from ._format import (
    SCRUBBED,
    CassetteError,
    CassetteMismatchError,
    Scrubber,
    UnmatchedRequestError,
    redact_keys,
)

__all__ = [
    "SCRUBBED",
    "Cassette",
    "CassetteError",
    "CassetteMismatchError",
    "CassetteTransport",
    "RecordMode",
    "Scrubber",
    "UnmatchedRequestError",
    "redact_keys",
]
