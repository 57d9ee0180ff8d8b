"""Plain mode start-up: time to the first line and peak memory, against a bare floor.

Runs the real plain client (``python -m iop_tui join URL --token T --plain``)
on a pseudo-terminal against a live relay subprocess (``python -m server
serve``, seeded with the real CLI), and, in the same run, a bare Python
process on a pty that only imports asyncio, msgpack and websockets (with
its client module, ``websockets.asyncio.client``: ``import websockets``
alone is lazy) and prints one line. For each: seconds from spawn to the first line on the
terminal, and peak RSS (``ru_maxrss`` from ``wait4``) after it leaves on
end of input. Best and median time of several interleaved runs; median RSS.

    .venv/bin/python bench/plain_start.py [--runs 15]

Last line: ``plain_start start_ratio=R rss_ratio=Q`` (targets: R <= 1.3, Q <= 1.2).
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# `import websockets` alone is lazy and loads no client code; a websockets client imports its
# client module, which is what the floor must pay for too (about 25 MiB, as the brief measured).
FLOOR = "import asyncio, msgpack, websockets, websockets.asyncio.client\nprint('ready', flush=True)\nimport sys\nsys.stdin.read()\n"


def env(config: Path) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["IOP_TUI_CONFIG_DIR"] = str(config)
    e.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed client runs from compiled bytecode
    return e


def start_relay(data: Path) -> tuple[subprocess.Popen, str, str]:
    def cli(*args: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "server", *args, "--data", str(data), "--json"], env=env(data), capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    cli("group", "create", "Tuesday IOP", "--facilitator", "Dana")
    token = cli("invite", "Tuesday IOP", "--name", "Sam")["token"]
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", "0", "--data", str(data), "--quiet"],
                            env=env(data), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    match = re.match(r"iop-server listening on (\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the relay did not start: {line!r}")
    return proc, match.group(1), token


def one_run(argv: list[str], environ: dict[str, str], expect: bytes) -> tuple[float, float]:
    """Seconds to the first full line on the pty, and peak RSS in MiB."""
    master, slave = pty.openpty()
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=environ, cwd=REPO, start_new_session=True)
    os.close(slave)
    buffer = b""
    first = None
    deadline = time.monotonic() + 30
    while first is None and time.monotonic() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            try:
                buffer += os.read(master, 65536)
            except OSError:
                break
            if b"\n" in buffer:
                first = time.perf_counter() - began
    if first is None or not buffer.startswith(expect):
        proc.kill()
        raise SystemExit(f"no first line {expect!r} from {argv[:4]}: {buffer[-500:]!r}")
    os.write(master, b"\x04")  # Control D: leave
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    while select.select([master], [], [], 0.1)[0]:
        try:
            if not os.read(master, 65536):
                break
        except OSError:
            break
    os.close(master)
    return first, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # compile our packages first, as `pip install` does: compiling on every start is not what people run
    subprocess.run([sys.executable, "-m", "compileall", "-q", "protocol", "iop_tui", "server"], cwd=REPO, check=True, env=env(REPO))
    with tempfile.TemporaryDirectory(prefix="iop-bench-") as tmp:
        tmp_path = Path(tmp)
        relay, url, token = start_relay(tmp_path / "data")
        try:
            script = REPO / ".venv" / "bin" / "iop-tui"  # the console script, as a person runs it
            launcher = [str(script)] if script.exists() else [sys.executable, "-c", "import sys; from iop_tui.cli import main; sys.exit(main())"]
            client = [*launcher, "join", url, "--token", token, "--plain"]
            floor = [sys.executable, "-c", FLOOR]
            results: dict[str, list[tuple[float, float]]] = {"floor": [], "plain": []}
            one_run(floor, env(tmp_path / "cfg"), b"ready")  # warm the page cache and bytecode
            one_run(client, env(tmp_path / "cfg"), b"Joined Tuesday IOP as Sam")
            for _ in range(args.runs):  # interleaved, so drift affects both alike
                results["floor"].append(one_run(floor, env(tmp_path / "cfg"), b"ready"))
                results["plain"].append(one_run(client, env(tmp_path / "cfg"), b"Joined Tuesday IOP as Sam"))
        finally:
            relay.terminate()
            relay.wait(10)
    # The best time of N is the least disturbed by other load on the machine (as timeit does);
    # the median is printed too. Peak RSS hardly varies: its median is used.
    best = {k: min(t for t, _ in v) for k, v in results.items()}
    med = {k: (statistics.median(t for t, _ in v), statistics.median(r for _, r in v)) for k, v in results.items()}
    for name, (start, rss) in med.items():
        print(f"{name:6s} first line best {best[name] * 1000:6.1f} ms, median {start * 1000:6.1f} ms   peak RSS {rss:5.1f} MiB   ({args.runs} runs)")
    print(f"median start ratio {med['plain'][0] / med['floor'][0]:.2f} (noisier when the machine is busy)")
    start_ratio = best["plain"] / best["floor"]
    rss_ratio = med["plain"][1] / med["floor"][1]
    print(f"plain_start start_ratio={start_ratio:.2f} rss_ratio={rss_ratio:.2f}")


if __name__ == "__main__":
    main()
