"""Load-test runs against the fake service on loopback: the report agrees with the fake."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from watson_async.loadtest import LoadTestConfig, load_test, read_script, run_load_test
from watson_async.loadtest._recorder import Snapshot
from watson_async.loadtest._runner import LoadTestRunner
from watson_async.testing import FakeAssistant


class VirtualTime:
    """A clock that moves only when something sleeps on it (shared by fake and client)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.25

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def creates(fake: FakeAssistant) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.path.endswith("/sessions"))


def by_endpoint(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["endpoint"]: r for r in data["routes"]}


async def test_closed_model_report_matches_the_fakes_counters(
    fake_assistant: FakeAssistant,
) -> None:
    config = LoadTestConfig(users=4, conversations=10, turns=3)
    report = await load_test(config, fake=fake_assistant)
    data = json.loads(report.to_json())
    fake = fake_assistant
    messages = fake.requests_to("/message", "POST")
    deletes = fake.requests_to("/sessions/", "DELETE")
    assert data["counts"] == {
        "sessions_created": creates(fake),
        "sessions_deleted": len(deletes),
        "messages": len(messages),
        "calls": len(fake.requests) - fake.token_requests,
        "requests": len(fake.requests) - fake.token_requests,
        "token_requests": fake.token_requests,
    }
    assert (creates(fake), len(messages), len(deletes)) == (10, 30, 10)
    assert fake.total_turns_processed == 30
    assert fake.token_requests == 1
    routes = by_endpoint(data)
    assert routes["message"]["attempts"] == routes["message"]["calls"] == 30
    assert routes["message"]["route"].endswith("/sessions/{session_id}/message")
    assert data["conversations"]["started"] == data["conversations"]["completed"] == 10
    assert not fake.sessions  # every session deleted
    assert data["total"]["errors"] == {"429": 0, "5xx": 0, "timeout": 0, "other": 0}
    assert data["total"]["latency_ms"]["end_to_end"]["count"] == 50
    assert data["total"]["latency_ms"]["attempt"]["p99"] > 0
    assert data["passed"] is True
    assert report.exit_code == 0
    assert data["open_model"] is None


async def test_closed_model_sends_the_script_and_honours_the_duration(
    fake_assistant: FakeAssistant, tmp_path: Path
) -> None:
    script = tmp_path / "turns.txt"
    script.write_text("# greeting\nhello\n\nmenu\n", encoding="utf-8")
    clock = VirtualTime()
    config = LoadTestConfig(users=2, duration=1.0, think_time=0.1, script=read_script(script))
    # Virtual time: each turn's think time moves the clock, so 5 turns per user fit.
    runner = LoadTestRunner(config, fake=fake_assistant, clock=clock.time, sleep=clock.sleep)
    report = await runner.run()
    texts = [r.json["input"]["text"] for r in fake_assistant.requests_to("/message", "POST")]
    assert texts
    assert set(texts) == {"hello", "menu"}
    assert texts.count("hello") == texts.count("menu")
    assert report.counts()["messages"] == len(texts)
    assert report.conversations.completed == report.conversations.started == creates(fake_assistant)


async def test_open_model_report_matches_the_fake_and_schedules_by_count(
    fake_assistant: FakeAssistant,
) -> None:
    clock = VirtualTime()
    config = LoadTestConfig(model="open", rate=20.0, duration=1.0, turns=1)
    runner = LoadTestRunner(config, fake=fake_assistant, clock=clock.time, sleep=clock.sleep)
    report = await runner.run()
    data = json.loads(report.to_json())
    assert data["open_model"]["scheduled"] == data["open_model"]["started"] == 20
    assert data["open_model"]["dropped"] == 0
    assert data["counts"]["sessions_created"] == creates(fake_assistant) == 20
    assert data["counts"]["messages"] == len(fake_assistant.requests_to("/message", "POST")) == 20
    assert data["counts"]["sessions_deleted"] == 20
    assert data["counts"]["token_requests"] == fake_assistant.token_requests == 1
    assert report.exit_code == 0


@pytest.mark.fake_assistant(latency=0.02)
async def test_open_model_latency_counts_from_the_scheduled_start(
    fake_assistant: FakeAssistant,
) -> None:
    # 6 conversations due within 5 ms, one slot, each ~40 ms: they queue for the slot.
    config = LoadTestConfig(
        model="open", rate=1000.0, conversations=6, turns=0, max_in_flight=1, max_backlog=10
    )
    report = await load_test(config, fake=fake_assistant)
    assert report.open_model is not None
    create = report.route("create_session")
    assert create is not None
    lag = report.open_model.start_lag
    assert report.open_model.late >= 4
    assert lag.max is not None
    assert lag.max > 150  # the last one waited for five others
    # The queueing is in the end-to-end latency of each conversation's first call ...
    assert create.call_latency.mean is not None
    assert lag.mean is not None
    assert create.attempt_latency.mean is not None
    assert create.call_latency.mean == pytest.approx(
        lag.mean + create.attempt_latency.mean, rel=0.05, abs=1.0
    )
    assert create.call_latency.max is not None
    assert create.call_latency.max > 150
    # ... not in the per-attempt latency, nor in later calls.
    assert create.attempt_latency.max is not None
    assert create.attempt_latency.max < 100
    delete = report.route("delete_session")
    assert delete is not None
    assert delete.call_latency.max is not None
    assert delete.call_latency.max < 100
    assert report.conversations.latency.max is not None
    assert report.conversations.latency.max > 150
    assert creates(fake_assistant) == 6
    assert report.exit_code == 0


@pytest.mark.fake_assistant(latency=0.02)
async def test_open_model_drops_arrivals_beyond_the_backlog(fake_assistant: FakeAssistant) -> None:
    config = LoadTestConfig(
        model="open", rate=1000.0, conversations=5, turns=0, max_in_flight=1, max_backlog=0
    )
    report = await load_test(config, fake=fake_assistant)
    assert report.open_model is not None
    assert report.open_model.scheduled == 5
    assert report.open_model.dropped == 4
    assert report.conversations.started == creates(fake_assistant) == 1
    assert report.exit_code == 1
    assert any("dropped" in reason for reason in report.failures)


async def test_rate_limited_fake_with_retries_has_no_errors_but_retries_and_waits() -> None:
    clock = VirtualTime()
    async with FakeAssistant(
        rate_limit=3,
        rate_limit_window=1.0,
        rate_limit_headers=False,  # the gate can't see the budget: the limit shows as 429s
        retry_after_header=True,
        clock=clock.time,
    ) as fake:
        config = LoadTestConfig(users=4, conversations=4, turns=2)
        # The client waits on the fake's virtual clock: retries take no real time.
        runner = LoadTestRunner(
            config, fake=fake, client_options={"clock": clock.time, "sleep": clock.sleep}
        )
        report = await runner.run()
        total = report.total
        assert total.failed == 0
        assert report.exit_code == 0
        assert fake.rate_limited_responses > 0
        assert total.attempt_errors["429"] == fake.rate_limited_responses
        assert total.retries >= fake.rate_limited_responses
        assert total.rate_limit_wait > 0
        assert total.attempts == total.calls + total.retries
        create = report.route("create_session")
        assert create is not None
        assert create.attempts == creates(fake)  # 429s included
        assert report.counts()["sessions_created"] == create.attempts - create.attempt_errors["429"]
        assert report.conversations.completed == 4


async def test_rate_limited_fake_without_retries_reports_the_429s_as_errors() -> None:
    clock = VirtualTime()  # never advanced: the window never resets
    async with FakeAssistant(rate_limit=2, rate_limit_window=60.0, clock=clock.time) as fake:
        config = LoadTestConfig(users=3, conversations=3, turns=2, retry=False)
        report = await load_test(config, fake=fake)
        data = json.loads(report.to_json())
        assert data["retry"] is False
        total = data["total"]
        assert total["errors"]["429"] == fake.rate_limited_responses == 3  # 1 create, 2 turns
        assert total["attempt_errors"]["429"] == 3
        assert total["retries"] == 0
        assert total["rate_limit_wait_s"] == 0
        assert (
            total["calls"]
            == total["attempts"]
            == creates(fake)
            + len(fake.requests_to("/message", "POST"))
            + len(fake.requests_to("/sessions/", "DELETE"))
        )
        assert data["exit_code"] == 1


async def test_fake_error_rate_injects_server_errors(fake_assistant: FakeAssistant) -> None:
    config = LoadTestConfig(
        users=2, conversations=10, turns=2, fake_error_rate=0.5, seed=7, max_error_rate=1.0
    )
    clock = VirtualTime()  # the retries' backoff of an idempotent delete takes no real time
    runner = LoadTestRunner(
        config, fake=fake_assistant, client_options={"clock": clock.time, "sleep": clock.sleep}
    )
    report = await runner.run()
    assert report.total.attempt_errors["5xx"] > 0
    assert report.total.errors["5xx"] > 0  # a stateful message is not retried after a 5xx
    assert report.exit_code == 0  # within --max-error-rate 1.0


@pytest.mark.fake_assistant(latency=0.5)
async def test_hard_time_limit_cancels_and_fails_the_run(fake_assistant: FakeAssistant) -> None:
    config = LoadTestConfig(users=2, conversations=2, time_limit=0.2)
    report = await load_test(config, fake=fake_assistant)
    assert report.time_limit_reached
    assert report.conversations.unfinished == 2
    assert report.total.failed == 0
    assert report.total.cancelled == 2
    assert report.exit_code == 1
    assert "hard time limit" in report.failures[0]


async def test_stop_finishes_conversations_in_flight(fake_assistant: FakeAssistant) -> None:
    class StopAfterFirstUpdate:
        def __init__(self) -> None:
            self.runner: LoadTestRunner | None = None
            self.snapshots: list[Snapshot] = []

        def update(self, snapshot: Snapshot, in_flight: int) -> None:
            self.snapshots.append(snapshot)
            # Once only: a second stop() cancels what is in flight, and on a loaded machine
            # the next update can come before the conversations in flight have finished.
            if self.runner is not None and snapshot.conversations_done:
                self.runner.stop()
                self.runner = None

        def close(self) -> None:
            pass

    progress = StopAfterFirstUpdate()
    config = LoadTestConfig(users=2, duration=30.0)
    runner = LoadTestRunner(config, fake=fake_assistant, progress=progress, progress_interval=0.01)
    progress.runner = runner
    report = await asyncio.wait_for(runner.run(), 10)
    assert report.interrupted
    assert report.exit_code == 130
    assert report.conversations.unfinished == 0
    assert not fake_assistant.sessions  # those in flight were finished and deleted
    assert progress.snapshots


async def test_run_load_test_points_to_load_test_inside_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match=r"await load_test\(config\)"):
        run_load_test(LoadTestConfig())
