"""Typed models of the Watson Assistant v2 API (attrs classes, one cattrs converter)."""

from ._base import Model, json_field

__all__ = ["Model", "json_field"]
