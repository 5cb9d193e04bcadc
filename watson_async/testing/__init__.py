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
``fake_assistant`` fixture.
"""

from ._asgi import AsgiServer
from ._records import RecordedAnalytics, RecordedRequest, RecordedUpload
from ._script import BotState
from ._segment import DEFAULT_WRITE_KEY, FakeSegment, RecordedBatch
from .fake import FakeAssistant
from .fake._assistant import (
    DEFAULT_APIKEY,
    DEFAULT_ASSISTANT_ID,
    DEFAULT_ENVIRONMENT_ID,
    DEFAULT_INSTANCE_ID,
)
from .fake._rate_limits import RATE_LIMIT_FAMILIES
from .fake._webhooks import WebhookCall, WebhookTarget

__all__ = [
    "DEFAULT_APIKEY",
    "DEFAULT_ASSISTANT_ID",
    "DEFAULT_ENVIRONMENT_ID",
    "DEFAULT_INSTANCE_ID",
    "DEFAULT_WRITE_KEY",
    "RATE_LIMIT_FAMILIES",
    "AsgiServer",
    "BotState",
    "FakeAssistant",
    "FakeSegment",
    "RecordedAnalytics",
    "RecordedBatch",
    "RecordedRequest",
    "RecordedUpload",
    "WebhookCall",
    "WebhookTarget",
]
