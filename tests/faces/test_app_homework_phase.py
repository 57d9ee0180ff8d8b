"""The Textual app: homework, phases bringing panes forward, people, and the list cursor."""

from __future__ import annotations

import datetime as dt

from tests.support.apphelp import joined, option_texts, press_button, screen_text, text_of, type_into, wait_until


async def test_homework_assign_submit_and_completion(seeded) -> None:
    sam = seeded.participants[0]
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await dpilot.press("f5")
        await type_into(dpilot, dana, "#hw-title", "Coping plan")
        screen = dana.session_screen()
        screen.query_one("#hwkind-checklist").value = True
        screen.query_one("#hw-items").value = "Walk; Call a friend; Sleep by eleven"
        screen.query_one("#hw-due").value = due
        screen.query_one("#hw-instructions").value = "Tick what you did."
        await press_button(dpilot, dana, "#hw-assign")
        await wait_until(dpilot, lambda: "Alex: not yet" in text_of(dana, "#hw-completion"), "the completion list")
        assert "Sam: not yet" in text_of(dana, "#hw-completion")

        await pilot.press("f5")
        await wait_until(pilot, lambda: option_texts(app, "#hw-list") == [f"Current: Coping plan, due {due}, not started"], "the assignment on Sam's screen")
        assert "Status: not started." in text_of(app, "#hw-detail")
        checklist = app.session_screen().query_one("#hw-checklist")
        checklist.focus()
        await pilot.press("home", "space", "down", "down", "space")
        assert sorted(checklist.selected) == [0, 2]
        await press_button(pilot, app, "#hw-submit")
        await wait_until(pilot, lambda: "Status: submitted." in text_of(app, "#hw-detail"), "Sam's status")
        assert option_texts(app, "#hw-list") == [f"Current: Coping plan, due {due}, submitted"]

        await wait_until(dpilot, lambda: "Sam: submitted" in text_of(dana, "#hw-completion"), "completion on Dana's screen")
        assert "Completion: 1 of 3 submitted." in text_of(dana, "#hw-completion")
        assert "Alex: not yet" in text_of(dana, "#hw-completion")
        # The facilitator reads what was handed in, not only that it was.
        assert "Sam: submitted; ticked 2 of 3: Walk, Sleep by eleven" in text_of(dana, "#hw-completion")


async def test_phase_change_brings_pane_forward_on_member_app(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        tabs = app.session_screen().query_one("#tabs")
        await dpilot.press("f8", "enter")  # F8 asks a title; Enter keeps the default
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        await pilot.press("f6")
        assert tabs.active == "people"
        await dpilot.press("f7")  # check-in
        await wait_until(pilot, lambda: tabs.active == "checkin", "the check-in pane to come forward")
        await dpilot.press("f7")  # psychoeducation: slides
        await wait_until(pilot, lambda: tabs.active == "slides", "the slides pane to come forward")
        assert "Psychoeducation" in screen_text(app) or "psychoeducation" in screen_text(app)
        # The member may still move freely afterwards.
        await pilot.press("f4")
        assert tabs.active == "chat"
        # The facilitator's own pane does not jump.
        assert dana.session_screen().query_one("#tabs").active == "checkin"


async def test_cursor_follows_highlight_and_moderation_keys(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), \
            joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        await dpilot.press("f8", "enter")  # F8 asks a title; Enter keeps the default
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        await dpilot.press("f6")
        people = dana.session_screen().query_one("#people-list")
        assert dana.focused is people
        await wait_until(dpilot, lambda: people.option_count >= 5, "the roster")
        await dpilot.press("home")
        await dpilot.pause()
        first = dana.cursor_position
        await dpilot.press("down")
        await dpilot.pause()
        second = dana.cursor_position
        assert second.y == first.y + 1 and second.x == first.x
        await dpilot.press("down")
        await dpilot.pause()
        assert dana.cursor_position.y == first.y + 2

        # Hands: Sam raises his hand with H; the roster says so.
        await pilot.press("escape")  # leave the text field: keys are commands again
        await pilot.press("h")
        await wait_until(dpilot, lambda: any(r.startswith("Sam") and "hand up" in r for r in option_texts(dana, "#people-list")), "Sam's hand")
        assert "Hands up, oldest first: Sam." in text_of(dana, "#people-hands")
        rows = option_texts(dana, "#people-list")
        assert "online" in next(r for r in rows if r.startswith("Sam"))

        # Presence and state are words: mute Sam with M.
        rows = option_texts(dana, "#people-list")
        sam_row = next(i for i, r in enumerate(rows) if r.startswith("Sam"))
        people.highlighted = sam_row
        await dpilot.press("m")
        await wait_until(dpilot, lambda: any(r.startswith("Sam") and "muted" in r for r in option_texts(dana, "#people-list")), "Sam muted")
        sam_id = seeded.participants[0].member_id
        await wait_until(pilot, lambda: app.session.model.state.roster[sam_id].muted, "Sam's app to know he is muted")

