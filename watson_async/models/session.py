"""Session creation: the reply and the analytics object clients send."""

import attrs

from ._base import Model, json_field

__all__ = ["RequestAnalytics", "SessionResponse"]


@attrs.define(kw_only=True)
class SessionResponse(Model):
    """The reply of ``create_session``."""

    session_id: str


@attrs.define(kw_only=True)
class RequestAnalytics(Model):
    """Client-side analytics (``input.analytics`` and ``create_session`` body).

    The Segment extension builds its events from these values.
    """

    browser: str | None = None
    device: str | None = None
    #: The URL of the web page hosting the conversation (JSON ``pageUrl``).
    page_url: str | None = json_field("pageUrl")
