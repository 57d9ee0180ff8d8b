""""I need help now": the question, an optional line of the member's words, No or Yes.

The dialog opens in the words field, so a member can say what is happening at
once; nothing there sends. Enter (or Tab) in the field moves to No, the
default, so a stray Enter, or two, sends nothing; only Y outside the field or
Enter on "Yes, send it" sends. Escape, N or No cancels. Dismissed with the
words ("" for none) on yes, None on no.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from iop_tui.core import words
from iop_tui.tui.widgets.pane import quiet_input
from iop_tui.tui.widgets.toggles import WordButton
from protocol.messages import MAX_TEXT

__all__ = ["UrgentScreen"]


class UrgentScreen(ModalScreen[str | None]):
    """Y (outside the field) or Enter on Yes sends the words; N, Escape or No cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, send it"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes, send it", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes_label, self.no_label = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="urgent-box"):
            yield Static(self.question, id="urgent-question", markup=False)
            yield Static(words.URGENT_WORDS_LABEL, markup=False)
            yield quiet_input(hint=words.URGENT_WORDS_HINT, id="urgent-words", max_length=MAX_TEXT)
            yield Static(words.URGENT_DIALOG_KEYS, markup=False)
            with Horizontal(classes="buttons"):
                yield WordButton(self.no_label, id="urgent-no", compact=True)
                yield WordButton(self.yes_label, id="urgent-yes", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#urgent-words").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # Enter in the field never sends: it moves to No, the default
        self.query_one("#urgent-no").focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(self.query_one("#urgent-words", Input).value.strip() if answer else None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "urgent-yes")
