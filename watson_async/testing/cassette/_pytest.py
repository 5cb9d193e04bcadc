"""The pytest side of cassettes: the ``--watson-record-mode`` option, the
``watson_cassette`` marker and where a test's cassette file lives (the fixture itself is
in ``watson_async.testing._pytest_async``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from watson_async.protocol.validation import check_id

from ._cassette import Cassette, RecordMode

__all__ = ["CALL_FAILED", "add_options", "open_cassette", "use_cassette"]

#: Set on a test item when its call phase failed: its recording is not written.
CALL_FAILED = pytest.StashKey[bool]()
_UNSAFE = re.compile(r"[^\w.-]+")


def add_options(parser: pytest.Parser) -> None:
    """``--watson-record-mode`` and the ``watson_cassette_dir`` ini setting."""
    group = parser.getgroup("watson_async")
    group.addoption(
        "--watson-record-mode",
        choices=[mode.value for mode in RecordMode],
        default=None,
        help="how watson_cassette tests use their cassettes: none (replay only, the "
        "default), once, new_episodes or all (record again)",
    )
    parser.addini(
        "watson_record_mode", "the default of --watson-record-mode", default=RecordMode.NONE.value
    )
    parser.addini(
        "watson_cassette_dir",
        "where cassettes live, relative to each test file (default: cassettes)",
        default="cassettes",
    )


def open_cassette(request: pytest.FixtureRequest) -> Cassette:
    """The cassette of a test: named by ``@pytest.mark.watson_cassette("name", **options)``
    (default: the test's name), in ``watson_cassette_dir`` next to the test file."""
    marker = request.node.get_closest_marker("watson_cassette")
    args = marker.args if marker is not None else ()
    options = dict(marker.kwargs) if marker is not None else {}
    name = str(args[0]) if args else _UNSAFE.sub("_", request.node.name)
    check_id("the watson_cassette name", name)  # one file in the folder: no '/' or '..'
    config = request.config
    mode = config.getoption("watson_record_mode") or config.getini("watson_record_mode")
    folder = Path(request.node.path).parent / str(config.getini("watson_cassette_dir"))
    return Cassette(folder / f"{name}.yaml", mode, **options)


async def use_cassette(request: pytest.FixtureRequest) -> AsyncIterator[Cassette]:
    """Open the test's cassette; after the test close it, and write it unless it failed."""
    cassette = open_cassette(request)
    try:
        yield cassette
    finally:
        await cassette.aclose()
    if not request.node.stash.get(CALL_FAILED, False):
        cassette.save()
