"""A whole breakout round and a role-play in plain mode, as facilitator and as members, over a real relay.

Each person is a :class:`PlainFace` on a real :class:`ClientSession` joined to
the relay over loopback websockets; we type lines into ``handle`` and read the
lines the face wrote — what a screen reader is given. A member always hears
which room they are in and what their role is; every line from another room
says which room it came from; lines in character name the role.
"""

from __future__ import annotations

import re

from iop_tui.core.plan import DEMO_PLAN, load_plan
from tests.faces.test_plain_private_end import members


async def test_a_breakout_round_in_plain_mode(seeded):
    creds = [seeded.facilitator, *seeded.participants]
    async with members(seeded.url, *(c.token for c in creds)) as (dana, sam, alex, riley):
        dana.type("/start Week 4")
        await sam.wait_line("Session started", "the session")
        dana.type("/breakout 2 8 random Name one trigger.")
        rooms = {}
        for name, m in (("Sam", sam), ("Alex", alex), ("Riley", riley)):
            line = await m.wait_line("You are in room", f"{name} told their room")
            rooms[name] = int(re.search(r"You are in room (\d)", line).group(1))
            assert "Your chat now goes to room" in line
        await sam.wait_line("Breakout rooms open: 2 rooms for 8 minutes, until", "the round's opening line")
        assert any("Prompt: Name one trigger." in line for line in sam.lines)
        mates = [m for n, m in (("Alex", alex), ("Riley", riley)) if rooms[n] == rooms["Sam"]]
        others = [m for n, m in (("Alex", alex), ("Riley", riley)) if rooms[n] != rooms["Sam"]]
        here = rooms["Sam"]

        sam.type("my trigger is payday")
        await dana.wait_line(f"Room {here} chat, Sam: my trigger is payday", "the room line at the facilitator's, with its room")
        for mate in mates:
            await mate.wait_line("Chat, Sam: my trigger is payday", "the room line in Sam's room")
        mark = sam.type("/rooms")
        status = await sam.wait_line(f"Room {here} of 2", "Sam's /rooms", mark)
        assert "until" in status and "Prompt: Name one trigger." in sam.lines[mark + 1]

        mark = dana.type(f"/room {here}")
        await sam.wait_line(f"Facilitator Dana joined room {here}.", "the visit announced")
        await dana.wait_line(f"You joined room {here}", "the facilitator's own line", mark)
        dana.type("/broadcast Two more minutes, then we come back.")
        for m in (sam, alex, riley):
            await m.wait_line("Broadcast to every room, Dana: Two more minutes, then we come back.", "the broadcast")
        sam.type("/summary We named paydays and Sundays.")
        await dana.wait_line("summary draft, Sam: We named paydays and Sundays.", "the draft at the facilitator's")
        dana.type("/recall")
        for m in (sam, alex, riley):
            line = await m.wait_line("Breakout rooms recalled: everyone is back in the main room.", "the recall")
            assert f"Room {here} summary: We named paydays and Sundays." in line
        for other in others:  # the other room heard neither the line nor the draft, only the posted summary
            before = other.lines[: next(i for i, line in enumerate(other.lines) if "recalled" in line)]
            assert not any("payday" in line or "Dana joined" in line for line in before), other.lines
        mark = alex.type("/rooms")
        await alex.wait_line("No breakout rooms are open.", "after the recall", mark)


async def test_a_role_play_in_plain_mode(seeded):
    creds = [seeded.facilitator, *seeded.participants]
    async with members(seeded.url, *(c.token for c in creds)) as (dana, sam, alex, riley):
        dana.face.plan = load_plan(DEMO_PLAN)
        dana.type("/start Week 4")
        await sam.wait_line("Session started", "the session")
        mark = dana.type("/roleplay plan")
        await dana.wait_line("Prepared role play 1: Asking for a raise; roles: 1. the member asking for a raise, 2. the manager, 3. the observer (observer)", "the plan's scenarios", mark)
        dana.type("/roleplay plan 1 Sam=2 Riley=3")
        await sam.wait_line("You play the manager", "Sam's part")
        card = await sam.wait_line("Your role: the manager. Cue card: Budgets are tight", "Sam's cue card")
        assert "/say" in card and "/out" in card
        await alex.wait_line("Your role: the member asking for a raise.", "Alex's card")
        observer = await riley.wait_line("Your role: the observer.", "Riley's card")
        assert "Watch for: A clear ask in one sentence; A calm voice" in observer
        assert not any("Budgets are tight" in line for line in alex.lines + riley.lines)

        mark = sam.type("/role")
        await sam.wait_line("Playing the manager in Asking for a raise.", "/role", mark)
        sam.type("/in")
        sam.type("What can I do for you?")
        await alex.wait_line("Chat, Sam as the manager: What can I do for you?", "a line in character")
        await dana.wait_line("Chat, Sam as the manager: What can I do for you?", "a line in character at the facilitator's")
        sam.type("/out")
        sam.type("that felt odd")
        await alex.wait_line("Chat, Sam: that felt odd", "a line out of role")
        mark = riley.type("/say hello")
        await riley.wait_line("observer", "an observer has no lines in character", mark)

        riley.type("/observe Sam asked a question before answering.")
        await dana.wait_line("Observer note, Riley: Sam asked a question before answering.", "the note at the facilitator's")
        await riley.wait_line("Your observer note, for the facilitators: Sam asked a question before answering.", "the note at Riley's")
        dana.type("/debrief")
        for m in (sam, alex, riley):
            await m.wait_line("ended: everyone is out of role. Debrief: 1. What did the asker do well?", "the debrief")
        assert not any("Sam asked a question" in line for line in sam.lines + alex.lines)
        riley.type("/observe share")
        await alex.wait_line("Observer notes shared, Riley: Sam asked a question before answering.", "the shared notes")
