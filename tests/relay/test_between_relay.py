"""Between sessions over real websockets and the real ``iop-server`` program (issue 15 part B).

- A facilitator sets up a group with the CLI (participants, a guest invited to
  the next family session), runs a family session in which the guest waits
  and is let in, and exports the attendance as CSV; the guest's token ends
  with the session.
- The audience matrix of the new events — the attendance record, a guest
  waiting, personal homework, the feed and the pinned resources — for every
  receiver role, live, on a fresh replay and in ``iop-server export``:
  each reaches exactly who the one rule admits, and no secret leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
from pathlib import Path

import pytest

from protocol.state import visible_events
from server.edge import RelayServer
from server.export import member_export
from tests.support.audit import secrets_in
from tests.support.procs import run_cli, start_server_process
from tests.support.wsclient import Cred, RawClient, is_event, seed

TIMEOUT = 10


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_a_facilitator_sets_up_a_family_session_with_the_cli_and_exports_its_attendance(tmp_path: Path):
    data = str(tmp_path / "data")
    dana = _json(run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", data, "--json"))
    sam = _json(run_cli("invite", "Tuesday IOP", "--name", "Sam", "--data", data, "--json"))
    _json(run_cli("invite", "Tuesday IOP", "--name", "Alex", "--data", data, "--json"))
    invited = run_cli("invite", "Tuesday IOP", "--name", "Ana", "--role", "guest", "--data", data)
    assert invited.returncode == 0 and "invited to the next family session" in invited.stdout
    ana_token = invited.stdout.split("with the token: ", 1)[1].split()[0]
    wrong = run_cli("invite", "Tuesday IOP", "--name", "Lee", "--family-session", "next", "--data", data)
    assert wrong.returncode == 2 and "--family-session is for guests" in wrong.stderr
    with start_server_process(Path(data)) as server:
        async with RawClient(server.url, dana["token"]) as d, RawClient(server.url, sam["token"]) as s:
            await d.wait_synced()
            await s.wait_synced()
            async with RawClient(server.url, ana_token) as ana:
                await ana.wait_synced()
                assert ana.welcome is not None and ana.welcome["roster"] == []  # the waiting room shows nobody
                await d.command("session.start", {"title": "Family evening", "kind": "family"})
                waiting = await d.recv_until(is_event("guest.waiting"), TIMEOUT)
                assert waiting["data"]["member_id"] == ana.welcome["member"]["id"]
                await d.command("guest.admit", {"member_id": waiting["data"]["member_id"]})
                await ana.recv_until(is_event("guest.arrived"), TIMEOUT)
                assert [f["type"] for f in ana.events][:1] == ["session.started"]
                await d.command("session.end", {"summary": "Thank you"})
                assert await ana.wait_closed(TIMEOUT) == 4003
            refused = RawClient(server.url, ana_token)
            async with refused:
                assert refused.frames and refused.frames[0]["kind"] == "error" and refused.frames[0]["code"] == "unauthorized"
        server.stop()
    table = run_cli("attendance", "Tuesday IOP", "--csv", "--data", data)
    assert table.returncode == 0, table.stderr
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(table.stdout))}
    assert set(rows) == {"Dana", "Sam", "Ana", "Alex"}
    assert rows["Alex"]["absent"] == "yes" and rows["Sam"]["absent"] == "no" and rows["Ana"]["role"] == "guest"
    assert rows["Sam"]["session_kind"] == "family" and rows["Sam"]["joined"].endswith("+00:00")
    said = run_cli("attendance", "Tuesday IOP", "--session", "1", "--data", data)
    assert said.returncode == 0 and "Session 1, Family evening (family)" in said.stdout and "Alex (participant): absent" in said.stdout
    beyond = run_cli("attendance", "Tuesday IOP", "--session", "2", "--data", data)
    assert beyond.returncode == 2 and "choose --session from 1 to 1" in beyond.stderr
    # a new token for the guest is a new invitation, to the next family session
    again = run_cli("invite", "Tuesday IOP", "--name", "Ana", "--new-token", "--data", data)
    assert again.returncode == 0, again.stderr
    from server.store import Store

    store = Store(Path(data))
    try:
        group = store.group_by_name("Tuesday IOP")
        assert group is not None
        (member,) = [m for m in store.members(group.id) if m.name == "Ana"]
        assert not member.revoked and store.guest_invites(group.id)[member.id] == store.head_seq(group.id)
    finally:
        store.close()


SECRETS = {
    "homework": "PERSONAL-HOMEWORK for Sam",
    "feed": "FEED-POST between sessions",
    "resource": "PINNED-RESOURCE text",
}


@pytest.fixture
async def relay_fast(tmp_path):
    async with RelayServer(tmp_path / "data", rate_per_s=10_000, burst=10_000) as server:
        yield server


async def _scenario(url: str, g, ana: Cred) -> None:
    async with contextlib.AsyncExitStack() as stack:
        dana = await stack.enter_async_context(RawClient(url, g.facilitator.token))
        sam = await stack.enter_async_context(RawClient(url, g.participants[0].token))
        alex = await stack.enter_async_context(RawClient(url, g.participants[1].token))
        for c in (dana, sam, alex):
            await c.wait_synced()
        await dana.command("homework.assign", {"title": SECRETS["homework"], "homework_kind": "text", "due": "2099-01-31", "to": [g.participants[0].member_id]})
        await sam.command("feed.post", {"text": SECRETS["feed"]})
        await dana.command("resource.pin", {"title": "Crisis line", "link": "https://988lifeline.org", "text": SECRETS["resource"]})
        await dana.command("session.start", {"title": "Family evening", "kind": "family"})
        guest = await stack.enter_async_context(RawClient(url, ana.token))
        await guest.wait_synced()
        await dana.recv_until(is_event("guest.waiting"), TIMEOUT)
        await dana.command("guest.admit", {"member_id": ana.member_id})
        await guest.recv_until(is_event("guest.arrived"), TIMEOUT)
        await sam.command("chat.send", {"text": "hello Ana"})
        await guest.recv_until(is_event("chat.posted"), TIMEOUT)
        await dana.command("session.end", {"summary": "Thanks"})
        await guest.wait_closed(TIMEOUT)


def _allowed(cred: Cred, g) -> set[str]:
    if cred.role == "facilitator":
        return set(SECRETS.values())
    if cred.role == "guest":
        return set()
    return {SECRETS["feed"], SECRETS["resource"]} | ({SECRETS["homework"]} if cred.member_id == g.participants[0].member_id else set())


async def test_the_between_sessions_events_reach_exactly_their_audience_live_on_replay_and_in_an_export(relay_fast):
    store = relay_fast.store
    g = seed(store, relay_fast.url)
    mid, token = store.add_member(g.group_id, "Ana", "guest")
    store.invite_guest(mid, store.head_seq(g.group_id))
    ana = Cred(mid, "Ana", "guest", token)
    await _scenario(relay_fast.url, g, ana)
    log = list(store.iter_events(g.group_id))
    types = {e.type for e in log}
    assert {"attendance.recorded", "guest.waiting", "homework.assigned", "feed.posted", "resource.pinned", "guest.arrived"} <= types
    audiences = {e.type: e.audience for e in log if e.type in ("attendance.recorded", "guest.waiting", "feed.posted", "resource.pinned")}
    assert audiences == {"attendance.recorded": "facilitators", "guest.waiting": "facilitators", "feed.posted": "members", "resource.pinned": "members"}
    group = store.group(g.group_id)
    assert group is not None
    problems = []
    for cred in (g.facilitator, g.participants[0], g.participants[1]):
        async with RawClient(relay_fast.url, cred.token) as c:  # a fresh replay of the whole log
            await c.wait_synced(TIMEOUT)
            want = [e.seq for e in visible_events(log, cred.role, cred.member_id)]
            got = [f["seq"] for f in c.events]
            if got != want:
                problems.append(f"{cred.name}: replay {got} != entitled {want}")
            leaked = secrets_in(c.frames, set(SECRETS.values())) - _allowed(cred, g)
            if leaked:
                problems.append(f"{cred.name} saw {leaked} on replay")
            got_types = {f["type"] for f in c.events}
            if cred.role != "facilitator" and got_types & {"attendance.recorded", "guest.waiting"}:
                problems.append(f"{cred.name} got a facilitators' record")
    for cred in (g.facilitator, g.participants[0], g.participants[1], ana):
        member = store.member(cred.member_id)
        assert member is not None
        exported = member_export(group, member, log, 0.0)["events"]
        leaked = secrets_in(exported, set(SECRETS.values())) - _allowed(cred, g)
        if leaked:
            problems.append(f"{cred.name}'s export holds {leaked}")
        if cred.role == "guest" and {e["type"] for e in exported} & {"attendance.recorded", "feed.posted", "resource.pinned", "homework.assigned", "guest.waiting"}:
            problems.append("the guest's export holds the group's life between sessions")
    assert not problems, problems


async def test_live_a_guest_and_a_member_not_assigned_receive_nothing_that_is_not_theirs(relay_fast):
    store = relay_fast.store
    g = seed(store, relay_fast.url)
    async with contextlib.AsyncExitStack() as stack:
        dana = await stack.enter_async_context(RawClient(relay_fast.url, g.facilitator.token))
        alex = await stack.enter_async_context(RawClient(relay_fast.url, g.participants[1].token))
        jo = await stack.enter_async_context(RawClient(relay_fast.url, g.guest.token))
        for c in (dana, alex, jo):
            await c.wait_synced()
        await dana.command("session.start", {"title": "Week 3"})
        await dana.command("homework.assign", {"title": SECRETS["homework"], "homework_kind": "text", "due": "2099-01-31", "to": [g.participants[0].member_id]})
        await dana.command("resource.pin", {"title": "Crisis line", "text": SECRETS["resource"]})
        await dana.command("session.end", {"summary": ""})
        marker = (await alex.command("feed.post", {"text": SECRETS["feed"]}))["seq"]
        await dana.recv_until(lambda f: f.get("kind") == "event" and f["seq"] == marker, TIMEOUT)
        await asyncio.sleep(0.1)
        assert secrets_in(alex.frames, set(SECRETS.values())) == {SECRETS["resource"], SECRETS["feed"]}
        assert secrets_in(jo.frames, set(SECRETS.values())) == set()
        assert not {f["type"] for f in alex.events + jo.events} & {"attendance.recorded", "guest.waiting"}
        assert "attendance.recorded" in {f["type"] for f in dana.events}


async def test_a_guest_not_let_in_says_nothing_into_the_session_but_may_still_ask_for_help(relay_fast):
    """A guest invited to the next family session waits in its waiting room, seeing nothing of
    the group, while any other session runs, and in the family session until a facilitator lets
    them in. Until then nothing they send reaches the group: a chat line (to the group or to the
    facilitators), a raised hand and a vote are refused in one sentence, and nothing is stored;
    a call for help still reaches the facilitators. Once let in, their line is posted."""
    store = relay_fast.store
    g = seed(store, relay_fast.url)
    mid, token = store.add_member(g.group_id, "Ana", "guest")
    store.invite_guest(mid, store.head_seq(g.group_id))
    async with contextlib.AsyncExitStack() as stack:
        dana = await stack.enter_async_context(RawClient(relay_fast.url, g.facilitator.token))
        sam = await stack.enter_async_context(RawClient(relay_fast.url, g.participants[0].token))
        await dana.wait_synced()
        await sam.wait_synced()
        await dana.command("session.start", {"title": "Week 4"})  # a group session: never theirs
        ana = await stack.enter_async_context(RawClient(relay_fast.url, token))
        await ana.wait_synced()
        poll = await dana.command("poll.open", {"question": "How was the week?", "poll_kind": "single", "options": ["good", "hard"], "anonymous": False})
        for round_ in ("the group session", "the family session's waiting room"):
            for kind, data in (
                ("chat.send", {"text": f"hello from {round_}"}),
                ("chat.send", {"text": f"let me in, {round_}", "to": "facilitators"}),
                ("hand.raise", {}),
                ("poll.vote", {"poll_id": poll["seq"], "choices": [1]}),
            ):
                answer = await ana.wait_ack(await ana.send(kind, data))
                assert answer["kind"] == "error" and answer["code"] == "forbidden", (round_, kind, answer)
                assert "let you in" in answer["message"], answer["message"]
            if round_ == "the group session":
                await dana.command("session.end", {"summary": ""})
                await dana.command("session.start", {"title": "Family evening", "kind": "family"})
                await dana.recv_until(is_event("guest.waiting"), TIMEOUT)
                poll = await dana.command("poll.open", {"question": "Ready?", "poll_kind": "single", "options": ["yes", "no"], "anonymous": False})
        await ana.command("urgent.raise", {"text": "I need to talk to someone"})
        await dana.recv_until(is_event("urgent.raised"), TIMEOUT)
        await dana.command("guest.admit", {"member_id": mid})
        await ana.recv_until(is_event("guest.arrived"), TIMEOUT)
        await ana.command("chat.send", {"text": "thank you for having me"})
        await sam.recv_until(is_event("chat.posted", text="thank you for having me"), TIMEOUT)
    said = [e.data.get("text") for e in store.events_after(g.group_id, 0) if e.type == "chat.posted"]
    assert said == ["thank you for having me"], said
    assert not [e for e in store.events_after(g.group_id, 0) if e.type in ("hand.raised", "poll.voted") and e.actor == mid]
