"""The plain face gives a refused typed line back at the prompt: the real program on a real pty.

Sam runs ``python -m iop_tui join URL --token T --plain`` on a pseudo-terminal
against a relay process; Dana (facilitator) is a real ClientSession here. Sam,
muted, types a check-in whose note is for the group; the relay refuses it. The
refusal is said, then the line ("Not sent, so here it is to type again: ..."),
and the line is back on the prompt row: once Dana unmutes him, Enter alone
sends it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from iop_tui.core import words
from iop_tui.core.session import ClientSession
from tests.support.plainface import until
from tests.support.plainpty import PtyProgram, client_env, plain_argv, seed_group
from tests.support.procs import start_server_process

CHECKIN = "/checkin 4 tired --group -- a rough week"


async def test_a_refused_line_is_back_on_the_plain_prompt_and_enter_sends_it(tmp_path: Path) -> None:
    creds = seed_group(tmp_path / "data", participants=("Sam", "Alex"))
    with start_server_process(tmp_path / "data") as server:
        await _muted_checkin_given_back(server, creds, tmp_path)
        server.stop()


async def _muted_checkin_given_back(server, creds, tmp_path: Path) -> None:
    dana = ClientSession(server.url, creds["Dana"]["token"])
    task = asyncio.create_task(dana.run())
    try:
        await until(lambda: dana.model.synced and dana.model.me is not None, "Dana to join")
        dana.send("session.start", {"title": "Week 4"})
        sam_id = creds["Sam"]["member_id"]
        dana.send("member.mute", {"member_id": sam_id, "muted": True})
        await until(lambda: dana.model.state.roster[sam_id].muted, "Sam muted")
        with PtyProgram(plain_argv(server.url, creds["Sam"]["token"]), client_env(tmp_path / "config")) as sam:
            await sam.wait_for("Joined Tuesday IOP as Sam, participant.")
            sam.type(CHECKIN)
            await sam.wait_for(words.returned_line_text(CHECKIN))
            said = sam.flat
            assert said.index("your note cannot go to the group") < said.index(words.returned_line_text(CHECKIN))
            dana.send("member.mute", {"member_id": sam_id, "muted": False})
            await until(lambda: not dana.model.state.roster[sam_id].muted, "Sam unmuted")
            await sam.wait_for("unmuted")
            sam.type("")  # Enter alone: the line given back goes
            await until(lambda: sam_id in dana.model.state.checkins, "Sam's check-in at Dana's")
            assert dana.model.state.checkins[sam_id].note == "a rough week"
    finally:
        await dana.close()
        await asyncio.wait_for(task, 10)
