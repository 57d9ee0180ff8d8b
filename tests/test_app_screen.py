"""The full-screen face at 80x24: no accidental actions, nothing cut or covered, one set of words.

Issue 8 items 9 and 10, each driven by keys through Textual's pilot on a real
client joined to a real relay, and read back from the rendered screen.
"""

from __future__ import annotations

from pathlib import Path

from apphelp import joined, option_texts, press_button, screen_text, text_of, type_into, wait_until

from iop_tui.plan import load_plan
from iop_tui.screens.confirm import ConfirmScreen

PLAN = Path(__file__).resolve().parent.parent / "iop_tui" / "demo_content" / "plan.toml"


async def _start(app, pilot, title: str = "Week 3") -> None:
    app.session.send("session.start", {"title": title})
    await wait_until(pilot, lambda: app.session.model.state.session is not None, "the session to start")


def _rows(app, selector: str) -> list[str]:
    """The rows of a list, or none while its pane is still being built."""
    screen = app.session_screen()
    return option_texts(app, selector) if screen is not None and screen.query(selector) else []


def _dialog(app) -> ConfirmScreen | None:
    return app.screen if isinstance(app.screen, ConfirmScreen) else None


async def test_closing_a_poll_asks_first_and_leaves_the_focus_on_the_poll_list(seeded) -> None:
    plan = load_plan(PLAN)
    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        model = app.session.model
        app.plan = plan
        await _start(app, pilot)
        await pilot.press("3")
        await wait_until(pilot, lambda: _rows(app, "#prepared-polls"), "the prepared polls")
        prepared = app.session_screen().query_one("#prepared-polls")
        prepared.focus()
        prepared.highlighted = 1
        await pilot.press("enter")  # open prepared poll 2
        await wait_until(pilot, lambda: model.state.open_polls(), "the prepared poll to open")
        question = model.state.open_polls()[0].question
        index = [p.question for p in plan.polls].index(question)

        # Close poll asks, and the dialog's default (Enter) is No.
        await press_button(pilot, app, "#poll-close")
        await wait_until(pilot, lambda: _dialog(app), "the close question")
        assert "Close the poll" in str(_dialog(app).question) and "cannot be reopened" in _dialog(app).question
        await pilot.press("enter")
        await wait_until(pilot, lambda: _dialog(app) is None, "the dialog to go")
        await pilot.pause(0.2)
        assert model.state.open_polls(), "Enter on the dialog's default kept the poll open"

        # Yes closes it; the focus rests on the poll list, not on a control that acts.
        await press_button(pilot, app, "#poll-close")
        await wait_until(pilot, lambda: _dialog(app), "the close question")
        await pilot.press("y")
        await wait_until(pilot, lambda: not model.state.open_polls(), "the poll to close")
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "poll-list", "the focus on the poll list")

        # The prepared poll is marked opened; Tab, Enter from there never opens a duplicate silently.
        await wait_until(pilot, lambda: any(t.startswith(f"Prepared {index + 1}, opened:") for t in option_texts(app, "#prepared-polls")),
                         "the prepared poll marked opened")
        count = len(model.state.polls)
        await pilot.press("tab", "enter")
        await pilot.pause(0.3)
        if _dialog(app) is not None:
            assert "already opened" in _dialog(app).question
            await pilot.press("enter")  # the default: No
        await pilot.pause(0.3)
        assert len(model.state.polls) == count, "a duplicate poll was opened"

        # Enter on the opened prepared poll asks; Y opens it again on purpose.
        app.session_screen().query_one("#prepared-polls").focus()
        app.session_screen().query_one("#prepared-polls").highlighted = index
        await pilot.press("enter")
        await wait_until(pilot, lambda: _dialog(app), "the question before a duplicate")
        assert question[:20] in _dialog(app).question
        await pilot.press("y")
        await wait_until(pilot, lambda: len(model.state.polls) == count + 1, "the poll opened again on purpose")


async def test_d_in_chat_asks_before_deleting_a_members_message(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        app.session.send("chat.send", {"text": "I slept badly again"})
        await dpilot.press("4")
        await wait_until(dpilot, lambda: any("I slept badly again" in t for t in _rows(dana, "#chat-log")), "Sam's line")
        log = dana.session_screen().query_one("#chat-log")
        log.focus()
        log.highlighted = log.option_count - 1
        await dpilot.press("d")
        await wait_until(dpilot, lambda: _dialog(dana), "the delete question")
        assert _dialog(dana).question == "Delete Sam's message 'I slept badly again'?"
        await dpilot.press("enter")  # the default: No
        await dpilot.pause(0.3)
        assert not any(line.deleted for line in dana.session.model.state.chat), "Enter deleted the message"
        await dpilot.press("d")
        await wait_until(dpilot, lambda: _dialog(dana), "the delete question again")
        await dpilot.press("y")
        await wait_until(dpilot, lambda: any(line.deleted for line in dana.session.model.state.chat), "the deletion")
        await pilot.press("4")
        await wait_until(pilot, lambda: any("was deleted" in t for t in _rows(app, "#chat-log")), "the deletion on Sam's screen")


async def test_slash_hand_raises_and_slash_lower_lowers_as_in_plain_mode(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        await wait_until(pilot, lambda: app.session.model.state.session is not None, "the session on Sam's screen")
        hands = app.session.model.state
        await pilot.press("4")
        await wait_until(pilot, lambda: _rows(app, "#chat-log") is not None and app.session_screen().query("#chat-input"), "the chat")
        await type_into(pilot, app, "#chat-input", "/hand")
        await pilot.press("enter")
        await wait_until(pilot, lambda: hands.hands, "the hand")
        await type_into(pilot, app, "#chat-input", "/hand")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Your hand is already raised; /lower lowers it." in _rows(app, "#chat-log"), "the sentence")
        await pilot.pause(0.3)
        assert app.session.model.state.hands, "a second /hand lowered the hand"
        await type_into(pilot, app, "#chat-input", "/lower")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.session.model.state.hands, "the hand to go down")
