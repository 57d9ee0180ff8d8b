"""The real programs in tmux at 80x24 (issue 13): a member always knows, in words, which
breakout room they are in and what their role is — Sam in the full-screen client, Alex in
plain mode — while the facilitator (a raw websocket client) places them by hand and starts
a role-play in each room. Each client runs in its own tmux server (``tmux -L``), killed after.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.plainpty import client_env
from tests.support.tmuxpane import FULL_SCREEN_CLIENT, TmuxPane
from tests.support.wsclient import RawClient

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")

async def test_at_80x24_each_member_reads_their_room_and_role_in_words(seeded, tmp_path: Path) -> None:
    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    script = tmp_path / "full.py"
    script.write_text(FULL_SCREEN_CLIENT, encoding="utf-8")
    sam = TmuxPane("sam", [sys.executable, str(script)], client_env(tmp_path / "sam", IOP_TEST_URL=seeded.url, IOP_TEST_TOKEN=sam_c.token), folded=True)
    alex = TmuxPane("alex", [sys.executable, "-m", "iop_tui", "join", seeded.url, "--token", alex_c.token, "--plain"], client_env(tmp_path / "alex"), folded=True)
    try:
        await alex.wait_for("Joined Tuesday IOP as Alex")
        await sam.wait_for("Tuesday IOP")
        sam.tmux("send-keys", "F4")
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            for _ in range(100):  # both members connected
                if {f["member"]["id"] for f in dana.frames if f.get("kind") == "presence" and f.get("status") == "online"} >= {sam_c.member_id, alex_c.member_id}:
                    break
                await asyncio.sleep(0.1)
            await dana.command("session.start", {"title": "Week 4"})
            await dana.command("breakout.open", {"rooms": 2, "minutes": 20, "prompt": "Name one trigger.", "assign": "hand"})
            await dana.command("breakout.place", {"member_id": sam_c.member_id, "room": 1})
            await dana.command("breakout.place", {"member_id": alex_c.member_id, "room": 2})
            screen = await sam.wait_for("You are in: Room 1 of 2, on your own for now, until")
            await alex.wait_for("You are now in room 2, on your own for now. Your chat goes to room 2 only.")
            roles = [{"name": "the asker", "cue": "Say it in one sentence."}, {"name": "the manager", "cue": "Ask one question first."}]
            cast = [{"member_id": sam_c.member_id, "role": 1}, {"member_id": alex_c.member_id, "role": 0}]
            await dana.command("roleplay.start", {"title": "Raise", "roles": roles, "cast": cast, "in_rooms": True})
            screen = await sam.wait_for("You are in: Room 1 of 2", "Playing the manager in Raise. Ctrl+R speaks in character.")
            await alex.wait_for("You play the asker", "Your role: the asker. Cue card: Say it in one sentence.")
            alex.tmux("send-keys", "-l", "/rooms")
            alex.tmux("send-keys", "Enter")
            alex.tmux("send-keys", "-l", "/role")
            alex.tmux("send-keys", "Enter")
            await alex.wait_for("Room 2 of 2, on your own for now, until", "Playing the asker in Raise.")
            print(screen)
    finally:
        sam.close()
        alex.close()
