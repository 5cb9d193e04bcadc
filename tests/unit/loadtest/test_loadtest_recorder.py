"""The load-test recorder and report, fed with hand-made events (no network)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from watson_async.auth import RefreshEvent
from watson_async.errors import (
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
)
from watson_async.loadtest import LoadTestConfig, read_script
from watson_async.loadtest._recorder import Recorder, classify, schedule_lag
from watson_async.observe import AttemptEvent, CallEvent
from watson_async.resilience.retry import GateEvent, RetryEvent

MESSAGE = ("message", "POST", "/v2/assistants/{assistant_id}/sessions/{session_id}/message")
CREATE = ("create_session", "POST", "/v2/assistants/{assistant_id}/sessions")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def attempt(
    route: tuple[str, str, str] = MESSAGE,
    duration: float = 0.01,
    *,
    status: int | None = 200,
    error: BaseException | None = None,
    number: int = 1,
    pool_wait: float | None = 0.0,
) -> AttemptEvent:
    endpoint, method, template = route
    return AttemptEvent(
        endpoint=endpoint,
        method=method,
        route=template,
        attempt=number,
        status=status,
        error=error,
        started=0.0,
        duration=duration,
        gate_wait=0.0,
        pool_wait=pool_wait,
        request_bytes=20,
        response_bytes=100,
        transaction_id="tx",
    )


def call(
    route: tuple[str, str, str] = MESSAGE,
    duration: float = 0.01,
    *,
    status: int | None = 200,
    error: BaseException | None = None,
    attempts: int = 1,
    retry_wait: float = 0.0,
    gate_wait: float = 0.0,
) -> CallEvent:
    endpoint, method, template = route
    return CallEvent(
        endpoint=endpoint,
        method=method,
        route=template,
        attempts=attempts,
        status=status,
        error=error,
        started=0.0,
        duration=duration,
        retry_wait=retry_wait,
        gate_wait=gate_wait,
    )


def rate_limited() -> RateLimitError:
    return RateLimitError("Rate limit exceeded", status_code=429)


def server_error() -> ServerError:
    return ServerError("Service Unavailable", status_code=503)


def timed_out() -> TransportError:
    return TransportError("timed out", method="POST", url="u", request_sent=True, timeout=True)


def build(recorder: Recorder, **overrides: object) -> dict[str, object]:
    config = LoadTestConfig(**overrides)  # type: ignore[arg-type]
    report = recorder.report(config, duration=2.0, service_url="http://x", started_at="now")
    data: dict[str, object] = json.loads(report.to_json())
    return data


def test_classify_covers_every_error_class() -> None:
    assert classify(200, None) is None
    assert classify(429, None) == "429"
    assert classify(None, rate_limited()) == "429"
    assert classify(503, server_error()) == "5xx"
    assert classify(500, None) == "5xx"
    assert classify(None, timed_out()) == "timeout"
    refused = TransportError("refused", method="GET", url="u", request_sent=False)
    assert classify(None, refused) == "other"
    assert classify(404, NotFoundError("Not Found", status_code=404)) == "other"
    assert classify(None, asyncio.CancelledError()) == "cancelled"


def test_counts_and_errors_per_route_attempts_and_calls_separately() -> None:
    recorder = Recorder(clock=Clock())
    # Two 429s absorbed by retries, then success: one good call, three attempts.
    recorder(attempt(status=429, error=rate_limited()))
    recorder(attempt(status=429, error=rate_limited(), number=2))
    recorder(attempt(number=3))
    recorder(call(attempts=3))
    # Failed calls, one per class.
    for error, status in (
        (rate_limited(), 429),
        (server_error(), 503),
        (timed_out(), None),
        (NotFoundError("Invalid Session", status_code=404), 404),
    ):
        recorder(attempt(status=status, error=error))
        recorder(call(status=status, error=error))
    recorder(attempt(CREATE))
    recorder(call(CREATE))

    data = build(recorder)
    routes = {r["endpoint"]: r for r in data["routes"]}  # type: ignore[attr-defined]
    message = routes["message"]
    assert message["calls"] == 5
    assert message["ok"] == 1
    assert message["errors"] == {"429": 1, "5xx": 1, "timeout": 1, "other": 1}
    assert message["attempts"] == 7
    assert message["attempt_errors"] == {"429": 3, "5xx": 1, "timeout": 1, "other": 1}
    assert message["route"] == MESSAGE[2]
    assert message["request_bytes"] == 7 * 20
    assert routes["create_session"]["calls"] == routes["create_session"]["ok"] == 1
    total = data["total"]
    assert total["calls"] == 6  # type: ignore[index]
    assert total["attempts"] == 8  # type: ignore[index]
    assert data["counts"] == {
        "sessions_created": 1,
        "sessions_deleted": 0,
        "messages": 1,
        "calls": 6,
        "requests": 8,
        "token_requests": 0,
    }
    assert data["error_rate"] == pytest.approx(4 / 6)
    assert data["passed"] is False
    assert data["exit_code"] == 1
    assert "above the maximum" in data["failures"][0]  # type: ignore[index]
    # The same run passes a lenient threshold.
    assert build(recorder, max_error_rate=0.7)["exit_code"] == 0


def test_percentiles_of_known_distributions_per_attempt_and_end_to_end_apart() -> None:
    recorder = Recorder(clock=Clock())
    for ms in range(1, 1001):  # end to end: uniform 1..1000 ms
        recorder(attempt(duration=0.005))  # every attempt 5 ms
        recorder(call(duration=ms / 1000))
    report = recorder.report(LoadTestConfig(), duration=1.0, service_url="u", started_at="t")
    e2e = report.route("message").call_latency  # type: ignore[union-attr]
    per_attempt = report.route("message").attempt_latency  # type: ignore[union-attr]
    # HDR keeps 3 significant digits: values within 0.1%.
    for name, expected in (("p50", 500), ("p90", 900), ("p95", 950), ("p99", 990)):
        assert e2e[name] == pytest.approx(expected, rel=1e-3), name
    assert e2e["p99.9"] == pytest.approx(999, rel=1e-3)
    assert e2e.max == pytest.approx(1000, rel=1e-3)
    assert e2e.mean == pytest.approx(500.5, rel=1e-3)
    assert e2e.count == per_attempt.count == 1000
    assert per_attempt["p50"] == per_attempt["p99.9"] == pytest.approx(5, rel=1e-3)
    # A bimodal distribution: 99% at 2 ms, 1% at 800 ms.
    recorder = Recorder(clock=Clock())
    for i in range(1000):
        recorder(call(duration=0.8 if i % 100 == 0 else 0.002))
    summary = recorder.overall_call.summary()
    assert summary["p50"] == summary["p95"] == pytest.approx(2, rel=1e-3)
    assert summary["p99"] == pytest.approx(2, rel=1e-3)
    assert summary["p99.9"] == pytest.approx(800, rel=1e-3)


def test_retries_and_rate_limit_waits() -> None:
    recorder = Recorder(clock=Clock())
    recorder(attempt(status=429, error=rate_limited()))
    recorder(RetryEvent("message", 1, "rate_limited", 1.5, 0.0, rate_limited()))
    recorder(GateEvent("message", 0.7, "rate_limited"))
    recorder(attempt(status=503, error=server_error(), number=2))
    recorder(RetryEvent("message", 2, "status_503", 0.25, 1.5, server_error()))
    recorder(attempt(number=3))
    recorder(call(attempts=3, retry_wait=1.75, gate_wait=0.7, duration=3.0))
    route = build(recorder)["routes"][0]  # type: ignore[index]
    assert route["retries"] == 2
    assert route["retry_wait_s"] == pytest.approx(1.75)
    assert route["gate_holds"] == 1
    assert route["gate_wait_s"] == pytest.approx(0.7)
    # Gate waits plus the retry wait after the 429, not the one after the 503.
    assert route["rate_limit_wait_s"] == pytest.approx(2.2)
    assert route["errors"] == {"429": 0, "5xx": 0, "timeout": 0, "other": 0}
    assert route["attempt_errors"]["429"] == 1
    assert route["latency_ms"]["end_to_end"]["max"] == pytest.approx(3000, rel=1e-3)


def test_token_refreshes_are_counted_with_failures() -> None:
    recorder = Recorder(clock=Clock())
    recorder(RefreshEvent("IAMAuthenticator", "initial", True, 0.02, 0, expires_in=3600))
    recorder(RefreshEvent("IAMAuthenticator", "scheduled", False, 0.5, 1, error=OSError()))
    recorder(RefreshEvent("IAMAuthenticator", "scheduled", True, 0.03, 0))
    tokens = build(recorder)["token_refreshes"]
    assert tokens == {
        "requests": 3,
        "failures": 1,
        "by_reason": {"initial": 1, "scheduled": 2},
        "max_duration_s": 0.5,
    }


def test_schedule_lag_is_added_to_the_first_call_only() -> None:
    recorder = Recorder(clock=Clock())
    token = schedule_lag.set([0.5])
    try:
        recorder(call(CREATE, duration=0.01))
        recorder(call(duration=0.01))
    finally:
        schedule_lag.reset(token)
    report = recorder.report(LoadTestConfig(), duration=1.0, service_url="u", started_at="t")
    assert report.route("create_session").call_latency.max == pytest.approx(510, rel=1e-3)  # type: ignore[union-attr]
    assert report.route("message").call_latency.max == pytest.approx(10, rel=1e-3)  # type: ignore[union-attr]


def test_cancelled_calls_are_neither_errors_nor_latencies() -> None:
    recorder = Recorder(clock=Clock())
    recorder(attempt(status=None, error=asyncio.CancelledError()))
    recorder(call(status=None, error=asyncio.CancelledError()))
    route = build(recorder)["routes"][0]  # type: ignore[index]
    assert route["calls"] == route["attempts"] == 0
    assert route["cancelled"] == 1


def test_timeline_has_one_point_per_second_by_call_end() -> None:
    clock = Clock()
    recorder = Recorder(clock=clock)
    recorder.start()
    clock.now += 0.2
    recorder(attempt(status=429, error=rate_limited()))
    recorder(call(duration=0.004))
    clock.now += 2.0  # second 1 stays empty
    recorder(call(duration=0.008, status=503, error=server_error()))
    points = build(recorder)["timeline"]
    assert [p["t"] for p in points] == [0.0, 1.0, 2.0]  # type: ignore[index]
    first, empty, last = points  # type: ignore[misc]
    assert (first["calls"], first["errors"], first["attempt_429s"]) == (1, 0, 1)
    assert first["call_p99"] == pytest.approx(4, rel=1e-3)
    assert empty["calls"] == 0
    assert empty["call_p50"] is None
    assert (last["calls"], last["errors"]) == (1, 1)


def test_csv_has_a_row_per_route_and_a_total(tmp_path: Path) -> None:
    recorder = Recorder(clock=Clock())
    recorder(attempt(CREATE))
    recorder(call(CREATE))
    recorder(attempt())
    recorder(call())
    report = recorder.report(LoadTestConfig(), duration=1.0, service_url="u", started_at="t")
    report.write_csv(tmp_path / "r.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert [r["endpoint"] for r in rows] == ["create_session", "message", "all"]
    assert rows[-1]["calls"] == "2"
    assert float(rows[0]["e2e_p99_ms"]) == pytest.approx(10, rel=1e-3)
    assert {"errors_429", "attempt_errors_429", "retries", "rate_limit_wait_s"} <= set(rows[0])


def test_report_tables_render_with_rich() -> None:
    from rich.console import Console

    recorder = Recorder(clock=Clock())
    recorder(attempt(status=429, error=rate_limited()))
    recorder(attempt(number=2))
    recorder(call(attempts=2))
    report = recorder.report(LoadTestConfig(), duration=1.0, service_url="u", started_at="t")
    console = Console(file=io.StringIO(), width=140)
    report.print(console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "end-to-end" in text
    assert "attempt 429s" in text
    assert "PASSED" in text


def test_no_calls_fails_the_run() -> None:
    data = build(Recorder(clock=Clock()))
    assert data["failures"] == ["no call completed"]
    assert data["exit_code"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"users": 0}, "users must be at least 1"),
        ({"model": "open"}, "needs rate"),
        ({"rate": 5.0}, "open model only"),
        ({"model": "sideways"}, "model must be"),
        ({"duration": -1.0}, "duration must be greater than 0"),
        ({"duration": 10.0, "time_limit": 5.0}, "must not be shorter than duration"),
        ({"max_error_rate": 2.0}, "between 0 and 1"),
        ({"fake_error_rate": float("nan")}, "must be a number"),
        ({"script": ()}, "at least one utterance"),
        ({"script": "hello"}, "not one string"),
        ({"script": ("ok", "two\nlines")}, "utterance 2 contains"),
        ({"target": "real"}, "needs assistant_id"),
        ({"target": "real", "assistant_id": "a", "fake_latency": 0.1}, "fake_latency only"),
    ],
)
def test_config_rejects_bad_values_clearly(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoadTestConfig(**options)  # type: ignore[arg-type]


def test_config_defaults_and_bounds() -> None:
    config = LoadTestConfig()
    assert config.run_duration == 10.0
    assert config.hard_time_limit == 40.0
    only_count = LoadTestConfig(conversations=5)
    assert only_count.run_duration is None
    assert only_count.hard_time_limit == 600.0
    assert LoadTestConfig(turns=7, script=("a", "b", "c")).turn_texts() == (
        "a",
        "b",
        "c",
        "a",
        "b",
        "c",
        "a",
    )


def test_read_script_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    path.write_text("# a booking\nhello\n\n  book a trip  \n# done\nthanks\n", encoding="utf-8")
    assert read_script(path) == ("hello", "book a trip", "thanks")
    path.write_text("# nothing\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no utterances"):
        read_script(path)
    with pytest.raises(ValueError, match="cannot read the turn script"):
        read_script(tmp_path / "missing.txt")
