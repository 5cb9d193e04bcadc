"""A load-test fleet without processes: splitting the totals, merging the workers'
recorders (exactly, through pickling), summing progress, and the CLI's checks."""

from __future__ import annotations

import json
import pickle
import re

import pytest
from test_loadtest_recorder import CREATE, Clock, attempt, call, rate_limited

from watson_async.auth import RefreshEvent
from watson_async.cli.main import main
from watson_async.loadtest import LoadTestConfig
from watson_async.loadtest._fleet import split
from watson_async.loadtest._fleet_runner import _sum_snapshots
from watson_async.loadtest._fleet_worker import WorkerSpec
from watson_async.loadtest._recorder import Recorder


def test_totals_are_split_evenly_and_the_rest_applies_to_each_process() -> None:
    config = LoadTestConfig(users=10, conversations=7, duration=5, think_time=0.5)
    parts = split(config, 3)
    assert [p.users for p in parts] == [4, 3, 3]
    assert [p.conversations for p in parts] == [3, 2, 2]
    assert {(p.duration, p.think_time) for p in parts} == {(5, 0.5)}
    assert split(config, 1) == (config,)


def test_the_open_model_splits_its_rate_and_slots() -> None:
    config = LoadTestConfig(model="open", rate=9, max_in_flight=5, max_backlog=1)
    parts = split(config, 2)
    assert [p.rate for p in parts] == [4.5, 4.5]
    assert [p.max_in_flight for p in parts] == [3, 2]
    assert [p.max_backlog for p in parts] == [1, 0]


@pytest.mark.parametrize(
    ("config", "processes", "message"),
    [
        (LoadTestConfig(users=3), 4, "users (3) is the fleet's total"),
        (LoadTestConfig(conversations=2), 3, "conversations (2) is the fleet's total"),
        (LoadTestConfig(fake_error_rate=0.1), 2, "can't be combined"),
        (LoadTestConfig(), 0, "positive integer"),
    ],
)
def test_a_total_smaller_than_the_fleet_is_a_value_error(
    config: LoadTestConfig, processes: int, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        split(config, processes)


def _worker(durations: list[float], rejected: int) -> Recorder:
    recorder = Recorder(clock=Clock())
    for _ in range(rejected):
        recorder(attempt(status=429, error=rate_limited()))
    for seconds in durations:
        recorder(attempt(duration=seconds))
        recorder(call(duration=seconds))
    recorder(attempt(CREATE))
    recorder(call(CREATE))
    recorder(RefreshEvent("IAMAuthenticator", "initial", True, 0.02, 0, expires_in=3600))
    recorder.conversation_started()
    recorder.conversation_done(True, 0.5)
    recorder.report(LoadTestConfig(), duration=2.0, service_url="http://x", started_at="now")
    # The parent gets it through a pipe: pickled, histograms in HDR's encoding.
    copy: Recorder = pickle.loads(pickle.dumps(recorder))
    return copy


def test_merged_recorders_add_counts_and_histograms_exactly() -> None:
    first = [0.001 * (i + 1) for i in range(100)]
    second = [0.5 + 0.01 * i for i in range(50)]
    merged = Recorder()
    for worker in (_worker(first, 2), _worker(second, 1)):
        merged.merge(worker)
    report = merged.report(LoadTestConfig(), duration=2.0, service_url="x", started_at="now")

    alone = Recorder(clock=Clock())
    for seconds in first + second:
        alone(call(duration=seconds))
    expected = alone.overall_call.summary()

    message = report.route("message")
    assert message is not None
    assert message.calls == 150
    assert message.attempts == 153
    assert message.attempt_errors["429"] == 3
    assert message.call_latency == expected  # the same percentiles as one recorder
    assert report.total.calls == 152
    assert report.tokens.requests == 2
    assert report.conversations.completed == 2
    assert sum(p.calls for p in report.timeline) == 152
    assert sum(p.attempt_429s for p in report.timeline) == 3


def test_merged_timelines_keep_the_worst_percentile_per_interval() -> None:
    merged = Recorder()
    merged.merge(_worker([0.001], 0))
    merged.merge(_worker([0.2], 0))
    merged.report(LoadTestConfig(), duration=2.0, service_url="x", started_at="now")
    first = merged.timeline.points[0]
    assert first.calls == 4
    assert first.call_max is not None
    assert first.call_max >= 200


def test_progress_adds_counts_and_keeps_the_highest_latency() -> None:
    a = _worker([0.01], 1).snapshot()
    b = _worker([0.3], 0).snapshot()
    fleet = _sum_snapshots([a, b])
    assert fleet.calls == a.calls + b.calls == 4
    assert fleet.attempt_429s == 1
    assert fleet.call_p99 == max(a.call_p99 or 0, b.call_p99 or 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--processes", "2", "--redis", "http://x"], "is not a usable Redis URL"),
        (["--processes", "2", "--redis", "redis://u:s3cret@h:port/0"], "is not a usable Redis URL"),
        (["--processes", "11"], "users (10) is the fleet's total"),
        (["--processes", "2", "--fake-error-rate", "0.5"], "can't be combined"),
    ],
)
def test_bad_fleet_arguments_exit_2_before_anything_starts(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["loadtest", "-q", *args]) == 2
    err = capsys.readouterr().err
    assert "watson-async loadtest: error:" in err
    assert message in err
    assert "s3cret" not in err  # a Redis URL's password is never echoed


def test_processes_must_be_a_positive_integer(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["loadtest", "--processes", "0"])
    assert exited.value.code == 2
    assert "--processes" in capsys.readouterr().err


def test_the_report_json_has_a_fleet_section() -> None:
    from watson_async.loadtest import FleetReport, ProcessReport

    merged = Recorder()
    merged.merge(_worker([0.01], 0))
    report = merged.report(LoadTestConfig(), duration=2.0, service_url="x", started_at="now")
    lost = ProcessReport(1, None, {"users": 5}, 0, 0, 0, 0, 0, None, None, None, "killed")
    fleet = FleetReport("nothing", report, (lost,), 3, 0, 40, 1.0, 0.97)
    data = json.loads(json.dumps(fleet.to_dict()))
    assert data["fleet"]["iam_calls"] == 3
    assert data["fleet"]["per_process"][0]["error"] == "killed"
    assert data["passed"] is False  # a lost process fails the run
    assert fleet.exit_code == 1
    assert "process 1 sent no report (killed)" in fleet.failures


def test_a_worker_spec_never_shows_its_redis_url() -> None:
    spec = WorkerSpec(0, LoadTestConfig(), None, "redis://u:s3cret@h:6379/0", "ns", 1.0)
    assert "s3cret" not in repr(spec)
    assert spec.redis_url == "redis://u:s3cret@h:6379/0"
