"""Ask for one line of text (a file path) in a small dialog."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from iop_tui.tui.widgets.pane import quiet_input

__all__ = ["PromptScreen"]


class PromptScreen(ModalScreen[str | None]):
    """Enter returns the text; Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, example: str = "", *, value: str = "", allow_empty: bool = False) -> None:
        super().__init__()
        self.question = question
        self.example = example
        self.value = value  # the text the field starts with (a default the person may keep)
        self.allow_empty = allow_empty  # Enter on an empty field returns "" rather than cancelling

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, markup=False)
            yield quiet_input(hint=self.example, id="prompt-input", value=self.value)
            yield Static("Enter confirms; Escape cancels.", markup=False)

    def on_mount(self) -> None:
        self.query_one("#prompt-input").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(text if text or self.allow_empty else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
