"""The fake's authoring API: every handler of :mod:`._releases` and :mod:`._skills`."""

from __future__ import annotations

from ._releases import ReleasesAPI
from ._skills import SkillsAPI

__all__ = ["ResourceAPI"]


class ResourceAPI(ReleasesAPI, SkillsAPI):
    """The authoring handlers, one method per endpoint (named after it); state lives on
    the :class:`~._resources.Assistant` objects and in :class:`~._resources.ResourceBase`
    (providers, uploads)."""
