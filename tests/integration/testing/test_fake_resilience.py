"""FakeAssistant: per-family rate limits, server clock skew, injected faults (HTML, bad
JSON, 5xx, disconnects), the ``after_processing`` option and stateful turn accounting."""

from __future__ import annotations

import json
import math
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest
from fakes import ManualClock as Clock
from fakes import scoped
from multidict import CIMultiDictProxy

from watson_async.testing import RATE_LIMIT_FAMILIES, FakeAssistant

VERSION = {"version": "2024-08-25"}
WINDOW_START = 1_699_999_980.0  # a multiple of 60
T0 = WINDOW_START + 10.0
WINDOW_END = int(WINDOW_START) + 60
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


class Reply:
    def __init__(self, status: int, headers: CIMultiDictProxy[str], raw: bytes, ctype: str):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.content_type = ctype

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def remaining(self) -> str:
        return self.headers["X-RateLimit-Remaining"]


async def send(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Reply:
    async with http.request(method, url, params=VERSION, json=body) as resp:
        raw = await resp.read()
        return Reply(resp.status, resp.headers, raw, resp.content_type)


class Api:
    """The v2 routes of one fake, over plain aiohttp."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeAssistant) -> None:
        self.http = http
        self.fake = fake

    async def create(self) -> Reply:
        return await send(self.http, "POST", scoped(self.fake, "/sessions"))

    async def session(self) -> str:
        reply = await self.create()
        assert reply.status == 201, reply.raw
        sid: str = reply.json["session_id"]
        return sid

    async def say(self, sid: str, text: str) -> Reply:
        url = scoped(self.fake, f"/sessions/{sid}/message")
        return await send(self.http, "POST", url, {"input": {"text": text}})

    async def stateless(self, text: str = "hi") -> Reply:
        body = {"input": {"text": text}}
        return await send(self.http, "POST", scoped(self.fake, "/message"), body)

    async def delete(self, sid: str) -> Reply:
        return await send(self.http, "DELETE", scoped(self.fake, f"/sessions/{sid}"))

    async def list(self) -> Reply:
        return await send(self.http, "GET", f"{self.fake.service_url}/v2/assistants")


# --- rate limits ---------------------------------------------------------------


async def test_each_family_has_its_own_limit_and_window(http: aiohttp.ClientSession) -> None:
    clock = Clock(T0)
    async with FakeAssistant(
        auth=False, clock=clock, rate_limit=2, rate_limits={"message": 3}
    ) as fake:
        api = Api(http, fake)
        first = await api.create()
        assert (first.status, first.headers["X-RateLimit-Limit"], first.remaining) == (
            201,
            "2",
            "1",
        )
        assert first.headers["X-RateLimit-Reset"] == str(WINDOW_END)
        sid = first.json["session_id"]

        # The "message" override: three turns count 2, 1, 0, the fourth is limited.
        replies = [await api.say(sid, t) for t in ("hi", "book a trip", "Paris", "Rome")]
        assert [r.status for r in replies] == [200, 200, 200, 429]
        assert [r.remaining for r in replies] == ["2", "1", "0", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in replies} == {"3"}
        assert replies[3].json == {"error": "Rate limit exceeded", "code": 429}
        assert fake.turn_texts(sid) == ["hi", "book a trip", "Paris"]  # the 429 was not applied

        # Stateless messages are a family of their own, with the default limit.
        assert [(await api.stateless()).status for _ in range(3)] == [200, 200, 429]
        # A 4xx still counts and carries the headers; classic and environment-scoped
        # paths share the family.
        gone = await api.delete("no-such-session")
        assert (gone.status, gone.remaining) == (404, "1")
        classic = f"{fake.service_url}/v2/assistants/{fake.assistant_id}/sessions/{sid}"
        assert (await send(http, "DELETE", classic)).remaining == "0"
        assert (await api.delete(sid)).status == 429

        assert (await api.create()).status == 201
        assert (await api.create()).status == 429
        assert fake.rate_limited_responses == 4
        counts = {f: fake.requests_in_window(f) for f in RATE_LIMIT_FAMILIES}
        assert {f: c for f, c in counts.items() if c} == {
            "create_session": 3,
            "delete_session": 3,
            "message": 4,
            "message_stateless": 3,
        }
        listed = await api.list()
        assert (listed.status, listed.remaining) == (200, "1")

        clock.now = WINDOW_END - 0.001  # still the same window
        assert (await api.create()).status == 429
        clock.now = WINDOW_END  # a new one
        assert fake.requests_in_window("create_session") == 0
        again = await api.create()
        assert (again.status, again.remaining) == (201, "1")
        assert again.headers["X-RateLimit-Reset"] == str(WINDOW_END + 60)
        assert fake.requests_in_window("create_session") == 1
        assert fake.rate_limited_responses == 5


async def test_unlimited_families_and_limits_changed_while_running(
    http: aiohttp.ClientSession,
) -> None:
    clock = Clock(T0)
    async with FakeAssistant(auth=False, clock=clock, rate_limits={"create_session": 1}) as fake:
        api = Api(http, fake)
        listed = await api.list()  # rate_limit=None: unlimited, but headers are sent
        assert (listed.headers["X-RateLimit-Limit"], listed.remaining) == ("1000000", "999999")
        assert [(await api.create()).status for _ in range(2)] == [201, 429]
        fake.rate_limits["create_session"] = None
        assert (await api.create()).status == 201
        fake.rate_limit = 4
        assert (await api.list()).headers["X-RateLimit-Limit"] == "4"


async def test_window_alignment_with_a_fractional_window(http: aiohttp.ClientSession) -> None:
    clock = Clock(1_000_000.5)  # window 7.5: windows start at 999_997.5 and 1_000_005
    async with FakeAssistant(auth=False, clock=clock, rate_limit=1, rate_limit_window=7.5) as f:
        api = Api(http, f)
        first = await api.list()
        assert first.headers["X-RateLimit-Reset"] == "1000005"
        clock.now = 1_000_004.9
        assert (await api.list()).status == 429
        clock.now = 1_000_005.0
        reply = await api.list()
        assert reply.status == 200
        assert reply.headers["X-RateLimit-Reset"] == str(math.ceil(1_000_012.5))


async def test_rate_limit_headers_can_be_omitted_everywhere(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(
        auth=False, clock=Clock(T0), rate_limit=1, rate_limit_headers=False
    ) as fake:
        api = Api(http, fake)
        ok, limited = await api.create(), await api.create()
        assert (ok.status, limited.status) == (201, 429)
        for reply in (ok, limited):
            assert not any(h in reply.headers for h in RATE_HEADERS)
            assert "Retry-After" not in reply.headers
            assert reply.headers["X-Global-Transaction-Id"]
        fake.retry_after_header = True  # Retry-After does not depend on the three
        limited = await api.create()
        assert limited.headers["Retry-After"] == "50"
        assert not any(h in limited.headers for h in RATE_HEADERS)


async def test_plain_text_429_body(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(
        auth=False, clock=Clock(T0), rate_limit=0, rate_limit_body="text"
    ) as fake:
        reply = await Api(http, fake).create()
        assert (reply.status, reply.content_type, reply.raw) == (
            429,
            "text/plain",
            b"Rate limit exceeded",
        )
        assert reply.remaining == "0"
        assert fake.rate_limited_responses == 1


async def test_retry_after_is_the_ceiling_of_the_wait(http: aiohttp.ClientSession) -> None:
    clock = Clock(T0 + 0.25)  # 49.75 s before the window end
    async with FakeAssistant(
        auth=False, clock=clock, rate_limit=1, retry_after_header=True
    ) as fake:
        api = Api(http, fake)
        ok = await api.create()
        assert "Retry-After" not in ok.headers
        assert (await api.create()).headers["Retry-After"] == "50"
        clock.now = WINDOW_END - 0.01
        assert (await api.create()).headers["Retry-After"] == "1"


@pytest.mark.parametrize("skew", [3600.0, -90.5, 0.75])
async def test_date_skew_shifts_reported_times_not_decisions(
    http: aiohttp.ClientSession, skew: float
) -> None:
    clock = Clock(T0)
    async with FakeAssistant(auth=False, clock=clock, rate_limit=1, date_skew=skew) as fake:
        api = Api(http, fake)
        ok = await api.create()
        date = parsedate_to_datetime(ok.headers["Date"]).timestamp()
        assert date == math.floor(T0 + skew)
        reset = int(ok.headers["X-RateLimit-Reset"])
        assert reset == math.ceil(WINDOW_END + skew)
        assert reset - date == pytest.approx(WINDOW_END - T0, abs=1)  # the real wait
        # The window is the fake's own: it ends at WINDOW_END whatever the skew.
        clock.now = WINDOW_END - 0.5
        assert (await api.create()).status == 429
        clock.now = WINDOW_END
        assert (await api.create()).status == 201

        fake.date_skew = 0.0
        reply = await api.list()
        assert parsedate_to_datetime(reply.headers["Date"]).timestamp() == WINDOW_END
        assert reply.headers["X-RateLimit-Reset"] == str(WINDOW_END + 60)


async def test_date_skew_does_not_move_session_expiry(http: aiohttp.ClientSession) -> None:
    clock = Clock(T0)
    async with FakeAssistant(auth=False, clock=clock, session_timeout=300, date_skew=-1e6) as f:
        api = Api(http, f)
        sid = await api.session()
        clock.advance(299)
        assert (await api.say(sid, "hi")).status == 200
        clock.advance(300)
        assert (await api.say(sid, "hi")).status == 404


async def test_token_endpoints_are_limited_only_when_named(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(
        clock=Clock(T0), rate_limit=0, rate_limits={"iam": 1}, retry_after_header=True
    ) as fake:
        data = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": fake.apikey}
        async with http.post(fake.iam_url, data=data) as ok:
            assert ok.status == 200
            assert (ok.headers["X-RateLimit-Limit"], ok.headers["X-RateLimit-Remaining"]) == (
                "1",
                "0",
            )
        async with http.post(fake.iam_url, data=data) as limited:
            assert limited.status == 429
            body = await limited.json()
            assert body["errorCode"] == "BXNIM0001E"
            assert limited.headers["Retry-After"] == "50"
        # The default rate_limit (0) does not apply to CP4D.
        creds = {"username": fake.cp4d_username, "password": fake.cp4d_password}
        async with http.post(f"{fake.cp4d_url}/v1/authorize", json=creds) as cp4d:
            assert cp4d.status == 200
            assert "X-RateLimit-Limit" not in cp4d.headers
        assert fake.requests_in_window("iam") == 2
        assert fake.requests_in_window("cp4d") == 1
        assert fake.rate_limited_responses == 1


def test_rate_limit_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit family 'messages'"):
        FakeAssistant(rate_limits={"messages": 1})
    with pytest.raises(ValueError, match=">= 0"):
        FakeAssistant(rate_limits={"message": -1})
    with pytest.raises(ValueError, match="rate_limit_body"):
        FakeAssistant(rate_limit_body="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown rate-limit family"):
        FakeAssistant().requests_in_window("POST /v2/assistants")


async def test_injected_faults_are_not_counted_by_the_limiter(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeAssistant(auth=False, clock=Clock(T0), rate_limit=1) as fake:
        api = Api(http, fake)
        fake.enqueue_error(429, path_contains="/sessions", times=2)
        assert [(await api.create()).status for _ in range(3)] == [429, 429, 201]
        assert fake.requests_in_window("create_session") == 1
        assert fake.rate_limited_responses == 0


# --- injected faults -------------------------------------------------------------


async def test_malformed_json(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        sid = await api.session()
        fake.enqueue_malformed_json(path_contains="/message")
        fake.enqueue_malformed_json(status=201, body='{"session_id": ', method="post")
        reply = await api.say(sid, "hi")
        assert (reply.status, reply.content_type) == (200, "application/json")
        with pytest.raises(json.JSONDecodeError):
            reply.json  # noqa: B018
        assert reply.headers["X-Global-Transaction-Id"]
        assert fake.turns_received(sid) == 0  # decided before processing
        created = await api.create()
        assert (created.status, created.raw) == (201, b'{"session_id": ')
        assert fake.sessions == frozenset({sid})
        assert fake.pending_faults == 0


async def test_html_error_page(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        fake.enqueue_html_error()
        fake.enqueue_html_error(504, headers={"Retry-After": "7"})
        fake.enqueue_html_error(503, body="<html><body>maintenance</body></html>")
        bad_gateway = await api.create()
        assert (bad_gateway.status, bad_gateway.content_type) == (502, "text/html")
        assert b"<title>502 Bad Gateway</title>" in bad_gateway.raw
        assert bad_gateway.raw.startswith(b"<html>")
        timeout = await api.list()
        assert timeout.status == 504
        assert b"<title>504 Gateway Timeout</title>" in timeout.raw
        assert timeout.headers["Retry-After"] == "7"
        custom = await api.stateless()
        assert (custom.status, custom.raw) == (503, b"<html><body>maintenance</body></html>")
        assert fake.sessions == frozenset()


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_server_errors(http: aiohttp.ClientSession, status: int) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        sid = await api.session()
        fake.enqueue_error(status, headers={"Retry-After": "2"}, path_contains="/message")
        reply = await api.say(sid, "hi")
        assert reply.status == status
        assert reply.json["code"] == status
        assert reply.json["error"] in {
            "Internal Server Error",
            "Bad Gateway",
            "Service Unavailable",
            "Gateway Timeout",
            "Request Timeout",
        }
        assert reply.headers["Retry-After"] == "2"
        assert fake.turns_received(sid) == 0
        assert (await api.say(sid, "hi")).status == 200
        assert fake.turn_texts(sid) == ["hi"]


async def test_matching_is_in_order_by_method_and_path(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        fake.enqueue_error(500, method="delete")
        fake.enqueue_error(502, path_contains="/sessions")
        fake.enqueue_error(503, path_contains="/sessions")
        assert (await api.list()).status == 200  # matches none
        assert (await api.create()).status == 502  # first match, not the DELETE one
        assert (await api.create()).status == 503
        assert fake.pending_faults == 1
        fake.clear_faults()
        with pytest.raises(ValueError, match="times"):
            fake.enqueue_disconnect(times=0)


async def test_disconnect_on_post_is_not_applied(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        sid = await api.session()
        fake.enqueue_disconnect(method="POST", path_contains="/message")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.say(sid, "hi")
        assert fake.turns_received(sid) == 0
        assert len(fake.requests_to("/message")) == 1  # POST is never resent
        assert (await api.say(sid, "hi")).status == 200


async def test_disconnect_on_delete_and_aiohttp_resend(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        sid = await api.session()
        # aiohttp resends an idempotent request once on a disconnect: times=1 is hidden.
        fake.enqueue_disconnect(method="DELETE")
        assert (await api.delete(sid)).status == 200
        assert len(fake.requests_to(f"/sessions/{sid}", method="DELETE")) == 2
        assert fake.sessions == frozenset()

        sid = await api.session()
        fake.enqueue_disconnect(method="DELETE", times=2)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.delete(sid)
        assert fake.sessions == frozenset({sid})  # neither attempt was applied
        assert fake.pending_faults == 0

        # The same holds for GET.
        fake.enqueue_disconnect(method="GET", times=2)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.list()
        assert len(fake.requests_to("/v2/assistants", method="GET")) == 2


# --- after_processing and turn accounting --------------------------------------


async def test_error_after_processing_applies_the_turn(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        sid = await api.session()
        fake.enqueue_error(503, path_contains="/message")
        fake.enqueue_error(503, path_contains="/message", after_processing=True)
        assert (await api.say(sid, "book a trip")).status == 503
        assert (fake.turns_received(sid), fake.turn_texts(sid)) == (0, [])
        lost = await api.say(sid, "book a trip")
        assert lost.status == 503
        assert lost.json == {"error": "Service Unavailable", "code": 503}
        assert (fake.turns_received(sid), fake.turn_texts(sid)) == (1, ["book a trip"])
        # The dialog moved on: the server asked for the destination.
        reply = await api.say(sid, "Paris")
        assert reply.json["output"]["generic"][0]["text"] == "Booked a trip to Paris."
        assert fake.turn_texts(sid) == ["book a trip", "Paris"]
        assert fake.total_turns_processed == 2


async def test_disconnect_after_processing(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        sid = await api.session()
        fake.enqueue_disconnect(path_contains="/message", after_processing=True)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.say(sid, "hello")
        assert fake.turn_texts(sid) == ["hello"]

        # A session created but whose answer was lost.
        fake.enqueue_disconnect(method="POST", path_contains="/sessions", after_processing=True)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.create()
        assert len(fake.sessions) == 2

        # A DELETE whose answer was lost: aiohttp's resend finds the session gone.
        fake.enqueue_disconnect(method="DELETE", after_processing=True)
        assert (await api.delete(sid)).json == {"error": "Invalid Session", "code": 404}
        assert sid not in fake.sessions


async def test_other_faults_after_processing(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        fake.enqueue_html_error(502, method="POST", after_processing=True)
        fake.enqueue_malformed_json(method="POST", after_processing=True)
        assert (await api.create()).status == 502
        assert (await api.create()).status == 200
        assert len(fake.sessions) == 2


async def test_delay_before_or_after_processing(http: aiohttp.ClientSession) -> None:
    seen: list[tuple[float, int]] = []
    fake: FakeAssistant

    async def sleep(seconds: float) -> None:
        seen.append((seconds, fake.total_turns_processed))

    async with FakeAssistant(auth=False, sleep=sleep) as fake:
        api = Api(http, fake)
        sid = await api.session()
        fake.enqueue_delay(5.0, path_contains="/message")
        fake.enqueue_delay(7.0, path_contains="/message", after_processing=True)
        assert (await api.say(sid, "one")).status == 200
        assert (await api.say(sid, "two")).status == 200
        assert seen == [(5.0, 0), (7.0, 2)]  # the second turn was applied before its delay


async def test_turn_accounting(http: aiohttp.ClientSession) -> None:
    async with FakeAssistant(auth=False) as fake:
        api = Api(http, fake)
        a, b = await api.session(), await api.session()
        await api.say(a, "hi")
        await api.say(b, "book a trip")
        await api.say(a, "")
        bad = await send(
            http, "POST", scoped(fake, f"/sessions/{a}/message"), {"input": {"text": 3}}
        )
        assert bad.status == 400
        assert (await api.say("nope", "hi")).status == 404
        await api.stateless("not a stateful turn")
        assert fake.turn_texts(a) == ["hi", ""]
        assert fake.turns_received(b) == 1
        assert fake.total_turns_processed == 3
        assert (fake.turns_received("nope"), fake.turn_texts("nope")) == (0, [])
        fake.turn_texts(a).append("mutating the copy")
        assert (await api.delete(a)).status == 200
        assert fake.turn_texts(a) == ["hi", ""]  # kept after the session is gone
