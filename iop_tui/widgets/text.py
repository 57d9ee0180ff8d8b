"""Showing text in widgets: literally, and only when it changed."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

__all__ = ["plain", "set_text"]


def plain(text: str) -> Content:
    """Text a member wrote, shown literally (never read as markup)."""
    return Content(text)


def set_text(widget: Static, text: str) -> None:
    """Update a Static only when its text changes (no repaint otherwise).

    The text shown is kept in ``widget.shown_text`` (tests read it); a
    widget with no text is hidden so it takes no room.
    """
    if getattr(widget, "shown_text", None) != text:
        widget.shown_text = text  # type: ignore[attr-defined]
        widget.update(plain(text))
        widget.display = bool(text)  # an empty line takes no room
