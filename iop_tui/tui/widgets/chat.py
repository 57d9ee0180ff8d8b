"""The chat pane: an append-only scrollback and one input line.

Lines are only ever added at the end (a deleted message's line is replaced
by a sentence saying so), so a screen reader hears each new line once.
Enter sends to the group; Ctrl+T (or ``/dm TEXT``) sends a private line to
the facilitators, marked "private" on every screen that shows it. Every typed
line goes through the core's one interpreter (:mod:`iop_tui.core.commands`),
as in the plain face: the same commands, the same sentences.
"""

from __future__ import annotations

import datetime as _dt

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from protocol.messages import MAX_TEXT

from iop_tui.core import words
from iop_tui.core.calendar import SCHEDULE_LOCALS
from iop_tui.core.calendar import answer as schedule_answer
from iop_tui.core.commands import Context, Memory, Outcome, interpret
from iop_tui.tui.intents import carry_out
from iop_tui.tui.messages import OpenView, Say
from iop_tui.tui.widgets.chat_log import ChatLog
from iop_tui.tui.widgets.pane import Pane, field, quiet_input, set_text
from iop_tui.tui.widgets.rooms import RoomBar

__all__ = ["ChatPane", "chat_line_text"]

def chat_line_text(line: Any, *, numbered: bool, model: Any = None) -> str:
    """One chat line in words: who first, private lines marked 'private'."""
    suffix = f" (#{line.message_id})" if numbered else ""
    if line.deleted:
        return f"A message from {line.name} was deleted.{suffix}"
    if line.to == "member" and model is not None:
        text = words.thread_line(line, model.state, model.me_id)
        return "p" + text[1:] + suffix  # "private from Dana: ...", "private to Sam from Dana: ..."
    if line.to == "facilitators":
        body = f"* {line.name} {line.text}" if line.me else f"{line.name}: {line.text}"
        return f"private to facilitators, {body}{suffix}"
    # Small rooms (issue 13): the room a line came from when it is not the reader's, the role said in.
    tag = words.line_room_tag(line.room)
    tag = f"{tag}, " if tag else ""
    name = words.speaker(line.name, line.as_role)
    if line.me:
        return f"{tag}* {name} {line.text}{suffix}"
    return f"{tag}{name}: {line.text}{suffix}"


class ChatPane(Pane):
    """Chat scrollback, input line and slash commands."""

    FOCUS = ("#chat-input",)

    BINDINGS = [
        Binding("ctrl+t", "toggle_private", "Private on/off"),
        Binding("r", "reply", "Reply"),
        Binding("d,delete", "delete_message", "Delete"),
        Binding("ctrl+r", "toggle_role", "In/out of role"),  # small rooms (issue 13)
        Binding("enter", "write", "Write a line", show=False),  # Enter on a line of the log: back to the input
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._model: Any = None
        self._private = False
        self._reply_to: int | None = None  # a facilitator answering this member privately
        self._over_limit = False
        self._memory = Memory()
        self._role_key_shown: bool | None = False

    def compose(self) -> ComposeResult:
        yield ChatLog(id="chat-log", compact=True)
        yield RoomBar(id="chat-rooms", markup=False)  # small rooms (issue 13): your room and role, in words
        yield Static("Sending to: the group. Ctrl+T: private line. F1-F6: panes.", id="chat-target", markup=False)
        # No max_length: a longer text is kept and the limit said (see _too_long), never cut or dropped.
        yield field("Message:", quiet_input(id="chat-input", hint="type and press Enter; /help lists commands"))

    # -- rendering -----------------------------------------------------------

    def show_model(self, model: Any) -> None:
        self._model = model
        numbered = model.is_facilitator
        self.query_one(ChatLog).show_lines(model.state.chat, lambda line: chat_line_text(line, numbered=numbered, model=model))
        self.query_one(RoomBar).show_model(model, self._memory.in_role)
        self._set_target()  # a breakout room opened, visited or recalled changes where a line goes
        take = getattr(model, "take_returned_line", None)  # a typed line the relay refused: back in the input
        returned = take() if take is not None else None
        field = self.query_one("#chat-input", Input)
        if returned and not field.value:
            field.value = returned
            field.cursor_position = len(returned)
        elif returned:  # they typed on since: not written over, kept in the log to copy
            self.local(words.returned_line_text(returned))
        shown = self.check_action("toggle_role", ())
        if shown != self._role_key_shown:  # Ctrl+R shows while the reader has a part (the footer is redrawn only then)
            self._role_key_shown = shown
            self.refresh_bindings()

    def on_show(self) -> None:
        """Opening the chat shows its newest lines (unless a line was picked above)."""
        self.query_one(ChatLog).follow_to_end()

    def local(self, *texts: str) -> None:
        """Add lines only this person sees (help, refusals) to the scrollback."""
        self.query_one(ChatLog).append_rows([(None, t) for t in texts])

    def _set_target(self) -> None:
        model = self._model
        name = model.state.name_of(self._reply_to) if self._reply_to is not None and model is not None else None
        text = words.chat_target_text(model.state if model is not None else None, model.me_id if model is not None else None,
                                      private=self._private, reply_name=name)
        set_text(self.query_one("#chat-target", Static), text)

    # -- actions -------------------------------------------------------------

    def action_toggle_private(self) -> None:
        if self._reply_to is not None:
            self._reply_to = None
            self._private = False
            self._set_target()
            self.say("Chat goes to the group again.")
            return
        self._private = not self._private
        self._set_target()
        self.say("Private line to the facilitators is on." if self._private else "Chat goes to the group again.")

    def action_toggle_role(self) -> None:
        """Ctrl+R: step into character (lines typed are said in role) or out of it, as /in and /out."""
        before = self._memory.in_role
        self.run_line("/out" if before else "/in")
        if self._model is not None:
            self.show_model(self._model)
        if self._memory.in_role != before:
            self.say(words.IN_ROLE_OFF if before else words.IN_ROLE_KEY_ON)

    def reply_to(self, member_id: int) -> None:
        """Answer one member privately: the input sends chat.reply until Ctrl+T."""
        self._reply_to, self._private = member_id, False
        self._set_target()
        self.query_one("#chat-input").focus()
        name = self._model.state.name_of(member_id) if self._model is not None else "the member"
        self.say(f"Replying privately to {name}; only they and the facilitators read it.")

    def action_reply(self) -> None:
        """R on a line: a facilitator answers its member (the thread's, else the sender)
        privately; a member answers the facilitators privately."""
        model = self._model
        if model is None:
            return
        if not model.is_facilitator:
            self._private, self._reply_to = True, None
            self._set_target()
            self.query_one("#chat-input").focus()
            self.say("Private line to the facilitators is on.")
            return
        log = self.query_one(ChatLog)
        mid = log.message_id_at(log.highlighted)
        line = next((c for c in model.state.chat if c.message_id == mid), None) if mid is not None else None
        target = None
        if line is not None:
            target = line.thread
            sender = model.state.roster.get(line.member_id)
            if target is None and sender is not None and sender.role != "facilitator" and not sender.removed:
                target = sender.member_id
        if target is None:
            self.say("Select a member's line in the chat first, then press R to answer them privately.", error=True)
            return
        self.reply_to(target)

    def action_delete_message(self) -> None:
        model = self._model
        if model is None or not model.is_facilitator:
            return
        log = self.query_one(ChatLog)
        mid = log.message_id_at(log.highlighted)
        if mid is None:
            self.say("Select a message in the chat first, then press D.", error=True)
            return
        self.ask_delete(mid)

    def ask_delete(self, message_id: int) -> bool:
        """D on a line: the same intent as ``/delete N`` (asked first, default No)."""
        return self.run_line(f"/delete {message_id}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_role":  # in the footer only while the reader has a part to speak
            model = self._model
            return self._memory.in_role or (model is not None and words.role_status_text(model.state, model.me_id).startswith("Playing"))
        if action == "reply":
            return self._model is not None and self._model.role is not None and self.query_one("#chat-log").has_focus
        if action == "write":
            return self.query_one("#chat-log").has_focus
        if action == "delete_message":
            if self._model is None or not self._model.is_facilitator:
                return False
            return self.query_one("#chat-log").has_focus
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "chat-input":
            return
        event.stop()
        text = event.value.strip()
        if not text:
            return
        if self._too_long(text, toast=True):
            return
        if self.run_line(text):
            event.input.value = ""

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "chat-input":
            was_over = self._over_limit
            self._over_limit = self._too_long(event.value.strip(), toast=not was_over)

    def _too_long(self, text: str, *, toast: bool) -> bool:
        """Over the limit? Then say so (the length, the limit, kept in the box) and keep it."""
        if len(text) <= MAX_TEXT:
            return False
        sentence = words.too_long_text(len(text), MAX_TEXT)
        if toast:
            self.say(sentence, error=True)
        else:
            self.post_message(Say(sentence, error=True, toast=False))
        return True

    def action_write(self) -> None:
        self.query_one("#chat-input").focus()

    def run_line(self, text: str) -> bool:
        """Send a chat line or run a slash command; True when the input may be cleared."""
        model = self._model
        if model is None:
            return False
        context = Context(model, plan=self.plan, private=self._private, reply_to=self._reply_to, memory=self._memory)
        return self.carry_out(interpret(text, context))

    def carry_out(self, outcome: Outcome) -> bool:
        """Do what the interpreter said: send (after a yes if it asks), refuse, or show."""
        if outcome.leave:
            self.call_later(self.run_action, "app.quit")  # a coroutine: run by the loop, not dropped
            return True
        if outcome.local and not outcome.refusal:
            self._show_local(outcome.local, outcome.arg)
            return True
        return carry_out(self, outcome, refuse=self.local, then=self._sent_from_input())

    def _sent_from_input(self) -> Any:
        """What follows a line sent from the input: the input is emptied once the app has
        sent it (a line that cannot go stays in the box), unless the person typed on since."""
        field = self.query_one("#chat-input", Input)
        submitted = field.value

        def sent() -> None:
            if field.value == submitted:
                field.value = ""

        return sent

    def _show_local(self, what: str, arg: Any) -> None:
        """A read-only request: help and threads here, the rest where a pane shows it."""
        model = self._model
        if what == "help":
            self.local(*(words.help_line(entry.usage, entry.text) for entry in arg))
        elif what == "thread":
            lines = model.private_thread(arg)
            name = None if arg == model.me_id else model.state.name_of(arg)
            self.local(words.thread_head(name, len(lines)), *(words.thread_line(c, model.state, model.me_id) for c in lines))
            model.mark_private_read()
        elif what == "status":
            self.local("Connection: " + words.connection_text(model) + ".", words.session_line(model.state))
        elif what in ("deck", "plan"):
            self.local(words.FILES_IN_PANES)
        elif what in words.PLAIN_ONLY_LOCALS:
            self.local(words.PLAIN_ONLY)
        elif what == "lines":
            self.local(*arg)  # an answer the core already put in sentences (the facilitator's kit)
        elif what in SCHEDULE_LOCALS:  # issue 15a: /schedule, /schedule ics, /reminders
            self.local(*schedule_answer(what, arg, model))
        elif what == "give plan":
            self.local(*words.planned_measure_lines(self.plan, _dt.date.today()))
        # between sessions (issue 15 B): lines here; /resources opens the full-screen view
        elif what == "resources":
            self.post_message(OpenView("between"))
        elif what in ("feed", "attendance", "waiting"):
            state = model.state
            self.local(*(words.feed_lines(state) if what == "feed" else words.attendance_now_lines(model, arg) if what == "attendance"
                         else [words.waiting_text(e.name) for e in state.waiting_guests()]))
        elif what in words.BOARD_LOCALS:  # the board as an outline, moods, the agenda: the plain face's lines
            self.local(*words.local_lines(what, model, self.plan))
        else:
            title, key = words.LOCAL_PANES[what]
            self.local(words.shown_in_pane_text(title, key))
