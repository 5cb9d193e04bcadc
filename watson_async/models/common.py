"""Shapes shared by many endpoints: error bodies, pagination, the empty response."""

import attrs

from ._base import Model

__all__ = ["EmptyResponse", "ErrorDetail", "ErrorResponse", "Pagination"]


@attrs.define(kw_only=True)
class ErrorDetail(Model):
    """One entry of ``ErrorResponse.errors``: what is wrong and where."""

    message: str | None = None
    #: JSON path of the offending value in the request, for example ``.input``.
    path: str | None = None


@attrs.define(kw_only=True)
class ErrorResponse(Model):
    """The JSON body of an error reply: ``{"error": ..., "code": ..., "errors": [...]}``."""

    error: str | None = None
    code: int | None = None
    errors: list[ErrorDetail] | None = None


@attrs.define(kw_only=True)
class Pagination(Model):
    """Paging information of a collection (``list_assistants`` and friends)."""

    refresh_url: str | None = None
    next_url: str | None = None
    total: int | None = None
    matched: int | None = None
    refresh_cursor: str | None = None
    next_cursor: str | None = None


@attrs.define(kw_only=True)
class _Paged(Model):
    """A page of a collection: its ``pagination`` (the items are under the subclass's key)."""

    pagination: Pagination | None = None


@attrs.define(kw_only=True)
class _Dated(Model):
    """A resource or task the service dates: ``created`` and ``updated``."""

    #: ISO-8601 timestamp, as sent.
    created: str | None = None
    #: ISO-8601 timestamp, as sent.
    updated: str | None = None


@attrs.define(kw_only=True)
class EmptyResponse(Model):
    """The ``{}`` body of ``delete_session``, ``delete_user_data`` and similar calls.

    Anything the service adds ends up in ``extra``.
    """
