"""The fake's authoring resources: the records (assistants with their environments,
skills and releases; asynchronous tasks; providers), their defaults, and
:class:`ResourceBase`, the state the handlers share.

The handlers are in :mod:`._releases` (environments, releases, release export/import)
and :mod:`._skills` (skills, skills export/import, bulk classify, providers), joined in
:class:`._authoring.ResourceAPI`. They take a :class:`~.._common.Call` and return
``(status, payload)`` with plain dicts; the owning :class:`~._assistant.FakeAssistant`
routes, authenticates and rate limits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .._common import Result, bad_body
from .._records import RecordedUpload
from .._script import INTENT_TITLES

__all__ = ["Assistant", "ResourceBase", "export_archive"]

MAX_NAME = 64
MAX_DESCRIPTION = 128
MAX_SESSION_TIMEOUT = 7 * 24 * 3600
MAX_CLASSIFY_TEXT = 2048
SKILL_TYPES = ("action", "dialog", "search")
AUTH_METHODS = ("basic", "bearer", "api_key", "oauth2", "none")
OCTET = "application/octet-stream"


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
        assistant_id: str | None = None,
        live_environment_id: str | None = None,
    ) -> Assistant:
        """A new assistant with its draft and live environments and its action and
        search skills; ``seq`` is set when the fake registers it."""
        assistant = cls(
            assistant_id=assistant_id or str(uuid.uuid4()),
            name=name,
            description=description,
            language=language,
            draft_environment_id=str(uuid.uuid4()),
            live_environment_id=live_environment_id or str(uuid.uuid4()),
            seq=0,
            updated=now,
        )
        for eid, kind in (
            (assistant.draft_environment_id, "draft"),
            (assistant.live_environment_id, "live"),
        ):
            assistant.environments[eid] = Environment(eid, kind, kind, now, now)
        label = name or "Assistant"
        skills = [
            Skill(
                skill_id=str(uuid.uuid4()),
                type=kind,
                name=f"{label} {kind.title()}",
                description=description,
                language=language,
                workspace=workspace,
                search_settings=settings,
            )
            for kind, description, workspace, settings in (
                ("action", f"The actions of {label}", _action_workspace(language), None),
                ("search", f"Search for {label}", None, _search_settings()),
            )
        ]
        assistant.skills = {skill.skill_id: skill for skill in skills}
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


def skill_reference(kind: str) -> str:
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


def str_field(
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


def naming_changes(
    body: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], Result | None]:
    """The new ``name`` (not empty) and ``description`` an update of a skill or an
    environment gives, checked; only those present. ``prefix`` starts error paths."""
    changes: dict[str, Any] = {}
    for key, limit, empty in (("name", MAX_NAME, False), ("description", MAX_DESCRIPTION, True)):
        value, err = str_field(body, key, limit, f"{prefix}{key}", empty=empty)
        if err is not None:
            return {}, err
        if value is not None:
            changes[key] = value
    return changes, None


def obj_field(
    body: Mapping[str, Any], key: str, path: str | None = None
) -> tuple[dict[str, Any] | None, Result | None]:
    value = body.get(key)
    where = path or key
    if value is None:
        return None, None
    if not isinstance(value, dict):
        return None, bad_body(f"{where} must be an object", where)
    return value, None


def sorts_by_name_updated(
    name: Callable[[Any], Any], updated: Callable[[Any], Any]
) -> dict[str, Callable[[Any], Any]]:
    return {"name": name, "updated": updated}


_T = TypeVar("_T")


class ResourceBase:
    """What the authoring handlers share: the assistants, the fake's settings, and the
    state that lives outside the :class:`Assistant` objects (providers, uploads)."""

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

    def _owned(
        self, aid: str, table: Callable[[Assistant], Mapping[str, _T]], key: str
    ) -> tuple[Assistant, _T] | None:
        """Assistant ``aid`` and its item ``key`` in ``table(assistant)`` (environments,
        releases, skills), or ``None`` when either is unknown."""
        assistant = self._assistants.get(aid)
        if assistant is None:
            return None
        item = table(assistant).get(key)
        return None if item is None else (assistant, item)
