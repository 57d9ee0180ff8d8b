"""The Textual app, check-in and slides panes, for a member and a facilitator.

Each test runs real apps (Textual pilot, 80x24) on real ClientSessions
against the real relay from conftest.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.apphelp import joined, press_button, screen_text, text_of, type_into, wait_until

DECK = """title: Coping skills
# Grounding
Name five things you can see.

Notes: Pause here and breathe.
---
# Breathing
In for four, out for six.
---
# Urges
Surf the urge.
"""


async def start_session(app, pilot) -> None:
    await pilot.press("f8", "enter")  # F8 asks a title; Enter keeps the default
    await wait_until(pilot, lambda: app.session.model.state.session is not None, "the session to start")


async def test_checkin_member_submits_and_facilitator_sees_round(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await start_session(dana, dpilot)
        async with joined(seeded.url, sam.token) as (app, pilot):
            await pilot.press("f1")
            await type_into(pilot, app, "#checkin-mood", "3")
            await type_into(pilot, app, "#checkin-feelings", "tired, anxious")
            await type_into(pilot, app, "#checkin-note", "rough week at home")
            await press_button(pilot, app, "#checkin-submit")
            await wait_until(pilot, lambda: "You checked in: mood 3" in text_of(app, "#checkin-mine"), "the member's own check-in")
            assert "feeling tired, anxious" in text_of(app, "#checkin-mine")
            assert "You checked in" in screen_text(app)

            # The facilitator's round: the private note is marked with a word.
            await wait_until(dpilot, lambda: "Sam: mood 3" in text_of(dana, "#checkin-round"), "the round to show Sam")
            round_text = text_of(dana, "#checkin-round")
            assert "private note: rough week at home" in round_text
            assert "Not yet: Alex, Riley." in round_text

            # Alex passes: listed after, and the "not yet" list shrinks.
            async with joined(seeded.url, seeded.participants[1].token) as (alex, apilot):
                await press_button(apilot, alex, "#checkin-pass")
                await wait_until(dpilot, lambda: "Alex: passed." in text_of(dana, "#checkin-round"), "Alex's pass")
                # Another member never sees Sam's private note.
                await wait_until(apilot, lambda: "Sam: mood 3" in text_of(alex, "#checkin-round"), "Alex to see Sam's mood")
                assert "rough week" not in text_of(alex, "#checkin-round")
                assert "rough week" not in screen_text(alex)
            assert "Not yet: Riley." in text_of(dana, "#checkin-round")


async def test_checkin_refuses_a_bad_mood_in_words(seeded) -> None:
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        await type_into(pilot, app, "#checkin-mood", "12")
        await press_button(pilot, app, "#checkin-submit")
        await wait_until(pilot, lambda: "Mood must be a whole number from 0 to 10" in text_of(app, "#status"), "the refusal")


async def test_slides_follow_facilitator_and_member_browses(seeded, tmp_path: Path) -> None:
    deck = tmp_path / "deck.md"
    deck.write_text(DECK, encoding="utf-8")
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await start_session(dana, dpilot)
        await dpilot.press("f2")
        await type_into(dpilot, dana, "#deck-path", "")
        dana.session_screen().query_one("#deck-path").value = str(deck)
        await press_button(dpilot, dana, "#deck-load")
        await wait_until(dpilot, lambda: "Slide 1 of 3 · live" in text_of(dana, "#slide-status"), "the deck on the facilitator's screen")
        assert "Pause here and breathe." in text_of(dana, "#slide-notes")

        async with joined(seeded.url, sam.token) as (app, pilot):
            await pilot.press("f2")
            await wait_until(pilot, lambda: "Slide 1 of 3 · live" in text_of(app, "#slide-status"), "the member's deck")
            assert text_of(app, "#slide-notes") == ""  # presenter notes never reach members
            assert "Pause here" not in screen_text(app)

            # The facilitator moves the group's slide; the member's pane follows.
            dana.session_screen().query_one("#slides-pane").focus()
            await dpilot.press("right")
            await wait_until(pilot, lambda: "Slide 2 of 3 · live" in text_of(app, "#slide-status"), "the member's slide to follow")
            try:
                await wait_until(pilot, lambda: "In for four" in screen_text(app), "slide 2's text on the member's screen")
            except AssertionError:
                print(screen_text(app), app.session_screen().query_one("#slides-pane").tree, sep="\n")
                raise

            # The member pages back on their own, then returns to live.
            app.session_screen().query_one("#slides-pane").focus()
            await pilot.press("left")
            await wait_until(pilot, lambda: "Slide 1 of 3 · you are browsing; press L for live" in text_of(app, "#slide-status"), "browsing")
            await dpilot.press("right")
            await wait_until(pilot, lambda: app.session.model.state.slide_index == 2, "the live slide to move on")
            assert "you are browsing" in text_of(app, "#slide-status")  # browsing is not interrupted
            await pilot.press("l")
            await wait_until(pilot, lambda: "Slide 3 of 3 · live" in text_of(app, "#slide-status"), "back to live")
            await wait_until(pilot, lambda: "Surf the urge" in screen_text(app), "slide 3's text")


async def test_refused_command_is_one_sentence_on_screen(seeded) -> None:
    """The relay refuses a check-in outside a session: one sentence, no traceback."""
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        await type_into(pilot, app, "#checkin-mood", "5")
        await press_button(pilot, app, "#checkin-submit")
        await wait_until(pilot, lambda: text_of(app, "#status").startswith("Problem: "), "the refusal on the status line")
        sentence = text_of(app, "#status")
        assert sentence.endswith(".") and "Traceback" not in sentence and "\n" not in sentence
        assert "Traceback" not in screen_text(app)
