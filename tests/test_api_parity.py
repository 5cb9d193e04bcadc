"""Every ibm-watson 11.x AssistantV2 method exists here with the same call shape."""

from __future__ import annotations

import inspect

import pytest

from watson_async import AssistantClient

assistant_v2 = pytest.importorskip("ibm_watson.assistant_v2")

_NOT_API = {
    "configure_service",
    "disable_retries",
    "enable_retries",
    "encode_path_vars",
    "get_authenticator",
    "get_enable_gzip_compression",
    "get_http_client",
    "get_service_url",
    "prepare_request",
    "send",
    "set_default_headers",
    "set_disable_ssl_verification",
    "set_enable_gzip_compression",
    "set_http_client",
    "set_http_config",
    "set_service_url",
}
SDK_METHODS = sorted(
    name
    for name, _ in inspect.getmembers(assistant_v2.AssistantV2, inspect.isfunction)
    if not name.startswith("_") and name not in _NOT_API
)


def test_the_sdk_has_the_32_methods_we_target() -> None:
    assert len(SDK_METHODS) == 32


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
