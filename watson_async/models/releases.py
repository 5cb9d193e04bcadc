"""Releases: ``create_release``, ``list_releases``, ``get_release``, their export and import.

``create_release_export`` and ``download_release_export`` (JSON form) reply with a
:class:`CreateReleaseExportWithStatusErrors`; ``create_release_import`` with a
:class:`CreateAssistantReleaseImportResponse` and ``get_release_import_status`` with a
:class:`MonitorAssistantReleaseImportArtifactResponse`. ``status`` values (``Available``,
``Completed``, ``Failed``, ``Processing``) are plain strings, and timestamps stay the
ISO-8601 strings the service sends.
"""

import attrs

from ._base import Model
from .assistants import EnvironmentReference
from .common import _Dated, _Paged

__all__ = [
    "CreateAssistantReleaseImportResponse",
    "CreateReleaseExportWithStatusErrors",
    "MonitorAssistantReleaseImportArtifactResponse",
    "Release",
    "ReleaseCollection",
    "ReleaseContent",
    "ReleaseSkill",
    "StatusError",
]


@attrs.define(kw_only=True)
class ReleaseSkill(Model):
    """A skill snapshot saved in a release."""

    skill_id: str | None = None
    #: ``dialog``, ``action`` or ``search``.
    type: str | None = None
    #: The skill snapshot saved in the release (``draft``, ``1``, ...).
    snapshot: str | None = None


@attrs.define(kw_only=True)
class ReleaseContent(Model):
    """The versionable content (skill snapshots) included in a release."""

    skills: list[ReleaseSkill] | None = None


@attrs.define(kw_only=True)
class Release(_Dated):
    """A release of an assistant (``create_release``, ``get_release``, item of
    ``list_releases``)."""

    #: The name of the release: its version number, as a string.
    release: str | None = None
    description: str | None = None
    #: The environments this release is deployed to.
    environment_references: list[EnvironmentReference] | None = None
    content: ReleaseContent | None = None
    #: ``Available``, ``Failed`` or ``Processing``.
    status: str | None = None


@attrs.define(kw_only=True)
class ReleaseCollection(_Paged):
    """A page of ``list_releases``."""

    releases: list[Release] | None = None


@attrs.define(kw_only=True)
class StatusError(Model):
    """An error that made an asynchronous operation fail."""

    message: str | None = None


@attrs.define(kw_only=True)
class CreateReleaseExportWithStatusErrors(_Dated):
    """A release export (``create_release_export``, ``download_release_export`` as JSON)."""

    #: ``Available``, ``Failed`` or ``Processing``.
    status: str | None = None
    task_id: str | None = None
    assistant_id: str | None = None
    #: The name of the release: its version number, as a string.
    release: str | None = None
    #: Only when ``status`` is ``Failed``.
    status_errors: list[StatusError] | None = None
    #: Only when ``status`` is ``Failed``.
    status_description: str | None = None


@attrs.define(kw_only=True)
class CreateAssistantReleaseImportResponse(_Dated):
    """The reply of ``create_release_import`` (HTTP 202)."""

    #: ``Failed`` or ``Processing``.
    status: str | None = None
    task_id: str | None = None
    assistant_id: str | None = None
    #: Skill types (``action``, ``dialog``) of the draft environment the import overrides.
    skill_impact_in_draft: list[str] | None = None


@attrs.define(kw_only=True)
class MonitorAssistantReleaseImportArtifactResponse(_Dated):
    """The reply of ``get_release_import_status``."""

    #: ``Completed``, ``Failed`` or ``Processing``.
    status: str | None = None
    task_id: str | None = None
    assistant_id: str | None = None
    #: Only when ``status`` is ``Failed``.
    status_errors: list[StatusError] | None = None
    #: Only when ``status`` is ``Failed``.
    status_description: str | None = None
    #: Skill types (``action``, ``dialog``) of the draft environment the import overrides.
    skill_impact_in_draft: list[str] | None = None
