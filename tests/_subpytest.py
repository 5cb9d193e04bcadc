"""Run pytest in a subprocess on a project of its own, with this checkout's watson_async
and its pytest plugin (registered by the install's entry point, else with ``-p``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path

import watson_async
import watson_async.testing.pytest_plugin

PLUGIN = watson_async.testing.pytest_plugin.__name__


def run_pytest(
    project: Path, *args: str, environ: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest -p no:cacheprovider *args`` in ``project``; ``environ``
    (default: this process's) with ``PYTHONPATH`` pointing at this checkout."""
    env = dict(os.environ if environ is None else environ)
    env["PYTHONPATH"] = str(Path(watson_async.__file__).parents[1])
    plugin: list[str] = []
    if not any(ep.value == PLUGIN for ep in entry_points(group="pytest11")):
        plugin = ["-p", PLUGIN]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin, *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
