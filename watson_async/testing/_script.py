"""The fake assistant's scripted bot: a tiny deterministic conversation, no I/O.

Both the stateful and the stateless endpoints share it. The whole conversation state
lives in one :class:`BotState`; the stateless API (and ``export``) carries it in the
context as ``skills["actions skill"].system.state``: base64 of its JSON form.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from watson_async.protocol import codec as _json

from ._rich_replies import (
    MEDIA_URL,
    buttons_reply,
    card_reply,
    carousel_reply,
    grid_reply,
    phone_reply,
    table_reply,
    text_item,
)

__all__ = [
    "ACTIONS_SKILL",
    "GREETING_TEXT",
    "INTENT_TITLES",
    "MAIN_SKILL",
    "SHOWCASE_KEYWORDS",
    "BotState",
    "classify",
    "run_turn",
    "showcase_generic",
]

MAIN_SKILL = "main skill"
ACTIONS_SKILL = "actions skill"

GREETING_TEXT = "Hello! I am the fake assistant. Say 'menu', 'book a trip' or anything else."
MENU_TITLE = "What would you like to do?"
ASK_DESTINATION = "Where would you like to go?"
AGENT_MESSAGE = "The user asked to talk to a human agent."
AGENT_AVAILABLE = "I'm connecting you to an agent now."
AGENT_UNAVAILABLE = "No agent is available right now. Please try again later."
PAUSE_TEXT = "Thanks for waiting."

_GREETINGS = frozenset({"", "hi", "hello", "hey"})
_AGENT = frozenset({"agent", "talk to an agent"})
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_STATE_VERSION = 1

# intent -> (confidence, action title); also the alternate-intents candidates, in order
_INTENTS: dict[str, tuple[float, str]] = {
    "greeting": (0.98, "Greet the customer"),
    "menu": (0.96, "Show the menu"),
    "book_trip": (0.95, "Book a trip"),
    "agent": (0.94, "Connect to an agent"),
    "pause": (0.93, "Pause"),
    # Keywords that show the other response types (for ``watson-async chat --fake``).
    "media": (0.92, "Show media"),
    "suggest": (0.91, "Suggest actions"),
    "search": (0.9, "Search the docs"),
    "transfer": (0.89, "Continue on the website"),
    "date": (0.88, "Ask for a date"),
    "custom": (0.87, "Custom response"),
    "carousel": (0.86, "Show a carousel"),
    "showcase": (0.85, "Show every response type"),
    "card": (0.84, "Show a card"),
    "buttons": (0.83, "Show buttons"),
    "grid": (0.82, "Show a grid"),
    "table": (0.81, "Show a table"),
    "phone": (0.8, "Configure the phone channel"),
    "echo": (0.42, "Fallback"),
}
#: Keywords (the whole input, any case, trailing ``!.?`` ignored) that start the
#: intents named after them and answer with other response types.
SHOWCASE_KEYWORDS = (
    "media",
    "suggest",
    "search",
    "transfer",
    "date",
    "custom",
    "carousel",
    "showcase",
    "card",
    "buttons",
    "grid",
    "table",
    "phone",
)
#: intent -> the title of the action it starts (what an action skill lists).
INTENT_TITLES: dict[str, str] = {name: title for name, (_, title) in _INTENTS.items()}


def _detect(text: str) -> str:
    """The intent the bot recognises in ``text`` (outside slot filling)."""
    norm = text.strip().lower().rstrip("!.?")
    if norm in _GREETINGS:
        return "greeting"
    if norm == "menu":
        return "menu"
    if norm == "book a trip":
        return "book_trip"
    if norm in _AGENT:
        return "agent"
    if norm == "pause":
        return "pause"
    if norm in SHOWCASE_KEYWORDS:
        return norm
    return "echo"


def classify(text: str) -> dict[str, Any]:
    """What ``bulk_classify`` returns for one input: ``{"input": {"text"}, "entities",
    "intents"}`` (the recognised intent first, then ranked alternates)."""
    return {
        "input": {"text": text},
        "entities": _entities(text),
        "intents": _intents(_detect(text), True),
    }


@dataclass(slots=True)
class BotState:
    """Everything the bot remembers about one conversation."""

    session_id: str
    session_start_time: str
    turn_count: int = 0
    action: str | None = None
    action_start_time: str | None = None
    user_id: str | None = None
    skill_variables: dict[str, Any] = field(default_factory=dict)
    user_defined: dict[str, Any] = field(default_factory=dict)  # per skill name

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "v": _STATE_VERSION,
            "session_id": self.session_id,
            "session_start_time": self.session_start_time,
            "turn_count": self.turn_count,
            "action": self.action,
            "action_start_time": self.action_start_time,
            "user_id": self.user_id,
            "skill_variables": self.skill_variables,
            "user_defined": self.user_defined,
        }

    def encode(self) -> str:
        """The opaque ``system.state`` string: base64 of the JSON state."""
        return base64.b64encode(_json.dumps(self.to_json_obj())).decode("ascii")

    @classmethod
    def decode(cls, state: object) -> BotState | None:
        """Parse a ``system.state`` string; None when it is missing or garbage."""
        if not isinstance(state, str) or not state:
            return None
        try:
            obj = _json.loads(base64.b64decode(state, validate=True))
        except (binascii.Error, ValueError):
            return None
        if not isinstance(obj, dict) or obj.get("v") != _STATE_VERSION:
            return None
        session_id = obj.get("session_id")
        start = obj.get("session_start_time")
        turn_count = obj.get("turn_count")
        action = obj.get("action")
        action_start = obj.get("action_start_time")
        user_id = obj.get("user_id")
        variables = obj.get("skill_variables")
        user_defined = obj.get("user_defined")
        if (
            not isinstance(session_id, str)
            or not isinstance(start, str)
            or not isinstance(turn_count, int)
            or isinstance(turn_count, bool)
            or not (action is None or isinstance(action, str))
            or not (action_start is None or isinstance(action_start, str))
            or not (user_id is None or isinstance(user_id, str))
            or not isinstance(variables, dict)
            or not isinstance(user_defined, dict)
        ):
            return None
        return cls(
            session_id=session_id,
            session_start_time=start,
            turn_count=turn_count,
            action=action,
            action_start_time=action_start,
            user_id=user_id,
            skill_variables=variables,
            user_defined=user_defined,
        )

    def absorb_context(self, context: dict[str, Any]) -> None:
        """Take what a client may legitimately set in a request context."""
        glob = context.get("global")
        if isinstance(glob, dict):
            system = glob.get("system")
            if isinstance(system, dict):
                user_id = system.get("user_id")
                if isinstance(user_id, str) and user_id:
                    self.user_id = user_id
        skills = context.get("skills")
        if isinstance(skills, dict):
            for name, skill in skills.items():
                if not isinstance(skill, dict):
                    continue
                user_defined = skill.get("user_defined")
                if isinstance(user_defined, dict):
                    self.user_defined[name] = user_defined
                if name == ACTIONS_SKILL:
                    variables = skill.get("skill_variables")
                    if isinstance(variables, dict) and variables is not self.skill_variables:
                        self.skill_variables.update(variables)

    def context(self, *, include_state: bool, export: bool) -> dict[str, Any]:
        """The response ``context`` for this state."""
        system: dict[str, Any] = {
            "turn_count": self.turn_count,
            "session_start_time": self.session_start_time,
        }
        if self.user_id is not None:
            system["user_id"] = self.user_id
        actions: dict[str, Any] = {"skill_variables": self.skill_variables}
        skills: dict[str, Any] = {ACTIONS_SKILL: actions}
        if include_state or export:
            encoded = self.encode()
            actions["system"] = {"state": encoded}
            if export:
                skills[MAIN_SKILL] = {"system": {"state": encoded}}
        for name, user_defined in self.user_defined.items():
            skills.setdefault(name, {})["user_defined"] = user_defined
        return {"global": {"system": system, "session_id": self.session_id}, "skills": skills}


def _menu() -> dict[str, Any]:
    return {
        "response_type": "option",
        "title": MENU_TITLE,
        "options": [
            {"label": "Book a trip", "value": {"input": {"text": "book a trip"}}},
            {
                "label": "Talk to an agent",
                "value": {"input": {"text": "talk to an agent"}},
            },
        ],
    }


def _agent() -> dict[str, Any]:
    return {
        "response_type": "connect_to_agent",
        "message_to_human_agent": AGENT_MESSAGE,
        "agent_available": {"message": AGENT_AVAILABLE},
        "agent_unavailable": {"message": AGENT_UNAVAILABLE},
        "transfer_info": {"target": {}},
    }


def _pause() -> list[dict[str, Any]]:
    return [{"response_type": "pause", "time": 500, "typing": True}, text_item(PAUSE_TEXT)]


def _media() -> list[dict[str, Any]]:
    return [
        {
            "response_type": "image",
            "source": f"{MEDIA_URL}/beach.jpg",
            "title": "A beach",
            "description": "Where you could be next week.",
            "alt_text": "Sand, sea and a palm tree",
        },
        {
            "response_type": "video",
            "source": f"{MEDIA_URL}/tour.mp4",
            "title": "City tour",
            "alt_text": "A guided tour of the old town",
        },
        {"response_type": "audio", "source": f"{MEDIA_URL}/welcome.mp3", "title": "Welcome"},
        {
            "response_type": "iframe",
            "source": f"{MEDIA_URL}/map.html",
            "title": "Map",
            "image_url": f"{MEDIA_URL}/map-preview.png",
        },
    ]


def _suggestion() -> dict[str, Any]:
    return {
        "response_type": "suggestion",
        "title": "Did you mean:",
        "suggestions": [
            {"label": "Show the menu", "value": {"input": {"text": "menu"}}},
            {"label": "Book a trip", "value": {"input": {"text": "book a trip"}}},
        ],
    }


def _search() -> dict[str, Any]:
    return {
        "response_type": "search",
        "header": "I found this in the travel guide:",
        "primary_results": [
            {
                "id": "doc-1",
                "title": "Travelling with pets",
                "body": "Small pets can travel in the cabin in an approved carrier.",
                "url": f"{MEDIA_URL}/guide/pets",
                "result_metadata": {"confidence": 0.82, "score": 11.4},
            },
        ],
        "additional_results": [
            {
                "id": "doc-2",
                "title": "Baggage allowance",
                "body": "One cabin bag and one personal item are included.",
                "url": f"{MEDIA_URL}/guide/baggage",
                "result_metadata": {"confidence": 0.41, "score": 6.2},
            },
        ],
    }


def _transfer() -> dict[str, Any]:
    return {
        "response_type": "channel_transfer",
        "message_to_user": "Let's continue on our website.",
        "transfer_info": {"target": {"chat": {"url": f"{MEDIA_URL}/chat"}}},
    }


def _date() -> list[dict[str, Any]]:
    return [text_item("When would you like to travel?"), {"response_type": "date"}]


def _custom() -> dict[str, Any]:
    return {
        "response_type": "user_defined",
        "user_defined": {"template": "boarding_pass", "flight": "FA 123", "seat": "12A"},
    }


def showcase_generic() -> list[dict[str, Any]]:
    """The ``output.generic`` of the ``showcase`` keyword: one item of every response
    type the chat renders (a fresh list each time)."""
    return [
        text_item("Here is one response of each type."),
        _menu(),
        *_pause(),
        *_media(),
        _suggestion(),
        _search(),
        _transfer(),
        _agent(),
        *_date(),
        _custom(),
        carousel_reply(),
        card_reply(),
        *buttons_reply(),
        grid_reply(),
        table_reply(),
        *phone_reply(),
    ]


_SHOWCASE_REPLIES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "media": _media,
    "suggest": lambda: [_suggestion()],
    "search": lambda: [_search()],
    "transfer": lambda: [_transfer()],
    "date": _date,
    "custom": lambda: [_custom()],
    "carousel": lambda: [carousel_reply()],
    "showcase": showcase_generic,
    "card": lambda: [card_reply()],
    "buttons": buttons_reply,
    "grid": lambda: [grid_reply()],
    "table": lambda: [table_reply()],
    "phone": phone_reply,
}


def _entities(text: str) -> list[dict[str, Any]]:
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group()
        number: float | int = float(raw) if "." in raw else int(raw)
        found.append(
            {
                "entity": "sys-number",
                "location": [match.start(), match.end()],
                "value": raw,
                "confidence": 1.0,
                "interpretation": {"numeric_value": number},
            }
        )
    return found


def _intents(intent: str | None, alternates: bool) -> list[dict[str, Any]]:
    out = []
    if intent is not None:
        out.append({"intent": intent, "confidence": _INTENTS[intent][0]})
    if alternates:
        confidence = 0.11
        for other in _INTENTS:
            if other != intent and other != "echo":
                out.append({"intent": other, "confidence": confidence})
                confidence = round(confidence / 2, 4)
                if len(out) >= 3:
                    break
    return out


def _action_source(action: str) -> dict[str, Any]:
    return {
        "type": "action",
        "action": action,
        "action_title": _INTENTS[action][1],
        "condition": f"#{action}",
    }


def _step_source(action: str, step: str) -> dict[str, Any]:
    return {
        "type": "step",
        "action": action,
        "action_title": _INTENTS[action][1],
        "step": step,
    }


def run_turn(
    state: BotState,
    text: str,
    *,
    now_iso: str,
    alternate_intents: bool = False,
    debug: bool = False,
    restart: bool = False,
) -> dict[str, Any]:
    """Advance ``state`` by one user turn and return the response ``output``."""
    state.turn_count += 1
    if restart:
        state.action = None
        state.action_start_time = None
    generic: list[dict[str, Any]]
    intent: str | None
    events: list[dict[str, Any]] = []
    finished = True

    if state.action == "book_trip":
        # Slot filling: this turn's text is the destination.
        action = "book_trip"
        intent = None
        destination = text.strip()
        start = state.action_start_time or now_iso
        if destination:
            state.skill_variables["destination"] = destination
            generic = [text_item(f"Booked a trip to {destination}.")]
            state.action = None
            state.action_start_time = None
            events.append(
                {
                    "event": "step_answered",
                    "source": _step_source(action, "step_001"),
                    "condition_type": "user_defined",
                    "action_start_time": start,
                    "prompted": True,
                }
            )
            events.append(
                {
                    "event": "action_finished",
                    "source": _action_source(action),
                    "action_start_time": start,
                    "condition_type": "user_defined",
                    "reason": "all_steps_done",
                    "action_variables": {"destination": destination},
                }
            )
        else:
            generic = [text_item(ASK_DESTINATION)]
            finished = False
            events.append(
                {
                    "event": "step_visited",
                    "source": _step_source(action, "step_001"),
                    "condition_type": "user_defined",
                    "action_start_time": start,
                    "has_question": True,
                }
            )
    else:
        intent = _detect(text)
        if intent == "greeting":
            generic = [text_item(GREETING_TEXT)]
        elif intent == "menu":
            generic = [_menu()]
        elif intent == "book_trip":
            generic = [text_item(ASK_DESTINATION)]
            state.action = "book_trip"
            state.action_start_time = now_iso
            finished = False
        elif intent == "agent":
            generic = [_agent()]
        elif intent == "pause":
            generic = _pause()
        elif intent in _SHOWCASE_REPLIES:
            generic = _SHOWCASE_REPLIES[intent]()
        else:
            generic = [text_item(f"You said: {text}")]
        action = intent
        if debug:
            events.append(
                {
                    "event": "action_visited",
                    "source": _action_source(action),
                    "action_start_time": now_iso,
                    "condition_type": "user_defined",
                    "reason": "intent",
                }
            )
            events.append(
                {
                    "event": "step_visited",
                    "source": _step_source(action, "step_001"),
                    "condition_type": "user_defined",
                    "action_start_time": now_iso,
                    "has_question": not finished,
                }
            )

    output: dict[str, Any] = {
        "generic": generic,
        "intents": _intents(intent, alternate_intents),
        "entities": _entities(text),
    }
    if debug:
        debug_out: dict[str, Any] = {
            "nodes_visited": [
                {
                    "dialog_node": f"node_{action}",
                    "title": _INTENTS[action][1],
                    "conditions": f"#{action}",
                }
            ],
            "log_messages": [],
            "branch_exited": finished,
            "turn_events": events,
        }
        if finished:
            debug_out["branch_exited_reason"] = "completed"
        output["debug"] = debug_out
    return output
