"""Environments: ``list_environments``, ``get_environment``, ``update_environment``.

``update_environment`` sends :class:`UpdateEnvironmentOrchestration` and a list of
:class:`EnvironmentSkill`; it, ``get_environment`` and ``deploy_release`` reply with an
:class:`Environment`, ``list_environments`` with an :class:`EnvironmentCollection`.
Timestamps (``created``/``updated``) are kept as the ISO-8601 strings the service sends.
"""

import attrs

from ._base import Model
from .assistants import EnvironmentReference as EnvironmentReference  # its home is assistants
from .common import _Dated, _Paged

__all__ = [
    "BaseEnvironmentOrchestration",
    "BaseEnvironmentReleaseReference",
    "Environment",
    "EnvironmentCollection",
    "EnvironmentOrchestration",
    "EnvironmentReleaseReference",
    "EnvironmentSkill",
    "IntegrationReference",
    "UpdateEnvironmentOrchestration",
    "UpdateEnvironmentReleaseReference",
]


@attrs.define(kw_only=True)
class BaseEnvironmentOrchestration(Model):
    """The search skill orchestration settings of an environment (reply)."""

    #: Fall back to the search skill when no intent or action matches.
    search_skill_fallback: bool | None = None


@attrs.define(kw_only=True)
class UpdateEnvironmentOrchestration(Model):
    """The search skill orchestration settings sent to ``update_environment``."""

    #: Fall back to the search skill when no intent or action matches.
    search_skill_fallback: bool | None = None


@attrs.define(kw_only=True)
class BaseEnvironmentReleaseReference(Model):
    """The release currently deployed in an environment (reply)."""

    #: The name (version number, as a string) of the deployed release.
    release: str | None = None


@attrs.define(kw_only=True)
class UpdateEnvironmentReleaseReference(Model):
    """The release deployed in an environment, in update form."""

    #: The name (version number, as a string) of the deployed release.
    release: str | None = None


#: Name of :class:`BaseEnvironmentOrchestration` in older ``ibm-watson`` releases.
EnvironmentOrchestration = BaseEnvironmentOrchestration
#: Name of :class:`BaseEnvironmentReleaseReference` in older ``ibm-watson`` releases.
EnvironmentReleaseReference = BaseEnvironmentReleaseReference


@attrs.define(kw_only=True)
class IntegrationReference(Model):
    """An integration (web chat, phone, ...) that exists in an environment."""

    integration_id: str | None = None
    type: str | None = None


@attrs.define(kw_only=True)
class EnvironmentSkill(Model):
    """A skill of an environment; also sent in ``update_environment(skill_references=...)``.

    The API requires ``skill_id`` in requests.
    """

    skill_id: str | None = None
    #: ``dialog``, ``action`` or ``search``.
    type: str | None = None
    #: A disabled skill in the draft environment handles no messages and is not released.
    disabled: bool | None = None
    #: The skill snapshot deployed to the environment (``draft``, ``1``, ...).
    snapshot: str | None = None
    #: ``main skill``, ``actions skill`` or ``search skill``.
    skill_reference: str | None = None


@attrs.define(kw_only=True)
class Environment(_Dated):
    """An environment of an assistant (``get_environment``, ``update_environment``,
    ``deploy_release``, item of ``list_environments``)."""

    name: str | None = None
    description: str | None = None
    assistant_id: str | None = None
    environment_id: str | None = None
    #: ``draft``, ``live`` or ``staging`` (every other environment).
    environment: str | None = None
    release_reference: BaseEnvironmentReleaseReference | None = None
    orchestration: BaseEnvironmentOrchestration | None = None
    #: Session inactivity timeout, in seconds.
    session_timeout: int | None = None
    integration_references: list[IntegrationReference] | None = None
    skill_references: list[EnvironmentSkill] | None = None


@attrs.define(kw_only=True)
class EnvironmentCollection(_Paged):
    """A page of ``list_environments``."""

    environments: list[Environment] | None = None
