"""On-call emails across several relay nodes (issue 16): each goes out once.

Real ``serve --store postgresql://...`` processes on one fresh schema, a real SMTP
server (aiosmtpd, the ``smtp`` fixture) on loopback. The email of an alert is
claimed in the store's outbox before it is sent (as reminders are), and only the
group's owner decides it (it alone knows whether a facilitator is connected); a
claim whose node died is taken over once its lease runs out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from tests.support.pg import seeded_pg
from tests.support.procs import ServerProcess, start_server_process
from tests.support.wsclient import RawClient, Seeded

SECRET = "s3cret-for-tests"
ON_CALL = "oncall@clinic.example"
AFTER = 3.0  # --on-call-after
LEASE = 3.0  # --reminder-lease: how long a claimed email is held


@pytest.fixture
def seeded(pg_url: str) -> Seeded:
    return seeded_pg(pg_url, on_call=ON_CALL)[0]


@contextmanager
def node(url: str, name: str, smtp_port: int) -> Iterator[ServerProcess]:
    with start_server_process(
        url, 0, "--store", url, "--node-id", name, "--internal-secret", SECRET,  # type: ignore[arg-type]
        "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--on-call-after", str(AFTER), "--reminder-lease", str(LEASE),
    ) as proc:
        yield proc


def logged_emails(url: str, group_id: int) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM events WHERE group_id = %s AND type = 'urgent.emailed'", (group_id,)).fetchone()
    assert row is not None
    return int(row[0])


async def raise_urgent(url: str, token: str) -> int:
    async with RawClient(url, token) as sam:
        await sam.wait_synced()
        return int((await sam.command("urgent.raise", {"text": "please, someone"}))["seq"])


async def until_logged(url: str, group_id: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while logged_emails(url, group_id) < 1:
        assert time.monotonic() < deadline, "urgent.emailed was never logged"
        await asyncio.sleep(0.1)


async def test_an_urgent_request_is_emailed_once_by_two_nodes_that_both_know_of_it(pg_url, seeded, smtp):
    """Node A owns the group and sees the alert raised; node B starts after it (and, as every
    node does at its start, looks at every group's unanswered alerts): one email, logged once."""
    box, settings = smtp
    sam_c = seeded.participants[0]
    with node(pg_url, "a", settings.port) as a:
        await raise_urgent(a.url, sam_c.token)
        with node(pg_url, "b", settings.port):
            await box.wait_for(1, timeout=AFTER + 10)
            await until_logged(pg_url, seeded.group_id, 10)
            await asyncio.sleep(AFTER + 2)  # B's clock of the same alert has run out too
            assert len(box.messages) == 1, [m["Message-ID"] for m in box.parsed()]
            assert logged_emails(pg_url, seeded.group_id) == 1


async def test_an_owner_killed_between_its_claim_and_the_send_still_gets_the_email_sent_once(pg_url, seeded, smtp, monkeypatch):
    """A claims the email and dies before sending it (the fault hook); Sam's client reconnects
    through B, which claims the group; once A's claim runs out, B sends the email: once."""
    box, settings = smtp
    sam_c = seeded.participants[0]
    with node(pg_url, "b", settings.port) as b:
        monkeypatch.setenv("IOP_FAULT", "die-after-oncall-claim")
        with node(pg_url, "a", settings.port) as a:
            monkeypatch.delenv("IOP_FAULT")
            async with RawClient(a.url, sam_c.token) as sam:
                await sam.wait_synced()
                await sam.command("urgent.raise", {"text": "please, someone"})
                assert await asyncio.to_thread(a.proc.wait, AFTER + 10) == 75  # died right after its claim
            died = time.monotonic()
            async with RawClient(b.url, sam_c.token) as again:  # the client reconnects: B claims the group
                await again.wait_synced()
                await box.wait_for(1, timeout=LEASE + AFTER + 10)
                assert time.monotonic() - died >= LEASE - 1  # not before A's claim ran out
                await until_logged(pg_url, seeded.group_id, 10)
                await asyncio.sleep(AFTER + 1)
            assert len(box.messages) == 1
            assert logged_emails(pg_url, seeded.group_id) == 1
            assert b.proc.poll() is None


async def test_an_owner_killed_while_an_alert_waits_with_nobody_connected_leaves_the_email_to_another_node(pg_url, seeded, smtp):
    """Sam raises an urgent request on A and leaves; A is SIGKILLed before the email is due, and
    nobody connects again. B, up all along, finds the email due with nobody to send it, claims the
    group once A's lease has lapsed, and sends it: once."""
    box, settings = smtp
    sam_c = seeded.participants[0]
    with node(pg_url, "b", settings.port) as b:
        with node(pg_url, "a", settings.port) as a:
            async with RawClient(a.url, sam_c.token) as sam:
                await sam.wait_synced()
                await sam.command("urgent.raise", {"text": "please, someone"})
            a.kill()
        try:
            await box.wait_for(1, timeout=AFTER + 5 + 15)  # its clock, A's lease, B's look
        except TimeoutError:
            raise AssertionError(f"no email; node B said: {b.stderr_text()[-3000:]}") from None
        await until_logged(pg_url, seeded.group_id, 10)
        await asyncio.sleep(AFTER + 1)
        assert len(box.messages) == 1
        assert logged_emails(pg_url, seeded.group_id) == 1
