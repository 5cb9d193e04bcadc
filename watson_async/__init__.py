"""watson_async: the asyncio client for the IBM watsonx Assistant v2 API."""

from ._http import AiohttpTransport, HttpResponse, Transport
from ._response import DetailedResponse
from ._version import __version__
from ._wire import RateLimit
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
from .client import DEFAULT_SERVICE_URL, USER_AGENT, AssistantClient
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
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

__all__ = [
    "DEFAULT_SERVICE_URL",
    "USER_AGENT",
    "AccessToken",
    "AiohttpTransport",
    "ApiError",
    "AssistantClient",
    "AuthenticationError",
    "Authenticator",
    "BadRequestError",
    "BasicAuthenticator",
    "BearerTokenAuthenticator",
    "CloudPakForDataAuthenticator",
    "ConflictError",
    "DetailedResponse",
    "HttpResponse",
    "IAMAuthenticator",
    "MessageContext",
    "MessageInput",
    "NoAuthAuthenticator",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RefreshEvent",
    "RequestAnalytics",
    "ResponseParseError",
    "ServerError",
    "SessionNotFoundError",
    "SessionResponse",
    "StatefulMessageResponse",
    "StatelessMessageContext",
    "StatelessMessageInput",
    "StatelessMessageResponse",
    "TokenAuthenticator",
    "Transport",
    "TransportError",
    "WatsonError",
    "__version__",
]
