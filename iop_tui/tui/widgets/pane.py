"""What every pane of the session screen shares.

A pane is told the current :class:`~iop_tui.core.model.SessionModel` with
:meth:`Pane.show_model` (attributes down) and asks the app to send commands
with :meth:`Pane.send` (messages up). Panes only touch the screen when what
they show has changed, so an idle session writes nothing to the terminal.
"""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.widgets import Input, TextArea

from iop_tui.tui.widgets.text import plain, set_text

__all__ = ["Pane", "set_text", "plain", "quiet_input", "quiet_text_area", "split_items"]


def quiet_input(*, hint: str = "", **kwargs: Any) -> Input:
    """An Input whose cursor does not blink (a blink repaints twice a second).

    ``hint`` is the grey example text shown while the field is empty.
    """
    kwargs.setdefault("compact", True)
    # Coming back into a filled field puts the caret at the end, never a selection of
    # all its text that the next key would replace (a note would be lost to one letter).
    kwargs.setdefault("select_on_focus", False)
    widget = Input(placeholder=hint, **kwargs)
    widget.cursor_blink = False
    return widget


def quiet_text_area(**kwargs: Any) -> TextArea:
    """A TextArea whose cursor does not blink."""
    kwargs.setdefault("compact", True)
    widget = TextArea(**kwargs)
    widget.cursor_blink = False
    return widget


def split_items(text: str) -> list[str]:
    """Items written on one line separated by ';' (or one per line)."""
    parts = text.replace("\n", ";").split(";")
    return [p.strip() for p in parts if p.strip()]


class Pane(VerticalScroll):
    """The scrolling body of one tab."""

    def show_model(self, model: Any) -> None:
        """Render from the session model; called after every batch of notices."""

    def on_mount(self) -> None:
        # Panes may be mounted late (lazily, after the first frame): catch up.
        self.app.pane_mounted(self)  # type: ignore[attr-defined]

    def mount_facilitator_tools(self, model: Any) -> None:
        """Mount the facilitator-only forms the first time a facilitator is seen.

        Members never build them: fewer widgets, less memory, a faster start
        on a low-resource machine.
        """
        if model.is_facilitator and not getattr(self, "_tools_mounted", False):
            self._tools_mounted = True
            tools = list(self.facilitator_tools())
            if tools:
                self.mount_all(tools)
                self.call_after_refresh(self.show_model, model)

    def facilitator_tools(self) -> Any:
        """Widgets only facilitators get (yielded), mounted at the end of the pane."""
        return ()

    def send(self, kind: str, data: dict[str, Any]) -> bool:
        """Send a command through the app; False (and a sentence shown) if refused locally."""
        return self.app.send_command(kind, data)  # type: ignore[attr-defined]

    def say(self, text: str, *, error: bool = False) -> None:
        """Tell the person something in one sentence (status line and a toast)."""
        self.app.say(text, error=error)  # type: ignore[attr-defined]
