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

from tests.relay.test_fleet import members, seeded_pg
from tests.support.audit import Auditor, free_port, settle
from tests.support.fleet import LIMITS, Fleet, serve_has_node_flags
from tests.support.pg import fresh_schema
from tests.support.procs import REPO

TIMEOUT = 30

pytestmark = [
    pytest.mark.skipif(shutil.which("haproxy") is None or shutil.which("openssl") is None, reason="haproxy or openssl is not installed"),
    pytest.mark.skipif(not serve_has_node_flags(), reason="serve has no --node-id (placement: branch nodes)"),
]


def page_config(port: int, pem: str, nodes: list[int]) -> str:
    page = (REPO / "docs" / "deployment.md").read_text()
    found = re.search(r"<!-- haproxy.cfg begins -->\n```haproxy\n(.*?)```\n<!-- haproxy.cfg ends -->", page, re.S)
    assert found, "docs/deployment.md lost its haproxy.cfg block"
    cfg = found.group(1).replace("bind :443", f"bind 127.0.0.1:{port}").replace("/etc/haproxy/relay.pem", pem)
    cfg = re.sub(r"maxconn \d+", "maxconn 2000", cfg)  # this machine's open-files limit, not a clinic's
    lines = [line for line in cfg.splitlines() if not line.strip().startswith("server ")]
    lines += [f"    server node-{i + 1} 127.0.0.1:{p} check" for i, p in enumerate(nodes)]
    return "\n".join(lines) + "\n"


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


async def test_members_over_tls_through_the_pages_haproxy_survive_their_owner_being_killed(tmp_path, monkeypatch):
    cert, pem = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the client trusts the test's certificate
    port = free_port()
    with fresh_schema() as url:
        (seeded,) = seeded_pg(url)
        async with Fleet(url, 2, tmp_path, extra=(*LIMITS, "--trusted-proxy", "127.0.0.1")) as fleet:
            cfg = tmp_path / "haproxy.cfg"
            cfg.write_text(page_config(port, pem, [n.port for n in fleet.nodes]))
            haproxy = await asyncio.to_thread(start_haproxy, cfg)
            auditor = Auditor()
            clients = []
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
                clients = members(auditor, f"wss://localhost:{port}/", seeded)
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
                assert fleet.owner(seeded.group_id) not in (None, owner)
                report = fleet.audit(auditor)
                print(report.summary())
                assert report.ok, report.summary()
                assert report.acked == 82
                assert sum(log.resumes for log in auditor.logs) >= len(clients)
            finally:
                await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
                haproxy.terminate()
                haproxy.wait(10)
