"""The fake's authoring resources: assistants' environments, skills, releases, release
export/import, skills export/import, conversational skill providers and bulk classify.

Handlers take a :class:`~._common.Call` and return ``(status, payload)`` with plain
dicts; the owning :class:`~._assistant.FakeAssistant` routes, authenticates and rate limits.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._common import (
    NOT_FOUND,
    Call,
    Result,
    bad_body,
    body_object,
    error,
    iso,
    num,
    paginate,
)
from .._records import RecordedUpload
from .._script import INTENT_TITLES, classify
from .._stream import StreamBody, split_chunks

__all__ = ["Assistant", "ResourceAPI"]

MAX_NAME = 64
MAX_DESCRIPTION = 128
MAX_SESSION_TIMEOUT = 7 * 24 * 3600
MAX_CLASSIFY_TEXT = 2048
SKILL_TYPES = ("action", "dialog", "search")
AUTH_METHODS = ("basic", "bearer", "api_key", "oauth2", "none")
_OCTET = "application/octet-stream"


@dataclass(slots=True)
class Task:
    """An asynchronous job (release, export, import, skill update): ``Processing``
    for ``polls_left`` more status reads, then ``done``."""

    task_id: str
    done: str
    polls_left: int
    created: float
    updated: float
    status: str = "Processing"

    @classmethod
    def start(cls, done: str, polls: int, now: float) -> Task:
        task = cls(str(uuid.uuid4()), done, max(polls, 0), now, now)
        return task

    def poll(self, now: float) -> None:
        """One status read: count down, then finish."""
        if self.status != "Processing":
            return
        if self.polls_left > 0:
            self.polls_left -= 1
        else:
            self.finish(now)

    def finish(self, now: float) -> None:
        if self.status == "Processing":
            self.status = self.done
            self.updated = now

    @property
    def description(self) -> str:
        if self.status == "Processing":
            return "The request is being processed."
        return f"The request is {self.status.lower()}."


@dataclass(slots=True)
class Skill:
    skill_id: str
    type: str
    name: str
    description: str
    language: str
    workspace: dict[str, Any] | None
    search_settings: dict[str, Any] | None
    dialog_settings: dict[str, Any] = field(default_factory=dict)
    workspace_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    task: Task | None = None


@dataclass(slots=True)
class Environment:
    environment_id: str
    environment: str  # "draft" | "live"
    name: str
    created: float
    updated: float
    description: str = ""
    search_skill_fallback: bool = False
    session_timeout: int | None = None  # None: the fake's ``session_timeout``
    skill_references: list[dict[str, Any]] | None = None  # None: the assistant's skills
    release: str | None = None
    integration_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(slots=True)
class Release:
    release: str
    description: str
    seq: int
    task: Task
    skills: list[dict[str, Any]]
    created: float
    export: Task | None = None


@dataclass(slots=True)
class Provider:
    provider_id: str
    specification: dict[str, Any]
    private: dict[str, Any]
    seq: int
    created: float
    updated: float


@dataclass(slots=True)
class Assistant:
    assistant_id: str
    name: str
    description: str
    language: str
    draft_environment_id: str
    live_environment_id: str
    seq: int
    updated: float
    environments: dict[str, Environment] = field(default_factory=dict)
    skills: dict[str, Skill] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)
    release_seq: int = 0
    release_import: Task | None = None
    skills_import: Task | None = None

    @classmethod
    def new(
        cls,
        name: str,
        description: str,
        language: str,
        now: float,
        seq: int,
        assistant_id: str | None = None,
        live_environment_id: str | None = None,
    ) -> Assistant:
        assistant = cls(
            assistant_id=assistant_id or str(uuid.uuid4()),
            name=name,
            description=description,
            language=language,
            draft_environment_id=str(uuid.uuid4()),
            live_environment_id=live_environment_id or str(uuid.uuid4()),
            seq=seq,
            updated=now,
        )
        for eid, kind in (
            (assistant.draft_environment_id, "draft"),
            (assistant.live_environment_id, "live"),
        ):
            assistant.environments[eid] = Environment(eid, kind, kind, now, now)
        label = name or "Assistant"
        action = Skill(
            skill_id=str(uuid.uuid4()),
            type="action",
            name=f"{label} Action",
            description=f"The actions of {label}",
            language=language,
            workspace=_action_workspace(language),
            search_settings=None,
        )
        search = Skill(
            skill_id=str(uuid.uuid4()),
            type="search",
            name=f"{label} Search",
            description=f"Search for {label}",
            language=language,
            workspace=None,
            search_settings=_search_settings(),
        )
        assistant.skills = {action.skill_id: action, search.skill_id: search}
        return assistant

    def skill_of_type(self, kind: str) -> Skill | None:
        for skill in self.skills.values():
            if skill.type == kind:
                return skill
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "assistant_id": self.assistant_id,
            "name": self.name,
            "description": self.description,
            "language": self.language,
            "assistant_skills": [],
            "assistant_environments": [
                {
                    "name": "draft",
                    "environment_id": self.draft_environment_id,
                    "environment": "draft",
                },
                {
                    "name": "live",
                    "environment_id": self.live_environment_id,
                    "environment": "live",
                },
            ],
        }


def _skill_reference(kind: str) -> str:
    """The context key of a skill type (``actions skill``, ``main skill`` ...)."""
    return {"action": "actions skill", "dialog": "main skill"}.get(kind, f"{kind} skill")


def _action_workspace(language: str) -> dict[str, Any]:
    """A small action skill definition matching the scripted bot."""
    return {
        "language": language,
        "actions": [
            {
                "action": intent,
                "title": title,
                "condition": (
                    {"expression": "anything_else"} if intent == "echo" else {"intent": intent}
                ),
                "steps": [{"step": "step_001", "output": {"generic": []}}],
            }
            for intent, title in INTENT_TITLES.items()
        ],
        "intents": [
            {"intent": intent, "examples": [{"text": intent.replace("_", " ")}]}
            for intent in INTENT_TITLES
            if intent != "echo"
        ],
        "entities": [],
        "variables": [{"variable": "destination", "title": "Destination", "data_type": "any"}],
    }


def _search_settings() -> dict[str, Any]:
    return {
        "discovery": {
            "instance_id": "9a2ae8c0-0f53-4d7a-9b0c-3c1f0b6a5e21",
            "project_id": "0c2a5a3e-4f6e-4b7b-8a44-1b9d6c4f2e10",
            "url": "https://api.us-south.discovery.watson.cloud.ibm.com",
            "max_primary_results": 3,
            "max_total_results": 10,
            "confidence_threshold": 0.2,
            "highlight": True,
            "find_answers": False,
        },
        "messages": {
            "success": "I found some information that might help.",
            "error": "I can't search right now. Please try again later.",
            "no_result": "I couldn't find anything about that.",
        },
        "schema_mapping": {"url": "url", "body": "text", "title": "title"},
        "conversational_search": {
            "enabled": True,
            "response_length": {"option": "moderate"},
            "search_confidence": {"threshold": "less_often"},
        },
    }


def export_archive(assistant_id: str, release: str, size: int) -> bytes:
    """The deterministic bytes ``download_release_export`` sends for a release."""
    seed = f"watson-async-fake-export/{assistant_id}/{release}".encode()
    return hashlib.shake_256(seed).digest(size) if size > 0 else b""


class Settings(Protocol):
    """What the resource handlers read from the fake (live, changeable attributes)."""

    session_timeout: float
    processing_polls: int
    export_archive_size: int


def _str_field(
    body: Mapping[str, Any], key: str, limit: int, path: str | None = None, *, empty: bool = True
) -> tuple[str | None, Result | None]:
    value = body.get(key)
    where = path or key
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, bad_body(f"{where} must be a string", where)
    if len(value) > limit:
        return None, bad_body(f"{where} cannot be longer than {limit} characters", where)
    if not empty and not value:
        return None, bad_body(f"{where} must not be empty", where)
    return value, None


def _obj_field(
    body: Mapping[str, Any], key: str, path: str | None = None
) -> tuple[dict[str, Any] | None, Result | None]:
    value = body.get(key)
    where = path or key
    if value is None:
        return None, None
    if not isinstance(value, dict):
        return None, bad_body(f"{where} must be an object", where)
    return value, None


def _sorts_by_name_updated(
    name: Callable[[Any], Any], updated: Callable[[Any], Any]
) -> dict[str, Callable[[Any], Any]]:
    return {"name": name, "updated": updated}


class ResourceAPI:
    """The handlers; state lives on the :class:`Assistant` objects and here
    (providers, uploads)."""

    def __init__(self, assistants: dict[str, Assistant], settings: Settings) -> None:
        self._assistants = assistants
        self._settings = settings
        self.providers: dict[str, Provider] = {}
        self._provider_seq = 0
        #: Every ``create_release_import`` body received (size and SHA-256).
        self.release_imports: list[RecordedUpload] = []

    # ------------------------------------------------------------------ helpers

    def _task(self, done: str, now: float) -> Task:
        return Task.start(done, self._settings.processing_polls, now)

    def _env_json(self, assistant: Assistant, env: Environment) -> dict[str, Any]:
        timeout = env.session_timeout
        if timeout is None:
            timeout = int(self._settings.session_timeout)
        snapshot = env.release or "draft"
        if env.skill_references is not None:
            refs = copy.deepcopy(env.skill_references)
        else:
            refs = [
                {
                    "skill_id": skill.skill_id,
                    "type": skill.type,
                    "disabled": False,
                    "snapshot": snapshot,
                    "skill_reference": _skill_reference(skill.type),
                }
                for skill in assistant.skills.values()
            ]
        out: dict[str, Any] = {
            "name": env.name,
            "description": env.description,
            "assistant_id": assistant.assistant_id,
            "environment_id": env.environment_id,
            "environment": env.environment,
        }
        if env.release is not None:
            out["release_reference"] = {"release": env.release}
        out.update(
            {
                "orchestration": {"search_skill_fallback": env.search_skill_fallback},
                "session_timeout": num(timeout),
                "integration_references": [
                    {"integration_id": env.integration_id, "type": "web_chat"}
                ],
                "skill_references": refs,
                "created": iso(env.created),
                "updated": iso(env.updated),
            }
        )
        return out

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

    def _release_json(self, assistant: Assistant, release: Release) -> dict[str, Any]:
        refs = [
            {"name": env.name, "environment_id": env.environment_id, "environment": env.environment}
            for env in assistant.environments.values()
            if env.release == release.release
        ]
        return {
            "release": release.release,
            "description": release.description,
            "environment_references": refs,
            "content": {"skills": copy.deepcopy(release.skills)},
            "status": release.task.status,
            "created": iso(release.created),
            "updated": iso(release.task.updated),
        }

    @staticmethod
    def _export_json(assistant: Assistant, release: Release, task: Task) -> dict[str, Any]:
        return {
            "status": task.status,
            "task_id": task.task_id,
            "assistant_id": assistant.assistant_id,
            "release": release.release,
            "created": iso(task.created),
            "updated": iso(task.updated),
            "status_errors": [],
            "status_description": task.description,
        }

    # ------------------------------------------------------------------ environments

    def list_environments(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        return paginate(
            call.query,
            list(assistant.environments.values()),
            key="environments",
            path=f"/v2/assistants/{aid}/environments",
            sorts=_sorts_by_name_updated(lambda e: e.name, lambda e: e.updated),
            render=lambda env: self._env_json(assistant, env),
        )

    def _environment(self, aid: str, eid: str) -> tuple[Assistant, Environment] | None:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return None
        env = assistant.environments.get(eid)
        return None if env is None else (assistant, env)

    def get_environment(self, call: Call, aid: str, eid: str) -> Result:
        found = self._environment(aid, eid)
        if found is None:
            return NOT_FOUND
        return 200, self._env_json(*found)

    def update_environment(self, call: Call, aid: str, eid: str) -> Result:
        found = self._environment(aid, eid)
        if found is None:
            return NOT_FOUND
        assistant, env = found
        body, err = body_object(call)
        if err is not None:
            return err
        name, err = _str_field(body, "name", MAX_NAME, empty=False)
        if err is not None:
            return err
        description, err = _str_field(body, "description", MAX_DESCRIPTION)
        if err is not None:
            return err
        orchestration, err = _obj_field(body, "orchestration")
        if err is not None:
            return err
        fallback: bool | None = None
        if orchestration is not None and "search_skill_fallback" in orchestration:
            value = orchestration["search_skill_fallback"]
            if not isinstance(value, bool):
                path = "orchestration.search_skill_fallback"
                return bad_body(f"{path} must be a boolean", path)
            fallback = value
        timeout = body.get("session_timeout")
        if timeout is not None and (
            not isinstance(timeout, int)
            or isinstance(timeout, bool)
            or not 1 <= timeout <= MAX_SESSION_TIMEOUT
        ):
            return bad_body(
                f"session_timeout must be an integer from 1 to {MAX_SESSION_TIMEOUT}",
                "session_timeout",
            )
        refs = body.get("skill_references")
        new_refs: list[dict[str, Any]] | None = None
        if refs is not None:
            if not isinstance(refs, list):
                return bad_body("skill_references must be an array", "skill_references")
            new_refs = []
            for i, ref in enumerate(refs):
                path = f"skill_references[{i}]"
                if not isinstance(ref, dict):
                    return bad_body(f"{path} must be an object", path)
                skill_id = ref.get("skill_id")
                if not isinstance(skill_id, str) or skill_id not in assistant.skills:
                    return bad_body(
                        f"{path}.skill_id must be the id of a skill of this assistant",
                        f"{path}.skill_id",
                    )
                skill = assistant.skills[skill_id]
                kind = ref.get("type", skill.type)
                if kind not in SKILL_TYPES:
                    return bad_body(
                        f"{path}.type must be one of {', '.join(SKILL_TYPES)}", f"{path}.type"
                    )
                disabled = ref.get("disabled", False)
                if not isinstance(disabled, bool):
                    return bad_body(f"{path}.disabled must be a boolean", f"{path}.disabled")
                snapshot = ref.get("snapshot", env.release or "draft")
                if not isinstance(snapshot, str):
                    return bad_body(f"{path}.snapshot must be a string", f"{path}.snapshot")
                new_refs.append(
                    {
                        "skill_id": skill_id,
                        "type": kind,
                        "disabled": disabled,
                        "snapshot": snapshot,
                        "skill_reference": ref.get("skill_reference")
                        if isinstance(ref.get("skill_reference"), str)
                        else _skill_reference(str(kind)),
                    }
                )
        if name is not None:
            env.name = name
        if description is not None:
            env.description = description
        if fallback is not None:
            env.search_skill_fallback = fallback
        if timeout is not None:
            env.session_timeout = timeout
        if new_refs is not None:
            env.skill_references = new_refs
        env.updated = call.now
        return 200, self._env_json(assistant, env)

    # ------------------------------------------------------------------ releases

    def create_release(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        body, err = body_object(call)
        if err is not None:
            return err
        description, err = _str_field(body, "description", MAX_DESCRIPTION)
        if err is not None:
            return err
        assistant.release_seq += 1
        name = str(assistant.release_seq)
        skills = [
            {"skill_id": s.skill_id, "type": s.type, "snapshot": name}
            for s in assistant.skills.values()
        ]
        release = Release(
            name,
            description or "",
            assistant.release_seq,
            self._task("Available", call.now),
            skills,
            call.now,
        )
        assistant.releases[name] = release
        return 202, self._release_json(assistant, release)

    def list_releases(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        return paginate(
            call.query,
            list(assistant.releases.values()),
            key="releases",
            path=f"/v2/assistants/{aid}/releases",
            sorts=_sorts_by_name_updated(lambda r: r.seq, lambda r: (r.task.updated, r.seq)),
            render=lambda r: self._release_json(assistant, r),
        )

    def _release(self, aid: str, name: str) -> tuple[Assistant, Release] | None:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return None
        release = assistant.releases.get(name)
        return None if release is None else (assistant, release)

    def get_release(self, call: Call, aid: str, name: str) -> Result:
        found = self._release(aid, name)
        if found is None:
            return NOT_FOUND
        assistant, release = found
        release.task.poll(call.now)
        return 200, self._release_json(assistant, release)

    def delete_release(self, call: Call, aid: str, name: str) -> Result:
        found = self._release(aid, name)
        if found is None:
            return NOT_FOUND
        assistant = found[0]
        for env in assistant.environments.values():
            if env.release == name:
                return error(409, f"Release {name} is deployed to the {env.name} environment")
        del assistant.releases[name]
        return 200, None

    def deploy_release(self, call: Call, aid: str, name: str) -> Result:
        found = self._release(aid, name)
        if found is None:
            return NOT_FOUND
        assistant, release = found
        body, err = body_object(call)
        if err is not None:
            return err
        eid = body.get("environment_id")
        if not isinstance(eid, str) or not eid:
            return bad_body("environment_id is required", "environment_id")
        env = assistant.environments.get(eid)
        if env is None:
            return bad_body(
                "environment_id must be an environment of this assistant", "environment_id"
            )
        if env.environment == "draft":
            return bad_body(
                "A release cannot be deployed to the draft environment", "environment_id"
            )
        if release.task.status != "Available":
            return error(409, f"Release {name} is not available yet")
        env.release = name
        env.updated = call.now
        return 200, self._env_json(assistant, env)

    # ------------------------------------------------------------------ release export

    def create_release_export(self, call: Call, aid: str, name: str) -> Result:
        found = self._release(aid, name)
        if found is None:
            return NOT_FOUND
        assistant, release = found
        if release.task.status != "Available":
            return error(409, f"Release {name} is not available yet")
        release.export = self._task("Available", call.now)
        return 200, self._export_json(assistant, release, release.export)

    def download_release_export(self, call: Call, aid: str, name: str) -> Result:
        found = self._release(aid, name)
        if found is None:
            return NOT_FOUND
        assistant, release = found
        task = release.export
        if task is None:
            return error(404, f"No export exists for release {name}")
        accept = call.headers.get("Accept", "")
        if _OCTET in accept and "application/json" not in accept:
            if task.status != "Available":
                return error(409, f"The export of release {name} is not available yet")
            data = export_archive(aid, name, self._settings.export_archive_size)
            filename = f"assistant-{aid}-release-{name}.zip"
            return 200, StreamBody(
                _OCTET,
                split_chunks(data),
                {"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        task.poll(call.now)
        return 200, self._export_json(assistant, release, task)

    # ------------------------------------------------------------------ release import

    def create_release_import(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        content_type = call.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != _OCTET:
            return error(415, f"Unsupported Media Type: expected {_OCTET}")
        if not call.body:
            return bad_body("The request body must contain the release archive", "")
        self.release_imports.append(
            RecordedUpload(aid, len(call.body), hashlib.sha256(call.body).hexdigest(), content_type)
        )
        task = self._task("Completed", call.now)
        assistant.release_import = task
        return 202, {
            "status": task.status,
            "task_id": task.task_id,
            "assistant_id": aid,
            "skill_impact_in_draft": [s.type for s in assistant.skills.values()],
            "created": iso(task.created),
            "updated": iso(task.updated),
        }

    def get_release_import_status(self, call: Call, aid: str) -> Result:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return NOT_FOUND
        task = assistant.release_import
        if task is None:
            return error(404, "No release import exists for this assistant")
        task.poll(call.now)
        return 200, {
            "status": task.status,
            "task_id": task.task_id,
            "assistant_id": aid,
            "status_errors": [],
            "status_description": task.description,
            "skill_impact_in_draft": [s.type for s in assistant.skills.values()],
            "created": iso(task.created),
            "updated": iso(task.updated),
        }

    # ------------------------------------------------------------------ skills

    def _skill(self, aid: str, skill_id: str) -> tuple[Assistant, Skill] | None:
        assistant = self._assistants.get(aid)
        if assistant is None:
            return None
        skill = assistant.skills.get(skill_id)
        return None if skill is None else (assistant, skill)

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
        changes: dict[str, Any] = {}
        name, err = _str_field(body, "name", MAX_NAME, f"{prefix}name", empty=False)
        if err is not None:
            return {}, err
        description, err = _str_field(body, "description", MAX_DESCRIPTION, f"{prefix}description")
        if err is not None:
            return {}, err
        if name is not None:
            changes["name"] = name
        if description is not None:
            changes["description"] = description
        for key in ("workspace", "dialog_settings", "search_settings"):
            value, err = _obj_field(body, key, f"{prefix}{key}")
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
            sorts=_sorts_by_name_updated(
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
