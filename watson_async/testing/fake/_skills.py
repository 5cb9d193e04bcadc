"""The fake's skill and provider handlers: skills (get/update), skills export/import,
bulk classify and conversational skill providers.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._common import NOT_FOUND, Call, Result, bad_body, body_object, error, iso, paginate
from .._script import classify
from ._resources import (
    AUTH_METHODS,
    MAX_CLASSIFY_TEXT,
    SKILL_TYPES,
    Assistant,
    Provider,
    ResourceBase,
    Skill,
    Task,
    naming_changes,
    obj_field,
    sorts_by_name_updated,
)

__all__ = ["SkillsAPI"]


class SkillsAPI(ResourceBase):
    """Skills, skills export/import, bulk classify and providers."""

    def _skill_json(self, assistant: Assistant, skill: Skill) -> dict[str, Any]:
        status = skill.task.status if skill.task is not None else "Available"
        out: dict[str, Any] = {
            "name": skill.name,
            "description": skill.description,
        }
        if skill.workspace is not None:
            out["workspace"] = copy.deepcopy(skill.workspace)
        out.update(
            {
                "skill_id": skill.skill_id,
                "status": status,
                "status_errors": [],
                "status_description": (
                    "The skill is being updated." if status == "Processing" else ""
                ),
                "dialog_settings": copy.deepcopy(skill.dialog_settings),
                "assistant_id": assistant.assistant_id,
                "workspace_id": skill.workspace_id,
                "environment_id": assistant.draft_environment_id,
                "valid": True,
                "next_snapshot_version": str(assistant.release_seq + 1),
            }
        )
        if skill.search_settings is not None:
            out["search_settings"] = copy.deepcopy(skill.search_settings)
        out.update({"warnings": [], "language": skill.language, "type": skill.type})
        return out

    # ------------------------------------------------------------------ skills

    def _skill(self, aid: str, skill_id: str) -> tuple[Assistant, Skill] | None:
        return self._owned(aid, lambda assistant: assistant.skills, skill_id)

    def get_skill(self, call: Call, aid: str, skill_id: str) -> Result:
        found = self._skill(aid, skill_id)
        if found is None:
            return NOT_FOUND
        assistant, skill = found
        if skill.task is not None:
            skill.task.poll(call.now)
        return 200, self._skill_json(assistant, skill)

    @staticmethod
    def _skill_changes(
        body: Mapping[str, Any], kind: str, prefix: str = ""
    ) -> tuple[dict[str, Any], Result | None]:
        """The updatable fields of a skill in ``body``, validated."""
        changes, err = naming_changes(body, prefix)
        if err is not None:
            return {}, err
        for key in ("workspace", "dialog_settings", "search_settings"):
            value, err = obj_field(body, key, f"{prefix}{key}")
            if err is not None:
                return {}, err
            if value is not None:
                if key == "search_settings" and kind != "search":
                    path = f"{prefix}{key}"
                    return {}, bad_body(f"{path} is only valid for search skills", path)
                changes[key] = copy.deepcopy(value)
        return changes, None

    @staticmethod
    def _apply_skill(skill: Skill, changes: Mapping[str, Any]) -> None:
        for key, value in changes.items():
            setattr(skill, key, value)

    def update_skill(self, call: Call, aid: str, skill_id: str) -> Result:
        found = self._skill(aid, skill_id)
        if found is None:
            return NOT_FOUND
        assistant, skill = found
        body, err = body_object(call)
        if err is not None:
            return err
        changes, err = self._skill_changes(body, skill.type)
        if err is not None:
            return err
        self._apply_skill(skill, changes)
        skill.task = self._task("Available", call.now)
        assistant.updated = call.now
        return 202, self._skill_json(assistant, skill)

    def export_skills(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        return 200, {
            "assistant_skills": [self._skill_json(assistant, s) for s in assistant.skills.values()],
            "assistant_state": {"action_disabled": False, "dialog_disabled": False},
        }

    def import_skills(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        body, err = body_object(call)
        if err is not None:
            return err
        skills = body.get("assistant_skills")
        if not isinstance(skills, list):
            return bad_body("assistant_skills must be an array", "assistant_skills")
        state = body.get("assistant_state")
        if not isinstance(state, dict):
            return bad_body("assistant_state must be an object", "assistant_state")
        for key in ("action_disabled", "dialog_disabled"):
            if not isinstance(state.get(key), bool):
                path = f"assistant_state.{key}"
                return bad_body(f"{path} must be a boolean", path)
        updates: list[tuple[Skill, dict[str, Any]]] = []
        for i, item in enumerate(skills):
            prefix = f"assistant_skills[{i}]."
            if not isinstance(item, dict):
                path = f"assistant_skills[{i}]"
                return bad_body(f"{path} must be an object", path)
            kind = item.get("type")
            if kind not in SKILL_TYPES:
                return bad_body(
                    f"{prefix}type must be one of {', '.join(SKILL_TYPES)}", f"{prefix}type"
                )
            changes, err = self._skill_changes(item, str(kind), prefix)
            if err is not None:
                return err
            target = assistant.skill_of_type(str(kind))
            if target is not None:
                updates.append((target, changes))
        for target, changes in updates:
            self._apply_skill(target, changes)
        assistant.updated = call.now
        task = self._task("Completed", call.now)
        assistant.skills_import = task
        return 202, self._skills_import_json(assistant, task)

    @staticmethod
    def _skills_import_json(assistant: Assistant, task: Task) -> dict[str, Any]:
        return {
            "assistant_id": assistant.assistant_id,
            "status": task.status,
            "status_description": task.description,
            "status_errors": [],
        }

    def import_skills_status(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        task = assistant.skills_import
        if task is None:
            return error(404, "No skills import exists for this assistant")
        task.poll(call.now)
        return 200, self._skills_import_json(assistant, task)

    def bulk_classify(self, call: Call, skill_id: str) -> Result:
        skill = None
        for assistant in self._assistants.values():
            skill = assistant.skills.get(skill_id)
            if skill is not None:
                break
        if skill is None:
            return NOT_FOUND
        if skill.type == "search":
            return error(400, "Bulk classify is not supported for search skills")
        body, err = body_object(call)
        if err is not None:
            return err
        inputs = body.get("input")
        if not isinstance(inputs, list) or not inputs:
            return bad_body("input must be a non-empty array", "input")
        texts: list[str] = []
        for i, item in enumerate(inputs):
            path = f"input[{i}].text"
            text = item.get("text") if isinstance(item, dict) else None
            if not isinstance(text, str):
                return bad_body(f"{path} must be a string", path)
            if len(text) > MAX_CLASSIFY_TEXT:
                return bad_body(
                    f"{path} cannot be longer than {MAX_CLASSIFY_TEXT} characters", path
                )
            texts.append(text)
        return 200, {"output": [classify(text) for text in texts]}

    # ------------------------------------------------------------------ providers

    def _provider_json(self, provider: Provider) -> dict[str, Any]:
        # ``private`` (credentials) is never returned.
        return {
            "provider_id": provider.provider_id,
            "specification": copy.deepcopy(provider.specification),
            "created": iso(provider.created),
            "updated": iso(provider.updated),
        }

    @staticmethod
    def _check_specification(spec: Any) -> Result | None:
        if not isinstance(spec, dict):
            return bad_body("specification must be an object", "specification")
        servers = spec.get("servers")
        if servers is not None:
            if not isinstance(servers, list):
                return bad_body("specification.servers must be an array", "specification.servers")
            for i, server in enumerate(servers):
                path = f"specification.servers[{i}].url"
                url = server.get("url") if isinstance(server, dict) else None
                if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                    return bad_body(f"{path} must be an http(s) URL", path)
        components = spec.get("components")
        if components is not None:
            if not isinstance(components, dict):
                path = "specification.components"
                return bad_body(f"{path} must be an object", path)
            schemes = components.get("securitySchemes")
            if schemes is not None:
                path = "specification.components.securitySchemes"
                if not isinstance(schemes, dict):
                    return bad_body(f"{path} must be an object", path)
                method = schemes.get("authentication_method")
                if method is not None and method not in AUTH_METHODS:
                    path += ".authentication_method"
                    return bad_body(f"{path} must be one of {', '.join(AUTH_METHODS)}", path)
        return None

    @staticmethod
    def _check_private(private: Any) -> Result | None:
        if not isinstance(private, dict):
            return bad_body("private must be an object", "private")
        if not isinstance(private.get("authentication"), dict):
            return bad_body("private.authentication must be an object", "private.authentication")
        return None

    def create_provider(self, call: Call) -> Result:
        body, err = body_object(call)
        if err is not None:
            return err
        pid = body.get("provider_id")
        if (
            not isinstance(pid, str)
            or not pid
            or len(pid) > 256
            or any(c in pid for c in "/?#% \t\r\n")
        ):
            return bad_body(
                "provider_id must be 1 to 256 characters without '/', '?', '#', '%' or spaces",
                "provider_id",
            )
        err = self._check_specification(body.get("specification"))
        if err is None:
            err = self._check_private(body.get("private"))
        if err is not None:
            return err
        if pid in self.providers:
            return error(409, f"A provider with provider_id `{pid}` already exists")
        self._provider_seq += 1
        provider = Provider(
            pid,
            copy.deepcopy(body["specification"]),
            copy.deepcopy(body["private"]),
            self._provider_seq,
            call.now,
            call.now,
        )
        self.providers[pid] = provider
        return 200, self._provider_json(provider)

    def list_providers(self, call: Call) -> Result:
        return paginate(
            call.query,
            list(self.providers.values()),
            key="conversational_skill_providers",
            path="/v2/providers",
            sorts=sorts_by_name_updated(
                lambda p: (p.provider_id, p.seq), lambda p: (p.updated, p.seq)
            ),
            render=self._provider_json,
        )

    def update_provider(self, call: Call, pid: str) -> Result:
        provider = self.providers.get(pid)
        if provider is None:
            return NOT_FOUND
        body, err = body_object(call)
        if err is not None:
            return err
        err = self._check_specification(body.get("specification"))
        if err is None:
            err = self._check_private(body.get("private"))
        if err is not None:
            return err
        provider.specification = copy.deepcopy(body["specification"])
        provider.private = copy.deepcopy(body["private"])
        provider.updated = call.now
        return 200, self._provider_json(provider)
