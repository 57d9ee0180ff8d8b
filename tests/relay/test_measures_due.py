"""A questionnaire due by a date, over a real relay: given between sessions,
read on a later join (replay), answered before any session starts, and seen
by its member and the facilitators only; a date in the past is refused.
"""

from __future__ import annotations

import asyncio

from tests.support.wsclient import Cred, RawClient

from protocol.roles import FACILITATOR, GUEST, PARTICIPANT
from protocol.state import visible_events

TIMEOUT = 10
DUE = "2099-01-31"


def _group(store) -> tuple[int, dict[str, Cred]]:
    gid = store.create_group("Due dates")
    creds = {}
    for name, role in (("Dana", FACILITATOR), ("Sam", PARTICIPANT), ("Alex", PARTICIPANT), ("Jo", GUEST)):
        mid, token = store.add_member(gid, name, role)
        creds[name] = Cred(mid, name, role, token)
    return gid, creds


def _given(client: RawClient) -> list[dict]:
    return [f["data"] for f in client.events if f["type"] == "measure.given"]


async def test_a_questionnaire_due_by_a_date_is_answered_between_sessions_and_seen_by_its_member_and_the_facilitators(relay):
    gid, c = _group(relay.store)
    async with RawClient(relay.url, c["Dana"].token) as dana:
        await dana.wait_synced(TIMEOUT)
        phq = (await dana.command("measure.give", {"measure": "phq9", "member_id": c["Sam"].member_id, "due": DUE}))["seq"]
        await dana.command("measure.give", {"measure": "gad7", "due": DUE})
        refused = await dana.send("measure.give", {"measure": "gad7", "due": "2000-01-01"})
        error = await dana.wait_ack(refused, TIMEOUT)
        assert error["kind"] == "error" and "in the past" in error["message"], error
    # Nobody is connected and no session runs; the members join later and read it in their replay.
    async with RawClient(relay.url, c["Sam"].token) as sam, RawClient(relay.url, c["Alex"].token) as alex, RawClient(relay.url, c["Jo"].token) as jo:
        for client in (sam, alex, jo):
            await asyncio.wait_for(client.wait_synced(), TIMEOUT)
        assert [(d["measure"], d["member_id"], d["due"]) for d in _given(sam)] == [("phq9", c["Sam"].member_id, DUE), ("gad7", None, DUE)]
        assert [(d["measure"], d["due"]) for d in _given(alex)] == [("gad7", DUE)], "another member's questionnaire never reaches Alex"
        assert _given(jo) == [], "a guest is given no questionnaire"
        for item in range(9):
            await sam.command("measure.answer", {"measure_id": phq, "item": item, "answer": 1})
        scored = await sam.recv_until(lambda f: f.get("kind") == "event" and f["type"] == "measure.scored", TIMEOUT)
        assert scored["data"]["total"] == 9 and scored["data"]["late"] is False
    log = relay.store.events_after(gid, 0)
    for name in ("Alex", "Jo"):
        seen = visible_events(log, c[name].role, c[name].member_id)
        assert not [e for e in seen if e.data.get("measure_id") == phq], f"{name} reads nothing of Sam's PHQ-9 (replay, export)"
    fac = visible_events(log, FACILITATOR, c["Dana"].member_id)
    assert any(e.type == "measure.scored" and e.data["measure_id"] == phq for e in fac)
