"""The homework pane: assignments with due dates and a status in words.

Members submit (and update) free text, a checklist, or an emotion log with
one row per day ("2026-12-01; 4; tired, calm; a note"). Facilitators assign
on the spot and see completion per member ("Sam: submitted", "Alex: not yet").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Static, TextArea
from textual.widgets.option_list import Option

from iop_tui.core import words
from iop_tui.core.words import homework_status
from iop_tui.tui.widgets.cursor_list import CursorOptionList, CursorSelectionList
from iop_tui.tui.widgets.pane import SELF, Pane, field, plain, quiet_input, quiet_text_area, set_text, split_items
from iop_tui.tui.widgets.text import set_rows
from iop_tui.tui.widgets.toggles import WordButton, WordRadioButton

__all__ = ["HomeworkPane", "completion_lines", "parse_log"]

KIND_WORDS = {"text": "free text", "checklist": "checklist", "emotion_log": "emotion log"}


def completion_lines(hw: Any, state: Any) -> list[str]:
    """Per participant: 'Sam: submitted; wrote: ...' or 'Alex: not yet'; revoked members' work is marked."""
    lines = []
    roster = state.roster
    people = sorted(state.active_participants(), key=lambda e: e.name)
    known = {e.member_id for e in people}

    def handed_in(name: str, sub: Any) -> str:
        return f"{name}: {'submitted late' if sub.late else 'submitted'}; {words.submission_text(hw, sub)}"

    for entry in people:
        sub = hw.submissions.get(entry.member_id)
        lines.append(f"{entry.name}: not yet" if sub is None else handed_in(entry.name, sub))
    for mid, sub in hw.submissions.items():
        if mid not in known:
            gone = mid in roster and roster[mid].removed
            lines.append(handed_in(f"{sub.name} (revoked)" if gone else sub.name, sub))
    return [f"Completion: {words.completion_text(state, hw)}."] + lines


def parse_log(text: str) -> list[dict[str, Any]]:
    """Rows 'YYYY-MM-DD; mood; feeling, feeling; note' -> log entries; ValueError says which row."""
    entries = []
    for number, row in enumerate((r for r in text.splitlines() if r.strip()), start=1):
        parts = [p.strip() for p in row.split(";")]
        if len(parts) < 2:
            raise ValueError(f"Row {number} needs at least a day and a mood, like: 2026-12-01; 4; tired, calm.")
        day, mood = parts[0], parts[1]
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"Row {number}: write the day as YYYY-MM-DD.") from None
        if not mood.isdigit() or not 0 <= int(mood) <= 10:
            raise ValueError(f"Row {number}: the mood must be a whole number from 0 to 10.")
        feelings = [w.strip() for w in parts[2].split(",") if w.strip()] if len(parts) > 2 else []
        note = "; ".join(parts[3:]) if len(parts) > 3 else ""
        entries.append({"day": day, "mood": int(mood), "feelings": feelings[:8], "note": note})
    return entries


class _HomeworkTools(Vertical):
    """The facilitator's homework tools: prepared homework and an assignment form."""

    def compose(self) -> ComposeResult:
        with Vertical(id="prepared-hw-box", classes="form"):
            yield Label("Homework prepared in the plan: Enter assigns one.")
            yield CursorOptionList(id="prepared-hw", classes="short-list", compact=True)
        with Vertical(id="hw-form", classes="form"):
            yield Label("Assign homework.")
            yield field("Title:", quiet_input(id="hw-title", hint="for example: Thought record"))
            yield Label("Kind:")
            with RadioSet(id="hw-kind", compact=True):
                yield WordRadioButton("free text", value=True, id="hwkind-text")
                yield WordRadioButton("checklist", id="hwkind-checklist")
                yield WordRadioButton("emotion log", id="hwkind-emotion_log")
            yield field("Instructions:", quiet_input(id="hw-instructions", hint="what to do"))
            yield field("Checklist items, separated by ; (checklist only):", quiet_input(id="hw-items", hint="Walk; Call a friend"))
            yield field("Due date, YYYY-MM-DD or +7 for a week:", quiet_input(id="hw-due", hint="+7 or YYYY-MM-DD", max_length=12))
            yield WordButton("Assign homework", id="hw-assign", variant="primary", compact=True)


class HomeworkPane(Pane):
    """Assignments, submission forms and completion."""

    FOCUS = ("#hw-list", "#prepared-hw", "#hw-title", SELF)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._model: Any = None
        self._ids: list[int] = []
        self._rows: list[str] = []
        self._form_for: tuple[int, float] | None = None

    def compose(self) -> ComposeResult:
        yield Static("No homework yet.", id="hw-lead", classes="lead", markup=False)
        yield CursorOptionList(id="hw-list", classes="short-list", compact=True)
        yield Static("", id="hw-detail", markup=False)
        with Vertical(id="hw-submit-box", classes="form"):
            yield Label("", id="hw-submit-help")
            yield quiet_text_area(id="hw-text", classes="answer")
            yield CursorSelectionList(id="hw-checklist", classes="short-list", compact=True)
            yield quiet_text_area(id="hw-log", classes="answer")
            yield WordButton("Submit homework", id="hw-submit", variant="primary", compact=True)
        yield Static("", id="hw-completion", markup=False)

    def facilitator_tools(self) -> Any:
        yield _HomeworkTools(classes="tools")

    # -- rendering -----------------------------------------------------------

    def selected(self) -> Any:
        if self._model is None or not self._ids:
            return None
        index = self.query_one("#hw-list", OptionList).highlighted
        index = 0 if index is None else min(index, len(self._ids) - 1)
        return self._model.state.homework.get(self._ids[index])

    def show_model(self, model: Any) -> None:
        self._model = model
        state = model.state
        self.mount_facilitator_tools(model)
        if model.is_facilitator and self.query("#prepared-hw-box"):
            self._show_prepared(model.is_facilitator)
        today = dt.date.today()
        me = model.me
        my_id = me.member_id if me is not None else None
        items = sorted(state.homework.values(), key=lambda h: (h.due < today.isoformat(), h.due, h.homework_id))
        ids = [h.homework_id for h in items]
        rows = []
        for hw in items:
            when = "Past" if hw.due < today.isoformat() else "Current"
            row = f"{when}: {hw.title}, due {hw.due}"
            if model.is_facilitator:
                row += f", {len(hw.submissions)} submitted" + (f", {words.assigned_text(state, hw)}" if hw.assigned_to is not None else "")
            elif me is not None and me.role == "participant":
                row += f", {homework_status(hw, my_id, today)}"
            rows.append(row)
        hw_list = self.query_one("#hw-list", CursorOptionList)
        if ids != self._ids or rows != self._rows:
            highlighted = hw_list.highlighted
            hw_list.set_options([Option(plain(r)) for r in rows])
            if ids:
                hw_list.highlighted = 0 if highlighted is None or ids != self._ids else min(highlighted, len(ids) - 1)
            self._ids, self._rows = ids, rows
        hw_list.display = bool(ids)
        set_text(
            self.query_one("#hw-lead", Static),
            f"{len(ids)} assignment{'s' if len(ids) != 1 else ''}; up and down choose one." if ids else "No homework yet.",
        )
        self._render_selected()

    def _show_prepared(self, facilitator: bool) -> None:
        plan = self.plan
        items = plan.homework if (facilitator and plan is not None) else ()
        self.query_one("#prepared-hw-box").display = bool(items)
        rows = tuple(f"Prepared {i}: {h.title} ({KIND_WORDS.get(h.kind, h.kind)}), due {h.due}" for i, h in enumerate(items, 1))
        if rows != getattr(self, "_prepared_rows", ()):
            self._prepared_rows = rows
            self.query_one("#prepared-hw", CursorOptionList).set_options([Option(plain(r)) for r in rows])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "prepared-hw":
            event.stop()
            plan = self.plan
            if plan is not None and event.option_index < len(plan.homework):
                kind, data = plan.homework[event.option_index].command(dt.date.today())
                self.send(kind, data, said=f"Homework assigned: {data['title']}, due {data['due']}.")

    def _render_selected(self) -> None:
        model = self._model
        hw = self.selected()
        detail = self.query_one("#hw-detail", Static)
        box = self.query_one("#hw-submit-box")
        completion = self.query_one("#hw-completion", Static)
        if hw is None or model is None:
            set_text(detail, "")
            set_text(completion, "")
            box.display = False
            return
        me = model.me
        my_id = me.member_id if me is not None else None
        lines = [f"{hw.title}: {KIND_WORDS.get(hw.kind, hw.kind)}, due {hw.due}."]
        if hw.instructions:
            lines.append(f"Instructions: {hw.instructions}")
        if hw.items and hw.kind == "checklist":
            lines.append("Items: " + "; ".join(hw.items) + ".")
        participant = me is not None and me.role == "participant"
        if participant:
            lines.append("Status: " + homework_status(hw, my_id, dt.date.today()) + ".")
        set_rows(detail, lines)
        box.display = participant
        if participant:
            self._fill_form(hw, hw.submissions.get(my_id))
        set_rows(completion, completion_lines(hw, model.state) if model.is_facilitator else [])

    def _fill_form(self, hw: Any, sub: Any) -> None:
        key = (hw.homework_id, sub.ts if sub is not None else 0.0)
        kind = hw.kind
        self.query_one("#hw-text").display = kind == "text"
        self.query_one("#hw-checklist").display = kind == "checklist"
        self.query_one("#hw-log").display = kind == "emotion_log"
        help_text = {
            "text": "Your answer (Tab leaves the text box):",
            "checklist": "Tick what you did with Space, then press Submit homework:",
            "emotion_log": "One row per day: YYYY-MM-DD; mood 0-10; feeling words, comma separated; note",
        }.get(kind, "")
        set_text(self.query_one("#hw-submit-help", Label), help_text)
        label = "Update my submission" if sub is not None else "Submit homework"
        button = self.query_one("#hw-submit", Button)
        if str(button.label) != label:
            button.label = label
        if key == self._form_for:
            return
        self._form_for = key
        self.query_one("#hw-text", TextArea).text = sub.text if sub is not None else ""
        checklist = self.query_one("#hw-checklist", CursorSelectionList)
        checklist.clear_options()
        checked = set(sub.checked) if sub is not None else set()
        checklist.add_options([(plain(item), i, i in checked) for i, item in enumerate(hw.items)])
        rows = [
            f"{e.get('day', '')}; {e.get('mood', '')}; {', '.join(e.get('feelings', []))}; {e.get('note', '')}".rstrip("; ")
            for e in (sub.log if sub is not None else [])
        ]
        self.query_one("#hw-log", TextArea).text = "\n".join(rows) or f"{dt.date.today().isoformat()}; "

    # -- events --------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "hw-list":
            self._render_selected()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "hw-submit":
            event.stop()
            self._submit()
        elif event.button.id == "hw-assign":
            event.stop()
            self._assign()

    def _submit(self) -> None:
        hw = self.selected()
        if hw is None:
            return
        data: dict[str, Any] = {"homework_id": hw.homework_id}
        if hw.kind == "text":
            text = self.query_one("#hw-text", TextArea).text.strip()
            if not text:
                self.say("Write your answer in the text box first.", error=True)
                return
            data["text"] = text
        elif hw.kind == "checklist":
            data["checked"] = sorted(self.query_one("#hw-checklist", CursorSelectionList).selected)
        else:
            try:
                data["log"] = parse_log(self.query_one("#hw-log", TextArea).text)
            except ValueError as exc:
                self.say(str(exc), error=True)
                return
            if not data["log"]:
                self.say("Write at least one row: day; mood; feelings.", error=True)
                return
        self.send("homework.submit", data, said=f"Homework sent: {hw.title}.", then=self.fields_sent)

    def _assign(self) -> None:
        kind = "text"
        for name in ("text", "checklist", "emotion_log"):
            if self.query_one(f"#hwkind-{name}", RadioButton).value:
                kind = name
        title = self.query_one("#hw-title", Input).value.strip()
        due = self.query_one("#hw-due", Input).value.strip()
        items = split_items(self.query_one("#hw-items", Input).value) if kind == "checklist" else []
        if not title:
            self.say("Give the homework a title first.", error=True)
            return
        from iop_tui.core.plan import PlanError, resolve_due

        try:
            due = resolve_due(due, dt.date.today())  # the one parser both faces use
        except PlanError as exc:
            self.say(str(exc), error=True)
            return
        if kind == "checklist" and not items:
            self.say("A checklist needs items, separated by ;.", error=True)
            return
        data = {
            "title": title,
            "homework_kind": kind,
            "instructions": self.query_one("#hw-instructions", Input).value.strip(),
            "items": items,
            "due": due,
        }

        def assigned() -> None:
            for wid in ("#hw-title", "#hw-instructions", "#hw-items", "#hw-due"):
                self.query_one(wid, Input).value = ""

        self.send("homework.assign", data, said=f"Homework assigned: {title}.", then=assigned)
