"""The session screen: a header line, six panes in tabs, a status line, the footer.

Panes: Check-in, Slides, Polls, Chat, Homework and People (the roster), so
that everything fits at 80 columns by 24 rows. The screen passes the model
down to every pane; panes send commands up through the app.
"""

from __future__ import annotations

import importlib
from typing import Any

from textual.app import ComposeResult
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import MountError, Widget
from textual.widgets import Footer, TabbedContent, TabPane

from iop_tui.tui.widgets.status import HeaderLine, StatusLine

__all__ = ["SessionScreen", "PANES", "PANE_TITLES"]

#: Pane ids in tab order; keys 1-6 (and F1-F6) select them.
PANES = ("checkin", "slides", "polls", "chat", "homework", "people")
PANE_TITLES = {
    "checkin": "Check-in",
    "slides": "Slides",
    "polls": "Polls",
    "chat": "Chat",
    "homework": "Homework",
    "people": "People",
}
#: Where each pane's body lives; imported after the first frame.
_BODIES = {
    "checkin": ("checkin", "CheckinPane"),
    "slides": ("slides", "SlidesPane"),
    "polls": ("polls", "PollsPane"),
    "chat": ("chat", "ChatPane"),
    "homework": ("homework", "HomeworkPane"),
    "people": ("people", "PeoplePane"),
}


def _body(pane: str) -> Widget:
    module, name = _BODIES[pane]
    return getattr(importlib.import_module(f"iop_tui.tui.widgets.{module}"), name)(id=f"{pane}-pane")


#: What takes the focus when a pane is brought forward.
_FOCUS = {
    "checkin": ("#checkin-mood", "#checkin-pane"),  # a participant's mood field: a digit is a mood, not a pane
    "slides": ("#slides-pane",),
    "polls": ("#vote-single", "#vote-multiple", "#poll-list", "#prepared-polls", "#poll-question", "#polls-pane"),
    "chat": ("#chat-input",),
    "homework": ("#hw-list", "#prepared-hw", "#hw-title", "#homework-pane"),
    "people": ("#people-list",),
}


class PaneTabs(TabbedContent):
    """Tabs whose pane changes only by a key, a click or a phase, never by focus.

    Textual brings a pane forward when a widget inside it is focused; a focus
    message that arrives late (after the person or a phase already moved on)
    would then flip the pane back. Here the app moves focus only into the
    active pane, so that rule has nothing to add and is turned off.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.prevent_default()  # the base class's handler would switch panes
        event.stop()


class SessionScreen(Screen[None]):
    """Everything of one live session on one screen."""

    #: Focus is placed by the app (in the active pane); Textual's auto focus
    #: could land in a pane mounted in the background and bring it forward.
    AUTO_FOCUS = None

    #: Textual repaints the whole screen when the focus moves (``Screen.focused``
    #: repaints); the widget that gains the focus and the one that loses it
    #: repaint themselves, which is all that changes: a pane switch or a focus
    #: move on a slow link costs those rows, not a whole screen.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def compose(self) -> ComposeResult:
        yield HeaderLine("Joining the session…", id="header", markup=False)
        with PaneTabs(initial="checkin", id="tabs"):
            for pane in PANES:
                yield TabPane(PANE_TITLES[pane], id=pane)
        yield StatusLine("", id="status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.app.session_screen_ready()  # type: ignore[attr-defined]
        # A pane's body is built the first time it is shown, after the first
        # frame: the header and the tab row appear at once, and a member who
        # never opens a pane never pays for its widgets.
        self.call_after_refresh(self._first_body)

    async def _first_body(self) -> None:
        await self.ensure_body(self.query_one("#tabs", TabbedContent).active)
        self.app.panes_ready()  # type: ignore[attr-defined]

    async def ensure_body(self, pane: str) -> None:
        """Mount the body of ``pane`` unless it is already there."""
        if pane not in _BODIES:
            return
        tab_pane = self.query_one("#tabs", TabbedContent).get_pane(pane)
        if not tab_pane.is_attached or tab_pane.children:
            return
        try:
            await tab_pane.mount(_body(pane))
        except MountError:
            return  # the app is closing

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            await self.ensure_body(event.pane.id)

    def panes(self) -> list[Widget]:
        from iop_tui.tui.widgets.pane import Pane

        return list(self.query(Pane))

    def show_model(self, model: Any) -> None:
        for pane in self.panes():
            pane.show_model(model)

    def focus_pane(self, pane: str) -> None:
        """Put the focus on the pane's main control (the first one shown)."""
        for selector in _FOCUS.get(pane, ()):
            for widget in self.query(selector):
                if widget.focusable and all(getattr(a, "display", True) for a in widget.ancestors_with_self):
                    widget.focus()
                    return
