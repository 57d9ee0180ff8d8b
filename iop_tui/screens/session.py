"""The session screen: a header line, six panes in tabs, a status line, the footer.

Panes: Check-in, Slides, Polls, Chat, Homework and People (the roster), so
that everything fits at 80 columns by 24 rows. The screen passes the model
down to every pane; panes send commands up through the app.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Footer, TabbedContent, TabPane

from ..widgets.chat import ChatPane
from ..widgets.checkin import CheckinPane
from ..widgets.homework import HomeworkPane
from ..widgets.pane import Pane
from ..widgets.people import PeoplePane
from ..widgets.polls import PollsPane
from ..widgets.slides import SlidesPane
from ..widgets.status import HeaderLine, StatusLine

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
_BODIES = {
    "checkin": CheckinPane,
    "slides": SlidesPane,
    "polls": PollsPane,
    "chat": ChatPane,
    "homework": HomeworkPane,
    "people": PeoplePane,
}
#: What takes the focus when a pane is brought forward.
_FOCUS = {
    "checkin": ("#checkin-mood", "#checkin-pane"),
    "slides": ("#slides-pane",),
    "polls": ("#vote-single", "#vote-multiple", "#poll-list", "#poll-question", "#polls-pane"),
    "chat": ("#chat-input",),
    "homework": ("#hw-list", "#hw-title", "#homework-pane"),
    "people": ("#people-list",),
}


class SessionScreen(Screen[None]):
    """Everything of one live session on one screen."""

    def compose(self) -> ComposeResult:
        yield HeaderLine("Joining the session…", id="header", markup=False)
        with TabbedContent(initial="checkin", id="tabs"):
            for pane in PANES:
                yield TabPane(PANE_TITLES[pane], id=pane)
        yield StatusLine("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.session_screen_ready()  # type: ignore[attr-defined]
        # Pane bodies are mounted just after the first frame, so the header
        # and the tab row show at once (the active pane first).
        self.call_after_refresh(self._mount_bodies)

    async def _mount_bodies(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        order = sorted(PANES, key=lambda p: p != tabs.active)
        for pane in order:
            tab_pane = tabs.get_pane(pane)
            if not tab_pane.is_attached or tab_pane.children:
                continue
            try:
                await tab_pane.mount(_BODIES[pane](id=f"{pane}-pane"))
            except MountError:
                return  # the app is closing
        self.app.panes_ready()  # type: ignore[attr-defined]

    def panes(self) -> list[Pane]:
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
