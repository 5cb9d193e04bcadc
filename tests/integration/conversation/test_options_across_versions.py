"""The same conversation under every API version the package knows: picking an option
sends its value, whose text differs from the label, and the turn goes on."""

from __future__ import annotations

import pytest

from watson_async import AssistantClient, IAMAuthenticator
from watson_async._version import API_VERSIONS
from watson_async.testing import FakeAssistant


@pytest.mark.parametrize("version", list(API_VERSIONS))
async def test_picking_an_option_sends_its_value(version: str) -> None:
    async with (
        FakeAssistant() as fake,
        AssistantClient(
            version, IAMAuthenticator(fake.apikey, url=fake.iam_url), service_url=fake.service_url
        ) as client,
    ):
        async with client.assistant(fake.assistant_id, fake.environment_id).conversation() as conv:
            menu = await conv.send("menu")
            choice = menu.options[0]
            assert choice.label == "Book a trip"
            reply = await conv.send(choice.picked_input())
            session_id = conv.session_id
            assert session_id is not None
            assert fake.turn_texts(session_id) == ["menu", "book a trip"]  # not the label
            assert reply.text == "Where would you like to go?"
        assert {r.query.get("version") for r in fake.requests_to("/message")} == {version}
