"""Every ibm-watson 11.x AssistantV2 method exists here with the same call shape."""

from __future__ import annotations

import inspect

import pytest
from _sdk import sdk_methods

from watson_async import AssistantClient
from watson_async.protocol.routes import BY_NAME

assistant_v2 = pytest.importorskip("ibm_watson.assistant_v2")

SDK_METHODS = sdk_methods(assistant_v2.AssistantV2)


def test_the_sdk_has_the_32_methods_we_target() -> None:
    assert len(SDK_METHODS) == 32
    assert sorted(BY_NAME) == SDK_METHODS  # one row of the endpoint table each


@pytest.mark.parametrize("name", SDK_METHODS)
def test_same_name_positional_order_and_keywords(name: str) -> None:
    sdk = inspect.signature(getattr(assistant_v2.AssistantV2, name))
    ours = inspect.signature(getattr(AssistantClient, name))
    sdk_positional = [
        p.name
        for p in sdk.parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    our_positional = [
        p.name
        for p in ours.parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    assert our_positional == sdk_positional
    for param in sdk.parameters.values():
        if param.kind is param.KEYWORD_ONLY:
            assert param.name in ours.parameters, f"{name}: keyword {param.name} missing"
    assert inspect.iscoroutinefunction(getattr(AssistantClient, name))
