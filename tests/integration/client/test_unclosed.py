"""Forgetting ``aclose()``: a ResourceWarning that names ``AssistantClient`` (issue 17)."""

from __future__ import annotations

import gc
import warnings

from watson_async import AssistantClient, BearerTokenAuthenticator
from watson_async.testing import FakeAssistant

VERSION = "2024-08-25"
WARNING = (
    "unclosed AssistantClient: call `await client.aclose()` when done, or use "
    "`async with AssistantClient(...) as client:`"
)


def _ours_when_collected(held: list[AssistantClient]) -> list[str]:
    """Our ResourceWarnings while the clients in ``held`` (their only references) go."""
    gc.collect()  # anything older goes first, outside the record
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        held.clear()
        gc.collect()
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning) and "AssistantClient" in str(w.message)
    ]


def _client(fake: FakeAssistant) -> AssistantClient:
    return AssistantClient(
        VERSION,
        BearerTokenAuthenticator(fake.issue_token()),
        service_url=fake.service_url,
        proxy_from_env=False,
    )


async def test_a_used_client_never_closed_warns_naming_it() -> None:
    async with FakeAssistant() as fake:
        held = [_client(fake)]
        await held[0].list_assistants()
        assert _ours_when_collected(held) == [WARNING]


async def test_an_unused_client_does_not_warn() -> None:
    async with FakeAssistant() as fake:
        assert _ours_when_collected([_client(fake)]) == []


async def test_a_closed_client_and_its_views_do_not_warn() -> None:
    async with FakeAssistant() as fake:
        client = _client(fake)
        view = client.with_options(retry=None)
        await view.list_assistants()
        await client.aclose()
        held = [client, view]
        del client, view
        assert _ours_when_collected(held) == []
