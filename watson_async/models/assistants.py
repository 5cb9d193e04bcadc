"""Assistants: ``create_assistant`` and ``list_assistants``."""

import attrs

from ._base import Model
from .common import _Paged

__all__ = ["AssistantCollection", "AssistantData", "AssistantSkill", "EnvironmentReference"]


@attrs.define(kw_only=True)
class AssistantSkill(Model):
    """A skill of an assistant."""

    skill_id: str | None = None
    #: ``dialog``, ``action`` or ``search``.
    type: str | None = None


@attrs.define(kw_only=True)
class EnvironmentReference(Model):
    """An environment of an assistant."""

    name: str | None = None
    environment_id: str | None = None
    #: ``draft``, ``live`` or ``staging``.
    environment: str | None = None


@attrs.define(kw_only=True)
class AssistantData(Model):
    """An assistant (reply of ``create_assistant``, item of ``list_assistants``)."""

    assistant_id: str | None = None
    name: str | None = None
    description: str | None = None
    #: Language code such as ``en``.
    language: str | None = None
    assistant_skills: list[AssistantSkill] | None = None
    assistant_environments: list[EnvironmentReference] | None = None


@attrs.define(kw_only=True)
class AssistantCollection(_Paged):
    """A page of ``list_assistants``."""

    assistants: list[AssistantData] | None = None
