"""The connection to the relay: hello, resume, reconnect, and an outbox that loses nothing.

:class:`Connection` keeps one websocket to the relay open for as long as it
runs. It says ``hello`` with the last ``seq`` it holds, so after a cut the
relay replays exactly what was missed (or, for a stale ``seq``, everything
with ``mode: "reset"``). Network failures and abnormal closes are retried
with a capped backoff, forever; a refusal that cannot change by retrying
(an unknown or revoked token, another protocol version, removal from the
group) stops it with one sentence saying why. A close with 4012 (the group
moved to another relay node, issue 16) is retried at once, after a jitter of
at most :data:`OWNER_MOVED_JITTER` s, not after the backoff. Every opening
handshake carries the cookie ``iop_node``: the relay node the last welcome or
``route`` frame named as the group's owner, so a balancer routes us there
(:mod:`protocol.route`); a ``route`` frame is followed by a reconnect at once,
quietly, once per welcome.

Commands go through an ordered outbox. Each gets a short random id when it
is sent; it stays in the outbox until the relay's ``ack`` or ``error`` for
that id arrives. After every (re)connection, once the replay is done, every
command still in the outbox is sent again *with the same id*, in order: the
relay answers a repeated id from its first result, so a command is applied
once however many times the network made us send it.

Everything the connection learns is reported, in order, to its listeners as
frames: the relay's own (``welcome``, ``event``, ``synced``, ``presence``,
``ack``, ``error``) and ``status`` frames of its own::

    {"kind": "status", "state": "connecting|connected|reconnecting|offline|failed",
     "retry_in": float | None, "pending": int, "message": str | None}

No textual here, and no view logic: see :mod:`iop_tui.core.model`.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidMessage, InvalidStatus, InvalidURI

from protocol.codec import decode, encode, frame_cost
from protocol.errors import HELLO_CLOSE_CODES, CloseCode, ErrorCode, ProtocolError
from protocol.messages import command_frame, hello_frame, parse_command
from protocol.route import cookie_header, valid_route

from iop_tui.core import words

__all__ = [
    "Connection",
    "Listener",
    "ConnectionState",
    "DEFAULT_BACKOFF",
    "MAX_SERVER_FRAME",
    "FATAL_CLOSE_CODES",
    "CONNECTING",
    "CONNECTED",
    "RECONNECTING",
    "OFFLINE",
    "FAILED",
]

#: A ``status`` frame's ``state``: where the connection is now.
ConnectionState = Literal["connecting", "connected", "reconnecting", "offline", "failed"]

CONNECTING: Final = "connecting"
CONNECTED: Final = "connected"
RECONNECTING: Final = "reconnecting"
OFFLINE: Final = "offline"
FAILED: Final = "failed"

#: Seconds to wait before each reconnection attempt; the last one repeats.
DEFAULT_BACKOFF = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

#: After 4012 (the group moved to another relay node) the client reconnects within this many
#: seconds (a random jitter, so a node's members do not all arrive in the same millisecond),
#: for up to OWNER_MOVED_AT_ONCE attempts in a row without a welcome; then the backoff applies.
OWNER_MOVED_JITTER = 0.1
OWNER_MOVED_AT_ONCE = 3

#: Largest frame the client accepts from the relay (a replayed deck fits well inside).
MAX_SERVER_FRAME = 2 * 1024 * 1024

#: Close codes after which retrying cannot help, and the sentence each deserves.
FATAL_CLOSE_CODES: dict[int, str] = {
    CloseCode.UNAUTHORIZED: "The server did not accept this join token; ask your facilitator for a new invitation.",
    CloseCode.UNSUPPORTED_VERSION: "The server speaks another protocol version; update iop-tui and join again.",
    CloseCode.REMOVED: "You were removed from this group; ask your facilitator if this is a mistake.",
    CloseCode.REPLACED: "You joined again from another window or device, so this one was closed; close it, or join again here.",
}
#: HTTP answers worth retrying: a proxy in front of a relay that is restarting (and 5xx).
_RETRY_STATUS = (408, 425, 429)

#: Seconds to wait for the relay's welcome after hello.
WELCOME_TIMEOUT = 15.0
#: Seconds to open the TCP connection and the websocket handshake.
OPEN_TIMEOUT = 10.0
#: Seconds to wait for the relay to answer our close before dropping the socket.
CLOSE_TIMEOUT = 2.0

#: What a person is told when the relay sends a frame this client cannot read.
UNREADABLE = "An update from the server could not be read; if this repeats, update iop-tui."

Listener = Callable[[dict[str, Any]], None]


def _not_http(url: str, exc: InvalidMessage) -> str | None:
    """What answered, when the handshake's answer was not a websocket upgrade; None for a cut."""
    cause = exc.__cause__
    if not isinstance(cause, ValueError):
        return None  # EOFError and the like: the connection closed mid-handshake
    line = str(cause).rpartition(": ")[2]
    parts = line.split(" ", 2)
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
        return words.not_a_relay_text(url, int(parts[1]), parts[2] if len(parts) > 2 else "")
    return words.not_a_relay_answer_text(url)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


class _Fatal(Exception):
    """The relay refused this client for good; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Connection:
    """A self-healing connection to the relay for one member.

    ``await connection.run()`` connects and keeps connecting until
    :meth:`close` is called or the relay refuses the client for good (then
    ``state`` is ``"failed"`` and ``fatal_message`` says why). Listeners
    added with :meth:`add_listener` receive every frame, in order.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        resume_from: int | None = None,
        client_name: str = "iop-tui",
        backoff: Iterable[float] = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url
        self.token = token
        self.client_name = client_name
        self.backoff = tuple(float(b) for b in backoff) or DEFAULT_BACKOFF
        #: The last seq this client holds; sent as ``resume_from`` in hello.
        self.last_seq: int | None = resume_from
        self.state: ConnectionState = CONNECTING
        self.retry_in: float | None = None
        self.message: str | None = None
        self.fatal_message: str | None = None
        #: Commands not yet answered, oldest first: id -> command frame.
        self.outbox: dict[str, dict[str, Any]] = {}
        self.limits: dict[str, Any] = {}
        self._listeners: list[Listener] = []
        self._ws: ClientConnection | None = None
        self._queue: asyncio.Queue[dict[str, Any]] | None = None  # the live connection's writer queue
        self._synced = False
        self._closing = False
        self._wake: asyncio.Event | None = None
        self._running = False
        self._opening: asyncio.Task | None = None  # the connection attempt under way
        self._ever_welcomed = False  # a relay has answered at this address at least once
        self._moved = False  # the last close was 4012 OWNER_MOVED (issue 16)
        #: The relay node that owns our group, from the last welcome or route frame: sent as a cookie
        #: so the balancer routes us there (protocol/route.py); None before the relay named one.
        self.route: str | None = None
        self._rerouted = False  # the last connection was sent round to the owner by a route frame
        self._reroutes = 0  # route frames since the last welcome

    # -- listeners ------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Report every frame to ``listener``; returns a function that stops it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def _emit(self, frame: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(frame)

    def _status(self, state: ConnectionState, *, retry_in: float | None = None, message: str | None = None) -> None:
        self.state, self.retry_in, self.message = state, retry_in, message
        self._emit(self.status_frame())

    def status_frame(self) -> dict[str, Any]:
        """The connection's status as a ``status`` frame."""
        return {"kind": "status", "state": self.state, "retry_in": self.retry_in, "pending": self.pending, "message": self.message}

    # -- commands -----------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Commands sent or queued but not yet answered by the relay."""
        return len(self.outbox)

    @property
    def connected(self) -> bool:
        """Whether the relay has welcomed us and the replay is done."""
        return self.state == CONNECTED and self._synced

    def send(self, kind: str, data: dict[str, Any] | None = None) -> str:
        """Validate a command, give it an id, and send it now or when connected.

        Raises :class:`~protocol.errors.ProtocolError` (one sentence) for a
        command the relay would refuse as malformed, and when the connection
        has failed or was closed. Returns the command id.
        """
        if self.state == FAILED or self._closing:
            raise ProtocolError(ErrorCode.HANDSHAKE, self.fatal_message or "Not connected to the session any more; join again to send.")
        command_id = secrets.token_urlsafe(9)
        while command_id in self.outbox:
            command_id = secrets.token_urlsafe(9)
        command = parse_command(command_frame(kind, command_id, dict(data or {})))
        frame = command_frame(command.kind, command.id, command.data)
        self.outbox[command_id] = frame
        if self.connected and self._queue is not None:
            self._queue.put_nowait(frame)
        else:
            self._emit(self.status_frame())  # "offline — N messages waiting"
        return command_id

    # -- running --------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, and reconnect after every cut, until closed or refused for good."""
        if self._running:
            raise RuntimeError("this connection is already running")
        self._running = True
        self._wake = asyncio.Event()
        attempt = 0
        try:
            if not self._closing:
                self._status(CONNECTING)
            while not self._closing:
                try:
                    welcomed, reason = await self._session()
                except _Fatal as fatal:
                    self.fatal_message = fatal.message
                    self._status(FAILED, message=fatal.message)
                    return
                if self._closing:
                    break
                if welcomed:
                    attempt = self._reroutes = 0
                if self._rerouted:
                    self._rerouted = False
                    self._reroutes += 1
                    if self._reroutes == 1:
                        self._moved = False
                        continue  # at once and quietly: the owner is named, go there (protocol/route.py)
                delay = self.backoff[min(attempt, len(self.backoff) - 1)]
                attempt += 1
                if self._moved:  # 4012 (issue 16): the group moved to another relay node; go now
                    self._moved = False
                    if attempt <= OWNER_MOVED_AT_ONCE:
                        delay = OWNER_MOVED_JITTER * secrets.randbelow(1000) / 1000
                self._status(RECONNECTING, retry_in=delay, message=reason.replace("{delay}", f"{delay:g}"))
                await self._sleep(delay)
                if not self._closing:
                    self._status(RECONNECTING, message=None)
        finally:
            self._running = False
            if self._closing and self.state != FAILED:
                self._status(OFFLINE, message="Disconnected.")

    def retry_now(self) -> None:
        """Skip the rest of the current backoff wait and reconnect now."""
        if self._wake is not None:
            self._wake.set()

    async def close(self) -> None:
        """Stop: close the websocket and end :meth:`run`. Unanswered commands stay in :attr:`outbox`."""
        self._closing = True
        if self._wake is not None:
            self._wake.set()
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        ws = self._ws
        if ws is not None:
            await ws.close()
        elif not self._running and self.state not in (FAILED, OFFLINE):
            self._status(OFFLINE, message="Disconnected.")

    async def _sleep(self, delay: float) -> None:
        assert self._wake is not None
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), delay)
        except TimeoutError:
            pass

    async def _session(self) -> tuple[bool, str]:
        """One connection, from opening to close.

        Returns (whether the relay welcomed us, the retry sentence with a
        ``{delay}`` field); raises :class:`_Fatal` for a final refusal.
        """
        unreachable = f"Cannot reach the server at {self.url}; retrying in {{delay}} s."
        self._opening = asyncio.get_running_loop().create_task(self._open())
        try:
            ws = await self._opening
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closing and task is not None and not task.cancelling():
                return False, unreachable  # close() stopped the attempt
            raise
        except InvalidURI:
            raise _Fatal(f"{self.url} is not a server address; it should look like ws://host:port/.") from None
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in _RETRY_STATUS or status >= 500:
                return False, words.relay_not_ready_text(self.url, status)
            sentence = words.not_a_relay_text(self.url, status, exc.response.reason_phrase)
            if not self._ever_welcomed:
                raise _Fatal(sentence) from None  # a definite answer: retrying cannot turn it into a relay
            return False, sentence.rstrip(".") + "; retrying in {delay} s."
        except InvalidMessage as exc:
            not_http = _not_http(self.url, exc)
            if not_http is None:
                return False, unreachable  # closed during the handshake: a relay may be busy
            if not self._ever_welcomed:
                raise _Fatal(not_http) from None
            return False, not_http.rstrip(".") + "; retrying in {delay} s."
        except socket.gaierror:
            return False, words.unknown_host_text(self.url, _host(self.url)).rstrip(".") + "; retrying in {delay} s."
        except (OSError, TimeoutError, InvalidHandshake):
            return False, unreachable
        if self._closing:
            await ws.close()
            return False, unreachable
        self._ws = ws
        self._synced = False
        welcomed = False
        refusal: dict[str, Any] | None = None
        writer: asyncio.Task | None = None
        try:
            await ws.send(encode(hello_frame(self.token, self.last_seq, self.client_name)))
            first = True
            while True:
                if first:
                    try:
                        message = await asyncio.wait_for(ws.recv(), WELCOME_TIMEOUT)
                    except TimeoutError:
                        return False, f"The server at {self.url} did not answer; retrying in {{delay}} s."
                    first = False
                else:
                    message = await ws.recv()
                try:
                    frame = decode(message, max_size=MAX_SERVER_FRAME)
                except ProtocolError:
                    if not welcomed and not self._ever_welcomed:
                        raise _Fatal(words.not_a_relay_service_text(self.url)) from None
                    # An unreadable frame from the relay: say so, keep the connection.
                    self._emit({"kind": "error", "id": None, "code": ErrorCode.BAD_FRAME, "message": UNREADABLE})
                    continue
                kind = frame.get("kind")
                if kind == "route" and not welcomed:
                    # This node does not own our group: it named the owner; come back with its name.
                    self.route = valid_route(frame.get("route")) or self.route
                    self._rerouted = self._moved = True  # a second one without a welcome waits as 4012 does
                    return False, words.OWNER_MOVED_TEXT
                if not welcomed and kind not in ("welcome", "error") and not self._ever_welcomed:
                    raise _Fatal(words.not_a_relay_service_text(self.url))  # an echo server, another protocol
                if kind == "welcome":
                    welcomed = True
                    self._ever_welcomed = True
                    self._on_welcome(frame)
                    self._emit(frame)
                    self._queue = asyncio.Queue()
                    self._status(CONNECTED)
                    continue
                if kind == "event":
                    seq = frame.get("seq")
                    if isinstance(seq, int) and (self.last_seq is None or seq > self.last_seq):
                        self.last_seq = seq
                elif kind == "synced":
                    head = frame.get("head_seq")
                    if isinstance(head, int) and (self.last_seq is None or head > self.last_seq):
                        self.last_seq = head
                elif kind in ("ack", "error"):
                    if not welcomed and kind == "error":
                        refusal = frame
                    answered = frame.get("id")
                    if isinstance(answered, str):  # an id-less refusal answers nothing in the outbox
                        self.outbox.pop(answered, None)
                self._emit(frame)
                if kind == "synced" and welcomed and not self._synced:
                    self._synced = True
                    assert self._queue is not None
                    for pending in self.outbox.values():
                        self._queue.put_nowait(pending)
                    writer = asyncio.get_running_loop().create_task(self._write(ws, self._queue))
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
            self._queue = None
            self._synced = False
            if writer is not None:
                writer.cancel()
                try:
                    await writer
                except (asyncio.CancelledError, ConnectionClosed):
                    pass
            if not self._closing and ws.transport is not None:
                # abort() so a half-open socket cannot hold the loop in a closing handshake
                ws.transport.abort()
        return welcomed, self._after_close(ws, welcomed, refusal)

    async def _open(self) -> ClientConnection:
        return await connect(
            self.url,
            compression=None,
            max_size=MAX_SERVER_FRAME,
            open_timeout=OPEN_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
            user_agent_header=f"{self.client_name} (websockets)",
            additional_headers={"Cookie": cookie_header(self.route)},
        )

    def _on_welcome(self, frame: dict[str, Any]) -> None:
        self.limits = dict(frame.get("limits") or {})
        self.route = valid_route(frame.get("route"))
        if frame.get("mode") != "resume":
            self.last_seq = None  # our seq means nothing in this log: start over

    def _after_close(self, ws: ClientConnection, welcomed: bool, refusal: dict[str, Any] | None) -> str:
        """Decide what a close means: raise :class:`_Fatal`, or return the retry sentence."""
        code = ws.close_code
        if refusal is not None:
            # A refused hello's error code says which close follows, should the close itself be lost.
            fatal_code = HELLO_CLOSE_CODES.get(str(refusal.get("code")), code)
            message = refusal.get("message")
            if fatal_code is not None and fatal_code in FATAL_CLOSE_CODES:
                raise _Fatal(str(message or FATAL_CLOSE_CODES[fatal_code]))
            if message:  # refused for a reason retrying may cure: say it, and retry
                return f"{str(message).rstrip('.')}. Retrying in {{delay}} s."
        if code in FATAL_CLOSE_CODES:
            raise _Fatal(FATAL_CLOSE_CODES[code])
        if code == CloseCode.OWNER_MOVED:
            self._moved = True  # run() reconnects at once: resume from last_seq, resend the outbox (same ids)
            return words.OWNER_MOVED_TEXT
        if code == CloseCode.TOO_SLOW:
            return "This client fell behind the session; catching up in {delay} s."
        if code == CloseCode.FLOODING:
            return "The server closed this connection because too much was sent at once; reconnecting in {delay} s."
        if code == CloseCode.GOING_AWAY:
            return "The server is restarting; reconnecting in {delay} s."
        if not welcomed:
            return f"The server at {self.url} closed the connection before welcoming us; retrying in {{delay}} s."
        return "The connection to the server was lost; reconnecting in {delay} s."

    async def _write(self, ws: ClientConnection, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Send queued commands in order, paced under the relay's announced rate limit."""
        loop = asyncio.get_running_loop()
        rate = float(self.limits.get("rate_per_s") or 20.0) * 0.9
        burst = max(1.0, float(self.limits.get("burst") or 40) * 0.75)
        tokens, last = burst, loop.time()
        while True:
            frame = await queue.get()
            if frame.get("id") not in self.outbox:
                continue  # answered meanwhile (an ack that raced a resend)
            now = loop.time()
            tokens = min(burst, tokens + (now - last) * rate)
            last = now
            data = encode(frame)
            cost = min(float(frame_cost(len(data))), burst)  # the relay's rule: bigger frames cost more
            if tokens < cost:
                await asyncio.sleep((cost - tokens) / rate)
                tokens, last = cost, loop.time()
            tokens -= cost
            await ws.send(data)
