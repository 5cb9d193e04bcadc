"""watson_async: the asyncio client for the IBM watsonx Assistant v2 API."""

from ._version import __version__

__all__ = ["__version__"]
