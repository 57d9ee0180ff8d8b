"""The thinnest room broadcast: websockets + msgpack, no auth, no storage.

The baseline for ``bench/relay_load.py``: a client connects to ``/room/NAME``;
every binary message it sends is decoded, given the room's next seq and
broadcast (encoded once) to everyone in the room, the sender included.

    python bench/raw_broadcast.py --port 0   # prints "raw listening on ws://HOST:PORT/"
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal

import msgpack
from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed


class Room:
    __slots__ = ("members", "seq")

    def __init__(self) -> None:
        self.members: set = set()
        self.seq = 0


rooms: dict[str, Room] = {}


async def handle(ws) -> None:
    room = rooms.setdefault(ws.request.path, Room())
    room.members.add(ws)
    try:
        async for message in ws:
            data = msgpack.unpackb(message, raw=False)
            room.seq += 1
            broadcast(room.members, msgpack.packb({"kind": "event", "seq": room.seq, "data": data}))
    except ConnectionClosed:
        pass
    finally:
        room.members.discard(ws)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(handle, args.host, args.port, compression=None, max_size=256 * 1024, ping_interval=20, ping_timeout=20) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"raw listening on ws://{args.host}:{port}/", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
