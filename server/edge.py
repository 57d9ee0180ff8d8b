"""The websocket edge: handshake, limits and frames in; the hub does the rest.

:class:`RelayServer` runs a websockets 17 asyncio server. For each connection
it waits for ``hello`` (10 s), checks the token against the store, hands the
connection to the hub as a :class:`Connection` (welcome, then a replay paced
by how fast the member reads) and then reads commands: rate limit (one token
bucket per member), size limit, decode, validate, queue on the hub. Every bad
frame gets an ``error`` frame with a code and the connection stays open.

Sizes: websockets accepts messages up to ``4 * MAX_FRAME_BYTES``; a message
over ``MAX_FRAME_BYTES`` but within that gets a ``too_large`` error and the
connection stays open. A bigger message makes websockets close the
connection with 1009 (message too big) before it is even read.

Writes never wait: :meth:`Connection.write` queues a frame on the connection's
websocket protocol and the :class:`Outbox` hands each connection's frames to
its socket in one write at the end of the loop turn (never awaiting a drain),
so a slow reader never slows anyone else; a connection whose unsent backlog
passes ``send_buffer`` bytes is closed with 4008 and may resume later.

Close codes: 4001 unauthorized (also when revoked while connected), 4002
unsupported version, 4003 removed from the group, 4008 too slow, 1008 no
hello, 1009 message too big, 1001 server shutting down.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from protocol.codec import MAX_FRAME_BYTES, decode, encode
from protocol.errors import ErrorCode, ProtocolError
from protocol.messages import Hello, Limits, error_frame, parse_command, parse_hello

from .hub import PRESENCE_GRACE, Hub
from .quota import Quota
from .limits import DEFAULT_BURST, DEFAULT_RATE_PER_S, DEFAULT_SEND_BUFFER, HELLO_TIMEOUT
from .store import MemberRecord, Store, hash_token

__all__ = [
    "RelayServer",
    "Connection",
    "CLOSE_UNAUTHORIZED",
    "CLOSE_UNSUPPORTED_VERSION",
    "CLOSE_REMOVED",
    "CLOSE_TOO_SLOW",
    "raise_open_files_limit",
]

log = logging.getLogger("iop.server")

CLOSE_UNAUTHORIZED = 4001
CLOSE_UNSUPPORTED_VERSION = 4002
CLOSE_REMOVED = 4003
CLOSE_TOO_SLOW = 4008
CLOSE_POLICY = 1008
#: Ways a connection ends that mean the link broke, not that the member left:
#: no close frame (1006), a keepalive timeout (1011), too slow to keep up (4008).
LOST_CLOSE_CODES = frozenset({None, 1006, 1011, CLOSE_TOO_SLOW})


def raise_open_files_limit() -> None:
    """Raise the soft open-files limit to the hard limit: each member is a socket."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


class Outbox:
    """Connections with frames queued during this turn of the event loop.

    Frames are queued on each connection's websocket protocol as they are
    decided and written out together at the end of the turn: one socket write
    per connection per turn, however many events and acks it got.
    """

    __slots__ = ("_dirty", "_scheduled")

    def __init__(self) -> None:
        self._dirty: list[Connection] = []
        self._scheduled = False

    def add(self, conn: "Connection") -> None:
        self._dirty.append(conn)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.send_queued()


class Connection:
    """One member's websocket, as the hub sees it: identity plus non-blocking writes."""

    __slots__ = (
        "ws", "member_id", "name", "role", "group_id", "send_buffer", "live", "cursor",
        "_queued", "closing", "_outbox", "_tasks", "_on_close", "lost", "token_hash",
    )

    def __init__(
        self, ws: ServerConnection, member_id: int, name: str, role: str, group_id: int,
        send_buffer: int, outbox: Outbox, tasks: set, on_close,
    ) -> None:
        self.ws = ws
        self.member_id = member_id
        self.name = name
        self.role = role
        self.group_id = group_id
        self.send_buffer = send_buffer
        self._queued = False
        self.live = False
        self.cursor = 0
        self.closing = False
        self.lost = False  # the link broke rather than being closed: the member is "reconnecting"
        self.token_hash: str | None = None  # the token it joined with: a new one closes it
        self._outbox = outbox
        self._tasks = tasks
        self._on_close = on_close

    def write(self, data: bytes) -> None:
        """Queue one frame; it goes out at the end of this loop turn, never waiting."""
        if self.closing:
            return
        protocol = self.ws.protocol
        if protocol.state is not State.OPEN:
            return
        protocol.send_binary(data)
        if not self._queued:
            self._queued = True
            self._outbox.add(self)

    def send_queued(self) -> None:
        """Hand every queued frame to the socket in one write; close the connection if it lags."""
        self._queued = False
        ws = self.ws
        chunks = ws.protocol.data_to_send()
        transport = ws.transport
        if not chunks or transport.is_closing():
            return
        data = [chunk for chunk in chunks if chunk]
        transport.writelines(data)
        if len(data) < len(chunks) and transport.can_write_eof():
            transport.write_eof()  # websockets' end-of-stream marker, written as it does
        if transport.get_write_buffer_size() > self.send_buffer:
            self.close(CLOSE_TOO_SLOW, "Too far behind; reconnect to resume.")

    async def drain(self) -> None:
        """Send what is queued, then wait until the socket's buffer is low again
        (yielding to the loop at least once, so a long replay never hogs it)."""
        self.send_queued()
        try:
            await self.ws.drain()
            await asyncio.sleep(0)
        except OSError:
            pass  # the connection is gone; its handler ends with ConnectionClosed
        if self.ws.protocol.state is not State.OPEN:
            self.closing = True  # nothing more to write: stop a replay early

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        loop = asyncio.get_running_loop()
        # Leave the room now (not mid fan-out: on the next loop turn), even if
        # the closing handshake waits for a reader that stopped reading.
        loop.call_soon(self._on_close, self)
        task = loop.create_task(self.ws.close(code, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class RelayServer:
    """The relay: a store, a hub and a websocket server.

    Use as ``async with RelayServer(data_dir) as relay:``; ``relay.url`` is
    where clients connect, ``relay.store`` the open :class:`Store`.
    """

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        hello_timeout: float = HELLO_TIMEOUT,
        send_buffer: int = DEFAULT_SEND_BUFFER,
        durable: bool = False,
        presence_grace: float = PRESENCE_GRACE,
        quota: Quota | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.quota = quota
        self.presence_grace = presence_grace
        self.host = host
        self.port = port
        self.rate_per_s = float(rate_per_s)
        self.burst = int(burst)
        self.hello_timeout = hello_timeout
        self.send_buffer = send_buffer
        self.durable = durable
        self.limits = Limits(MAX_FRAME_BYTES, self.rate_per_s, self.burst)
        self.store: Store | None = None
        self.hub: Hub | None = None
        self._server = None
        self._tasks: set[asyncio.Task] = set()
        self._outbox = Outbox()
        self._buckets: dict[int, list[float]] = {}  # member_id -> [tokens, last refill]

    async def __aenter__(self) -> "RelayServer":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def start(self) -> None:
        raise_open_files_limit()
        self.store = Store(self.data_dir, durable=self.durable, background_checkpoints=True)
        self.hub = Hub(self.store, self.limits, presence_grace=self.presence_grace, quota=self.quota)
        self._stopping = asyncio.Event()
        self._housekeeper = asyncio.get_running_loop().create_task(self._housekeeping())
        try:
            self._server = await serve(
                self._handle,
                self.host,
                self.port,
                max_size=4 * MAX_FRAME_BYTES,
                compression=None,
                ping_interval=20,
                ping_timeout=20,
                max_queue=64,
            )
        except BaseException:
            self._stopping.set()
            await self._housekeeper
            self.store.close()
            raise
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"ws://{host}:{self.port}/"

    async def serve_forever(self) -> None:
        await self._server.wait_closed()

    async def stop(self) -> None:
        """Answer what is queued, close every connection with 1001, close the store."""
        if self._server is None:
            return
        server, self._server = self._server, None
        self.hub.close()
        server.close()
        await server.wait_closed()
        self._stopping.set()
        await self._housekeeper  # never cancelled mid-checkpoint: the thread shares the store
        self.store.close()

    async def _housekeeping(self, every: float = 1.0) -> None:
        """Once a second: close connections of members revoked meanwhile (the CLI
        may revoke while the server runs), and keep the WAL short from a worker
        thread so the event loop never waits for a checkpoint."""
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), every)
                return
            except TimeoutError:
                pass
            try:
                self.hub.close_revoked()
                await asyncio.to_thread(self.store.checkpoint)
            except Exception:
                log.exception("housekeeping failed (checkpoint or revocations); will retry")

    # -- one connection -----------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        accepted = await self._handshake(ws)
        if accepted is None:
            return
        conn, member, hello = accepted
        try:
            # join() welcomes and registers; catch_up() replays at the pace
            # the member reads, then makes the connection live.
            self.hub.join(conn, member, hello)
            await self.hub.catch_up(conn)
            await self._read_commands(conn)
        except ConnectionClosed:
            pass
        finally:
            conn.lost = ws.close_code in LOST_CLOSE_CODES
            self.hub.leave(conn)

    async def _refuse(self, ws: ServerConnection, err: ProtocolError, code: int) -> None:
        try:
            await ws.send(encode(error_frame(err)))
            await ws.close(code, err.code)
        except ConnectionClosed:
            pass

    async def _handshake(self, ws: ServerConnection) -> tuple[Connection, MemberRecord, Hello] | None:
        try:
            message = await asyncio.wait_for(ws.recv(), self.hello_timeout)
        except TimeoutError:
            await self._refuse(
                ws,
                ProtocolError(ErrorCode.HANDSHAKE, f"No hello arrived within {self.hello_timeout:g} seconds; reconnect and send hello first."),
                CLOSE_POLICY,
            )
            return None
        except ConnectionClosed:
            return None
        try:
            frame = decode(message)
            if frame.get("kind") != "hello":
                raise ProtocolError(ErrorCode.HANDSHAKE, "The first frame must be hello; send hello before any command.")
            hello = parse_hello(frame)
        except ProtocolError as err:
            code = {
                ErrorCode.UNSUPPORTED_VERSION: CLOSE_UNSUPPORTED_VERSION,
                ErrorCode.UNAUTHORIZED: CLOSE_UNAUTHORIZED,
            }.get(err.code, CLOSE_POLICY)
            await self._refuse(ws, err, code)
            return None
        member = self.store.member_for_token(hello.token)
        if member is None or member.revoked:
            await self._refuse(
                ws,
                ProtocolError(ErrorCode.UNAUTHORIZED, "This join token is unknown or was revoked; ask your facilitator for a new invitation."),
                CLOSE_UNAUTHORIZED,
            )
            return None
        if ws.protocol.state is not State.OPEN:
            return None
        conn = Connection(ws, member.id, member.name, member.role, member.group_id, self.send_buffer, self._outbox, self._tasks, self.hub.leave)
        conn.token_hash = hash_token(hello.token)
        return conn, member, hello

    async def _read_commands(self, conn: Connection) -> None:
        ws = conn.ws
        hub = self.hub
        loop = asyncio.get_running_loop()
        rate, burst = self.rate_per_s, float(self.burst)
        # One bucket per member, shared by all their connections and kept
        # across reconnects: more connections never mean a higher rate.
        bucket = self._buckets.setdefault(conn.member_id, [burst, loop.time()])
        while True:
            message = await ws.recv()
            now = loop.time()
            tokens = min(burst, bucket[0] + (now - bucket[1]) * rate)
            bucket[1] = now
            try:
                if tokens < 1.0:
                    bucket[0] = tokens
                    raise ProtocolError(
                        ErrorCode.RATE_LIMITED,
                        f"Too many messages at once (limit {rate:g} per second); wait a moment and send again.",
                        _peek_id(message),
                    )
                bucket[0] = tokens - 1.0
                frame = decode(message)
                if frame.get("kind") == "hello":
                    raise ProtocolError(ErrorCode.HANDSHAKE, "This connection already said hello; send commands now.")
                command = parse_command(frame)
            except ProtocolError as err:
                conn.write(encode(error_frame(err)))
                continue
            hub.submit(conn, command)


def _peek_id(message: Any) -> str | None:
    """The command id of a frame we refuse without reading, when it can be seen cheaply."""
    try:
        frame = decode(message)
    except ProtocolError:
        return None
    cid = frame.get("id")
    return cid if isinstance(cid, str) and len(cid) <= 64 else None
