__version__ = "0.1.0.dev0"

#: The API version dates whose changes this package knows, oldest first, each with what
#: it changed for a client (docs/getting-started.md#api-versions lists the same, tested).
API_VERSIONS: dict[str, str] = {
    "2024-08-25": "The version of ibm-watson 11's API definition, which every model follows.",
    "2024-12-02": (
        "The Microsoft Teams integration keeps an option's or a suggestion's `label` (shown) "
        "apart from its `value` (sent back when picked), as other channels always did. The "
        "reply's JSON is shaped as before; `picked_input()` sends the value under both."
    ),
}

#: The Watson Assistant API version date the package's tools default to (``watson-async``
#: chat, demo and loadtest): the newest of :data:`API_VERSIONS`.
#: :class:`~watson_async.AssistantClient` always takes one, so that an upgrade of this
#: package never changes the service's behaviour under your code.
DEFAULT_API_VERSION = max(API_VERSIONS)
