"""Between sessions, full screen: the resources the facilitators pinned and the peer feed.

Opened with ``/resources`` (both faces list the same lines: the plain face
says them). Everything is text: a resource's link is shown as text and never
opened or made clickable (no markup, no hyperlinks), and each line says what
it is. Escape or Q closes; the rows scroll by keyboard.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from iop_tui.core import words
from iop_tui.tui.screens.viewkeys import PANE_KEY_BINDINGS, PaneKeysClose

__all__ = ["BetweenScreen", "between_lines"]


def between_lines(model: Any) -> list[str]:
    """The view's lines: the pinned resources, then the between-session feed."""
    state = model.state
    return [*words.resource_lines(state), words.LINKS_NOT_OPENED, "", *words.feed_lines(state)]


class BetweenScreen(PaneKeysClose, Screen[None]):
    """The group's pinned resources and between-session feed."""

    BINDINGS = [
        *PANE_KEY_BINDINGS,  # a pane key closes the view and shows the pane (viewkeys)
        Binding("escape,q", "close", "Close"),
        Binding("down,j", "scroll('down')", "Scroll down", show=False),
        Binding("up,k", "scroll('up')", "Scroll up", show=False),
    ]

    DEFAULT_CSS = """
    BetweenScreen { padding: 0 1; }
    #between-rows { height: 1fr; }
    .between-row { width: 1fr; }
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.lines = between_lines(model)

    def compose(self) -> ComposeResult:
        yield Static("Between sessions: pinned resources and the feed. Escape closes.", id="between-head", markup=False)
        with VerticalScroll(id="between-rows", can_focus=True):
            for line in self.lines:
                yield Static(line, classes="between-row", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # as the session screen's: F12 Hide fits 80 columns

    def on_mount(self) -> None:
        self.query_one("#between-rows").focus()

    def action_scroll(self, where: str) -> None:
        rows = self.query_one("#between-rows", VerticalScroll)
        rows.scroll_down() if where == "down" else rows.scroll_up()

    def action_close(self) -> None:
        self.dismiss(None)
