"""The relay parses a hostile deck on its only event loop and keeps serving the group (issue 9 item 3).

The parser's own cases are in tests/unit/test_deck_linear.py.
"""

from __future__ import annotations

from protocol.errors import ErrorCode
from tests.support.wsclient import RawClient, is_event

#: Twenty slides whose headings each hide a long run of spaces before a stray "#x":
#: the shape that made the old heading pattern backtrack cubically.
PADDED = "\n---\n".join(f"# Calm {i}" + " " * 1_900 + "#x\nBreathe." for i in range(20))


async def test_the_relay_loads_a_padded_deck_and_keeps_serving_the_group(seeded):
    dana_cred, sam_cred = seeded.facilitator, seeded.participants[0]
    async with RawClient(seeded.url, dana_cred.token) as dana, RawClient(seeded.url, sam_cred.token) as sam:
        await dana.command("deck.load", {"markdown": PADDED}, timeout=30)
        loaded = await sam.recv_until(is_event("deck.loaded"), timeout=30)
        assert len(loaded["data"]["slides"]) == 20
        assert loaded["data"]["slides"][3]["title"].startswith("Calm 3")
        await sam.command("chat.send", {"text": "still here", "to": "group"})
        hostile = "# " + " " * 50_000 + "x"
        cid = await dana.send("deck.load", {"markdown": hostile})
        refused = await dana.wait_ack(cid)
        assert refused["kind"] == "error" and refused["code"] == ErrorCode.INVALID
