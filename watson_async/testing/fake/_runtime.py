"""The fake's runtime handlers: assistants (create/list/delete), sessions, messages
(stateful, stateless, streamed) and the log of handled turns (``list_logs``).

A handler is named after its endpoint with a leading underscore; it takes the
:class:`~.._common.Call` and the path's IDs and returns ``(status, payload)``.
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from .._common import NOT_FOUND as _NOT_FOUND
from .._common import Call as _Call
from .._common import Result as _Result
from .._common import bad_body as _bad_body
from .._common import body_object as _body_object_of
from .._common import error as _error
from .._common import iso as _iso
from .._common import paginate
from .._logs import customer_id_of, log_entry
from .._records import RecordedAnalytics
from .._script import ACTIONS_SKILL, MAIN_SKILL, BotState, run_turn
from .._stream import SSE_CONTENT_TYPE, StreamBody, sse_pieces
from ._resources import Assistant as _Assistant
from ._resources import sorts_by_name_updated
from ._state import FakeState, Session

__all__ = ["MAX_STATEFUL_BODY", "MAX_STATELESS_BODY", "MAX_TEXT", "MAX_USER_ID", "RuntimeMixin"]

MAX_TEXT = 2048
MAX_USER_ID = 256
MAX_STATEFUL_BODY = 100 * 1024
MAX_STATELESS_BODY = 250 * 1024
_FORBIDDEN_TEXT_CHARS = ("\r", "\n", "\t")


class _Target(NamedTuple):
    assistant: _Assistant
    body: dict[str, Any]


class _Parsed(NamedTuple):
    assistant: _Assistant
    environment_id: str
    body: dict[str, Any]
    text: str
    options: dict[str, Any]
    context: dict[str, Any] | None


_INVALID_SESSION = _error(404, "Invalid Session")


def _refused(message: str, field: str) -> tuple[str, dict[str, Any], None, _Result]:
    """:meth:`RuntimeMixin._check_message`'s answer to a bad message body."""
    return "", {}, None, _bad_body(message, field)


def _object_or_empty(parent: dict[str, Any], key: str) -> dict[str, Any] | None:
    """``parent[key]``, an object, or ``{}`` when absent or null; ``None`` for another type."""
    value = parent.get(key)
    if value is None:
        return {}
    return value if isinstance(value, dict) else None


class RuntimeMixin(FakeState):
    """The assistants, sessions, messages, streams and logs endpoints."""

    def _add_assistant(self, assistant: _Assistant) -> _Assistant:
        """Register ``assistant``, numbered in creation order (the tie-break of sorts)."""
        self._assistant_seq += 1
        assistant.seq = self._assistant_seq
        self._assistants[assistant.assistant_id] = assistant
        self._env_index[assistant.draft_environment_id] = assistant
        self._env_index[assistant.live_environment_id] = assistant
        return assistant

    def _resolve(self, aid: str, eid: str | None) -> _Assistant | None:
        assistant = self._assistants.get(aid)
        if eid is None:
            # Classic path: {id} is an assistant id or an environment id.
            return assistant if assistant is not None else self._env_index.get(aid)
        if assistant is None or eid not in (
            assistant.draft_environment_id,
            assistant.live_environment_id,
        ):
            return None
        return assistant

    @staticmethod
    def _environment_of(assistant: _Assistant, aid: str, eid: str | None) -> str:
        """The environment a (resolved) session or message route addresses: ``eid``,
        else the classic ``{id}`` when it is an environment id, else live."""
        if eid is not None:
            return eid
        if aid in assistant.environments:
            return aid
        return assistant.live_environment_id

    @staticmethod
    def _body_object(call: _Call) -> tuple[dict[str, Any], _Result | None]:
        return _body_object_of(call)

    def _create_assistant(self, call: _Call) -> _Result:
        body, err = self._body_object(call)
        if err is not None:
            return err
        values: dict[str, str] = {}
        fields = (("name", "", 64), ("description", "", 128), ("language", "en", 64))
        for key, default, limit in fields:
            value = body.get(key)
            if value is None:
                values[key] = default
            elif not isinstance(value, str):
                return _bad_body(f"{key} must be a string", key)
            elif len(value) > limit:
                return _bad_body(f"{key} cannot be longer than {limit} characters", key)
            else:
                values[key] = value
        assistant = self._add_assistant(
            _Assistant.new(values["name"], values["description"], values["language"], call.now)
        )
        return 200, assistant.to_json()

    def _list_assistants(self, call: _Call) -> _Result:
        return paginate(
            call.query,
            list(self._assistants.values()),
            key="assistants",
            path="/v2/assistants",
            sorts=sorts_by_name_updated(lambda a: (a.name, a.seq), lambda a: (a.updated, a.seq)),
            render=_Assistant.to_json,
        )

    def _delete_assistant(self, call: _Call, aid: str) -> _Result:
        assistant = self._assistants.pop(aid, None)
        if assistant is None:
            return _NOT_FOUND
        self._env_index.pop(assistant.draft_environment_id, None)
        self._env_index.pop(assistant.live_environment_id, None)
        for sid in [s for s, v in self._sessions.items() if v.assistant_id == aid]:
            del self._sessions[sid]
        return 200, None

    def _record_analytics(
        self, event: str, assistant_id: str, session_id: str | None, body: dict[str, Any]
    ) -> None:
        analytics = body.get("analytics")
        if analytics is None:
            inp = body.get("input")
            if isinstance(inp, dict):
                analytics = inp.get("analytics")
        if analytics is not None:
            self.analytics.append(RecordedAnalytics(event, assistant_id, session_id, analytics))

    def _target(self, call: _Call, aid: str, eid: str | None) -> _Target | _Result:
        """What a session's and a message's routes check first: the assistant, the body."""
        assistant = self._resolve(aid, eid)
        if assistant is None:
            return _NOT_FOUND
        body, err = self._body_object(call)
        if err is not None:
            return err
        return _Target(assistant, body)

    def _create_session(self, call: _Call, aid: str, eid: str | None) -> _Result:
        target = self._target(call, aid, eid)
        if not isinstance(target, _Target):
            return target
        assistant, body = target
        sid = str(uuid.uuid4())
        self._record_analytics("create_session", assistant.assistant_id, sid, body)
        state = BotState(session_id=sid, session_start_time=_iso(call.now))
        env = self._environment_of(assistant, aid, eid)
        self._sessions[sid] = Session(assistant.assistant_id, env, state, call.now)
        return 201, {"session_id": sid}

    def _live_session(self, sid: str, assistant: _Assistant, now: float) -> Session | None:
        session = self._sessions.get(sid)
        if session is None or session.assistant_id != assistant.assistant_id:
            return None
        if now - session.last_active >= self._timeout_of(session):
            del self._sessions[sid]
            return None
        return session

    def _delete_session(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        assistant = self._resolve(aid, eid)
        if assistant is None:
            return _NOT_FOUND
        if self._live_session(sid, assistant, call.now) is None:
            return _INVALID_SESSION
        del self._sessions[sid]
        return 200, None

    @staticmethod
    def _check_message(
        body: dict[str, Any],
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None, _Result | None]:
        """Validate a message body: (text, options, context, error)."""
        inp = _object_or_empty(body, "input")
        if inp is None:
            return _refused("input must be an object", "input")
        text = inp.get("text")
        if text is None:
            text = ""
        elif not isinstance(text, str):
            return _refused("input.text must be a string", "input.text")
        if len(text) > MAX_TEXT:
            return _refused(f"Text cannot be longer than {MAX_TEXT} characters", "input.text")
        if any(c in text for c in _FORBIDDEN_TEXT_CHARS):
            return _refused(
                "Text cannot contain carriage return, newline, or tab characters", "input.text"
            )
        options = _object_or_empty(inp, "options")
        if options is None:
            return _refused("input.options must be an object", "input.options")
        user_id = body.get("user_id")
        if user_id is not None and (
            not isinstance(user_id, str) or not 1 <= len(user_id) <= MAX_USER_ID
        ):
            return _refused(f"user_id must be a string of 1 to {MAX_USER_ID} characters", "user_id")
        context = body.get("context")
        if context is not None and not isinstance(context, dict):
            return _refused("context must be an object", "context")
        return text, options, context, None

    @staticmethod
    def _context_state(context: dict[str, Any] | None) -> BotState | None:
        """The bot state carried in ``context.skills[...].system.state``, if valid."""
        if not context:
            return None
        skills = context.get("skills")
        if not isinstance(skills, dict):
            return None
        for name in (ACTIONS_SKILL, MAIN_SKILL):
            skill = skills.get(name)
            if isinstance(skill, dict):
                system = skill.get("system")
                if isinstance(system, dict):
                    state = BotState.decode(system.get("state"))
                    if state is not None:
                        return state
        return None

    def _parse_message(self, call: _Call, aid: str, eid: str | None) -> _Parsed | _Result:
        """What both message routes check first: the assistant, the body, the input."""
        target = self._target(call, aid, eid)
        if not isinstance(target, _Target):
            return target
        assistant, body = target
        text, options, context, err = self._check_message(body)
        if err is not None:
            return err
        env = self._environment_of(assistant, aid, eid)
        return _Parsed(assistant, env, body, text, options, context)

    def _run_turn(self, event: str, call: _Call, parsed: _Parsed, state: BotState) -> Any:
        """Both message routes' turn: ``state`` takes the request's context and
        ``user_id``, its analytics are recorded, and the bot answers (the ``output``)."""
        if parsed.context:
            state.absorb_context(parsed.context)
        user_id = parsed.body.get("user_id")
        if user_id is not None:
            state.user_id = user_id
        self._record_analytics(event, parsed.assistant.assistant_id, state.session_id, parsed.body)
        options = parsed.options
        return run_turn(
            state,
            parsed.text,
            now_iso=_iso(call.now),
            alternate_intents=options.get("alternate_intents") is True,
            debug=options.get("debug") is True,
            restart=options.get("restart") is True,
        )

    def _message(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        parsed = self._parse_message(call, aid, eid)
        if not isinstance(parsed, _Parsed):
            return parsed
        assistant, _, body, text, options, context = parsed
        session = self._live_session(sid, assistant, call.now)
        if session is None:
            return _INVALID_SESSION
        if len(call.body) > MAX_STATEFUL_BODY:
            return _bad_body("Context is larger than 100 KB", "context")
        if context:
            restored = self._context_state(context)
            if restored is not None:
                restored.session_id = sid
                session.state = restored
        state = session.state
        output = self._run_turn("message", call, parsed, state)
        session.last_active = call.now
        self._turn_texts.setdefault(sid, []).append(text)
        self.total_turns_processed += 1
        response: dict[str, Any] = {"output": output, "user_id": state.user_id or sid}
        export = options.get("export") is True
        if export or options.get("return_context") is True:
            response["context"] = state.context(include_state=False, export=export)
        logged = dict(response)
        logged.setdefault("context", state.context(include_state=False, export=False))
        self._log_turn(call, assistant, session.environment_id, sid, body, logged)
        return 200, response

    def _message_stream(self, call: _Call, aid: str, eid: str | None, sid: str) -> _Result:
        status, payload = self._message(call, aid, eid, sid)
        if status != 200:
            return status, payload
        return 200, self._sse(payload)

    def _message_stream_stateless(self, call: _Call, aid: str, eid: str | None) -> _Result:
        status, payload = self._message_stateless(call, aid, eid)
        if status != 200:
            return status, payload
        return 200, self._sse(payload)

    def _sse(self, response: dict[str, Any]) -> StreamBody:
        return StreamBody(
            SSE_CONTENT_TYPE,
            sse_pieces(response, extras=self.sse_extras),
            {"Cache-Control": "no-cache"},
        )

    def _log_turn(
        self,
        call: _Call,
        assistant: _Assistant,
        environment_id: str,
        session_id: str,
        body: dict[str, Any],
        response: dict[str, Any],
    ) -> None:
        """Record a handled message turn for ``list_logs`` and the log webhook."""
        if not self.record_logs and self.log_webhook is None:
            return
        request: dict[str, Any] = {"input": body.get("input") or {}}
        if body.get("context") is not None:
            request["context"] = body["context"]
        if body.get("user_id") is not None:
            request["user_id"] = body["user_id"]
        env = assistant.environments.get(environment_id)
        action = assistant.skill_of_type("action")
        response_time = self._clock()
        data = log_entry(
            assistant_id=assistant.assistant_id,
            session_id=session_id,
            skill_id=action.skill_id if action is not None else None,
            snapshot=(env.release if env is not None else None) or "draft",
            language=assistant.language,
            customer_id=customer_id_of(call.headers),
            request=request,
            response=response,
            request_time=call.now,
            response_time=response_time,
        )
        if self.record_logs:
            self._log.record(data, call.now, response_time)
        call.logged = data

    def _list_logs(self, call: _Call, aid: str) -> _Result:
        if aid not in self._assistants:
            return _NOT_FOUND
        return self._log.list_logs(call, aid)

    def _message_stateless(self, call: _Call, aid: str, eid: str | None) -> _Result:
        parsed = self._parse_message(call, aid, eid)
        if not isinstance(parsed, _Parsed):
            return parsed
        assistant, env, body, _, options, context = parsed
        if len(call.body) > MAX_STATELESS_BODY:
            return _bad_body("Context is larger than 250 KB", "context")
        state = self._context_state(context)
        if state is None:
            sid: Any = None
            if context:
                glob = context.get("global")
                if isinstance(glob, dict):
                    sid = glob.get("session_id")
            if not isinstance(sid, str) or not sid:
                sid = str(uuid.uuid4())
            state = BotState(session_id=sid, session_start_time=_iso(call.now))
        output = self._run_turn("message_stateless", call, parsed, state)
        response = {
            "output": output,
            "context": state.context(include_state=True, export=options.get("export") is True),
            "user_id": state.user_id or state.session_id,
        }
        self._log_turn(call, assistant, env, state.session_id, body, response)
        return 200, response
