"""The conformance samples (``tests/conformance/``) and the round-trip comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Real-world response samples; provenance in tests/conformance/README.md.
RESPONSES = Path(__file__).resolve().parent / "conformance" / "responses"
#: Webhook request and reply samples; provenance in tests/conformance/webhooks/SOURCE.md.
WEBHOOKS = RESPONSES.parent / "webhooks"


def load(name: str, folder: Path = RESPONSES) -> Any:
    """One sample file, parsed."""
    return json.loads((folder / name).read_text(encoding="utf-8"))


def assert_round_trip(original: Any, produced: Any, path: str = "$") -> None:
    """``produced`` equals ``original`` except that keys whose value was ``null`` may be gone.

    Numbers compare by value (``9`` and ``9.0`` are the same JSON number), but a ``bool``
    must stay a ``bool`` and every other type must be kept.
    """
    if isinstance(original, dict):
        assert isinstance(produced, dict), f"{path}: expected an object, got {produced!r}"
        for key, value in original.items():
            if key not in produced:
                assert value is None, f"{path}.{key}: lost (was {value!r})"
            else:
                assert_round_trip(value, produced[key], f"{path}.{key}")
        added = set(produced) - set(original)
        assert not added, f"{path}: keys added by the round trip: {sorted(added)}"
    elif isinstance(original, list):
        assert isinstance(produced, list), f"{path}: expected an array, got {produced!r}"
        assert len(produced) == len(original), f"{path}: length {len(original)} -> {len(produced)}"
        for i, (a, b) in enumerate(zip(original, produced, strict=True)):
            assert_round_trip(a, b, f"{path}[{i}]")
    elif isinstance(original, bool) or isinstance(produced, bool):
        assert type(original) is type(produced), f"{path}: {original!r} != {produced!r}"
        assert original == produced, f"{path}: {original!r} != {produced!r}"
    elif isinstance(original, (int, float)):
        assert isinstance(produced, (int, float)), f"{path}: {original!r} != {produced!r}"
        assert original == produced, f"{path}: {original!r} != {produced!r}"
    else:
        assert type(original) is type(produced), f"{path}: {original!r} != {produced!r}"
        assert original == produced, f"{path}: {original!r} != {produced!r}"
