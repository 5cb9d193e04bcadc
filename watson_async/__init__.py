"""watson_async: the asyncio client for the IBM watsonx Assistant v2 API.

Every public name is loaded on first use (PEP 562): ``import watson_async`` costs a few
milliseconds, and a program that only sends messages never loads analytics or the
other parts it doesn't touch. ``from watson_async import AssistantClient`` works as
always; type checkers and IDEs read the imports below.
"""

import importlib
import importlib.util
import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from watson_async.analytics import (
        AnalyticsConfig,
        CallbackSink,
        JsonLinesSink,
        SegmentBatchSink,
        SegmentEvents,
        Sink,
        TrackCall,
        derive_session_started,
        derive_turn,
    )
    from watson_async.auth import (
        AccessToken,
        Authenticator,
        BasicAuthenticator,
        BearerTokenAuthenticator,
        CloudPakForDataAuthenticator,
        IAMAuthenticator,
        NoAuthAuthenticator,
        RefreshEvent,
        TokenAuthenticator,
    )
    from watson_async.client import DEFAULT_RETRY, DEFAULT_SERVICE_URL, USER_AGENT, AssistantClient
    from watson_async.client.response import DetailedResponse
    from watson_async.client.streams import ByteStream, MessageStream
    from watson_async.conversation import (
        Assistant,
        Conversation,
        ConversationPool,
        PoolEvent,
        StatelessConversation,
    )
    from watson_async.errors import (
        ApiError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        ConflictError,
        IncompleteStreamError,
        NotFoundError,
        PermissionDeniedError,
        PoolFullError,
        RateLimitError,
        ResponseParseError,
        ResponseTooLargeError,
        ServerError,
        SessionNotFoundError,
        TransportError,
        WatsonError,
    )
    from watson_async.models import (
        MessageContext,
        MessageInput,
        RequestAnalytics,
        SessionResponse,
        StatefulMessageResponse,
        StatelessMessageContext,
        StatelessMessageInput,
        StatelessMessageResponse,
    )
    from watson_async.observe import AttemptEvent, CallEvent, Event, Listener, WebhookCallEvent
    from watson_async.protocol.wire import RateLimit
    from watson_async.resilience.gates import FleetEvent, Gate, GateBinding
    from watson_async.resilience.retry import (
        GateEvent,
        RateLimitGate,
        RateLimitState,
        RetryEvent,
        RetryPolicy,
        is_testing,
        set_testing,
    )
    from watson_async.transport import AiohttpTransport, HttpResponse, Transport

#: Public name -> the module it is defined in (tests/unit/package/test_lazy_import.py
#: checks it against the imports above).
_WHERE = {
    "AccessToken": "watson_async.auth",
    "AiohttpTransport": "watson_async.transport",
    "AnalyticsConfig": "watson_async.analytics",
    "ApiError": "watson_async.errors",
    "Assistant": "watson_async.conversation",
    "AssistantClient": "watson_async.client",
    "AttemptEvent": "watson_async.observe",
    "AuthenticationError": "watson_async.errors",
    "Authenticator": "watson_async.auth",
    "BadRequestError": "watson_async.errors",
    "BasicAuthenticator": "watson_async.auth",
    "BearerTokenAuthenticator": "watson_async.auth",
    "ByteStream": "watson_async.client.streams",
    "CallEvent": "watson_async.observe",
    "CallbackSink": "watson_async.analytics",
    "ClientClosedError": "watson_async.errors",
    "CloudPakForDataAuthenticator": "watson_async.auth",
    "ConflictError": "watson_async.errors",
    "Conversation": "watson_async.conversation",
    "ConversationPool": "watson_async.conversation",
    "DEFAULT_RETRY": "watson_async.client",
    "DEFAULT_SERVICE_URL": "watson_async.client",
    "DetailedResponse": "watson_async.client.response",
    "Event": "watson_async.observe",
    "FleetEvent": "watson_async.resilience.gates",
    "Gate": "watson_async.resilience.gates",
    "GateBinding": "watson_async.resilience.gates",
    "GateEvent": "watson_async.resilience.retry",
    "HttpResponse": "watson_async.transport",
    "IAMAuthenticator": "watson_async.auth",
    "IncompleteStreamError": "watson_async.errors",
    "JsonLinesSink": "watson_async.analytics",
    "Listener": "watson_async.observe",
    "MessageContext": "watson_async.models",
    "MessageInput": "watson_async.models",
    "MessageStream": "watson_async.client.streams",
    "NoAuthAuthenticator": "watson_async.auth",
    "NotFoundError": "watson_async.errors",
    "PermissionDeniedError": "watson_async.errors",
    "PoolEvent": "watson_async.conversation",
    "PoolFullError": "watson_async.errors",
    "RateLimit": "watson_async.protocol.wire",
    "RateLimitError": "watson_async.errors",
    "RateLimitGate": "watson_async.resilience.retry",
    "RateLimitState": "watson_async.resilience.retry",
    "RefreshEvent": "watson_async.auth",
    "RequestAnalytics": "watson_async.models",
    "ResponseParseError": "watson_async.errors",
    "ResponseTooLargeError": "watson_async.errors",
    "RetryEvent": "watson_async.resilience.retry",
    "RetryPolicy": "watson_async.resilience.retry",
    "SegmentBatchSink": "watson_async.analytics",
    "SegmentEvents": "watson_async.analytics",
    "ServerError": "watson_async.errors",
    "SessionNotFoundError": "watson_async.errors",
    "SessionResponse": "watson_async.models",
    "Sink": "watson_async.analytics",
    "StatefulMessageResponse": "watson_async.models",
    "StatelessConversation": "watson_async.conversation",
    "StatelessMessageContext": "watson_async.models",
    "StatelessMessageInput": "watson_async.models",
    "StatelessMessageResponse": "watson_async.models",
    "TokenAuthenticator": "watson_async.auth",
    "TrackCall": "watson_async.analytics",
    "Transport": "watson_async.transport",
    "TransportError": "watson_async.errors",
    "USER_AGENT": "watson_async.client",
    "WatsonError": "watson_async.errors",
    "WebhookCallEvent": "watson_async.observe",
    "derive_session_started": "watson_async.analytics",
    "derive_turn": "watson_async.analytics",
    "is_testing": "watson_async.resilience.retry",
    "set_testing": "watson_async.resilience.retry",
}

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_SERVICE_URL",
    "USER_AGENT",
    "AccessToken",
    "AiohttpTransport",
    "AnalyticsConfig",
    "ApiError",
    "Assistant",
    "AssistantClient",
    "AttemptEvent",
    "AuthenticationError",
    "Authenticator",
    "BadRequestError",
    "BasicAuthenticator",
    "BearerTokenAuthenticator",
    "ByteStream",
    "CallEvent",
    "CallbackSink",
    "ClientClosedError",
    "CloudPakForDataAuthenticator",
    "ConflictError",
    "Conversation",
    "ConversationPool",
    "DetailedResponse",
    "Event",
    "FleetEvent",
    "Gate",
    "GateBinding",
    "GateEvent",
    "HttpResponse",
    "IAMAuthenticator",
    "IncompleteStreamError",
    "JsonLinesSink",
    "Listener",
    "MessageContext",
    "MessageInput",
    "MessageStream",
    "NoAuthAuthenticator",
    "NotFoundError",
    "PermissionDeniedError",
    "PoolEvent",
    "PoolFullError",
    "RateLimit",
    "RateLimitError",
    "RateLimitGate",
    "RateLimitState",
    "RefreshEvent",
    "RequestAnalytics",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RetryEvent",
    "RetryPolicy",
    "SegmentBatchSink",
    "SegmentEvents",
    "ServerError",
    "SessionNotFoundError",
    "SessionResponse",
    "Sink",
    "StatefulMessageResponse",
    "StatelessConversation",
    "StatelessMessageContext",
    "StatelessMessageInput",
    "StatelessMessageResponse",
    "TokenAuthenticator",
    "TrackCall",
    "Transport",
    "TransportError",
    "WatsonError",
    "WebhookCallEvent",
    "__version__",
    "derive_session_started",
    "derive_turn",
    "is_testing",
    "set_testing",
]


def __getattr__(name: str) -> Any:
    """Load a public name (or a subpackage, ``watson_async.models``) on first use."""
    module = _WHERE.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later lookups don't come here
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# Quiet by default: applications decide where library logs go.
logging.getLogger("watson_async").addHandler(logging.NullHandler())
