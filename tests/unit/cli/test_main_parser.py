"""The ``watson-async`` parser: building it loads no fake, and ``--fault`` still names
and checks the fake's faults."""

from __future__ import annotations

import subprocess
import sys

import pytest

from watson_async.cli.main import build_parser
from watson_async.testing.fake._faults import ERROR_FAULTS


def test_building_the_parser_loads_no_fake() -> None:
    code = (
        "import sys\n"
        "from watson_async.cli.main import build_parser\n"
        "build_parser()\n"
        "print('watson_async.testing.fake' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fault_choices_are_the_fakes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # help on one line: names unbroken at hyphens
    args = build_parser().parse_args(["fake-server", "--fault", "disconnect"])
    assert args.fault == "disconnect"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fake-server", "--fault", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fake-server", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert ", ".join(ERROR_FAULTS) in shown
