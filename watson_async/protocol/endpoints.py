"""Endpoint requests: pure functions that validate arguments and build requests (no I/O).

Each function returns a :class:`Request` (method, percent-encoded path, query, body)
or raises ``ValueError`` before anything could be sent. The client adds the service
URL, ``version``, headers and authentication.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from watson_async.protocol.requests import Request, Upload
from watson_async.protocol.routes import BY_NAME, template_ids
from watson_async.protocol.validation import (
    MAX_ASSISTANT_DESCRIPTION,
    MAX_ASSISTANT_NAME,
    as_json,
    check_id,
    check_text,
    checked_text,
    encode_json,
    encode_message,
    json_list,
    required,
)

__all__ = ["Request", "Upload", "query_string"]

# --- endpoints ----------------------------------------------------------------


_Format = tuple[str, tuple[str, ...]]
_EVENT_STREAM = (("Accept", "text/event-stream"),)


def _format(template: str) -> _Format:
    """A path template as a ``%s`` format, and the IDs it takes in order."""
    return re.sub(r"\{\w+\}", "%s", template), template_ids(template)


# name -> (method, idempotent, its path format, the classic variant's or None, headers)
_ROWS: dict[str, tuple[str, bool, _Format, _Format | None, tuple[tuple[str, str], ...]]] = {
    row.name: (
        row.method,
        row.idempotent,
        _format(row.path),
        None if row.classic_path is None else _format(row.classic_path),
        _EVENT_STREAM if row.streaming else (),
    )
    for row in BY_NAME.values()
}


#: (endpoint, its IDs in the builder's order) -> the path they rendered to: a client
#: sends the same few sessions' requests again and again, and an ID that renders is valid.
_PATHS: dict[tuple[str | None, ...], str] = {}
_PATHS_KEPT = 4096


def _build(
    endpoint: str,
    ids: Mapping[str, str | None] | None = None,
    *,
    query: tuple[tuple[str, str], ...] = (),
    body: bytes | Upload | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Request:
    """The request of ``endpoint`` (a row of the endpoint table) with its path rendered.

    Every ID goes through :func:`check_id`, in path order (``ids`` must be in that
    order: a path rendered once is remembered by the IDs' values). An endpoint with a classic
    variant uses it when ``environment_id`` is ``None``. A stream accepts server-sent
    events.
    """
    method, idempotent, (template, names), classic, row_headers = _ROWS[endpoint]
    ids = ids or {}
    key = (endpoint, *ids.values())
    try:
        path = _PATHS.get(key)
    except TypeError:  # an unhashable ID, refused below
        path = None
    if path is None:  # outside the except: a refused ID's error has no context to show
        if tuple(ids) != names:  # the key holds values only: their order must be fixed
            raise RuntimeError(f"{endpoint}: IDs {tuple(ids)} not in path order {names}")
        if classic is not None and ids.get("environment_id") is None:
            template, names = classic
        path = template % tuple([check_id(name, ids.get(name)) for name in names])
        if len(_PATHS) >= _PATHS_KEPT:
            _PATHS.clear()  # bounded; the paths in use come back at once
        _PATHS[key] = path
    if row_headers:
        headers = row_headers + headers
    return Request(endpoint, method, path, idempotent, query, body, headers)


def create_session(assistant_id: str, environment_id: str | None, analytics: Any) -> Request:
    """``POST .../sessions``. Repeating it at worst leaves an unused session to expire.

    Without analytics the body is ``{}`` as JSON, as IBM's Python SDK sends it.
    """
    analytics_json = as_json("analytics", analytics)
    body = encode_json({"analytics": analytics_json}) if analytics_json is not None else b"{}"
    ids = {"assistant_id": assistant_id, "environment_id": environment_id}
    return _build("create_session", ids, body=body)


def delete_session(assistant_id: str, environment_id: str | None, session_id: str) -> Request:
    """``DELETE .../sessions/{session_id}``."""
    ids = {"assistant_id": assistant_id, "environment_id": environment_id, "session_id": session_id}
    return _build("delete_session", ids)


def message(
    assistant_id: str,
    environment_id: str | None,
    session_id: str,
    input: Any,
    context: Any,
    user_id: str | None,
) -> Request:
    """``POST .../sessions/{session_id}/message``: moves the dialog, so not idempotent."""
    ids = {"assistant_id": assistant_id, "environment_id": environment_id, "session_id": session_id}
    body = encode_message(input, context, user_id, stateless=False)
    return _build("message", ids, body=body)


def message_stateless(
    assistant_id: str, environment_id: str | None, input: Any, context: Any, user_id: str | None
) -> Request:
    """``POST .../message``: the state travels in ``context``, so repeating it is safe."""
    ids = {"assistant_id": assistant_id, "environment_id": environment_id}
    body = encode_message(input, context, user_id, stateless=True)
    return _build("message_stateless", ids, body=body)


def create_assistant(language: str | None, name: str | None, description: str | None) -> Request:
    """``POST /v2/assistants``. Not idempotent: a repeat creates a second assistant."""
    body: dict[str, Any] = {}
    if language is not None:
        if not isinstance(language, str) or not language:
            raise ValueError("language must be a non-empty string such as 'en'")
        body["language"] = language
    if name is not None:
        body["name"] = checked_text("name", name, MAX_ASSISTANT_NAME, empty=True)
    if description is not None:
        body["description"] = checked_text(
            "description", description, MAX_ASSISTANT_DESCRIPTION, empty=True
        )
    return _build("create_assistant", body=encode_json(body))


def _bool(value: bool) -> str:
    return "true" if value else "false"


_SORTS = ("name", "-name", "updated", "-updated")


def _paging(
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
    *,
    sorts: tuple[str, ...] | None = _SORTS,
) -> list[tuple[str, str]]:
    """The usual list options as query pairs, checked."""
    query: list[tuple[str, str]] = []
    if page_limit is not None:
        if isinstance(page_limit, bool) or not isinstance(page_limit, int) or page_limit < 1:
            raise ValueError(f"page_limit must be a positive integer, got {page_limit!r}")
        query.append(("page_limit", str(page_limit)))
    if include_count is not None:
        query.append(("include_count", _bool(include_count)))
    if sort is not None:
        if sorts is not None and sort not in sorts:
            raise ValueError(f"sort must be one of {', '.join(map(repr, sorts))}, got {sort!r}")
        if not isinstance(sort, str) or not sort:
            raise ValueError("sort must be a non-empty string")
        query.append(("sort", sort))
    if cursor is not None:
        if not isinstance(cursor, str) or not cursor:
            raise ValueError("cursor must be a non-empty string")
        query.append(("cursor", cursor))
    if include_audit is not None:
        query.append(("include_audit", _bool(include_audit)))
    return query


def _list(
    endpoint: str,
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
    ids: Mapping[str, str] | None = None,
) -> Request:
    query = _paging(page_limit, include_count, sort, cursor, include_audit)
    return _build(endpoint, ids, query=tuple(query))


def _description(description: object) -> str:
    """An environment's, release's or skill's description: line breaks are kept."""
    return checked_text("description", description, MAX_ASSISTANT_DESCRIPTION, controls=True)


def _audit(include_audit: bool | None) -> tuple[tuple[str, str], ...]:
    return () if include_audit is None else (("include_audit", _bool(include_audit)),)


def list_assistants(
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
) -> Request:
    """``GET /v2/assistants`` with the usual paging options."""
    args = (page_limit, include_count, sort, cursor, include_audit)
    return _list("list_assistants", *args)


def delete_assistant(assistant_id: str) -> Request:
    """``DELETE /v2/assistants/{assistant_id}``."""
    return _build("delete_assistant", {"assistant_id": assistant_id})


def query_string(version: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """``version=...`` followed by the endpoint's own query parameters, encoded."""
    return urlencode([("version", version), *extra])


# --- streaming messages --------------------------------------------------------


def stream_environment(environment_id: str | None, endpoint: str) -> str:
    """``environment_id`` for a stream, which has no classic path, or ``ValueError``."""
    if environment_id is None:
        # No API version has /v2/assistants/{id}/[sessions/{sid}/]message_stream, and
        # IBM's SDKs refuse a missing environment_id the same way.
        raise ValueError(
            f"environment_id is required for {endpoint}: streams exist only on "
            "environment paths (/v2/assistants/{assistant_id}/environments/{environment_id})"
        )
    return environment_id


def message_stream(
    assistant_id: str,
    environment_id: str,
    session_id: str,
    input: Any,
    context: Any,
    user_id: str | None,
) -> Request:
    """``POST .../sessions/{session_id}/message_stream``: a stateful turn, not idempotent."""
    environment_id = stream_environment(environment_id, "message_stream")
    ids = {"assistant_id": assistant_id, "environment_id": environment_id, "session_id": session_id}
    body = encode_message(input, context, user_id, stateless=False)
    return _build("message_stream", ids, body=body)


def message_stream_stateless(
    assistant_id: str, environment_id: str, input: Any, context: Any, user_id: str | None
) -> Request:
    """``POST .../message_stream`` without a session."""
    environment_id = stream_environment(environment_id, "message_stream_stateless")
    ids = {"assistant_id": assistant_id, "environment_id": environment_id}
    body = encode_message(input, context, user_id, stateless=True)
    return _build("message_stream_stateless", ids, body=body)


# --- providers -----------------------------------------------------------------


def create_provider(provider_id: str, specification: Any, private: Any) -> Request:
    """``POST /v2/providers``. Not idempotent: a repeat is a 409 for an existing id."""
    # The ID goes in the body here but in the path of update_provider: refuse what
    # check_id refuses, or the provider could be created and never updated.
    check_id("provider_id", provider_id)
    body = {
        "provider_id": checked_text("provider_id", provider_id, 64),
        "specification": required("specification", specification),
        "private": required("private", private),
    }
    return _build("create_provider", body=encode_json(body))


def list_providers(
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
) -> Request:
    """``GET /v2/providers``."""
    args = (page_limit, include_count, sort, cursor, include_audit)
    return _list("list_providers", *args)


def update_provider(provider_id: str, specification: Any, private: Any) -> Request:
    """``POST /v2/providers/{provider_id}``: replaces the provider, so repeating is safe."""
    check_id("provider_id", provider_id)  # before the body, as its arguments come
    body = {
        "specification": required("specification", specification),
        "private": required("private", private),
    }
    return _build("update_provider", {"provider_id": provider_id}, body=encode_json(body))


# --- environments -----------------------------------------------------------------


def list_environments(
    assistant_id: str,
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
) -> Request:
    """``GET /v2/assistants/{assistant_id}/environments``."""
    args = (page_limit, include_count, sort, cursor, include_audit)
    return _list("list_environments", *args, {"assistant_id": assistant_id})


def get_environment(assistant_id: str, environment_id: str, include_audit: bool | None) -> Request:
    """``GET /v2/assistants/{assistant_id}/environments/{environment_id}``."""
    ids = {"assistant_id": assistant_id, "environment_id": environment_id}
    return _build("get_environment", ids, query=_audit(include_audit))


def update_environment(
    assistant_id: str,
    environment_id: str,
    name: str | None,
    description: str | None,
    orchestration: Any,
    session_timeout: int | None,
    skill_references: Sequence[Any] | None,
) -> Request:
    """``POST .../environments/{environment_id}``: sets fields, so repeating is safe."""
    ids = {"assistant_id": assistant_id, "environment_id": environment_id}
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = checked_text("name", name, MAX_ASSISTANT_NAME)
    if description is not None:
        body["description"] = _description(description)
    if orchestration is not None:
        body["orchestration"] = as_json("orchestration", orchestration)
    if session_timeout is not None:
        if (
            isinstance(session_timeout, bool)
            or not isinstance(session_timeout, int)
            or session_timeout < 1
        ):
            raise ValueError(f"session_timeout must be a positive integer, got {session_timeout!r}")
        body["session_timeout"] = session_timeout
    if skill_references is not None:
        body["skill_references"] = json_list("skill_references", skill_references)
    return _build("update_environment", ids, body=encode_json(body))


# --- releases ------------------------------------------------------------------


def create_release(assistant_id: str, description: str | None) -> Request:
    """``POST .../releases``. Not idempotent: a repeat creates another release."""
    body: dict[str, Any] = {}
    if description is not None:
        body["description"] = _description(description)
    return _build("create_release", {"assistant_id": assistant_id}, body=encode_json(body))


def list_releases(
    assistant_id: str,
    page_limit: int | None,
    include_count: bool | None,
    sort: str | None,
    cursor: str | None,
    include_audit: bool | None,
) -> Request:
    """``GET .../releases``."""
    args = (page_limit, include_count, sort, cursor, include_audit)
    return _list("list_releases", *args, {"assistant_id": assistant_id})


def get_release(assistant_id: str, release: str, include_audit: bool | None) -> Request:
    """``GET .../releases/{release}``."""
    ids = {"assistant_id": assistant_id, "release": release}
    return _build("get_release", ids, query=_audit(include_audit))


def delete_release(assistant_id: str, release: str) -> Request:
    """``DELETE .../releases/{release}``."""
    return _build("delete_release", {"assistant_id": assistant_id, "release": release})


def deploy_release(
    assistant_id: str, release: str, environment_id: str, include_audit: bool | None
) -> Request:
    """``POST .../releases/{release}/deploy``: the same deployment twice is one deployment."""
    check_id("environment_id", environment_id)  # the same rule as in the other paths
    body = {"environment_id": checked_text("environment_id", environment_id, 256)}
    ids = {"assistant_id": assistant_id, "release": release}
    return _build("deploy_release", ids, query=_audit(include_audit), body=encode_json(body))


def create_release_export(assistant_id: str, release: str, include_audit: bool | None) -> Request:
    """``POST .../releases/{release}/export``: starts (or restarts) the same export.

    No body, so no ``Content-Type`` either (as IBM's SDKs send it).
    """
    ids = {"assistant_id": assistant_id, "release": release}
    return _build("create_release_export", ids, query=_audit(include_audit))


EXPORT_JSON = "application/json"
EXPORT_ARCHIVE = "application/octet-stream"


def download_release_export(
    assistant_id: str, release: str, accept: str | None, include_audit: bool | None
) -> Request:
    """``GET .../releases/{release}/export`` as JSON or as a binary archive."""
    accept = accept or EXPORT_JSON
    if accept not in (EXPORT_JSON, EXPORT_ARCHIVE):
        raise ValueError(f"accept must be {EXPORT_JSON!r} or {EXPORT_ARCHIVE!r}, got {accept!r}")
    ids = {"assistant_id": assistant_id, "release": release}
    headers = (("Accept", accept),)
    return _build("download_release_export", ids, query=_audit(include_audit), headers=headers)


def create_release_import(assistant_id: str, body: Any, include_audit: bool | None) -> Request:
    """``POST /v2/assistants/{assistant_id}/import`` with the archive as the body.

    ``body`` is bytes, a binary file (read from its current position) or an async
    iterator of byte chunks. Replaces the draft, but may run long: not repeated blindly.
    """
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body)
    elif isinstance(body, str):
        raise ValueError("body must be bytes, a binary file or an async iterator of bytes")
    elif not (hasattr(body, "read") or hasattr(body, "__aiter__")):
        raise ValueError(
            "body must be bytes, a binary file or an async iterator of bytes, "
            f"got {type(body).__name__}"
        )
    return _build(
        "create_release_import",
        {"assistant_id": assistant_id},
        query=_audit(include_audit),
        body=body if isinstance(body, bytes) else Upload(body),
        headers=(("Content-Type", EXPORT_ARCHIVE),),
    )


def get_release_import_status(assistant_id: str, include_audit: bool | None) -> Request:
    """``GET /v2/assistants/{assistant_id}/import``."""
    query = _audit(include_audit)
    return _build("get_release_import_status", {"assistant_id": assistant_id}, query=query)


# --- skills --------------------------------------------------------------------


def get_skill(assistant_id: str, skill_id: str) -> Request:
    """``GET .../skills/{skill_id}``."""
    return _build("get_skill", {"assistant_id": assistant_id, "skill_id": skill_id})


def update_skill(
    assistant_id: str,
    skill_id: str,
    name: str | None,
    description: str | None,
    workspace: Mapping[str, Any] | None,
    dialog_settings: Mapping[str, Any] | None,
    search_settings: Any,
) -> Request:
    """``POST .../skills/{skill_id}``: sets fields, so repeating is safe."""
    ids = {"assistant_id": assistant_id, "skill_id": skill_id}
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = checked_text("name", name, MAX_ASSISTANT_NAME)
    if description is not None:
        body["description"] = _description(description)
    for key, value in (
        ("workspace", workspace),
        ("dialog_settings", dialog_settings),
        ("search_settings", search_settings),
    ):
        if value is not None:
            body[key] = as_json(key, value)
    return _build("update_skill", ids, body=encode_json(body))


def export_skills(assistant_id: str, include_audit: bool | None) -> Request:
    """``GET .../skills_export``."""
    return _build("export_skills", {"assistant_id": assistant_id}, query=_audit(include_audit))


def import_skills(
    assistant_id: str,
    assistant_skills: Sequence[Any],
    assistant_state: Any,
    include_audit: bool | None,
) -> Request:
    """``POST .../skills_import``: the same import twice leaves the same draft."""
    body = {
        "assistant_skills": json_list("assistant_skills", assistant_skills),
        "assistant_state": required("assistant_state", assistant_state),
    }
    query = _audit(include_audit)
    return _build(
        "import_skills", {"assistant_id": assistant_id}, query=query, body=encode_json(body)
    )


def import_skills_status(assistant_id: str) -> Request:
    """``GET .../skills_import/status``."""
    return _build("import_skills_status", {"assistant_id": assistant_id})


# --- classification, logs, user data ------------------------------------------


def bulk_classify(skill_id: str, input: Sequence[Any]) -> Request:
    """``POST /v2/skills/{skill_id}/workspace/bulk_classify``: read-only, repeatable."""
    check_id("skill_id", skill_id)  # before the utterances, as the arguments come
    utterances = json_list("input", input)
    if not utterances:
        raise ValueError("input must hold at least one utterance")
    for i, utterance in enumerate(utterances):
        text = utterance.get("text") if isinstance(utterance, dict) else None
        try:
            check_text(text)
        except ValueError as exc:
            raise ValueError(f"input[{i}]: {exc}") from None
    return _build("bulk_classify", {"skill_id": skill_id}, body=encode_json({"input": utterances}))


def list_logs(
    assistant_id: str,
    sort: str | None,
    filter: str | None,
    page_limit: int | None,
    cursor: str | None,
) -> Request:
    """``GET .../logs`` (``filter`` uses the service's filter syntax)."""
    query = _paging(page_limit, None, sort, cursor, None, sorts=None)
    if filter is not None:
        if not isinstance(filter, str) or not filter:
            raise ValueError("filter must be a non-empty string")
        query.append(("filter", filter))
    return _build("list_logs", {"assistant_id": assistant_id}, query=tuple(query))


def delete_user_data(customer_id: str) -> Request:
    """``DELETE /v2/user_data?customer_id=...``: deletes what was labelled with that id."""
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise ValueError("customer_id must be a non-empty string")
    return _build("delete_user_data", query=(("customer_id", customer_id),))
