"""The fake's rate limiter: the endpoint families, their fixed windows and the
``X-RateLimit-*`` / ``Retry-After`` headers.
"""

from __future__ import annotations

import math

from watson_async.protocol.routes import ENDPOINTS

from ._state import FakeState

__all__ = [
    "RATE_LIMIT_FAMILIES",
    "RATE_LIMIT_TEXT",
    "TOKEN_FAMILIES",
    "UNLIMITED_RATE",
    "V2_FAMILIES",
    "RateLimitsMixin",
]

# X-RateLimit-Limit reported when the fake is not rate limited (rate_limit=None).
UNLIMITED_RATE = 1_000_000

#: The v2 endpoint families, one per row of the endpoint table (its ``family``): each
#: has its own rate-limit window and budget (environment-scoped and classic paths of an
#: endpoint share one family). Paths are under ``/instances/{instance}/v2``.
V2_FAMILIES = tuple(dict.fromkeys(row.family for row in ENDPOINTS))
#: The token endpoints: rate limited only when named in ``rate_limits``.
TOKEN_FAMILIES = ("iam", "cp4d")  # POST /identity/token, POST /v1/authorize
#: Every key ``rate_limits`` and :meth:`FakeAssistant.requests_in_window` accept.
RATE_LIMIT_FAMILIES = V2_FAMILIES + TOKEN_FAMILIES
RATE_LIMIT_TEXT = "Rate limit exceeded"


class RateLimitsMixin(FakeState):
    """Per-family fixed windows (see the ``FakeAssistant`` docstring)."""

    def requests_in_window(self, family: str) -> int:
        """How many requests of ``family`` (see :data:`RATE_LIMIT_FAMILIES`) the rate
        limiter counted in the current window per ``clock()``, 429s included."""
        if family not in RATE_LIMIT_FAMILIES:
            raise ValueError(f"unknown rate-limit family {family!r}")
        entry = self._windows.get(family)
        if entry is None or entry[0] != self._window_start(self._clock()):
            return 0
        return entry[1]

    def _window_start(self, now: float) -> float:
        window = self.rate_limit_window
        return math.floor(now / window) * window

    def _rate_check(self, family: str, now: float) -> tuple[dict[str, str], bool]:
        """Count one request of ``family`` in its window: (the rate-limit headers to
        send, whether it is over the limit). Token families not named in
        :attr:`rate_limits` are counted but neither limited nor given headers."""
        start = self._window_start(now)
        entry = self._windows.get(family)
        count = 1 if entry is None or entry[0] != start else entry[1] + 1
        self._windows[family] = (start, count)
        if family in self.rate_limits:
            limit = self.rate_limits[family]
        elif family in TOKEN_FAMILIES:
            return {}, False
        else:
            limit = self.rate_limit
        limited = limit is not None and count > limit
        end = start + self.rate_limit_window
        headers: dict[str, str] = {}
        if self.rate_limit_headers:
            shown = UNLIMITED_RATE if limit is None else limit
            headers["X-RateLimit-Limit"] = str(shown)
            headers["X-RateLimit-Remaining"] = str(max(shown - count, 0))
            headers["X-RateLimit-Reset"] = str(math.ceil(end + self.date_skew))
        if limited and self.retry_after_header:
            headers["Retry-After"] = str(max(1, math.ceil(end - now)))
        return headers, limited
