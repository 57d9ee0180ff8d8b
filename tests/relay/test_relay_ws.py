"""The relay over real websockets: a whole session, privacy, refusals, resume,
idempotency, restarts and bad input."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import msgpack
import pytest
from tests.support.procs import start_server_process
from tests.support.wsclient import RawClient, Seeded, is_event, is_kind, seed

from protocol.codec import MAX_FRAME_BYTES
from protocol.messages import COMMANDS, PROTOCOL_VERSION
from protocol.roles import PARTICIPANT, may
from server.edge import RelayServer

DECK = """title: Thoughts and feelings
# Noticing thoughts
A thought is not a fact.
Notes: PRESENTER-ONLY remind the group about grounding
---
# Reframing
Try another angle.
"""

PRIVATE_NOTE = "NOTE-FOR-FACILITATORS-ONLY slept badly"
PRIVATE_CHAT = "PRIVATE-LINE can we talk after"


@contextlib.asynccontextmanager
async def connected(url: str, *creds, **kw):
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(RawClient(url, c.token, **kw)) for c in creds]
        for c in clients:
            await c.wait_synced()
        yield clients


def text_of(client: RawClient) -> str:
    return repr(client.frames)


def seqs(client: RawClient) -> list[int]:
    return [e["seq"] for e in client.events]


async def settle(*clients: RawClient, seq: int) -> None:
    """Wait until each client received its last visible event up to ``seq``."""
    for c in clients:
        await c.recv_until(lambda f: (f.get("kind") == "event" and f["seq"] >= seq) or (f.get("kind") == "ack" and (f.get("seq") or 0) >= seq), consume=False)


async def run_session(seeded: Seeded) -> dict[str, int]:
    """A facilitator, three participants and a guest go through a whole session."""
    url = seeded.url
    sam_c, alex_c, riley_c = seeded.participants
    async with connected(url, seeded.facilitator, sam_c, alex_c, riley_c, seeded.guest) as (dana, sam, alex, riley, jo):
        marks: dict[str, int] = {}
        started = await dana.command("session.start", {"title": "Week 3"})
        marks["session"] = started["seq"]
        await dana.command("phase.set", {"phase": "checkin"})
        await sam.command("checkin.submit", {"mood": 3, "feelings": ["tired"], "note": PRIVATE_NOTE, "note_to": "facilitators"})
        await alex.command("checkin.submit", {"mood": 7, "feelings": ["hopeful"], "note": "shared with all", "note_to": "group"})
        await riley.command("checkin.submit", {"passed": True})
        await dana.command("phase.set", {"phase": "psychoeducation"})
        await dana.command("deck.load", {"markdown": DECK})
        await dana.command("slide.goto", {"index": 1})
        await dana.command("phase.set", {"phase": "exercises"})
        opened = await dana.command("poll.open", {"question": "Which helps most?", "poll_kind": "single", "options": ["Walk", "Call a friend"], "anonymous": False})
        poll = (await sam.recv_until(is_event("poll.opened")))["data"]["poll_id"]
        assert poll <= opened["seq"]
        for member, choice in ((sam, 0), (alex, 1), (riley, 1)):
            await member.command("poll.vote", {"poll_id": poll, "choices": [choice]})
        await dana.command("poll.close", {"poll_id": poll})
        await dana.command("poll.reveal", {"poll_id": poll})
        revealed = await alex.recv_until(is_event("poll.revealed"))
        assert revealed["data"]["counts"][:2] == [1, 2]
        await dana.command("phase.set", {"phase": "discussion"})
        await alex.command("chat.send", {"text": "That walk idea helps me"})
        await sam.command("chat.send", {"text": PRIVATE_CHAT, "to": "facilitators"})
        await dana.command("phase.set", {"phase": "closing"})
        hw = await dana.command("homework.assign", {"title": "Thought record", "homework_kind": "text", "instructions": "Write one reframe a day.", "due": "2030-01-07"})
        homework_id = (await sam.recv_until(is_event("homework.assigned")))["data"]["homework_id"]
        assert homework_id <= hw["seq"]
        marks["homework"] = homework_id
        submitted = await sam.command("homework.submit", {"homework_id": homework_id, "text": "HOMEWORK-ANSWER of Sam"})
        marks["before_end"] = submitted["seq"]
        ended = await dana.command("session.end", {"summary": "Good work today."})
        marks["head"] = ended["seq"]
        await settle(dana, sam, alex, riley, jo, seq=ended["seq"])
        check_privacy(dana, sam, alex, riley, jo)
        assert seqs(dana) == list(range(1, ended["seq"] + 1)), "the facilitator sees every event, gap-free"
        types = {e["type"] for e in dana.events}
        assert types >= {
            "session.started", "phase.changed", "checkin.submitted", "checkin.note", "deck.loaded", "deck.notes",
            "slide.changed", "poll.opened", "poll.voted", "poll.closed", "poll.revealed", "chat.posted",
            "homework.assigned", "homework.submitted", "session.ended",
        }
        for c in (sam, alex, riley, jo):
            assert seqs(c) == sorted(set(seqs(c))), "no event twice, in order"
        return marks


def check_privacy(dana: RawClient, sam: RawClient, alex: RawClient, riley: RawClient, jo: RawClient | None) -> None:
    others = [alex, riley] + ([jo] if jo else [])
    assert PRIVATE_NOTE in text_of(dana) and PRIVATE_NOTE in text_of(sam)
    assert PRIVATE_CHAT in text_of(dana) and PRIVATE_CHAT in text_of(sam)
    assert "HOMEWORK-ANSWER" in text_of(dana) and "HOMEWORK-ANSWER" in text_of(sam)
    assert "PRESENTER-ONLY" in text_of(dana)
    for c in [sam, *others]:
        assert "PRESENTER-ONLY" not in text_of(c)
    for c in others:
        for secret in (PRIVATE_NOTE, PRIVATE_CHAT, "HOMEWORK-ANSWER"):
            assert secret not in text_of(c), (c.welcome["member"]["name"], secret)
    if jo is not None:
        assert "shared with all" not in text_of(jo), "a check-in is for members, not guests"
        jo_id = jo.welcome["member"]["id"]
        assert all(e["audience"] == "everyone" or (e["type"] == "guest.arrived" and e["subject"] == jo_id) for e in jo.events)
        assert not jo.welcome["roster"]
        assert not [f for f in jo.frames if f["kind"] == "presence"]


async def test_a_whole_session_reaches_each_member_as_it_should(seeded):
    await run_session(seeded)


async def test_replay_honours_the_same_audiences(seeded):
    marks = await run_session(seeded)
    sam_c, alex_c, riley_c = seeded.participants
    async with connected(seeded.url, seeded.facilitator, sam_c, alex_c, riley_c) as (dana, sam, alex, riley):
        for c in (dana, sam, alex, riley):
            assert c.welcome["mode"] == "reset" and c.welcome["replay_from"] == 1
            assert c.welcome["head_seq"] == marks["head"]
            synced = await c.wait_synced()
            assert synced["head_seq"] == marks["head"]
        assert seqs(dana) == list(range(1, marks["head"] + 1))
        check_privacy(dana, sam, alex, riley, None)
        # a resume from the middle gets exactly the rest
    async with RawClient(seeded.url, alex_c.token, resume_from=marks["before_end"]) as alex:
        await alex.wait_synced()
        assert alex.welcome["mode"] == "resume"
        assert seqs(alex) == [marks["head"]]


async def test_guests_get_only_the_live_session(seeded):
    dana_c, jo_c = seeded.facilitator, seeded.guest
    async with connected(seeded.url, dana_c) as (dana,):
        await dana.command("chat.send", {"text": "BEFORE-SESSION history"})
        async with RawClient(seeded.url, jo_c.token) as jo:
            await jo.wait_synced()
            assert jo.welcome["roster"] == [] and jo.events == []
        started = await dana.command("session.start", {"title": "Family session"})
        await dana.command("chat.send", {"text": "welcome, families"})
        async with RawClient(seeded.url, jo_c.token, resume_from=0) as jo:
            synced = await jo.wait_synced()
            assert jo.welcome["mode"] == "reset" and jo.welcome["replay_from"] == started["seq"]
            # The session's start and Jo's own arrival; the line said before she came is not hers.
            arrived = started["seq"] + 2
            assert seqs(jo) == [started["seq"], arrived] and jo.events[-1]["type"] == "guest.arrived"
            assert synced["head_seq"] == arrived
            assert "BEFORE-SESSION" not in text_of(jo) and "welcome, families" not in text_of(jo)


async def test_a_participant_is_refused_every_facilitator_command(seeded):
    facilitator_only = [kind for kind in COMMANDS if not may(PARTICIPANT, kind)]
    assert len(facilitator_only) >= 10
    samples = {
        "session.start": {"title": "x"}, "session.end": {}, "phase.set": {"phase": "checkin"},
        "deck.load": {"markdown": "# a"}, "slide.goto": {"index": 0},
        "poll.open": {"question": "q", "poll_kind": "single", "options": ["a", "b"]},
        "poll.close": {"poll_id": 1}, "poll.reveal": {"poll_id": 1}, "chat.delete": {"message_id": 1},
        "chat.reply": {"member_id": seeded.participants[1].member_id, "text": "only for you"},
        "homework.assign": {"title": "t", "homework_kind": "text", "due": "2030-01-01"},
        "member.mute": {"member_id": seeded.participants[1].member_id},
        "member.remove": {"member_id": seeded.participants[1].member_id},
        "urgent.acknowledge": {"alert_id": 1},
        "measure.give": {"measure": "phq9"},
        # between sessions (issue 15 B)
        "guest.admit": {"member_id": seeded.guest.member_id},
        "resource.pin": {"title": "t", "text": "x"},
        "resource.unpin": {"resource_id": 1},
        "feed.delete": {"post_id": 1},
        # the facilitator's kit (issue 14 A)
        "journal.open": {"title": "q"}, "journal.close": {"prompt_id": 1},
        "goround.start": {"question": "q"}, "goround.next": {}, "goround.end": {},
        "member.nudge": {"member_id": seeded.participants[1].member_id},
        "member.slow": {"member_id": seeded.participants[1].member_id, "seconds": 30},
        # small rooms (issue 13)
        "breakout.open": {"rooms": 2, "minutes": 5}, "breakout.place": {"member_id": seeded.participants[1].member_id, "room": 1},
        "breakout.visit": {"room": 1}, "breakout.broadcast": {"text": "all"}, "breakout.recall": {},
        "roleplay.start": {"title": "t", "roles": [{"name": "a"}]}, "roleplay.end": {},
        # shared boards
        "board.open": {"title": "t", "columns": ["a"]}, "board.clear": {"board_id": 1},
        "card.move": {"card_id": 1, "column": 0}, "card.merge": {"card_id": 1, "into": 2},
    }
    async with connected(seeded.url, seeded.facilitator, seeded.participants[0]) as (dana, sam):
        await dana.command("session.start", {"title": "Week 1"})
        head = (await dana.command("poll.open", {"question": "q", "poll_kind": "single", "options": ["a", "b"]}))["seq"]
        for kind in facilitator_only:
            cid = await sam.send(kind, samples[kind])
            answer = await sam.wait_ack(cid)
            assert (answer["kind"], answer["code"]) == ("error", "forbidden"), kind
            assert answer["message"].endswith(".")
        check = await sam.command("chat.send", {"text": "still here"})
        assert check["seq"] == head + 1, "no refused command left an event"


async def test_resume_after_a_cut_gets_exactly_the_missed_events(seeded):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator) as (dana,):
        async with RawClient(seeded.url, sam_c.token) as sam:
            await sam.wait_synced()
            await dana.command("chat.send", {"text": "one"})
            await sam.recv_until(is_event("chat.posted"))
            held = sam.last_seq
            await sam.abort()
        presence = await dana.recv_until(lambda f: f["kind"] == "presence" and f["member"]["name"] == "Sam" and f["status"] == "reconnecting")
        assert presence["member"]["role"] == "participant"
        missed = [(await dana.command("chat.send", {"text": f"missed {i}"}))["seq"] for i in range(3)]
        async with RawClient(seeded.url, sam_c.token, resume_from=held) as sam:
            await dana.recv_until(lambda f: f["kind"] == "presence" and f["member"]["name"] == "Sam" and f["status"] == "online")
            synced = await sam.wait_synced()
            assert sam.welcome["mode"] == "resume" and sam.welcome["replay_from"] == held + 1
            assert seqs(sam) == missed and synced["head_seq"] == missed[-1]
            live = await dana.command("chat.send", {"text": "live again"})
            await sam.recv_until(is_event("chat.posted", text="live again"))
            assert seqs(sam) == missed + [live["seq"]]


async def test_a_resume_point_beyond_the_log_resets(seeded):
    async with RawClient(seeded.url, seeded.participants[0].token, resume_from=999) as sam:
        await sam.wait_synced()
        assert sam.welcome["mode"] == "reset" and sam.welcome["replay_from"] == 1


async def test_joins_during_a_burst_lose_and_repeat_nothing(seeded):
    """Members join while events stream: replay + live is exactly the log."""
    sam_c, alex_c, riley_c = seeded.participants
    async with connected(seeded.url, seeded.facilitator) as (dana,):
        ids = [await dana.send("chat.send", {"text": f"burst {i}"}) for i in range(30)]
        async with connected(seeded.url, sam_c, alex_c, riley_c) as joined:
            answers = [await dana.wait_ack(cid) for cid in ids]
            head = max(a["seq"] for a in answers)
            for c in joined:
                await c.recv_until(lambda f: f.get("kind") == "event" and f["seq"] == head)
                assert seqs(c) == list(range(1, head + 1))


async def test_presence_reaches_members_not_guests(seeded):
    async with connected(seeded.url, seeded.facilitator, seeded.guest) as (dana, jo):
        async with RawClient(seeded.url, seeded.participants[0].token) as sam:
            await sam.wait_synced()
            roster = {m["name"]: m["status"] for m in sam.welcome["roster"]}
            assert roster["Dana"] == "online" and roster["Sam"] == "online" and roster["Alex"] == "offline"
            about_sam = lambda f: f["kind"] == "presence" and f["member"]["name"] == "Sam"  # noqa: E731
            online = await dana.recv_until(about_sam)
            assert (online["member"], online["status"]) == ({"id": seeded.participants[0].member_id, "name": "Sam", "role": "participant"}, "online")
        offline = await dana.recv_until(about_sam)
        assert offline["status"] == "offline"
        await dana.command("session.start", {"title": "sync point"})  # guests see sessions only
        await jo.recv_until(is_event("session.started"))
        assert not [f for f in jo.frames if f["kind"] == "presence"]


async def test_a_retried_command_id_is_applied_once(seeded):
    async with connected(seeded.url, seeded.facilitator, seeded.participants[0]) as (dana, sam):
        first = await sam.command("chat.send", {"text": "only once"}, id="retry-1")
        again = await sam.command("chat.send", {"text": "only once"}, id="retry-1")
        assert again == first
        refused = await sam.wait_ack(await sam.send("session.start", {}, id="retry-2"))
        mark = len(sam.frames)
        refused_again = await sam.wait_ack(await sam.send("session.start", {}, id="retry-2"), start=mark)
        assert refused_again is not refused and refused_again == refused
        assert refused["code"] == refused_again["code"] == "forbidden"
        other = await sam.command("chat.send", {"text": "next"})
        assert other["seq"] == first["seq"] + 1
        assert [e["data"]["text"] for e in dana.events if e["type"] == "chat.posted"][:1] == ["only once"]
    # another connection of the same member gets the first result too
    async with RawClient(seeded.url, seeded.participants[0].token, resume_from=other["seq"]) as sam2:
        assert await sam2.command("chat.send", {"text": "only once"}, id="retry-1") == first
        assert sam2.events == []


async def test_two_commands_with_one_id_in_one_batch_apply_once(seeded):
    async with connected(seeded.url, seeded.participants[0]) as (sam,):
        await asyncio.gather(*(sam.send("chat.send", {"text": "twin"}, id="twin") for _ in range(2)))
        tail = await sam.command("chat.send", {"text": "after"})
        twins = [f for f in sam.frames if f["kind"] == "ack" and f["id"] == "twin"]
        assert len(twins) == 2 and twins[0] == twins[1]
        assert [e["data"]["text"] for e in sam.events] == ["twin", "after"]
        assert tail["seq"] == 2


async def test_restart_keeps_everything_acknowledged_and_answers_retries(tmp_path):
    async with RelayServer(tmp_path) as relay:
        g = seed(relay.store, relay.url)
        async with connected(relay.url, g.facilitator, g.participants[0]) as (dana, sam):
            await dana.command("session.start", {"title": "Week 1"})
            await dana.command("phase.set", {"phase": "checkin"})
            await sam.command("checkin.submit", {"mood": 2, "note": PRIVATE_NOTE})
            first = await sam.command("chat.send", {"text": "before restart"}, id="across")
            head = first["seq"]
    async with RelayServer(tmp_path) as relay:
        async with connected(relay.url, g.facilitator, g.participants[0], g.participants[1]) as (dana, sam, alex):
            assert dana.welcome["head_seq"] == head
            assert seqs(dana) == list(range(1, head + 1))
            assert PRIVATE_NOTE in text_of(dana) and PRIVATE_NOTE not in text_of(alex)
            assert await sam.command("chat.send", {"text": "before restart"}, id="across") == first
            # the session is still live after the restart
            refused = await dana.wait_ack(await dana.send("session.start", {"title": "again"}))
            assert refused["kind"] == "error" and refused["code"] == "conflict"
            after = await alex.command("chat.send", {"text": "after restart"})
            assert after["seq"] == head + 1


async def test_a_killed_server_process_keeps_what_it_acknowledged(tmp_path):
    from server.store import Store

    store = Store(tmp_path)
    g = seed(store)
    store.close()
    acked = []
    with start_server_process(tmp_path) as server:
        async with connected(server.url, g.facilitator, g.participants[0]) as (dana, sam):
            ids = [await sam.send("chat.send", {"text": f"line {i}"}, id=f"k{i}") for i in range(40)]
            for cid in ids[:20]:
                acked.append((await sam.wait_ack(cid))["seq"])
            server.kill()
            with contextlib.suppress(ConnectionError, AssertionError):
                for cid in ids[20:]:
                    acked.append((await sam.wait_ack(cid, timeout=1))["seq"])
    with start_server_process(tmp_path) as server:
        async with connected(server.url, g.facilitator, g.participants[0]) as (dana, sam):
            assert set(acked) <= set(seqs(dana))
            assert seqs(dana) == list(range(1, len(dana.events) + 1))
            again = [(await sam.command("chat.send", {"text": f"line {i}"}, id=f"k{i}"))["seq"] for i in range(40)]
            assert again[: len(acked)] == acked, "retries get the first acks"
            texts = [e["data"]["text"] for e in dana.events] + [f"line {i}" for i in range(len(dana.events), 40)]
            assert sorted(texts) == sorted(f"line {i}" for i in range(40))
        server.stop()


async def test_bad_frames_get_coded_errors_and_everyone_carries_on(seeded):
    async with connected(seeded.url, seeded.facilitator, seeded.participants[0], seeded.participants[1]) as (dana, sam, alex):
        bad = [
            (b"\xc1\xc1 not msgpack", "bad_frame"),
            ("a text frame", "bad_frame"),
            (msgpack.packb([1, 2, 3]), "bad_frame"),
            (msgpack.packb({"id": "x"}), "bad_frame"),
            (msgpack.packb({"kind": "chat.send", "data": {"text": "no id"}}), "bad_frame"),
            (msgpack.packb({"kind": "teleport", "id": "t1", "data": {}}), "unknown_kind"),
            (msgpack.packb({"kind": "chat.send", "id": "t2", "data": {"text": 5}}), "invalid"),
            (msgpack.packb({"kind": "chat.send", "id": "t3", "data": {"text": "x", "extra": 1}}), "invalid"),
            (msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": seeded.participants[0].token}), "handshake"),
            (msgpack.packb({"kind": "chat.send", "id": "big", "data": {"text": "x" * (MAX_FRAME_BYTES + 10)}}), "too_large"),
        ]
        for message, code in bad:
            await sam.send_raw(message)
            error = await sam.recv_until(is_kind("error"))
            assert error["code"] == code, (message[:40], error)
            assert error["message"][0].isupper() and error["message"].endswith(".")
        ok = await sam.command("chat.send", {"text": "still connected"})
        await alex.recv_until(is_event("chat.posted", text="still connected"))
        await dana.command("chat.send", {"text": "all fine"})
        await alex.recv_until(is_event("chat.posted", text="all fine"))
        assert seqs(alex) == [ok["seq"], ok["seq"] + 1], "bad frames left no events"


async def test_a_frame_beyond_the_socket_limit_closes_with_1009(seeded):
    async with connected(seeded.url, seeded.participants[0]) as (sam,):
        await sam.send_raw(b"\x00" * (4 * MAX_FRAME_BYTES + 1))
        assert await sam.wait_closed() == 1009


@pytest.mark.parametrize(
    "frame, code, close",
    [
        ({"kind": "hello", "v": PROTOCOL_VERSION, "token": "not-a-token"}, "unauthorized", 4001),
        ({"kind": "hello", "v": PROTOCOL_VERSION + 1, "token": "x"}, "unsupported_version", 4002),
        ({"kind": "chat.send", "id": "c", "data": {"text": "hi"}}, "handshake", 1008),
        ({"kind": "hello"}, "bad_frame", 1008),
    ],
)
async def test_hello_errors_close_with_a_code(seeded, frame, code, close):
    async with RawClient(seeded.url, "", hello=False) as c:
        await c.send_frame(frame)
        error = await c.recv_until(is_kind("error"))
        assert error["code"] == code
        assert await c.wait_closed() == close
        assert c.welcome is None


async def test_a_revoked_token_is_refused(seeded, relay):
    relay.store.revoke_member(seeded.participants[2].member_id)
    async with RawClient(seeded.url, seeded.participants[2].token) as riley:
        assert riley.welcome is None
        assert riley.frames[0]["code"] == "unauthorized"
        assert await riley.wait_closed() == 4001


async def test_no_hello_in_time_closes(tmp_path):
    async with RelayServer(tmp_path, hello_timeout=0.2) as relay:
        async with RawClient(relay.url, "", hello=False) as c:
            error = await c.recv_until(is_kind("error"))
            assert error["code"] == "handshake"
            assert await c.wait_closed() == 1008


async def test_a_short_burst_over_the_rate_gets_one_error_and_the_connection_is_kept(tmp_path):
    async with RelayServer(tmp_path, rate_per_s=1, burst=3) as relay:
        g = seed(relay.store, relay.url)
        async with connected(relay.url, g.participants[0]) as (sam,):
            assert sam.welcome["limits"]["burst"] == 3
            ids = [await sam.send("chat.send", {"text": f"flood {i}"}) for i in range(5)]
            answers = [await sam.wait_ack(cid) for cid in ids[:3]]
            assert [a["kind"] for a in answers] == ["ack"] * 3
            limited = await sam.recv_until(lambda f: f.get("kind") == "error")
            assert limited["code"] == "rate_limited" and limited["id"] is None
            await asyncio.sleep(3.1)  # the bucket fills again
            await sam.command("chat.send", {"text": "after a breath"})
            assert len([f for f in sam.frames if f.get("kind") == "error"]) == 1
            assert sam.close_code is None


async def test_removing_a_member_closes_them_with_4003_and_revokes(seeded):
    riley_c = seeded.participants[2]
    async with connected(seeded.url, seeded.facilitator, riley_c) as (dana, riley):
        await dana.command("member.remove", {"member_id": riley_c.member_id})
        assert await riley.wait_closed() == 4003
    async with RawClient(seeded.url, riley_c.token) as again:
        assert again.welcome is None and await again.wait_closed() == 4001


async def test_a_reader_that_stops_reading_is_closed_with_4008(tmp_path):
    async with RelayServer(tmp_path, send_buffer=16 * 1024, rate_per_s=1000, burst=1000) as relay:
        g = seed(relay.store, relay.url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", relay.port))
        sock.setblocking(False)
        from websockets.asyncio.client import connect

        # max_queue=None: the reader stops by pause_reading() alone, not by its own unread queue (16 frames
        # by default), so the frames before the flood (welcome, schedule, synced) do not decide the outcome.
        slow = await connect(relay.url, sock=sock, compression=None, max_size=None, max_queue=None)
        await slow.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": g.participants[0].token, "resume_from": None}))
        await asyncio.sleep(0.2)
        slow.transport.pause_reading()
        (server_side,) = [c for c in relay.hub.rooms[g.group_id].peers if c.member_id == g.participants[0].member_id]
        # Shrink the kernel's buffers so the relay's own backlog grows quickly.
        server_side.ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        async with connected(relay.url, g.facilitator, g.participants[1]) as (dana, alex):
            for i in range(200):
                await dana.command("chat.send", {"text": f"{i} " + "y" * 1900})
                if server_side not in relay.hub.rooms[g.group_id].peers:
                    break
            else:
                raise AssertionError("the slow reader was never dropped")
            assert server_side.closing
            await alex.command("chat.send", {"text": "others carry on"})
            assert len([e for e in alex.events if e["type"] == "chat.posted"]) == i + 2
        slow.transport.resume_reading()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(slow.wait_closed(), 15)
        assert slow.close_code in (4008, 1006)


async def test_shutdown_closes_connections_with_1001(tmp_path):
    relay = RelayServer(tmp_path)
    await relay.start()
    g = seed(relay.store, relay.url)
    async with RawClient(relay.url, g.participants[0].token) as sam:
        await sam.wait_synced()
        await relay.stop()
        assert await sam.wait_closed() == 1001


async def test_replay_older_than_the_memory_tail_comes_from_the_store(tmp_path, monkeypatch):
    import server.room

    monkeypatch.setattr(server.room, "TAIL_EVENTS", 3)
    async with RelayServer(tmp_path) as relay:
        g = seed(relay.store, relay.url)
        sam_c, alex_c, _ = g.participants
        async with connected(relay.url, g.facilitator, sam_c) as (dana, sam):
            await dana.command("session.start", {"title": "Week 1"})
            await dana.command("phase.set", {"phase": "checkin"})
            await sam.command("checkin.submit", {"mood": 2, "note": PRIVATE_NOTE})
            await sam.command("chat.send", {"text": PRIVATE_CHAT, "to": "facilitators"})
            last = [(await dana.command("chat.send", {"text": f"later {i}"}))["seq"] for i in range(6)][-1]
        assert relay.hub.rooms[g.group_id].tail[0].seq > 2, "the early events left the tail"
        async with connected(relay.url, g.facilitator, sam_c, alex_c) as (dana, sam, alex):
            assert seqs(dana) == list(range(1, last + 1))
            assert PRIVATE_NOTE in text_of(sam) and PRIVATE_CHAT in text_of(dana)
            assert PRIVATE_NOTE not in text_of(alex) and PRIVATE_CHAT not in text_of(alex)
        async with RawClient(relay.url, alex_c.token, resume_from=1) as alex:
            await alex.wait_synced()
            assert alex.welcome["mode"] == "resume"
            assert seqs(alex) == [s for s in range(2, last + 1) if s in {e["seq"] for e in dana.events if e["audience"] == "everyone" or e["type"] == "checkin.submitted"}]


async def test_a_failed_save_applies_nothing_and_a_retry_works(seeded, relay):
    """Another process holds the database's write lock: the command fails as a whole."""
    import sqlite3

    relay.store._db.execute("PRAGMA busy_timeout=50")
    relay.hub.writer.store.lock_wait_ms = 50  # batches commit on the writer's connection (issue 16)
    async with connected(seeded.url, seeded.facilitator, seeded.participants[0]) as (dana, sam):
        before = await dana.command("chat.send", {"text": "before"})
        other = sqlite3.connect(relay.store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            failed = await sam.wait_ack(await sam.send("chat.send", {"text": "during"}, id="locked"))
            assert (failed["kind"], failed["code"]) == ("error", "internal")
        finally:
            other.execute("ROLLBACK")
            other.close()
        retried = await sam.command("chat.send", {"text": "during"}, id="locked")
        assert retried["seq"] == before["seq"] + 1, "the failed attempt used no seq"
        await dana.recv_until(is_event("chat.posted", text="during"))
        assert [e["data"]["text"] for e in dana.events] == ["before", "during"]
        assert relay.store.head_seq(seeded.group_id) == retried["seq"]


async def test_a_token_revoked_by_the_cli_closes_the_live_connection(seeded, relay):
    from tests.support.procs import run_cli

    riley_c = seeded.participants[2]
    async with connected(seeded.url, seeded.facilitator, riley_c) as (dana, riley):
        result = await asyncio.to_thread(run_cli, "revoke", seeded.group_name, "--name", "Riley", "--store", str(relay.data_dir))
        assert result.returncode == 0, result.stderr
        assert await riley.wait_closed(timeout=10) == 4001
        await dana.recv_until(lambda f: f["kind"] == "presence" and f["member"]["name"] == "Riley" and f["status"] == "offline")
        await dana.command("chat.send", {"text": "Riley no longer reads this"})
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        # Riley stays in the roster, marked removed, so both faces can show them as revoked.
        assert {m["name"]: m.get("removed", False) for m in dana.welcome["roster"]}["Riley"] is True
        assert {m["name"] for m in dana.welcome["roster"] if not m.get("removed")} == {"Dana", "Sam", "Alex", "Jo"}


async def test_events_logged_during_a_paced_replay_arrive_once_in_order(tmp_path, monkeypatch):
    import server.replay
    import server.room

    monkeypatch.setattr(server.replay, "REPLAY_CHUNK_BYTES", 300)  # a few events per step
    monkeypatch.setattr(server.room, "TAIL_EVENTS", 8)  # most of the replay comes from the store
    async with RelayServer(tmp_path, rate_per_s=1000, burst=1000) as relay:
        g = seed(relay.store, relay.url)
        sam_c, alex_c, _ = g.participants
        async with connected(relay.url, g.facilitator) as (dana,):
            for i in range(60):
                await dana.send("chat.send", {"text": f"history {i}"})
            await dana.recv_until(lambda f: f.get("kind") == "ack" and f["seq"] == 60)

            async def keep_posting() -> list[int]:
                return [(await dana.command("chat.send", {"text": f"during {i}"}))["seq"] for i in range(30)]

            async def join(cred) -> RawClient:
                client = RawClient(relay.url, cred.token)
                await client.__aenter__()
                return client

            posted, sam, alex = await asyncio.gather(keep_posting(), join(sam_c), join(alex_c))
            try:
                for c in (sam, alex):
                    await c.wait_synced()
                    await c.recv_until(lambda f: f.get("kind") == "event" and f["seq"] == posted[-1])
                    assert seqs(c) == list(range(1, posted[-1] + 1))
                    (synced,) = [f for f in c.frames if f["kind"] == "synced"]
                    assert c.welcome["head_seq"] <= synced["head_seq"] <= posted[-1]
            finally:
                await sam.close()
                await alex.close()


async def test_presence_says_reconnecting_for_a_cut_and_left_for_a_goodbye(tmp_path):
    """A broken link reads as "reconnecting" for a grace period, then "offline";
    a member who closes the connection has left at once; one who comes back in
    time is simply online again, and nobody is told they left."""
    async with RelayServer(tmp_path / "data", presence_grace=0.5) as relay:
        g = seed(relay.store, relay.url)
        sam_c, alex_c = g.participants[0], g.participants[1]

        def about(name: str):
            return lambda f: f["kind"] == "presence" and f["member"]["name"] == name

        async with connected(relay.url, g.facilitator) as (dana,):
            async with RawClient(relay.url, alex_c.token) as alex:
                await alex.wait_synced()
            assert (await dana.recv_until(about("Alex")))["status"] == "online"
            assert (await dana.recv_until(about("Alex")))["status"] == "offline"

            sam = RawClient(relay.url, sam_c.token)
            await sam.__aenter__()
            await sam.wait_synced()
            assert (await dana.recv_until(about("Sam")))["status"] == "online"
            await sam.abort()
            assert (await dana.recv_until(about("Sam")))["status"] == "reconnecting"
            async with RawClient(relay.url, g.facilitator.token) as late:
                assert {m["name"]: m["status"] for m in late.welcome["roster"]}["Sam"] == "reconnecting"
            assert (await dana.recv_until(about("Sam"), timeout=5))["status"] == "offline"

            async with RawClient(relay.url, sam_c.token) as sam:
                await sam.wait_synced()
                assert (await dana.recv_until(about("Sam")))["status"] == "online"
                await sam.abort()
            assert (await dana.recv_until(about("Sam")))["status"] == "reconnecting"
            async with RawClient(relay.url, sam_c.token) as sam:
                await sam.wait_synced()
                assert (await dana.recv_until(about("Sam")))["status"] == "online"
                await asyncio.sleep(0.8)  # past the grace period: no "offline" may follow
                await dana.command("chat.send", {"text": "marker"})
                await dana.recv_until(lambda f: f.get("kind") == "ack")
            assert (await dana.recv_until(about("Sam")))["status"] == "offline"  # the goodbye
            statuses = [f["status"] for f in dana.frames if f.get("kind") == "presence" and f["member"]["name"] == "Sam"]
            assert statuses[-3:] == ["reconnecting", "online", "offline"], statuses
