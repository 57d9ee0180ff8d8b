"""Reminders over a real relay, a real SMTP server (aiosmtpd) and a real SMS webhook (http.server), all on loopback.

A member who consented gets one email (the session's .ics attached, which
icalendar reads back) and one text message per occasion, carrying the group's
public label, the time and how to join, and nothing clinical; nothing without
consent or in quiet hours; two relays on one store send each reminder once;
a member's own ``reminders.set`` keeps the address out of the log; a relay
killed between a reminder's claim and its sending sends it exactly once after
a restart; a claim waiting for another program's write lock leaves the loop free.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import math
import sqlite3
import time

import pytest
from icalendar import Calendar
from tests.support.outside import Webhook
from tests.support.procs import start_server_process
from tests.support.held import Held
from tests.support.wsclient import RawClient

from protocol.roles import FACILITATOR, PARTICIPANT
from protocol.schedule import Rule
from server.edge import RelayServer
from server.reminders import SmsSettings
from server.store import Store

GROUP = "Tuesday IOP for depression"  # a name that says what the group treats: never in a reminder
LABEL = "Evening group"


@pytest.fixture
def webhook():
    with Webhook() as hook:
        yield hook


def plan_session(store: Store, *, in_minutes: int = 30, minutes: int = 60, kind: str = "group") -> tuple[int, float]:
    """A group with a public label, a one-off session starting in about ``in_minutes`` (UTC), and two members.
    Returns (group id, the session's start)."""
    gid = store.create_group(GROUP)
    store.add_member(gid, "Dana", FACILITATOR)
    store.set_schedule_settings(gid, tz="UTC", label=LABEL, join="iop-tui join wss://clinic.example/")
    start = math.ceil(time.time() / 60) * 60 + in_minutes * 60
    when = _dt.datetime.fromtimestamp(start, _dt.UTC)
    store.add_schedule_rule(gid, Rule(0, kind, when.date(), when.time(), minutes))
    return gid, start


def outbox(store: Store, gid: int) -> list[tuple]:
    return [(row[1], row[2], row[3]) for row in store.reminder_log(gid)]


async def test_a_consenting_member_gets_one_email_with_the_ics_and_one_text_with_nothing_clinical(tmp_path, smtp, webhook):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, sms=SmsSettings(webhook.url), reminder_every=3600) as relay:
        store = relay.store
        gid, start = plan_session(store)
        sam, _ = store.add_member(gid, "Sam", PARTICIPANT)
        store.set_reminder_prefs(sam, consent=True, email="sam@example.org", sms="+15550100", lead=60)
        assert relay.reminders is not None
        assert await relay.reminders.tick(time.time()) == 2
        await box.wait_for(1)
        (rcpt, _raw), = box.messages
        assert rcpt == ["sam@example.org"]
        mail = box.parsed()[0]
        body = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
        ics = next(p for p in mail.walk() if p.get_content_type() == "text/calendar").get_payload(decode=True)
        assert LABEL in mail["Subject"] and LABEL in body and "clinic.example" in body
        for text in (mail["Subject"], body, ics.decode()):
            assert GROUP not in text and "depression" not in text
        event, = Calendar.from_ical(ics).walk("VEVENT")
        assert event.get("dtstart").dt == _dt.datetime.fromtimestamp(start, _dt.UTC)
        assert event.get("duration").dt == _dt.timedelta(minutes=60)
        (headers, post), = webhook.posts
        assert post["to"] == "+15550100" and LABEL in post["text"] and "depression" not in post["text"]
        assert headers["idempotency-key"] == post["id"] and headers["content-type"] == "application/json"
        assert sorted(outbox(store, gid)) == [("session:1-" + _dt.datetime.fromtimestamp(start, _dt.UTC).strftime("%Y-%m-%dT%H:%M"), "email", "sent"),
                                              ("session:1-" + _dt.datetime.fromtimestamp(start, _dt.UTC).strftime("%Y-%m-%dT%H:%M"), "sms", "sent")]
        # Looking again sends nothing more.
        assert await relay.reminders.tick(time.time()) == 0
        assert len(box.messages) == 1 and len(webhook.posts) == 1


async def test_nothing_is_sent_without_consent_too_early_or_in_quiet_hours(tmp_path, smtp):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as relay:
        store = relay.store
        gid, _start = plan_session(store, in_minutes=30)
        never, _ = store.add_member(gid, "Never", PARTICIPANT)
        store.set_reminder_prefs(never, consent=False, email="never@example.org")
        early, _ = store.add_member(gid, "Early", PARTICIPANT)
        store.set_reminder_prefs(early, consent=True, email="early@example.org", lead=10)  # due in 20 minutes
        hush, _ = store.add_member(gid, "Hush", PARTICIPANT)
        now = _dt.datetime.now(_dt.UTC)
        quiet = f"{(now - _dt.timedelta(hours=1)):%H:%M}-{(now + _dt.timedelta(hours=2)):%H:%M}"
        store.set_reminder_prefs(hush, consent=True, email="hush@example.org", quiet=quiet)
        assert relay.reminders is not None
        assert await relay.reminders.tick(time.time()) == 0
        assert box.messages == [] and outbox(store, gid) == []


async def test_two_relays_on_one_store_send_each_reminder_once(tmp_path, smtp):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as one, \
            RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as two:
        gid, _start = plan_session(one.store)
        for i in range(3):
            mid, _ = one.store.add_member(gid, f"Member {i}", PARTICIPANT)
            one.store.set_reminder_prefs(mid, consent=True, email=f"m{i}@example.org")
        assert one.reminders is not None and two.reminders is not None
        now = time.time()
        sent = await asyncio.gather(one.reminders.tick(now), two.reminders.tick(now), one.reminders.tick(now), two.reminders.tick(now))
        assert sum(sent) == 3
        await box.wait_for(3)
        await asyncio.sleep(0.2)
        assert sorted(r for rcpt, _ in box.messages for r in rcpt) == ["m0@example.org", "m1@example.org", "m2@example.org"]


async def test_a_members_own_choice_keeps_the_address_in_the_store_and_out_of_the_log(tmp_path, smtp):
    _box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as relay:
        store = relay.store
        gid, _start = plan_session(store, in_minutes=600)
        sam, token = store.add_member(gid, "Sam", PARTICIPANT)
        async with RawClient(relay.url, token) as client:
            first = await client.recv_until(lambda f: f.get("kind") == "schedule")
            assert first["label"] == LABEL and first["reminders"]["consent"] is False
            assert [s["kind"] for s in first["sessions"]] == ["group"]
            cid = await client.send("reminders.set", {"consent": True, "email": "sam@example.org", "lead": 120, "quiet": "22:00-07:00"})
            await client.wait_ack(cid)
            pushed = await client.recv_until(lambda f: f.get("kind") == "schedule" and f["reminders"]["consent"])
            assert pushed["reminders"] == {"consent": True, "email": "sam@example.org", "sms": "", "lead": 120, "quiet": "22:00-07:00"}
            bad = await client.send("reminders.set", {"email": "not an address"})
            refusal = await client.recv_until(lambda f: f.get("kind") == "error" and f.get("id") == bad)
            assert "email address" in refusal["message"]
        prefs = store.reminder_prefs(sam)
        assert (prefs.consent, prefs.email, prefs.lead, prefs.quiet_text) == (True, "sam@example.org", 120, "22:00-07:00")
        logged = [e for e in store.events_after(gid, 0) if e.type == "reminders.changed"]
        assert len(logged) == 1 and logged[0].data["email"] == "set"
        assert "sam@example.org" not in repr([e.data for e in store.events_after(gid, 0)])


async def test_a_schedule_change_made_with_the_cli_reaches_connected_members(tmp_path):
    async with RelayServer(tmp_path / "data") as relay:
        store = relay.store
        gid, _start = plan_session(store, in_minutes=600)
        _sam, token = store.add_member(gid, "Sam", PARTICIPANT)
        async with RawClient(relay.url, token) as client:
            await client.recv_until(lambda f: f.get("kind") == "schedule")
            other = Store(tmp_path / "data")  # the CLI's own connection, as another process has
            try:
                day = (_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=3)).date()
                other.add_schedule_rule(gid, Rule(0, "family", day, _dt.time(17, 0), 60))
            finally:
                other.close()
            pushed = await client.recv_until(lambda f: f.get("kind") == "schedule" and len(f["sessions"]) == 2, timeout=5)
            assert [s["kind"] for s in pushed["sessions"]] == ["group", "family"]


async def test_a_relay_killed_between_a_reminders_claim_and_its_sending_sends_it_exactly_once_after_restart(tmp_path, smtp, monkeypatch):
    box, settings = smtp
    data = tmp_path / "data"
    store = Store(data)
    gid, _start = plan_session(store)
    sam, _ = store.add_member(gid, "Sam", PARTICIPANT)
    store.close()
    args = ("--smtp-host", "127.0.0.1", "--smtp-port", str(settings.port), "--reminder-every", "0.2", "--reminder-lease", "1")
    monkeypatch.setenv("IOP_FAULT", "die-after-reminder-claim")
    with start_server_process(data, 0, *args) as doomed:
        store = Store(data)
        store.set_reminder_prefs(sam, consent=True, email="sam@example.org")  # now one is due: claimed, then the relay dies
        assert doomed.proc.wait(15) == 75
        assert outbox(store, gid)[0][1:] == ("email", "claimed")
        assert box.messages == []
    monkeypatch.delenv("IOP_FAULT")
    with start_server_process(data, 0, *args) as relay:
        await box.wait_for(1, timeout=15)
        for _ in range(100):
            if outbox(store, gid)[0][2] == "sent":
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # more than the lease and several looks
        assert relay.stop() == 0
    with start_server_process(data, 0, *args) as again:
        await asyncio.sleep(1.5)
        assert again.stop() == 0
    assert len(box.messages) == 1
    (key, channel, state), = outbox(store, gid)
    assert (channel, state) == ("email", "sent")
    attempts = store.reminder_log(gid)[0][4]
    assert attempts == 2  # the dead claim, then the one that sent it
    store.close()
    assert json.dumps(key)  # the occasion key is plain text


def homework_group(store: Store) -> tuple[str, int, str, str]:
    """A group with a public label: Dana, and Sam and Alex, who consented to email reminders three days ahead.
    Returns (Dana's token, Sam's id, Sam's token, a due date two days ahead)."""
    gid = store.create_group(GROUP)
    store.set_schedule_settings(gid, label=LABEL)
    _dana, dana_token = store.add_member(gid, "Dana", FACILITATOR)
    sam, sam_token = store.add_member(gid, "Sam", PARTICIPANT)
    alex, _ = store.add_member(gid, "Alex", PARTICIPANT)
    for mid, address in ((sam, "sam@example.org"), (alex, "alex@example.org")):
        store.set_reminder_prefs(mid, consent=True, email=address, lead=3 * 24 * 60)
    due = (_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=2)).date().isoformat()
    return dana_token, sam, sam_token, due


async def test_homework_due_reminds_those_who_have_not_handed_it_in_without_its_title(tmp_path, smtp):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as relay:
        dana_token, _sam, sam_token, due = homework_group(relay.store)
        async with RawClient(relay.url, dana_token) as dana:
            cid = await dana.send("homework.assign", {"title": "Thought record about panic", "homework_kind": "text", "due": due})
            homework_id = (await dana.wait_ack(cid))["seq"]
        async with RawClient(relay.url, sam_token) as client:
            await client.wait_ack(await client.send("homework.submit", {"homework_id": homework_id, "text": "done"}))
        assert relay.reminders is not None
        assert await relay.reminders.tick(time.time()) == 1
        await box.wait_for(1)
        (rcpt, raw), = box.messages
        assert rcpt == ["alex@example.org"] and "homework due" in box.parsed()[0]["Subject"]
        assert "panic" not in raw.lower() and "Thought record" not in raw and GROUP not in raw


async def test_personal_homework_reminds_only_the_members_it_is_for(tmp_path, smtp):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as relay:
        dana_token, sam, _sam_token, due = homework_group(relay.store)
        async with RawClient(relay.url, dana_token) as dana:
            cid = await dana.send("homework.assign", {"title": "For Sam alone", "homework_kind": "text", "due": due, "to": [sam]})
            await dana.wait_ack(cid)
        assert relay.reminders is not None
        assert await relay.reminders.tick(time.time()) == 1
        await box.wait_for(1)
        (rcpt, _raw), = box.messages
        assert rcpt == ["sam@example.org"]


async def test_a_guest_is_told_of_the_family_sessions_only(tmp_path):
    async with RelayServer(tmp_path / "data") as relay:
        store = relay.store
        gid, _start = plan_session(store, in_minutes=600)
        day = (_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=2)).date()
        store.add_schedule_rule(gid, Rule(0, "family", day, _dt.time(17, 0), 60))
        _guest, token = store.add_member(gid, "Lee", "guest")
        async with RawClient(relay.url, token) as client:
            frame = await client.recv_until(lambda f: f.get("kind") == "schedule")
        assert [s["kind"] for s in frame["sessions"]] == ["family"] and frame["reminders"] is None


async def test_a_reminders_claim_waiting_for_a_held_write_lock_leaves_the_loop_serving_members(tmp_path, smtp):
    """Another program holds the store's write lock (the CLI, a backup) when a reminder falls due:
    its claim waits for the lock on the reminders' own thread, and the relay goes on serving
    meanwhile (a member of the group is welcomed and synced); once the lock is free the reminder
    is claimed and sent once. A timer lets the lock go after 3 s, so a relay that waits on the
    loop fails here rather than hanging."""
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, reminder_every=3600) as relay:
        gid, _start = plan_session(relay.store)
        sam, _ = relay.store.add_member(gid, "Sam", PARTICIPANT)
        relay.store.set_reminder_prefs(sam, consent=True, email="sam@example.org")
        _alex, alex_token = relay.store.add_member(gid, "Alex", PARTICIPANT)
        assert relay.reminders is not None
        holder = sqlite3.connect(relay.store.path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        held = Held(lambda: holder.execute("ROLLBACK"), 3.0)
        try:
            tick = asyncio.get_running_loop().create_task(relay.reminders.tick(time.time()))
            await asyncio.sleep(0.3)  # the look is done (reads); the claim waits for the lock
            assert not tick.done()
            async with RawClient(relay.url, alex_token) as alex:
                await alex.wait_synced(timeout=10)
                assert not held.timed_out, "the loop waited for the reminder's claim"
            held.let_go()
            assert await tick == 1
        finally:
            held.let_go()
            holder.close()
        await box.wait_for(1)
        assert [rcpt for rcpt, _ in box.messages] == [["sam@example.org"]]
        assert outbox(relay.store, gid)[0][1:] == ("email", "sent")
