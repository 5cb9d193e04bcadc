"""Skills: ``get_skill``, ``update_skill``, ``export_skills``, ``import_skills``.

A skill's conversational content (``workspace``) and its ``dialog_settings`` are large,
free-form documents: they stay plain ``dict`` values. The search skill's configuration
(``search_settings``) is modelled, because clients build it for ``update_skill``.

Request models (:class:`SkillImport`, :class:`AssistantState`, :class:`SearchSettings`
and below) are sent as they are: ``to_dict()`` gives the JSON body with unset (``None``)
fields left out. Enumerated values (``status``, ``type``, ``auth_type``, ...) are plain
strings so values added by the service still parse.
"""

from typing import Any

import attrs

from ._base import Model
from .releases import StatusError

__all__ = [
    "AssistantState",
    "SearchSettings",
    "SearchSettingsClientSideSearch",
    "SearchSettingsConversationalSearch",
    "SearchSettingsConversationalSearchResponseLength",
    "SearchSettingsConversationalSearchSearchConfidence",
    "SearchSettingsDiscovery",
    "SearchSettingsDiscoveryAuthentication",
    "SearchSettingsElasticSearch",
    "SearchSettingsMessages",
    "SearchSettingsSchemaMapping",
    "SearchSettingsServerSideSearch",
    "SearchSkillWarning",
    "Skill",
    "SkillImport",
    "SkillsAsyncRequestStatus",
    "SkillsExport",
]


# --- search skill configuration ----------------------------------------------------------


@attrs.define(kw_only=True)
class SearchSettingsDiscoveryAuthentication(Model):
    """Credentials for Watson Discovery: give either ``basic`` or ``bearer``, not both."""

    #: HTTP basic credentials in the form ``apikey:{apikey}``.
    basic: str | None = None
    #: A bearer token.
    bearer: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsDiscovery(Model):
    """The Watson Discovery instance a search skill queries."""

    instance_id: str | None = None
    project_id: str | None = None
    #: The URL of the Discovery service instance.
    url: str | None = None
    max_primary_results: int | None = None
    #: Maximum number of primary and additional results together.
    max_total_results: int | None = None
    #: Results below this confidence are dropped.
    confidence_threshold: float | None = None
    #: Return the most relevant passages in each result's ``highlight``.
    highlight: bool | None = None
    #: Emphasize answers within the highlighted passages (Discovery v2 only).
    find_answers: bool | None = None
    authentication: SearchSettingsDiscoveryAuthentication | None = None


@attrs.define(kw_only=True)
class SearchSettingsMessages(Model):
    """The messages a search skill adds to its responses."""

    #: Sent with successful results.
    success: str | None = None
    #: Sent when the query fails.
    error: str | None = None
    #: Sent when nothing was found.
    no_result: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsSchemaMapping(Model):
    """Which collection fields fill a search result's ``url``, ``body`` and ``title``."""

    url: str | None = None
    body: str | None = None
    title: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsElasticSearch(Model):
    """The Elasticsearch service a search skill queries (basic or API-key auth)."""

    url: str | None = None
    #: The port, as a string; may be left out when ``url`` has one.
    port: str | None = None
    username: str | None = None
    #: Never returned by the service.
    password: str | None = None
    index: str | None = None
    #: Filters that ``query_body`` can use through ``$FILTER``.
    filter: list[Any] | None = None
    #: The Elasticsearch query object.
    query_body: dict[str, Any] | None = None
    #: The index documents uploaded through the user interface go to.
    managed_index: str | None = None
    #: Never returned by the service.
    apikey: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsConversationalSearchResponseLength(Model):
    """How long generated answers are."""

    #: ``concise``, ``moderate`` or ``verbose``.
    option: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsConversationalSearchSearchConfidence(Model):
    """How readily conversational search answers "I don't know"."""

    #: ``rarely``, ``less_often``, ``more_often`` or ``most_often``.
    threshold: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsConversationalSearch(Model):
    """Conversational search (answers generated from the search results)."""

    enabled: bool | None = None
    response_length: SearchSettingsConversationalSearchResponseLength | None = None
    search_confidence: SearchSettingsConversationalSearchSearchConfidence | None = None


@attrs.define(kw_only=True)
class SearchSettingsServerSideSearch(Model):
    """A custom server-side search service (basic auth, API key or none)."""

    url: str | None = None
    #: The port, as a string.
    port: str | None = None
    username: str | None = None
    #: Never returned by the service.
    password: str | None = None
    #: Filter applied to the search results.
    filter: str | None = None
    metadata: dict[str, Any] | None = None
    #: Never returned by the service.
    apikey: str | None = None
    #: ``true`` clears the stored credentials.
    no_auth: bool | None = None
    #: ``basic``, ``apikey`` or ``none``.
    auth_type: str | None = None


@attrs.define(kw_only=True)
class SearchSettingsClientSideSearch(Model):
    """Client-side search: the client runs the search and sends the results."""

    #: Filter applied to the search results.
    filter: str | None = None
    metadata: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class SearchSettings(Model):
    """The configuration of a search skill (``search_settings``).

    ``update_skill`` accepts it; ``import_skills`` does not, and ``export_skills``
    leaves it out. The service requires ``messages``, ``schema_mapping`` and
    ``conversational_search`` plus one search back end (``discovery``,
    ``elastic_search``, ``server_side_search`` or ``client_side_search``).
    """

    discovery: SearchSettingsDiscovery | None = None
    messages: SearchSettingsMessages | None = None
    schema_mapping: SearchSettingsSchemaMapping | None = None
    elastic_search: SearchSettingsElasticSearch | None = None
    conversational_search: SearchSettingsConversationalSearch | None = None
    server_side_search: SearchSettingsServerSideSearch | None = None
    client_side_search: SearchSettingsClientSideSearch | None = None


@attrs.define(kw_only=True)
class SearchSkillWarning(Model):
    """A problem in a search skill's configuration (``warnings[]``)."""

    code: str | None = None
    #: Where in ``search_settings`` the problem is.
    path: str | None = None
    message: str | None = None


# --- skills ------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class SkillImport(Model):
    """A skill as ``import_skills`` takes it (an ``action`` or ``dialog`` skill).

    The import body is meant to be an ``export_skills`` reply sent back unchanged, so
    :class:`Skill` (what ``export_skills`` returns) derives from this class and can be
    passed wherever a ``SkillImport`` is expected.
    """

    name: str | None = None
    description: str | None = None
    #: The conversational content of an action or dialog skill (free-form).
    workspace: dict[str, Any] | None = None
    skill_id: str | None = None
    #: ``Available``, ``Failed``, ``Non Existent``, ``Processing``, ``Training`` or
    #: ``Unavailable``.
    status: str | None = None
    #: Why an asynchronous operation failed (when ``status`` is ``Failed``).
    status_errors: list[StatusError] | None = None
    status_description: str | None = None
    #: For internal use (free-form).
    dialog_settings: dict[str, Any] | None = None
    assistant_id: str | None = None
    #: Action and dialog skills only.
    workspace_id: str | None = None
    #: Always the draft environment for action and dialog skills.
    environment_id: str | None = None
    #: Whether the skill is structurally valid.
    valid: bool | None = None
    #: The name the next snapshot of the skill will get.
    next_snapshot_version: str | None = None
    search_settings: SearchSettings | None = None
    #: Problems in the search configuration (search skills only).
    warnings: list[SearchSkillWarning] | None = None
    #: Language code such as ``en``.
    language: str | None = None
    #: ``action`` or ``dialog`` (``search`` for a :class:`Skill`).
    type: str | None = None


@attrs.define(kw_only=True)
class Skill(SkillImport):
    """A skill of an assistant (``get_skill``, ``update_skill``, ``export_skills``).

    ``update_skill`` replies HTTP 202: the update runs asynchronously, poll
    ``get_skill`` until ``status`` is no longer ``Processing``.
    """


@attrs.define(kw_only=True)
class AssistantState(Model):
    """Which skills are disabled in the draft environment (export and import)."""

    action_disabled: bool | None = None
    dialog_disabled: bool | None = None


@attrs.define(kw_only=True)
class SkillsExport(Model):
    """The reply of ``export_skills``; send it back to ``import_skills`` unchanged.

    The skills and their state are included only once the export is ``Available``.
    """

    assistant_skills: list[Skill] | None = None
    assistant_state: AssistantState | None = None


@attrs.define(kw_only=True)
class SkillsAsyncRequestStatus(Model):
    """The status of an asynchronous skills import (``import_skills[_status]``)."""

    assistant_id: str | None = None
    #: ``Available``, ``Completed``, ``Failed`` or ``Processing``.
    status: str | None = None
    status_description: str | None = None
    #: Why the operation failed (when ``status`` is ``Failed``).
    status_errors: list[StatusError] | None = None
