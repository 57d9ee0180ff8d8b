"""The websocket edge: handshake, limits and frames in; the hub does the rest.

:class:`RelayServer` runs a websockets 17 asyncio server. For each connection
it waits for ``hello`` (10 s), checks the token against the store, hands the
connection to the hub as a :class:`Connection` (welcome, then a replay paced
by how fast the member reads) and then reads commands: rate limit (one token
bucket per member, counted on the raw frame before it is decoded), size limit,
decode (bounded: :func:`protocol.codec.decode_command`), validate, queue on
the hub. Every bad frame within the rate gets an ``error`` frame with a code
and the connection stays open. Past the rate, frames are dropped unread: the
first of a burst gets one ``rate_limited`` error, and a connection that sends
a further ``burst`` frames regardless is cut with 4029 (nothing more is read),
and the member's new connections are held, unread, until ``flood_penalty`` s
have passed.

A member holds at most ``max_connections_per_member`` connections (3): a
newer one closes the oldest with 4009, so a member back from a cut is never
locked out by its own half-open sockets. An address (but a load balancer's,
``trusted_proxies``) holds at most ``max_pending_per_address`` connections that have not yet said a valid hello
(64); more are closed as soon as they are accepted. Errors of the server
itself (an accept that fails for want of file descriptors, a refused address)
are logged once per ``LOG_INTERVAL`` with a count, never with a traceback.

Sizes: websockets accepts messages up to ``4 * MAX_FRAME_BYTES``; a message
over ``MAX_FRAME_BYTES`` but within that gets a ``too_large`` error and the
connection stays open. A bigger message makes websockets close the
connection with 1009 (message too big) before it is even read.

Writes never wait: :meth:`Connection.write` queues a frame on the connection's
websocket protocol and the :class:`Outbox` hands each connection's frames to
its socket in one write at the end of the loop turn (never awaiting a drain),
so a slow reader never slows anyone else; a connection whose unsent backlog
passes ``send_buffer`` bytes is closed with 4008 and may resume later. A
message written to many connections (an event's fan-out) is framed once per
turn (:meth:`Outbox.framed`) and the same bytes are queued on each, in order
with websockets' own frames (pongs, close frames).

Close codes (:class:`protocol.errors.CloseCode`): 4001 unauthorized (also
when revoked while connected), 4002 unsupported version, 4003 removed from the
group, 4008 too slow, 4009 replaced by a newer connection of the same member,
4029 kept flooding after a rate_limited error, 1008 no hello, 1009 message too
big (websockets' own), 1001 server shutting down.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import itertools
import logging
import math
import os
import socket
import resource
import time
from asyncio.constants import ACCEPT_RETRY_DELAY
from pathlib import Path
from collections.abc import Callable
from typing import Any, cast

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from protocol.codec import MAX_FRAME_BYTES, decode_command, encode, frame_cost
from protocol.errors import CloseCode, ErrorCode, ProtocolError, hello_close_code
from protocol.messages import Hello, Limits, error_frame, parse_command, parse_hello
from protocol.roles import GUEST
from protocol.route import route_frame, route_in_cookies, valid_route
from protocol.schedule import ReminderPrefs, clean_email, clean_phone, parse_quiet

from .hub import PRESENCE_GRACE, RELEASE_IDLE, Hub
from .quota import Quota
from .notify import SMTP_TIMEOUT, Notifier, SmtpSettings
from .oncall import ON_CALL_AFTER, OnCall
from .reminders import REMINDER_EVERY, REMINDER_LEASE, Reminders, SmsSettings
from .schedule import Schedules
from .limits import (
    DEFAULT_BURST,
    DEFAULT_RATE_PER_S,
    DEFAULT_SEND_BUFFER,
    FLOOD_PENALTY,
    HELLO_TIMEOUT,
    LOG_INTERVAL,
    MAX_CONNECTIONS_PER_MEMBER,
    MAX_PENDING_PER_ADDRESS,
    MESSAGE_QUEUE,
)
from .store import MemberRecord, Store, hash_token, is_store_url, open_store
from .forward import DONE, MOVED, NODE_HEADER, REFUSED, Splice, forward
from .placement import LEASE, Local, Moved, PgPlacement, Placement, PlacementError, SinglePlacement
from .writer import Writer

__all__ = [
    "RelayServer",
    "Connection",
    "raise_open_files_limit",
]

#: The path a load balancer's health check asks (``GET /healthz``: 200 serving, 503 not).
HEALTH_PATH = "/healthz"

log = logging.getLogger("iop.server")

#: Ways a connection ends that mean the link broke, not that the member left:
#: no close frame (1006), a keepalive timeout (1011), too slow to keep up (4008).
LOST_CLOSE_CODES = frozenset({None, 1006, 1011, CloseCode.TOO_SLOW})


#: Connections the kernel may hold completed for the relay before it accepts them (asyncio's
#: default is 100; the kernel caps it at net.core.somaxconn). When an owner dies, a thousand
#: members reconnect within a second while the loop is busy claiming and joining: past the
#: queue, the kernel drops their handshakes and each retries a second or more later
#: (the bench at 300 groups x 10: TcpExtListenOverflows counted them).
LISTEN_BACKLOG = 4096

_RELAYS = itertools.count()


def raise_open_files_limit() -> None:
    """Raise the soft open-files limit to the hard limit: each member is a socket."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


class OncePerInterval:
    """Say a recurring problem once per ``interval`` seconds, with how often it recurred.

    ``note(key)`` returns None while the problem is being counted, or the number
    of times it happened since it was last said (1 the first time).
    """

    def __init__(self, interval: float = LOG_INTERVAL, clock=None) -> None:
        self.interval = interval
        self._clock = clock
        self._seen: dict[str, list[float]] = {}  # key -> [last said, count since]

    def note(self, key: str) -> int | None:
        now = (self._clock or asyncio.get_running_loop().time)()
        entry = self._seen.get(key)
        if entry is None or now - entry[0] >= self.interval:
            count = 1 if entry is None else int(entry[1]) + 1
            self._seen[key] = [now, 0]
            return count
        entry[1] += 1
        return None


class _EdgeConnection(ServerConnection):
    """A websocket connection that counts against its address until it says hello."""

    def __init__(self, *args: Any, relay: RelayServer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relay = relay
        self.pending_address: str | None = None
        self.hello_raw: bytes | str = b""  # the member's hello as it came (forwarded unchanged: issue 16)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.relay._admit(self, cast(asyncio.Transport, transport))  # a stream server's transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay._settle(self)
        super().connection_lost(exc)


def _frames_waiting(ws: ServerConnection) -> bool:
    """Whether websockets has frames read for ``ws`` that recv() would return without waiting
    (its assembler's queue; websockets 17). Unknown: True, as before this check."""
    frames = getattr(getattr(ws, "recv_messages", None), "frames", None)
    return True if frames is None else len(frames) > 0


class Outbox:
    """Connections with frames queued during this turn of the event loop.

    Frames are queued on each connection's websocket protocol as they are
    decided and written out together at the end of the turn: one socket write
    per connection per turn, however many events and acks it got.

    A server's frames are unmasked and the relay runs no extension
    (``compression=None``), so one message's frame is the same bytes for every
    recipient: :meth:`framed` frames each message once per turn (websockets'
    own :class:`~websockets.frames.Frame` serialises it), not once per recipient.
    """

    __slots__ = ("_dirty", "_scheduled", "_framed")

    def __init__(self) -> None:
        self._dirty: list[Connection] = []
        self._scheduled = False
        # id(message) -> (message, its frame). Holding the message keeps its id from being
        # reused by another object until the end of the turn, when this is emptied.
        self._framed: dict[int, tuple[bytes, bytes]] = {}

    def framed(self, data: bytes) -> bytes:
        """The websocket frame (binary, final, unmasked) carrying ``data``, framed once per turn."""
        entry = self._framed.get(id(data))
        if entry is None:
            entry = self._framed[id(data)] = (data, Frame(Opcode.BINARY, data).serialize(mask=False))
        return entry[1]

    def add(self, conn: Connection) -> None:
        self._dirty.append(conn)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        self._framed.clear()
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
        if protocol.extensions or protocol.expect_continuation_frame:
            protocol.send_binary(data)  # never with this relay's settings; kept exact
        else:
            # The frame framed once for every recipient, queued with the protocol's own output
            # (a pong, a close frame), so what websockets sends later keeps its place after it.
            protocol.writes.append(self._outbox.framed(data))
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
            self.close(CloseCode.TOO_SLOW, "Too far behind; reconnect to resume.")

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

    def cut(self, code: CloseCode, reason: str) -> None:
        """Close at once: send what is queued and a close frame, then end the TCP
        connection without reading anything more (no waiting for the peer's reply)."""
        if self.closing:
            return
        self.closing = True
        asyncio.get_running_loop().call_soon(self._on_close, self)
        ws = self.ws
        if ws.protocol.state is State.OPEN:
            ws.protocol.send_close(code, reason)
        self.send_queued()
        ws.transport.close()

    def close(self, code: CloseCode, reason: str) -> None:
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

    #: Load balancers in front (``serve --trusted-proxy``): every member behind one comes from
    #: its address, so its connections are not held to ``max_pending_per_address`` (the
    #: balancer limits each member's connections itself: docs/deployment.md).
    trusted_proxies: frozenset[str] = frozenset()

    def __init__(
        self,
        data_dir: Path | str,
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
        max_pending_per_address: int = MAX_PENDING_PER_ADDRESS,
        max_connections_per_member: int = MAX_CONNECTIONS_PER_MEMBER,
        flood_penalty: float = FLOOD_PENALTY,
        smtp: SmtpSettings | None = None,
        on_call_after: float = ON_CALL_AFTER,
        sms: SmsSettings | None = None,
        reminder_every: float = REMINDER_EVERY,
        reminder_lease: float = REMINDER_LEASE,
        node_id: str | None = None,
        internal_url: str | None = None,
        internal_secret: str | None = None,
        lease: float = LEASE,
        release_idle: float | None = None,
    ) -> None:
        # -- several nodes (issue 16): server/placement.py, server/forward.py --
        serial = next(_RELAYS)  # relays in one process (tests) are distinct nodes
        self.node_id = node_id or f"{socket.gethostname()}-{os.getpid()}" + (f"-{serial}" if serial else "")
        self.internal_url = internal_url
        self.internal_secret = internal_secret if internal_secret is not None else os.environ.get("IOP_INTERNAL_SECRET", "")
        self.lease = lease
        #: Seconds a quiet room stays loaded before it is unloaded and its group released (Hub.idle_rooms);
        #: None: RELEASE_IDLE on PostgreSQL, never on a SQLite folder.
        self.release_idle = release_idle if release_idle is not None else RELEASE_IDLE if is_store_url(data_dir) else math.inf
        self.placement: Placement = SinglePlacement()
        self._splices: set[Splice] = set()  # members forwarded to other nodes, byte for byte
        # A SQLite folder, or a postgresql:// URL (issue 16: server/store_pg.py).
        self.data_dir: Path | str = data_dir if is_store_url(data_dir) else Path(data_dir)
        # -- schedules and reminders (issue 15a) --
        self.sms = sms
        self.reminder_every = reminder_every
        self.reminder_lease = reminder_lease
        self.reminders: Reminders | None = None
        self._reminder_task: asyncio.Task | None = None
        self._schedule_revisions: dict[int, int] = {}
        self._schedules: Schedules
        self.smtp = smtp
        self.on_call_after = on_call_after
        self.oncall: OnCall | None = None
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
        self.store: Store  # opened by start()
        self.hub: Hub  # made by start()
        self._server: Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._outbox = Outbox()
        self._buckets: dict[int, list[float]] = {}  # member_id -> [tokens, last refill]
        self.max_pending_per_address = max_pending_per_address
        self.max_connections_per_member = max_connections_per_member
        self._pending: dict[str, int] = {}  # address -> connections not yet past hello
        self._members: dict[int, list[Connection]] = {}  # member_id -> open connections, oldest first
        self.flood_penalty = flood_penalty
        self._benched: dict[int, float] = {}  # member_id -> loop time until which new connections are refused
        self._said = OncePerInterval()
        self._accept_failed_at = -math.inf  # loop time of the last accept refused for want of file descriptors
        self._old_exception_handler: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None = None

    async def __aenter__(self) -> RelayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def quiet(self) -> bool:
        """Nobody is connected here: no member, none forwarded to another node, no hello pending."""
        return not self._members and not self._splices and not self._pending

    async def start(self) -> None:
        raise_open_files_limit()
        self.store = open_store(self.data_dir, durable=self.durable, background_checkpoints=True)
        self.hub = Hub(self.store, self.limits, presence_grace=self.presence_grace, quota=self.quota)
        # The tail (issue 16): batches commit on a second connection, on the loop when the commit
        # cannot wait on the disk or the network, else on a thread of its own (server/writer.py).
        self.hub.use_writer(Writer(open_store(self.data_dir, durable=self.durable, background_checkpoints=True)))
        self.store.checkpoint()  # opens the checkpoint connection now, before load can use up file descriptors
        self._make_placement()  # after the writer: its connection checks the same epochs (_share_fence)
        self._schedule_revisions = self.store.schedule_revisions()
        self._schedules = Schedules(self.store)
        self.hub.side_writes["reminders.set"] = self._save_reminder_choice
        # A landed batch's acks and events go to the sockets at once, not at the end of a loop turn
        # that may hold many members' reads first (issue 16, the tail): one hop less per chat.
        self.hub.on_landed = self._outbox.flush
        self._stopping = asyncio.Event()
        self._housekeeper = asyncio.get_running_loop().create_task(self._housekeeping())
        loop = asyncio.get_running_loop()
        self._old_exception_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._loop_exception)
        try:
            self._server = await serve(
                self._handle,
                self.host,
                self.port,
                max_size=4 * MAX_FRAME_BYTES,
                compression=None,
                ping_interval=20,
                ping_timeout=20,
                max_queue=MESSAGE_QUEUE,
                open_timeout=self.hello_timeout,
                # websockets types this as a class; it calls any factory of connections the same way.
                create_connection=functools.partial(_EdgeConnection, relay=self),  # type: ignore[arg-type]
                process_request=self._health_check,
                backlog=LISTEN_BACKLOG,
            )
        except BaseException:
            self._stopping.set()
            await self._housekeeper
            if self.hub.writer is not None:
                self.hub.writer.close()
            self.store.close()
            loop.set_exception_handler(self._old_exception_handler)
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        if self.placement.several and self.internal_url is None and self.host in ("0.0.0.0", "::", ""):
            log.warning("Listening on every address: give --internal-url with an address the other relay nodes can reach")
        self._share_fence()  # (again: a commit thread made after the placement shares it too)
        try:
            await self.placement.start(self.internal_url or self.url)
        except BaseException:
            self._server.close()
            self._server = None
            self._stopping.set()
            await self._housekeeper
            self.store.close()
            loop.set_exception_handler(self._old_exception_handler)
            raise
        # Only a relay that listens sends: one that could not (a port in use) claimed reminders
        # that the relay which did start then waited a lease for (found by qaf). Nothing is
        # awaited until these exist, so no connection is handled before them.
        if self.smtp is not None:
            self.oncall = OnCall(self.hub, Notifier(self.smtp), after=self.on_call_after, placement=self.placement, lease=self.reminder_lease)
            self.oncall.resume()
            self.oncall.start()
        elif self.store.groups_on_call():
            log.warning("Some groups have an on-call address but no mail server is set; start with --smtp-host to email urgent requests.")
        if self.smtp is not None or self.sms is not None:
            notifier = Notifier(self.smtp) if self.smtp is not None else None
            self.reminders = Reminders(
                open_store(self.data_dir, durable=self.durable),  # the reminders' own connection, off the loop
                notifier, self.sms, every=self.reminder_every, lease=self.reminder_lease,
            )
            self._reminder_task = asyncio.get_running_loop().create_task(self.reminders.run())
            await self.reminders.first_looked.wait()  # the first look for reminders due is done before start() returns, as it always was

    def connections(self, member_id: int) -> list[Connection]:
        """The member's open connections, oldest first."""
        return list(self._members.get(member_id, ()))

    # -- what the server says about itself ------------------------------------------

    def _say(self, key: str, message: str) -> None:
        """Log ``message`` as a warning, at most once per interval for ``key``."""
        count = self._said.note(key)
        if count is not None:
            log.warning("%s%s", message, f" ({count - 1} more like it since the last report)" if count > 1 else "")

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The event loop's errors (a failed accept when file descriptors run out):
        one line per kind and interval, no traceback."""
        message = str(context.get("message") or "unexpected error in the event loop")
        exc = context.get("exception")
        if self._server is None and isinstance(exc, ValueError) and "_start_serving" in repr(context.get("handle")):
            # asyncio's accept retry (due a second after an accept failed for want of file
            # descriptors) found the listening socket already closed by stop(): nothing to do.
            return
        if isinstance(exc, OSError):
            self._accept_failed_at = loop.time()
            self._say(f"loop:{message}", f"{message}: {exc}; raise the open-files limit or find who holds the connections")
        elif self._said.note(f"loop:{message}") is not None:
            loop.default_exception_handler(context)  # a defect: keep its traceback, once per interval

    # -- admission ---------------------------------------------------------------

    def _admit(self, ws: _EdgeConnection, transport: asyncio.Transport) -> None:
        """Count a new socket against its address; close it at once past the cap."""
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        if address in self.trusted_proxies:
            return
        if self._pending.get(address, 0) >= self.max_pending_per_address:
            transport.abort()
            self._say(
                f"pending:{address}",
                f"Refused a connection from {address}: {self.max_pending_per_address} of its connections have not said hello yet",
            )
            return
        self._pending[address] = self._pending.get(address, 0) + 1
        ws.pending_address = address

    def _settle(self, ws: ServerConnection) -> None:
        """The socket said a valid hello, or closed: it no longer counts as pending."""
        if not isinstance(ws, _EdgeConnection) or ws.pending_address is None:
            return
        address, ws.pending_address = ws.pending_address, None
        left = self._pending.get(address, 1) - 1
        if left > 0:
            self._pending[address] = left
        else:
            self._pending.pop(address, None)

    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"ws://{host}:{self.port}/"

    async def serve_forever(self) -> None:
        if self._server is None:
            raise RuntimeError("The relay is not started; call start() first.")
        await self._server.wait_closed()

    async def stop(self) -> None:
        """Answer what is queued, close every connection with 1001, close the store."""
        if self._server is None:
            return
        server, self._server = self._server, None
        if self.reminders is not None and self._reminder_task is not None:
            # A reminder being handed over finishes and is recorded as sent, so a restart never sends it twice.
            self.reminders.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._reminder_task), SMTP_TIMEOUT)
            except TimeoutError:
                log.warning("a reminder was still being sent at shutdown; its claim runs out and another start sends it")
                self._reminder_task.cancel()
            self.reminders.close()
        if self.oncall is not None:
            # An email being handed over finishes and is logged, so a restart never sends it twice.
            try:
                await asyncio.wait_for(self.oncall.wait_sent(), SMTP_TIMEOUT)
            except TimeoutError:
                log.warning("an on-call email was still being sent at shutdown; its claim runs out and the group's next owner sends it")
            self.oncall.close()
        self.hub.close()
        if self.placement.several:
            # Release every group at once, then tell their members to reconnect now (another node claims them).
            await self.placement.stop()
            for gid in list(self.hub.rooms):
                self.hub.drop_group(gid, "This relay node is stopping; reconnect now and resume.")
            splices = list(self._splices)
            for splice in splices:
                splice.end(CloseCode.OWNER_MOVED, "This relay node is stopping; reconnect now and resume.")
            if splices:
                await asyncio.wait([splice.done for splice in splices], timeout=3)
        server.close()
        await server.wait_closed()
        self._stopping.set()
        await self._housekeeper  # never cancelled mid-checkpoint: the thread shares the store
        if self.hub.writer is not None:
            self.hub.writer.close()
        self.store.close()
        # asyncio retries a failed accept a second later (ACCEPT_RETRY_DELAY) on the socket
        # closed above; let that retry meet our handler, which knows it is harmless, rather
        # than the old one, which prints a traceback.
        retry_due = self._accept_failed_at + ACCEPT_RETRY_DELAY - asyncio.get_running_loop().time()
        if retry_due > 0:
            await asyncio.sleep(retry_due + 0.05)
        asyncio.get_running_loop().set_exception_handler(self._old_exception_handler)

    async def _housekeeping(self, every: float = 1.0) -> None:
        """Once a second: close connections of members revoked meanwhile (the CLI
        may revoke while the server runs), unload the rooms idle long enough, and
        keep the WAL short from a worker thread so the event loop never waits for
        a checkpoint."""
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), every)
                return
            except TimeoutError:
                pass
            try:
                self.hub.close_revoked()
                self._push_schedules()
                self._unload_idle_rooms()
                await asyncio.to_thread(self.store.checkpoint)
            except OSError as exc:  # e.g. no file descriptor left for the worker thread
                self._say("housekeeping", f"Housekeeping (checkpoint or revocations) failed: {exc}; will retry")
            except Exception:
                log.exception("housekeeping failed (checkpoint or revocations); will retry")

    def _unload_idle_rooms(self) -> None:
        """Unload the rooms quiet for ``release_idle`` seconds; on several nodes, release their groups
        too, so the next session's first member claims its group on whichever node the balancer
        chose (a node restarted after a crash gets its share back between sessions). Memory then
        holds the groups in session, not every group this process ever served."""
        if math.isinf(self.release_idle):
            return
        idle = self.hub.idle_rooms(asyncio.get_running_loop().time(), self.release_idle)
        if not idle:
            return
        self.placement.release(idle)
        for gid in idle:
            self.hub.unload(gid, f"nobody in it for {self.release_idle:g} s; unloaded until someone joins")

    # -- schedules (issue 15a): the ``schedule`` frame, after welcome and on every change --

    def _send_schedule(self, conn: Any, prefs: ReminderPrefs | None = None) -> None:
        """The connection's ``schedule`` frame; ``prefs``: the member's reminder choices as read at their hello (else read now)."""
        try:
            revision = self._schedule_revisions.get(conn.group_id)
            conn.write(encode(self._schedules.frame_for(conn.group_id, conn.member_id, conn.role, time.time(), revision, prefs)))
        except Exception:
            log.exception("could not compute the schedule of group %d; the member joins without it", conn.group_id)

    def _save_reminder_choice(self, peer: Any, data: dict[str, Any]) -> None:
        """A member's ``reminders.set``, decided: their choices and addresses go to the store (never the log),
        and their connections get the new choices in a fresh ``schedule`` frame."""
        quiet = data["quiet"]
        self.store.set_reminder_prefs(
            peer.member_id,
            consent=data["consent"],
            email=None if data["email"] is None else clean_email(data["email"]),
            sms=None if data["sms"] is None else clean_phone(data["sms"]),
            lead=data["lead"],
            quiet=None if quiet is None else ReminderPrefs(quiet=parse_quiet(quiet)).quiet_text,
        )
        self._push_schedules()

    def _push_schedules(self) -> None:
        """Send a fresh ``schedule`` frame to every connection of a group whose schedule revision changed."""
        now = self.store.schedule_revisions()
        changed = [gid for gid, rev in now.items() if self._schedule_revisions.get(gid) != rev]
        self._schedule_revisions = now
        for gid in changed:
            room = self.hub.rooms.get(gid)
            for peer in list(room.peers) if room is not None else []:
                if not peer.closing:
                    self._send_schedule(peer)

    # -- several nodes (issue 16): placement and forwarding --------------------------

    def _make_placement(self) -> None:
        """SQLite: this node owns every group. PostgreSQL: leases and epochs (the store's fence)."""
        store = self.store
        if isinstance(self.data_dir, str) and is_store_url(self.data_dir):
            fence: dict[int, int] = {}
            store.fence = fence  # type: ignore[attr-defined]  # PgStore's
            self.placement = PgPlacement(self.data_dir, self.node_id, fence, lease=self.lease)
            self._share_fence()
            # Each welcome names this node, the balancer routes the member's next connection by it
            # (protocol/route.py); a node id that is not a route is left out, never sent.
            self.hub.route = valid_route(self.node_id)
        else:
            self.placement = SinglePlacement()
        self.placement.on_lost = self.hub.drop_group
        self.placement.on_claimed = self._claimed
        self.hub.on_group_dropped = self.placement.forget

    def _share_fence(self) -> None:
        """Every store connection that commits the hub's batches checks the same epochs: also a
        commit thread's own connection (the tail's writer, ``hub.writer.store``), when there is one."""
        fence = getattr(self.store, "fence", None)
        writer = getattr(self.hub, "writer", None)
        if fence is not None and writer is not None and hasattr(writer.store, "fence"):
            writer.store.fence = fence

    def _claimed(self, group_id: int) -> None:
        """A group just claimed: a room of it held from before (an earlier ownership, or read by
        the reminders while another node owned it) is stale; it is loaded again on the next join."""
        if group_id in self.hub.rooms:
            self.hub.drop_group(group_id, MOVED)
        if self.oncall is not None:  # its alerts are this node's to email now (server/oncall.py)
            self.oncall.adopt(group_id)

    def _from_node(self, ws: ServerConnection) -> bool:
        """Whether the connection is another node's link (header ``X-Iop-Node``). With the shared
        secret it no longer counts against its address's pending connections."""
        request = ws.request
        value = request.headers.get(NODE_HEADER) if request is not None else None
        if value is None:
            return False
        if self.internal_secret and hmac.compare_digest(value.encode(), self.internal_secret.encode()):
            self._settle(ws)
        return True

    async def _placed_here(self, conn: Connection, group_id: int, from_node: bool) -> bool:
        """True: this node owns the group (claimed if needed), serve the member here.
        False: the member was forwarded to the owner until done, or closed."""
        ws = conn.ws
        gone: str | None = None
        for _ in range(8):
            try:
                where = await self.placement.place(group_id, internal=from_node, gone=gone)
            except (PlacementError, LookupError) as exc:
                self._say("placement", f"Could not decide which node serves group {group_id} ({exc}); the member retries")
                conn.cut(CloseCode.GOING_AWAY, "The relay cannot reach its database; reconnecting shortly.")
                return False
            if isinstance(where, Local):
                return ws.protocol.state is State.OPEN
            if isinstance(where, Moved):
                conn.cut(CloseCode.OWNER_MOVED, MOVED)
                return False
            asked = self._asked_route(ws)
            owner = valid_route(where.node_id)
            if asked is not None and owner is not None and asked != owner:
                # A route-aware client that did not ask for the owner (protocol/route.py): name the
                # owner and let it come back there through the balancer, rather than forward every
                # frame of its session through this node. Once it asks for the owner, it is forwarded.
                conn.write(encode(route_frame(owner)))
                conn.cut(CloseCode.OWNER_MOVED, MOVED)
                return False
            hello = ws.hello_raw if isinstance(ws, _EdgeConnection) else b""
            lapsed = self.placement.lapsed(where.node_id)
            outcome = await forward(
                conn, hello, where.url, self.internal_secret, lapsed,
                open_timeout=min(self.hello_timeout, where.remaining + 1), send_buffer=self.send_buffer, registry=self._splices,
            )
            if outcome == DONE:
                return False
            if outcome == REFUSED:  # nothing listens there: the owner's process is gone; claim now
                gone = where.node_id
                continue
            # The owner did not answer (dead or paused): wait for its lease, then ask again (and claim).
            await self.placement.wait_lapse(where.node_id, where.remaining)
            if ws.protocol.state is not State.OPEN:
                return False
        conn.cut(CloseCode.OWNER_MOVED, MOVED)
        return False

    @staticmethod
    def _asked_route(ws: ServerConnection) -> str | None:
        """The route the opening handshake's cookie asked for: None when the client sent no
        route cookie (it does not know routes), "" when it has none yet (protocol/route.py)."""
        request = ws.request
        return route_in_cookies(request.headers.get_all("Cookie")) if request is not None else None

    # -- the load balancer's health check (issue 16: docs/deployment.md) -----------

    def _health_check(self, connection: ServerConnection, request: Any) -> Any:
        """``GET /healthz``: 200 while this node serves (its lease proven, when it has one),
        503 while it stops or cannot prove its lease, so a load balancer sends no member
        to a node that would only close them with 4012. Any other path is a websocket."""
        if request.path.split("?", 1)[0] != HEALTH_PATH:
            return None
        valid = getattr(self.placement, "_valid", None)
        stopping = self._stopping is not None and self._stopping.is_set()
        if stopping or (valid is not None and not valid()):
            return connection.respond(503, "not serving\n")
        return connection.respond(200, "ok\n")

    # -- one connection -----------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        from_node = self._from_node(ws)
        accepted = await self._handshake(ws)
        if accepted is None:
            return
        conn, member, hello, prefs = accepted
        if self.placement.several and not await self._placed_here(conn, member.group_id, from_node):
            return  # forwarded to the group's owner, or closed
        mine = self._members.setdefault(member.id, [])
        while len(mine) >= self.max_connections_per_member:
            mine.pop(0).close(
                CloseCode.REPLACED,
                f"Replaced by a newer connection of the same member (at most {self.max_connections_per_member}).",
            )
        mine.append(conn)
        try:
            # The group's room is folded from its log, in slices, before the join (a node that claims
            # many groups at once, or many sessions starting together, never holds the loop for
            # every log in one step); the group may have moved meanwhile.
            await self.hub.load_room(member.group_id)
            if conn.ws.protocol.state is not State.OPEN:
                return  # gone while the room was folded: never joined, never shown as here
            if not self.placement.holds(member.group_id):
                conn.cut(CloseCode.OWNER_MOVED, MOVED)
                return
            # A guest's arrival is stored first (arrive: it waits for its batch, the loop does not);
            # join() welcomes and registers; catch_up() replays at the pace
            # the member reads, then makes the connection live.
            refused = await self.hub.arrive(member) if member.role == GUEST else None
            if refused is not None:
                conn.cut(*refused)  # another node owns the group now, or the relay is stopping
                return
            self.hub.join(conn, member, hello)
            self._send_schedule(conn, prefs)
            await self.hub.catch_up(conn)
            await self._read_commands(conn)
        except ConnectionClosed:
            pass
        finally:
            if conn in mine:
                mine.remove(conn)
            if not mine and self._members.get(member.id) is mine:
                del self._members[member.id]
            conn.lost = ws.close_code in LOST_CLOSE_CODES
            self.hub.leave(conn)

    async def _member_or_refuse(self, ws: ServerConnection, token: str) -> tuple[MemberRecord, ReminderPrefs | None] | None:
        """The token's member and their reminder choices, or None after refusing the connection
        (unknown or revoked)."""
        member, prefs = self.store.member_at_hello(token)
        if member is None or member.revoked:
            await self._refuse(
                ws,
                ProtocolError(ErrorCode.UNAUTHORIZED, "This join token is unknown or was revoked; ask your facilitator for a new invitation."),
                CloseCode.UNAUTHORIZED,
            )
            return None
        return member, prefs

    async def _refuse(self, ws: ServerConnection, err: ProtocolError, code: CloseCode) -> None:
        """Send the error and a close frame, then end the TCP connection without
        waiting for the peer's reply (a peer that keeps sending cannot hold it open)."""
        protocol = ws.protocol
        if protocol.state is not State.OPEN:
            return
        protocol.send_binary(encode(error_frame(err)))
        protocol.send_close(code, err.code)
        data = [chunk for chunk in protocol.data_to_send() if chunk]
        ws.transport.writelines(data)
        ws.transport.close()
        await ws.wait_closed()

    async def _handshake(self, ws: ServerConnection) -> tuple[Connection, MemberRecord, Hello, ReminderPrefs | None] | None:
        try:
            message = await asyncio.wait_for(ws.recv(), self.hello_timeout)
        except TimeoutError:
            await self._refuse(
                ws,
                ProtocolError(ErrorCode.HANDSHAKE, f"No hello arrived within {self.hello_timeout:g} seconds; reconnect and send hello first."),
                CloseCode.POLICY,
            )
            return None
        except ConnectionClosed:
            return None
        try:
            frame = decode_command(message)
            if frame.get("kind") != "hello":
                raise ProtocolError(ErrorCode.HANDSHAKE, "The first frame must be hello; send hello before any command.")
            hello = parse_hello(frame)
            if isinstance(ws, _EdgeConnection):
                ws.hello_raw = message
        except ProtocolError as err:
            await self._refuse(ws, err, hello_close_code(err.code))
            return None
        found = await self._member_or_refuse(ws, hello.token)
        if found is None:
            return None
        member, prefs = found
        benched = self._benched.get(member.id)
        if benched is not None:
            # Closed for flooding a moment ago: hold this connection (unread; it
            # still counts against its address) until the penalty is over, so
            # reconnecting at once buys nothing and costs the relay nothing.
            wait = benched - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
                found = await self._member_or_refuse(ws, hello.token)  # it may have been revoked meanwhile
                if found is None:
                    return None
                member, prefs = found
            if self._benched.get(member.id) == benched:
                del self._benched[member.id]
        if ws.protocol.state is not State.OPEN:
            return None
        self._settle(ws)
        conn = Connection(ws, member.id, member.name, member.role, member.group_id, self.send_buffer, self._outbox, self._tasks, self.hub.leave)
        conn.token_hash = hash_token(hello.token)
        return conn, member, hello, prefs

    async def _read_commands(self, conn: Connection) -> None:
        ws = conn.ws
        hub = self.hub
        loop = asyncio.get_running_loop()
        rate, burst = self.rate_per_s, float(self.burst)
        # One bucket per member, shared by all their connections and kept
        # across reconnects: more connections never mean a higher rate.
        bucket = self._buckets.setdefault(conn.member_id, [burst, loop.time()])
        dropped = 0  # frames dropped unread since this connection was last under its rate
        while True:
            message = await ws.recv()
            now = loop.time()
            tokens = min(burst, bucket[0] + (now - bucket[1]) * rate)
            bucket[1] = now
            cost = frame_cost(len(message))
            if tokens < cost:
                # Over the rate: drop it unread. The first of a burst is told once;
                # a connection that goes on regardless is closed.
                bucket[0] = tokens
                dropped += 1
                if dropped == 1:
                    conn.write(encode(error_frame(ProtocolError(
                        ErrorCode.RATE_LIMITED,
                        f"Too many messages at once (at most {self.burst} at once, {rate:g} a second); "
                        "what you sent after this was dropped, so wait a moment and send it again.",
                    ))))
                elif dropped > self.burst:
                    # After the commands already accepted are answered (the hub's
                    # flush was scheduled first), cut the connection; read nothing
                    # more, and refuse the member's new connections for a while.
                    self._benched[conn.member_id] = now + self.flood_penalty
                    hub.after_answers(conn.cut, CloseCode.FLOODING, "Too many messages after a warning; slow down, then reconnect.")
                    self._say(f"flood:{conn.member_id}", f"Closed a connection of {conn.name} (member {conn.member_id}) for sending too many messages")
                    await ws.wait_closed()
                    return
                continue
            bucket[0] = tokens - cost
            if dropped and bucket[0] >= burst - cost:
                dropped = 0  # quiet long enough for a full bucket: a new burst may be told again
            try:
                frame = decode_command(message)
                if frame.get("kind") == "hello":
                    raise ProtocolError(ErrorCode.HANDSHAKE, "This connection already said hello; send commands now.")
                command = parse_command(frame)
            except ProtocolError as err:
                conn.write(encode(error_frame(err)))
            else:
                hub.submit(conn, command)
            # Let other connections have a turn before the next frame read, so a burst from
            # one member never holds the loop for the whole burst. With nothing read yet,
            # recv() waits anyway: an extra turn would only cost a task step per command.
            if _frames_waiting(ws):
                await asyncio.sleep(0)
