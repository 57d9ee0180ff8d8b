"""The full-screen face at 80x24: no accidental actions, nothing cut or covered, one set of words.

Issue 8 items 9 and 10, each driven by keys through Textual's pilot on a real
client joined to a real relay, and read back from the rendered screen.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.apphelp import joined, option_texts, press_button, screen_text, text_of, type_into, wait_until

from iop_tui.core.plan import load_plan
from iop_tui.tui.screens.confirm import ConfirmScreen

PLAN = Path(__file__).resolve().parents[2] / "iop_tui" / "demo" / "content" / "plan.toml"


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
        await pilot.press("f4")
        await wait_until(pilot, lambda: any("was deleted" in t for t in _rows(app, "#chat-log")), "the deletion on Sam's screen")


async def test_slash_hand_raises_and_slash_lower_lowers_as_in_plain_mode(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        await wait_until(pilot, lambda: app.session.model.state.session is not None, "the session on Sam's screen")
        hands = app.session.model.state
        await pilot.press("f4")
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


# -- 80x24: nothing wraps, nothing is cut, nothing covers ---------------------------------------------


def _footer_row(app) -> str:
    return screen_text(app).splitlines()[-1]


def _footer_labels(app) -> list[str]:
    """The descriptions of the keys the footer shows right now."""
    return [b.description for _, b, enabled, _ in app.screen.active_bindings.values() if b.show and enabled]


async def test_header_is_one_row_and_footer_labels_are_whole_at_80x24(seeded) -> None:
    plan = load_plan(PLAN)
    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        app.plan = plan
        await _start(app, pilot, "Week 3: Cognitive reframing and thought records for the whole group")
        app.session.send("phase.set", {"phase": "psychoeducation"})
        app.session.send("deck.load", {"markdown": plan.markdown})
        await wait_until(pilot, lambda: app.session.model.state.slides and app.session.model.state.phase, "the deck and phase")
        for key in ("1", "2", "3", "6", "4"):
            await pilot.press(key)
            await pilot.pause(0.3)
            rows = screen_text(app).splitlines()
            # The demo plan gives the phase planned minutes (the timed agenda): "until", not "since".
            assert " · Psychoeducation until" in rows[0] and rows[0].rstrip().endswith("connected"), rows[0]
            assert rows[0].startswith(" Tuesday IOP · Week 3: Cognitive"), rows[0]
            assert rows[1].lstrip().lstrip(">").startswith("1 Check-in"), f"the header wrapped: {rows[:2]}"
            footer = _footer_row(app)
            for label in _footer_labels(app):
                assert label in footer, f"footer label {label!r} cut on pane {key}: {footer!r}"
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        for key in ("1", "2", "3", "6", "4"):
            await pilot.press(key)
            await pilot.pause(0.3)
            footer = _footer_row(app)
            for label in _footer_labels(app):
                assert label in footer, f"member's footer label {label!r} cut on pane {key}: {footer!r}"


async def test_a_notice_never_covers_presenter_notes_or_form_fields(seeded) -> None:
    plan = load_plan(PLAN)
    async with joined(seeded.url, seeded.facilitator.token, notifications=True) as (app, pilot):
        await _start(app, pilot)
        app.session.send("deck.load", {"markdown": plan.markdown})
        await pilot.press("f2")
        await wait_until(pilot, lambda: "Presenter notes" in screen_text(app), "the presenter notes")
        before = screen_text(app).splitlines()[4:-3]  # the pane's rows: the status line has two, then the footer
        app.notify("A line from elsewhere.", timeout=6)
        app.say("The deck could not be read; check the path.", error=True)
        await pilot.pause(0.3)
        after = screen_text(app).splitlines()
        assert after[4:-3] == before, "a notice covered the pane"
        assert "Problem: The deck could not be read; check the path." in "\n".join(after[-3:])


async def test_the_next_slide_starts_at_its_title(seeded) -> None:
    long_body = "\n\n".join(f"Line {i} of a long slide." for i in range(40))
    deck = f"# First slide\n\n{long_body}\n\n---\n\n# Second slide\n\nShort."
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        dana.session.send("deck.load", {"markdown": deck})
        await pilot.press("f2")
        await wait_until(pilot, lambda: "First slide" in screen_text(app), "the first slide")
        pane = app.session_screen().query_one("#slides-pane")
        pane.focus()
        await pilot.press("end")
        await pilot.pause(0.3)
        def body() -> str:  # the pane, not the status line
            return "\n".join(screen_text(app).splitlines()[4:-3])  # the status line has two rows

        assert pane.scroll_y > 0 and "First slide" not in body()
        await pilot.press("right")
        await wait_until(pilot, lambda: "Slide 2 of 2" in screen_text(app), "the second slide")
        await pilot.pause(0.2)
        assert "Second slide" in body(), "the next slide kept the old scroll position"


async def test_form_labels_are_never_cut(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        await _start(app, pilot)
        await pilot.press("3")
        await wait_until(pilot, lambda: app.session_screen().query("#poll-form"), "the poll form")
        await pilot.pause(0.3)
        form = app.session_screen().query_one("#polls-pane")
        form.scroll_to_widget(app.session_screen().query_one("#poll-options"), animate=False)
        await pilot.pause(0.2)
        text = " ".join(screen_text(app).split())
        assert "(not needed for a scale):" in text, text
        await pilot.press("f2")
        await wait_until(pilot, lambda: app.session_screen().query("#deck-form"), "the deck form")
        await pilot.pause(0.3)
        text = " ".join(screen_text(app).split())
        assert "(slides separated by ---):" in text, text


async def test_opening_chat_shows_the_newest_lines(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        await pilot.press("f4")  # the chat is built, then left for another pane
        await pilot.pause(0.2)
        await pilot.press("f1")
        for i in range(30):
            words = " ".join(["and this is how the week went"] * (i % 4 + 1))
            dana.session.send("chat.send", {"text": f"{words}, line number {i}"})
        await wait_until(pilot, lambda: len(app.session.model.state.chat) == 30, "thirty lines")
        await pilot.pause(0.2)
        await pilot.press("f4")
        await pilot.pause(0.3)
        pane = " ".join(" ".join(screen_text(app).splitlines()[3:-4]).split())  # the chat log's rows
        assert "line number 29" in pane, "the chat did not scroll to the newest line"


async def test_between_sessions_the_round_says_no_session_is_running(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        app.session.send("checkin.submit", {"mood": 5, "feelings": ["calm"]})
        await wait_until(dpilot, lambda: dana.session.model.state.checkins, "the check-in")
        dana.session.send("session.end", {"summary": ""})
        await wait_until(dpilot, lambda: dana.session.model.state.session is None, "the end")
        await dpilot.press("1")
        await pilot.pause(0.2)
        assert text_of(dana, "#checkin-round") == "No session is running; the round starts with the next session."
        assert "Not yet" not in screen_text(dana)


async def test_the_selected_row_carries_a_marker_not_only_a_style(seeded, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    plan = load_plan(PLAN)
    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        app.plan = plan
        await _start(app, pilot)
        await pilot.press("3")
        await wait_until(pilot, lambda: _rows(app, "#prepared-polls"), "the prepared polls")
        prepared = app.session_screen().query_one("#prepared-polls")
        prepared.focus()
        prepared.highlighted = 1
        await pilot.pause(0.2)
        rows = [r.strip().lstrip("▌") for r in screen_text(app).splitlines()]
        assert any(r.startswith("> Prepared 2:") for r in rows), rows
        assert not any(r.startswith("> Prepared 1:") for r in rows)


async def test_the_homework_form_takes_plus_seven_like_plain_mode(seeded) -> None:
    import datetime as dt

    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        await pilot.press("5")
        await wait_until(pilot, lambda: app.session_screen().query("#hw-form"), "the homework form")
        await type_into(pilot, app, "#hw-title", "Thought record")
        app.session_screen().query_one("#hw-due").value = "+7"
        await press_button(pilot, app, "#hw-assign")
        await wait_until(pilot, lambda: app.session.model.state.homework, "the homework")
        hw = next(iter(app.session.model.state.homework.values()))
        assert hw.due == (dt.date.today() + dt.timedelta(days=7)).isoformat()
