"""Request building: paths, query strings, bodies and argument validation (no I/O)."""

from __future__ import annotations

import json

import pytest

from watson_async import _endpoints as ep

# --- paths ---------------------------------------------------------------------


def test_environment_scoped_paths() -> None:
    assert ep.create_session("a", "e", None).path == "/v2/assistants/a/environments/e/sessions"
    assert (
        ep.message("a", "e", "s", None, None, None).path
        == "/v2/assistants/a/environments/e/sessions/s/message"
    )
    assert (
        ep.message_stateless("a", "e", None, None, None).path
        == "/v2/assistants/a/environments/e/message"
    )
    assert ep.delete_session("a", "e", "s").path == "/v2/assistants/a/environments/e/sessions/s"


def test_classic_paths_when_environment_is_none() -> None:
    assert ep.create_session("a", None, None).path == "/v2/assistants/a/sessions"
    assert (
        ep.message("a", None, "s", None, None, None).path == "/v2/assistants/a/sessions/s/message"
    )
    assert ep.message_stateless("a", None, None, None, None).path == "/v2/assistants/a/message"
    assert ep.delete_session("a", None, "s").path == "/v2/assistants/a/sessions/s"


def test_path_parameters_are_percent_encoded() -> None:
    req = ep.delete_session("a/b c", "e?x", "s#1")
    assert req.path == "/v2/assistants/a%2Fb%20c/environments/e%3Fx/sessions/s%231"


def test_methods_and_idempotency() -> None:
    assert ep.message("a", "e", "s", None, None, None).idempotent is False
    assert ep.message_stateless("a", "e", None, None, None).idempotent is True
    assert ep.create_session("a", "e", None).idempotent is True
    assert ep.create_assistant(None, "n", None).idempotent is False
    assert ep.delete_assistant("a").method == "DELETE"
    assert ep.list_assistants(None, None, None, None, None).method == "GET"


def test_query_string_always_starts_with_version() -> None:
    assert ep.query_string("2024-08-25") == "version=2024-08-25"
    req = ep.list_assistants(10, True, "-name", "abc/=", False)
    assert (
        ep.query_string("2024-08-25", req.query)
        == "version=2024-08-25&page_limit=10&include_count=true&sort=-name&cursor=abc%2F%3D"
        "&include_audit=false"
    )


# --- bodies --------------------------------------------------------------------


def test_message_body_from_dicts() -> None:
    req = ep.message(
        "a", "e", "s", {"text": "Hi", "options": {"return_context": True}}, {"global": {}}, "u1"
    )
    assert req.body is not None
    assert json.loads(req.body) == {
        "input": {"text": "Hi", "options": {"return_context": True}},
        "context": {"global": {}},
        "user_id": "u1",
    }


def test_message_body_omits_what_was_not_given() -> None:
    req = ep.message("a", "e", "s", None, None, None)
    assert req.body == b"{}"


def test_create_session_body_only_with_analytics() -> None:
    assert ep.create_session("a", "e", None).body is None
    req = ep.create_session("a", "e", {"browser": "Firefox", "pageUrl": "https://x"})
    assert req.body is not None
    assert json.loads(req.body) == {"analytics": {"browser": "Firefox", "pageUrl": "https://x"}}


def test_non_json_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not JSON-serializable"):
        ep.message("a", "e", "s", {"text": "hi", "x": object()}, None, None)
    with pytest.raises(ValueError, match="input must be a model or a dict"):
        ep.message("a", "e", "s", "hello", None, None)


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("", "e", "s"), "assistant_id must not be empty"),
        (("a", "", "s"), "environment_id must not be empty"),
        (("a", "e", ""), "session_id must not be empty"),
        (("a", "e", "   "), "session_id must not be empty"),
        ((None, "e", "s"), "assistant_id must be a string"),
    ],
)
def test_ids_are_checked(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ep.message(*args, None, None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "must not be empty"),
        ("x" * 2049, "2049 characters"),
        ("a\nb", r"must not contain '\\n'"),
        ("a\rb", r"must not contain '\\r'"),
        ("a\tb", r"must not contain '\\t'"),
        (42, "must be a string"),
    ],
)
def test_input_text_is_checked(text: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ep.message("a", "e", "s", {"text": text}, None, None)
    with pytest.raises(ValueError, match=match):
        ep.message_stateless("a", "e", {"text": text}, None, None)


def test_longest_valid_text_passes() -> None:
    ep.message("a", "e", "s", {"text": "x" * 2048}, None, None)


@pytest.mark.parametrize(
    ("user_id", "match"),
    [("", "must not be empty"), ("u" * 257, "257 characters"), ("a\nb", "must not contain")],
)
def test_user_id_is_checked(user_id: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ep.message("a", "e", "s", None, None, user_id)


def test_context_size_limits_differ_for_stateful_and_stateless() -> None:
    big = {"skills": {"main skill": {"user_defined": {"blob": "x" * 150_000}}}}
    with pytest.raises(ValueError, match=r"stateful message accepts at most 102400 bytes"):
        ep.message("a", "e", "s", None, big, None)
    ep.message_stateless("a", "e", None, big, None)  # under 250 KB: fine
    huge = {"skills": {"main skill": {"user_defined": {"blob": "x" * 260_000}}}}
    with pytest.raises(ValueError, match=r"stateless message accepts at most 256000 bytes"):
        ep.message_stateless("a", "e", None, huge, None)


def test_large_input_with_small_context_is_not_a_context_error() -> None:
    small_context = {"global": {"system": {"turn_count": 1}}}
    req = ep.message_stateless("a", "e", {"text": "x" * 2048}, small_context, None)
    assert req.body is not None


def test_assistant_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="name is 65 characters"):
        ep.create_assistant(None, "n" * 65, None)
    with pytest.raises(ValueError, match="description is 129 characters"):
        ep.create_assistant(None, None, "d" * 129)
    body = ep.create_assistant("en", "n" * 64, "d" * 128).body
    assert body is not None
    assert json.loads(body) == {"language": "en", "name": "n" * 64, "description": "d" * 128}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_limit": 0}, "page_limit must be a positive integer"),
        ({"page_limit": True}, "page_limit must be a positive integer"),
        ({"sort": "size"}, "sort must be"),
        ({"cursor": ""}, "cursor must be a non-empty string"),
    ],
)
def test_list_options_are_checked(kwargs: dict[str, object], match: str) -> None:
    args = {
        "page_limit": None,
        "include_count": None,
        "sort": None,
        "cursor": None,
        "include_audit": None,
        **kwargs,
    }
    with pytest.raises(ValueError, match=match):
        ep.list_assistants(**args)  # type: ignore[arg-type]
