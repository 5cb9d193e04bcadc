"""Run pytest in a subprocess in a folder, with this checkout's watson_async and its
plugin (registered by the entry point when installed, else with ``-p``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path

import watson_async

PLUGIN = "watson_async.testing.pytest_plugin"


def run_pytest_in(
    folder: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest -rs -p no:cacheprovider ARGS`` in ``folder``."""
    environ = dict(os.environ if env is None else env)
    environ["PYTHONPATH"] = str(Path(watson_async.__file__).parents[1])
    plugin_args: list[str] = []
    if not any(ep.value == PLUGIN for ep in entry_points(group="pytest11")):
        plugin_args = ["-p", PLUGIN]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", *plugin_args, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environ,
    )
