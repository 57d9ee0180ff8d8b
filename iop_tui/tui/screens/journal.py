"""The Journal view: a member writes the open prompt privately, and reads their journal.

A member sees the open prompt's questions, one text box each (Tab moves
between them), and their journal below, oldest entry first. Ctrl+S saves,
Ctrl+D saves it as finished, Ctrl+F shares the entry with the facilitators
and Ctrl+G with the group; Escape saves what was typed (nothing typed is
lost) and closes. An entry is the member's alone until they share it: the
relay sends it to no one else, facilitators included.

A facilitator sees each prompt's counts ("4 of 6 writing, 2 done") and the
entries members shared. The same words as the plain face's ``/journal``
(:mod:`iop_tui.core.words`); commands go up as :class:`SendCommand`.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from iop_tui.core import words
from iop_tui.tui.messages import Say, SendCommand
from iop_tui.tui.screens.viewkeys import PANE_KEY_BINDINGS, PaneKeysClose

__all__ = ["JournalScreen", "JOURNAL_KEYS"]

JOURNAL_KEYS = "Tab moves between questions. Ctrl+S saves, Ctrl+D saves it as finished, Ctrl+F shares it with the facilitators, Ctrl+G with the group. Escape saves and closes."


class JournalScreen(PaneKeysClose, ModalScreen[None]):
    """The open prompt to write (members) and the journal to read."""

    BINDINGS = [
        *PANE_KEY_BINDINGS,  # a pane key saves and closes, as Escape does, and shows the pane (viewkeys)
        # priority: the answer boxes (TextArea) would take Ctrl+D as "delete right" (qam)
        Binding("ctrl+s", "save(False)", "Save", priority=True),
        Binding("ctrl+d", "save(True)", "Finish", priority=True),
        Binding("ctrl+f", "share('facilitators')", "Share with facilitators", priority=True),
        Binding("ctrl+g", "share('group')", "Share with group", priority=True),
        Binding("escape", "close", "Save and close"),
    ]

    DEFAULT_CSS = """
    JournalScreen { align: center middle; }
    #journal-box { width: 100%; max-width: 100; height: 100%; border: round $accent; padding: 0 1; background: $surface; }
    #journal-title { text-style: bold; }
    .journal-question { margin-top: 1; }
    #journal-keys { color: $text-muted; }
    #journal-state { text-style: bold; }
    .journal-answer { height: 4; }
    #journal-read { margin-top: 1; }
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.prompt = model.state.open_prompt() if not model.is_facilitator else None
        self._saved: list[str] = self._answers_held()
        self._title = self._read = ""

    def _answers_held(self) -> list[str]:
        if self.prompt is None:
            return []
        entry = self.model.state.journal.get((self.prompt.prompt_id, self.model.me_id))
        answers = list(entry.answers) if entry is not None else []
        return answers + [""] * (len(self.prompt.fields) - len(answers))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="journal-box"):
            yield Static("", id="journal-title", markup=False)
            if self.prompt is not None:
                yield Static("", id="journal-state", markup=False)  # saved, finished, shared: said in view
                yield Static(JOURNAL_KEYS, id="journal-keys", markup=False)
                for number, (field, answer) in enumerate(zip(self.prompt.fields, self._saved, strict=True), 1):
                    label = f"Question {number} of {len(self.prompt.fields)}: {field}" if len(self.prompt.fields) > 1 else field
                    yield Static(label, classes="journal-question", markup=False)
                    yield TextArea(answer, id=f"journal-answer-{number}", classes="journal-answer", soft_wrap=True)
            yield Static("", id="journal-read", markup=False)

    def on_mount(self) -> None:
        self.show_model(self.model)
        if self.prompt is not None:
            self.query_one("#journal-answer-1", TextArea).focus()

    @property
    def shown(self) -> str:
        """The view's words (title and journal), for tests and the status line."""
        return f"{self._title}\n{self._read}"

    def show_model(self, model: Any) -> None:
        """Attributes down: the session screen hands on each new model state."""
        self.model = model
        state = model.state
        if model.is_facilitator:
            title, lines = "Journaling: counts and shared entries (an unshared entry is its member's alone).", words.facilitator_journal_lines(state)
        else:
            prompt = self.prompt
            title = (f"Journaling, {words.minutes_words(prompt.minutes)}: {prompt.title}. {words.JOURNAL_PRIVATE}"
                     if prompt is not None else words.NO_PROMPT_OPEN)
            lines = words.journal_lines(state, model.me_id) if state.journal_of(model.me_id or 0) else [words.NO_JOURNAL]
        self._title, self._read = title, "\n".join(lines)
        if self.prompt is not None:
            entry = state.journal.get((self.prompt.prompt_id, model.me_id))
            self.query_one("#journal-state", Static).update(words.journal_entry_state(entry))
        self.query_one("#journal-title", Static).update(self._title)
        self.query_one("#journal-read", Static).update(self._read)

    def _typed(self) -> list[str]:
        if self.prompt is None:
            return []
        return [self.query_one(f"#journal-answer-{n}", TextArea).text.strip() for n in range(1, len(self.prompt.fields) + 1)]

    def action_save(self, done: bool) -> None:
        answers = self._typed()
        if self.prompt is None:
            self.post_message(Say(words.NO_PROMPT_OPEN))
            return
        if not any(answers):
            sentence = words.NO_JOURNAL_ENTRY if done else "Your entry is empty; write something first."
            self.query_one("#journal-state", Static).update(sentence)  # the status line is under this view
            self.post_message(Say(sentence))
            return
        self._saved = answers

        self.post_message(SendCommand("journal.write", {"prompt_id": self.prompt.prompt_id, "answers": answers, "done": done}))

    def action_share(self, to: str) -> None:
        if self.prompt is None:
            self.post_message(Say(words.NO_PROMPT_OPEN))
            return
        if self._typed() != self._saved or self.model.state.journal.get((self.prompt.prompt_id, self.model.me_id)) is None:
            self.action_save(False)  # share what is in the boxes now
        self.post_message(SendCommand("journal.share", {"prompt_id": self.prompt.prompt_id, "to": to}))

    def action_close(self) -> None:
        if self.prompt is not None and any(self._typed()) and self._typed() != self._saved:
            self.action_save(False)  # nothing typed is lost
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "share"):
            return self.prompt is not None
        return True
