"""Argument types shared by the ``watson-async`` subcommands (argparse ``type=``)."""

from __future__ import annotations

import argparse
import re

__all__ = [
    "fraction",
    "non_negative_int",
    "positive_int",
    "positive_seconds",
    "seconds",
    "version_date",
]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None


def positive_int(value: str) -> int:
    """A whole number of at least 1."""
    number = _int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def non_negative_int(value: str) -> int:
    """A whole number of at least 0."""
    number = _int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return number


def seconds(value: str) -> float:
    """A finite number of seconds, 0 allowed."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {value}")
    return number


def positive_seconds(value: str) -> float:
    """A finite number of seconds greater than 0."""
    number = seconds(value)
    if number == 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def fraction(value: str) -> float:
    """A number between 0 and 1."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.01, got {value!r}") from None
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return number


def version_date(value: str) -> str:
    """An API version date, ``YYYY-MM-DD``."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise argparse.ArgumentTypeError("must be a date like 2024-08-25")
    return value
