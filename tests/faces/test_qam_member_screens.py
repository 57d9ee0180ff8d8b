"""What a member met using the merged product at 80x24 (issues 12-17 together, branch qam).

Real apps on the relay fixture, driven by Textual's pilot; each test failed before its fix."""

from __future__ import annotations

from tests.faces.test_app_kit import _typed_line, keys
from tests.support.apphelp import joined, live_in_chat, say, screen_text, wait_until

from iop_tui.core import words
from iop_tui.tui.screens.journal import JournalScreen


async def test_the_journal_view_says_on_screen_whether_the_entry_is_saved_finished_and_shared(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, seeded.participants[0].token) as (sam, pilot):
        await _typed_line(dpilot, dana, "/start Week 3")
        await _typed_line(dpilot, dana, "/journal open thought-record 10")
        await wait_until(pilot, lambda: sam.model.state.open_prompt() is not None, "the prompt to reach Sam")
        await pilot.press("f1", "escape", "j")
        await wait_until(pilot, lambda: isinstance(sam.screen, JournalScreen), "the Journal view")
        assert "Your entry: nothing saved yet; only you can read it." in screen_text(sam)
        await pilot.press("ctrl+s")  # nothing typed: the refusal is said where the member is looking
        await wait_until(pilot, lambda: "write something first" in screen_text(sam), "the refusal on the Journal view")
        await pilot.press(*keys("at work"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Your entry: saved, not finished; only you can read it." in screen_text(sam), "saved, on screen")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: "Your entry: saved, not finished; shared with the group." in screen_text(sam), "shared, on screen")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: "Your entry: finished; shared with the group." in screen_text(sam), "finished, on screen")


async def test_in_a_breakout_room_the_chat_says_it_sends_to_that_room_not_to_the_group(seeded) -> None:
    import re

    from tests.support.apphelp import text_of

    async with live_in_chat(seeded) as (_alex, dana, dpilot, sam, pilot):
        assert text_of(sam, "#chat-target").startswith("Sending to: the group.")
        await say(dpilot, dana, "/breakout 2 8 random Name one trigger.")
        bar = await wait_until(pilot, lambda: text_of(sam, "#chat-rooms"), "Sam's room bar")
        room = int(re.match(r"You are in: Room (\d)", bar).group(1))
        await wait_until(pilot, lambda: text_of(sam, "#chat-target").startswith(f"Sending to: room {room} and the facilitators."), "the room as the chat's target")
        assert "Prompt: Name one trigger." in text_of(sam, "#chat-rooms")  # the room's prompt stays in view, not only /rooms
        assert "Prompt:" not in text_of(dana, "#chat-rooms")  # a facilitator's bar lists the rooms instead
        await wait_until(dpilot, lambda: text_of(dana, "#chat-target").startswith("Sending to: the main room only."), "the main room, for Dana")
        await say(dpilot, dana, f"/room {room}")
        await wait_until(dpilot, lambda: text_of(dana, "#chat-target").startswith(f"Sending to: room {room}"), "Dana's input names the room she joined")
        await say(dpilot, dana, "/recall")
        await wait_until(pilot, lambda: text_of(sam, "#chat-target").startswith("Sending to: the group."), "the group again after the recall")


async def test_a_go_around_turn_stays_in_words_in_the_chat_pane_after_other_notices_take_the_status_line(seeded) -> None:
    from tests.support.apphelp import text_of

    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), \
            joined(seeded.url, sam_c.token) as (sam, pilot), joined(seeded.url, alex_c.token) as (alex, apilot):
        await _typed_line(dpilot, dana, "/start Week 3")
        await _typed_line(dpilot, dana, "/goround One word for today?")
        await wait_until(pilot, lambda: "It is your turn." in text_of(sam, "#status"), "Sam's turn on the status line")
        await _typed_line(apilot, alex, "/hand")  # another notice takes the status line
        await wait_until(pilot, lambda: "It is your turn." not in text_of(sam, "#status"), "the status line to move on")
        await pilot.press("f4")
        bar = text_of(sam, "#chat-rooms")
        assert "Go-around: One word for today? It is your turn." in bar, bar
        await _typed_line(pilot, sam, "hopeful")
        await _typed_line(dpilot, dana, "/goround next")
        await wait_until(pilot, lambda: "Go-around: One word for today? Alex, it is your turn." in text_of(sam, "#chat-rooms"), "the next turn in the bar")
        await _typed_line(dpilot, dana, "/goround end")
        await wait_until(pilot, lambda: "Go-around" not in text_of(sam, "#chat-rooms"), "the bar to drop the go-around")


async def test_a_guest_whose_family_session_ends_is_thanked_not_told_they_were_removed(relay) -> None:
    from tests.faces.test_between_faces import _invite
    from tests.support.wsclient import RawClient, seed

    from iop_tui.core import words
    from iop_tui.tui.screens.fatal import FatalScreen

    seeded = seed(relay.store, relay.url)
    ana = _invite(relay.store, seeded, "Ana María")
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.command("session.start", {"title": "Family evening", "kind": "family"})
        async with joined(seeded.url, ana.token) as (app, pilot):
            await dana.command("guest.admit", {"member_id": ana.member_id})
            await wait_until(pilot, lambda: app.session.model.state.session is not None, "Ana to be let in")
            await dana.command("session.end", {"summary": "Thank you all"})
            await wait_until(pilot, lambda: isinstance(app.screen, FatalScreen), "the end to be said")
            await pilot.pause()
            shown = " ".join(screen_text(app).split())
            assert words.INVITATION_ENDED in shown, shown
            assert "removed" not in shown, shown


async def test_after_a_relay_restart_the_status_line_does_not_stay_on_catching_up(seeded, relay) -> None:
    from server.edge import RelayServer
    from tests.support.apphelp import text_of

    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        model = app.session.model
        data_dir, port = relay.data_dir, relay.port
        await relay.stop()
        await wait_until(pilot, lambda: model.conn.state in ("reconnecting", "connecting"), "the app to notice the cut")
        fresh = RelayServer(data_dir, port=port)
        await fresh.start()
        try:
            await wait_until(pilot, lambda: model.conn.state == "connected" and model.synced, "the app to reconnect", timeout=20)
            await pilot.pause(0.3)
            said = text_of(app, "#status")
            assert "catching up" not in said, said
            assert said == words.CAUGHT_UP.format(group="Tuesday IOP"), said
        finally:
            await app.session.close()
            await fresh.stop()


async def test_a_member_s_cue_card_stays_in_view_in_the_chat_pane_while_the_scene_runs(seeded) -> None:

    from tests.support.apphelp import text_of

    from iop_tui.core.plan import DEMO_PLAN

    async with live_in_chat(seeded) as (_alex, dana, dpilot, sam, pilot):
        dana.load_plan(str(DEMO_PLAN))
        await say(dpilot, dana, "/roleplay plan 1 Sam=2")
        bar = await wait_until(pilot, lambda: "Cue card: " in text_of(sam, "#chat-rooms") and text_of(sam, "#chat-rooms"), "Sam's cue card in the bar")
        assert bar.startswith("Playing the manager in Asking for a raise.")
        await _typed_line(apilot := pilot, sam, "/hand")  # another notice takes the status line; the card stays
        assert "Cue card: " in text_of(sam, "#chat-rooms") and apilot
        await say(dpilot, dana, "/debrief")
        await wait_until(pilot, lambda: "Cue card" not in text_of(sam, "#chat-rooms"), "the card to go with the scene")
