"""Testing helpers: :class:`FakeAssistant`, a fake Watson Assistant v2 service.

``async with FakeAssistant() as fake:`` serves IAM (``fake.iam_url``), the Cloud Pak for
Data authorize endpoint (``fake.cp4d_url`` + ``/v1/authorize``) and the v2 API
(``fake.service_url``) on a loopback socket, with a small scripted bot, per-endpoint
rate limiting (:data:`RATE_LIMIT_FAMILIES`, ``date_skew``), fault injection
(:meth:`FakeAssistant.enqueue_error`, :meth:`FakeAssistant.enqueue_html_error`,
:meth:`FakeAssistant.enqueue_malformed_json`, :meth:`FakeAssistant.enqueue_disconnect`,
:meth:`FakeAssistant.enqueue_delay`, :meth:`FakeAssistant.iam_outage`,
:meth:`FakeAssistant.rotate_apikey`), counters
(:attr:`FakeAssistant.unauthorized_responses`,
:attr:`FakeAssistant.expired_token_requests`,
:attr:`FakeAssistant.rate_limited_responses`, :meth:`FakeAssistant.turns_received`,
:meth:`FakeAssistant.turn_texts`) and request recording (:attr:`FakeAssistant.requests`).
It also serves the authoring API (environments, releases with export/import, skills,
providers, bulk classify), message logs with ``delete_user_data``, and
``message_stream`` server-sent events, and calls your pre-message, post-message and log
webhooks (:class:`WebhookTarget`; see :class:`FakeAssistant`); :class:`AsgiServer`
serves an ASGI webhook app (FastAPI) on loopback for it to call.
The pytest plugin (``watson_async.testing.pytest_plugin``) provides the
``fake_assistant`` and ``watson_cassette`` fixtures. :class:`Cassette` records a
client's exchanges with a real instance and replays them (``watson_async.testing.cassette``).
"""

from typing import TYPE_CHECKING

from watson_async._lazy import lazy_exports

if TYPE_CHECKING:
    from watson_async.testing._asgi import AsgiServer
    from watson_async.testing._records import RecordedAnalytics, RecordedRequest, RecordedUpload
    from watson_async.testing._script import BotState
    from watson_async.testing._segment import DEFAULT_WRITE_KEY, FakeSegment, RecordedBatch
    from watson_async.testing.cassette import (
        Cassette,
        CassetteError,
        CassetteMismatchError,
        RecordMode,
        UnmatchedRequestError,
        redact_keys,
    )
    from watson_async.testing.fake import FakeAssistant
    from watson_async.testing.fake._assistant import (
        DEFAULT_APIKEY,
        DEFAULT_ASSISTANT_ID,
        DEFAULT_ENVIRONMENT_ID,
        DEFAULT_INSTANCE_ID,
    )
    from watson_async.testing.fake._rate_limits import RATE_LIMIT_FAMILIES
    from watson_async.testing.fake._webhooks import WebhookCall, WebhookTarget

#: Where each public name is defined: loaded on first use, so that loading the pytest
#: plugin (every test run of a project that installs watson_async) costs no aiohttp.
_WHERE = {
    "AsgiServer": "watson_async.testing._asgi",
    "BotState": "watson_async.testing._script",
    "Cassette": "watson_async.testing.cassette",
    "CassetteError": "watson_async.testing.cassette",
    "CassetteMismatchError": "watson_async.testing.cassette",
    "DEFAULT_APIKEY": "watson_async.testing.fake._assistant",
    "DEFAULT_ASSISTANT_ID": "watson_async.testing.fake._assistant",
    "DEFAULT_ENVIRONMENT_ID": "watson_async.testing.fake._assistant",
    "DEFAULT_INSTANCE_ID": "watson_async.testing.fake._assistant",
    "DEFAULT_WRITE_KEY": "watson_async.testing._segment",
    "FakeAssistant": "watson_async.testing.fake",
    "FakeSegment": "watson_async.testing._segment",
    "RATE_LIMIT_FAMILIES": "watson_async.testing.fake._rate_limits",
    "RecordMode": "watson_async.testing.cassette",
    "RecordedAnalytics": "watson_async.testing._records",
    "RecordedBatch": "watson_async.testing._segment",
    "RecordedRequest": "watson_async.testing._records",
    "RecordedUpload": "watson_async.testing._records",
    "UnmatchedRequestError": "watson_async.testing.cassette",
    "WebhookCall": "watson_async.testing.fake._webhooks",
    "WebhookTarget": "watson_async.testing.fake._webhooks",
    "redact_keys": "watson_async.testing.cassette",
}

__all__ = [
    "DEFAULT_APIKEY",
    "DEFAULT_ASSISTANT_ID",
    "DEFAULT_ENVIRONMENT_ID",
    "DEFAULT_INSTANCE_ID",
    "DEFAULT_WRITE_KEY",
    "RATE_LIMIT_FAMILIES",
    "AsgiServer",
    "BotState",
    "Cassette",
    "CassetteError",
    "CassetteMismatchError",
    "FakeAssistant",
    "FakeSegment",
    "RecordMode",
    "RecordedAnalytics",
    "RecordedBatch",
    "RecordedRequest",
    "RecordedUpload",
    "UnmatchedRequestError",
    "WebhookCall",
    "WebhookTarget",
    "redact_keys",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals(), __all__)
