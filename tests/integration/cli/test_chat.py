"""``watson-async chat``: the renderer, the loop against the fake, the command."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from _samples import RESPONSES, load

from watson_async import AssistantClient, IAMAuthenticator
from watson_async.cli.chat import run_chat, run_chat_command
from watson_async.cli.main import build_parser, main
from watson_async.cli.render import (
    MAX_PAUSE,
    TYPING,
    Choice,
    describe_error,
    render_debug,
    render_generic,
    render_item,
)
from watson_async.errors import NotFoundError, ServerError, TransportError
from watson_async.models.generic import GenericUnknown, RuntimeResponseGeneric
from watson_async.models.message import MessageOutput, StatefulMessageResponse
from watson_async.testing import FakeAssistant
from watson_async.testing._script import GREETING_TEXT

# --------------------------------------------------------------------------- renderer


def item(data: dict[str, Any]) -> RuntimeResponseGeneric:
    generic = MessageOutput.from_dict({"generic": [data]}).generic
    assert generic is not None
    return generic[0]


def rendered_sample(name: str) -> tuple[tuple[str, ...], tuple[Choice, ...], float]:
    part = render_item(item(load(name)))
    return part.lines, part.choices, part.pause


def test_text() -> None:
    assert rendered_sample("generic_text.json") == (("testString",), (), 0.0)
    multi = render_item(item({"response_type": "text", "text": "one\ntwo"}))
    assert multi.lines == ("one", "two")


def test_option_is_numbered_and_picks_the_options_input() -> None:
    sample = load("generic_option.json")
    lines, choices, _ = rendered_sample("generic_option.json")
    assert lines == ("testString", "testString", "  1) testString")
    assert choices == (Choice(1, "testString", sample["options"][0]["value"]["input"]),)

    reply = StatefulMessageResponse.from_dict(load("message_docs_option.json"))
    part = render_generic(reply.output.generic or ())
    assert part.lines == (
        "Available options",
        "Please select one of the following options:",
        "  1) Option 1",
        "  2) Option 2",
    )
    assert [(c.number, c.input) for c in part.choices] == [
        (1, {"text": "option 1"}),
        (2, {"text": "option 2"}),
    ]


def test_suggestion_is_numbered_and_keeps_the_suggestion_id() -> None:
    lines, choices, _ = rendered_sample("generic_suggestion.json")
    assert lines == ("testString", "  1) testString")
    assert choices[0].input["suggestion_id"] == "testString"

    reply = StatefulMessageResponse.from_dict(load("message_docs_suggestion.json"))
    part = render_generic(reply.output.generic or (), first_choice=3)
    assert part.lines == (
        "Did you mean:",
        "  3) I'd like to order a drink.",
        "  4) I need a drink refill.",
    )
    assert part.choices[0].input == {
        "suggestion_id": "576aba3c-85b9-411a-8032-28af2ba95b13",
        "text": "I want to place an order",
    }


def test_choice_without_input_sends_its_label() -> None:
    part = render_item(
        item({"response_type": "option", "options": [{"label": "Yes"}, {"label": ""}]})
    )
    assert part.lines == ("  1) Yes",)
    assert part.choices == (Choice(1, "Yes", {"text": "Yes"}),)
    untitled = render_item(item({"response_type": "suggestion", "suggestions": []}))
    assert untitled.lines == ("Did you mean:",)


def test_pause_waits_and_shows_typing() -> None:
    assert rendered_sample("generic_pause.json") == ((TYPING,), (), 0.038)
    reply = StatefulMessageResponse.from_dict(load("message_docs_pause.json"))
    quiet = render_generic(reply.output.generic or ())
    assert (quiet.lines, quiet.pause) == ((), 0.5)  # typing: false shows nothing


def test_pause_is_capped() -> None:
    long = item({"response_type": "pause", "time": 3_600_000})
    assert render_item(long).pause == MAX_PAUSE == 10.0
    assert render_item(long, max_pause=2).pause == 2
    assert render_item(item({"response_type": "pause", "time": -5})).pause == 0
    assert render_item(item({"response_type": "pause"})).pause == 0


@pytest.mark.parametrize("kind", ["image", "video", "audio"])
def test_media_shows_title_and_link(kind: str) -> None:
    lines, _, _ = rendered_sample(f"generic_{kind}.json")
    assert lines == (f"[{kind}] testString: testString", "  testString")


def test_media_names() -> None:
    video = StatefulMessageResponse.from_dict(load("message_docs_video.json"))
    assert render_generic(video.output.generic or ()).lines == (
        "[video] Video example: http://example.com/video.mp4",
        "  This is an example video",
    )
    audio = StatefulMessageResponse.from_dict(load("message_docs_audio.json"))
    assert render_generic(audio.output.generic or ()).lines == (
        "[audio] http://example.com/audio.mp3",
    )
    both = StatefulMessageResponse.from_dict(load("message_docs_text_and_image.json"))
    assert render_generic(both.output.generic or ()).lines == (
        "OK, here's a picture of a dog.",
        "[image] http://example.com/dog.jpg",
    )
    alt = item({"response_type": "image", "source": "u", "alt_text": "a dog"})
    assert render_item(alt).lines == ("[image] a dog: u",)
    assert render_item(item({"response_type": "image"})).lines == ("[image] untitled (no link)",)


def test_iframe() -> None:
    assert rendered_sample("generic_iframe.json")[0] == (
        "[iframe] testString: testString",
        "  testString",
    )
    reply = StatefulMessageResponse.from_dict(load("message_docs_iframe.json"))
    assert render_generic(reply.output.generic or ()).lines == (
        "[iframe] My IFrame: http://example.com/iframe.html",
    )


def test_connect_to_agent() -> None:
    lines, _, _ = rendered_sample("generic_connect_to_agent.json")
    assert lines == (
        "[transfer to a human agent]",
        "  if an agent is available: testString",
        "  if no agent is available: testString",
        "  note for the agent: testString",
        "  topic: testString",
        '  transfer info: {"key1":{"anyKey":"anyValue"}}',
    )


def test_channel_transfer() -> None:
    lines, _, _ = rendered_sample("generic_channel_transfer.json")
    assert lines == ("testString", "[continue in another channel] testString")
    no_url = item({"response_type": "channel_transfer", "message_to_user": "Bye"})
    assert render_item(no_url).lines == ("Bye", "[continue in another channel]")


def test_search() -> None:
    lines, _, _ = rendered_sample("generic_search.json")
    assert lines == (
        "testString",
        "  - testString: testString",
        "    answer: testString",
        "    testString",
        "  more results:",
        "  - testString: testString",
        "    answer: testString",
        "    testString",
    )
    # IBM's docs show the primary results under "results" (kept as an unknown key).
    reply = StatefulMessageResponse.from_dict(load("message_docs_search_results_key.json"))
    docs = render_generic(reply.output.generic or ()).lines
    assert docs[0] == "I found the following information that might be helpful."
    assert docs[1] == (
        "  - About: https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-about"
    )
    assert docs[2].startswith("    IBM watsonx Assistant is a cognitive bot")
    assert docs[2].endswith("…")
    assert len(docs[2]) <= 4 + 160
    empty = item({"response_type": "search", "header": "Nothing:"})
    assert render_item(empty).lines == ("Nothing:", "[search] no results")


@pytest.mark.parametrize(
    "name", ["generic_conversational_search.json", "generic_conversational_search_sdk.json"]
)
def test_conversational_search(name: str) -> None:
    lines, _, _ = rendered_sample(name)
    assert lines == ("text", "  citationsTitle:", "    [1] title", "  (disclaimer)")


def test_user_defined_date_dtmf_end_session() -> None:
    assert rendered_sample("generic_user_defined.json")[0] == (
        '[user_defined] {"anyKey":"anyValue"}',
    )
    assert rendered_sample("generic_date.json")[0] == (
        "[date] answer with a date, for example 2025-12-31",
    )
    assert rendered_sample("generic_dtmf.json")[0] == (
        '[dtmf collect] {"termination_key":"#","count":16,"ignore_speech":true}',
    )
    assert rendered_sample("generic_end_session.json")[0] == (
        "[end of session] the assistant ended the conversation",
    )


@pytest.mark.parametrize(
    "data",
    [
        {"response_type": "inline_error", "debug": {"text": "boom", "items": [1, 2]}},
        {"response_type": "card", "footer": []},  # a card without its body stays untyped
    ],
)
def test_unknown_type_is_one_line_of_compact_json(data: dict[str, Any]) -> None:
    parsed = item(data)
    assert isinstance(parsed, GenericUnknown)
    part = render_item(parsed)
    assert (len(part.lines), part.choices, part.pause) == (1, (), 0)
    assert ": " not in part.lines[0]  # compact
    assert ", " not in part.lines[0]
    assert json.loads(part.lines[0]) == data


def test_web_chat_types_render_nested_items_indented() -> None:
    assert rendered_sample("generic_carousel.json")[0] == (
        "[carousel] 2 cards",
        "  [card]",
        "    # Heading",
        "    body",
        "  [card]",
        "    # Heading",
        "    body",
    )
    assert rendered_sample("generic_grid.json")[0] == (
        "[grid]",
        "  row 1 cell 1 | row 1 cell 2",
        "  row 2 cell 1 | row 2 cell 2",
    )
    assert rendered_sample("generic_table_synthesized.json")[0] == (
        "[table] Opening hours",
        "  Our stores, by city.",
        "  City | Opens | Closes",
        "  Paris | 09:00 | 19:00",
        "  Lyon | 10:00 | 18",
    )


def test_buttons_render_by_type_and_post_back_is_a_choice() -> None:
    assert rendered_sample("generic_button_url.json")[0] == (
        "[link] Visit ibm.com: https://www.ibm.com",
    )
    assert rendered_sample("generic_button_custom_event.json")[0] == (
        '[button] Alert (event trigger_alert) {"message":"[Alert message]"}',
    )
    assert rendered_sample("generic_button_show_panel.json")[0] == (
        "[button] See details (opens a panel)",
        "  [Product name]",
        "  [image] https://example.com/image.jpg",
        "  [Product details]",
    )
    lines, choices, _ = rendered_sample("generic_button_post_back.json")
    assert lines == ("  1) Send message",)
    assert choices == (Choice(1, "Send message", {"text": "[Message to send]"}),)


def test_card_footer_buttons_continue_the_numbering() -> None:
    card = {
        "response_type": "card",
        "body": [{"response_type": "text", "text": "Rome"}],
        "footer": [
            load("generic_button_post_back.json"),
            {"response_type": "button", "button_type": "post_back", "label": "Later"},
        ],
    }
    part = render_generic([item(load("generic_option.json")), item(card)])
    assert [c.number for c in part.choices] == [1, 2, 3]
    assert part.choices[-1] == Choice(3, "Later", {"text": "Later"})
    assert "    3) Later" in part.lines


def test_phone_commands_render_as_one_line() -> None:
    assert rendered_sample("generic_text_to_speech.json")[0] == (
        '[text_to_speech configure] {"synthesize":{"voice":"en-US_LisaVoice"}}',
    )
    assert rendered_sample("generic_speech_to_text.json")[0] == (
        '[speech_to_text configure] {"narrowband_recognize":'
        '{"model":"es-ES_NarrowbandModel","smart_formatting":true}}',
    )
    assert rendered_sample("generic_start_activities.json")[0] == (
        "[start_activities] speech_to_text_recognition",
    )
    assert rendered_sample("generic_stop_activities.json")[0] == (
        "[stop_activities] speech_to_text_recognition",
    )


#: Every response_type of the samples, with the test above that checks its rendering.
COVERED = {
    "text",
    "option",
    "suggestion",
    "pause",
    "image",
    "video",
    "audio",
    "iframe",
    "connect_to_agent",
    "channel_transfer",
    "search",
    "conversational_search",
    "conversation_search",
    "user_defined",
    "date",
    "dtmf",
    "end_session",
    "button",
    "card",
    "carousel",
    "grid",
    "table",
    "speech_to_text",
    "text_to_speech",
    "start_activities",
    "stop_activities",
}


def sample_items() -> Iterable[tuple[str, dict[str, Any]]]:
    for path in sorted(RESPONSES.glob("*.json")):
        data = load(path.name)
        if path.name.startswith("generic_"):
            yield path.name, data
        elif isinstance(data, dict) and isinstance(data.get("output"), dict):
            for i, generic in enumerate(data["output"].get("generic") or ()):
                yield f"{path.name}[{i}]", generic


def test_every_sample_item_renders_to_lines() -> None:
    seen = set()
    for name, data in sample_items():
        kind = data["response_type"]
        seen.add(kind)
        part = render_item(item(data))
        assert part.lines or kind == "pause", name
        assert all("\n" not in line for line in part.lines), name
    assert seen <= COVERED, f"response types without a rendering test: {seen - COVERED}"
    assert {"text", "option", "pause", "search", "carousel", "button", "table"} <= seen


def test_render_generic_numbers_choices_across_items() -> None:
    reply = StatefulMessageResponse.from_dict(
        {
            "output": {
                "generic": [
                    load("generic_option.json"),
                    {"response_type": "pause", "time": 300, "typing": True},
                    load("generic_suggestion.json"),
                    {"response_type": "pause", "time": 200},
                ]
            }
        }
    )
    part = render_generic(reply.output.generic or ())
    assert [c.number for c in part.choices] == [1, 2]
    assert "  2) testString" in part.lines
    assert part.pause == pytest.approx(0.5)


def test_render_debug() -> None:
    output = MessageOutput.from_dict(
        {
            "intents": [{"intent": "menu", "confidence": 0.9612}],
            "entities": [{"entity": "sys-number", "value": "2", "confidence": 1}],
            "debug": {
                "nodes_visited": [{"dialog_node": "n1", "title": "Menu", "conditions": "#menu"}],
                "branch_exited_reason": "completed",
            },
            "actions": [{"name": "lookup", "type": "client"}],
        }
    )
    assert render_debug(output) == [
        "intents: menu (0.96)",
        "entities: @sys-number:2 (1.00)",
        "node visited: Menu #menu",
        "branch exited: completed",
        "client action: lookup (client)",
    ]
    events = MessageOutput.from_dict(
        {"debug": {"turn_events": [load("turn_event_step_visited.json")]}}
    )
    lines = render_debug(events)
    assert lines[0] == "intents: (none)"
    assert lines[1:] == ["step_visited: action testString"]


def test_describe_error() -> None:
    error = ServerError(
        "Internal error", status_code=500, global_transaction_id="txn-1", body="secret?"
    )
    assert describe_error(error) == "ServerError 500: Internal error (transaction id txn-1)"
    assert describe_error(NotFoundError("Not Found", status_code=404)) == (
        "NotFoundError 404: Not Found"
    )
    transport = TransportError("timed out", method="POST", url="http://x", request_sent=True)
    assert describe_error(transport) == "TransportError: timed out"


# --------------------------------------------------------------------------- the loop


class Transcript:
    """``write`` and ``sleep`` for run_chat: every line and every pause, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.sleeps: list[float] = []

    def write(self, line: str) -> None:
        self.events.append(line)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.events.append(f"<sleep {seconds}>")

    @property
    def text(self) -> str:
        return "\n".join(self.events)


def client_for(fake: FakeAssistant) -> AssistantClient:
    return AssistantClient(
        "2024-08-25",
        IAMAuthenticator(fake.apikey, url=fake.iam_url),
        service_url=fake.service_url,
        retry=None,
    )


async def chat(fake: FakeAssistant, lines: Any, *, debug: bool = False) -> tuple[int, Transcript]:
    out = Transcript()
    async with client_for(fake) as client:
        code = await run_chat(
            client,
            fake.assistant_id,
            fake.environment_id,
            input_lines=lines,
            write=out.write,
            sleep=out.sleep,
            debug=debug,
            echo=True,
        )
    return code, out


def session_calls(fake: FakeAssistant) -> list[tuple[str, str]]:
    """(method, session id or "") of each create/delete session request."""
    calls = []
    for request in fake.requests:
        if request.path.endswith("/sessions") and request.method == "POST":
            calls.append(("POST", ""))
        elif "/sessions/" in request.path and request.method == "DELETE":
            calls.append(("DELETE", request.path.rsplit("/", 1)[1]))
    return calls


def sent_texts(fake: FakeAssistant) -> list[str | None]:
    return [
        (r.json or {}).get("input", {}).get("text")
        for r in fake.requests
        if r.path.endswith("/message")
    ]


async def test_conversation_and_picking_an_option(fake_assistant: FakeAssistant) -> None:
    code, out = await chat(fake_assistant, ["menu", "1", "  ", "Paris", "9", "²"])
    assert code == 0
    text = out.text
    assert f"bot> {GREETING_TEXT}" in text
    assert "bot> What would you like to do?\nbot>   1) Book a trip\nbot>   2) Talk to an agent" in (
        text
    )
    assert "you> 1\n-- picked: Book a trip\nbot> Where would you like to go?" in text
    assert "bot> Booked a trip to Paris." in text
    assert "bot> You said: 9" in text  # no choices left: a number is just text
    assert out.events[-1] == "-- bye"
    # the option's value.input was sent, not the number; the blank line was skipped
    assert sent_texts(fake_assistant) == [None, "menu", "book a trip", "Paris", "9", "²"]
    assert not fake_assistant.sessions  # deleted at the end


async def test_picking_a_suggestion(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["suggest", "2", "3"])
    assert "bot> Did you mean:\nbot>   1) Show the menu\nbot>   2) Book a trip" in out.text
    assert sent_texts(fake_assistant)[-2:] == ["book a trip", "3"]


async def test_restart_deletes_the_session_and_starts_another(
    fake_assistant: FakeAssistant,
) -> None:
    _, out = await chat(fake_assistant, ["book a trip", "/restart", "Paris"])
    assert "-- new session started" in out.text
    assert out.text.count(f"bot> {GREETING_TEXT}") == 2
    assert "bot> You said: Paris" in out.text  # the new dialog forgot the question
    calls = session_calls(fake_assistant)
    assert [method for method, _ in calls] == ["POST", "DELETE", "POST", "DELETE"]
    assert calls[1][1] != calls[3][1]
    assert not fake_assistant.sessions


async def test_quit_stops_reading(fake_assistant: FakeAssistant) -> None:
    code, out = await chat(fake_assistant, ["hello", "/QUIT", "never sent"])
    assert code == 0
    assert "never sent" not in out.text
    assert sent_texts(fake_assistant) == [None, "hello"]
    assert [m for m, _ in session_calls(fake_assistant)] == ["POST", "DELETE"]


async def test_end_of_input_ends_the_chat(fake_assistant: FakeAssistant) -> None:
    async def lines() -> AsyncIterator[str]:
        yield "hello"

    code, out = await chat(fake_assistant, lines())
    assert code == 0
    assert out.events[-1] == "-- bye"
    assert [m for m, _ in session_calls(fake_assistant)] == ["POST", "DELETE"]


async def test_help_and_unknown_commands(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["/help", "/nope"])
    assert "  /restart  delete this session and start a new one" in out.text
    assert "-- unknown command /nope: /help lists the commands" in out.text
    assert sent_texts(fake_assistant) == [None]


async def test_debug_shows_intents_entities_and_steps(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["menu", "I need 2 tickets"], debug=True)
    text = out.text
    assert "debug> intents: menu (0.96)" in text
    assert "debug> action_visited: action Show the menu, reason intent" in text
    assert "debug> step_visited: action Show the menu, step step_001" in text
    assert "debug> entities: @sys-number:2 (1.00)" in text
    bodies = [r.json for r in fake_assistant.requests if r.path.endswith("/message")]
    assert all(body["input"]["options"]["debug"] is True for body in bodies)


async def test_without_debug_no_debug_lines(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["menu"])
    assert "debug>" not in out.text
    assert "options" not in fake_assistant.requests_to("/message")[-1].json["input"]


async def test_service_error_is_shown_and_the_chat_goes_on(
    fake_assistant: FakeAssistant,
) -> None:
    async def lines() -> AsyncIterator[str]:
        fake_assistant.enqueue_error(500, path_contains="/message")
        yield "hello"
        yield "menu"

    _, out = await chat(fake_assistant, lines())
    errors = [line for line in out.events if line.startswith("!! ")]
    assert len(errors) == 1
    assert errors[0].startswith("!! ServerError 500: Internal Server Error (transaction id ")
    assert "Traceback" not in out.text
    assert fake_assistant.apikey not in out.text
    assert "bot> What would you like to do?" in out.text


async def test_invalid_input_is_not_sent(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["a\tb", "x" * 2049, "ok"])
    assert out.text.count("!! not sent: input text") == 2
    assert sent_texts(fake_assistant) == [None, "ok"]


async def test_expired_session_is_renewed_and_the_turn_resent(
    fake_assistant: FakeAssistant,
) -> None:
    async def lines() -> AsyncIterator[str]:
        yield "book a trip"
        for session_id in fake_assistant.sessions:
            fake_assistant.expire_session(session_id)
        yield "menu"

    _, out = await chat(fake_assistant, lines())
    assert "-- the session expired: starting a new one\nbot> What would you like to do?" in (
        out.text
    )
    assert [m for m, _ in session_calls(fake_assistant)] == ["POST", "POST", "DELETE"]
    assert sent_texts(fake_assistant) == [None, "book a trip", "menu", "menu"]


async def test_pause_uses_the_injected_sleep(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["pause"])
    assert out.sleeps == [0.5]
    assert "you> pause\nbot> …\n<sleep 0.5>\nbot> Thanks for waiting." in out.text


async def test_showcase_renders_every_type(fake_assistant: FakeAssistant) -> None:
    _, out = await chat(fake_assistant, ["showcase", "4"])
    text = out.text
    for expected in (
        "bot>   2) Talk to an agent",
        "bot> [image] A beach: https://example.com/fake-assistant/beach.jpg",
        "bot> [video] City tour: ",
        "bot> [audio] Welcome: ",
        "bot> [iframe] Map: ",
        "bot>   4) Book a trip",  # the suggestions continue the numbering
        "bot>   - Travelling with pets: ",
        "bot> [continue in another channel] https://example.com/fake-assistant/chat",
        "bot> [transfer to a human agent]",
        "bot> [date] ",
        '"seat":"12A"',
        "bot> [carousel] 1 card",
        "bot>     From 99 EUR",
        "bot>   [link] Details: https://example.com/fake-assistant/rome",
        "bot>     5) Book Rome",
        "bot> [link] Open the guide: https://example.com/fake-assistant/guide",
        "bot>   Paris | 99 EUR",
        "bot>   FA 123 | Paris | 12",
        '"voice":"en-US_LisaVoice"',
        "bot> [start_activities] speech_to_text_recognition",
    ):
        assert expected in text
    assert out.sleeps == [0.5]
    assert sent_texts(fake_assistant)[-1] == "book a trip"


async def test_failing_first_session_exits_1(fake_assistant: FakeAssistant) -> None:
    fake_assistant.enqueue_error(404, method="POST", path_contains="/sessions")
    code, out = await chat(fake_assistant, ["hello"])
    assert code == 1
    assert len(out.events) == 1
    assert out.events[0].startswith("!! NotFoundError 404: Not Found (transaction id ")
    assert sent_texts(fake_assistant) == []


async def test_cancelling_deletes_the_session(fake_assistant: FakeAssistant) -> None:
    waiting = asyncio.Event()

    async def lines() -> AsyncIterator[str]:
        yield "hello"
        waiting.set()
        await asyncio.Event().wait()  # a user who never types again
        yield "unreachable"

    task = asyncio.create_task(chat(fake_assistant, lines()))
    await asyncio.wait_for(waiting.wait(), 5)
    assert len(fake_assistant.sessions) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not fake_assistant.sessions
    assert [m for m, _ in session_calls(fake_assistant)] == ["POST", "DELETE"]


# --------------------------------------------------------------------------- the command


def test_chat_fake_end_to_end(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("menu\n1\nRome\n/quit\nnever\n"))
    assert main(["chat", "--fake"]) == 0
    out = capsys.readouterr().out
    assert "-- fake Watson Assistant at http://127.0.0.1:" in out
    assert f"bot> {GREETING_TEXT}" in out
    assert "you> 1\n-- picked: Book a trip\nbot> Where would you like to go?" in out
    assert "bot> Booked a trip to Rome." in out
    assert "never" not in out
    assert out.rstrip().endswith("-- bye")


def test_chat_fake_debug_until_end_of_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("agent"))  # no final newline
    assert main(["chat", "--fake", "--debug"]) == 0
    out = capsys.readouterr().out
    assert "debug> intents: agent (0.94)" in out
    assert "bot> [transfer to a human agent]" in out


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ([], {}, "missing --assistant-id or $ASSISTANT_ID and --environment-id or"),
        (["--assistant-id", "a"], {}, "missing --environment-id or $ASSISTANT_ENVIRONMENT_ID"),
        ([], {"ASSISTANT_ENVIRONMENT_ID": "e"}, "missing --assistant-id or $ASSISTANT_ID\n"),
    ],
)
def test_missing_ids_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    monkeypatch.delenv("ASSISTANT_ID", raising=False)
    monkeypatch.delenv("ASSISTANT_ENVIRONMENT_ID", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n"))
    assert main(["chat", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_bad_version_date_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["chat", "--fake", "--version-date", "2024"])
    assert exc.value.code == 2


async def test_real_instance_settings_from_the_environment(
    fake_assistant: FakeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ibm-credentials.env around
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = fake_assistant.environ()
    out: list[str] = []
    args = build_parser().parse_args(["chat"])
    code = await run_chat_command(
        args, stdin=io.StringIO("menu\n"), environ=environ, write=out.append
    )
    assert code == 0
    text = "\n".join(out)
    assert f"-- assistant {fake_assistant.assistant_id}, environment " in text
    assert "bot>   2) Talk to an agent" in text
    assert fake_assistant.apikey not in text
    assert fake_assistant.token_requests == 1  # IAM, from ASSISTANT_AUTH_URL


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "no configuration found for service 'assistant'"),
        ({"ASSISTANT_URL": "https://example.com"}, "ASSISTANT_APIKEY is required"),
    ],
)
async def test_missing_credentials_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    ids = {"ASSISTANT_ID": "a", "ASSISTANT_ENVIRONMENT_ID": "e"}
    errors: list[str] = []
    written: list[str] = []
    code = await run_chat_command(
        build_parser().parse_args(["chat"]),
        stdin=io.StringIO("hello\n"),
        environ={**ids, **environ},
        write=written.append,
        error=errors.append,
    )
    assert code == 2
    assert written == []
    assert len(errors) == 1
    assert message in errors[0]
