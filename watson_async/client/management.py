"""The authoring and administration half of the v2 API, inherited by ``AssistantClient``.

Assistants, providers, environments, releases (with export download and import upload),
skills, logs, bulk classification and user-data deletion. Each method builds its request
in ``protocol.endpoints`` and hands it to the send path of ``base._BaseClient``, exactly like the
runtime methods; every list method has an ``iter_*`` twin that follows the cursor across
pages (``_BaseClient._paginate``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal, overload

from watson_async import models as _models
from watson_async.client.base import Headers, _BaseClient
from watson_async.client.streams import ByteStream
from watson_async.protocol import endpoints as _endpoints

if TYPE_CHECKING:
    from watson_async.models.assistants import AssistantCollection, AssistantData
    from watson_async.models.bulk_classify import BulkClassifyResponse, BulkClassifyUtterance
    from watson_async.models.environments import (
        Environment,
        EnvironmentCollection,
        EnvironmentSkill,
        UpdateEnvironmentOrchestration,
    )
    from watson_async.models.logs import Log, LogCollection
    from watson_async.models.providers import (
        ProviderCollection,
        ProviderPrivate,
        ProviderResponse,
        ProviderSpecification,
    )
    from watson_async.models.releases import (
        CreateAssistantReleaseImportResponse,
        CreateReleaseExportWithStatusErrors,
        MonitorAssistantReleaseImportArtifactResponse,
        Release,
        ReleaseCollection,
    )
    from watson_async.models.skills import (
        AssistantState,
        SearchSettings,
        Skill,
        SkillImport,
        SkillsAsyncRequestStatus,
        SkillsExport,
    )

__all__ = ["ManagementMethods"]


class ManagementMethods(_BaseClient):
    """Assistants, providers, environments, releases, skills, logs, classification, user data."""

    # --- assistants -------------------------------------------------------------

    async def create_assistant(
        self,
        *,
        language: str | None = None,
        name: str | None = None,
        description: str | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AssistantData:
        """Create an assistant (name at most 64, description at most 128 characters)."""
        request = _endpoints.create_assistant(language, name, description)
        return await self._call(request, _models.AssistantData, headers, timeout)

    async def list_assistants(
        self,
        *,
        page_limit: int | None = None,
        include_count: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AssistantCollection:
        """One page of assistants; see :meth:`iter_assistants` for all of them."""
        request = _endpoints.list_assistants(page_limit, include_count, sort, cursor, include_audit)
        return await self._call(request, _models.AssistantCollection, headers, timeout)

    def iter_assistants(
        self,
        *,
        page_limit: int | None = None,
        sort: str | None = None,
        include_audit: bool | None = None,
        limit: int | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AsyncIterator[AssistantData]:
        """Every assistant, page after page (following the cursor), at most ``limit``.

        ``async for assistant in client.iter_assistants(page_limit=50): ...``. Arguments
        are checked right away; pages are fetched as the loop consumes them.
        """
        return self._paginate(
            lambda cursor: _endpoints.list_assistants(
                page_limit, None, sort, cursor, include_audit
            ),
            _models.AssistantCollection,
            lambda page: page.assistants,
            limit,
            headers,
            timeout,
        )

    async def delete_assistant(
        self,
        assistant_id: str,
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> None:
        """Delete an assistant and everything in it."""
        request = _endpoints.delete_assistant(assistant_id)
        await self._send(request, headers, timeout)

    # --- providers -----------------------------------------------------------------

    async def create_provider(
        self,
        provider_id: str,
        specification: ProviderSpecification | Mapping[str, Any],
        private: ProviderPrivate | Mapping[str, Any],
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> ProviderResponse:
        """Create a conversational skill provider (an OpenAPI description and its secrets)."""
        request = _endpoints.create_provider(provider_id, specification, private)
        return await self._call(request, _models.ProviderResponse, headers, timeout)

    async def list_providers(
        self,
        *,
        page_limit: int | None = None,
        include_count: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> ProviderCollection:
        """One page of providers; see :meth:`iter_providers`."""
        request = _endpoints.list_providers(page_limit, include_count, sort, cursor, include_audit)
        return await self._call(request, _models.ProviderCollection, headers, timeout)

    def iter_providers(
        self,
        *,
        page_limit: int | None = None,
        sort: str | None = None,
        include_audit: bool | None = None,
        limit: int | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AsyncIterator[ProviderResponse]:
        """Every provider across pages, at most ``limit``."""
        return self._paginate(
            lambda cursor: _endpoints.list_providers(page_limit, None, sort, cursor, include_audit),
            _models.ProviderCollection,
            lambda page: page.conversational_skill_providers,
            limit,
            headers,
            timeout,
        )

    async def update_provider(
        self,
        provider_id: str,
        specification: ProviderSpecification | Mapping[str, Any],
        private: ProviderPrivate | Mapping[str, Any],
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> ProviderResponse:
        """Replace a provider's specification and private settings."""
        request = _endpoints.update_provider(provider_id, specification, private)
        return await self._call(request, _models.ProviderResponse, headers, timeout)

    # --- environments ------------------------------------------------------------

    async def list_environments(
        self,
        assistant_id: str,
        *,
        page_limit: int | None = None,
        include_count: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> EnvironmentCollection:
        """One page of an assistant's environments; see :meth:`iter_environments`."""
        request = _endpoints.list_environments(
            assistant_id, page_limit, include_count, sort, cursor, include_audit
        )
        return await self._call(request, _models.EnvironmentCollection, headers, timeout)

    def iter_environments(
        self,
        assistant_id: str,
        *,
        page_limit: int | None = None,
        sort: str | None = None,
        include_audit: bool | None = None,
        limit: int | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AsyncIterator[Environment]:
        """Every environment of an assistant across pages, at most ``limit``."""
        return self._paginate(
            lambda cursor: _endpoints.list_environments(
                assistant_id, page_limit, None, sort, cursor, include_audit
            ),
            _models.EnvironmentCollection,
            lambda page: page.environments,
            limit,
            headers,
            timeout,
        )

    async def get_environment(
        self,
        assistant_id: str,
        environment_id: str,
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Environment:
        """One environment (draft or live) with its release and skills."""
        request = _endpoints.get_environment(assistant_id, environment_id, include_audit)
        return await self._call(request, _models.Environment, headers, timeout)

    async def update_environment(
        self,
        assistant_id: str,
        environment_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        orchestration: UpdateEnvironmentOrchestration | Mapping[str, Any] | None = None,
        session_timeout: int | None = None,
        skill_references: Sequence[EnvironmentSkill | Mapping[str, Any]] | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Environment:
        """Change an environment's name, description, orchestration, timeout or skills."""
        request = _endpoints.update_environment(
            assistant_id,
            environment_id,
            name,
            description,
            orchestration,
            session_timeout,
            skill_references,
        )
        return await self._call(request, _models.Environment, headers, timeout)

    # --- releases ----------------------------------------------------------------

    async def create_release(
        self,
        assistant_id: str,
        *,
        description: str | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Release:
        """Snapshot the draft as a new release (its ``status`` starts as ``Processing``)."""
        request = _endpoints.create_release(assistant_id, description)
        return await self._call(request, _models.Release, headers, timeout)

    async def list_releases(
        self,
        assistant_id: str,
        *,
        page_limit: int | None = None,
        include_count: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> ReleaseCollection:
        """One page of releases; see :meth:`iter_releases`."""
        request = _endpoints.list_releases(
            assistant_id, page_limit, include_count, sort, cursor, include_audit
        )
        return await self._call(request, _models.ReleaseCollection, headers, timeout)

    def iter_releases(
        self,
        assistant_id: str,
        *,
        page_limit: int | None = None,
        sort: str | None = None,
        include_audit: bool | None = None,
        limit: int | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AsyncIterator[Release]:
        """Every release of an assistant across pages, at most ``limit``."""
        return self._paginate(
            lambda cursor: _endpoints.list_releases(
                assistant_id, page_limit, None, sort, cursor, include_audit
            ),
            _models.ReleaseCollection,
            lambda page: page.releases,
            limit,
            headers,
            timeout,
        )

    async def get_release(
        self,
        assistant_id: str,
        release: str,
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Release:
        """One release and its status."""
        request = _endpoints.get_release(assistant_id, release, include_audit)
        return await self._call(request, _models.Release, headers, timeout)

    async def delete_release(
        self,
        assistant_id: str,
        release: str,
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> None:
        """Delete a release."""
        await self._send(_endpoints.delete_release(assistant_id, release), headers, timeout)

    async def deploy_release(
        self,
        assistant_id: str,
        release: str,
        environment_id: str,
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Environment:
        """Deploy a release to an environment; returns the updated environment."""
        request = _endpoints.deploy_release(assistant_id, release, environment_id, include_audit)
        return await self._call(request, _models.Environment, headers, timeout)

    async def create_release_export(
        self,
        assistant_id: str,
        release: str,
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> CreateReleaseExportWithStatusErrors:
        """Start exporting a release; poll :meth:`download_release_export` for its status."""
        request = _endpoints.create_release_export(assistant_id, release, include_audit)
        return await self._call(
            request, _models.CreateReleaseExportWithStatusErrors, headers, timeout
        )

    @overload
    async def download_release_export(
        self,
        assistant_id: str,
        release: str,
        *,
        accept: Literal["application/json"] | None = None,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> CreateReleaseExportWithStatusErrors: ...

    @overload
    async def download_release_export(
        self,
        assistant_id: str,
        release: str,
        *,
        accept: Literal["application/octet-stream"],
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> ByteStream: ...

    async def download_release_export(
        self,
        assistant_id: str,
        release: str,
        *,
        accept: str | None = None,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> CreateReleaseExportWithStatusErrors | ByteStream:
        """The export of a release: as JSON (default), or as an archive to stream.

        With ``accept="application/octet-stream"`` the archive is not loaded into
        memory: you get a :class:`~watson_async.ByteStream` to iterate or ``save()``.
        """
        request = _endpoints.download_release_export(assistant_id, release, accept, include_audit)
        if accept != _endpoints.EXPORT_ARCHIVE:
            return await self._call(
                request, _models.CreateReleaseExportWithStatusErrors, headers, timeout
            )
        opened = await self._open_stream(request, headers, timeout)
        return ByteStream(opened.context, opened.response)

    async def create_release_import(
        self,
        assistant_id: str,
        body: bytes | IO[bytes] | AsyncIterable[bytes],
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> CreateAssistantReleaseImportResponse:
        """Import an exported archive into the draft environment.

        ``body`` is bytes, a binary file (uploaded from its current position, and rewound
        to it for every send: a retry, or the replay after a 401 with a refreshed token)
        or an async iterator of chunks (streamed as produced; such a call can't be
        repeated, so it is sent once: a 401 refreshes the token for later calls and is
        raised as :class:`~watson_async.AuthenticationError`).
        """
        request = _endpoints.create_release_import(assistant_id, body, include_audit)
        return await self._call(
            request, _models.CreateAssistantReleaseImportResponse, headers, timeout
        )

    async def get_release_import_status(
        self,
        assistant_id: str,
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> MonitorAssistantReleaseImportArtifactResponse:
        """The status of the last release import."""
        request = _endpoints.get_release_import_status(assistant_id, include_audit)
        return await self._call(
            request, _models.MonitorAssistantReleaseImportArtifactResponse, headers, timeout
        )

    # --- skills ------------------------------------------------------------------

    async def get_skill(
        self,
        assistant_id: str,
        skill_id: str,
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Skill:
        """One skill (action, dialog or search) with its settings."""
        return await self._call(
            _endpoints.get_skill(assistant_id, skill_id), _models.Skill, headers, timeout
        )

    async def update_skill(
        self,
        assistant_id: str,
        skill_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        workspace: Mapping[str, Any] | None = None,
        dialog_settings: Mapping[str, Any] | None = None,
        search_settings: SearchSettings | Mapping[str, Any] | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> Skill:
        """Change a skill (asynchronous on the service: the status says when it's done)."""
        request = _endpoints.update_skill(
            assistant_id, skill_id, name, description, workspace, dialog_settings, search_settings
        )
        return await self._call(request, _models.Skill, headers, timeout)

    async def export_skills(
        self,
        assistant_id: str,
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> SkillsExport:
        """Every skill of the draft environment, for :meth:`import_skills` elsewhere."""
        request = _endpoints.export_skills(assistant_id, include_audit)
        return await self._call(request, _models.SkillsExport, headers, timeout)

    async def import_skills(
        self,
        assistant_id: str,
        assistant_skills: Sequence[SkillImport | Mapping[str, Any]],
        assistant_state: AssistantState | Mapping[str, Any],
        *,
        include_audit: bool | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> SkillsAsyncRequestStatus:
        """Replace the draft's skills; poll :meth:`import_skills_status`."""
        request = _endpoints.import_skills(
            assistant_id, assistant_skills, assistant_state, include_audit
        )
        return await self._call(request, _models.SkillsAsyncRequestStatus, headers, timeout)

    async def import_skills_status(
        self,
        assistant_id: str,
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> SkillsAsyncRequestStatus:
        """The status of the last skills import."""
        request = _endpoints.import_skills_status(assistant_id)
        return await self._call(request, _models.SkillsAsyncRequestStatus, headers, timeout)

    # --- classification, logs, user data -------------------------------------------

    async def bulk_classify(
        self,
        skill_id: str,
        input: Sequence[BulkClassifyUtterance | Mapping[str, Any]],
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> BulkClassifyResponse:
        """Intents and entities for many utterances at once (no conversation)."""
        request = _endpoints.bulk_classify(skill_id, input)
        return await self._call(request, _models.BulkClassifyResponse, headers, timeout)

    async def list_logs(
        self,
        assistant_id: str,
        *,
        sort: str | None = None,
        filter: str | None = None,
        page_limit: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> LogCollection:
        """One page of logged turns; see :meth:`iter_logs`."""
        request = _endpoints.list_logs(assistant_id, sort, filter, page_limit, cursor)
        return await self._call(request, _models.LogCollection, headers, timeout)

    def iter_logs(
        self,
        assistant_id: str,
        *,
        sort: str | None = None,
        filter: str | None = None,
        page_limit: int | None = None,
        limit: int | None = None,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> AsyncIterator[Log]:
        """Every logged turn matching ``filter`` across pages, at most ``limit``."""
        return self._paginate(
            lambda cursor: _endpoints.list_logs(assistant_id, sort, filter, page_limit, cursor),
            _models.LogCollection,
            lambda page: page.logs,
            limit,
            headers,
            timeout,
        )

    async def delete_user_data(
        self,
        customer_id: str,
        *,
        headers: Headers = None,
        timeout: float | None = None,
    ) -> None:
        """Delete everything labelled with ``customer_id`` (``X-Watson-Metadata``)."""
        await self._send(_endpoints.delete_user_data(customer_id), headers, timeout)
