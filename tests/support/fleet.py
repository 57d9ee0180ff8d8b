"""Several relay nodes on one PostgreSQL schema, behind one address (issue 16).

A :class:`Fleet` starts N ``python -m server serve --store PGURL --node-id NAME
--internal-url ws://127.0.0.1:PORT/`` subprocesses on one schema (from
:func:`tests.support.pg.fresh_schema`), each on a loopback port chosen once and
kept across restarts, and a :class:`Balancer` in front: a small asyncio TCP
proxy, round robin, that skips a backend refusing the connection (a dead node),
so members know one address only, as behind HAProxy. Faults are signals by PID:
:meth:`Node.kill` (SIGKILL, a crash), :meth:`Node.pause` / :meth:`Node.resume`
(SIGSTOP / SIGCONT, a paused process that wakes after its lease), :meth:`Node.stop`
(SIGTERM, a clean shutdown) and :meth:`Node.restart` (same port, same node id).

:meth:`Fleet.audit` checks what the members saw against PostgreSQL with the shared
:class:`tests.support.audit.Auditor` (every acked event stored, each member's
visible subset in order, nothing twice, each (member, command id) applied once),
and adds what only the database can say: each group's seqs are 1..head_seq with
no gap and ``groups.head_seq`` is the last one, and no (member, command id) has
two stored results.

:class:`PrivatePostgres` is a throwaway PostgreSQL cluster (initdb into a temporary
folder, on an ephemeral port) for tests that stop or crash the database: the
machine's shared PostgreSQL is never restarted. It skips (or fails under
``CI=true``) with the reason when no cluster can be made here.

``python -m tests.support.fleet balance --port 0 HOST:PORT ...`` runs the balancer
alone (the bench runs it as its own process and reads its CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.audit import Auditor, AuditReport, free_port
from tests.support.procs import REPO, ServerProcess, _env, start_serve

__all__ = ["Balancer", "Fleet", "Node", "PrivatePostgres", "serve_has_node_flags", "pg_audit", "SECRET"]

#: The shared internal secret every node of a test fleet presents to the others.
SECRET = "fleet-test-secret"
#: Rate limits high enough that a test's load is never throttled.
LIMITS = ("--rate", "500", "--burst", "200", "--quiet")


@functools.cache
def serve_has_node_flags() -> bool:
    """Whether ``serve`` takes ``--node-id`` / ``--internal-url`` (placement, branch ``nodes``)."""
    out = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--help"], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=30
    )
    return "--node-id" in out.stdout and "--internal-url" in out.stdout


class Node:
    """One relay node: a subprocess on a fixed loopback port, started again on the same one."""

    def __init__(self, name: str, store_url: str, workdir: Path, *, extra: tuple[str, ...] = LIMITS, node_flags: bool = True) -> None:
        self.name = name
        self.store_url = store_url
        self.port = free_port()
        self.internal_url = f"ws://127.0.0.1:{self.port}/"
        self.data = workdir / name
        self.data.mkdir(parents=True, exist_ok=True)
        self.extra = extra
        self.node_flags = node_flags
        self.proc: ServerProcess | None = None
        self.past: list[ServerProcess] = []
        self.paused = False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.proc.poll() is None

    def start(self) -> Node:
        args = ["--port", str(self.port), "--data", str(self.data), "--store", self.store_url, *self.extra]
        if self.node_flags:
            args += ["--node-id", self.name, "--internal-url", self.internal_url]
        self.proc = start_serve(args, {"IOP_INTERNAL_SECRET": SECRET})
        self.paused = False
        return self

    def _signal(self, sig: signal.Signals) -> None:
        if self.alive:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL: a crash; the node's lease lapses, another node claims its groups."""
        if self.proc is not None:
            if self.paused:
                self._signal(signal.SIGCONT)
            self.proc.kill()
            self.paused = False

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM: a clean shutdown (it releases its groups at once)."""
        if self.proc is None:
            return None
        if self.paused:
            self.resume()
        return self.proc.stop(timeout)

    def pause(self) -> None:
        """SIGSTOP: the process stops mid-step, sockets open, lease not renewed."""
        self._signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """SIGCONT: it wakes as if nothing happened (its lease lapsed meanwhile)."""
        self._signal(signal.SIGCONT)
        self.paused = False

    def restart(self) -> Node:
        """Kill if still running, then start again on the same port and node id."""
        if self.alive:
            self.kill()
        if self.proc is not None:
            self.past.append(self.proc)
        return self.start()

    def stderr_text(self) -> str:
        return "".join(p.stderr_text() for p in [*self.past, *([self.proc] if self.proc else [])])

    def close(self) -> None:
        for p in [*self.past, *([self.proc] if self.proc else [])]:
            try:
                if self.paused and p.proc.poll() is None:
                    os.kill(p.pid, signal.SIGCONT)
                p.__exit__(None, None, None)
            except Exception:
                pass


# -- the balancer: one address in front of the nodes -------------------------------------


class _Side(asyncio.Protocol):
    """One side of a proxied connection; what it reads goes to ``peer``."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.pending = bytearray()
        self.lost = False
        self.on_lost: Callable[[_Side], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.pending += data

    def eof_received(self) -> bool:
        self._end()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.on_lost is not None:
            self.on_lost(self)
        self._end()

    def _end(self) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.close()

    # Flow control: when our writes pile up, stop reading the other side.
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None and not self.peer.transport.is_closing():
            self.peer.transport.resume_reading()


class Balancer:
    """A round-robin TCP proxy on loopback; a backend that refuses (or does not answer
    within ``connect_timeout``) is skipped for the next one; none answering closes the
    member's connection (it retries, as behind a real load balancer)."""

    def __init__(self, backends: list[tuple[str, int]], host: str = "127.0.0.1", port: int = 0, connect_timeout: float = 1.0) -> None:
        self.backends = list(backends)
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.connections = [0] * len(backends)
        self.skipped = 0
        self._next = itertools.count()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._open: set[_Side] = set()

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    async def start(self) -> Balancer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._front, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def _front(self) -> _Side:
        front = _Side()
        self._open.add(front)
        front.on_lost = self._open.discard
        task = asyncio.get_running_loop().create_task(self._connect(front))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return front

    async def _connect(self, front: _Side) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # let connection_made run
        for _ in range(len(self.backends)):
            i = next(self._next) % len(self.backends)
            try:
                _t, back = await asyncio.wait_for(loop.create_connection(_Side, *self.backends[i]), self.connect_timeout)
            except (OSError, TimeoutError):
                self.skipped += 1
                continue
            self.connections[i] += 1
            if front.lost or front.transport is None:
                back.transport.close()  # type: ignore[union-attr]
                return
            self._open.add(back)
            back.on_lost = self._open.discard
            back.peer, front.peer = front, back
            if front.pending:
                back.transport.write(bytes(front.pending))  # type: ignore[union-attr]
                front.pending.clear()
            return
        if front.transport is not None:
            front.transport.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for side in list(self._open):
            if side.transport is not None:
                side.transport.abort()
        self._open.clear()
        for task in list(self._tasks):
            task.cancel()


# -- the fleet -------------------------------------------------------------------------------


class Fleet:
    """N nodes on one PostgreSQL schema and a balancer in front. Use ``async with``."""

    def __init__(self, store_url: str, n: int, workdir: Path, *, extra: tuple[str, ...] = LIMITS, node_flags: bool | None = None) -> None:
        if node_flags is None:
            node_flags = serve_has_node_flags()
        self.store_url = store_url
        self.nodes = [Node(f"node{i + 1}", store_url, workdir, extra=extra, node_flags=node_flags) for i in range(n)]
        self.balancer = Balancer([("127.0.0.1", node.port) for node in self.nodes])

    @property
    def url(self) -> str:
        return self.balancer.url

    async def __aenter__(self) -> Fleet:
        try:
            # The first node migrates; the others start side by side.
            await asyncio.to_thread(self.nodes[0].start)
            await asyncio.gather(*(asyncio.to_thread(node.start) for node in self.nodes[1:]))
            await self.balancer.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        await self.balancer.close()
        for node in self.nodes:
            node.close()

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def owners(self) -> dict[int, str | None]:
        """group id -> the node that owns it now (``groups.owner_node``), from PostgreSQL."""
        import psycopg

        with psycopg.connect(self.store_url, autocommit=True) as conn:
            return {int(row[0]): row[1] for row in conn.execute("SELECT id, owner_node FROM groups ORDER BY id").fetchall()}

    def owner(self, group_id: int) -> Node | None:
        name = self.owners().get(group_id)
        return self.node(name) if name else None

    async def restart(self, node: Node) -> Node:
        return await asyncio.to_thread(node.restart)

    def audit(self, auditor: Auditor, **kw: Any) -> AuditReport:
        return pg_audit(self.store_url, auditor, **kw)

    def stderr_text(self) -> str:
        return "\n".join(f"--- {n.name}\n{n.stderr_text()[-3000:]}" for n in self.nodes)


def pg_audit(store_url: str, auditor: Auditor, **kw: Any) -> AuditReport:
    """The shared audit against PostgreSQL, plus the database's own view of each group."""
    import psycopg

    from server.store_pg import PgStore

    store = PgStore(store_url)
    try:
        report = auditor.check(store, **kw)
    finally:
        store.close()
    groups = sorted({log.group_id for log in auditor.logs})
    with psycopg.connect(store_url, autocommit=True) as conn:
        for gid in groups:
            row = conn.execute("SELECT head_seq FROM groups WHERE id = %s", (gid,)).fetchone()
            head = int(row[0]) if row else -1
            count, low, high = conn.execute("SELECT count(*), min(seq), max(seq) FROM events WHERE group_id = %s", (gid,)).fetchone()
            if count != head or (count and (low != 1 or high != head)):
                report.lost += 1
                report.problems.append(f"group {gid}: head_seq {head} but {count} events stored, seqs {low}..{high}")
        twice = conn.execute(
            "SELECT member_id, command_id, count(*) FROM command_results GROUP BY member_id, command_id HAVING count(*) > 1"
        ).fetchall()
        for member_id, cid, n in twice:
            report.duplicated += 1
            report.problems.append(f"member {member_id}: command {cid} has {n} stored results")
    return report


# -- a private PostgreSQL cluster (for tests that crash the database) -----------------


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _unavailable(why: str) -> None:
    import pytest

    message = f"a private PostgreSQL cluster cannot be made here ({why})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


class PrivatePostgres:
    """A throwaway cluster: initdb into a temporary folder, trust auth, an ephemeral port.

    As root, initdb and the server run as the ``postgres`` user (``runuser``), which
    must be able to write the folder. :meth:`crash` stops it with ``-m immediate``
    (no checkpoint: recovery replays the WAL on the next start, as after a power cut).
    """

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="iop-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        assert self.bin is not None
        return subprocess.run([*self._as, str(self.bin / tool), *args], capture_output=True, text=True, timeout=timeout)

    def init(self) -> PrivatePostgres:
        if self.bin is None:
            _unavailable("no initdb: apt-get install postgresql")
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                _unavailable("running as root without runuser")
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        out = self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        if out.returncode != 0:
            _unavailable(f"initdb failed: {out.stderr.strip()[-300:]}")
        self.start()
        return self

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        out = self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", opts, "-l", str(self.dir / "log"), "-w", "-t", "30", "start")
        if out.returncode != 0:
            raise RuntimeError(f"the private PostgreSQL did not start: {out.stderr}{self.log()[-1500:]}")

    def crash(self) -> None:
        """Stop at once, like a crash: connections cut, nothing flushed but the WAL."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def log(self) -> str:
        try:
            return (self.dir / "log").read_text(errors="replace")
        except OSError:
            return ""

    def cleanup(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        yield pg.init()
    finally:
        pg.cleanup()


# -- the balancer as its own process ---------------------------------------------------------


def _balance_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fleet balance")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("backends", nargs="+", metavar="HOST:PORT")
    args = parser.parse_args(argv)

    async def main() -> None:
        backends = [(b.rsplit(":", 1)[0], int(b.rsplit(":", 1)[1])) for b in args.backends]
        balancer = await Balancer(backends, port=args.port).start()
        print(f"balancer listening on {balancer.url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await balancer.close()

    asyncio.run(main())


if __name__ == "__main__":
    if sys.argv[1:2] != ["balance"]:
        raise SystemExit("usage: python -m tests.support.fleet balance [--port P] HOST:PORT ...")
    _balance_main(sys.argv[2:])
