"""What tests read back from the fake: sessions, recorded requests, turns, authoring
state (skills, releases, providers, imports), logs and streams.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from .._records import RecordedRequest, RecordedUpload
from ._resources import export_archive
from ._state import FakeState

__all__ = ["InspectMixin"]


class InspectMixin(FakeState):
    """Inspection of the fake's state (no effect on what it serves)."""

    @property
    def sessions(self) -> frozenset[str]:
        """The ids of the sessions that are live now (not deleted, not expired)."""
        now = self._clock()
        return frozenset(
            sid for sid, s in self._sessions.items() if now - s.last_active < self._timeout_of(s)
        )

    def session_info(self, session_id: str) -> dict[str, Any] | None:
        """A snapshot of a session's bot state (None if it does not exist)."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        info = session.state.to_json_obj()
        del info["v"]
        info["assistant_id"] = session.assistant_id
        info["last_active"] = session.last_active
        return info

    def expire_session(self, session_id: str) -> bool:
        """Make a session invalid now (the next use gets 404); False if unknown."""
        return self._sessions.pop(session_id, None) is not None

    def clear_requests(self) -> None:
        self.requests.clear()

    def requests_to(self, path_contains: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path contains ``path_contains``."""
        m = method.upper() if method else None
        return [
            r for r in self.requests if path_contains in r.path and (m is None or r.method == m)
        ]

    @property
    def assistant_ids(self) -> list[str]:
        return list(self._assistants)

    def turns_received(self, session_id: str) -> int:
        """How many stateful message requests for ``session_id`` were processed, i.e.
        applied to its dialog (rejected ones and those answered by a fault injected
        before processing are not; ``after_processing`` faults are). Kept after the
        session is deleted or expires; 0 for an unknown id."""
        return len(self._turn_texts.get(session_id, ()))

    def turn_texts(self, session_id: str) -> list[str]:
        """The ``input.text`` of each processed stateful turn of ``session_id``, in
        order (``""`` for a turn without text): a copy."""
        return list(self._turn_texts.get(session_id, ()))

    @property
    def action_skill_id(self) -> str:
        """The id of the default assistant's action skill (every assistant has one
        action and one search skill; see :meth:`skill_ids`)."""
        return self.skill_ids()["action"]

    @property
    def search_skill_id(self) -> str:
        """The id of the default assistant's search skill."""
        return self.skill_ids()["search"]

    def skill_ids(self, assistant_id: str | None = None) -> dict[str, str]:
        """``{skill type: skill id}`` of an assistant (default: :attr:`assistant_id`)."""
        assistant = self._assistants[assistant_id or self.assistant_id]
        return {skill.type: skill.skill_id for skill in assistant.skills.values()}

    def release_status(self, release: str, assistant_id: str | None = None) -> str | None:
        """A release's status without counting as a status read; None if unknown."""
        assistant = self._assistants.get(assistant_id or self.assistant_id)
        found = assistant.releases.get(release) if assistant else None
        return found.task.status if found else None

    def finish_tasks(self) -> None:
        """Complete every asynchronous job now (releases, exports, imports, skill
        updates): the next status read reports it done."""
        now = self._clock()
        for assistant in self._assistants.values():
            tasks = [r.task for r in assistant.releases.values()]
            tasks += [r.export for r in assistant.releases.values() if r.export]
            tasks += [s.task for s in assistant.skills.values() if s.task]
            tasks += [t for t in (assistant.release_import, assistant.skills_import) if t]
            for task in tasks:
                task.finish(now)

    def export_archive(self, release: str, assistant_id: str | None = None) -> bytes:
        """The bytes ``download_release_export`` streams for a release (with
        ``Accept: application/octet-stream``): ``export_archive_size`` deterministic
        pseudo-random bytes that depend on the assistant id and release."""
        return export_archive(assistant_id or self.assistant_id, release, self.export_archive_size)

    @property
    def release_imports(self) -> list[RecordedUpload]:
        """Each ``create_release_import`` archive received (size, SHA-256), in order."""
        return list(self._api.release_imports)

    @property
    def provider_ids(self) -> list[str]:
        """The conversational skill providers' ids, in creation order."""
        return list(self._api.providers)

    def provider_private(self, provider_id: str) -> dict[str, Any] | None:
        """The ``private`` object (credentials) last sent for a provider, which the
        API never returns; None if the provider is unknown."""
        provider = self._api.providers.get(provider_id)
        return copy.deepcopy(provider.private) if provider else None

    def logs(self, assistant_id: str | None = None) -> list[dict[str, Any]]:
        """The log entries ``list_logs`` would return (oldest first; every assistant
        when ``assistant_id`` is None): copies. One entry per handled message turn
        (stateful, stateless and streamed)."""
        return [
            copy.deepcopy(e.data)
            for e in self._log.entries
            if assistant_id is None or e.assistant_id == assistant_id
        ]

    @property
    def user_data_deletions(self) -> list[str]:
        """The ``customer_id`` of each ``delete_user_data`` request handled, in order."""
        return list(self._log.user_data_deletions)

    @property
    def active_streams(self) -> int:
        """Streamed responses being written now."""
        return len(self._streams)

    async def wait_streams_idle(self) -> None:
        """Return once no streamed response is being written (at once if none is):
        after a client drops a stream, this waits for the fake to notice and finish."""
        while self._streams:
            if self._streams_idle is None:
                self._streams_idle = asyncio.Event()
            self._streams_idle.clear()
            await self._streams_idle.wait()
