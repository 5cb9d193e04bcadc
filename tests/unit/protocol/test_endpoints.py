"""Request building: paths, query strings, bodies and argument validation (no I/O)."""

from __future__ import annotations

import json
import re

import pytest

from watson_async.protocol import endpoints as ep
from watson_async.protocol.routes import BY_NAME

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


def test_streams_have_no_classic_paths() -> None:
    with pytest.raises(ValueError, match="environment_id is required for message_stream"):
        ep.message_stream("a", None, "s", None, None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="environment_id is required for message_stream_"):
        ep.message_stream_stateless("a", None, None, None, None)  # type: ignore[arg-type]


def test_classic_paths_when_environment_is_none() -> None:
    assert ep.create_session("a", None, None).path == "/v2/assistants/a/sessions"
    assert (
        ep.message("a", None, "s", None, None, None).path == "/v2/assistants/a/sessions/s/message"
    )
    assert ep.message_stateless("a", None, None, None, None).path == "/v2/assistants/a/message"
    assert ep.delete_session("a", None, "s").path == "/v2/assistants/a/sessions/s"


def test_path_parameters_are_percent_encoded() -> None:
    req = ep.delete_session("a b", "e?x", "s#1")
    assert req.path == "/v2/assistants/a%20b/environments/e%3Fx/sessions/s%231"


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


def test_create_session_body_is_an_empty_object_without_analytics() -> None:
    assert ep.create_session("a", "e", None).body == b"{}"  # as IBM's Python SDK sends it
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


def test_names_and_descriptions_follow_each_endpoints_rules() -> None:
    # create_assistant: empty allowed, line breaks refused; an environment's new name must
    # not be empty; release, environment and skill descriptions may hold line breaks.
    assert json.loads(ep.create_assistant(None, "", "").body or b"") == {
        "name": "",
        "description": "",
    }
    with pytest.raises(ValueError, match=re.escape("name must not contain '\\n'")):
        ep.create_assistant(None, "a\nb", None)
    with pytest.raises(ValueError, match=re.escape("description must not contain '\\t'")):
        ep.create_assistant(None, None, "a\tb")
    with pytest.raises(ValueError, match="name must be a string, got int"):
        ep.create_assistant(None, 5, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name must not be empty"):
        ep.update_environment("a", "e", "", None, None, None, None)
    body = ep.create_release("a", "line one\nline two").body
    assert json.loads(body or b"") == {"description": "line one\nline two"}
    with pytest.raises(ValueError, match="description is 129 characters; the service accepts"):
        ep.create_release("a", "d" * 129)


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


# --- the rest of the v2 surface -----------------------------------------------------

SPEC = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
PRIVATE = {"authentication": {"token": {"value": "s3cret"}}}

TABLE = [
    # (request, method, path, query, body, idempotent)
    (
        lambda: ep.create_provider("p1", SPEC, PRIVATE),
        "POST",
        "/v2/providers",
        (),
        {"provider_id": "p1", "specification": SPEC, "private": PRIVATE},
        False,
    ),
    (
        lambda: ep.list_providers(5, True, "-updated", "c", False),
        "GET",
        "/v2/providers",
        (
            ("page_limit", "5"),
            ("include_count", "true"),
            ("sort", "-updated"),
            ("cursor", "c"),
            ("include_audit", "false"),
        ),
        None,
        True,
    ),
    (
        lambda: ep.update_provider("p 1", SPEC, PRIVATE),
        "POST",
        "/v2/providers/p%201",
        (),
        {"specification": SPEC, "private": PRIVATE},
        True,
    ),
    (
        lambda: ep.list_environments("a", None, None, "name", None, None),
        "GET",
        "/v2/assistants/a/environments",
        (("sort", "name"),),
        None,
        True,
    ),
    (
        lambda: ep.get_environment("a", "e", True),
        "GET",
        "/v2/assistants/a/environments/e",
        (("include_audit", "true"),),
        None,
        True,
    ),
    (
        lambda: ep.update_environment(
            "a", "e", "Live", "d", {"search_skill_fallback": True}, 600, [{"skill_id": "s"}]
        ),
        "POST",
        "/v2/assistants/a/environments/e",
        (),
        {
            "name": "Live",
            "description": "d",
            "orchestration": {"search_skill_fallback": True},
            "session_timeout": 600,
            "skill_references": [{"skill_id": "s"}],
        },
        True,
    ),
    (
        lambda: ep.create_release("a", "first"),
        "POST",
        "/v2/assistants/a/releases",
        (),
        {"description": "first"},
        False,
    ),
    (
        lambda: ep.list_releases("a", 2, None, None, None, None),
        "GET",
        "/v2/assistants/a/releases",
        (("page_limit", "2"),),
        None,
        True,
    ),
    (lambda: ep.get_release("a", "1", None), "GET", "/v2/assistants/a/releases/1", (), None, True),
    (lambda: ep.delete_release("a", "1"), "DELETE", "/v2/assistants/a/releases/1", (), None, True),
    (
        lambda: ep.deploy_release("a", "1", "e", None),
        "POST",
        "/v2/assistants/a/releases/1/deploy",
        (),
        {"environment_id": "e"},
        True,
    ),
    (
        lambda: ep.create_release_export("a", "1", None),
        "POST",
        "/v2/assistants/a/releases/1/export",
        (),
        None,
        True,
    ),
    (
        lambda: ep.get_release_import_status("a", None),
        "GET",
        "/v2/assistants/a/import",
        (),
        None,
        True,
    ),
    (lambda: ep.get_skill("a", "s"), "GET", "/v2/assistants/a/skills/s", (), None, True),
    (
        lambda: ep.update_skill("a", "s", "n", None, None, None, {"discovery": {}}),
        "POST",
        "/v2/assistants/a/skills/s",
        (),
        {"name": "n", "search_settings": {"discovery": {}}},
        True,
    ),
    (lambda: ep.export_skills("a", None), "GET", "/v2/assistants/a/skills_export", (), None, True),
    (
        lambda: ep.import_skills("a", [{"name": "s"}], {"action_disabled": False}, None),
        "POST",
        "/v2/assistants/a/skills_import",
        (),
        {"assistant_skills": [{"name": "s"}], "assistant_state": {"action_disabled": False}},
        True,
    ),
    (
        lambda: ep.import_skills_status("a"),
        "GET",
        "/v2/assistants/a/skills_import/status",
        (),
        None,
        True,
    ),
    (
        lambda: ep.bulk_classify("s", [{"text": "hi"}, {"text": "menu"}]),
        "POST",
        "/v2/skills/s/workspace/bulk_classify",
        (),
        {"input": [{"text": "hi"}, {"text": "menu"}]},
        True,
    ),
    (
        lambda: ep.list_logs("a", "-request_timestamp", 'request.input.text::"hi"', 3, "c"),
        "GET",
        "/v2/assistants/a/logs",
        (
            ("page_limit", "3"),
            ("sort", "-request_timestamp"),
            ("cursor", "c"),
            ("filter", 'request.input.text::"hi"'),
        ),
        None,
        True,
    ),
    (
        lambda: ep.delete_user_data("cust 1"),
        "DELETE",
        "/v2/user_data",
        (("customer_id", "cust 1"),),
        None,
        True,
    ),
    (
        lambda: ep.message_stream("a", "e", "s", {"text": "hi"}, None, None),
        "POST",
        "/v2/assistants/a/environments/e/sessions/s/message_stream",
        (),
        {"input": {"text": "hi"}},
        False,
    ),
    (
        lambda: ep.message_stream_stateless("a", "e", None, None, "u"),
        "POST",
        "/v2/assistants/a/environments/e/message_stream",
        (),
        {"user_id": "u"},
        True,
    ),
]


@pytest.mark.parametrize("case", TABLE, ids=lambda c: c[0]().endpoint)
def test_every_endpoint_builds_its_request(case: tuple[object, ...]) -> None:
    build, method, path, query, body, idempotent = case
    request = build()  # type: ignore[operator]
    assert request.method == method
    assert request.path == path
    assert request.query == query
    assert (json.loads(request.body) if request.body else None) == (body or None)
    assert request.idempotent is idempotent


def test_the_cases_agree_with_the_endpoint_table() -> None:
    requests = [case[0]() for case in TABLE]  # type: ignore[operator]
    for request in requests:
        row = BY_NAME[request.endpoint]
        assert (request.method, request.idempotent) == (row.method, row.idempotent)
        assert {name for name, _ in request.query} <= set(row.query), row.name
        assert (request.body is not None) == (row.body != "none"), row.name
        assert (("Accept", "text/event-stream") in request.headers) == row.streaming


def test_download_and_import_headers() -> None:
    as_json = ep.download_release_export("a", "1", None, None)
    assert as_json.headers == (("Accept", "application/json"),)
    archive = ep.download_release_export("a", "1", "application/octet-stream", True)
    assert archive.headers == (("Accept", "application/octet-stream"),)
    assert archive.query == (("include_audit", "true"),)
    with pytest.raises(ValueError, match="accept must be"):
        ep.download_release_export("a", "1", "text/plain", None)
    upload = ep.create_release_import("a", bytearray(b"zip"), None)
    assert upload.body == b"zip"
    assert upload.headers == (("Content-Type", "application/octet-stream"),)
    assert upload.idempotent is False
    with pytest.raises(ValueError, match="body must be bytes"):
        ep.create_release_import("a", "not bytes", None)
    with pytest.raises(ValueError, match="body must be bytes"):
        ep.create_release_import("a", 42, None)
    assert ep.message_stream("a", "e", "s", None, None, None).headers == (
        ("Accept", "text/event-stream"),
    )


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: ep.create_provider("", SPEC, PRIVATE), "provider_id"),
        (lambda: ep.create_provider("p", None, PRIVATE), "specification is required"),
        (lambda: ep.update_environment("a", "e", None, None, None, 0, None), "session_timeout"),
        (lambda: ep.update_environment("a", "e", None, None, None, None, "s"), "must be a list"),
        (
            lambda: ep.update_environment("a", "e", "n" * 65, None, None, None, None),
            "65 characters",
        ),
        (lambda: ep.list_releases("a", None, None, "size", None, None), "sort must be one of"),
        (lambda: ep.deploy_release("a", "1", "", None), "environment_id"),
        (lambda: ep.bulk_classify("s", []), "at least one utterance"),
        (lambda: ep.bulk_classify("s", [{"text": "a\nb"}]), r"input\[0\]: input text"),
        (lambda: ep.list_logs("a", None, "", None, None), "filter"),
        (lambda: ep.delete_user_data(" "), "customer_id"),
        (lambda: ep.get_skill("a", ""), "skill_id must not be empty"),
        (lambda: ep.import_skills("a", {"name": "s"}, {}, None), "must be a list"),
    ],
)
def test_bad_arguments_raise_before_sending(build: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()  # type: ignore[operator]
