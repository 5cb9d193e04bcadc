"""The public surface: exactly these names, each documented (like httpx's __all__ test)."""

from __future__ import annotations

import inspect
import re
import typing

import watson_async
import watson_async.models
import watson_async.observe
from watson_async.models import Model

EXPECTED = {
    # client and responses
    "AssistantClient",
    "DetailedResponse",
    "Assistant",
    "Conversation",
    "ConversationPool",
    "PoolEvent",
    "StatelessConversation",
    "AnalyticsConfig",
    "CallbackSink",
    "JsonLinesSink",
    "SegmentBatchSink",
    "SegmentEvents",
    "Sink",
    "TrackCall",
    "derive_session_started",
    "derive_turn",
    "MessageStream",
    "ByteStream",
    "RateLimit",
    "DEFAULT_SERVICE_URL",
    "USER_AGENT",
    "__version__",
    # authenticators
    "Authenticator",
    "IAMAuthenticator",
    "BearerTokenAuthenticator",
    "BasicAuthenticator",
    "NoAuthAuthenticator",
    "DEFAULT_RETRY",
    "RetryPolicy",
    "RetryEvent",
    "FleetEvent",
    "Gate",
    "GateBinding",
    "GateEvent",
    "AttemptEvent",
    "CallEvent",
    "WebhookCallEvent",
    "Event",
    "Listener",
    "RateLimitGate",
    "RateLimitState",
    "set_testing",
    "is_testing",
    "CloudPakForDataAuthenticator",
    "TokenAuthenticator",
    "AccessToken",
    "RefreshEvent",
    # transport seam
    "Transport",
    "AiohttpTransport",
    "HttpResponse",
    # errors
    "WatsonError",
    "ApiError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "SessionNotFoundError",
    "ConflictError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "ClientClosedError",
    "PoolFullError",
    "ResponseParseError",
    "IncompleteStreamError",
    "ResponseTooLargeError",
    # the models of the message flow (all models live in watson_async.models)
    "MessageInput",
    "StatelessMessageInput",
    "MessageContext",
    "StatelessMessageContext",
    "SessionResponse",
    "StatefulMessageResponse",
    "StatelessMessageResponse",
    "RequestAnalytics",
}


def test_all_is_exactly_the_contract() -> None:
    assert set(watson_async.__all__) == EXPECTED
    assert len(watson_async.__all__) == len(EXPECTED)


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in watson_async.__all__:
        obj = getattr(watson_async, name)
        if typing.get_origin(obj) is not None:
            # A type alias (Event, Listener): a docstring right after its definition.
            source = inspect.getsource(watson_async.observe)
            assert re.search(rf'^{name}: TypeAlias = .*\n"""\S', source, re.M), (
                f"{name} has no docstring"
            )
        elif inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_error_hierarchy() -> None:
    w = watson_async
    assert issubclass(w.ApiError, w.WatsonError)
    assert issubclass(w.TransportError, w.WatsonError)
    assert issubclass(w.ResponseParseError, w.WatsonError)
    for cls in (
        w.AuthenticationError,
        w.NotFoundError,
        w.RateLimitError,
        w.ServerError,
        w.BadRequestError,
        w.PermissionDeniedError,
        w.ConflictError,
    ):
        assert issubclass(cls, w.ApiError)
    assert issubclass(w.SessionNotFoundError, w.NotFoundError)


def test_models_package_exports_documented_models() -> None:
    names = watson_async.models.__all__
    assert len(names) == len(set(names))
    for name in names:
        obj = getattr(watson_async.models, name)
        if inspect.isclass(obj):
            assert issubclass(obj, Model) or obj is Model, name
            assert inspect.getdoc(obj), f"models.{name} has no docstring"
    for union in ("RuntimeResponseGeneric", "MessageOutputDebugTurnEvent", "LogMessageSource"):
        assert union in names


def test_every_model_has_from_dict_and_to_dict() -> None:
    for name in watson_async.models.__all__:
        obj = getattr(watson_async.models, name)
        if inspect.isclass(obj) and issubclass(obj, Model):
            assert callable(obj.from_dict)
            assert callable(obj.to_dict)


def test_loadtest_names_are_documented() -> None:
    import watson_async.loadtest

    for name in watson_async.loadtest.__all__:
        obj = getattr(watson_async.loadtest, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"loadtest.{name} has no docstring"


def test_redis_names_are_exactly_these_and_documented() -> None:
    import watson_async.redis

    assert watson_async.redis.__all__ == ["RedisRateLimitGate", "RedisTokenCache"]
    for name in watson_async.redis.__all__:
        cls = getattr(watson_async.redis, name)
        assert inspect.getdoc(cls), f"redis.{name} has no docstring"
        for attr, member in vars(cls).items():
            if not attr.startswith("_") and callable(member):
                assert inspect.getdoc(member), f"redis.{name}.{attr} has no docstring"
