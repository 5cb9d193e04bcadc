__version__ = "0.1.0.dev0"

#: The Watson Assistant API version date the package's tools default to (``watson-async``
#: chat, demo and loadtest); :class:`~watson_async.AssistantClient` always takes one.
DEFAULT_API_VERSION = "2024-08-25"
