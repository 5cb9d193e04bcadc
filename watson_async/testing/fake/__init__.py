"""The fake Watson Assistant v2 service, split by concern.

:class:`FakeAssistant` (``_assistant``) is the public class; the modules around it hold
its parts. Import it from :mod:`watson_async.testing`.
"""

from ._assistant import (
    DEFAULT_APIKEY,
    DEFAULT_ASSISTANT_ID,
    DEFAULT_ENVIRONMENT_ID,
    DEFAULT_INSTANCE_ID,
    RATE_LIMIT_FAMILIES,
    FakeAssistant,
)

__all__ = [
    "DEFAULT_APIKEY",
    "DEFAULT_ASSISTANT_ID",
    "DEFAULT_ENVIRONMENT_ID",
    "DEFAULT_INSTANCE_ID",
    "RATE_LIMIT_FAMILIES",
    "FakeAssistant",
]
