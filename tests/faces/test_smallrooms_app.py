"""A breakout round and a role-play in the full-screen face (issue 13), at 80x24 over a real relay.

Real apps driven by Textual's pilot (the facilitator Dana and the member Sam),
each on a real ClientSession; Alex is a raw websocket client who is present.
The chat pane's room bar says, in words, which room you are in and your role;
a facilitator's bar lists every room; lines from another room say their room
and lines in character their role; Ctrl+R steps in and out of role.
"""

from __future__ import annotations

import re

from tests.support.apphelp import live_in_chat, option_texts, say, screen_text, text_of, wait_until

from iop_tui.core.plan import DEMO_PLAN


def has(app, line: str) -> bool:
    """A chat row begins with ``line`` (a facilitator's rows end with the message number)."""
    return any(t.startswith(line) for t in option_texts(app, "#chat-log"))


async def test_a_breakout_round_and_a_role_play_at_80x24(seeded) -> None:
    async with live_in_chat(seeded) as (alex, dana, dpilot, sam, pilot):
        await say(dpilot, dana, "/breakout 2 8 random Name one trigger.")

        # Sam is told, in words, where he is; Dana's bar lists every room.
        bar = await wait_until(pilot, lambda: text_of(sam, "#chat-rooms"), "Sam's room bar")
        room = int(re.match(r"You are in: Room (\d) of 2, on your own for now, until \d\d:\d\d\.", bar).group(1))
        assert f"Room {room} of 2" in screen_text(sam)
        dana_bar = await wait_until(dpilot, lambda: "Room 2:" in text_of(dana, "#chat-rooms") and text_of(dana, "#chat-rooms"), "Dana's room list")
        assert dana_bar.startswith("You are in: Main room; 2 breakout rooms open, until")
        assert f"Room {room}: Sam." in dana_bar and f"Room {3 - room}: Alex." in dana_bar

        await say(pilot, sam, "my trigger is payday")
        await wait_until(dpilot, lambda: has(dana, f"Room {room}, Sam: my trigger is payday"), "the room line at Dana's, with its room")
        assert f"Room {room}, Sam: my trigger is payday" in option_texts(sam, "#chat-log")  # a row never changes: its room is said always
        await say(dpilot, dana, f"/room {room}")
        await wait_until(dpilot, lambda: text_of(dana, "#chat-rooms").startswith(f"You are in: Room {room} of 2"), "Dana in Sam's room")
        await say(pilot, sam, "/summary We named paydays.")
        await wait_until(dpilot, lambda: f"Room {room}: Sam; you joined; summary drafted." in text_of(dana, "#chat-rooms"), "the draft in Dana's list")
        await say(dpilot, dana, "/rooms")
        await wait_until(dpilot, lambda: any(t.startswith(f"Room {room}: Sam; facilitator here: you; summary draft: We named paydays.") for t in option_texts(dana, "#chat-log")), "/rooms reads the draft")
        await say(dpilot, dana, "/recall")
        await wait_until(pilot, lambda: f"Breakout summaries: Room {room}: We named paydays." in option_texts(sam, "#chat-log"), "the summary in the main chat")
        assert text_of(sam, "#chat-rooms") == ""
        assert not [f for f in alex.frames if "payday" in str(f.get("data", {}).get("text", "")) and f.get("type") == "chat.posted"]

        # Role-play: Sam's part in words; Ctrl+R steps in and out of character.
        dana.load_plan(str(DEMO_PLAN))
        await say(dpilot, dana, "/roleplay plan 1 Sam=2")
        part = await wait_until(pilot, lambda: text_of(sam, "#chat-rooms"), "Sam's part")
        assert part.split("\n")[0] == "Playing the manager in Asking for a raise. Ctrl+R speaks in character."
        assert part.split("\n")[1].startswith("Cue card: ")  # qam: the cue card stays in view
        await pilot.press("ctrl+r")
        assert "Typing in character; Ctrl+R steps out." in text_of(sam, "#chat-rooms")
        await say(pilot, sam, "What can I do for you?")
        await wait_until(dpilot, lambda: has(dana, "Sam as the manager: What can I do for you?"), "the line in character")
        await pilot.press("ctrl+r")
        assert "Ctrl+R speaks in character." in text_of(sam, "#chat-rooms")
        await say(pilot, sam, "that felt odd")
        await wait_until(dpilot, lambda: has(dana, "Sam: that felt odd"), "the line out of role")
        await say(dpilot, dana, "/debrief")
        await wait_until(pilot, lambda: text_of(sam, "#chat-rooms") == "", "the scene's end")
