"""The official SDK's AssistantV2 API methods, for the tests that compare against them."""

from __future__ import annotations

import inspect

# AssistantV2 members that configure the SDK itself rather than call the API.
NOT_API = frozenset(
    {
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
)


def sdk_methods(assistant_v2: type) -> list[str]:
    """The API methods of ``ibm_watson.AssistantV2``, sorted."""
    return sorted(
        name
        for name, _ in inspect.getmembers(assistant_v2, inspect.isfunction)
        if not name.startswith("_") and name not in NOT_API
    )
