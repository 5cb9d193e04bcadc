"""Conversation context: ``context`` of ``message`` and ``message_stateless``.

The stateful API keeps the context server-side and returns it only when asked
(``input.options.return_context``); the stateless API returns it on every turn and
expects it back verbatim on the next one. Free-form parts are plain ``dict`` values;
keys the models do not know are kept in ``extra`` so a round trip loses nothing.
"""

from typing import Any, ClassVar

import attrs

from ._base import Model, json_field

__all__ = [
    "MessageContext",
    "MessageContextActionSkill",
    "MessageContextDialogSkill",
    "MessageContextGlobal",
    "MessageContextGlobalSystem",
    "MessageContextSkillSystem",
    "MessageContextSkills",
    "StatelessMessageContext",
    "StatelessMessageContextGlobal",
    "StatelessMessageContextSkills",
    "StatelessMessageContextSkillsActionsSkill",
]


@attrs.define(kw_only=True)
class MessageContextGlobalSystem(Model):
    """Built-in global context (``context.global.system``) shared by all skills."""

    #: IANA time zone used to interpret dates and times (``America/New_York``).
    timezone: str | None = None
    #: The end user; billing counts unique users by this value.
    user_id: str | None = None
    #: Turns processed so far; the service increments it on every message.
    turn_count: int | None = None
    #: Locale for dates and numbers, such as ``en-us`` or ``fr-fr``.
    locale: str | None = None
    #: UTC timestamp (``YYYY-MM-DDTHH:mm:ss.sssZ``) used instead of "now".
    reference_time: str | None = None
    #: When the session started, as a UTC timestamp.
    session_start_time: str | None = None
    #: Opaque, encoded session state the service may return.
    state: str | None = None
    #: Make the next turn skip waiting for user input (actions only).
    skip_user_input: bool | None = None


@attrs.define(kw_only=True)
class MessageContextGlobal(Model):
    """Context shared by all skills of the assistant (JSON ``context.global``)."""

    system: MessageContextGlobalSystem | None = None
    #: The session id (returned on responses; read-only).
    session_id: str | None = None


@attrs.define(kw_only=True)
class StatelessMessageContextGlobal(Model):
    """``context.global`` of the stateless API; same shape as the stateful one."""

    system: MessageContextGlobalSystem | None = None
    #: The session id (returned on responses; read-only).
    session_id: str | None = None


@attrs.define(kw_only=True)
class MessageContextSkillSystem(Model):
    """System context of one skill (``skills.<skill>.system``).

    Besides the opaque ``state`` the service may store arbitrary keys here; they are
    in ``extra`` and are written back by ``to_dict()``.
    """

    #: Opaque, encoded skill state; send it back unchanged.
    state: str | None = None


@attrs.define(kw_only=True)
class MessageContextDialogSkill(Model):
    """Context of the dialog skill (JSON ``skills["main skill"]``)."""

    #: Arbitrary user variables of the dialog skill.
    user_defined: dict[str, Any] | None = None
    system: MessageContextSkillSystem | None = None


@attrs.define(kw_only=True)
class MessageContextActionSkill(Model):
    """Context of the actions skill (JSON ``skills["actions skill"]``)."""

    #: Arbitrary user variables of the actions skill.
    user_defined: dict[str, Any] | None = None
    system: MessageContextSkillSystem | None = None
    #: Action variables of the current action (name -> value).
    action_variables: dict[str, Any] | None = None
    #: Session variables of the actions skill (name -> value).
    skill_variables: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class StatelessMessageContextSkillsActionsSkill(Model):
    """Actions-skill context of the stateless API, with the encrypted private variables."""

    #: Arbitrary user variables of the actions skill.
    user_defined: dict[str, Any] | None = None
    system: MessageContextSkillSystem | None = None
    #: Action variables of the current action (name -> value).
    action_variables: dict[str, Any] | None = None
    #: Session variables of the actions skill (name -> value).
    skill_variables: dict[str, Any] | None = None

    #: Private action variables (returned encrypted; send back unchanged).
    private_action_variables: dict[str, Any] | None = None
    #: Private session variables (returned encrypted; send back unchanged).
    private_skill_variables: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class MessageContextSkills(Model):
    """Per-skill context (``context.skills``) of the stateful API."""

    #: The dialog skill (JSON ``"main skill"``).
    main_skill: MessageContextDialogSkill | None = json_field("main skill")
    #: The actions skill (JSON ``"actions skill"``).
    actions_skill: MessageContextActionSkill | None = json_field("actions skill")


@attrs.define(kw_only=True)
class StatelessMessageContextSkills(Model):
    """Per-skill context (``context.skills``) of the stateless API."""

    #: The dialog skill (JSON ``"main skill"``).
    main_skill: MessageContextDialogSkill | None = json_field("main skill")
    #: The actions skill (JSON ``"actions skill"``).
    actions_skill: StatelessMessageContextSkillsActionsSkill | None = json_field("actions skill")


@attrs.define(kw_only=True)
class MessageContext(Model):
    """Context of a stateful ``message`` call (request and response)."""

    __watson_deferred__: ClassVar[bool] = True  # typed on first read

    #: Global context (JSON ``"global"``).
    global_: MessageContextGlobal | None = json_field("global")
    skills: MessageContextSkills | None = None
    #: Integration-specific data (channels, Segment, ...), free-form.
    integrations: dict[str, Any] | None = None


@attrs.define(kw_only=True)
class StatelessMessageContext(Model):
    """Context of a ``message_stateless`` call; send the returned one back next turn."""

    #: Global context (JSON ``"global"``).
    global_: StatelessMessageContextGlobal | None = json_field("global")
    skills: StatelessMessageContextSkills | None = None
    #: Integration-specific data (channels, Segment, ...), free-form.
    integrations: dict[str, Any] | None = None
