"""The quick hide (F12) and the terminal driver it works with (Textual face).

F12 covers the session at once; it keeps running underneath, and Enter or F12
brings it back exactly as it was (:mod:`iop_tui.tui.screens.hidden`). On a
real terminal the driver (:mod:`iop_tui.tui.driver`) has already covered the
terminal when F12 was read, before any frame still queued for the covered
screen; :func:`hide` puts the hidden screen up behind that and tells the
driver when it is up. A headless or other driver has nothing to be told.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from iop_tui.tui.screens.hidden import HiddenScreen

__all__ = ["is_hidden", "hide", "reveal", "driver_class"]


def is_hidden(app: App[Any]) -> bool:
    """Is the hidden screen in front?"""
    stack = app.screen_stack
    return bool(stack) and isinstance(stack[-1], HiddenScreen)


def hide(app: App[Any]) -> None:
    """Cover the session (nothing is said while it is hidden)."""
    if not is_hidden(app):
        _tell_driver(app, "cover")
        app.clear_notifications()
        app.push_screen(HiddenScreen())
        _tell_driver(app, "covered_screen_up")


def reveal(app: App[Any]) -> None:
    """Bring the session back."""
    if is_hidden(app):
        app.pop_screen()
        _tell_driver(app, "uncover")


def _tell_driver(app: App[Any], what: str) -> None:
    """Tell the terminal driver about the hide (a headless or other driver has nothing to do)."""
    getattr(app._driver, what, lambda: None)()


def driver_class(base: Any) -> Any:
    """Textual's Linux driver becomes the one with the manners of
    :mod:`iop_tui.tui.driver` (hide first, no unused reports); any other stays."""
    from textual.drivers.linux_driver import LinuxDriver

    if base is LinuxDriver:
        from iop_tui.tui.driver import TerminalDriver

        return TerminalDriver
    return base
