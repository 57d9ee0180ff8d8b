"""The client core against the real relay: join, commands, the outbox, reconnects, refusals.

Real websockets on loopback, real SQLite in ``tmp_path`` (the ``relay`` and
``seeded`` fixtures). A restart is a real :class:`RelayServer` stop and a new
one on the same data folder and port. Every wait has a timeout, so a hang
fails with a sentence instead of blocking the suite.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from typing import Any

import pytest
from websockets.asyncio.server import serve

from protocol.codec import decode, encode
from protocol.errors import ProtocolError
from protocol.messages import Limits, synced_frame, welcome_frame
from protocol.route import route_frame
from server.edge import RelayServer
from tests.support.wsclient import RawClient, until

import iop_tui.core.connection as client_module
from iop_tui.core import words
from iop_tui.core.connection import Connection
from iop_tui.core.session import ClientSession

FAST = (0.05, 0.1, 0.2)  # backoff for tests that should come back quickly
HOLD = (30.0,)  # backoff for tests that decide themselves when to come back (retry_now)


class Running:
    """A ClientSession running in a task, recording its notices and status frames."""

    def __init__(self, url: str, token: str, backoff: tuple[float, ...] = FAST) -> None:
        self.session = ClientSession(url, token, backoff=backoff)
        self.notices: list[Any] = []
        self.statuses: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.session.subscribe(self.notices.extend)
        self.session.connection.add_listener(self._frame)
        self.task: asyncio.Task | None = None

    def _frame(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)
        if frame["kind"] == "status":
            self.statuses.append(frame)

    @property
    def model(self):
        return self.session.model

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.session.run())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.session.close()
        await asyncio.wait_for(self.task, 5)

    async def joined(self) -> Running:
        await until(lambda: self.model.synced and self.model.conn.state == "connected", "the join to finish")
        return self

    async def answered(self) -> None:
        await until(lambda: not self.session.connection.outbox, "every command to be answered")


def state_view(model) -> dict[str, Any]:
    """What a member sees of the group, without presence (which is not in the log)."""
    state = dataclasses.asdict(model.state)
    state.pop("roster")
    return state


async def restart(relay: RelayServer) -> RelayServer:
    """Stop the relay and start a new one on the same data folder and port."""
    data_dir, port = relay.data_dir, relay.port
    await relay.stop()
    fresh = RelayServer(data_dir, port=port)
    await fresh.start()
    return fresh


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- joining and commands -----------------------------------------------------------


async def test_join_welcome_and_sync(seeded) -> None:
    async with Running(seeded.url, seeded.participants[0].token) as sam:
        await sam.joined()
        model = sam.model
        assert model.me.name == "Sam" and model.me.role == "participant"
        assert model.group_name == "Tuesday IOP"
        assert {e.name for e in model.state.roster.values()} == {"Dana", "Sam", "Alex", "Riley", "Jo"}
        assert [s["state"] for s in sam.statuses] == ["connecting", "connected"]
        assert [n.kind for n in sam.notices if n.text][:2] == ["welcome", "synced"]
        assert words.connection_text(model) == "connected"
    assert sam.model.conn.state == "offline" and sam.session.done


async def test_commands_are_acked_and_applied(seeded) -> None:
    async with Running(seeded.url, seeded.facilitator.token) as dana, Running(seeded.url, seeded.participants[0].token) as sam:
        await dana.joined()
        await sam.joined()
        started = dana.session.send("session.start", {"title": "Week 3"})
        await dana.answered()
        assert dana.model.acked[started] is not None
        said = sam.session.send("chat.send", {"text": "I tried the breathing exercise"})
        await sam.answered()
        await until(lambda: dana.model.state.chat, "Dana to see the chat line")
        assert [c.text for c in sam.model.state.chat] == ["I tried the breathing exercise"]
        assert any(n.text == "Chat, Sam: I tried the breathing exercise" and n.live for n in dana.notices)
        assert dana.model.unread_chat == 1 and sam.model.unread_chat == 0
        assert said in sam.model.acked


async def test_invalid_commands_are_refused_locally(seeded) -> None:
    async with Running(seeded.url, seeded.participants[0].token) as sam:
        await sam.joined()
        with pytest.raises(ProtocolError) as empty:
            sam.session.send("chat.send", {"text": "   "})
        assert empty.value.message == "Field text must not be empty."
        with pytest.raises(ProtocolError) as forbidden:
            sam.session.send("session.start", {})
        assert forbidden.value.message == "As a participant you cannot start a session."
        with pytest.raises(ProtocolError):
            sam.session.send("no.such.command", {})
        assert sam.session.connection.outbox == {}


async def test_a_refusal_from_the_relay_is_an_error_notice(seeded) -> None:
    async with Running(seeded.url, seeded.participants[0].token) as sam:
        await sam.joined()
        sam.session.send("poll.vote", {"poll_id": 999, "choices": [0]})
        await sam.answered()
        errors = [n for n in sam.notices if n.level == "error"]
        assert len(errors) == 1 and errors[0].text == sam.model.last_error
        assert sam.model.conn.state == "connected"  # a refused command leaves the connection alone


# -- the outbox and reconnects --------------------------------------------------------------


async def test_commands_typed_offline_are_sent_once_when_back(relay, seeded) -> None:
    sam = Running(seeded.url, seeded.participants[0].token, backoff=HOLD)
    async with sam:
        await sam.joined()
        await relay.stop()
        await until(lambda: sam.model.conn.state == "reconnecting", "Sam's client to say it is reconnecting")
        ids = [sam.session.send("chat.send", {"text": f"offline line {i}"}) for i in (1, 2)]
        assert sam.model.conn.pending == 2
        assert words.connection_text(sam.model) == "offline — 2 messages waiting, reconnecting in 30 s"
        relay = await restart(relay)
        try:
            sam.session.retry_now()
            await sam.joined()
            await sam.answered()
            assert [c.text for c in sam.model.state.chat] == ["offline line 1", "offline line 2"]
            assert all(i in sam.model.acked for i in ids)
            async with RawClient(relay.url, seeded.facilitator.token) as dana:
                await dana.wait_synced()
                assert [e["data"]["text"] for e in dana.events if e["type"] == "chat.posted"] == ["offline line 1", "offline line 2"]
        finally:
            await relay.stop()


async def test_a_resent_command_is_applied_once(relay, seeded) -> None:
    """An ack lost in a cut: the command goes again with the same id and is not doubled."""
    sam = Running(seeded.url, seeded.participants[0].token, backoff=HOLD)
    async with sam:
        await sam.joined()
        cid = sam.session.send("chat.send", {"text": "just once"})
        await sam.answered()
        frame = next(f for f in sam.frames if f.get("kind") == "ack" and f.get("id") == cid)
        sam.session.connection.outbox[cid] = {"kind": "chat.send", "id": cid, "data": {"text": "just once", "to": "group", "me": False}}
        relay = await restart(relay)
        try:
            sam.session.retry_now()
            await sam.joined()
            await sam.answered()
            acks = [f for f in sam.frames if f.get("kind") == "ack" and f.get("id") == cid]
            assert len(acks) == 2 and acks[1]["seq"] == frame["seq"]  # answered from the first result
            assert [c.text for c in sam.model.state.chat] == ["just once"]
            async with RawClient(relay.url, seeded.facilitator.token) as dana:
                await dana.wait_synced()
                assert [e["data"]["text"] for e in dana.events if e["type"] == "chat.posted"] == ["just once"]
        finally:
            await relay.stop()


async def test_restart_under_a_running_session_misses_nothing(relay, seeded) -> None:
    sam = Running(seeded.url, seeded.participants[0].token, backoff=HOLD)
    async with sam:
        await sam.joined()
        async with RawClient(relay.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            await dana.command("session.start", {"title": "Week 3"})
            await dana.command("phase.set", {"phase": "checkin"})
            await dana.command("chat.send", {"text": "before the restart"})
        await until(lambda: len(sam.model.state.chat) == 1, "the first chat line")
        await relay.stop()
        await until(lambda: sam.model.conn.state == "reconnecting", "Sam's client to say it is reconnecting")
        assert "reconnecting" in words.header_text(sam.model, 0)
        relay = await restart(relay)
        try:
            async with RawClient(relay.url, seeded.facilitator.token) as dana:
                await dana.wait_synced()
                await dana.command("phase.set", {"phase": "discussion"})
                await dana.command("chat.send", {"text": "while Sam was away"})
                await dana.command("poll.open", {"question": "How did the week go?", "poll_kind": "single", "options": ["better", "same", "worse"]})
            sam.session.retry_now()
            await sam.joined()
            assert [c.text for c in sam.model.state.chat] == ["before the restart", "while Sam was away"]
            assert sam.model.state.phase == "discussion" and len(sam.model.state.polls) == 1
            missed = [n for n in sam.notices if n.missed]
            assert [n.kind for n in missed] == ["phase", "chat.posted", "poll.opened"]
            seqs = [f["seq"] for f in sam.frames if f.get("kind") == "event"]
            assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs)  # each event once, in order
            async with Running(relay.url, seeded.participants[0].token) as fresh:
                await fresh.joined()
                assert state_view(fresh.model) == state_view(sam.model)
        finally:
            await relay.stop()


async def test_network_cut_reconnects_by_itself_and_resumes(seeded) -> None:
    async with Running(seeded.url, seeded.participants[0].token) as sam:
        await sam.joined()
        sam.session.send("chat.send", {"text": "one"})
        await sam.answered()
        sam.session.connection._ws.transport.abort()  # the network drops, no closing handshake
        await until(lambda: any(s["state"] == "reconnecting" for s in sam.statuses), "the client to notice the cut")
        await until(lambda: sam.model.conn.state == "connected" and sam.model.synced, "the client to come back")
        welcomes = [f for f in sam.frames if f.get("kind") == "welcome"]
        assert [w["mode"] for w in welcomes] == ["reset", "resume"]
        assert welcomes[1]["replay_from"] == welcomes[0]["head_seq"] + 2  # resumed after the chat line's seq
        assert [c.text for c in sam.model.state.chat] == ["one"]


# -- refusals -------------------------------------------------------------------------------


async def test_bad_token_fails_with_one_sentence_and_no_retry(relay) -> None:
    session = ClientSession(relay.url, "not-a-real-token", backoff=FAST)
    statuses: list[str] = []
    session.connection.add_listener(lambda f: statuses.append(f["state"]) if f["kind"] == "status" else None)
    await asyncio.wait_for(session.run(), 5)
    assert statuses == ["connecting", "failed"]
    assert session.done and session.model.conn.state == "failed"
    sentence = session.fatal_message
    assert sentence == "This join token is unknown or was revoked; ask your facilitator for a new invitation."
    assert words.connection_text(session.model) == f"disconnected: {sentence}"
    with pytest.raises(ProtocolError):
        session.send("chat.send", {"text": "anyone?"})


async def test_wrong_address_keeps_retrying_with_a_clear_sentence() -> None:
    url = f"ws://127.0.0.1:{free_port()}/"
    async with Running(url, "whatever", backoff=FAST) as lost:
        await until(lambda: sum(bool(s["state"] == "reconnecting" and s["retry_in"]) for s in lost.statuses) >= 2, "two retries")
        first = next(s for s in lost.statuses if s["retry_in"])
        assert first["message"] == f"Cannot reach the server at {url}; retrying in 0.05 s."
        errors = [n for n in lost.notices if n.kind == "connection"]
        assert len(errors) == 1 and errors[0].level == "warning"  # said once, not at every retry
        assert not lost.session.done
    assert lost.session.done and lost.model.conn.state == "offline"


async def test_removed_member_is_told_and_not_retried(seeded) -> None:
    async with Running(seeded.url, seeded.facilitator.token) as dana, Running(seeded.url, seeded.participants[1].token) as alex:
        await dana.joined()
        await alex.joined()
        dana.session.send("member.remove", {"member_id": seeded.participants[1].member_id})
        await asyncio.wait_for(alex.task, 5)
        assert alex.session.fatal_message == "You were removed from this group; ask your facilitator if this is a mistake."
        assert alex.model.conn.state == "failed"
        assert [s["state"] for s in alex.statuses].count("connecting") == 1
        said = [n.text for n in alex.notices if n.level == "error"]
        assert said == ["You were removed from this group; ask your facilitator if this is a mistake."]  # once, not twice


async def test_unsupported_version_is_final(relay, seeded, monkeypatch) -> None:
    """The real relay refuses protocol version 99 with 4002: the client stops with the server's sentence."""
    real = client_module.hello_frame
    monkeypatch.setattr(client_module, "hello_frame", lambda *a, **k: {**real(*a, **k), "v": 99})
    session = ClientSession(relay.url, seeded.participants[0].token, backoff=FAST)
    await asyncio.wait_for(session.run(), 5)
    assert session.model.conn.state == "failed"
    assert "protocol version" in session.fatal_message and "update the client" in session.fatal_message


# -- close codes without a refusal frame (a stand-in peer that only closes) ---------------------


async def _closing_peer(code: int, *, welcome_first: bool):
    """A websocket peer that answers hello with (optionally) welcome+synced, then closes with ``code``."""
    hellos: list[dict[str, Any]] = []

    async def handler(ws) -> None:
        hellos.append(decode(await ws.recv()))
        if welcome_first:
            await ws.send(encode(welcome_frame(member={"id": 2, "name": "Sam", "role": "participant"}, group={"id": 1, "name": "G"},
                                               roster=[], limits=Limits(65536, 20.0, 40), head_seq=0, mode="reset", replay_from=1)))
            await ws.send(encode(synced_frame(0)))
        await ws.close(code, "bye")

    server = await serve(handler, "127.0.0.1", 0, compression=None)
    return server, f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/", hellos


@pytest.mark.parametrize("code", [4001, 4002, 4003])
async def test_fatal_close_codes_stop_with_a_sentence(code: int) -> None:
    server, url, hellos = await _closing_peer(code, welcome_first=False)
    try:
        connection = Connection(url, "token", backoff=FAST)
        await asyncio.wait_for(connection.run(), 5)
        assert connection.state == "failed" and len(hellos) == 1
        assert connection.fatal_message == client_module.FATAL_CLOSE_CODES[code]
    finally:
        server.close()
        await server.wait_closed()


async def test_too_slow_close_reconnects_and_resumes() -> None:
    server, url, hellos = await _closing_peer(4008, welcome_first=True)
    try:
        connection = Connection(url, "token", backoff=FAST)
        task = asyncio.create_task(connection.run())
        await until(lambda: len(hellos) >= 2, "a second hello after 4008")
        assert connection.state != "failed"
        assert hellos[1]["resume_from"] == 0  # synced said head 0: resume from there
        await connection.close()
        await asyncio.wait_for(task, 5)
        assert connection.state == "offline"
    finally:
        server.close()
        await server.wait_closed()


async def test_the_client_asks_for_the_node_it_was_named_goes_round_once_quietly_and_ignores_a_name_that_is_not_a_route() -> None:
    """A stand-in for relay nodes behind a balancer: the first two handshakes are answered with
    route frames (node-b, then node-c), the third with a welcome naming node-d, the fourth with a
    welcome naming "not a route!". Each handshake's cookie asks for the last valid name; the first
    round is taken at once and says nothing, the second without a welcome in between is said as
    the group moving (4012), and a name that is not a route is never sent."""
    cookies: list[str | None] = []

    async def handler(ws) -> None:
        cookies.append(ws.request.headers.get("Cookie"))
        await ws.recv()  # hello
        n = len(cookies)
        if n <= 2:
            await ws.send(encode(route_frame("node-b" if n == 1 else "node-c")))
            await ws.close(4012, "moved")
            return
        await ws.send(encode(welcome_frame(member={"id": 2, "name": "Sam", "role": "participant"}, group={"id": 1, "name": "G"},
                                           roster=[], limits=Limits(65536, 20.0, 40), head_seq=0, mode="reset", replay_from=1,
                                           route="node-d" if n == 3 else "not a route!")))
        await ws.send(encode(synced_frame(0)))
        await ws.close(1011, "gone")

    server = await serve(handler, "127.0.0.1", 0, compression=None)
    url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    connection = Connection(url, "token", backoff=FAST)
    statuses: list[dict] = []
    connection.add_listener(lambda f: statuses.append(f) if f["kind"] == "status" else None)
    task = asyncio.create_task(connection.run())
    try:
        await until(lambda: len(cookies) >= 5, "five handshakes")
        assert cookies[:5] == ["iop_node=", "iop_node=node-b", "iop_node=node-c", "iop_node=node-d", "iop_node="]
        said = [(f["state"], f["message"]) for f in statuses]
        assert said[:3] == [("connecting", None), ("reconnecting", words.OWNER_MOVED_TEXT), ("reconnecting", None)]
        assert [m for _s, m in said].count(words.OWNER_MOVED_TEXT) == 1  # the first round said nothing
    finally:
        await connection.close()
        await asyncio.wait_for(task, 5)
        server.close()
        await server.wait_closed()


async def test_close_stops_a_connection_attempt_that_hangs() -> None:
    """A server that accepts TCP but never answers: close() ends run() without waiting out the timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}/"
        connection = Connection(url, "token", backoff=FAST)
        task = asyncio.create_task(connection.run())
        await until(lambda: connection.state == "connecting", "the attempt to start")
        await asyncio.sleep(0.1)
        await connection.close()
        await asyncio.wait_for(task, 2)
        assert connection.state == "offline"


async def test_a_long_outbox_is_paced_under_the_rate_limit(relay, seeded) -> None:
    """60 commands queued offline (the relay allows bursts of 40): all applied, none rate-limited."""
    sam = Running(seeded.url, seeded.participants[0].token, backoff=HOLD)
    async with sam:
        await sam.joined()
        await relay.stop()
        await until(lambda: sam.model.conn.state == "reconnecting", "Sam's client to say it is reconnecting")
        for i in range(60):
            sam.session.send("chat.send", {"text": f"line {i}"})
        relay = await restart(relay)
        try:
            sam.session.retry_now()
            await sam.joined()
            await until(lambda: not sam.session.connection.outbox, "every command to be answered", timeout=10)
            assert [f for f in sam.frames if f.get("kind") == "error"] == []
            assert [c.text for c in sam.model.state.chat] == [f"line {i}" for i in range(60)]
        finally:
            await relay.stop()


async def test_a_refusal_retrying_may_cure_is_said_and_retried() -> None:
    """An error frame before welcome with a non-final code: the sentence is shown and the client retries."""
    hellos: list[dict[str, Any]] = []

    async def handler(ws) -> None:
        hellos.append(decode(await ws.recv()))
        await ws.send(encode({"kind": "error", "id": None, "code": "internal", "message": "The server {store} is busy."}))
        await ws.close(1011, "busy")

    server = await serve(handler, "127.0.0.1", 0, compression=None)
    try:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        async with Running(url, "token", backoff=FAST) as client:
            await until(lambda: len(hellos) >= 2, "a retry after a curable refusal")
            said = next(s for s in client.statuses if s["retry_in"])
            assert said["message"] == "The server {store} is busy. Retrying in 0.05 s."
            assert client.model.conn.state != "failed"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_replaced_store_resets_the_view_instead_of_leaving_a_gap(relay, seeded, tmp_path) -> None:
    """The relay comes back with an older copy of its data: the client's seq is ahead, so it starts over."""
    import shutil

    data_dir, port = relay.data_dir, relay.port
    await relay.stop()
    shutil.copytree(data_dir, tmp_path / "older")  # members, no events yet
    relay = RelayServer(data_dir, port=port)
    await relay.start()
    sam = Running(seeded.url, seeded.participants[0].token, backoff=HOLD)
    try:
        async with sam:
            await sam.joined()
            async with RawClient(relay.url, seeded.facilitator.token) as dana:
                await dana.wait_synced()
                await dana.command("session.start", {"title": "Week 3"})
                await dana.command("chat.send", {"text": "only in the newer store"})
            await until(lambda: len(sam.model.state.chat) == 1, "the chat line")
            assert sam.session.connection.last_seq == 2
            await relay.stop()
            relay = RelayServer(tmp_path / "older", port=port)
            await relay.start()
            async with RawClient(relay.url, seeded.facilitator.token) as dana:
                await dana.wait_synced()
                await dana.command("chat.send", {"text": "in the older store"})
            sam.session.retry_now()
            await sam.joined()
            welcomes = [f for f in sam.frames if f.get("kind") == "welcome"]
            assert welcomes[-1]["mode"] == "reset"
            assert [c.text for c in sam.model.state.chat] == ["in the older store"]
            assert sam.model.state.session is None
            assert any(n.level == "warning" and "afresh" in n.text for n in sam.notices)
            async with Running(relay.url, seeded.participants[0].token) as fresh:
                await fresh.joined()
                assert state_view(fresh.model) == state_view(sam.model)
    finally:
        await relay.stop()


async def test_an_unreadable_frame_is_said_and_the_connection_stays() -> None:
    async def handler(ws) -> None:
        await ws.recv()
        await ws.send(encode(welcome_frame(member={"id": 2, "name": "Sam", "role": "participant"}, group={"id": 1, "name": "G"},
                                           roster=[], limits=Limits(65536, 20.0, 40), head_seq=0, mode="reset", replay_from=1)))
        await ws.send(b"\xc1 not msgpack")
        await ws.send(encode(synced_frame(0)))
        await ws.wait_closed()

    server = await serve(handler, "127.0.0.1", 0, compression=None)
    try:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        async with Running(url, "token", backoff=FAST) as client:
            await client.joined()
            assert [n.text for n in client.notices if n.level == "warning" or n.level == "error"] == [client_module.UNREADABLE]
            assert client.model.conn.state == "connected"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_client_replaced_by_newer_connections_of_its_member_says_so_and_does_not_fight_back(seeded) -> None:
    """Three newer connections of the same member close this one with 4009; it stops
    with a sentence instead of reconnecting and closing one of them in turn."""
    async with Running(seeded.url, seeded.participants[1].token) as alex:
        await alex.joined()
        newer = [RawClient(seeded.url, seeded.participants[1].token) for _ in range(3)]
        for c in newer:
            await c.__aenter__()
        try:
            await asyncio.wait_for(alex.task, 5)
            assert alex.session.fatal_message == client_module.FATAL_CLOSE_CODES[4009]
            assert alex.model.conn.state == "failed"
            assert all(c.close_code is None for c in newer)
        finally:
            for c in newer:
                await c.close()


async def test_a_client_sending_several_big_decks_paces_them_and_is_never_rate_limited(tmp_path) -> None:
    """A 50 KB frame costs the relay's bucket 7 tokens: the client counts it so too."""
    async with RelayServer(tmp_path / "data", rate_per_s=20, burst=12) as relay:
        from tests.support.wsclient import seed

        g = seed(relay.store, relay.url)
        async with Running(relay.url, g.facilitator.token) as dana:
            await dana.joined()
            for i in range(4):
                dana.session.send("deck.load", {"markdown": f"# Deck {i}\n\n" + ("words " * 10 + "\n") * 800})
            await until(lambda: not dana.session.connection.outbox, "every deck to be answered", timeout=30)
            errors = [f for f in dana.frames if f.get("kind") == "error"]
            assert errors == []
            assert len([f for f in dana.frames if f.get("kind") == "ack"]) == 4
