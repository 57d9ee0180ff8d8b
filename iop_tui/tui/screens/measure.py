"""A questionnaire (PHQ-9, GAD-7), one question at a time, the four answers by keyboard.

Keys 0 to 3 answer (or the arrows and Enter on the list); Escape stops, and the
member goes on later with the same key. Each answer is sent as it is given, so
nothing typed is lost when the member stops; the relay scores the last one and
says the total to the member and the facilitators only.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from protocol.measures import ANSWERS, STEM

from iop_tui.core import words
from iop_tui.core.safety import Pending, current_item
from iop_tui.tui.messages import Say

__all__ = ["MeasureScreen"]


class MeasureScreen(ModalScreen[None]):
    """One question of the oldest unfinished questionnaire, then the next."""

    BINDINGS = [
        Binding("0", "answer(0)", "Not at all", show=False),
        Binding("1", "answer(1)", "Several days", show=False),
        Binding("2", "answer(2)", "More than half", show=False),
        Binding("3", "answer(3)", "Nearly every day", show=False),
        Binding("escape", "stop", "Stop for now"),
    ]

    def __init__(self, model: Any, send: Any) -> None:
        super().__init__()
        self.model = model
        self._send = send
        self._sent: dict[int, set[int]] = {}  # measure id -> items answered here, before the relay's echo
        self.pending: Pending | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="measure-box"):
            yield Static("", id="measure-title", markup=False)
            yield Static(STEM, id="measure-stem", markup=False)
            yield Static("", id="measure-question", markup=False)
            yield OptionList(*(f"{value} {label}" for value, label in ANSWERS), id="measure-answers")
            yield Static("Press 0, 1, 2 or 3, or choose and press Enter. Escape stops; you can go on later.", markup=False)

    DEFAULT_CSS = """
    MeasureScreen { align: center middle; }
    #measure-box { width: 76; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    #measure-title { text-style: bold; }
    #measure-answers { height: auto; }
    """

    def on_mount(self) -> None:
        self._show()
        self.query_one("#measure-answers").focus()

    def _next(self) -> Pending | None:
        pending = current_item(self.model.state, self.model.me_id)
        if pending is None:
            return None
        sent = self._sent.get(pending.measure_id, set())
        left = [i for i in range(len(pending.measure.items)) if i not in sent and i not in self._answered(pending)]
        return Pending(pending.measure_id, pending.measure, left[0], len(pending.measure.items) - len(left)) if left else None

    def _answered(self, pending: Pending) -> set[int]:
        response = self.model.state.responses.get((pending.measure_id, self.model.me_id))
        return set(response.answers) if response is not None else set()

    def _show(self) -> None:
        self.pending = self._next()
        if self.pending is None:
            self.dismiss(None)
            return
        p = self.pending
        self.query_one("#measure-title", Static).update(f"{p.measure.title}, question {p.item + 1} of {len(p.measure.items)}")
        self.query_one("#measure-question", Static).update(p.measure.items[p.item] + ".")
        answers = self.query_one("#measure-answers", OptionList)
        answers.highlighted = 0
        self.post_message(Say(words.measure_item_text(p, typed=False), toast=False))

    def action_answer(self, answer: int) -> None:
        p = self.pending
        if p is None:
            return
        if self._send("measure.answer", {"measure_id": p.measure_id, "item": p.item, "answer": answer}):
            self._sent.setdefault(p.measure_id, set()).add(p.item)
            self._show()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_answer(event.option_index)

    def action_stop(self) -> None:
        self.dismiss(None)
