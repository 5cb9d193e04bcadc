"""Context models: JSON renames, free-form skill system keys, stateless extras."""

import copy
from typing import Any

import attrs
import pytest

from watson_async.models import Model, context
from watson_async.models.context import (
    MessageContext,
    MessageContextActionSkill,
    MessageContextDialogSkill,
    MessageContextGlobal,
    MessageContextGlobalSystem,
    MessageContextSkills,
    MessageContextSkillSystem,
    StatelessMessageContext,
    StatelessMessageContextGlobal,
    StatelessMessageContextSkills,
    StatelessMessageContextSkillsActionsSkill,
)

STATEFUL: dict[str, Any] = {
    "global": {
        "system": {
            "timezone": "America/New_York",
            "user_id": "user-1",
            "turn_count": 3,
            "locale": "en-us",
            "reference_time": "2024-08-25T12:00:00.000Z",
            "session_start_time": "2024-08-25T11:58:00.000Z",
            "state": "b64",
            "skip_user_input": False,
        },
        "session_id": "session-1",
    },
    "skills": {
        "main skill": {"user_defined": {"name": "Ann"}, "system": {"state": "s1", "foo": 1}},
        "actions skill": {
            "user_defined": {},
            "system": {"state": "s2"},
            "action_variables": {"step_1": "x"},
            "skill_variables": {"city": "Boston"},
        },
    },
    "integrations": {"chat": {"browser_info": {"page_url": "https://x"}}},
}


def test_module_classes_follow_conventions() -> None:
    for name in context.__all__:
        cls = getattr(context, name)
        assert issubclass(cls, Model), name
        assert cls.__doc__, name
        assert cls.__doc__.strip(), name
        for field in attrs.fields(cls):
            assert field.default is not attrs.NOTHING, f"{name}.{field.name} is required"


def test_stateful_context_renames() -> None:
    ctx = MessageContext.from_dict(STATEFUL)
    assert ctx.global_ is not None
    assert ctx.global_.session_id == "session-1"
    assert ctx.global_.system == MessageContextGlobalSystem(
        timezone="America/New_York",
        user_id="user-1",
        turn_count=3,
        locale="en-us",
        reference_time="2024-08-25T12:00:00.000Z",
        session_start_time="2024-08-25T11:58:00.000Z",
        state="b64",
        skip_user_input=False,
    )
    assert ctx.skills is not None
    assert ctx.skills.extra is None  # "main skill" / "actions skill" are known keys
    assert isinstance(ctx.skills.main_skill, MessageContextDialogSkill)
    assert ctx.skills.main_skill.user_defined == {"name": "Ann"}
    assert isinstance(ctx.skills.actions_skill, MessageContextActionSkill)
    assert ctx.skills.actions_skill.skill_variables == {"city": "Boston"}
    assert ctx.integrations == {"chat": {"browser_info": {"page_url": "https://x"}}}
    assert ctx.to_dict() == STATEFUL


def test_python_names_are_not_json_names() -> None:
    out = MessageContext(
        global_=MessageContextGlobal(system=MessageContextGlobalSystem(user_id="u")),
        skills=MessageContextSkills(
            main_skill=MessageContextDialogSkill(user_defined={"a": 1}),
            actions_skill=MessageContextActionSkill(skill_variables={"b": 2}),
        ),
    ).to_dict()
    assert out == {
        "global": {"system": {"user_id": "u"}},
        "skills": {
            "main skill": {"user_defined": {"a": 1}},
            "actions skill": {"skill_variables": {"b": 2}},
        },
    }
    # python names on the wire are unknown keys, not the fields
    odd = MessageContext.from_dict({"global_": {}, "skills": {"main_skill": {}}})
    assert odd.global_ is None
    assert odd.extra == {"global_": {}}
    assert odd.skills is not None
    assert odd.skills.main_skill is None


def test_skill_system_keeps_free_form_keys() -> None:
    system = MessageContextSkillSystem.from_dict({"state": "s", "foo": "bar", "n": [1]})
    assert system.state == "s"
    assert system.extra == {"foo": "bar", "n": [1]}
    assert system.to_dict() == {"state": "s", "foo": "bar", "n": [1]}
    built = MessageContextSkillSystem(state="s", extra={"foo": "bar"})
    assert built.to_dict() == {"state": "s", "foo": "bar"}


def test_stateless_context_has_private_variables() -> None:
    data = copy.deepcopy(STATEFUL)
    data["skills"]["actions skill"]["private_action_variables"] = {"enc": "a"}
    data["skills"]["actions skill"]["private_skill_variables"] = {"enc": "b"}
    ctx = StatelessMessageContext.from_dict(data)
    assert isinstance(ctx.global_, StatelessMessageContextGlobal)
    assert isinstance(ctx.skills, StatelessMessageContextSkills)
    actions = ctx.skills.actions_skill
    assert isinstance(actions, StatelessMessageContextSkillsActionsSkill)
    assert actions.private_action_variables == {"enc": "a"}
    assert actions.private_skill_variables == {"enc": "b"}
    assert actions.extra is None
    assert ctx.to_dict() == data
    # the stateful model keeps them too, as unknown keys
    stateful = MessageContext.from_dict(data)
    assert stateful.skills is not None
    assert stateful.skills.actions_skill is not None
    assert stateful.skills.actions_skill.extra == {
        "private_action_variables": {"enc": "a"},
        "private_skill_variables": {"enc": "b"},
    }
    assert stateful.to_dict() == data


@pytest.mark.parametrize("cls", [MessageContext, StatelessMessageContext])
def test_empty_and_null_contexts(cls: type[Model]) -> None:
    assert cls.from_dict({}).to_dict() == {}
    partial = cls.from_dict({"global": None, "skills": {"main skill": None}, "integrations": None})
    assert partial.to_dict() == {"skills": {}}


def test_context_round_trips_through_a_stateless_turn() -> None:
    """What the service returns is sent back unchanged, unknown keys included."""
    returned = copy.deepcopy(STATEFUL)
    returned["skills"]["actions skill"]["private_skill_variables"] = {"x": "enc"}
    returned["skills"]["some future skill"] = {"system": {"state": "z"}}
    returned["global"]["system"]["new_flag"] = True
    ctx = StatelessMessageContext.from_dict(returned)
    resent = StatelessMessageContext.from_dict(ctx.to_dict())
    assert resent == ctx
    assert resent.to_dict() == returned
