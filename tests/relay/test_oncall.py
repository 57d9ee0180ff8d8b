"""The on-call email, over a real relay and a real SMTP server (aiosmtpd) on loopback.

An urgent request that no connected facilitator can see is emailed to the
group's on-call address, naming the member, the group and the time and
nothing the member wrote; the relay logs ``urgent.emailed``; across a relay
restart it is neither lost nor sent twice. A request a connected facilitator
acknowledges is never emailed. The SMTP server is the ``smtp`` fixture of
tests/relay/conftest.py.
"""

from __future__ import annotations

import asyncio

from tests.support.wsclient import Cred, RawClient

from protocol.roles import FACILITATOR, PARTICIPANT
from server.edge import RelayServer

TIMEOUT = 10
SECRET = "SECRET-WORDS I have pills saved up"


def make_group(store, *, on_call: str = "oncall@clinic.example") -> tuple[int, Cred, Cred]:
    gid = store.create_group("Tuesday IOP")
    store.set_group_settings(gid, on_call=on_call)
    mid, token = store.add_member(gid, "Dana", FACILITATOR)
    dana = Cred(mid, "Dana", FACILITATOR, token)
    mid, token = store.add_member(gid, "Sam", PARTICIPANT)
    return gid, dana, Cred(mid, "Sam", PARTICIPANT, token)


def emailed(store, gid: int) -> list:
    return [e for e in store.events_after(gid, 0) if e.type == "urgent.emailed"]


async def wait_logged(store, gid: int, count: int) -> None:
    """The relay logs urgent.emailed right after the mail server accepts the message."""
    for _ in range(TIMEOUT * 100):
        if len(emailed(store, gid)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"urgent.emailed not logged {count} times: {emailed(store, gid)}")


async def test_an_urgent_request_with_no_facilitator_online_is_emailed_once_without_its_words(tmp_path, smtp):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, on_call_after=0.05) as relay:
        gid, _dana, sam = make_group(relay.store)
        async with RawClient(relay.url, sam.token) as c:
            await c.wait_synced(TIMEOUT)
            alert_id = (await c.command("urgent.raise", {"text": SECRET}))["seq"]
            raised = await c.recv_until(lambda f: f.get("kind") == "event" and f["type"] == "urgent.raised", TIMEOUT)
            assert raised["data"]["member_id"] == sam.member_id  # the member sees it was sent
        await box.wait_for(1)
        await wait_logged(relay.store, gid, 1)
    (to, content), = box.messages
    assert to == ["oncall@clinic.example"]
    assert "Sam" in content and "Tuesday IOP" in content and "UTC" in content
    assert "SECRET-WORDS" not in content and "pills" not in content
    store = _reopen(tmp_path)
    event, = emailed(store, gid)
    store.close()
    assert event.data["alert_id"] == alert_id and event.actor == 0 and event.audience == "facilitators"


def _reopen(tmp_path):
    from server.store import Store

    return Store(tmp_path / "data")


async def test_an_email_is_sent_after_a_restart_and_never_twice(tmp_path, smtp):
    box, settings = smtp
    data = tmp_path / "data"
    # The relay stops before the on-call time is up: the request waits in the log.
    async with RelayServer(data, smtp=settings, on_call_after=3600) as relay:
        gid, _dana, sam = make_group(relay.store)
        async with RawClient(relay.url, sam.token) as c:
            await c.wait_synced(TIMEOUT)
            first = (await c.command("urgent.raise", {"text": SECRET}))["seq"]
    assert box.messages == []
    # After the restart the waiting request is emailed.
    async with RelayServer(data, smtp=settings, on_call_after=0.05) as relay:
        await box.wait_for(1)
        await wait_logged(relay.store, gid, 1)
    # Another restart: the emailed request is not sent again; a new one is.
    async with RelayServer(data, smtp=settings, on_call_after=0.05) as relay:
        async with RawClient(relay.url, sam.token) as c:
            await c.wait_synced(TIMEOUT)
            second = (await c.command("urgent.raise", {"text": "again"}))["seq"]
        await box.wait_for(2)
        await wait_logged(relay.store, gid, 2)
        assert [e.data["alert_id"] for e in emailed(relay.store, gid)] == [first, second]
    assert len(box.messages) == 2


async def test_a_connected_facilitator_gets_the_request_at_once_and_acknowledging_it_means_no_email(tmp_path, smtp):
    box, settings = smtp
    async with RelayServer(tmp_path / "data", smtp=settings, on_call_after=0.05) as relay:
        gid, dana_cred, sam_cred = make_group(relay.store)
        async with RawClient(relay.url, dana_cred.token) as dana, RawClient(relay.url, sam_cred.token) as sam:
            await dana.wait_synced(TIMEOUT)
            await sam.wait_synced(TIMEOUT)
            alert_id = (await sam.command("urgent.raise", {"text": SECRET}))["seq"]
            seen = await dana.recv_until(lambda f: f.get("kind") == "event" and f["type"] == "urgent.raised", TIMEOUT)
            assert seen["data"]["text"] == SECRET and seen["seq"] == alert_id
            await dana.command("urgent.acknowledge", {"alert_id": alert_id})
            ack = await sam.recv_until(lambda f: f.get("kind") == "event" and f["type"] == "urgent.acknowledged", TIMEOUT)
            assert ack["data"]["by"] == dana_cred.member_id and ack["actor_name"] == "Dana"
        # Nobody online now: a second request is emailed, the acknowledged one never was.
        async with RawClient(relay.url, sam_cred.token) as sam:
            await sam.wait_synced(TIMEOUT)
            second = (await sam.command("urgent.raise", {}))["seq"]
        await box.wait_for(1)
        await wait_logged(relay.store, gid, 1)
        assert [e.data["alert_id"] for e in emailed(relay.store, gid)] == [second]
    assert len(box.messages) == 1


async def test_a_phq9_item_9_answer_alerts_the_connected_facilitator_at_once(tmp_path):
    async with RelayServer(tmp_path / "data") as relay:
        _gid, dana_cred, sam_cred = make_group(relay.store, on_call="")
        async with RawClient(relay.url, dana_cred.token) as dana, RawClient(relay.url, sam_cred.token) as sam:
            await dana.wait_synced(TIMEOUT)
            await sam.wait_synced(TIMEOUT)
            measure = (await dana.command("measure.give", {"measure": "phq9", "member_id": sam_cred.member_id}))["seq"]
            await sam.command("measure.answer", {"measure_id": measure, "item": 8, "answer": 1})
            alert = await dana.recv_until(lambda f: f.get("kind") == "event" and f["type"] == "alert.raised", TIMEOUT)
            assert alert["data"]["member_id"] == sam_cred.member_id and alert["audience"] == "facilitators"
            end = (await dana.command("chat.send", {"text": "marker"}))["seq"]
            await sam.recv_until(lambda f: f.get("kind") == "event" and f["seq"] >= end, TIMEOUT, consume=False)
            assert not [f for f in sam.events if f["type"] == "alert.raised"]
