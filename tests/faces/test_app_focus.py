"""The Textual face never takes the keyboard from a member who is typing.

Real apps (Textual pilot, 80x24) on real ClientSessions against the real
relay from conftest.py; the facilitator is a raw websocket client, so every
phase change and every hand event goes over the relay.

- A phase change brings the phase's pane forward only when the member is not
  typing; otherwise it is announced and the typing goes on where it was.
- A burst of keys that arrives all at once (a paste the terminal did not
  bracket) is text in a text field and never a string of commands elsewhere.
- The pane that comes forward has its first field focused, and a refused
  check-in puts the focus on the field to correct.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tests.support.apphelp import joined, press_button, text_of, type_into, wait_until
from iop_tui.tui.keyburst import QUIET
from tests.support.wsclient import RawClient

LIMIT_SENTENCE = "Your message is 100,000 characters; the limit is 2,000. It is kept in the box for you to shorten."


def keys_of(text: str) -> list[str]:
    """Pilot key names for ``text``, one per character."""
    names = {" ": "space", ",": "comma", ".": "full_stop", "\t": "tab", "\r": "enter", "[": "left_square_bracket"}
    return [names.get(c, c) for c in text]


def hand_events(client: RawClient) -> list[dict]:
    return [f for f in client.frames if f.get("kind") == "event" and str(f.get("type", "")).startswith("hand.")]


def send_burst(app, text: str) -> None:
    """Deliver ``text`` the way a terminal without bracketed paste does: one key
    event per character, all queued at once by the input driver."""
    for char in text:
        if char == "\r":
            event = events.Key("enter", "\r")
        elif char == "\t":
            event = events.Key("tab", "\t")
        elif char == "\n":
            event = events.Key("ctrl+j", "\n")
        else:
            key = keys_of(char)[0]
            event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


async def start(dana: RawClient, pilot, model) -> None:
    await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
    await wait_until(pilot, lambda: model.state.session is not None, "the session to start")
    await pilot.pause()


async def open_chat(app, pilot, dana: RawClient) -> Input:
    """Dana starts the session; the member brings the chat forward (F4): its input, focused."""
    await start(dana, pilot, app.session.model)
    await pilot.press("f4")
    box = app.session_screen().query_one("#chat-input", Input)
    await wait_until(pilot, lambda: app.focused is box, "the chat input")
    return box


async def set_phase(dana: RawClient, pilot, model, phase: str) -> None:
    await dana.wait_ack(await dana.send("phase.set", {"phase": phase}))
    await wait_until(pilot, lambda: model.state.phase == phase, f"the phase {phase}")
    await pilot.pause()
    await pilot.pause()


# -- 8.1: a phase change never steals the keyboard -----------------------------------


async def test_a_phase_change_leaves_a_member_typing_a_note_in_the_note_field(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            await type_into(pilot, app, "#checkin-note", "rough week")
            note = screen.query_one("#checkin-note", Input)

            await set_phase(dana, pilot, model, "psychoeducation")
            await pilot.press(*keys_of(" h 4 l 2 [and] more"))

            assert note.value == "rough week h 4 l 2 [and] more"
            assert app.focused is note
            assert screen.query_one("#tabs").active == "checkin"
            assert sam.member_id not in model.state.hands
            assert "Press F2 to see the slides" in text_of(app, "#status")
            await pilot.pause(0.2)
            assert hand_events(dana) == []


async def test_a_phase_change_waits_while_a_half_written_chat_line_is_in_the_box(seeded) -> None:
    """Unsent text keeps its pane forward even when the focus has moved to the chat log."""
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            await pilot.press("f4")
            await type_into(pilot, app, "#chat-input", "I wanted to say")
            screen.query_one("#chat-log").focus()
            await pilot.pause()
            await set_phase(dana, pilot, model, "exercises")
            assert screen.query_one("#tabs").active == "chat"
            assert screen.query_one("#chat-input", Input).value == "I wanted to say"
            assert "Press F3 to see the polls" in text_of(app, "#status")


async def test_a_member_who_is_not_typing_follows_the_phase_to_its_pane(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        tabs = screen.query_one("#tabs")
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            await set_phase(dana, pilot, model, "psychoeducation")
            await wait_until(pilot, lambda: tabs.active == "slides", "the slides to come forward")
            await wait_until(pilot, lambda: app.focused is screen.query_one("#slides-pane"), "the slides pane to take the focus")
            await set_phase(dana, pilot, model, "discussion")
            await wait_until(pilot, lambda: tabs.active == "chat", "the chat to come forward")
            await wait_until(pilot, lambda: app.focused is screen.query_one("#chat-input"), "the chat input to take the focus")
            # The chat input was focused by the phase, not by the member: untouched, so the
            # next phase may still bring its own pane forward.
            await set_phase(dana, pilot, model, "closing")
            await wait_until(pilot, lambda: tabs.active == "homework", "the homework to come forward")


async def test_text_that_was_sent_no_longer_holds_the_pane_forward(seeded) -> None:
    """A submitted homework answer stays in its box, but it is sent: the next phase may move on."""
    import datetime as dt

    sam = seeded.participants[0]
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        tabs = screen.query_one("#tabs")
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            await dana.wait_ack(await dana.send("homework.assign", {
                "title": "Thought record", "homework_kind": "text", "instructions": "", "items": [], "due": due}))
            await set_phase(dana, pilot, model, "closing")
            await wait_until(pilot, lambda: tabs.active == "homework", "the homework pane")
            await type_into(pilot, app, "#hw-text", "I noticed")
            screen.query_one("#hw-list").focus()
            await pilot.pause()
            await set_phase(dana, pilot, model, "discussion")
            assert tabs.active == "homework"  # unsent text: the pane stays
            assert "Press F4 to see the chat" in text_of(app, "#status")
            await press_button(pilot, app, "#hw-submit")
            await wait_until(pilot, lambda: model.state.homework and model.state.homework[min(model.state.homework)].submissions, "the submission")
            screen.query_one("#hw-list").focus()
            await pilot.pause()
            await set_phase(dana, pilot, model, "exercises")
            await wait_until(pilot, lambda: tabs.active == "polls", "the polls to come forward once the answer was sent")


# -- 8.2: bursts of keys and over-long text ---------------------------------------


async def test_a_long_message_is_kept_in_the_box_and_its_length_said(seeded) -> None:
    sam = seeded.participants[0]
    text = ("I have so much to say about this week. " * 2600)[:100_000]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            await pilot.press("f4")
            await wait_until(pilot, lambda: app.focused is screen.query_one("#chat-input"), "the chat input")
            app.post_message(events.Paste(text))  # a bracketed paste
            await pilot.pause()
            box = screen.query_one("#chat-input", Input)
            assert box.value == text
            await pilot.press("enter")
            await wait_until(pilot, lambda: LIMIT_SENTENCE in text_of(app, "#status"), "the limit to be said")
            assert box.value == text
            assert app.focused is box
            await pilot.pause(0.2)
            assert not model.state.chat
            assert not [f for f in dana.frames if f.get("type") == "chat.message"]


async def test_a_burst_of_keys_outside_a_text_field_is_no_command(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        tabs = screen.query_one("#tabs")
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            await pilot.press("f2")
            await wait_until(pilot, lambda: app.focused is screen.query_one("#slides-pane"), "the slides pane")
            send_burst(app, "hello there, h h h 1 2 3 4 5 6 l [ ] \r and more\r")
            await wait_until(pilot, lambda: "arrived at once" in text_of(app, "#status"), "the burst to be said")
            await pilot.pause(0.2)
            assert tabs.active == "slides"
            assert sam.member_id not in model.state.hands
            assert hand_events(dana) == []
            # One key on its own, after a pause longer than a burst's, is still a command.
            await pilot.pause(QUIET * 2)
            await pilot.press("h")
            await wait_until(pilot, lambda: sam.member_id in model.state.hands, "the hand to go up")
            await pilot.press("4")
            await wait_until(pilot, lambda: tabs.active == "chat", "the chat pane")


async def test_a_burst_of_keys_in_a_text_field_is_text(seeded) -> None:
    """Letters, digits, tabs and line breaks of an unbracketed paste all land in the box."""
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            box = await open_chat(app, pilot, dana)
            send_burst(app, "line one h 4\rline two\tl 2\nend")
            await wait_until(pilot, lambda: box.value.endswith("end"), "the burst in the box")
            assert box.value == "line one h 4 line two l 2 end"
            assert app.focused is box
            assert screen.query_one("#tabs").active == "chat"
            assert not model.state.chat
            assert sam.member_id not in model.state.hands
            await pilot.pause(0.2)
            assert hand_events(dana) == []


async def test_a_paste_chunk_that_starts_with_a_line_break_sends_nothing(seeded) -> None:
    """On a busy machine a paste is read in chunks well apart; a chunk may begin with
    the paste's line break. That Enter came with more text behind it: it is text."""
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        model = app.session.model
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            box = await open_chat(app, pilot, dana)
            send_burst(app, "the first line of a paste")
            await wait_until(pilot, lambda: box.value.endswith("paste"), "the first chunk in the box")
            await pilot.pause(0.3)  # longer than a person's Enter after a burst, shorter than QUIET
            send_burst(app, "\rand its second line")
            await wait_until(pilot, lambda: box.value.endswith("line"), "the second chunk in the box")
            assert box.value == "the first line of a paste and its second line"
            await pilot.pause(0.2)
            assert not model.state.chat
            assert not [f for f in dana.frames if str(f.get("type", "")).startswith("chat.")]


async def test_a_number_and_enter_that_arrive_together_still_give_the_mood(seeded) -> None:
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        mood = app.session_screen().query_one("#checkin-mood", Input)
        await wait_until(pilot, lambda: app.focused is mood, "the mood field")
        send_burst(app, "4\r")
        await wait_until(pilot, lambda: mood.value == "4", "the mood 4")
        assert app.session_screen().query_one("#tabs").active == "checkin"


async def test_a_pasted_text_of_several_lines_keeps_every_line_in_the_chat_box(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        screen = app.session_screen()
        await pilot.press("f4")
        box = screen.query_one("#chat-input", Input)
        await wait_until(pilot, lambda: app.focused is box, "the chat input")
        app.post_message(events.Paste("first line\nsecond line\r\nthird\tline\n"))
        await wait_until(pilot, lambda: "third" in box.value, "the paste in the box")
        assert box.value == "first line second line third line "
        assert not app.session.model.state.chat


# -- 8.7: the pane that comes forward has its first field focused ---------------------


async def test_a_participants_check_in_opens_on_the_mood_field(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        screen = app.session_screen()
        mood = screen.query_one("#checkin-mood", Input)
        await wait_until(pilot, lambda: app.focused is mood, "the mood field to take the focus")
        await pilot.press("4")
        assert mood.value == "4"
        assert screen.query_one("#tabs").active == "checkin"
        # Another pane and back: the mood field again.
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.focused is screen.query_one("#chat-input"), "the chat input")
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.focused is mood, "the mood field after F1")


async def test_coming_back_into_a_filled_field_adds_to_its_text(seeded) -> None:
    """Tab back into a note and type: the note grows; the first key never replaces it."""
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        screen = app.session_screen()
        await type_into(pilot, app, "#checkin-note", "rough week")
        note = screen.query_one("#checkin-note", Input)
        await pilot.press("tab")
        assert app.focused is not note
        await pilot.press("shift+tab")
        assert app.focused is note
        await pilot.press(*keys_of(", better now"))
        assert note.value == "rough week, better now"


async def test_a_refused_check_in_focuses_the_field_to_correct(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        screen = app.session_screen()
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await start(dana, pilot, model)
            # No mood: the mood field.
            await type_into(pilot, app, "#checkin-note", "tired")
            await press_button(pilot, app, "#checkin-submit")
            await wait_until(pilot, lambda: app.focused is screen.query_one("#checkin-mood"), "the mood field")
            assert "Mood must be a whole number" in text_of(app, "#status")
            # A feeling word too long: the feelings field, and what was typed stays.
            await type_into(pilot, app, "#checkin-mood", "5")
            feelings = screen.query_one("#checkin-feelings", Input)
            feelings.value = "calm, " + "x" * 41
            await press_button(pilot, app, "#checkin-submit")
            await wait_until(pilot, lambda: app.focused is feelings, "the feelings field")
            assert feelings.value == "calm, " + "x" * 41
            # A note too long: the note field.
            feelings.value = "calm"
            note = screen.query_one("#checkin-note", Input)
            note.value = "n" * 2001
            await press_button(pilot, app, "#checkin-submit")
            await wait_until(pilot, lambda: app.focused is note, "the note field")
            assert note.value == "n" * 2001
            assert "2,001 characters" in text_of(app, "#status")
            assert sam.member_id not in model.state.checkins
