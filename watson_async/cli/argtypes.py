"""Argument types shared by the ``watson-async`` subcommands (argparse ``type=``)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "bounded_seconds",
    "fraction",
    "non_negative_int",
    "positive_int",
    "positive_seconds",
    "seconds",
    "version_date",
]

_N = TypeVar("_N", int, float)


def _number(value: str, parse: Callable[[str], _N], expected: str) -> _N:
    try:
        return parse(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r}") from None


def _at_least(value: str, least: int) -> int:
    number = _number(value, int, "a whole number")
    if number < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return number


def positive_int(value: str) -> int:
    """A whole number of at least 1."""
    return _at_least(value, 1)


def non_negative_int(value: str) -> int:
    """A whole number of at least 0."""
    return _at_least(value, 0)


def seconds(value: str) -> float:
    """A finite number of seconds, 0 allowed."""
    number = _number(value, float, "a number of seconds")
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {value}")
    return number


def positive_seconds(value: str) -> float:
    """A finite number of seconds greater than 0."""
    number = seconds(value)
    if number == 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def bounded_seconds(most: float) -> Callable[[str], float]:
    """A type for a number of seconds from 0 to ``most``."""

    def parse(value: str) -> float:
        number = seconds(value)
        if number > most:
            raise argparse.ArgumentTypeError(f"must be at most {most:g} seconds, got {value}")
        return number

    return parse


def fraction(value: str) -> float:
    """A number between 0 and 1."""
    number = _number(value, float, "a fraction like 0.01")
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return number


def version_date(value: str) -> str:
    """An API version date, ``YYYY-MM-DD``."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise argparse.ArgumentTypeError("must be a date like 2024-08-25")
    return value
