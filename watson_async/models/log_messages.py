"""``output.debug.log_messages[]``: messages logged while the turn was processed.

A message's ``source`` is a union keyed by ``type`` (:data:`LogMessageSource`); an
unknown ``type`` becomes :class:`LogMessageSourceUnknown` with its keys in ``extra``.
"""

import attrs

from watson_async.models._convert import register_tagged_union

from ._base import Model

__all__ = [
    "DialogLogMessage",
    "LogMessageSource",
    "LogMessageSourceAction",
    "LogMessageSourceDialogNode",
    "LogMessageSourceHandler",
    "LogMessageSourceStep",
    "LogMessageSourceUnknown",
]


@attrs.define(kw_only=True)
class LogMessageSourceDialogNode(Model):
    """The message was logged by a dialog node (``type: dialog_node``)."""

    type: str
    dialog_node: str | None = None


@attrs.define(kw_only=True)
class LogMessageSourceAction(Model):
    """The message was logged by an action (``type: action``)."""

    type: str
    action: str | None = None


@attrs.define(kw_only=True)
class LogMessageSourceStep(Model):
    """The message was logged by a step of an action (``type: step``)."""

    type: str
    action: str | None = None
    step: str | None = None


@attrs.define(kw_only=True)
class LogMessageSourceHandler(Model):
    """The message was logged by a handler of an action or step (``type: handler``)."""

    type: str
    action: str | None = None
    step: str | None = None
    handler: str | None = None


@attrs.define(kw_only=True)
class LogMessageSourceUnknown(Model):
    """A source of a ``type`` this version does not model; its keys are in ``extra``."""

    type: str


LogMessageSource = (
    LogMessageSourceDialogNode
    | LogMessageSourceAction
    | LogMessageSourceStep
    | LogMessageSourceHandler
    | LogMessageSourceUnknown
)
"""The ``source`` of a log message, chosen by its ``type``."""

register_tagged_union(
    LogMessageSource,
    "type",
    {
        "dialog_node": LogMessageSourceDialogNode,
        "action": LogMessageSourceAction,
        "step": LogMessageSourceStep,
        "handler": LogMessageSourceHandler,
    },
    LogMessageSourceUnknown,
)


@attrs.define(kw_only=True)
class DialogLogMessage(Model):
    """A message logged while the turn was processed (``level``: info, error or warn)."""

    level: str | None = None
    message: str | None = None
    code: str | None = None
    source: LogMessageSource | None = None
