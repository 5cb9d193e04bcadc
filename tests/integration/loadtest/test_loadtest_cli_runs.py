"""``watson-async loadtest`` through ``cli.main`` against its own fake: outputs, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from watson_async.cli.main import main

SHORT = ["loadtest", "-n", "4", "-u", "2", "--turns", "2", "-q"]


def test_short_run_writes_json_and_csv_that_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    json_path, csv_path = tmp_path / "report.json", tmp_path / "report.csv"
    assert main([*SHORT, "--json", str(json_path), "--csv", str(csv_path)]) == 0
    data = json.loads(json_path.read_text())
    assert data["counts"]["sessions_created"] == 4
    assert data["counts"]["messages"] == 8
    assert data["counts"]["sessions_deleted"] == 4
    assert data["passed"] is True
    assert data["config"]["users"] == 2
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [r["endpoint"] for r in rows] == ["create_session", "message", "delete_session", "all"]
    assert rows[-1]["calls"] == "16"
    out = capsys.readouterr().out
    assert "end-to-end" in out
    assert "PASSED" in out


def test_png_has_latency_over_time_and_distribution(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "latency.png"
    assert main([*SHORT, "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_above_the_threshold_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    args = [*SHORT, "--fake-error-rate", "1", "--seed", "1", "--no-retry"]
    assert main(args) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main([*args, "--max-error-rate", "1"]) == 0


def test_the_rate_limit_unit_warning_shows_and_names_the_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.warns(DeprecationWarning, match="Set fake_rate_window .*--fake-rate-window"):
        assert main([*SHORT, "--fake-rate-limit", "30"]) == 0
    assert main([*SHORT, "--fake-rate-limit", "30", "--fake-rate-window", "60"]) == 0  # no warning
