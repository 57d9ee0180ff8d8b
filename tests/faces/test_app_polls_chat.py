"""The Textual app, polls and chat panes, for members and the facilitator."""

from __future__ import annotations

from tests.support.apphelp import joined, option_texts, press_button, screen_text, text_of, type_into, wait_until


async def test_poll_vote_and_results_after_reveal(seeded) -> None:
    sam, alex = seeded.participants[0], seeded.participants[1]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await dpilot.press("f8", "enter")  # F8 asks a title; Enter keeps the default
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        await dpilot.press("f3")
        await type_into(dpilot, dana, "#poll-question", "Which skill helped most?")
        dana.session_screen().query_one("#kind-quiz").value = True
        dana.session_screen().query_one("#poll-options").value = "Grounding; Breathing; Urge surfing"
        dana.session_screen().query_one("#poll-correct").value = "2"
        await press_button(dpilot, dana, "#poll-open")
        await wait_until(dpilot, lambda: dana.session.model.state.open_polls(), "the poll to open")

        async with joined(seeded.url, sam.token) as (app, pilot), joined(seeded.url, alex.token) as (app2, pilot2):
            await pilot.press("f3")
            await wait_until(pilot, lambda: any("Which skill helped most?" in t for t in option_texts(app, "#poll-list")), "the poll")
            # Before the reveal a member sees no tally and no answer.
            assert "Results appear here when the facilitator reveals them." in text_of(app, "#poll-results")
            assert "Correct answer" not in text_of(app, "#poll-detail")
            # Vote with the keyboard: down to "Breathing", Enter.
            app.session_screen().query_one("#vote-single").focus()
            await pilot.press("home", "down", "enter")
            await wait_until(pilot, lambda: "You voted: Breathing." in text_of(app, "#poll-detail"), "the member's vote")
            await pilot2.press("f3")
            app2.session_screen().query_one("#vote-single").focus()
            await pilot2.press("home", "enter")
            await wait_until(pilot2, lambda: "You voted: Grounding." in text_of(app2, "#poll-detail"), "the second vote")

            # The facilitator sees the live tally in words, then closes and reveals.
            await wait_until(dpilot, lambda: "2 Breathing: 1 of 2, 50%" in text_of(dana, "#poll-results"), "the live tally")
            await press_button(dpilot, dana, "#poll-close")
            await dpilot.press("y")  # closing cannot be undone: it asks first
            await wait_until(dpilot, lambda: dana.session.model.state.open_polls() == [], "the poll to close")
            await press_button(dpilot, dana, "#poll-reveal")

            await wait_until(pilot, lambda: "2 Breathing: 1 of 2, 50%" in text_of(app, "#poll-results"), "the results on the member's screen")
            assert "Correct answer: Breathing." in text_of(app, "#poll-detail")
            assert any(line.startswith("Results: Which skill") for line in option_texts(app, "#poll-list"))


async def test_chat_group_private_help_and_unread(seeded) -> None:
    sam, alex = seeded.participants[0], seeded.participants[1]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), \
            joined(seeded.url, sam.token) as (app, pilot), \
            joined(seeded.url, alex.token) as (app2, pilot2):
        await pilot.press("f4")
        assert app.focused is not None and app.focused.id == "chat-input"
        await type_into(pilot, app, "#chat-input", "hello everyone")
        await pilot.press("enter")
        await type_into(pilot, app, "#chat-input", "/dm I need a minute")
        await pilot.press("enter")
        await type_into(pilot, app, "#chat-input", "/help")
        await pilot.press("enter")

        await wait_until(pilot, lambda: "private to facilitators, Sam: I need a minute" in option_texts(app, "#chat-log"), "the private line on Sam's screen")
        lines = option_texts(app, "#chat-log")
        assert "Sam: hello everyone" in lines
        assert any(line.startswith("Help: /dm TEXT") for line in lines)

        # The facilitator sees the private line marked "private" with its number.
        await dpilot.press("f4")
        await wait_until(dpilot, lambda: any(t.startswith("private to facilitators, Sam: I need a minute") for t in option_texts(dana, "#chat-log")), "the private line on Dana's screen")

        # Alex sees an unread count on the tab, then the group line, never the private one.
        await wait_until(pilot2, lambda: "Chat (1 unread)" in screen_text(app2), "the unread count on Alex's tab")
        await pilot2.press("f4")
        await wait_until(pilot2, lambda: "Sam: hello everyone" in option_texts(app2, "#chat-log"), "the group line on Alex's screen")
        assert not any("need a minute" in t for t in option_texts(app2, "#chat-log"))
        assert "need a minute" not in screen_text(app2)
        await wait_until(pilot2, lambda: "unread" not in screen_text(app2), "the unread count to clear")

        # The facilitator deletes Sam's group line with /delete N; everyone's line says so.
        message_id = next(line.message_id for line in dana.session.model.state.chat if line.text == "hello everyone")
        await type_into(dpilot, dana, "#chat-input", f"/delete {message_id}")
        await dpilot.press("enter")
        await dpilot.press("y")  # deleting cannot be undone: it asks first
        await wait_until(pilot2, lambda: "A message from Sam was deleted." in option_texts(app2, "#chat-log"), "the deletion on Alex's screen")
