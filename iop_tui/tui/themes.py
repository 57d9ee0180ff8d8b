"""Themes for the Textual face, and what NO_COLOR does to them (:func:`no_color_filters`).

``ansi-dark`` and ``ansi-light`` are Textual's built-in themes that draw with
the terminal's own 16-colour palette, so a person's high-contrast terminal
scheme applies unchanged. ``high-contrast`` is ours: black and white with
one bright accent, for terminals that render true colour. Nothing in the app
is said by colour alone, so every theme (and no colour at all) reads the same.
"""

from __future__ import annotations

from typing import Any

from textual.filter import Monochrome, NoColor
from textual.theme import Theme

__all__ = ["HIGH_CONTRAST", "THEME_NAMES", "DEFAULT_THEME", "resolve_theme", "no_color_filters"]

HIGH_CONTRAST = Theme(
    name="high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    warning="#FFFF00",
    error="#FF6060",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#000000",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#FFFF00",
        "block-cursor-text-style": "bold",
        "footer-key-foreground": "#FFFF00",
        "input-selection-background": "#FFFF00 60%",
        "border": "#FFFFFF",
        "border-blurred": "#808080",
    },
)

#: Themes a person may pick with ``--theme`` (any Textual built-in works too).
THEME_NAMES = ("ansi-dark", "ansi-light", "high-contrast", "textual-dark", "textual-light")

_ALIASES = {"iop-high-contrast": "high-contrast", "contrast": "high-contrast", "ansi": "ansi-dark"}

#: The terminal's own palette: respects the user's colour scheme, never 24-bit.
DEFAULT_THEME = "ansi-dark"


def resolve_theme(name: str | None, available: set[str] | frozenset[str]) -> tuple[str, str | None]:
    """Return (theme to use, one-sentence warning or None) for a requested name."""
    if not name:
        return DEFAULT_THEME, None
    name = _ALIASES.get(name, name)
    if name in available:
        return name, None
    choices = ", ".join(THEME_NAMES)
    return DEFAULT_THEME, f"There is no theme called {name!r}; using {DEFAULT_THEME}. Choose one of: {choices}."


def no_color_filters(filters: list[Any], native_ansi: bool) -> list[Any]:
    """The app's line filters under NO_COLOR: no colour codes at all with an ANSI
    theme (``native_ansi``), greys otherwise."""
    wanted = NoColor() if native_ansi else Monochrome()
    return [f for f in filters if not isinstance(f, (NoColor, Monochrome))] + [wanted]
