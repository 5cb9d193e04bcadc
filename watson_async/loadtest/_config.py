"""The load test's configuration: one immutable, validated attrs class."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import attrs

from .._version import DEFAULT_API_VERSION

__all__ = ["DEFAULT_SCRIPT", "LoadTestConfig", "read_script"]

#: The built-in turn script: a short booking dialog the embedded fake understands.
DEFAULT_SCRIPT: tuple[str, ...] = ("hello", "menu", "book a trip", "Paris", "thanks, that is all")

#: Runs with neither ``duration`` nor ``conversations`` last this many seconds.
DEFAULT_DURATION = 10.0
#: The hard cap, beyond the duration, left for conversations in flight to finish.
DRAIN_ALLOWANCE = 30.0
#: The hard cap of a run bounded only by its number of conversations.
DEFAULT_TIME_LIMIT = 600.0

_MAX_TEXT = 2048  # the service's limit on input text


def read_script(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The utterances of a turn-script file: one per line; blank lines and ``#`` comments
    are skipped. Raises ``ValueError`` for an unreadable file or an unusable line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the turn script {os.fspath(path)!r}: {exc}") from exc
    lines = [line.strip() for line in text.splitlines()]
    script = tuple(line for line in lines if line and not line.startswith("#"))
    if not script:
        raise ValueError(
            f"the turn script {os.fspath(path)!r} has no utterances "
            "(one per line; blank lines and # comments are skipped)"
        )
    return _check_script(script)


def _check_script(script: Iterable[str]) -> tuple[str, ...]:
    result = tuple(script)
    if not result:
        raise ValueError("script must contain at least one utterance")
    for number, text in enumerate(result, 1):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"script utterance {number} is empty")
        if len(text) > _MAX_TEXT:
            raise ValueError(
                f"script utterance {number} is {len(text)} characters long; "
                f"the service accepts at most {_MAX_TEXT}"
            )
        if any(c in text for c in "\r\n\t"):
            raise ValueError(f"script utterance {number} contains a tab or a line break")
    return result


def _to_script(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)):
        raise ValueError(
            "script must be a sequence of utterances, not one string "
            "(read a file with read_script(path))"
        )
    return tuple(value)


def _number(name: str, value: Any, *, minimum: float, strict: bool, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if (strict and value <= minimum) or (not strict and value < minimum):
        relation = "greater than" if strict else "at least"
        raise ValueError(f"{name} must be {relation} {minimum:g}, got {value!r}")


def _integer(name: str, value: Any, *, minimum: int, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")


#: The default window of ``fake_rate_limit`` (``loadtest --fake-rate-window``), seconds.
DEFAULT_FAKE_RATE_WINDOW = 60.0


@attrs.frozen(kw_only=True)
class LoadTestConfig:
    """What to run, against what, for how long. Every field has a usable default except
    ``rate`` for the open model. Invalid values raise ``ValueError`` naming the field.

    **Workload.** ``model="closed"``: ``users`` virtual users, each running conversations
    back to back (create a session, ``turns`` turns from ``script``, delete the session).
    ``model="open"``: new conversations *arrive* at ``rate`` conversations per second
    whatever the service does; at most ``max_in_flight`` run at once, up to
    ``max_backlog`` more wait for a slot, and arrivals beyond that are dropped. Latency
    is measured from each conversation's scheduled start, so waiting for a slot counts.

    **Bounds.** No new conversation starts after ``duration`` seconds or once
    ``conversations`` have started (whichever comes first; with neither, the run lasts
    :data:`DEFAULT_DURATION` seconds); those in flight finish. ``time_limit`` is the hard
    cap: when it is reached, whatever is still running is cancelled (default: the
    duration plus 30 s, or 600 s for a run bounded only by ``conversations``).

    **Target.** ``target="fake"`` (default) starts the embedded
    :class:`~watson_async.testing.FakeAssistant` on 127.0.0.1, shaped by the ``fake_*``
    fields; ``target="real"`` builds the client with
    :meth:`AssistantClient.from_env <watson_async.AssistantClient.from_env>` and needs
    ``assistant_id`` (``environment_id`` ``None`` selects the classic un-scoped paths).

    **Client.** ``retry=False`` sends every request once with the rate-limit gate off,
    so a capacity test sees the service's real 429s.
    """

    model: Literal["closed", "open"] = "closed"
    users: int = 10
    """Virtual users of the closed model."""
    rate: float | None = None
    """Conversations per second of the open model (required there)."""
    max_in_flight: int = 100
    """Open model: conversations running at once."""
    max_backlog: int | None = None
    """Open model: arrivals allowed to wait for a slot (default: ``max_in_flight``)."""
    late_threshold: float = 0.010
    """Open model: a conversation starting this many seconds after its schedule is late."""
    conversations: int | None = None
    duration: float | None = None
    time_limit: float | None = None
    script: tuple[str, ...] = attrs.field(default=DEFAULT_SCRIPT, converter=_to_script)
    turns: int | None = None
    """Turns per conversation (default: the script's length; the script repeats)."""
    think_time: float = 0.0
    """Seconds a virtual user pauses before each turn."""
    retry: bool = True
    target: Literal["fake", "real"] = "fake"
    assistant_id: str | None = None
    environment_id: str | None = None
    version: str = DEFAULT_API_VERSION
    max_connections: int | None = None
    """Client connection pool size (default: the client's)."""
    timeout: float | None = None
    """Seconds per attempt (default: the client's)."""
    fake_rate_limit: int | None = None
    """Requests per endpoint family per ``fake_rate_window`` (default: unlimited)."""
    fake_rate_window: float | None = None
    """The window of ``fake_rate_limit`` in seconds: ``None`` is
    :data:`DEFAULT_FAKE_RATE_WINDOW` (60: per minute, as the service counts and as
    ``FakeAssistant`` and ``fake-server`` do; set to it on creation, and
    :attr:`rate_window` is the value typed as a float).
    It used to be 1 s: ``fake_rate_limit`` without a window warns (DeprecationWarning)."""
    fake_rate_headers: bool = True
    """Whether the fake sends ``X-RateLimit-*`` headers. Without them the client's gate
    can't see the budget running out, so the limit shows as 429s and retries."""
    fake_latency: float = 0.0
    """Seconds the fake waits before answering each request."""
    fake_error_rate: float = 0.0
    """Fraction of calls (0..1) for which the fake answers one request with a 500."""
    fake_token_lifetime: float = 3600.0
    """Lifetime of the fake's IAM tokens: shorter ones show token refreshes."""
    max_error_rate: float = 0.0
    """Failed calls / calls above which the run fails (0: any error fails it)."""
    seed: int | None = None
    """Seed for the fake's error injection (reproducible runs)."""

    @property
    def rate_window(self) -> float:
        """The fake's rate-limit window in seconds: ``fake_rate_window`` or its default."""
        window = self.fake_rate_window
        return DEFAULT_FAKE_RATE_WINDOW if window is None else window

    def __attrs_post_init__(self) -> None:
        if self.model not in ("closed", "open"):
            raise ValueError(f'model must be "closed" or "open", got {self.model!r}')
        if self.target not in ("fake", "real"):
            raise ValueError(f'target must be "fake" or "real", got {self.target!r}')
        _integer("users", self.users, minimum=1, allow_none=False)
        _integer("max_in_flight", self.max_in_flight, minimum=1, allow_none=False)
        _integer("max_backlog", self.max_backlog, minimum=0, allow_none=True)
        _integer("conversations", self.conversations, minimum=1, allow_none=True)
        _integer("turns", self.turns, minimum=0, allow_none=True)
        _integer("max_connections", self.max_connections, minimum=1, allow_none=True)
        _integer("fake_rate_limit", self.fake_rate_limit, minimum=1, allow_none=True)
        _integer("seed", self.seed, minimum=-(2**63), allow_none=True)
        _number("rate", self.rate, minimum=0, strict=True, allow_none=True)
        _number("duration", self.duration, minimum=0, strict=True, allow_none=True)
        _number("time_limit", self.time_limit, minimum=0, strict=True, allow_none=True)
        _number("timeout", self.timeout, minimum=0, strict=True, allow_none=True)
        _number("late_threshold", self.late_threshold, minimum=0, strict=False, allow_none=False)
        _number("think_time", self.think_time, minimum=0, strict=False, allow_none=False)
        _number("fake_rate_window", self.fake_rate_window, minimum=0, strict=True, allow_none=True)
        if self.fake_rate_window is None and self.fake_rate_limit is not None:
            warnings.warn(
                f"fake_rate_limit={self.fake_rate_limit} now counts per "
                f"{DEFAULT_FAKE_RATE_WINDOW:g} s (per minute, as the service and "
                "FakeAssistant do); it counted per second before. Set fake_rate_window "
                "(loadtest --fake-rate-window SECONDS): 1 for the old meaning, 60 to "
                "silence this warning",
                DeprecationWarning,
                stacklevel=3,
            )
        if self.fake_rate_window is None:  # set, so that attrs.evolve copies don't warn again
            object.__setattr__(self, "fake_rate_window", DEFAULT_FAKE_RATE_WINDOW)
        _number("fake_latency", self.fake_latency, minimum=0, strict=False, allow_none=False)
        _number(
            "fake_token_lifetime",
            self.fake_token_lifetime,
            minimum=0,
            strict=True,
            allow_none=False,
        )
        for name in ("fake_error_rate", "max_error_rate"):
            value = getattr(self, name)
            _number(name, value, minimum=0, strict=False, allow_none=False)
            if value > 1:
                raise ValueError(f"{name} must be a fraction between 0 and 1, got {value!r}")
        for name in ("retry", "fake_rate_headers"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        _check_script(self.script)

        if self.model == "open":
            if self.rate is None:
                raise ValueError("the open model needs rate (conversations per second)")
        elif self.rate is not None:
            raise ValueError('rate applies to the open model only; set model="open"')
        if self.target == "real":
            if not self.assistant_id:
                raise ValueError(
                    "a run against a real instance needs assistant_id "
                    "(--assistant-id or the ASSISTANT_ID environment variable)"
                )
            shaped = [
                name
                for name, default in (
                    ("fake_rate_limit", None),
                    ("fake_latency", 0.0),
                    ("fake_error_rate", 0.0),
                    ("fake_token_lifetime", 3600.0),
                    ("fake_rate_headers", True),
                )
                if getattr(self, name) != default
            ]
            if shaped:
                raise ValueError(f"{', '.join(shaped)} only apply to the embedded fake target")
        for name in ("assistant_id", "environment_id"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"{name} must be a non-empty string or None")
        if (
            self.time_limit is not None
            and self.duration is not None
            and self.time_limit < self.duration
        ):
            raise ValueError(
                f"time_limit ({self.time_limit:g} s) must not be shorter than "
                f"duration ({self.duration:g} s)"
            )

    @property
    def run_duration(self) -> float | None:
        """Seconds during which conversations start (``None``: bounded by count only)."""
        if self.duration is None and self.conversations is None:
            return DEFAULT_DURATION
        return self.duration

    @property
    def hard_time_limit(self) -> float:
        """The wall-clock cap on the whole run, in seconds."""
        if self.time_limit is not None:
            return self.time_limit
        duration = self.run_duration
        return DEFAULT_TIME_LIMIT if duration is None else duration + DRAIN_ALLOWANCE

    @property
    def turns_per_conversation(self) -> int:
        return len(self.script) if self.turns is None else self.turns

    @property
    def backlog(self) -> int:
        return self.max_in_flight if self.max_backlog is None else self.max_backlog

    def turn_texts(self) -> tuple[str, ...]:
        """The utterances of one conversation (the script repeated or cut to ``turns``)."""
        n = self.turns_per_conversation
        return tuple(self.script[i % len(self.script)] for i in range(n))

    def summary(self) -> dict[str, Any]:
        """The settings that shape the run, for reports (no secrets: there are none here)."""
        data = attrs.asdict(self)
        data["script"] = list(self.script)
        data["duration"] = self.run_duration
        data["time_limit"] = self.hard_time_limit
        data["turns"] = self.turns_per_conversation
        data["max_backlog"] = self.backlog
        return data
