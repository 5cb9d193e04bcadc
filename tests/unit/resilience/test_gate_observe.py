"""The gate's observe fast path (a response repeating the known window and limit) learns
exactly what the full parse would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from watson_async.resilience.retry import RateLimitGate, _Family


def _headers(limit: str | None, remaining: str | None, reset: str | None) -> CIMultiDictProxy[str]:
    values = {"Date": "Thu, 03 Dec 2026 21:00:00 GMT"}
    for name, value in (("Limit", limit), ("Remaining", remaining), ("Reset", reset)):
        if value is not None:
            values[f"X-RateLimit-{name}"] = value
    return CIMultiDictProxy(CIMultiDict(values))


_RESPONSE = st.tuples(
    st.sampled_from([200, 200, 200, 429]),
    st.sampled_from(["100", "50", None]),
    st.sampled_from(["0", "7", "42", " 42", "99", "1e2", "x", "٤٢", None]),
    st.sampled_from(["1796331600", "1796331660", "1796331540", None]),
    st.booleans(),  # a request admitted before this response
)


def _learn(
    responses: list[tuple[int, str | None, str | None, str | None, bool]], *, fast: bool
) -> tuple[object, dict[str, int]]:
    gate = RateLimitGate(clock=lambda: 1000.0, rand=lambda: 0.0)
    for status, limit, remaining, reset, send in responses:
        if send:  # one more in flight, as acquire() admits it
            gate._admit(gate._families.setdefault("message", _Family()), 1000.0)
        if not fast:
            for family in gate._families.values():
                family.seen = None  # every response through the full parse
        gate.observe("message", status, _headers(limit, remaining, reset))
    return gate.state(), {name: family.in_flight for name, family in gate._families.items()}


@given(st.lists(_RESPONSE, max_size=12))
def test_fast_path_learns_what_the_full_parse_learns(responses: list) -> None:  # type: ignore[type-arg]
    assert _learn(responses, fast=True) == _learn(responses, fast=False)


def test_a_repeated_window_takes_the_lowest_count_and_a_new_limit() -> None:
    gate = RateLimitGate(clock=lambda: 1000.0)
    gate.observe("message", 200, _headers("100", "50", "1796331600"))
    gate.observe("message", 200, _headers("100", "60", "1796331600"))  # an older reply
    assert gate.state()["message"].remaining == 50
    gate.observe("message", 200, _headers("100", "40", "1796331600"))
    assert gate.state()["message"].remaining == 40
    gate.observe("message", 200, _headers("30", "45", "1796331600"))  # the limit changed
    assert (gate.state()["message"].limit, gate.state()["message"].remaining) == (30, 40)
