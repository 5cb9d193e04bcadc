"""Parts of a reply typed on first read (models/_deferred.py): what a caller can tell."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
from typing import Any

import attrs
import orjson
import pytest
from multidict import CIMultiDict

from watson_async.errors import ResponseParseError
from watson_async.models import (
    MessageContext,
    RuntimeEntity,
    RuntimeIntent,
    StatefulMessageResponse,
    StatelessMessageResponse,
)
from watson_async.models._deferred import deferring, is_deferred
from watson_async.protocol import endpoints as _endpoints
from watson_async.protocol import service as _protocol
from watson_async.transport import HttpResponse

REPLY: dict[str, Any] = {
    "output": {
        "generic": [{"response_type": "text", "text": "Which date?"}],
        "intents": [{"intent": "book_table", "confidence": 0.97, "skill": "actions"}],
        "entities": [
            {
                "entity": "sys-date",
                "location": [21, 29],
                "value": "2026-11-27",
                "confidence": 1,
                "interpretation": {"granularity": "day"},
                "future_key": {"kept": True},
            }
        ],
    },
    "context": {
        "global": {"system": {"turn_count": 3, "user_id": "u1"}, "session_id": "s1"},
        "skills": {"actions skill": {"skill_variables": {"party": 4}}},
    },
    "user_id": "u1",
}


def _parse(reply: dict[str, Any] = REPLY, model: type[Any] = StatefulMessageResponse) -> Any:
    request = _endpoints.message("a1", "e1", "s1", {"text": "hi"}, None, None)
    headers = CIMultiDict({"X-Global-Transaction-Id": "txn-7"})
    return _protocol.parse(request, HttpResponse(200, "OK", headers, orjson.dumps(reply)), model)


def _deferred_parts(reply: StatefulMessageResponse) -> list[Any]:
    assert reply.output.entities is not None
    return [reply.context, *reply.output.entities]


def test_a_parsed_reply_defers_context_and_entities_and_nothing_else() -> None:
    reply = _parse()
    parts = _deferred_parts(reply)
    assert [is_deferred(p) for p in parts] == [True, True]
    assert isinstance(parts[0], MessageContext)
    assert isinstance(parts[1], RuntimeEntity)
    assert not is_deferred(reply)
    assert not is_deferred(reply.output)
    assert not is_deferred(reply.output.generic[0])  # what every caller reads: typed at once
    # An intent costs as much to stand in for as to type, and is often read: at once.
    assert type(reply.output.intents[0]) is RuntimeIntent


def test_the_first_read_types_the_part_as_from_dict_would() -> None:
    reply, eager = _parse(), StatefulMessageResponse.from_dict(REPLY)
    entity = reply.output.entities[0]
    assert entity.entity == "sys-date"
    assert type(entity) is RuntimeEntity
    assert not is_deferred(entity)
    assert entity == eager.output.entities[0]
    assert entity.extra == {"future_key": {"kept": True}}  # unknown keys kept
    assert reply.context.global_.system.turn_count == 3
    assert type(reply.context) is MessageContext


def test_from_dict_and_other_structuring_type_everything_at_once() -> None:
    eager = StatefulMessageResponse.from_dict(REPLY)
    assert not any(is_deferred(p) for p in _deferred_parts(eager))


def test_equality_repr_and_to_dict_see_the_typed_values() -> None:
    eager = StatefulMessageResponse.from_dict(REPLY)
    assert _parse() == eager
    assert eager == _parse()
    assert _parse() == _parse()
    assert _parse() != StatefulMessageResponse.from_dict({**REPLY, "user_id": "u2"})
    assert repr(_parse()) == repr(eager)
    assert _parse().to_dict() == eager.to_dict() == REPLY
    assert attrs.asdict(_parse()) == attrs.asdict(eager)


def test_copy_pickle_and_evolve_give_plain_models() -> None:
    eager = StatefulMessageResponse.from_dict(REPLY)
    made = (copy.copy(_parse()), copy.deepcopy(_parse()), pickle.loads(pickle.dumps(_parse())))
    assert made == (eager, eager, eager)
    entity = _parse().output.entities[0]
    changed = attrs.evolve(entity, confidence=0.5)
    assert type(changed) is RuntimeEntity
    assert (changed.entity, changed.confidence) == ("sys-date", 0.5)
    copied = pickle.loads(pickle.dumps(_parse().output.entities[0]))
    assert type(copied) is RuntimeEntity
    assert copied == eager.output.entities[0]


def test_setting_a_field_first_keeps_the_others() -> None:
    entity = _parse().output.entities[0]
    entity.confidence = 0.1
    assert (entity.entity, entity.confidence, entity.value) == ("sys-date", 0.1, "2026-11-27")
    entity = _parse().output.entities[0]
    entity.extra = None
    assert type(entity) is RuntimeEntity
    assert entity.extra is None
    assert entity.value == "2026-11-27"


def test_an_unknown_attribute_fails_as_usual_and_types_nothing() -> None:
    entity = _parse().output.entities[0]
    with pytest.raises(AttributeError, match="'RuntimeEntity' object has no attribute 'nope'"):
        entity.nope  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(entity, "__html__")
    assert isinstance(entity, RuntimeEntity)
    assert is_deferred(entity)


def test_a_part_that_does_not_fit_raises_the_parse_error_on_every_read() -> None:
    bad = {**REPLY, "context": {"global": "not an object"}}
    reply = _parse(bad)  # the rest of the reply is fine, so the call itself succeeds
    assert reply.output.generic[0].text == "Which date?"
    for _ in range(2):
        with pytest.raises(ResponseParseError) as caught:
            reply.context.global_  # noqa: B018
        error = caught.value
        assert str(error).startswith(
            "message: cannot read the response as StatefulMessageResponse (MessageContext): "
        )
        assert "MessageContextGlobal expects a JSON object, got str" in str(error)
        assert error.status_code == 200
        assert error.global_transaction_id == "txn-7"
        assert orjson.loads(error.body) == bad["context"]  # the part, not the whole body
        assert isinstance(error.__cause__, TypeError)
        assert is_deferred(reply.context)


def test_a_part_that_is_not_an_object_fails_at_once() -> None:
    with pytest.raises(ResponseParseError, match="MessageContext expects a JSON object"):
        _parse({**REPLY, "context": ["not", "an", "object"]})


def test_stateless_replies_defer_entities_but_not_their_context() -> None:
    stateless = {**REPLY, "context": {"global": {"system": {"turn_count": 1}}}}
    reply = _parse(stateless, StatelessMessageResponse)
    assert is_deferred(reply.output.entities[0])
    assert not is_deferred(reply.context)  # sent back next turn: always read


def test_deferring_is_per_thread() -> None:
    seen: list[bool] = []

    def other_thread() -> None:
        seen.append(is_deferred(StatefulMessageResponse.from_dict(REPLY).context))

    previous = deferring(lambda model, exc, raw: exc)
    try:
        assert is_deferred(StatefulMessageResponse.from_dict(REPLY).context)
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    finally:
        deferring(previous)
    assert seen == [False]
    assert not is_deferred(StatefulMessageResponse.from_dict(REPLY).context)


def test_parse_restores_the_setting_even_when_it_fails() -> None:
    with pytest.raises(ResponseParseError):
        _parse({"output": "wrong"})
    assert not is_deferred(StatefulMessageResponse.from_dict(REPLY).context)


def _reaches(start: object, target: object, limit: int = 20_000) -> bool:
    """Whether ``target`` is reachable from ``start`` through references (gc's view)."""
    seen, todo = {id(start)}, [start]
    while todo and len(seen) < limit:
        for ref in gc.get_referents(todo.pop()):
            if ref is target:
                return True
            if id(ref) not in seen and not isinstance(ref, type):
                seen.add(id(ref))
                todo.append(ref)
    return False


def test_an_unread_reply_keeps_its_headers_but_not_its_whole_body() -> None:
    request = _endpoints.message("a1", "e1", "s1", {"text": "hi"}, None, None)
    headers = CIMultiDict({"X-Global-Transaction-Id": "txn-7"})
    body = orjson.dumps(REPLY)
    response = HttpResponse(200, "OK", headers, body)
    reply = _protocol.parse(request, response, StatefulMessageResponse)
    assert is_deferred(reply.context)
    assert _reaches(reply, headers)  # the error it may raise carries them
    assert not _reaches(reply, body)  # 2 KB per reply kept: only the part goes in an error
