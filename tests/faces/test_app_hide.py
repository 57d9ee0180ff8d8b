"""The quick-hide key: F12 covers the session at once, even inside a text field.

While hidden, nothing of the session reaches the terminal — not the group's
name, not a chat line that arrives meanwhile, not a notification — and Enter
brings the session back with what arrived in the meantime.
"""

from __future__ import annotations

from tests.support.apphelp import joined, screen_text, type_into, wait_until
from tests.support.wsclient import RawClient

from iop_tui.tui.screens.hidden import HIDDEN_TEXT


async def test_f12_hides_everything_and_enter_brings_it_back(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
            await pilot.press("f4")  # the mood field has the focus: F4, not 4
            await type_into(pilot, app, "#chat-input", "half typed")  # focus in a text field
            await pilot.press("f12")
            await wait_until(pilot, lambda: app.hidden, "the screen to hide")
            await dana.wait_ack(await dana.send("phase.set", {"phase": "discussion"}))
            await dana.wait_ack(await dana.send("chat.send", {"text": "Sam, how was your week?"}))
            await wait_until(pilot, lambda: any("how was your week" in line.text for line in model.state.chat), "the line to arrive")
            await pilot.pause(0.3)
            shown = screen_text(app)
            assert HIDDEN_TEXT in shown
            for secret in ("Tuesday IOP", "how was your week", "Week 3", "Chat", "Discussion", "iop-tui"):
                assert secret not in shown, f"{secret!r} showed on the hidden screen"
            assert not app._notifications, "a notification was queued while hidden"
            await pilot.press("enter")
            await wait_until(pilot, lambda: not app.hidden, "the session to come back")
            await pilot.pause(0.2)
            back = screen_text(app)
            assert "Tuesday IOP" in back and "how was your week" in back
            assert app.session_screen().query_one("#chat-input").value == "half typed"
