"""The polls pane: vote with the keyboard, see results as words.

Results are text lines ("Option B: 4 of 9, 44%", from
:func:`iop_tui.core.words.poll_result_lines`), with no bar drawn after them
(a screen reader read its characters aloud). Quizzes are untimed; after the reveal the correct answer is
said in words. A facilitator writes a poll on the spot, closes and reveals
it, and sees the tallies live.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, OptionList, RadioButton, RadioSet, SelectionList, Static
from textual.widgets.option_list import Option

from iop_tui.core import words
from iop_tui.tui.widgets.cursor_list import CursorOptionList, CursorSelectionList
from iop_tui.tui.widgets.pane import SELF, Pane, field, plain, quiet_input, set_text, split_items
from iop_tui.tui.widgets.toggles import WordButton, WordCheckbox, WordRadioButton

__all__ = ["PollsPane", "poll_summary", "result_block"]

KIND_WORDS = {"single": "one choice", "multiple": "several choices", "scale": "scale 0 to 10", "quiz": "quiz"}
STATUS_WORDS = {"open": "Open", "closed": "Closed", "revealed": "Results"}


def poll_summary(poll: Any) -> str:
    """One list row: status first, then the question and its kind."""
    return f"{STATUS_WORDS.get(poll.status, poll.status)}: {poll.question} ({KIND_WORDS.get(poll.kind, poll.kind)})"


def result_block(poll: Any) -> str:
    """The result lines ("Option B: 4 of 9, 44%"), one a row: words only. A bar of
    "#" and "." after each was read aloud by a screen reader, and said nothing more."""
    return "\n".join(words.poll_result_lines(poll))


class _PollTools(Vertical):
    """The facilitator's poll tools: prepared polls from the plan and a new-poll form.

    The prepared rows are drawn with the tools' first frame (``rows``): a list filled one frame
    later was missed by a screen reader, whose reading of the pane had already begun (issue 12)."""

    def __init__(self, rows: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._first_rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="prepared-polls-box", classes="form") as box:
            box.display = bool(self._first_rows)
            yield Label("Polls prepared in the plan: Enter opens one.")
            yield CursorOptionList(*(Option(plain(r)) for r in self._first_rows), id="prepared-polls", classes="short-list", compact=True)
        with Vertical(id="poll-form", classes="form"):
            yield Label("New poll.")
            yield field("Question:", quiet_input(id="poll-question", hint="the question"))
            yield Label("Kind:")
            with RadioSet(id="poll-kind", compact=True):
                yield WordRadioButton("single", value=True, id="kind-single")
                yield WordRadioButton("multiple", id="kind-multiple")
                yield WordRadioButton("scale", id="kind-scale")
                yield WordRadioButton("quiz", id="kind-quiz")
            yield Label("Options, separated by ; (not needed for a scale):")
            yield field("Options:", quiet_input(id="poll-options", hint="Yes; No; Not sure"))
            yield field("Quiz only, number of the correct option (1 is the first):",
                        quiet_input(id="poll-correct", hint="1", type="integer", max_length=2))
            yield WordCheckbox("Anonymous to the group", value=True, id="poll-anonymous", compact=True)
            yield WordButton("Open poll", id="poll-open", variant="primary", compact=True)


class PollsPane(Pane):
    """Current polls, voting, results; the facilitator's poll controls."""

    FOCUS = ("#vote-single", "#vote-multiple", "#poll-list", "#prepared-polls", "#poll-question", SELF)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._model: Any = None
        self._poll_ids: list[int] = []
        self._rows: list[str] = []
        self._vote_key: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static("No polls yet.", id="polls-lead", classes="lead", markup=False)
        yield CursorOptionList(id="poll-list", classes="short-list", compact=True)
        yield Static("", id="poll-detail", markup=False)
        with Vertical(id="vote-box", classes="form"):
            yield Label("Your answer: move with the arrow keys, press Enter to vote.", id="vote-help")
            yield CursorOptionList(id="vote-single", classes="short-list", compact=True)
            yield CursorSelectionList(id="vote-multiple", classes="short-list", compact=True)
            yield WordButton("Send my choices", id="vote-send", compact=True)
        yield Static("", id="poll-results", markup=False)
        with Horizontal(id="poll-controls", classes="buttons"):
            yield WordButton("Close poll", id="poll-close", compact=True)
            yield WordButton("Reveal results", id="poll-reveal", variant="primary", compact=True)

    def facilitator_tools(self) -> Any:
        rows = self._prepared(True, self._model.state) if self._model is not None else ()
        self._prepared_rows = rows
        yield _PollTools(rows, classes="tools")

    # -- rendering -----------------------------------------------------------

    def selected_poll(self) -> Any:
        if self._model is None or not self._poll_ids:
            return None
        index = self.query_one("#poll-list", OptionList).highlighted
        index = len(self._poll_ids) - 1 if index is None else index
        return self._model.state.polls.get(self._poll_ids[min(index, len(self._poll_ids) - 1)])

    def show_model(self, model: Any) -> None:
        self._model = model
        facilitator = model.is_facilitator
        self.mount_facilitator_tools(model)
        if facilitator and self.query("#prepared-polls-box"):
            self._show_prepared(facilitator, model.state)
        state = model.state
        polls = sorted(state.current_polls(), key=lambda p: p.poll_id)
        ids = [p.poll_id for p in polls]
        rows = [poll_summary(p) for p in polls]
        plist = self.query_one("#poll-list", CursorOptionList)
        if ids != self._poll_ids or rows != self._rows:
            grew = len(ids) > len(self._poll_ids)
            highlighted = plist.highlighted
            plist.set_options([Option(plain(r)) for r in rows])
            if ids:
                plist.highlighted = len(ids) - 1 if grew or highlighted is None else min(highlighted, len(ids) - 1)
            self._poll_ids, self._rows = ids, rows
        plist.display = bool(ids)
        open_count = sum(1 for p in polls if p.status == "open")
        set_text(
            self.query_one("#polls-lead", Static),
            f"{len(polls)} poll{'s' if len(polls) != 1 else ''} this session, {open_count} open. Up and down choose a poll."
            if polls else "No polls yet.",
        )
        self._render_selected()

    def _prepared(self, facilitator: bool, state: Any) -> tuple[str, ...]:
        """The rows of the plan's prepared polls; a prepared poll already opened this session says so: Enter on it asks first."""
        plan = self.plan
        polls = plan.polls if (facilitator and plan is not None) else ()
        return tuple(
            f"Prepared {i}{', opened' if words.prepared_opened(p.question, state) else ''}: {p.describe()}"
            for i, p in enumerate(polls, 1)
        )

    def _show_prepared(self, facilitator: bool, state: Any) -> None:
        rows = self._prepared(facilitator, state)
        box = self.query_one("#prepared-polls-box")
        box.display = bool(rows)
        if rows != getattr(self, "_prepared_rows", ()):
            self._prepared_rows = rows
            self.query_one("#prepared-polls", CursorOptionList).set_options([Option(plain(r)) for r in rows])

    def _render_selected(self) -> None:
        model = self._model
        poll = self.selected_poll()
        detail = self.query_one("#poll-detail", Static)
        results = self.query_one("#poll-results", Static)
        vote_box = self.query_one("#vote-box")
        controls = self.query_one("#poll-controls")
        if poll is None:
            set_text(detail, "")
            set_text(results, "")
            vote_box.display = False
            controls.display = False
            return
        me = model.me
        my_id = me.member_id if me is not None else None
        lines = [f"Question: {poll.question}", f"Kind: {KIND_WORDS.get(poll.kind, poll.kind)}; "
                 + ("anonymous to the group." if poll.anonymous else "names shown with the results.")]
        mine = poll.votes.get(my_id) if my_id is not None else None
        if mine:
            lines.append("You voted: " + ", ".join(poll.option_label(c) for c in mine) + ".")
        if poll.kind == "quiz" and poll.correct is not None:
            prefix = "Correct answer" if poll.status == "revealed" else "Correct answer (only facilitators see this before the reveal)"
            lines.append(f"{prefix}: {poll.option_label(poll.correct)}.")
        if poll.status == "closed":
            lines.append("Voting is closed; results come when the facilitator reveals them.")
        set_text(detail, "\n".join(lines))
        can_vote = poll.status == "open" and me is not None and me.role in ("participant", "guest")
        vote_box.display = can_vote
        if can_vote:
            self._fill_vote(poll)
        show_results = poll.status == "revealed" or model.is_facilitator
        if show_results:
            head = "Results:" if poll.status == "revealed" else "Live tally (only facilitators see this until the reveal):"
            set_text(results, head + "\n" + result_block(poll))
        else:
            set_text(results, "Results appear here when the facilitator reveals them.")
        controls.display = model.is_facilitator
        self.query_one("#poll-close", Button).disabled = poll.status != "open"
        self.query_one("#poll-reveal", Button).disabled = poll.status == "revealed"

    def _fill_vote(self, poll: Any) -> None:
        labels = [
            poll.option_label(i) if poll.kind == "scale" else f"{i + 1} {poll.option_label(i)}"
            for i in range(poll.option_count())
        ]
        key = (poll.poll_id, poll.kind, tuple(labels))
        single = self.query_one("#vote-single", CursorOptionList)
        multiple = self.query_one("#vote-multiple", CursorSelectionList)
        is_multiple = poll.kind == "multiple"
        single.display = not is_multiple
        multiple.display = is_multiple
        self.query_one("#vote-send").display = is_multiple
        set_text(
            self.query_one("#vote-help", Label),
            "Your answers: Space ticks a box, then press Send my choices." if is_multiple
            else "Your answer: move with the arrow keys, press Enter to vote.",
        )
        if key == self._vote_key:
            return
        self._vote_key = key
        if is_multiple:
            multiple.clear_options()
            multiple.add_options([(plain(label), i) for i, label in enumerate(labels)])
        else:
            single.set_options([Option(plain(label)) for label in labels])
        # A new poll while this pane has the focus: put it on the answers.
        focused = self.screen.focused
        if self.screen.is_active and (focused is None or focused is self or (focused.id or "").startswith("poll-list")):
            self.call_after_refresh((multiple if is_multiple else single).focus)

    # -- events --------------------------------------------------------------

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "poll-list":
            self._render_selected()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "prepared-polls":
            event.stop()
            plan = self.plan
            if plan is not None and event.option_index < len(plan.polls):
                self._open_prepared(plan.polls[event.option_index])
            return
        if event.option_list.id == "vote-single":
            event.stop()
            poll = self.selected_poll()
            if poll is not None:
                self.send("poll.vote", {"poll_id": poll.poll_id, "choices": [event.option_index]}, said=f"Vote sent: {poll.option_label(event.option_index)}.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id
        poll = self.selected_poll()
        if bid == "vote-send" and poll is not None:
            event.stop()
            choices = sorted(self.query_one("#vote-multiple", SelectionList).selected)
            if not choices:
                self.say("Tick at least one answer with Space first.", error=True)
            else:
                self.send("poll.vote", {"poll_id": poll.poll_id, "choices": choices}, said="Vote sent: " + ", ".join(poll.option_label(c) for c in choices) + ".")
        elif bid == "poll-close" and poll is not None:
            event.stop()
            self._close(poll)
        elif bid == "poll-reveal" and poll is not None:
            event.stop()
            self.send("poll.reveal", {"poll_id": poll.poll_id})
            self._focus_poll_list()
        elif bid == "poll-open":
            event.stop()
            self._open_poll()

    # -- what cannot be undone asks first; the focus then rests on the poll list --

    def _focus_poll_list(self) -> None:
        """After an action the focus rests on the poll list, never on a control that acts."""
        plist = self.query_one("#poll-list", CursorOptionList)
        self.call_after_refresh(plist.focus)

    def _close(self, poll: Any) -> None:
        """Close a poll after a yes (the dialog's default is No)."""
        poll_id, question = poll.poll_id, poll.question

        def answer(yes: bool | None) -> None:
            if yes:
                self.send("poll.close", {"poll_id": poll_id}, said=f"Closing the poll: {question}")
            else:
                self.say("The poll stays open.")
            self._focus_poll_list()

        self.confirm(words.close_question(poll), answer, yes="Close poll", no="No, keep it open")

    def _open_prepared(self, prepared: Any) -> None:
        """Open a prepared poll; one already opened this session is opened again only after a yes."""
        kind, data = prepared.command()
        prepared_list = self.query_one("#prepared-polls", CursorOptionList)

        def go() -> None:
            self.send(kind, data, said=f"Poll opened: {data['question']}")

        if self._model is None or not words.prepared_opened(prepared.question, self._model.state):
            go()
            return
        def answer(yes: bool | None) -> None:
            if yes:
                go()
            else:
                self.say("Not opened again.")
            self.call_after_refresh(prepared_list.focus)

        self.confirm(words.reopen_question(prepared.question), answer, yes="Open again", no="No")

    def _open_poll(self) -> None:
        question = self.query_one("#poll-question", Input).value.strip()
        kind = "single"
        for name in ("single", "multiple", "scale", "quiz"):
            if self.query_one(f"#kind-{name}", RadioButton).value:
                kind = name
        options = [] if kind == "scale" else split_items(self.query_one("#poll-options", Input).value)
        data: dict[str, Any] = {
            "question": question,
            "poll_kind": kind,
            "options": options,
            "anonymous": self.query_one("#poll-anonymous", Checkbox).value,
        }
        if not question:
            self.say("Write the question first.", error=True)
            return
        if kind != "scale" and len(options) < 2:
            self.say("Give at least two options, separated by ;.", error=True)
            return
        if kind == "quiz":
            raw = self.query_one("#poll-correct", Input).value.strip()
            if not raw.isdigit() or not 1 <= int(raw) <= len(options):
                self.say(f"For a quiz, give the number of the correct option, 1 to {len(options)}.", error=True)
                return
            data["correct"] = int(raw) - 1

        def opened() -> None:
            for wid in ("#poll-question", "#poll-options", "#poll-correct"):
                self.query_one(wid, Input).value = ""

        self.send("poll.open", data, said="Poll opened.", then=opened)
