"""``watson-async loadtest`` through ``cli.main`` without running a load: bad arguments, missing
extras, imports, the live progress (runs against the fake: tests/integration/loadtest/).
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from watson_async.cli.main import main
from watson_async.loadtest import LoadTestConfig
from watson_async.loadtest._cli import INSTALL_HINT
from watson_async.loadtest._progress import LiveProgress
from watson_async.loadtest._recorder import Snapshot

SHORT = ["loadtest", "-n", "4", "-u", "2", "--turns", "2", "-q"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "open"], "--model open needs --rate"),
        (["--rate", "5"], "--rate applies to --model open only"),
        (["--model", "open", "--rate", "5", "--users", "3"], "--users applies to --model closed"),
        (["--max-in-flight", "3"], "--max-in-flight applies to --model open only"),
        (["--target", "real"], "needs assistant_id"),
        (["--assistant-id", "x"], "apply to --target real only"),
        (["--duration", "10", "--time-limit", "5"], "must not be shorter than duration"),
        (["--script", "/nonexistent/turns.txt"], "cannot read the turn script"),
        (["--json", "/nonexistent/dir/r.json"], "does not exist"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASSISTANT_ID", raising=False)
    assert main(["loadtest", *args]) == 2
    err = capsys.readouterr().err
    assert "watson-async loadtest: error:" in err
    assert message in err


@pytest.mark.parametrize(
    "args",
    [["--users", "0"], ["--fake-error-rate", "2"], ["--duration", "soon"], ["--model", "x"]],
)
def test_argument_types_are_checked_by_the_parser(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["loadtest", *args])
    assert exited.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_without_the_extra_the_command_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "hdrh", None)  # import hdrh now raises ImportError
    assert main(SHORT) == 2
    err = capsys.readouterr().err
    assert INSTALL_HINT in err
    assert "hdrhistogram" in err


def test_png_without_matplotlib_names_the_plot_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([*SHORT, "--png", str(tmp_path / "x.png")]) == 2
    assert 'pip install "watson-async[plot]"' in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_the_core_package_and_cli_import_without_rich_or_hdrhistogram() -> None:
    code = (
        "import sys\n"
        "sys.modules['rich'] = sys.modules['hdrh'] = sys.modules['matplotlib'] = None\n"
        "import watson_async, watson_async.cli.main, watson_async.loadtest\n"
        "watson_async.cli.main.build_parser().parse_args(['loadtest', '--help'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--no-retry" in result.stdout


def test_live_progress_renders_a_snapshot() -> None:
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    progress = LiveProgress(LoadTestConfig(model="open", rate=5.0), console)
    snapshot = Snapshot(
        elapsed=1.5,
        calls=120,
        failed=2,
        attempts=130,
        attempt_429s=10,
        retries=10,
        conversations_started=20,
        conversations_done=17,
        conversations_failed=1,
        call_p50=4.2,
        call_p99=35.0,
        dropped=0,
        late=3,
    )
    progress.update(snapshot, in_flight=3)
    progress.close()
    text = console.file.getvalue()  # type: ignore[attr-defined]
    for expected in ("120", "429 responses 10", "p99 35.0 ms", "3 late"):
        assert expected in text


def test_fake_rate_window_defaults_to_a_minute_as_everywhere() -> None:
    assert LoadTestConfig().rate_window == 60.0
    config = LoadTestConfig(fake_rate_limit=30, fake_rate_window=1.0)
    assert (config.fake_rate_window, config.rate_window) == (1.0, 1.0)


def test_a_rate_limit_without_its_window_warns_that_the_unit_changed() -> None:
    # loadtest --fake-rate-limit N used to count per second; it counts per minute now, as
    # fake-server --rate-limit and FakeAssistant(rate_limit=) do.
    with pytest.warns(DeprecationWarning, match=r"now counts per 60 s .* per second before"):
        config = LoadTestConfig(fake_rate_limit=30)
    assert config.fake_rate_window == 60.0
    attrs.evolve(config, users=3)  # a copy (a fleet's share) does not warn again
