"""``watson-async loadtest --processes 2`` for real: two spawned worker processes against
the parent's fake (and a real redis-server), one merged report."""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from watson_async.cli.main import main
from watson_async.loadtest import LoadTestConfig
from watson_async.loadtest._fleet_runner import GRACE, FleetRunner, _Worker
from watson_async.loadtest._fleet_worker import WorkerSpec
from watson_async.loadtest._recorder import Snapshot
from watson_async.testing import FakeAssistant

FLEET = ["loadtest", "--processes", "2", "-u", "4", "-d", "1", "--turns", "2", "-q"]


def _run(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "fleet.json"
    code = main([*FLEET, *args, "--json", str(path)])
    data: dict[str, Any] = json.loads(path.read_text())
    return code, data


def test_two_processes_report_their_sum_and_the_fake_counts_their_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = _run(tmp_path, "--fake-rate-limit", "30", "--fake-rate-window", "1")
    assert code == 0
    fleet = data["fleet"]
    rows = fleet["per_process"]
    assert [r["share"] for r in rows] == [{"users": 2}, {"users": 2}]
    assert len({r["pid"] for r in rows}) == 2
    assert all(r["calls"] > 0 and r["exit_code"] == 0 for r in rows)
    assert data["total"]["calls"] == sum(r["calls"] for r in rows)
    assert data["counts"]["calls"] == data["total"]["calls"]
    # Unshared: each process asked IAM for its own token, and the fake saw both.
    assert fleet["sharing"] == "nothing"
    assert [r["token_requests"] for r in rows] == [1, 1]
    assert fleet["iam_calls"] == 2
    assert fleet["http_429"] == sum(r["attempt_429s"] for r in rows)
    assert fleet["goodput_vs_limit"] is None or 0 < fleet["goodput_vs_limit"] <= 1.01
    out = capsys.readouterr().out
    assert "Fleet: 2 processes" in out
    assert "PASSED" in out


def test_with_redis_the_processes_fetch_one_token_between_them(
    tmp_path: Path, redis_url: str
) -> None:
    code, data = _run(tmp_path, "--redis", redis_url)
    assert code == 0
    fleet = data["fleet"]
    assert fleet["sharing"] == "the token and the rate-limit gate through Redis"
    assert fleet["iam_calls"] == 1
    assert sum(r["token_requests"] for r in fleet["per_process"]) == 1
    assert data["total"]["calls"] == sum(r["calls"] for r in fleet["per_process"])


def test_an_unreachable_redis_is_a_warning_and_the_run_goes_on_unshared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, data = _run(tmp_path, "--redis", f"redis://127.0.0.1:{port}/0")
    assert code == 0
    assert data["fleet"]["sharing"] == "nothing (Redis unreachable)"
    assert data["fleet"]["iam_calls"] == 2
    assert "warning: Redis unreachable" in capsys.readouterr().err


class _Sink:
    def __init__(self) -> None:
        self.updates: list[tuple[Snapshot, int]] = []
        self.closed = False

    def update(self, snapshot: Snapshot, in_flight: int) -> None:
        self.updates.append((snapshot, in_flight))

    def close(self) -> None:
        self.closed = True


async def test_progress_shows_the_fleets_sums() -> None:
    sink = _Sink()
    config = LoadTestConfig(users=2, duration=1.5, turns=1)
    fleet = await FleetRunner(config, processes=2, progress=sink).run()
    assert fleet.exit_code == 0
    assert sink.closed
    last, _ = sink.updates[-1]
    assert 0 < last.calls <= fleet.report.total.calls
    assert max(s.calls for s, _ in sink.updates) > max(p.calls for p in fleet.processes) / 2


def test_a_worker_that_does_not_exit_is_terminated() -> None:
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=time.sleep, args=(60,), daemon=True)
    process.start()
    writer.close()
    runner = FleetRunner(LoadTestConfig(), processes=1)
    runner._abort = context.Event()
    spec = WorkerSpec(0, LoadTestConfig(), None, None, "ns", 1.0)
    worker = _Worker(spec, process, reader)
    started = time.monotonic()
    runner._reap([worker])
    assert not process.is_alive()
    assert runner._abort.is_set()
    assert worker.error == "killed after the grace period"
    assert time.monotonic() - started < GRACE


async def test_stop_is_passed_on_and_the_fleet_ends_early() -> None:
    config = LoadTestConfig(users=2, duration=60, turns=1)
    runner = FleetRunner(config, processes=2)

    class StopOnFirstCall(_Sink):
        def update(self, snapshot: Snapshot, in_flight: int) -> None:
            if snapshot.calls and not any(s.calls for s, _ in self.updates):
                runner.stop()  # what Ctrl-C does
            super().update(snapshot, in_flight)

    runner._progress = StopOnFirstCall()
    started = time.monotonic()
    fleet = await runner.run()
    assert time.monotonic() - started < 30
    assert fleet.report.interrupted
    assert fleet.exit_code == 130
    assert all(p.exit_code == 130 for p in fleet.processes)  # each finished and reported


@pytest.mark.parametrize("through_redis", [False, True])
async def test_a_real_target_is_reached_by_every_process(
    fake_assistant: FakeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    through_redis: bool,
) -> None:
    # The processes read the target the way IBM's SDKs do: from the environment.
    monkeypatch.setenv("ASSISTANT_URL", fake_assistant.service_url)
    monkeypatch.setenv("ASSISTANT_APIKEY", fake_assistant.apikey)
    monkeypatch.setenv("ASSISTANT_AUTH_URL", fake_assistant.iam_url)
    monkeypatch.delenv("IBM_CREDENTIALS_FILE", raising=False)
    config = LoadTestConfig(
        users=2,
        conversations=4,
        turns=1,
        target="real",
        assistant_id=fake_assistant.assistant_id,
        environment_id=fake_assistant.environment_id,
    )
    redis_url = request.getfixturevalue("redis_url") if through_redis else None
    fleet = await FleetRunner(config, processes=2, redis_url=redis_url).run()
    assert fleet.exit_code == 0
    assert fleet.iam_calls is None  # no fake of the fleet's own to count them
    assert [p.share for p in fleet.processes] == [
        {"users": 1, "conversations": 2},
        {"users": 1, "conversations": 2},
    ]
    assert fleet.report.counts()["sessions_created"] == 4
    # Through Redis, the two processes fetch one token between them.
    assert fake_assistant.iam_calls == (1 if through_redis else 2)
