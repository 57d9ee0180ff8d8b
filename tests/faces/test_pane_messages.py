"""Panes post messages up; they never call the app (Textual's convention).

Each pane runs alone in Textual's pilot (80x24), inside a bare host app that
knows nothing of iop-tui: it gives the pane a real SessionModel (folded from
frames shaped as the relay sends them) and records every message with
``run_test(message_hook=...)``. What a key does is then the message the pane
posts: a command to send (with the sentence to say once it went), a member to
moderate, a question to confirm. A pane that reached into the app for any of
these would fail here, since this app has none of IopApp's methods.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Input

from tests.support.framekit import ALEX, DANA, SAM, Log, synced, welcome

from iop_tui.core.model import SessionModel
from iop_tui.tui.app import IopApp
from iop_tui.tui.messages import Confirm, FieldsSent, Moderate, SendCommand, SendOutcome
from iop_tui.tui.widgets.chat import ChatPane
from iop_tui.tui.widgets.checkin import CheckinPane
from iop_tui.tui.widgets.pane import Pane
from iop_tui.tui.widgets.people import PeoplePane
from iop_tui.tui.widgets.polls import PollsPane


def model_for(member: dict[str, Any], *frames: dict[str, Any]) -> SessionModel:
    """A model welcomed as ``member`` that has replayed ``frames`` and is in sync."""
    model = SessionModel()
    model.apply(welcome(member))
    for frame in frames:
        model.apply(frame)
    model.apply(synced(len(frames)))
    return model


class PaneHost(App[None]):
    """One pane, given its model (attributes down); nothing handles what it posts."""

    CSS_PATH = IopApp.CSS_PATH

    def __init__(self, pane: Pane, model: SessionModel) -> None:
        super().__init__()
        self.pane, self.model = pane, model

    def compose(self) -> ComposeResult:
        yield self.pane

    def on_mount(self) -> None:
        self.pane.show_model(self.model)


def posted(messages: list[Message], kind: type[Message] | tuple[type[Message], ...]) -> list[Any]:
    """The messages of ``kind`` the pane posted (each counted once, however far it bubbled)."""
    seen: list[Any] = []
    for message in messages:
        if isinstance(message, kind) and not any(message is m for m in seen):
            seen.append(message)
    return seen


def sent(messages: list[Message]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, data) of every command the pane asked the app to send, in order."""
    out: list[tuple[str, dict[str, Any]]] = []
    for message in posted(messages, (SendCommand, SendOutcome)):
        if isinstance(message, SendCommand):
            out.append((message.kind, message.data))
        else:
            out.extend((item.kind, item.data) for item in message.outcome.sends)
    return out


async def test_enter_on_an_answer_posts_the_vote_with_the_sentence_to_say_once_sent() -> None:
    log = Log()
    frames = [log.session(), log.poll("How is the pace?", ["Too fast", "Right", "Too slow"])]
    poll_id = log.seq
    messages: list[Message] = []
    host = PaneHost(PollsPane(id="polls-pane"), model_for(SAM, *frames))
    async with host.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        host.pane.focus_first()
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
    sends = posted(messages, SendCommand)
    assert [(m.kind, m.data) for m in sends] == [("poll.vote", {"poll_id": poll_id, "choices": [1]})]
    assert sends[0].said == "Vote sent: Right."


async def test_a_chat_line_is_posted_and_leaves_the_input_only_once_it_was_sent() -> None:
    messages: list[Message] = []
    host = PaneHost(ChatPane(id="chat-pane"), model_for(SAM, Log().session()))
    async with host.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        field = host.pane.query_one("#chat-input", Input)
        field.focus()
        await pilot.press(*"hello", "enter")
        await pilot.pause()
        assert sent(messages) == [("chat.send", {"text": "hello", "to": "group"})]
        assert field.value == "hello", "the line stays in the box until the app has sent it"
        outcome = posted(messages, SendOutcome)[0]
        assert outcome.then is not None
        outcome.then()  # what the app does once the command went out
        assert field.value == ""


async def test_a_facilitators_slash_mute_posts_the_mute_of_the_member_named() -> None:
    messages: list[Message] = []
    host = PaneHost(ChatPane(id="chat-pane"), model_for(DANA, Log().session()))
    async with host.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        host.pane.query_one("#chat-input", Input).focus()
        await pilot.press(*"/mute", "space", *"alex", "enter")
        await pilot.pause()
    assert sent(messages) == [("member.mute", {"member_id": ALEX["id"], "muted": True})]


async def test_m_on_a_person_in_the_people_pane_posts_a_moderation() -> None:
    messages: list[Message] = []
    host = PaneHost(PeoplePane(id="people-pane"), model_for(DANA))
    async with host.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        people = host.pane.query_one("#people-list")
        people.focus()
        await pilot.pause()
        people.highlighted = 1  # Dana (facilitator) is first, then the participants by name: Alex
        await pilot.press("m")
        await pilot.pause()
    assert [(m.what, m.entry.name) for m in posted(messages, Moderate)] == [("mute", "Alex")]


async def test_deleting_a_chat_line_asks_first_and_a_yes_posts_the_delete() -> None:
    log = Log()
    frames = [log.session(), log.chat(SAM, "a line to take back")]
    message_id = log.seq
    messages: list[Message] = []
    host = PaneHost(ChatPane(id="chat-pane"), model_for(DANA, *frames))
    async with host.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        host.pane.query_one("#chat-log").focus()
        await pilot.press("d")
        await pilot.pause()
        questions = posted(messages, Confirm)
        assert len(questions) == 1 and "a line to take back" in questions[0].question
        assert not sent(messages), "nothing is deleted before the answer"
        questions[0].answer(True)
        await pilot.pause()
    assert sent(messages) == [("chat.delete", {"message_id": message_id})]


async def test_a_check_in_posts_its_command_and_once_sent_frees_the_pane() -> None:
    messages: list[Message] = []
    host = PaneHost(CheckinPane(id="checkin-pane"), model_for(SAM, Log().session()))
    async with host.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.pause()
        assert host.pane.focus_first() is host.pane.query_one("#checkin-mood"), "the pane's focus goes to the mood first"
        await pilot.pause()
        await pilot.press("7", "enter", *"calm", "enter", "enter")
        await pilot.pause()
        sends = posted(messages, SendCommand)
        assert [(m.kind, m.data) for m in sends] == [
            ("checkin.submit", {"mood": 7, "feelings": ["calm"], "note": "", "note_to": "facilitators"})
        ]
        assert sends[0].said == "Check-in sent."
        assert not posted(messages, FieldsSent), "the typed fields hold the pane until the check-in went"
        assert sends[0].then is not None
        sends[0].then()
        await pilot.pause()
    assert [m.pane for m in posted(messages, FieldsSent)] == [host.pane]
