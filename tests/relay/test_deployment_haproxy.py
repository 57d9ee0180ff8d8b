"""The HAProxy configuration of docs/deployment.md, run as written (issue 16).

The block between ``<!-- haproxy.cfg begins -->`` and ``<!-- haproxy.cfg ends -->``
is taken from the page, its address, certificate and servers pointed at this
test's (and ``maxconn`` this machine's): a self-signed certificate, two relay nodes on a fresh PostgreSQL schema
(``--trusted-proxy 127.0.0.1``). Members connect over ``wss://`` through HAProxy,
the owner of their group is SIGKILLed, HAProxy's health check and redispatch send
them to the other node, and the audit over PostgreSQL finds nothing lost or
doubled. Skipped when ``haproxy`` or ``openssl`` is not installed (it is not a
dependency of the project: ``apt-get install haproxy``).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time

import pytest

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from iop_tui.core.connection import Connection
from tests.relay.test_fleet import members, seeded_pg
from tests.support.audit import Auditor, free_port, settle
from tests.support.fleet import LIMITS, Fleet, serve_has_node_flags
from tests.support.haproxy import page_config, server_lines
from tests.support.pg import fresh_schema
from tests.support.wsclient import until

TIMEOUT = 30

pytestmark = [
    pytest.mark.skipif(shutil.which("haproxy") is None or shutil.which("openssl") is None, reason="haproxy or openssl is not installed"),
    pytest.mark.skipif(not serve_has_node_flags(), reason="serve has no --node-id (placement: branch nodes)"),
]


def config_for(port: int, pem: str, nodes: list[tuple[str, int]]) -> str:
    cfg = page_config().replace("bind :443", f"bind 127.0.0.1:{port}").replace("/etc/haproxy/relay.pem", pem)
    cfg = re.sub(r"maxconn \d+", "maxconn 2000", cfg)  # this machine's open-files limit, not a clinic's
    kept, servers = server_lines(cfg, nodes)
    return "\n".join(kept + servers) + "\n"


def self_signed(folder) -> tuple[str, str]:
    key, cert, pem = folder / "key.pem", folder / "cert.pem", folder / "relay.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return str(cert), str(pem)


def start_haproxy(cfg) -> subprocess.Popen:
    checked = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@asynccontextmanager
async def page_haproxy(tmp_path, fleet: Fleet, monkeypatch) -> AsyncIterator[str]:
    """The page's HAProxy in front of ``fleet`` over TLS (the client trusts the test's
    certificate through ``SSL_CERT_FILE``): its members' URL, once it accepts connections."""
    cert, pem = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    port = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(config_for(port, pem, [(n.name, n.port) for n in fleet.nodes]))
    haproxy = await asyncio.to_thread(start_haproxy, cfg)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                _r, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                break
            except OSError:
                assert time.monotonic() < deadline and haproxy.poll() is None, "HAProxy did not start"
                await asyncio.sleep(0.1)
        yield f"wss://localhost:{port}/"
    finally:
        haproxy.terminate()
        haproxy.wait(10)


async def test_members_over_tls_through_the_pages_haproxy_survive_their_owner_being_killed(tmp_path, monkeypatch):
    with fresh_schema() as url:
        (seeded,) = seeded_pg(url)
        async with Fleet(url, 2, tmp_path, extra=(*LIMITS, "--trusted-proxy", "127.0.0.1")) as fleet, page_haproxy(tmp_path, fleet, monkeypatch) as members_url:
            auditor = Auditor()
            clients = []
            try:
                clients = members(auditor, members_url, seeded)
                for c in clients:
                    await c.wait_connected(TIMEOUT)
                dana = clients[0]
                assert (await dana.command("session.start", {"title": "Through HAProxy"}, timeout=TIMEOUT))["kind"] == "ack"
                for i in range(10):
                    for c in clients[:4]:
                        await c.send("chat.send", {"text": f"{c.log.name} before {i}"})
                owner = fleet.owner(seeded.group_id)
                assert owner is not None
                owner.kill()
                for i in range(10):
                    for c in clients[:4]:
                        await c.send("chat.send", {"text": f"{c.log.name} after {i}"})
                await settle(clients, dana, TIMEOUT)
                new_owner = fleet.owner(seeded.group_id)
                assert new_owner not in (None, owner)
                assert [c.route for c in clients] == [new_owner.name] * len(clients)  # their next connection goes there
                report = fleet.audit(auditor)
                print(report.summary())
                assert report.ok, report.summary()
                assert report.acked == 82
                assert sum(log.resumes for log in auditor.logs) >= len(clients)
            finally:
                await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def test_through_the_pages_haproxy_every_client_ends_on_its_groups_owner_so_another_node_dying_cuts_nobody(tmp_path, monkeypatch):
    """The product's client, through the page's HAProxy: HAProxy spreads the first connections
    over both nodes; the one that does not own the group names the owner (a route frame), and the
    client's next handshake carries it as the cookie HAProxy routes by. So every member ends up on
    the owner itself, with one welcome each and no 'reconnecting' said, and SIGKILLing the other
    node cuts nobody (a member it forwarded would be cut)."""
    with fresh_schema() as url:
        (seeded,) = seeded_pg(url)
        async with Fleet(url, 2, tmp_path, extra=(*LIMITS, "--trusted-proxy", "127.0.0.1")) as fleet, page_haproxy(tmp_path, fleet, monkeypatch) as members_url:
            conns = [Connection(members_url, c.token, backoff=(0.2,)) for c in seeded.everyone]
            frames: list[list[dict]] = [[] for _ in conns]
            for conn, got in zip(conns, frames, strict=True):
                conn.add_listener(got.append)
            tasks = [asyncio.create_task(conn.run()) for conn in conns]
            try:
                await until(lambda: all(any(f["kind"] == "synced" for f in got) for got in frames), "every member synced", timeout=TIMEOUT)
                owner = fleet.owner(seeded.group_id)
                assert owner is not None
                assert [conn.route for conn in conns] == [owner.name] * len(conns)
                other = next(node for node in fleet.nodes if node is not owner)
                other.kill()
                dana = conns[0]
                dana.send("session.start", {"title": "Routed"})
                dana.send("chat.send", {"text": "after the other node died"})
                await until(
                    lambda: all(any(f.get("type") == "chat.posted" for f in got) for got in frames),
                    "every member to receive Dana's line", timeout=TIMEOUT,
                )
                await asyncio.sleep(1)  # a member forwarded by the dead node would be cut by now
                for conn, got in zip(conns, frames, strict=True):
                    assert [f["state"] for f in got if f["kind"] == "status"] == ["connecting", "connected"], conn.token
                    assert sum(f["kind"] == "welcome" for f in got) == 1
            finally:
                await asyncio.gather(*(conn.close() for conn in conns), return_exceptions=True)
                await asyncio.gather(*tasks, return_exceptions=True)
