"""The argparse ``type=`` functions the subcommands share."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from watson_async.cli.argtypes import (
    fraction,
    non_negative_int,
    positive_int,
    positive_seconds,
    seconds,
)


@pytest.mark.parametrize(
    ("parse", "value", "expected"),
    [
        (positive_int, "1", 1),
        (non_negative_int, "0", 0),
        (seconds, "0", 0.0),
        (seconds, "2.5", 2.5),
        (positive_seconds, "0.1", 0.1),
        (fraction, "0", 0.0),
        (fraction, "1", 1.0),
    ],
)
def test_accepted(parse: Callable[[str], float], value: str, expected: float) -> None:
    assert parse(value) == expected


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (positive_int, "x", "expected a whole number, got 'x'"),
        (positive_int, "1.5", "expected a whole number, got '1.5'"),
        (positive_int, "0", "must be at least 1, got 0"),
        (non_negative_int, "-1", "must be at least 0, got -1"),
        (seconds, "soon", "expected a number of seconds, got 'soon'"),
        (seconds, "-1", "must be a finite number >= 0, got -1"),
        (seconds, "inf", "must be a finite number >= 0, got inf"),
        (seconds, "nan", "must be a finite number >= 0, got nan"),
        (positive_seconds, "0", "must be greater than 0"),
        (fraction, "half", "expected a fraction like 0.01, got 'half'"),
        (fraction, "1.5", "must be between 0 and 1, got 1.5"),
    ],
)
def test_refused_with_the_reason(parse: Callable[[str], float], value: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as raised:
        parse(value)
    assert str(raised.value) == message
