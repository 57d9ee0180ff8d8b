"""The role x audience matrix for small rooms (issue 13), over real websockets.

Breakout room lines and summary drafts, role-play cue cards and observer notes
reach exactly their audience — the room's members and the facilitators; the
card's holder; the observer and the facilitators until shared — live, on a
fresh replay, on a resume after a reconnect and in ``iop-server export``
(a real subprocess on the real SQLite file). Every receiver's events are
compared with what the one rule (:func:`protocol.state.visible_events`) entitles
them to, and every received frame is scanned for the secrets of others. A
guest outside a family session is never put in a room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from tests.relay.test_access import TIMEOUT, Group, make_group
from tests.support.audit import secrets_in
from tests.support.wsclient import Cred, RawClient

from protocol.roles import FACILITATOR, GUEST, MEMBER, PARTICIPANT, ROOM
from protocol.state import visible_events
from server.edge import RelayServer


@pytest.fixture
async def relay_fast(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=10_000, burst=10_000) as server:
        yield server


def people(g: Group) -> list[Cred]:
    return [g.facilitator, g.actor[FACILITATOR], g.actor[PARTICIPANT], g.other, g.target, g.guest]


async def scenario(url: str, g: Group) -> dict:
    """Rooms with lines and drafts, a scene in each room, then a main-room scene with observers."""
    sam, alex, riley = g.actor[PARTICIPANT], g.other, g.target
    async with contextlib.AsyncExitStack() as stack:
        c = {cred.name: await stack.enter_async_context(RawClient(url, cred.token)) for cred in people(g)}
        for client in c.values():
            await asyncio.wait_for(client.wait_synced(), TIMEOUT)
        dana = c["Dana"]
        marks = {"session": (await dana.command("session.start", {"title": "Small rooms"}))["seq"]}
        await dana.command("breakout.open", {"rooms": 2, "minutes": 30, "prompt": "Name one trigger."})
        rooms: dict[int, int] = {}
        for _ in range(2):  # one room.opened per room
            f = await dana.recv_until(lambda f: f.get("kind") == "event" and f["type"] == "room.opened", TIMEOUT)
            for mid in f["data"]["members"]:
                rooms[mid] = f["data"]["room"]
        assert set(rooms) == {sam.member_id, alex.member_id, riley.member_id}, rooms  # the guest stays out
        for cred in (sam, alex, riley):
            await c[cred.name].command("chat.send", {"text": f"SECRET-ROOM-{cred.name} said in my room"})
        await c["Sam"].command("breakout.summary", {"text": f"SECRET-DRAFT-{rooms[sam.member_id]} first draft"})
        await c["Sam"].command("breakout.summary", {"text": "Paydays and Sundays."})
        roles = [{"name": "the asker", "cue": "CUE-ASKER"}, {"name": "the manager", "cue": "CUE-MANAGER"}]
        await dana.command("roleplay.start", {"title": "Raise", "roles": roles, "in_rooms": True})
        await c["Sam"].command("roleplay.say", {"text": f"SECRET-IN-CHARACTER-{rooms[sam.member_id]} hello boss"})
        await dana.command("roleplay.end", {"debrief": ["What went well?"]})
        await dana.command("breakout.recall")
        observer = [{"name": "the asker", "cue": "CUE-ASKER"}, {"name": "the manager", "cue": "CUE-MANAGER"}, {"name": "the observer", "observer": True}]
        cast = [{"member_id": riley.member_id, "role": 2}, {"member_id": sam.member_id, "role": 0}, {"member_id": alex.member_id, "role": 1}]
        await dana.command("roleplay.start", {"title": "Raise again", "roles": observer, "checklist": ["CHECK-eye contact"], "cast": cast})
        await c["Riley"].command("roleplay.note", {"text": "SECRET-NOTE-KEPT Sam looked away"})
        await dana.command("roleplay.end", {"debrief": ["How did it feel?"]})
        cast = [{"member_id": alex.member_id, "role": 2}, {"member_id": sam.member_id, "role": 0}, {"member_id": riley.member_id, "role": 1}]
        await dana.command("roleplay.start", {"title": "Raise a third time", "roles": observer, "cast": cast})
        await c["Alex"].command("roleplay.note", {"text": "SHARED-NOTE steady voice"})
        await dana.command("roleplay.end", {"debrief": []})
        await c["Alex"].command("roleplay.share")
        marks["end"] = (await dana.command("chat.send", {"text": "end of scenario"}))["seq"]
        for client in c.values():
            await client.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= marks["end"], TIMEOUT, consume=False)
        marks["live"] = dict(c)
        marks["rooms"] = rooms
        return marks


def secrets(rooms: dict[int, int], g: Group) -> dict[str, set[str]]:
    """Each secret -> the names (besides the facilitators) allowed to read it."""
    by_name = {g.actor[PARTICIPANT].member_id: "Sam", g.other.member_id: "Alex", g.target.member_id: "Riley"}
    mates = {name: {by_name[m] for m, r in rooms.items() if r == rooms[mid]} for mid, name in by_name.items()}
    sam_room = rooms[g.actor[PARTICIPANT].member_id]
    out = {f"SECRET-ROOM-{name}": mates[name] for name in by_name.values()}
    out[f"SECRET-DRAFT-{sam_room}"] = mates["Sam"]
    out[f"SECRET-IN-CHARACTER-{sam_room}"] = mates["Sam"]
    out["SECRET-NOTE-KEPT"] = {"Riley"}
    return out


def problems_of(store, g: Group, frames: list[dict], cred: Cred, start: int, rooms: dict[int, int]) -> list[str]:
    problems = []
    events = [f for f in frames if f.get("kind") == "event"]
    got = [f["seq"] for f in events]
    want = [e.seq for e in visible_events(store.events_after(g.group_id, 0), cred.role, cred.member_id) if e.seq >= start]
    if got != want:
        problems.append(f"{cred.name}: got seqs {got}, entitled to {want}")
    allowed = {s for s, names in secrets(rooms, g).items() if cred.role == FACILITATOR or cred.name in names}
    leaked = secrets_in(frames, set(secrets(rooms, g))) - allowed
    if leaked:
        problems.append(f"{cred.name} ({cred.role}) saw {leaked}")
    if cred.role != FACILITATOR:
        mine = rooms.get(cred.member_id)
        for f in events:
            if f["audience"] == ROOM and f["subject"] != mine:
                problems.append(f"{cred.name} got room {f['subject']}'s {f['type']}")
            if f["audience"] == MEMBER and f["subject"] != cred.member_id:
                problems.append(f"{cred.name} got another member's {f['type']}")
    if cred.role == GUEST and any(f["type"] in ("room.opened", "room.joined", "roleplay.cue") for f in events):
        problems.append("the guest was put in a room or cast outside a family session")
    return problems


async def test_room_lines_cue_cards_and_observer_notes_reach_only_their_audience_live(relay_fast):
    g = make_group(relay_fast.store, "Small rooms live")
    marks = await scenario(relay_fast.url, g)
    problems = []
    for cred in people(g):
        client = marks["live"][cred.name]
        problems += problems_of(relay_fast.store, g, client.frames, cred, client.welcome["replay_from"], marks["rooms"])
    assert not problems, problems
    # The cards themselves: each member holds exactly their own, the facilitators all of them.
    cues = [e for e in relay_fast.store.events_after(g.group_id, 0) if e.type == "roleplay.cue"]
    assert len(cues) == 3 + 3 + 3 and all(e.audience == MEMBER and e.subject == e.data["member_id"] for e in cues)
    riley_card = [e.data for e in cues if e.data["member_id"] == g.target.member_id and e.data["observer"]]
    assert riley_card and riley_card[0]["checklist"] == ["CHECK-eye contact"]


@pytest.mark.parametrize("how", ["fresh", "resume"])
async def test_room_lines_cue_cards_and_observer_notes_reach_only_their_audience_on_replay(relay_fast, how):
    g = make_group(relay_fast.store, f"Small rooms replay {how}")
    marks = await scenario(relay_fast.url, g)
    problems = []
    for cred in people(g):
        resume = None if how == "fresh" else marks["session"]
        async with RawClient(relay_fast.url, cred.token, resume_from=resume) as c:
            await asyncio.wait_for(c.wait_synced(), TIMEOUT)
            problems += problems_of(relay_fast.store, g, c.frames, cred, c.welcome["replay_from"], marks["rooms"])
    assert not problems, problems


async def test_an_export_holds_only_the_rooms_cards_and_notes_its_member_may_see(relay_fast, tmp_path):
    from tests.support.procs import run_cli

    g = make_group(relay_fast.store, "Small rooms export")
    marks = await scenario(relay_fast.url, g)
    problems = []
    for cred in people(g):
        out = tmp_path / f"{cred.name}.json"
        done = await asyncio.to_thread(run_cli, "export", "Small rooms export", "--name", cred.name, "--out", str(out), "--data", str(relay_fast.data_dir))
        assert done.returncode == 0, done.stderr
        doc = json.loads(out.read_text(encoding="utf-8"))
        frames = [{"kind": "event", **e} for e in doc["events"]]
        problems += problems_of(relay_fast.store, g, frames, cred, 1, marks["rooms"])
    assert not problems, problems


