"""The v2 endpoint table: one row per API method, written once (pure data, no I/O).

Request building (:mod:`watson_async.protocol.endpoints`), the route templates of observability
events (:func:`watson_async.observe.route_template`), the fake service's router and
rate-limit families (:mod:`watson_async.testing`) and the API coverage checks all read
this table. Adding an endpoint: a row here, its models, its builder and client method,
its fake handler, its tests (see ``docs/architecture.md``).
"""

from __future__ import annotations

import itertools
import re
from typing import Literal

import attrs

__all__ = [
    "BY_NAME",
    "ENDPOINTS",
    "ID_AFTER",
    "RUNTIME_PREFIX",
    "Endpoint",
    "path_template",
    "template_ids",
    "url_route",
]

BodyKind = Literal["none", "json", "upload"]

#: The environment-scoped prefix of the runtime paths; their classic variant drops
#: ``/environments/{environment_id}``.
RUNTIME_PREFIX = "/v2/assistants/{assistant_id}/environments/{environment_id}/"
_ENVIRONMENT = "/environments/{environment_id}"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

_PAGING = ("page_limit", "include_count", "sort", "cursor", "include_audit")
_AUDIT = ("include_audit",)


@attrs.frozen(slots=True)
class Endpoint:
    """One v2 API method: how it is called and how the service (and the fake) route it."""

    name: str
    """The client method, the ``endpoint`` of its :class:`Request` and its events."""
    method: str
    path: str
    """The path template, environment-scoped where the endpoint has both variants."""
    result: str
    """The client method's return annotation, as written there."""
    idempotent: bool
    """Whether sending it twice changes nothing a user cares about (retries)."""
    query: tuple[str, ...] = ()
    """Its own query parameters (``version`` is added to every request)."""
    body: BodyKind = "none"
    classic: bool = False
    """Whether the un-scoped ``/v2/assistants/{assistant_id}/...`` variant exists
    (used with ``environment_id=None``)."""
    streaming: bool = False
    """Server-sent events (``Accept: text/event-stream``); environment paths only."""
    family: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True))
    """Its rate-limit family (each endpoint is its own, both path variants share it)."""

    @property
    def ids(self) -> tuple[str, ...]:
        """The ID parameters of :attr:`path`, in path order."""
        return template_ids(self.path)

    @property
    def scoped(self) -> bool:
        """Whether :attr:`path` is a runtime path under an environment."""
        return self.path.startswith(RUNTIME_PREFIX)

    @property
    def unscoped_path(self) -> str:
        """:attr:`path` without its environment segment (the classic variant's shape)."""
        return self.path.replace(_ENVIRONMENT, "", 1)

    @property
    def classic_path(self) -> str | None:
        """The un-scoped template, or ``None`` when the endpoint has none."""
        return self.unscoped_path if self.classic else None


def template_ids(template: str) -> tuple[str, ...]:
    """The ``{placeholders}`` of a path template, in order."""
    return tuple(_PLACEHOLDER.findall(template))


_E = Endpoint
_RUNTIME = RUNTIME_PREFIX.rstrip("/")
_ASSISTANT = "/v2/assistants/{assistant_id}"
_RELEASE = _ASSISTANT + "/releases/{release}"

#: Every endpoint, in the order of the fake's rate-limit families.
ENDPOINTS: tuple[Endpoint, ...] = (
    # runtime
    _E("create_session", "POST", _RUNTIME + "/sessions", "SessionResponse", True,
       body="json", classic=True),
    _E("delete_session", "DELETE", _RUNTIME + "/sessions/{session_id}", "None", True,
       classic=True),
    _E("message", "POST", _RUNTIME + "/sessions/{session_id}/message",
       "StatefulMessageResponse", False, body="json", classic=True),
    _E("message_stateless", "POST", _RUNTIME + "/message", "StatelessMessageResponse", True,
       body="json", classic=True),
    _E("message_stream", "POST", _RUNTIME + "/sessions/{session_id}/message_stream",
       "MessageStream[MessageStreamResponse]", False, body="json", streaming=True),
    _E("message_stream_stateless", "POST", _RUNTIME + "/message_stream",
       "MessageStream[StatelessMessageStreamResponse]", True, body="json", streaming=True),
    # assistants
    _E("list_assistants", "GET", "/v2/assistants", "AssistantCollection", True, query=_PAGING),
    _E("create_assistant", "POST", "/v2/assistants", "AssistantData", False, body="json"),
    _E("delete_assistant", "DELETE", _ASSISTANT, "None", True),
    # environments
    _E("list_environments", "GET", _ASSISTANT + "/environments", "EnvironmentCollection", True,
       query=_PAGING),
    _E("get_environment", "GET", _ASSISTANT + "/environments/{environment_id}", "Environment",
       True, query=_AUDIT),
    _E("update_environment", "POST", _ASSISTANT + "/environments/{environment_id}",
       "Environment", True, body="json"),
    # releases
    _E("create_release", "POST", _ASSISTANT + "/releases", "Release", False, body="json"),
    _E("list_releases", "GET", _ASSISTANT + "/releases", "ReleaseCollection", True,
       query=_PAGING),
    _E("get_release", "GET", _RELEASE, "Release", True, query=_AUDIT),
    _E("delete_release", "DELETE", _RELEASE, "None", True),
    _E("deploy_release", "POST", _RELEASE + "/deploy", "Environment", True, query=_AUDIT,
       body="json"),
    _E("create_release_export", "POST", _RELEASE + "/export",
       "CreateReleaseExportWithStatusErrors", True, query=_AUDIT),
    _E("download_release_export", "GET", _RELEASE + "/export",
       "CreateReleaseExportWithStatusErrors | ByteStream", True, query=_AUDIT),
    _E("create_release_import", "POST", _ASSISTANT + "/import",
       "CreateAssistantReleaseImportResponse", False, query=_AUDIT, body="upload"),
    _E("get_release_import_status", "GET", _ASSISTANT + "/import",
       "MonitorAssistantReleaseImportArtifactResponse", True, query=_AUDIT),
    # skills
    _E("get_skill", "GET", _ASSISTANT + "/skills/{skill_id}", "Skill", True),
    _E("update_skill", "POST", _ASSISTANT + "/skills/{skill_id}", "Skill", True, body="json"),
    _E("export_skills", "GET", _ASSISTANT + "/skills_export", "SkillsExport", True,
       query=_AUDIT),
    _E("import_skills", "POST", _ASSISTANT + "/skills_import", "SkillsAsyncRequestStatus", True,
       query=_AUDIT, body="json"),
    _E("import_skills_status", "GET", _ASSISTANT + "/skills_import/status",
       "SkillsAsyncRequestStatus", True),
    # logs, classification, providers, user data
    _E("list_logs", "GET", _ASSISTANT + "/logs", "LogCollection", True,
       query=("sort", "filter", "page_limit", "cursor")),
    _E("bulk_classify", "POST", "/v2/skills/{skill_id}/workspace/bulk_classify",
       "BulkClassifyResponse", True, body="json"),
    _E("create_provider", "POST", "/v2/providers", "ProviderResponse", False, body="json"),
    _E("list_providers", "GET", "/v2/providers", "ProviderCollection", True, query=_PAGING),
    _E("update_provider", "POST", "/v2/providers/{provider_id}", "ProviderResponse", True,
       body="json"),
    _E("delete_user_data", "DELETE", "/v2/user_data", "None", True, query=("customer_id",)),
)  # fmt: skip

BY_NAME: dict[str, Endpoint] = {row.name: row for row in ENDPOINTS}


def _id_after() -> dict[str, str]:
    found: dict[str, str] = {}
    for row in ENDPOINTS:
        parts = row.path.split("/")
        for collection, segment in itertools.pairwise(parts):
            if _PLACEHOLDER.fullmatch(segment):
                found.setdefault(
                    collection, segment
                )  # tests/unit/protocol/test_routes.py: only one
    return found


#: Collections whose next path segment is an ID, and that ID's ``{placeholder}``.
ID_AFTER: dict[str, str] = _id_after()


def path_template(path: str) -> str:
    """``path`` with every ID (the segment after a collection of :data:`ID_AFTER`)
    replaced by its ``{placeholder}``."""
    return _templated(path, ID_AFTER)


def url_route(url: str) -> str:
    """What an error message shows of a request's URL: the URL without its query, the
    instance ID and every ID of the path replaced by ``{placeholders}``."""
    return _templated(url.partition("?")[0], _URL_ID_AFTER)


def _templated(path: str, names: dict[str, str]) -> str:
    parts = path.split("/")
    for i in range(1, len(parts)):
        name = names.get(parts[i - 1])
        if name is not None and parts[i]:
            parts[i] = name
    return "/".join(parts)


#: :data:`ID_AFTER` and the service URL's ``/instances/{instance_id}``.
_URL_ID_AFTER = {**ID_AFTER, "instances": "{instance_id}"}
