"""A guest's invitation ends kindly (found running a family session as a facilitator).

When the family session ends the relay ends the guest's invitation and closes
their connection. The guest was told "The family session has ended, and your
invitation with it; thank you for coming." and then, as the session's last
word, "You were removed from this group; ask your facilitator if this is a
mistake." (plain mode's final line, the full-screen face's closing screen).
The last word is now the invitation's end.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from iop_tui.core import words
from iop_tui.core.session import ClientSession
from iop_tui.tui.screens.fatal import fatal_sentence
from server.edge import RelayServer
from tests.faces.test_between_faces import _invite
from tests.support.plainface import until as _until
from tests.support.wsclient import seed


async def test_a_guest_whose_family_session_ends_is_thanked_not_told_they_were_removed(tmp_path: Path) -> None:
    async with RelayServer(tmp_path / "data") as relay:
        seeded = seed(relay.store, relay.url)
        ana = _invite(relay.store, seeded, "Ana María")
        dana = ClientSession(relay.url, seeded.facilitator.token)
        guest = ClientSession(relay.url, ana.token)
        tasks = [asyncio.create_task(dana.run()), asyncio.create_task(guest.run())]
        try:
            await _until(lambda: dana.model.synced and guest.model.synced, "both to join")
            dana.send("session.start", {"title": "Family evening", "kind": "family"})
            await _until(lambda: dana.model.state.session is not None, "the family session")
            dana.send("guest.admit", {"member_id": ana.member_id})
            await _until(lambda: guest.model.state.session is not None, "the guest let in")
            dana.send("session.end", {"summary": ""})
            await _until(lambda: guest.model.conn.state == "failed", "the guest's invitation to end")
            said = guest.fatal_message or ""
            assert "removed" not in said, said
            assert said == words.INVITATION_ENDED
            assert fatal_sentence(guest) == words.INVITATION_ENDED
            assert guest.model.conn.message == words.INVITATION_ENDED  # what plain mode says last
        finally:
            await dana.close()
            await guest.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
