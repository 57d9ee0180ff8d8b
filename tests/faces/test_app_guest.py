"""The Textual app for a guest who joins mid-session: names, never ids; the
truth about who is here; nothing said before they came."""

from __future__ import annotations

from tests.support.apphelp import joined, screen_text, text_of, wait_until
from tests.support.wsclient import RawClient

from iop_tui.core import words


async def test_a_guest_joining_mid_session_sees_raised_hands_by_name_and_no_earlier_chat(seeded) -> None:
    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana, RawClient(seeded.url, sam_c.token) as sam, \
            RawClient(seeded.url, alex_c.token) as alex:
        await dana.command("session.start", {"title": "Family week"})
        await alex.command("chat.send", {"text": "EARLIER-LINE before Jo came"})
        await sam.command("hand.raise", {})
        async with joined(seeded.url, seeded.guest.token) as (app, pilot):
            await pilot.press("f6")
            await wait_until(pilot, lambda: "Hands up" in text_of(app, "#people-hands"), "the hands line")
            assert text_of(app, "#people-hands") == "Hands up, oldest first: Sam."
            assert words.GUEST_ROSTER in text_of(app, "#people-help")
            await alex.command("chat.send", {"text": "LATER-LINE hello Jo"})
            await pilot.press("f4")
            await wait_until(pilot, lambda: "LATER-LINE" in screen_text(app), "the line said after arrival")
            assert "EARLIER-LINE" not in screen_text(app)
            assert "member 2" not in screen_text(app) and "member 3" not in screen_text(app)


async def test_a_removed_guest_is_told_once(seeded) -> None:
    from iop_tui.tui.screens.fatal import FatalScreen

    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.command("session.start", {"title": "Family week"})
        async with joined(seeded.url, seeded.guest.token) as (app, pilot):
            await dana.command("member.remove", {"member_id": seeded.guest.member_id})
            await wait_until(pilot, lambda: isinstance(app.screen, FatalScreen), "the removal to be said")
            await pilot.pause()
            shown = screen_text(app)
            assert " ".join(shown.split()).count("You were removed") == 1, shown
