"""FakeAssistant's scripted bot: the keywords that answer with the other response types."""

from __future__ import annotations

from typing import Any

import pytest

from watson_async import AssistantClient, IAMAuthenticator
from watson_async.models.generic import (
    GenericAudio,
    GenericButton,
    GenericCard,
    GenericCarousel,
    GenericChannelTransfer,
    GenericConnectToAgent,
    GenericDate,
    GenericGrid,
    GenericIframe,
    GenericImage,
    GenericOption,
    GenericPause,
    GenericSearch,
    GenericSpeechToText,
    GenericStartActivities,
    GenericStopActivities,
    GenericSuggestion,
    GenericTable,
    GenericText,
    GenericTextToSpeech,
    GenericUnknown,
    GenericUserDefined,
    GenericVideo,
    iter_generic,
)
from watson_async.testing import FakeAssistant
from watson_async.testing._script import (
    INTENT_TITLES,
    SHOWCASE_KEYWORDS,
    BotState,
    classify,
    run_turn,
    showcase_generic,
)

NOW = "2025-01-01T00:00:00.000Z"


def turn(text: str, **options: Any) -> dict[str, Any]:
    state = BotState(session_id="s", session_start_time=NOW)
    return run_turn(state, text, now_iso=NOW, **options)


def types(output: dict[str, Any]) -> list[str]:
    return [g["response_type"] for g in output["generic"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("media", ["image", "video", "audio", "iframe"]),
        ("Suggest", ["suggestion"]),
        ("search!", ["search"]),
        ("transfer", ["channel_transfer"]),
        ("date", ["text", "date"]),
        ("custom", ["user_defined"]),
        ("carousel", ["carousel"]),
        ("card", ["card"]),
        ("Buttons", ["button"] * 4),
        ("grid", ["grid"]),
        ("table", ["table"]),
        ("phone", ["speech_to_text", "text_to_speech", "stop_activities", "start_activities"]),
    ],
)
def test_keyword_replies(text: str, expected: list[str]) -> None:
    output = turn(text, debug=True)
    assert types(output) == expected
    intent = text.lower().rstrip("!")
    assert output["intents"][0]["intent"] == intent
    events = output["debug"]["turn_events"]
    assert events[0]["source"]["action_title"] == INTENT_TITLES[intent]
    assert classify(text)["intents"][0]["intent"] == intent


def test_keywords_are_whole_inputs_only() -> None:
    assert types(turn("search the docs")) == ["text"]  # an echo, as before
    assert turn("search the docs")["generic"][0]["text"] == "You said: search the docs"


def test_showcase_has_every_type_once_and_fresh_lists() -> None:
    generic = turn("showcase")["generic"]
    assert types({"generic": generic}) == [
        "text",
        "option",
        "pause",
        "text",
        "image",
        "video",
        "audio",
        "iframe",
        "suggestion",
        "search",
        "channel_transfer",
        "connect_to_agent",
        "text",
        "date",
        "user_defined",
        "carousel",
        "card",
        *["button"] * 4,
        "grid",
        "table",
        "speech_to_text",
        "text_to_speech",
        "stop_activities",
        "start_activities",
    ]
    showcase_generic()[0]["text"] = "changed"
    assert showcase_generic()[0]["text"] == "Here is one response of each type."
    assert set(SHOWCASE_KEYWORDS) <= set(INTENT_TITLES)


def test_existing_replies_unchanged() -> None:
    assert turn("menu")["generic"][0]["options"][1] == {
        "label": "Talk to an agent",
        "value": {"input": {"text": "talk to an agent"}},
    }
    assert turn("pause")["generic"] == [
        {"response_type": "pause", "time": 500, "typing": True},
        {"response_type": "text", "text": "Thanks for waiting."},
    ]
    # the alternate intents are still the first three scripted ones
    alternates = turn("hello", alternate_intents=True)["intents"]
    assert [i["intent"] for i in alternates] == ["greeting", "menu", "book_trip"]


def client_for(fake: FakeAssistant, version: str = "2024-08-25") -> AssistantClient:
    """A real client of ``fake``, through loopback HTTP."""
    auth = IAMAuthenticator(fake.apikey, url=fake.iam_url)
    return AssistantClient(version, auth, service_url=fake.service_url)


async def test_showcase_parses_into_the_typed_models() -> None:
    async with FakeAssistant() as fake, client_for(fake) as client:
        session = await client.create_session(fake.assistant_id, fake.environment_id)
        reply = await client.message(
            fake.assistant_id,
            fake.environment_id,
            session.session_id,
            input={"text": "showcase"},
        )
    classes = [type(item) for item in reply.output.generic or ()]
    assert classes == [
        GenericText,
        GenericOption,
        GenericPause,
        GenericText,
        GenericImage,
        GenericVideo,
        GenericAudio,
        GenericIframe,
        GenericSuggestion,
        GenericSearch,
        GenericChannelTransfer,
        GenericConnectToAgent,
        GenericText,
        GenericDate,
        GenericUserDefined,
        GenericCarousel,
        GenericCard,
        *[GenericButton] * 4,
        GenericGrid,
        GenericTable,
        GenericSpeechToText,
        GenericTextToSpeech,
        GenericStopActivities,
        GenericStartActivities,
    ]
    assert not any(isinstance(i, GenericUnknown) for i in iter_generic(reply.output.generic))


@pytest.mark.parametrize("version", ["2024-08-25", "2021-11-27"])
async def test_rich_replies_through_a_real_client(version: str) -> None:
    """Each web chat and phone type the bot sends arrives typed, with its helpers."""
    async with FakeAssistant() as fake, client_for(fake, version) as client:
        session = await client.create_session(fake.assistant_id, fake.environment_id)

        async def say(text: str) -> Any:
            return await client.message(
                fake.assistant_id, fake.environment_id, session.session_id, input={"text": text}
            )

        card, buttons, grid, table, phone = [
            await say(word) for word in ("card", "buttons", "grid", "table", "phone")
        ]
        stateless = await client.message_stateless(
            fake.assistant_id, fake.environment_id, input={"text": "carousel"}
        )
    (item,) = card.output.generic
    assert isinstance(item, GenericCard)
    assert card.text == "## Rome\n3 nights from 249 EUR"
    assert [(o.label, o.value.input) for o in card.options] == [
        ("Book Rome", {"text": "book a trip"})
    ]
    assert [b.button_type for b in buttons.output.generic] == [
        "post_back",
        "url",
        "custom_event",
        "show_panel",
    ]
    panel = buttons.output.generic[3].panel
    assert panel is not None
    assert panel.show_animations is False
    assert [o.label for o in buttons.options] == ["Show the menu"]
    assert grid.text == "Paris\n99 EUR\nRome\n249 EUR"
    (rows,) = table.output.generic
    assert isinstance(rows, GenericTable)
    assert [r.cells for r in rows.rows] == [["FA 123", "Paris", 12], ["FA 456", "Rome", 7]]
    stt, tts, stop, start = phone.output.generic
    assert isinstance(stt, GenericSpeechToText)
    assert isinstance(tts, GenericTextToSpeech)
    assert tts.command_info.parameters == {"synthesize": {"voice": "en-US_LisaVoice"}}
    assert isinstance(stop, GenericStopActivities)
    assert isinstance(start, GenericStartActivities)
    assert [a.type for a in stop.activities] == ["dtmf_collection"]
    (carousel,) = stateless.output.generic
    assert isinstance(carousel, GenericCarousel)
    assert stateless.text == "Paris\nFrom 99 EUR"
