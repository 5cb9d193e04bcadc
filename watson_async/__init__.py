"""watson_async: the asyncio client for the IBM watsonx Assistant v2 API."""

import logging

from watson_async.client.response import DetailedResponse
from watson_async.client.streams import ByteStream, MessageStream
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

from ._version import __version__
from .analytics import (
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
from .auth import (
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
from .client import DEFAULT_RETRY, DEFAULT_SERVICE_URL, USER_AGENT, AssistantClient
from .conversation import Assistant, Conversation, StatelessConversation
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    IncompleteStreamError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ResponseTooLargeError,
    ServerError,
    SessionNotFoundError,
    TransportError,
    WatsonError,
)
from .models import (
    MessageContext,
    MessageInput,
    RequestAnalytics,
    SessionResponse,
    StatefulMessageResponse,
    StatelessMessageContext,
    StatelessMessageInput,
    StatelessMessageResponse,
)
from .observe import AttemptEvent, CallEvent, Event, Listener

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
    "__version__",
    "derive_session_started",
    "derive_turn",
    "is_testing",
    "set_testing",
]

# Quiet by default: applications decide where library logs go.
logging.getLogger("watson_async").addHandler(logging.NullHandler())
