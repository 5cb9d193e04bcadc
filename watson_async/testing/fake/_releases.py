"""The fake's environment and release handlers: environments (list/get/update), releases
(create/list/get/delete/deploy), release export and release import.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from .._common import NOT_FOUND, Call, Result, bad_body, body_object, error, iso, num, paginate
from .._records import RecordedUpload
from .._stream import StreamBody, split_chunks
from ._resources import (
    MAX_DESCRIPTION,
    MAX_SESSION_TIMEOUT,
    OCTET,
    SKILL_TYPES,
    Assistant,
    Environment,
    Release,
    ResourceBase,
    Task,
    export_archive,
    naming_changes,
    obj_field,
    skill_reference,
    sorts_by_name_updated,
    str_field,
)

__all__ = ["ReleasesAPI"]


class ReleasesAPI(ResourceBase):
    """Environments, releases and their export and import."""

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
                    "skill_reference": skill_reference(skill.type),
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
            sorts=sorts_by_name_updated(lambda e: e.name, lambda e: e.updated),
            render=lambda env: self._env_json(assistant, env),
        )

    def _environment(self, aid: str, eid: str) -> tuple[Assistant, Environment] | None:
        return self._owned(aid, lambda assistant: assistant.environments, eid)

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
        changes, err = naming_changes(body)
        if err is not None:
            return err
        orchestration, err = obj_field(body, "orchestration")
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
                        else skill_reference(str(kind)),
                    }
                )
        for key, value in changes.items():
            setattr(env, key, value)
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
        description, err = str_field(body, "description", MAX_DESCRIPTION)
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
            sorts=sorts_by_name_updated(lambda r: r.seq, lambda r: (r.task.updated, r.seq)),
            render=lambda r: self._release_json(assistant, r),
        )

    def _release(self, aid: str, name: str) -> tuple[Assistant, Release] | None:
        return self._owned(aid, lambda assistant: assistant.releases, name)

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
        if OCTET in accept and "application/json" not in accept:
            if task.status != "Available":
                return error(409, f"The export of release {name} is not available yet")
            data = export_archive(aid, name, self._settings.export_archive_size)
            filename = f"assistant-{aid}-release-{name}.zip"
            return 200, StreamBody(
                OCTET,
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
        if content_type.split(";")[0].strip().lower() != OCTET:
            return error(415, f"Unsupported Media Type: expected {OCTET}")
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
