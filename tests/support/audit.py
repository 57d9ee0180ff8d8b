"""The shared auditor: proof that nothing was lost and nothing was doubled.

Fault tests, fuzzing and the soak bench drive members through cuts, crashes
and floods. Each member's frames go through a :class:`ClientLog`; at the end
:meth:`Auditor.check` compares every log with the store (the truth the relay
persisted) and counts:

- **lost**: an acknowledged command whose events are not in the store, a
  store event a member was entitled to (by the one rule, :func:`protocol.roles.sees`)
  but never received, a gap in a group's seqs;
- **duplicated**: a seq a member received twice (since its last ``reset``),
  an event in the store that no command result accounts for (a command applied
  twice leaves one), overlapping command results, an ack whose seq differs
  from the stored result;
- **leaked**: an event a member received that it was not entitled to.

:class:`ResilientClient` is a raw websocket member that behaves like a good
client: it resumes from its last seq, keeps an outbox and resends unanswered
commands with the same ids after every reconnect, and retries ``rate_limited``
commands later. Tests can cut it (:meth:`~ResilientClient.cut`) or make it
stop reading (:meth:`~ResilientClient.pause_reading`).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import msgpack
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from protocol.codec import frame_cost
from protocol.messages import PROTOCOL_VERSION, command_frame
from protocol.roles import GUEST, sees
from protocol.route import cookie_header, valid_route
from protocol.state import guest_visits

__all__ = ["Auditor", "AuditReport", "ClientLog", "ResilientClient", "RealMember", "free_port", "secrets_in"]

#: Errors after which a good client resends the same command id later.
RETRYABLE = frozenset({"rate_limited", "internal"})
#: Close codes after which a client must not come back.
FATAL_CLOSE = frozenset({4001, 4002, 4003})


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free now (for a server that must come back on the same URL)."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def secrets_in(value: Any, secrets: set[str]) -> set[str]:
    """Which of ``secrets`` occur anywhere (as substrings) in a decoded frame."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            for s in secrets:
                if s in v:
                    found.add(s)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    walk(value)
    return found


@dataclass
class ClientLog:
    """Everything one member was sent and was told, in order."""

    name: str
    member_id: int
    role: str
    group_id: int
    #: seqs received since the last reset, in arrival order
    received: list[int] = field(default_factory=list)
    #: first seq the current coverage starts at (the last reset's replay_from)
    base: int | None = None
    welcomes: list[dict] = field(default_factory=list)
    sent: dict[str, tuple[str, dict]] = field(default_factory=dict)  # cid -> (kind, data)
    acks: dict[str, int | None] = field(default_factory=dict)  # cid -> seq
    errors: dict[str, str] = field(default_factory=dict)  # cid -> final code
    anonymous_errors: list[dict] = field(default_factory=list)  # error frames without an id
    double_answers: list[str] = field(default_factory=list)  # cids answered differently twice
    out_of_order: list[tuple[int, int]] = field(default_factory=list)
    close_codes: list[int | None] = field(default_factory=list)
    resumes: int = 0
    resets: int = 0
    frames: int = 0
    #: error codes after which the client resends the same id (not a final answer)
    retryable: frozenset = RETRYABLE

    @property
    def last_seq(self) -> int | None:
        """The last seq held (the resume point), or None before the first welcome."""
        if self.received:
            return self.received[-1]
        if self.base is None:
            return None
        return self.base - 1

    def on_frame(self, frame: dict) -> None:
        self.frames += 1
        kind = frame.get("kind")
        if kind == "welcome":
            self.welcomes.append(frame)
            if frame.get("mode") == "reset":
                if self.base is not None:
                    self.resets += 1
                self.received = []
                self.base = int(frame.get("replay_from", 1))
            else:
                self.resumes += 1
        elif kind == "event":
            seq = int(frame["seq"])
            if self.received and seq <= self.received[-1]:
                self.out_of_order.append((self.received[-1], seq))
            self.received.append(seq)
        elif kind == "ack":
            self._answer(frame["id"], ack=frame.get("seq"))
        elif kind == "error":
            cid = frame.get("id")
            if cid is None or cid not in self.sent:
                self.anonymous_errors.append(frame)
            elif frame.get("code") not in self.retryable:
                self._answer(cid, error=frame.get("code"))

    def _answer(self, cid: str, ack: int | None = None, error: str | None = None) -> None:
        if error is None:
            if cid in self.errors or (cid in self.acks and self.acks[cid] != ack):
                self.double_answers.append(cid)
            self.acks[cid] = ack
        else:
            if cid in self.acks or (cid in self.errors and self.errors[cid] != error):
                self.double_answers.append(cid)
            self.errors[cid] = error

    def answered(self, cid: str) -> bool:
        return cid in self.acks or cid in self.errors


@dataclass
class AuditReport:
    """What :meth:`Auditor.check` found; ``ok`` when nothing was lost, doubled or leaked."""

    acked: int = 0
    refused: int = 0
    unanswered: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    leaked: int = 0
    resumes: int = 0
    resets: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.leaked == 0 and self.unanswered == 0

    def add(self, other: AuditReport) -> None:
        for name in ("acked", "refused", "unanswered", "delivered", "lost", "duplicated", "leaked", "resumes", "resets"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)

    def summary(self) -> str:
        head = (
            f"acked={self.acked} refused={self.refused} unanswered={self.unanswered} delivered={self.delivered} "
            f"lost={self.lost} dup={self.duplicated} leaked={self.leaked} resumes={self.resumes} resets={self.resets}"
        )
        return head + "".join("\n  " + p for p in self.problems[:30])


class Auditor:
    """Tracks every member's log and checks them all against the store."""

    def __init__(self) -> None:
        self.logs: list[ClientLog] = []
        self._events: dict[int, list[Any]] = {}  # group id -> its log, for guests' visits
        self._visits: dict[tuple[int, int, int], Any] = {}

    def log(self, name: str, member_id: int, role: str, group_id: int) -> ClientLog:
        entry = ClientLog(name, member_id, role, group_id)
        self.logs.append(entry)
        return entry

    def check(self, store: Any, *, require_answers: bool = True, since: dict[int, int] | None = None) -> AuditReport:
        """Compare every log with ``store`` (a :class:`server.store.Store`).

        ``since`` maps a group id to the head seq before the logged members
        started: events up to it (set-up sent by other means) are not held
        against the command results.
        """
        since = since or {}
        report = AuditReport()
        groups = sorted({log.group_id for log in self.logs})
        events = {gid: store.events_after(gid, 0) for gid in groups}
        by_seq = {gid: {e.seq: e for e in evs} for gid, evs in events.items()}
        for gid, evs in events.items():
            seqs = [e.seq for e in evs]
            if seqs != list(range(1, len(seqs) + 1)):
                report.lost += 1
                report.problems.append(f"group {gid}: seqs are not gap-free 1..{len(seqs)}: {_gaps(seqs)}")
        self._events = events
        for log in self.logs:
            report.add(self._check_log(log, by_seq[log.group_id], store, require_answers))
        # Events no command result accounts for (a command applied twice leaves one).
        members = {(log.group_id, log.member_id) for log in self.logs}
        for gid, evs in events.items():
            for member_id in {m for g, m in members if g == gid}:
                covered: set[int] = set()
                for log in self.logs:
                    if log.group_id == gid and log.member_id == member_id:
                        covered |= self._ranges(log, store, report)
                authored = {e.seq for e in evs if e.actor == member_id and e.seq > since.get(gid, 0)}
                stray = sorted(authored - covered)
                if stray and self._tracks_everything(gid, member_id):
                    report.duplicated += len(stray)
                    report.problems.append(f"member {member_id}: events {stray[:10]} match no command result (applied twice?)")
        return report

    def _tracks_everything(self, gid: int, member_id: int) -> bool:
        """Only members whose every command went through a log can be held to it."""
        return any(log.group_id == gid and log.member_id == member_id and log.sent for log in self.logs)

    def _ranges(self, log: ClientLog, store: Any, report: AuditReport) -> set[int]:
        covered: set[int] = set()
        for cid in log.sent:
            result = store.command_result(log.member_id, cid)
            if result is None or result.first_seq is None:
                continue
            span = set(range(result.first_seq, result.last_seq + 1))
            if covered & span:
                report.duplicated += 1
                report.problems.append(f"{log.name}: command {cid} overlaps another command's events")
            covered |= span
        return covered

    def _check_log(self, log: ClientLog, events: dict[int, Any], store: Any, require_answers: bool) -> AuditReport:
        r = AuditReport(resumes=log.resumes, resets=log.resets)
        for cid, (kind, _data) in log.sent.items():
            result = store.command_result(log.member_id, cid)
            if cid in log.acks:
                r.acked += 1
                seq = log.acks[cid]
                if result is None:
                    r.lost += 1
                    r.problems.append(f"{log.name}: {kind} {cid} was acked (seq {seq}) but the store has no result for it")
                    continue
                if result.last_seq != seq:
                    r.duplicated += 1
                    r.problems.append(f"{log.name}: {kind} {cid} acked with seq {seq}, stored result says {result.last_seq}")
                if seq is not None:
                    for s in range(result.first_seq or seq, seq + 1):
                        e = events.get(s)
                        if e is None or e.actor != log.member_id:
                            r.lost += 1
                            r.problems.append(f"{log.name}: {kind} {cid} acked seq {s} but the store's event there is {e}")
            elif cid in log.errors:
                r.refused += 1
                if result is not None and result.first_seq is not None:
                    r.leaked += 1
                    r.problems.append(f"{log.name}: {kind} {cid} was refused ({log.errors[cid]}) but stored events {result.first_seq}..{result.last_seq}")
            else:
                r.unanswered += 1 if require_answers else 0
                if require_answers:
                    r.problems.append(f"{log.name}: {kind} {cid} never answered")
        if log.double_answers:
            r.duplicated += len(log.double_answers)
            r.problems.append(f"{log.name}: commands answered two different ways: {log.double_answers[:5]}")
        if log.out_of_order:
            r.duplicated += len(log.out_of_order)
            r.problems.append(f"{log.name}: seqs went backwards: {log.out_of_order[:5]}")
        seen: set[int] = set()
        for seq in log.received:
            if seq in seen:
                r.duplicated += 1
                r.problems.append(f"{log.name}: seq {seq} delivered twice")
            seen.add(seq)
            e = events.get(seq)
            if e is None:
                r.lost += 1
                r.problems.append(f"{log.name}: received seq {seq} that the store does not hold")
            elif not self.entitled(log, e):
                r.leaked += 1
                r.problems.append(f"{log.name} ({log.role}) received {e.type} seq {seq} (audience {e.audience}, subject {e.subject})")
        r.delivered += len(seen)
        if log.base is not None:
            upto = max(seen) if seen else log.base - 1
            for seq in range(log.base, upto + 1):
                e = events.get(seq)
                if e is not None and seq not in seen and self.entitled(log, e):
                    r.lost += 1
                    r.problems.append(f"{log.name}: never received seq {seq} ({e.type})")
        return r

    def entitled(self, log: ClientLog, event: Any) -> bool:
        """Whether ``log``'s member may receive ``event``, by the one rule
        (:func:`protocol.roles.sees`): its audience, and for a guest only the
        sessions they attended, from their arrival."""
        visits: Any = ()
        if log.role == GUEST:
            evs = self._events.get(log.group_id, [])
            key = (log.group_id, log.member_id, len(evs))
            if key not in self._visits:
                self._visits[key] = guest_visits(evs, log.member_id)
            visits = self._visits[key]
        return sees(log.role, log.member_id, event.audience, event.subject, event.seq, event.type, visits)

    def expected_head(self, store: Any, log: ClientLog, upto: int | None = None) -> int:
        """The last seq (up to ``upto``) this member may receive: what it must reach to be done."""
        events = store.events_after(log.group_id, 0)
        self._events[log.group_id] = events
        last = 0
        for e in events:
            if (upto is None or e.seq <= upto) and self.entitled(log, e):
                last = e.seq
        return last


def _gaps(seqs: list[int]) -> str:
    missing = sorted(set(range(1, (max(seqs) if seqs else 0) + 1)) - set(seqs))
    dups = len(seqs) - len(set(seqs))
    return f"missing {missing[:10]}, repeated {dups}"


_ids = itertools.count(1)


async def settle(members: list, sender, timeout: float) -> int:
    """Wait until every member's commands are answered, send a public marker from
    ``sender`` and wait until every member holds it; return the marker's seq."""
    for member in members:
        await member.wait_idle(timeout)
    end = await sender.command("chat.send", {"text": "end of the run"}, timeout=timeout)
    assert end["kind"] == "ack", end
    for member in members:
        await member.wait_seq(end["seq"], timeout)
    return end["seq"]


class _Waits:
    """Waiting on a member's log: shared by :class:`ResilientClient` and :class:`RealMember`,
    which provide ``_until``, ``log``, ``outbox`` and ``send``."""

    async def wait_answered(self, cid: str, timeout: float = 10) -> None:
        await self._until(lambda: self.log.answered(cid), timeout, f"answer to {cid}")

    async def wait_idle(self, timeout: float = 20) -> None:
        """Until every queued command has its final answer."""
        await self._until(lambda: not self.outbox, timeout, "empty outbox")

    async def wait_seq(self, seq: int, timeout: float = 20) -> None:
        """Until this member holds ``seq`` (or a later one)."""
        await self._until(lambda: (self.log.last_seq or 0) >= seq, timeout, f"seq {seq}")

    async def command(self, kind: str, data: dict | None = None, timeout: float = 10) -> dict:
        """Send and wait: return {"kind": "ack", "seq": ...} or {"kind": "error", "code": ...}."""
        cid = await self.send(kind, data)
        await self.wait_answered(cid, timeout)
        if cid in self.log.acks:
            return {"kind": "ack", "id": cid, "seq": self.log.acks[cid]}
        return {"kind": "error", "id": cid, "code": self.log.errors[cid]}


class ResilientClient(_Waits):
    """A member that reconnects, resumes and resends, recording into a :class:`ClientLog`.

    ``url`` may be a string or a callable returning the current URL. The
    client stops for good after a fatal close (4001, 4002, 4003).
    """

    def __init__(
        self,
        url: str | Callable[[], str],
        token: str,
        log: ClientLog,
        *,
        backoff: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8),
        retry_after: float = 0.3,
        on_frame: Callable[[dict], None] | None = None,
        local_addr: tuple[str, int] | None = None,
        routes: bool = True,
    ) -> None:
        self._url = url
        #: As the product's client: the cookie asks for the node the last welcome or route frame
        #: named, and a route frame is followed once by a reconnect at once (protocol/route.py).
        self.routes = routes
        self.route: str | None = None
        self.reroutes = 0
        self.token = token
        self.log = log
        self.backoff = backoff
        self.retry_after = retry_after
        self.on_frame = on_frame
        self.local_addr = local_addr
        self.outbox: dict[str, dict] = {}  # cid -> frame, until answered
        self.ws = None
        self.connected = asyncio.Event()
        self.fatal: int | None = None
        self.connects = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closing = False
        self._prefix = f"{log.name[:8]}-{next(_ids)}-"
        self._count = itertools.count(1)
        self._limits: dict = {}  # the relay's announced rate limit (the last welcome's)
        self._resends: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return self._url() if callable(self._url) else self._url

    def start(self) -> ResilientClient:
        self._task = asyncio.create_task(self._run(), name=f"client {self.log.name}")
        return self

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 2)
            except Exception:
                pass
        for resend in list(self._resends):
            resend.cancel()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        attempt = 0
        rounds = 0  # route frames since the last welcome: the first is followed at once
        while not self._closing and self.fatal is None:
            rerouted = False
            try:
                kwargs: dict[str, Any] = dict(compression=None, max_size=None, open_timeout=5, close_timeout=1, ping_interval=None)
                if self.local_addr is not None:
                    kwargs["local_addr"] = self.local_addr
                if self.routes:
                    kwargs["additional_headers"] = {"Cookie": cookie_header(self.route)}
                async with connect(self.url, **kwargs) as ws:
                    self.ws = ws
                    self.connects += 1
                    await ws.send(
                        msgpack.packb(
                            {"kind": "hello", "v": PROTOCOL_VERSION, "token": self.token, "resume_from": self.log.last_seq, "client": "audit"},
                            use_bin_type=True,
                        )
                    )
                    welcomed = False
                    async for message in ws:
                        frame = msgpack.unpackb(message, raw=False, strict_map_key=False)
                        self.log.on_frame(frame)
                        if self.on_frame is not None:
                            self.on_frame(frame)
                        kind = frame.get("kind")
                        if kind == "route" and not welcomed:
                            self.route = valid_route(frame.get("route")) or self.route
                            rerouted = True
                            self.reroutes += 1
                            rounds += 1
                            break
                        if kind == "welcome":
                            welcomed = True
                            attempt = rounds = 0
                            self._limits = dict(frame.get("limits") or {})
                            self.route = valid_route(frame.get("route"))
                        elif kind == "synced" and welcomed:
                            self.connected.set()
                            self._resend_paced(ws, list(self.outbox.values()))
                        elif kind in ("ack", "error"):
                            self._answered(frame)
                        self._changed.set()
            except asyncio.CancelledError:
                raise
            except (ConnectionClosed, OSError, InvalidHandshake, InvalidURI, TimeoutError):
                pass
            finally:
                ws, self.ws = self.ws, None
                self.connected.clear()
                if ws is not None:
                    self.log.close_codes.append(ws.close_code)
                    if ws.close_code in FATAL_CLOSE:
                        self.fatal = ws.close_code
                self._changed.set()
            if self._closing or self.fatal is not None:
                return
            if rerouted and rounds == 1:
                continue  # named the group's owner: go there at once
            await asyncio.sleep(self.backoff[min(attempt, len(self.backoff) - 1)] * (0.5 + random.random()))
            attempt += 1

    def _answered(self, frame: dict) -> None:
        cid = frame.get("id")
        if cid is None and frame.get("kind") == "error" and frame.get("code") == "rate_limited":
            # Frames over the relay's rate are dropped unread and told once:
            # resend whatever is still unanswered a little later.
            asyncio.get_running_loop().call_later(self.retry_after, self._resend_outstanding)
            return
        if cid not in self.outbox:
            return
        if frame.get("kind") == "error" and frame.get("code") in RETRYABLE:
            asyncio.get_running_loop().call_later(self.retry_after, self._resend, cid)
            return
        del self.outbox[cid]

    def _resend_outstanding(self) -> None:
        if self.ws is not None and self.connected.is_set():
            self._resend_paced(self.ws, list(self.outbox.values()))

    def _resend_paced(self, ws: Any, frames: list[dict]) -> None:
        """Send ``frames`` again under the relay's announced rate, as the real client paces its outbox
        (iop_tui/core/connection.py): an outbox grown past the burst while the relay could not store
        (PostgreSQL down), sent all at once, is cut for flooding (4029) on every reconnect."""
        task = asyncio.ensure_future(self._send_paced(ws, frames))
        self._resends.add(task)
        task.add_done_callback(self._resends.discard)

    async def _send_paced(self, ws: Any, frames: list[dict]) -> None:
        loop = asyncio.get_running_loop()
        rate = float(self._limits.get("rate_per_s") or 20.0) * 0.9
        burst = max(1.0, float(self._limits.get("burst") or 40) * 0.5)  # half: the live load shares the bucket
        tokens, last = burst, loop.time()
        for frame in frames:
            if frame.get("id") not in self.outbox:
                continue  # answered meanwhile
            now = loop.time()
            tokens, last = min(burst, tokens + (now - last) * rate), now
            data = msgpack.packb(frame, use_bin_type=True)
            cost = min(float(frame_cost(len(data))), burst)
            if tokens < cost:
                await asyncio.sleep((cost - tokens) / rate)
                tokens, last = cost, loop.time()
            tokens -= cost
            try:
                await ws.send(data)
            except ConnectionClosed:
                return

    def _resend(self, cid: str) -> None:
        frame = self.outbox.get(cid)
        ws = self.ws
        if frame is None or ws is None or not self.connected.is_set():
            return  # the next synced resends it
        task = asyncio.ensure_future(self._send_frame(ws, frame))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    @staticmethod
    async def _send_frame(ws: Any, frame: dict) -> None:
        try:
            await ws.send(msgpack.packb(frame, use_bin_type=True))
        except ConnectionClosed:
            pass

    async def send(self, kind: str, data: dict | None = None, cid: str | None = None) -> str:
        """Queue a command (sent now if connected, else after the next resume)."""
        cid = cid or f"{self._prefix}{next(self._count)}"
        frame = command_frame(kind, cid, data)
        self.log.sent[cid] = (kind, dict(data or {}))
        self.outbox[cid] = frame
        ws = self.ws
        if ws is not None and self.connected.is_set():
            await self._send_frame(ws, frame)
        return cid

    # -- faults ------------------------------------------------------------------

    def cut(self) -> None:
        """Abort the TCP connection without a close frame (a network failure)."""
        ws = self.ws
        if ws is not None:
            ws.transport.abort()

    def pause_reading(self) -> None:
        """Stop reading the socket: the relay's writes pile up (a half-open peer)."""
        if self.ws is not None:
            self.ws.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.ws is not None:
            self.ws.transport.resume_reading()

    # -- waiting ------------------------------------------------------------------

    async def _until(self, cond: Callable[[], bool], timeout: float, what: str) -> None:
        async def loop() -> None:
            while not cond():
                if self.fatal is not None:
                    raise ConnectionError(f"{self.log.name} was closed for good ({self.fatal}) while waiting for {what}")
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.log.name}: no {what} within {timeout} s (last seq {self.log.last_seq}, outbox {len(self.outbox)}, connects {self.connects})"
            ) from None

    async def wait_connected(self, timeout: float = 10) -> None:
        await self._until(self.connected.is_set, timeout, "sync")



class RealMember(_Waits):
    """The real client :class:`iop_tui.core.connection.Connection`, recorded into a :class:`ClientLog`.

    Same waiting and fault methods as :class:`ResilientClient`, so tests and
    benches can drive either. The connection's own outbox, resends and
    resume logic are what is under test here.
    """

    def __init__(self, url: str, token: str, log: ClientLog, *, backoff: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4)) -> None:
        from iop_tui.core.connection import Connection

        self.log = log
        log.retryable = frozenset()  # the real client drops a command on any error, and says so
        self.conn = Connection(url, token, client_name="audit", backoff=backoff)
        self.conn.add_listener(self._on_frame)
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.connects = 0

    def _on_frame(self, frame: dict) -> None:
        kind = frame.get("kind")
        if kind != "status":
            self.log.on_frame(frame)
        if kind == "welcome":
            self.connects += 1
            self._last_ws = self.conn._ws
        elif kind == "status" and frame.get("state") == "reconnecting" and frame.get("retry_in") is not None:
            ws, self._last_ws = getattr(self, "_last_ws", None), None
            if ws is not None:
                self.log.close_codes.append(ws.close_code)
        self._changed.set()

    @property
    def fatal(self) -> str | None:
        return self.conn.fatal_message

    @property
    def outbox(self) -> dict:
        return self.conn.outbox

    @property
    def ws(self) -> Any:
        return self.conn._ws

    def start(self) -> RealMember:
        self._task = asyncio.create_task(self.conn.run(), name=f"connection {self.log.name}")
        self._task.add_done_callback(lambda _t: self._changed.set())
        return self

    def _run_state(self) -> str:
        """How the connection's run() is doing (a crash there would leave its state stale)."""
        task = self._task
        if task is None or not task.done():
            return "running"
        if task.cancelled():
            return "cancelled"
        exc = task.exception()
        return f"ended with {exc!r}" if exc else "ended"

    async def close(self) -> None:
        await self.conn.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5)
            except (TimeoutError, Exception):
                self._task.cancel()

    async def send(self, kind: str, data: dict | None = None) -> str:
        cid = self.conn.send(kind, data)
        self.log.sent[cid] = (kind, dict(data or {}))
        return cid

    def cut(self) -> None:
        ws = self.ws
        if ws is not None and ws.transport is not None:
            ws.transport.abort()

    def pause_reading(self) -> None:
        ws = self.ws
        if ws is not None:
            ws.transport.pause_reading()

    def resume_reading(self) -> None:
        ws = self.ws
        if ws is not None:
            ws.transport.resume_reading()

    async def _until(self, cond: Callable[[], bool], timeout: float, what: str) -> None:
        async def loop() -> None:
            while not cond():
                if self.fatal is not None:
                    raise ConnectionError(f"{self.log.name} failed for good: {self.fatal}")
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"{self.log.name}: no {what} within {timeout} s (state {self.conn.state}, run() {self._run_state()}, "
                f"last seq {self.conn.last_seq}, outbox {len(self.outbox)}, closes {self.log.close_codes[-5:]})"
            ) from None

    async def wait_connected(self, timeout: float = 10) -> None:
        await self._until(lambda: self.conn.connected, timeout, "sync")

