"""Fields declared once on a private base class (issue 14) are parsed and written back
like the class's own: typed, not left in ``extra``, and in the JSON ``to_dict`` gives."""

from typing import Any

import pytest

from watson_async.models import (
    EnvironmentCollection,
    GenericVideo,
    Model,
    Pagination,
    Release,
    ResponseGenericChannel,
    TurnEventActionSource,
    TurnEventActionVisited,
)

_CASES: list[tuple[type[Model], dict[str, Any], dict[str, type]]] = [
    (
        TurnEventActionVisited,
        {
            "event": "action_visited",
            "source": {"type": "action", "action": "a1", "action_title": "Order"},
            "condition_type": "user_defined",
            "action_start_time": "2026-12-04T06:00:00Z",
            "reason": "intent",
            "new_key": 1,
        },
        {"source": TurnEventActionSource},
    ),
    (
        GenericVideo,
        {
            "response_type": "video",
            "source": "https://example.com/v.mp4",
            "title": "T",
            "description": "D",
            "channels": [{"channel": "chat"}],
            "alt_text": "A",
        },
        {"channels": list},
    ),
    (
        EnvironmentCollection,
        {"environments": [], "pagination": {"refresh_url": "/v2/x", "total": 0}},
        {"pagination": Pagination},
    ),
    (
        Release,
        {"release": "1", "created": "2026-12-01T00:00:00Z", "updated": "2026-12-02T00:00:00Z"},
        {"created": str, "updated": str},
    ),
]


@pytest.mark.parametrize(("cls", "data", "types"), _CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_inherited_fields_parse_and_round_trip(
    cls: type[Model], data: dict[str, Any], types: dict[str, type]
) -> None:
    model = cls.from_dict(data)
    for name, expected in types.items():
        assert isinstance(getattr(model, name), expected), name
    known = {k: v for k, v in data.items() if k != "new_key"}
    assert model.extra == ({"new_key": 1} if "new_key" in data else None)
    assert all(getattr(model, key) is not None for key in known)
    assert model.to_dict() == data


def test_inherited_nested_items_are_models() -> None:
    video = GenericVideo.from_dict({"response_type": "video", "channels": [{"channel": "x"}]})
    assert video.channels == [ResponseGenericChannel(channel="x")]
