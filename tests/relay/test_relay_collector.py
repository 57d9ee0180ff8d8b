"""The relay's garbage-collection schedule in a real relay (server/collector.py).

A thorough pass (every object walked) waits until nobody is connected: the relay
says when that is. The real ``serve`` process runs its passes on schedule while
members chat, and ``--lag-log`` says how long each took.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.support.plainpty import seed_group
from tests.support.procs import start_server_process
from tests.support.wsclient import RawClient


async def wait_for(condition, what: str, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_the_relay_is_quiet_only_while_nobody_is_connected(relay, seeded) -> None:
    assert relay.quiet
    async with RawClient(seeded.url, seeded.participants[0].token) as sam:
        await sam.recv_until(lambda f: f.get("kind") == "synced")
        assert not relay.quiet
    await wait_for(lambda: relay.quiet, "the relay to see Sam gone")


async def test_the_serve_process_runs_its_passes_while_members_chat_and_logs_how_long_they_took(tmp_path: Path) -> None:
    data = tmp_path / "data"
    creds = seed_group(data, participants=("Sam", "Alex"))
    lag_log = tmp_path / "lag.log"
    with start_server_process(data, 0, "--collect-every", "0.2", "--lag-log", str(lag_log)) as server:
        async with RawClient(server.url, creds["Dana"]["token"]) as dana, RawClient(server.url, creds["Sam"]["token"]) as sam:
            await dana.wait_ack(await dana.send("session.start", {"title": "Week 3"}))
            for n in range(10):
                await sam.wait_ack(await sam.send("chat.send", {"text": f"line {n}"}))
                await asyncio.sleep(0.15)
            await dana.recv_until(lambda f: f.get("type") == "chat.posted" and f["data"].get("text") == "line 9")
        await wait_for(lambda: lag_log.exists() and "gc_pass n=" in lag_log.read_text(), "a line of the lag log")
        server.stop()
    passes = sum(int(n) for n in re.findall(r"gc_pass n=(\d+)", lag_log.read_text()))
    assert passes >= 5, lag_log.read_text()
