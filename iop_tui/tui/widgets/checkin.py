"""The check-in pane: a member's mood, feeling words and note; the round at a glance.

A member's note is for the facilitators only unless they choose the group:
private by default. Everyone sees the round (lowest moods first); a note the
reader may see only because they facilitate is marked "private note:".
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.validation import Number
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from protocol.messages import MAX_LOCATION, MAX_TEXT, MAX_WORD

from iop_tui.core import words
from iop_tui.tui.widgets.pane import SELF, Pane, field, quiet_input, set_text
from iop_tui.tui.widgets.cursor_list import CursorOptionList
from iop_tui.tui.widgets.text import hanging, set_rows
from iop_tui.tui.widgets.toggles import WordButton, WordRadioButton

__all__ = ["CheckinPane", "checkin_line", "round_lines"]


def checkin_line(checkin: Any) -> str:
    """One line for one check-in, the name first."""
    if checkin.passed:
        return f"{checkin.name}: passed."
    parts = [f"{checkin.name}: mood {checkin.mood if checkin.mood is not None else 'not given'}"]
    if checkin.feelings:
        parts.append("feeling " + ", ".join(checkin.feelings))
    if checkin.note:
        label = "private note" if checkin.note_private else "note to the group"
        parts.append(f"{label}: {checkin.note}")
    elif checkin.note_private:
        parts.append("a private note for the facilitators")
    text = "; ".join(parts)
    return text if text.endswith((".", "!", "?")) else text + "."


def round_lines(state: Any, *, details: bool = False) -> list[str]:
    """The round: who checked in (lowest moods first), passes, and who has not yet.
    With ``details`` (a facilitator's round) each line adds the member's location
    and emergency contact."""
    done = state.checkin_round()
    members = [
        e for e in state.roster.values() if e.role == "participant" and not e.removed
    ]
    waiting = sorted(e.name for e in members if e.member_id not in state.checkins)
    lines = [f"Checked in: {len(done)} of {max(len(members), len(done))}."]
    lines += [" ".join(p for p in (checkin_line(c), words.safety_details_text(state, c.member_id) if details else "") if p) for c in done]
    lines.append("Not yet: " + ", ".join(waiting) + "." if waiting else "Everyone has checked in.")
    return lines


class RoundList(CursorOptionList):
    """The round, one row per member: Up and Down move through it, and the terminal
    cursor (with a screen reader's reading) follows the highlighted row."""

    def show_rows(self, rows: list[str]) -> None:
        """Show ``rows`` (a member's note keeps its line breaks, indented), keeping the highlight."""
        text = "\n".join(rows)
        if getattr(self, "shown_text", None) == text:
            return
        self.shown_text = text  # tests and the pane read it
        highlighted = self.highlighted
        self.set_options([Option(hanging(row)) for row in rows])
        if rows and highlighted is not None:
            self.highlighted = min(highlighted, len(rows) - 1)
        self.display = bool(rows)


class CheckinPane(Pane):
    """Check-in form (participants) and the round (everyone who may see it), a list to move through."""

    #: A participant's mood field first: a digit typed then is a mood, not a pane; else the round, row by row.
    FOCUS = ("#checkin-mood", "#checkin-round", SELF)

    def compose(self) -> ComposeResult:
        yield Static("", id="checkin-mine", classes="lead", markup=False)
        with Vertical(id="checkin-form", classes="form"):
            yield field("Mood, 0 (very low) to 10 (very good):", quiet_input(
                id="checkin-mood", hint="a number", type="integer",
                validators=[Number(minimum=0, maximum=10)], max_length=2,
            ))
            yield field("Feeling words, separated by commas:", quiet_input(id="checkin-feelings", hint="for example: tired, hopeful"))
            yield field("Note (optional):", quiet_input(id="checkin-note", hint="a few words, or leave empty"))
            yield Label("Who may read the note:")
            with RadioSet(id="checkin-note-to", compact=True):
                yield WordRadioButton("Facilitators only", value=True, id="note-facilitators")
                yield WordRadioButton("The group", id="note-group")
            yield field("Where you are (optional, facilitators only):",
                        quiet_input(id="checkin-location", hint="for example: at home", max_length=MAX_LOCATION))
            with Horizontal(classes="buttons"):
                yield WordButton("Submit check-in", id="checkin-submit", variant="primary", compact=True)
                yield WordButton("Pass", id="checkin-pass", compact=True)
        yield RoundList(id="checkin-round", compact=True)

    def show_model(self, model: Any) -> None:
        state = model.state
        me = model.me
        form = self.query_one("#checkin-form")
        is_participant = me is not None and me.role == "participant"
        if is_participant and not form.display:
            self.call_after_refresh(self._focus_form)  # the form appears: its first field takes the focus
        form.display = is_participant
        mine = self.query_one("#checkin-mine", Static)
        if me is None:
            set_text(mine, "Joining the session.")
        elif is_participant:
            own = state.checkins.get(me.member_id)
            if own is None:
                set_text(mine, "You have not checked in yet. Fill in your mood and press Submit, or Pass.")
            elif own.passed:
                set_text(mine, "You passed this round. You may still check in.")
            else:
                set_rows(mine, ["You checked in: " + checkin_line(own).split(": ", 1)[1]])
        elif me.role == "guest":
            set_text(mine, "Guests do not check in; members share how they are here.")
        else:
            set_text(mine, "The check-in round, lowest moods first.")
        if me is not None and me.role == "guest":
            rows = []
        elif state.session is None:
            rows = [words.NO_ROUND]  # the last round is over: no stale "Not yet" between sessions
        else:
            rows = round_lines(state, details=me is not None and me.role == "facilitator")
        self.query_one("#checkin-round", RoundList).show_rows(rows)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "checkin-pass":
            event.stop()
            self.send("checkin.submit", {"passed": True})
        elif event.button.id == "checkin-submit":
            event.stop()
            self._submit()

    def _focus_form(self) -> None:
        """Focus the mood field if this pane is in front and nothing in it has the focus yet."""
        focused = self.screen.focused
        mood = self.query_one("#checkin-mood")
        if mood.display and self.is_on_screen and self.screen.is_active and (focused is None or focused is self):
            self.place_focus(mood)

    #: Enter in a field moves on to the next one; Enter in the note (the last) submits.
    _NEXT_FIELD = {"checkin-mood": "#checkin-feelings", "checkin-feelings": "#checkin-note"}

    def on_input_submitted(self, event: Any) -> None:
        if event.input.id and event.input.id.startswith("checkin-"):
            event.stop()
            following = self._NEXT_FIELD.get(event.input.id)
            if following:
                self.query_one(following).focus()
            else:
                self._submit()

    def _refuse(self, sentence: str, field: str) -> None:
        """Say what is wrong and put the focus on the field to correct; what was typed stays."""
        self.say(sentence, error=True)
        self.query_one(field).focus()

    def _submit(self) -> None:
        raw = self.query_one("#checkin-mood", Input).value.strip()
        if not raw.isdigit() or not 0 <= int(raw) <= 10:
            self._refuse("Mood must be a whole number from 0 to 10; type it in the mood field.", "#checkin-mood")
            return
        feelings = [w.strip() for w in self.query_one("#checkin-feelings", Input).value.split(",") if w.strip()]
        long_words = [w for w in feelings if len(w) > MAX_WORD]
        if long_words:
            self._refuse(words.feeling_word_too_long_text(long_words[0], MAX_WORD), "#checkin-feelings")
            return
        if len(feelings) > 8:
            self._refuse(words.too_many_feelings_text(len(feelings), 8), "#checkin-feelings")
            return
        note = self.query_one("#checkin-note", Input).value.strip()
        if len(note) > MAX_TEXT:
            self._refuse(words.too_long_text(len(note), MAX_TEXT, "note"), "#checkin-note")
            return
        to_group = self.query_one("#note-group", RadioButton).value
        data = {
            "mood": int(raw),
            "feelings": feelings[:8],
            "note": note,
            "note_to": "group" if to_group else "facilitators",
        }
        location = self.query_one("#checkin-location", Input).value.strip()
        if location:
            data["location"] = location
        self.send("checkin.submit", data, said="Check-in sent.", then=self.fields_sent)
