"""The fake Watson Assistant v2 service, split by concern.

:class:`FakeAssistant` (``_assistant``) is the public class; the modules around it hold
its parts. Import it from :mod:`watson_async.testing`.
"""

from ._assistant import FakeAssistant

__all__ = ["FakeAssistant"]
