"""What the relay stores, and for whom: markers, dates, names, identities,
revocations, file permissions and storage quotas — over real relays, real
SQLite files and the real ``iop-server`` CLI."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from tests.support.wsclient import RawClient, is_event

TIMEOUT = 10


@contextlib.asynccontextmanager
async def connected(url: str, *creds):
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(RawClient(url, c.token)) for c in creds]
        for c in clients:
            await c.wait_synced()
        yield clients


async def _refusal(client: RawClient, kind: str, data: dict) -> dict:
    start = len(client.frames)
    cid = await client.send(kind, data)
    answer = await client.wait_ack(cid, TIMEOUT, start=start)
    assert answer["kind"] == "error", answer
    return answer


# -- 9.14: the rules' seq marker is not member text -------------------------------


@pytest.mark.parametrize("text", ["$seq", " $seq "])
async def test_a_member_who_writes_exactly_the_seq_marker_keeps_their_words(seeded, text):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        await sam.command("chat.send", {"text": text})
        seen = await dana.recv_until(is_event("chat.posted"))
        assert seen["data"]["text"] == "$seq"
        assert isinstance(seen["data"]["message_id"], int) and seen["data"]["message_id"] == seen["seq"]
    async with RawClient(seeded.url, seeded.facilitator.token) as again:
        await again.wait_synced()
        assert [e["data"]["text"] for e in again.events if e["type"] == "chat.posted"] == ["$seq"]


async def test_a_poll_whose_option_is_the_seq_marker_keeps_it_as_text(seeded):
    async with connected(seeded.url, seeded.facilitator) as (dana,):
        await dana.command("session.start", {"title": "Markers"})
        await dana.command("poll.open", {"question": "$seq", "poll_kind": "single", "options": ["$seq", "two"]})
        opened = await dana.recv_until(is_event("poll.opened"))
        assert opened["data"]["question"] == "$seq" and opened["data"]["options"] == ["$seq", "two"]
        assert opened["data"]["poll_id"] == opened["seq"]


# -- 9.15: one day, one way of writing it -------------------------------------------


async def _emotion_log(dana: RawClient) -> int:
    await dana.command("homework.assign", {"title": "Mood log", "homework_kind": "emotion_log", "due": "2030-01-31"})
    assigned = await dana.recv_until(is_event("homework.assigned"))
    return assigned["data"]["homework_id"]


@pytest.mark.parametrize("day", ["2026-W05-3", "2026-034", "２０２６-０２-０４", "2026-2-4", "20260204"])
async def test_a_date_that_is_not_written_yyyy_mm_dd_is_refused(seeded, day):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        homework_id = await _emotion_log(dana)
        answer = await _refusal(sam, "homework.submit", {"homework_id": homework_id, "log": [{"day": day, "mood": 4}]})
        assert answer["code"] == "invalid"
        assert "YYYY-MM-DD" in answer["message"]
        refused_due = await _refusal(dana, "homework.assign", {"title": "Again", "homework_kind": "text", "due": day.replace("2026", "2031")})
        assert refused_due["code"] == "invalid"


async def test_one_day_cannot_be_logged_twice_under_two_spellings(seeded):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        homework_id = await _emotion_log(dana)
        # 2026-W06-3 is Wednesday 4 February 2026.
        log = [{"day": "2026-02-04", "mood": 4}, {"day": "2026-W06-3", "mood": 9}]
        await _refusal(sam, "homework.submit", {"homework_id": homework_id, "log": log})
        await sam.command("homework.submit", {"homework_id": homework_id, "log": log[:1]})
        stored = await dana.recv_until(is_event("homework.submitted"))
        assert [e["day"] for e in stored["data"]["log"]] == ["2026-02-04"]


# -- 8.5 and 9.2: one name, one person; export and revoke the right one ------------

import json  # noqa: E402

from tests.support.procs import run_cli  # noqa: E402


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _cli_json(*args: str) -> dict:
    return json.loads(_ok(run_cli(*args, "--json")))


def _one_sentence_error(result, *words: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    text = result.stderr.strip()
    assert len(text.splitlines()) == 1 and "Traceback" not in text, text
    for word in words:
        assert word in text, text
    return text


@pytest.fixture
def group_dir(tmp_path):
    data = str(tmp_path / "data")
    _ok(run_cli("group", "create", "Tuesday IOP", "--facilitator", "Zoë 李", "--data", data))
    return data


@pytest.mark.parametrize("other", ["zoë 李", "ZOË 李", "Zoe\u0308 李", " Zoë  李 "])
def test_a_name_that_differs_only_in_case_or_unicode_form_is_refused(group_dir, other):
    result = run_cli("invite", "Tuesday IOP", "--name", other, "--data", group_dir)
    _one_sentence_error(result, "already has a member named 'Zoë 李'")
    members = _cli_json("members", "Tuesday IOP", "--data", group_dir)
    assert [m["name"] for m in members] == ["Zoë 李"]


def test_a_revoked_members_name_is_not_given_to_someone_new_and_reissue_keeps_the_member(group_dir):
    sam = _cli_json("invite", "Tuesday IOP", "--name", "Sam", "--data", group_dir)
    _ok(run_cli("revoke", "Tuesday IOP", "--name", "sam", "--data", group_dir))
    refused = run_cli("invite", "Tuesday IOP", "--name", "Sam", "--data", group_dir)
    _one_sentence_error(refused, "already has a member named 'Sam'", "revoked", "--new-token")
    again = _cli_json("invite", "Tuesday IOP", "--name", "SAM", "--new-token", "--data", group_dir)
    assert again["member_id"] == sam["member_id"] and again["name"] == "Sam" and again["token"] != sam["token"]
    members = _cli_json("members", "Tuesday IOP", "--data", group_dir)
    assert [(m["name"], m["revoked"]) for m in members] == [("Zoë 李", False), ("Sam", False)]
    missing = run_cli("invite", "Tuesday IOP", "--name", "Kim", "--new-token", "--data", group_dir)
    _one_sentence_error(missing, "no member named 'Kim'")


async def test_a_reissued_token_opens_the_same_member_with_their_history_and_the_old_one_is_refused(tmp_path):
    from tests.support.procs import start_server_process

    data = str(tmp_path / "data")
    dana = _cli_json("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", data)
    sam = _cli_json("invite", "Tuesday IOP", "--name", "Sam", "--data", data)
    with start_server_process(tmp_path / "data") as server:
        async with RawClient(server.url, sam["token"]) as first:
            await first.wait_synced()
            await first.command("chat.send", {"text": "before the new token"})
        new = await asyncio.to_thread(_cli_json, "invite", "Tuesday IOP", "--name", "Sam", "--new-token", "--data", data)
        async with RawClient(server.url, sam["token"]) as old:
            assert old.welcome is None and await old.wait_closed() == 4001
        async with RawClient(server.url, new["token"]) as again:
            await again.wait_synced()
            assert again.welcome["member"]["id"] == sam["member_id"]
            assert [e["data"]["text"] for e in again.events if e["type"] == "chat.posted"] == ["before the new token"]
            await again.command("chat.send", {"text": "after"})
        async with RawClient(server.url, dana["token"]) as facilitator:
            await facilitator.wait_synced()
            posted = [(e["actor"], e["data"]["text"]) for e in facilitator.events if e["type"] == "chat.posted"]
            assert posted == [(sam["member_id"], "before the new token"), (sam["member_id"], "after")]
        server.stop()


def _legacy_duplicate(data: str, name: str, role: str) -> int:
    """A second member with a taken name, as databases written before names were unique hold."""
    from server.store import Store

    store = Store(data)
    try:
        group = store.find_group("Tuesday IOP")
        token_hash = f"legacy-{name}-{role}"
        return store._db.execute(
            "INSERT INTO members (group_id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, 0)",
            (group.id, name, role, token_hash),
        ).lastrowid
    finally:
        store.close()


async def test_export_by_name_takes_the_active_member_never_a_revoked_namesake(tmp_path):
    data = str(tmp_path / "data")
    dana = _cli_json("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", data)
    kim_old = _cli_json("invite", "Tuesday IOP", "--name", "Kim", "--role", "facilitator", "--data", data)
    _ok(run_cli("revoke", "Tuesday IOP", "--name", "Kim", "--data", data))
    kim_new = _legacy_duplicate(data, "Kim", "participant")
    out = tmp_path / "kim.json"
    said = _ok(run_cli("export", "Tuesday IOP", "--name", "kim", "--out", str(out), "--data", data))
    document = json.loads(out.read_text())
    assert document["member"] == {"id": kim_new, "name": "Kim", "role": "participant", "revoked": False}
    assert "Kim" in said and kim_old["member_id"] != kim_new and dana["member_id"] != kim_new


def test_an_ambiguous_name_is_refused_with_the_ids_and_an_id_chooses(tmp_path):
    data = str(tmp_path / "data")
    _cli_json("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", data)
    first = _cli_json("invite", "Tuesday IOP", "--name", "Kim", "--data", data)
    second = _legacy_duplicate(data, "kim", "participant")
    for command in (["export", "--out", str(tmp_path / "x.json")], ["revoke"]):
        result = run_cli(command[0], "Tuesday IOP", "--name", "Kim", *command[1:], "--data", data)
        _one_sentence_error(result, str(first["member_id"]), str(second), "--id")
    assert not (tmp_path / "x.json").exists()
    out = tmp_path / "second.json"
    _ok(run_cli("export", "Tuesday IOP", "--id", str(second), "--out", str(out), "--data", data))
    assert json.loads(out.read_text())["member"]["id"] == second
    _ok(run_cli("revoke", "Tuesday IOP", "--id", str(first["member_id"]), "--data", data))
    members = _cli_json("members", "Tuesday IOP", "--data", data)
    assert [(m["member_id"], m["revoked"]) for m in members][1:] == [(first["member_id"], True), (second, False)]
    wrong = run_cli("export", "Tuesday IOP", "--id", "999", "--out", str(tmp_path / "y.json"), "--data", data)
    _one_sentence_error(wrong, "no member with id 999")
    both = run_cli("export", "Tuesday IOP", "--out", str(tmp_path / "z.json"), "--data", data)
    assert both.returncode == 2 and "--name" in both.stderr and "--id" in both.stderr


# -- 9.16 and 8.5: a revocation takes effect on the very next command ------------


def _other_process_store(relay):
    """A second connection to the relay's database, as the CLI in another process opens it."""
    from server.store import Store

    return Store(relay.data_dir)


async def test_a_revoked_member_cannot_act_even_once_after_the_revocation(seeded, relay):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, seeded.facilitator, sam_c) as (dana, sam):
        await sam.command("chat.send", {"text": "before"})
        cli = _other_process_store(relay)
        try:
            for attempt in range(5):
                cli.revoke_member(sam_c.member_id)
                cid = await sam.send("chat.send", {"text": f"after the revocation {attempt}"})
                with contextlib.suppress(ConnectionError):  # closed (4001) before any answer: fine too
                    answer = await sam.wait_ack(cid, TIMEOUT)
                    assert answer["kind"] == "error" and answer["code"] == "unauthorized", answer
                if sam.close_code is not None:
                    break
                cli.reissue_token(sam_c.member_id)  # never reached once the window is closed
        finally:
            cli.close()
        assert await sam.wait_closed(TIMEOUT) == 4001
        removed = await dana.recv_until(is_event("member.removed", member_id=sam_c.member_id))
        assert removed["data"].get("revoked") is True
        await dana.command("chat.send", {"text": "Sam no longer reads this"})
    texts = [e.data["text"] for e in relay.store.iter_events(seeded.group_id) if e.type == "chat.posted"]
    assert texts == ["before", "Sam no longer reads this"]


async def test_a_new_token_closes_connections_opened_with_the_old_one(seeded, relay):
    sam_c = seeded.participants[0]
    async with connected(seeded.url, sam_c) as (sam,):
        cli = _other_process_store(relay)
        try:
            cli.reissue_token(sam_c.member_id)
        finally:
            cli.close()
        cid = await sam.send("chat.send", {"text": "with the old token"})
        with contextlib.suppress(ConnectionError):
            answer = await sam.wait_ack(cid, TIMEOUT)
            assert answer["kind"] == "error" and answer["code"] == "unauthorized"
        assert await sam.wait_closed(TIMEOUT) == 4001
    assert [e for e in relay.store.iter_events(seeded.group_id) if e.type == "chat.posted"] == []


async def test_a_revoked_member_leaves_the_hand_queue_and_completion_counts_and_shows_as_revoked(seeded, relay):
    from protocol.events import parse_event
    from protocol.state import GroupState

    sam_c, alex_c, _riley_c = seeded.participants
    async with connected(seeded.url, seeded.facilitator, sam_c, alex_c) as (dana, sam, alex):
        await dana.command("session.start", {"title": "Hands"})
        await dana.command("homework.assign", {"title": "Walk", "homework_kind": "text", "due": "2030-01-31"})
        homework_id = (await dana.recv_until(is_event("homework.assigned")))["data"]["homework_id"]
        await sam.command("hand.raise")
        await alex.command("hand.raise")
        await sam.command("homework.submit", {"homework_id": homework_id, "text": "walked"})
        cli = _other_process_store(relay)
        try:
            cli.revoke_member(sam_c.member_id)
        finally:
            cli.close()
        await dana.command("chat.send", {"text": "next"})
        await dana.recv_until(is_event("member.removed", member_id=sam_c.member_id))
        await alex.recv_until(is_event("member.removed", member_id=sam_c.member_id))
    async with RawClient(seeded.url, seeded.facilitator.token) as fresh:
        await fresh.wait_synced()
        state = GroupState()
        state.set_roster(fresh.welcome["roster"])
        for frame in fresh.events:
            state.apply(parse_event(frame))
    assert state.hands == [alex_c.member_id]
    assert state.roster[sam_c.member_id].removed is True
    assert [e.name for e in state.revoked_members()] == ["Sam"]
    assert state.completion(state.homework[homework_id]) == (0, 2)  # Alex and Riley; Sam's no longer counts


async def test_a_member_given_a_new_token_after_a_revocation_is_back_in_the_group(seeded, relay):
    sam_c = seeded.participants[0]
    cli = _other_process_store(relay)
    try:
        async with connected(seeded.url, seeded.facilitator) as (dana,):
            cli.revoke_member(sam_c.member_id)
            await dana.command("chat.send", {"text": "one"})
            await dana.recv_until(is_event("member.removed", member_id=sam_c.member_id))
            token = cli.reissue_token(sam_c.member_id)
            async with RawClient(seeded.url, token) as sam:
                await sam.wait_synced()
                assert {m["id"]: m.get("removed") for m in sam.welcome["roster"]}[sam_c.member_id] is not True
                await sam.command("chat.send", {"text": "I am back"})
            await dana.recv_until(is_event("member.reinstated", member_id=sam_c.member_id))
            await dana.recv_until(is_event("chat.posted", text="I am back"))
    finally:
        cli.close()


# -- 8.5: both faces find a member by the same name key and show who is revoked ------


def _named_group(store) -> dict[str, object]:
    from tests.support.wsclient import Cred

    gid = store.create_group("Names")
    creds = {}
    for name, role in (("Dana", "facilitator"), ("Zoë 李", "participant"), ("Sam", "participant"), ("Alex", "participant")):
        mid, token = store.add_member(gid, name, role)
        creds[name] = Cred(mid, name, role, token)
    return creds


@contextlib.asynccontextmanager
async def _plain(url: str, token: str):
    from iop_tui.plain.face import PlainFace
    from iop_tui.core.session import ClientSession

    session = ClientSession(url, token)
    lines: list[str] = []
    face = PlainFace(session, lines.append, "normal")
    session.subscribe(face.on_notices)
    runner = asyncio.create_task(session.run())
    try:
        for _ in range(500):
            if session.model.synced and session.model.me is not None:
                break
            await asyncio.sleep(0.01)
        assert session.model.synced
        yield face, session, lines
    finally:
        await session.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


async def _until(condition, what: str):
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_plain_face_mutes_a_member_written_in_another_case_and_unicode_form(relay):
    creds = _named_group(relay.store)
    async with connected(relay.url, creds["Zoë 李"]) as (zoe,):
        async with _plain(relay.url, creds["Dana"].token) as (face, _session, lines):
            face.handle("/mute ZOE\u0308 李")
            muted = await zoe.recv_until(is_event("member.muted", member_id=creds["Zoë 李"].member_id))
            assert muted["data"]["muted"] is True
            assert not any("Nobody called" in line for line in lines), lines


async def test_plain_who_and_homework_show_a_revoked_member_as_revoked_and_never_count_them(relay):
    creds = _named_group(relay.store)
    async with connected(relay.url, creds["Dana"], creds["Sam"]) as (dana, sam):
        await dana.command("homework.assign", {"title": "Walk", "homework_kind": "text", "due": "2030-01-31"})
        homework_id = (await dana.recv_until(is_event("homework.assigned")))["data"]["homework_id"]
        await sam.command("homework.submit", {"homework_id": homework_id, "text": "walked"})
        cli = _other_process_store(relay)
        try:
            cli.revoke_member(creds["Sam"].member_id)
        finally:
            cli.close()
        await dana.recv_until(is_event("member.removed", member_id=creds["Sam"].member_id), TIMEOUT)
    async with _plain(relay.url, creds["Dana"].token) as (face, _session, lines):
        face.handle("/who")
        assert "Revoked: Sam." in lines, lines
        face.handle("/homework")
        assert any(line.startswith("Homework 1, Walk") and line.endswith(": 0 of 2 submitted.") for line in lines), lines
        face.handle("/completion")
        assert any(line.startswith("Homework 1, Walk") and line.endswith(": 0 of 2 submitted.") for line in lines[-4:]), lines


async def test_textual_chat_mutes_a_member_written_in_another_case(relay):
    from tests.support.apphelp import joined, type_into, wait_until

    creds = _named_group(relay.store)
    async with connected(relay.url, creds["Zoë 李"]) as (_zoe,):
        async with joined(relay.url, creds["Dana"].token) as (app, pilot):
            for written in ("zoë 李", "ZOE\u0308  李"):
                found = app.find_member(written)
                assert found is not None and found.name == "Zoë 李", written
            await pilot.press("4")
            await type_into(pilot, app, "#chat-input", "/mute alex")
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.session.model.state.roster[creds["Alex"].member_id].muted, "Alex muted")


async def test_textual_people_and_homework_panes_show_a_revoked_member_apart(relay):
    from tests.support.apphelp import joined, text_of, wait_until

    creds = _named_group(relay.store)
    async with connected(relay.url, creds["Dana"], creds["Sam"]) as (dana, sam):
        await dana.command("homework.assign", {"title": "Walk", "homework_kind": "text", "due": "2030-01-31"})
        homework_id = (await dana.recv_until(is_event("homework.assigned")))["data"]["homework_id"]
        await sam.command("homework.submit", {"homework_id": homework_id, "text": "walked"})
        cli = _other_process_store(relay)
        try:
            cli.revoke_member(creds["Sam"].member_id)
        finally:
            cli.close()
        await dana.recv_until(is_event("member.removed", member_id=creds["Sam"].member_id), TIMEOUT)
    async with joined(relay.url, creds["Dana"].token) as (app, pilot):
        await pilot.press("6")
        await wait_until(pilot, lambda: "Revoked: Sam." in text_of(app, "#people-hands"), "the revoked line")
        from iop_tui.tui.widgets.homework import completion_lines

        lines = completion_lines(app.session.model.state.homework[homework_id], app.session.model.state)
        assert lines[0] == "Completion: 0 of 2 submitted."
        assert "Sam (revoked): submitted; wrote: walked" in lines, lines


# -- 9.6: health data is readable by its owner only -----------------------------------

import os  # noqa: E402
import sqlite3  # noqa: E402
import stat  # noqa: E402


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


async def test_a_new_data_folder_and_its_database_files_are_owner_only(tmp_path):
    from tests.support.procs import start_server_process

    data = tmp_path / "fresh" / "data"
    with _umask(0o022):
        _ok(run_cli("group", "create", "Tuesday IOP", "--facilitator", "Dana", "--data", str(data)))
        with start_server_process(data) as server:
            sam = await asyncio.to_thread(_cli_json, "invite", "Tuesday IOP", "--name", "Sam", "--data", str(data))
            async with RawClient(server.url, sam["token"]) as c:
                await c.wait_synced()
                await c.command("chat.send", {"text": "private"})
                files = {p.name: _mode(p) for p in data.iterdir()}
            server.stop()
            assert "wider" not in server.stderr_text()
    assert _mode(data) == 0o700
    assert {"iop.sqlite3", "iop.sqlite3-wal", "iop.sqlite3-shm"} <= set(files)
    assert {name: mode for name, mode in files.items() if mode != 0o600} == {}


def test_a_data_folder_readable_by_others_is_tightened_with_a_warning(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    db = sqlite3.connect(data / "iop.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    db.close()
    os.chmod(data / "iop.sqlite3", 0o644)
    result = run_cli("group", "list", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert _mode(data) == 0o700 and _mode(data / "iop.sqlite3") == 0o600
    warning = result.stderr
    assert "readable by other users" in warning and "0755" in warning and "0700" in warning, warning
    assert "Traceback" not in warning
    again = run_cli("group", "list", "--data", str(data))
    assert "readable by other users" not in again.stderr


# -- 9.11: what one member may store ------------------------------------------------------


async def _homework(dana: RawClient) -> int:
    await dana.command("homework.assign", {"title": "Journal", "homework_kind": "text", "due": "2030-01-31"})
    return (await dana.recv_until(is_event("homework.assigned")))["data"]["homework_id"]


async def test_a_member_who_resubmits_homework_is_stopped_at_the_hourly_quota_and_others_are_not(tmp_path):
    from server.edge import RelayServer
    from server.quota import Quota
    from tests.support.wsclient import seed

    quota = Quota(per_hour=200_000, total=10_000_000)
    async with RelayServer(tmp_path / "data", rate_per_s=1000, burst=1000, quota=quota) as relay:
        g = seed(relay.store, relay.url)
        sam_c, alex_c, _ = g.participants
        async with connected(relay.url, g.facilitator, sam_c, alex_c) as (dana, sam, alex):
            homework_id = await _homework(dana)
            answer_text = "x" * 59_990
            accepted = refused = None
            for attempt in range(10):
                start = len(sam.frames)
                cid = await sam.send("homework.submit", {"homework_id": homework_id, "text": answer_text + str(attempt)})
                answer = await sam.wait_ack(cid, TIMEOUT, start=start)
                if answer["kind"] == "error":
                    refused = answer
                    break
                accepted = attempt + 1
            assert accepted == 3 and refused is not None, refused  # 3 x 60 KB fit in 200 KB, the fourth does not
            assert refused["code"] == "quota_exceeded"
            assert "in the last hour" in refused["message"] and refused["message"].endswith(".")
            await alex.command("homework.submit", {"homework_id": homework_id, "text": answer_text})
            await sam.command("chat.send", {"text": "a short line still fits"})
            # A facilitator's limits are 16 times a member's: five 50 KB decks fit.
            for i in range(5):
                await dana.command("deck.load", {"markdown": f"# Deck {i}\n" + "calm breathing, one line at a time\n" * 1_400})
        stored = [e for e in relay.store.iter_events(g.group_id) if e.type == "homework.submitted" and e.actor == sam_c.member_id]
        assert len(stored) == 3


async def test_the_total_quota_holds_across_a_restart(tmp_path):
    from server.edge import RelayServer
    from server.quota import Quota
    from tests.support.wsclient import seed

    quota = Quota(per_hour=10_000_000, total=150_000)
    async with RelayServer(tmp_path / "data", rate_per_s=1000, burst=1000, quota=quota) as relay:
        g = seed(relay.store, relay.url)
        sam_c = g.participants[0]
        async with connected(relay.url, g.facilitator, sam_c) as (dana, sam):
            homework_id = await _homework(dana)
            await sam.command("homework.submit", {"homework_id": homework_id, "text": "y" * 60_000})
            await sam.command("homework.submit", {"homework_id": homework_id, "text": "z" * 60_000})
    async with RelayServer(tmp_path / "data", rate_per_s=1000, burst=1000, quota=Quota(per_hour=10_000_000, total=150_000)) as relay:
        async with connected(relay.url, sam_c) as (sam,):
            refused = await _refusal(sam, "homework.submit", {"homework_id": homework_id, "text": "w" * 60_000})
            assert refused["code"] == "quota_exceeded" and "in total" in refused["message"]


async def test_plain_log_takes_only_a_day_written_yyyy_mm_dd(relay):
    creds = _named_group(relay.store)
    async with connected(relay.url, creds["Dana"]) as (dana,):
        await _emotion_log(dana)
        async with _plain(relay.url, creds["Sam"].token) as (face, session, lines):
            await _until(lambda: session.model.state.homework, "the homework")
            for day in ("2026-W06-3", "20260204"):
                before = len(lines)
                face.handle(f"/log 1 {day} 4 calm")
                assert lines[before:] == ["The day must be today, yesterday or a date written YYYY-MM-DD."], (day, lines[-3:])
            face.handle("/log 1 2026-02-04 4 calm")
            submitted = await dana.recv_until(is_event("homework.submitted"))
            assert [e["day"] for e in submitted["data"]["log"]] == ["2026-02-04"]


async def test_plain_reply_finds_a_member_written_in_another_unicode_form(relay):
    creds = _named_group(relay.store)
    async with connected(relay.url, creds["Zoë 李"]) as (zoe,):
        async with _plain(relay.url, creds["Dana"].token) as (face, _session, lines):
            face.handle("/reply ZOE\u0308  李: see you after group")
            replied = await zoe.recv_until(lambda f: f.get("kind") == "event" and f.get("subject") == creds["Zoë 李"].member_id, TIMEOUT)
            assert "see you after group" in repr(replied["data"])
            assert not any("Nobody called" in line for line in lines), lines
