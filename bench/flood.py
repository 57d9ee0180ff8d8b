"""Another group's round trip while one member floods the relay with the costliest frames.

    python bench/flood.py --cycles 8 --window 2

Runs the relay (``python -m server serve``, default limits) as its own process.
Group "calm" has --probers members, each sending a chat line every 1/--probe-rate
seconds and timing its ack (the round trip), while the others of its group
receive every line. Group "flood" has one flooding member and two readers.

First comes a quiet baseline (--cycles x --window seconds, no flooding). Then
flood and rest windows alternate (--window seconds each, --cycles times): a
round trip started in a flood window counts as flooded, one started in a rest
window counts for neither (it shows how fast the relay recovers, printed as
"rest"). The ratio is the flooded p99 over the baseline p99 of the same run.
In a flood window the flooder (its own process) holds as many connections
as the relay lets one member have, and on each sends as fast as the socket
takes them, in turn:

- a valid chat line of the longest allowed text (stored and sent to its group),
- a frame just under the size limit holding lists and maps at the decoding
  limits (decoded, then refused),
- a frame nested as deep as decoding allows,
- garbage that is not msgpack.

When the relay closes a connection (4029 for flooding on, 4009 for a connection
over the member's limit) the flooder reconnects at once, with no resume point,
so it is replayed its group's log each time. The last line is:

    flood quiet_p99_ms=N flood_p99_ms=N ratio=N

The target is a ratio of at most 2. To compare with an older relay, export it
(``git archive COMMIT | tar -x -C /tmp/old``) and pass ``--relay-from /tmp/old``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgpack

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from protocol.codec import COMMAND_ARRAY_LEN, COMMAND_DEPTH, COMMAND_MAP_LEN, MAX_FRAME_BYTES  # noqa: E402
from protocol.messages import MAX_TEXT, PROTOCOL_VERSION  # noqa: E402
from server.limits import MAX_CONNECTIONS_PER_MEMBER  # noqa: E402


def seed(data: Path, probers: int) -> dict[str, list[str]]:
    from server.store import Store

    store = Store(data)
    calm = store.create_group("calm")
    tokens = {"calm": [], "calm_readers": [], "flood": [], "flood_readers": []}
    for i in range(probers):
        tokens["calm"].append(store.add_member(calm, f"prober {i}", "participant")[1])
    for i in range(3):
        tokens["calm_readers"].append(store.add_member(calm, f"reader {i}", "participant")[1])
    flood = store.create_group("flood")
    tokens["flood"].append(store.add_member(flood, "flooder", "participant")[1])
    for i in range(2):
        tokens["flood_readers"].append(store.add_member(flood, f"witness {i}", "participant")[1])
    store.close()
    return tokens


def start_relay(data: Path, source: Path = REPO) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet"],
        cwd=source, env={**os.environ, "PYTHONPATH": str(source)}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("iop-server listening on "):
        proc.kill()
        raise SystemExit(f"the relay did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1]


async def hello(ws, token: str) -> None:
    await ws.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": None, "client": "bench"}))
    async for message in ws:
        if msgpack.unpackb(message, raw=False, strict_map_key=False).get("kind") == "synced":
            return
    raise ConnectionError("closed before synced")


# -- the flooder (its own process) --------------------------------------------------


def costly_frames() -> list[bytes]:
    text = "x" * MAX_TEXT
    chat = [msgpack.packb({"kind": "chat.send", "id": f"f{i}", "data": {"text": text}}) for i in range(64)]
    # Lists and maps at the decoding limits, as many as fit under the size limit.
    row = list(range(COMMAND_ARRAY_LEN))
    wide = {f"k{i}": row for i in range(COMMAND_MAP_LEN - 2)}
    body = []
    while len(msgpack.packb({"kind": "chat.send", "id": "w", "data": {"text": "w", "more": body + [wide]}})) < MAX_FRAME_BYTES - 1024 and len(body) < COMMAND_ARRAY_LEN:
        body.append(wide)
    big = msgpack.packb({"kind": "chat.send", "id": "w", "data": {"text": "w", "more": body}})
    nested: object = 1
    for _ in range(COMMAND_DEPTH - 3):  # as deep as decoding allows under the frame's two maps
        nested = [nested] * 9
    deep = msgpack.packb({"kind": "chat.send", "id": "d", "data": {"text": nested}})
    garbage = b"\xc1" * 1000
    frames = []
    for i, c in enumerate(chat):
        frames += [c, big, deep, garbage] if i % 4 == 0 else [c]
    return frames


async def flood_connection(url: str, token: str, frames: list[bytes], on: mp.Event, counts: dict) -> None:
    while True:
        while not on.is_set():
            await asyncio.sleep(0.05)
        try:
            async with connect(url, compression=None, max_size=None, open_timeout=10, close_timeout=1) as ws:
                counts["connections"] += 1
                await ws.send(msgpack.packb({"kind": "hello", "v": PROTOCOL_VERSION, "token": token, "resume_from": None}))

                async def drain() -> None:
                    try:
                        async for _ in ws:
                            pass
                    except ConnectionClosed:
                        pass

                reader = asyncio.create_task(drain())
                i = 0
                while on.is_set():
                    await ws.send(frames[i % len(frames)])
                    counts["frames"] += 1
                    i += 1
                reader.cancel()
        except (ConnectionClosed, OSError, TimeoutError) as exc:
            code = getattr(getattr(exc, "rcvd", None), "code", None)
            counts[f"closed {code}"] = counts.get(f"closed {code}", 0) + 1


def flooder_main(url: str, token: str, on: mp.Event, stop: mp.Event, results: mp.Queue) -> None:
    async def run() -> None:
        frames = costly_frames()
        counts = {"connections": 0, "frames": 0}
        tasks = [asyncio.create_task(flood_connection(url, token, frames, on, counts)) for _ in range(MAX_CONNECTIONS_PER_MEMBER)]
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
        results.put(counts)

    asyncio.run(run())


# -- the probers -------------------------------------------------------------------


async def probe(url: str, token: str, rate: float, until: float, flooding: mp.Event, phase: list, samples: dict) -> None:
    async with connect(url, compression=None, max_size=None) as ws:
        await hello(ws, token)
        n = 0
        while time.monotonic() < until:
            n += 1
            cid = f"p{n}"
            started_in = phase[0]
            t0 = time.perf_counter()
            await ws.send(msgpack.packb({"kind": "chat.send", "id": cid, "data": {"text": f"probe {n}"}}))
            async for message in ws:
                frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
                if frame.get("kind") in ("ack", "error") and frame.get("id") == cid:
                    break
            rtt = time.perf_counter() - t0
            if started_in == phase[0]:  # a sample that straddles a switch counts for neither
                samples[started_in].append(rtt)
            await asyncio.sleep(1 / rate)


async def reader(url: str, token: str, until: float) -> None:
    async with connect(url, compression=None, max_size=None) as ws:
        await hello(ws, token)
        while time.monotonic() < until:
            try:
                await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                pass


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else float("nan")


async def main_async(args, url: str, tokens: dict[str, list[str]], flooding: mp.Event) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"quiet": [], "flood": [], "rest": [], "start": []}
    phase = ["start"]
    total = 3 * args.cycles * args.window
    until = time.monotonic() + total + 1.0
    tasks = [asyncio.create_task(reader(url, t, until)) for t in tokens["calm_readers"] + tokens["flood_readers"]]
    tasks += [asyncio.create_task(probe(url, t, args.probe_rate, until, flooding, phase, samples)) for t in tokens["calm"]]
    await asyncio.sleep(0.5)
    phase[0] = "quiet"
    await asyncio.sleep(args.cycles * args.window)
    for _ in range(args.cycles):
        phase[0] = "flood"
        flooding.set()
        await asyncio.sleep(args.window)
        phase[0] = "rest"
        flooding.clear()
        await asyncio.sleep(args.window)
    await asyncio.gather(*tasks)
    return samples


def p50(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000 if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description="Another group's p99 round trip while one member floods the relay.")
    parser.add_argument("--cycles", type=int, default=8, help="flood + rest windows (the quiet baseline lasts as long as the flood windows)")
    parser.add_argument("--window", type=float, default=2.0, help="seconds per window")
    parser.add_argument("--probers", type=int, default=4, help="members of the calm group timing their acks")
    parser.add_argument("--probe-rate", type=float, default=8.0, help="chat lines a second per prober (under the rate limit)")
    parser.add_argument("--relay-from", type=Path, default=REPO, help="run the relay from this checkout (e.g. an export of an older commit, to compare)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flood-") as tmp:
        data = Path(tmp)
        tokens = seed(data, args.probers)
        relay, url = start_relay(data, args.relay_from.resolve())
        flooding, stop, results = mp.Event(), mp.Event(), mp.Queue()
        flooder = mp.Process(target=flooder_main, args=(url, tokens["flood"][0], flooding, stop, results), daemon=True)
        flooder.start()
        try:
            samples = asyncio.run(main_async(args, url, tokens, flooding))
            stop.set()
            counts = results.get(timeout=30)
            flooder.join(10)
        finally:
            relay.send_signal(signal.SIGTERM)
            relay.wait(30)
    quiet_p99, loud_p99 = p99(samples["quiet"]), p99(samples["flood"])
    ratio = loud_p99 / quiet_p99 if quiet_p99 else float("inf")
    print(f"flooder: {counts}", flush=True)
    for name in ("quiet", "flood", "rest"):
        got = samples[name]
        print(f"{name}: {len(got)} round trips, p50={p50(got):.1f} ms p99={p99(got):.1f} ms", flush=True)
    print(f"flood quiet_p99_ms={quiet_p99:.1f} flood_p99_ms={loud_p99:.1f} ratio={ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
