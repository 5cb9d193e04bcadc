"""What picking a choice sends back, for every kind of choice a reply offers.

Options, suggestions and ``post_back`` buttons all pair a ``label`` (what to show) with
``value.input`` (what to send). They are the same string only when the author made them
so: since API version ``2024-12-02`` even the Microsoft Teams integration keeps them
apart, so a client that echoes the label back sends the wrong input.
"""

from typing import Any, Protocol

__all__ = ["Pickable"]


class _CarriesInput(Protocol):
    input: dict[str, Any] | None


class Pickable:
    """Mixin of the choice models: ``label`` plus ``value.input``."""

    __slots__ = ()

    label: str | None
    value: _CarriesInput | None

    def picked_input(self) -> dict[str, Any]:
        """The ``MessageInput`` to send when the user picks this choice: ``value.input``,
        with the label as ``text`` when it has none (as IBM's web chat does)."""
        sent = dict(self.value.input) if self.value is not None and self.value.input else {}
        if self.label:
            sent.setdefault("text", self.label)
        return sent
