"""IDs that a URL normaliser could turn into another path are refused before sending.

The cases are derived from the signatures of every public method, so an endpoint added
later is covered without editing this file (and fails here if it needs an argument the
test doesn't know how to fill in).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, suppress
from typing import Any

import pytest
from fakes import ScriptedTransport, Sent

from watson_async import AssistantClient
from watson_async.auth import NoAuthAuthenticator
from watson_async.conversation import Assistant, StatelessConversation
from watson_async.protocol import endpoints as _endpoints

VERSION = "2024-08-25"

#: Parameters named like IDs that are not path segments nor ever become one.
NOT_PATH_IDS = {
    "user_id": "a label of the end user, sent in the body",
    "customer_id": "a label for deleting user data, sent as a query parameter",
}

#: Valid values for the required arguments that are not IDs.
VALID_ARGS: dict[str, Any] = {
    "input": [{"text": "hello"}],  # bulk_classify's utterances
    "specification": {"openapi": "3.0.0"},
    "private": {"authentication": {}},
    "body": b"archive",
    "assistant_skills": [],
    "assistant_state": {"action_disabled": False},
    "customer_id": "c",
}

#: Values no ID may have: dot segments however spelled, separators a proxy may decode.
BAD_IDS = [
    ".",
    "..",
    "...",
    " .. ",
    ". .",
    "%2e",
    "%2E%2E",
    ".%2E",
    "%2e.",
    "%252e%252e",
    "a/b",
    "../x",
    "a%2Fb",
    "a\\b",
    "..;x",
    "a;b",
    "a\x00b",
    "a\x7fb",
    "\uff0e\uff0e",  # fullwidth full stops: NFKC makes them '..'
    "\u2025",  # two-dot leader: NFKC makes it '..'
    "a\uff0fb",  # fullwidth solidus: NFKC makes it '/'
]

#: A few of them, tried on every ID parameter of every method.
BAD_SAMPLE = [".", "..", "a/..", "%2e%2e", "\\"]


def _is_id(name: str) -> bool:
    return (name.endswith("_id") or name == "release") and name not in NOT_PATH_IDS


def _public_methods(cls: type) -> Iterator[tuple[str, inspect.Signature]]:
    for name, function in inspect.getmembers(cls, inspect.isfunction):
        if not name.startswith("_"):
            yield name, inspect.signature(function)


def _cases() -> list[tuple[str, str, str]]:
    """(owner, method, ID parameter) for the client and the assistant handle."""
    cases = []
    for owner, cls in (("client", AssistantClient), ("assistant", Assistant)):
        for name, signature in _public_methods(cls):
            cases.extend((owner, name, p) for p in signature.parameters if _is_id(p))
    return cases


CASES = _cases()


def test_the_cases_cover_the_api() -> None:
    methods = {(owner, name) for owner, name, _ in CASES}
    assert len(CASES) >= 50
    assert len(methods) >= 35
    # spot checks: runtime, authoring, paginators and the handles
    for case in [
        ("client", "message", "session_id"),
        ("client", "delete_release", "release"),
        ("client", "iter_releases", "assistant_id"),
        ("client", "bulk_classify", "skill_id"),
        ("client", "update_provider", "provider_id"),
        ("client", "assistant", "environment_id"),
        ("assistant", "message_stream", "session_id"),
    ]:
        assert case in CASES


class RecordingTransport(ScriptedTransport):
    """Records streamed requests too; answers none of them."""

    def stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Any,
        timeout: float | None,
    ) -> AbstractAsyncContextManager[Any]:
        self.sent.append(Sent(method, url, dict(headers), body, timeout))
        raise AssertionError(f"unexpected stream {method} {url}")


def _arguments(signature: inspect.Signature, target: str, bad: str) -> dict[str, Any]:
    """Valid arguments for every required parameter, ``bad`` for ``target``."""
    args: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.name == "self":
            continue
        if param.name == target:
            args[param.name] = bad
        elif _is_id(param.name):
            args[param.name] = "id-1"
        elif param.default is param.empty:
            args[param.name] = VALID_ARGS[param.name]  # KeyError: add the new argument
    return args


async def _call(method: Callable[..., Any], args: dict[str, Any]) -> None:
    result = method(**args)
    if inspect.isawaitable(result):
        await result


@pytest.mark.parametrize(("owner", "name", "param"), CASES, ids=lambda x: str(x))
async def test_every_id_parameter_refuses_path_tricks(owner: str, name: str, param: str) -> None:
    transport = RecordingTransport()
    async with AssistantClient(
        VERSION, NoAuthAuthenticator(), transport=transport, retry=None
    ) as client:
        target = client if owner == "client" else client.assistant("a-1", "e-1")
        method = getattr(target, name)
        signature = inspect.signature(method)
        for bad in BAD_SAMPLE:
            with pytest.raises(ValueError, match=param):
                await _call(method, _arguments(signature, param, bad))
        assert transport.sent == []
        # Control: with an ordinary ID the same arguments are accepted (and sent, which
        # the transport refuses with an AssertionError).
        with suppress(AssertionError):
            await _call(method, _arguments(signature, param, "id-2"))


async def test_a_stateless_conversation_dump_with_a_bad_id_is_refused() -> None:
    async with AssistantClient(
        VERSION, NoAuthAuthenticator(), transport=RecordingTransport(), retry=None
    ) as client:
        dump = client.assistant("a-1", "e-1").stateless_conversation().dumps()
        with pytest.raises(ValueError, match="environment_id"):
            StatelessConversation.loads(client, dump.replace('"e-1"', '".."'))


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_check_id_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^session_id "):
        _endpoints.check_id("session_id", bad)


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("0f7b2c6e-9a1d-4c3e-8b5a-2d6f1e0c9b8a", "0f7b2c6e-9a1d-4c3e-8b5a-2d6f1e0c9b8a"),
        ("12", "12"),
        ("a.b", "a.b"),
        ("..a", "..a"),
        ("a..", "a.."),
        (".hidden", ".hidden"),
        ("v1.2~x_y", "v1.2~x_y"),
        ("a b", "a%20b"),
        ("a?b#c", "a%3Fb%23c"),
        ("café", "caf%C3%A9"),
    ],
)
def test_check_id_keeps_real_ids(value: str, segment: str) -> None:
    assert _endpoints.check_id("assistant_id", value) == segment


def test_the_error_does_not_echo_a_huge_value() -> None:
    with pytest.raises(ValueError, match="release must not be only dots") as caught:
        _endpoints.check_id("release", "." * 100_000)
    assert len(str(caught.value)) < 300
    with pytest.raises(ValueError, match="release must not contain '/'") as caught:
        _endpoints.check_id("release", "x" * 100_000 + "/")
    assert len(str(caught.value)) < 300


def test_checked_ids_are_remembered_boundedly_and_only_when_safe() -> None:
    from watson_async.protocol import validation

    validation._SAFE_IDS.clear()
    assert _endpoints.check_id("session_id", "abc-123") == "abc-123"
    assert "abc-123" in validation._SAFE_IDS
    with pytest.raises(ValueError, match="only dots"):
        _endpoints.check_id("session_id", "..")
    assert ".." not in validation._SAFE_IDS

    class Text(str):
        pass

    # A subclass is checked afresh (only a plain str's content is remembered).
    assert _endpoints.check_id("session_id", Text("abc-123")) == "abc-123"
    with pytest.raises(ValueError, match="must be a string"):
        _endpoints.check_id("session_id", ["abc-123"])
    for n in range(validation._SAFE_IDS_KEPT + 1):
        _endpoints.check_id("session_id", f"id-{n}")
    assert len(validation._SAFE_IDS) <= validation._SAFE_IDS_KEPT


def test_rendered_paths_are_remembered_boundedly_and_only_when_valid() -> None:
    _endpoints._PATHS.clear()
    sent = _endpoints.message("a-1", "e-1", "s-1", {"text": "hi"}, None, None)
    assert sent.path == "/v2/assistants/a-1/environments/e-1/sessions/s-1/message"
    assert _endpoints.message("a-1", "e-1", "s-1", None, None, None).path == sent.path
    assert ("message", "a-1", "e-1", "s-1") in _endpoints._PATHS
    # The classic path has its own entry; a refused ID none, and is refused every time.
    assert _endpoints.message("a-1", None, "s-1", None, None, None).path == (
        "/v2/assistants/a-1/sessions/s-1/message"
    )
    for _ in range(2):
        with pytest.raises(ValueError, match="only dots"):
            _endpoints.message("a-1", "e-1", "..", None, None, None)
        with pytest.raises(ValueError, match="must be a string"):
            _endpoints.message("a-1", "e-1", ["s-1"], None, None, None)  # type: ignore[arg-type]
    assert ("message", "a-1", "e-1", "..") not in _endpoints._PATHS
    for n in range(_endpoints._PATHS_KEPT + 1):
        _endpoints.delete_session("a-1", "e-1", f"s-{n}")
    assert len(_endpoints._PATHS) <= _endpoints._PATHS_KEPT


def test_a_refused_id_is_reported_alone() -> None:
    _endpoints._PATHS.clear()
    with pytest.raises(ValueError, match="must be a string") as caught:
        _endpoints.message("a-1", "e-1", ["s-1"], None, None, None)  # type: ignore[arg-type]
    assert caught.value.__context__ is None
    with pytest.raises(ValueError, match="only dots") as caught:
        _endpoints.message("a-1", "e-1", "..", None, None, None)
    assert caught.value.__context__ is None
