"""Idle terminal bytes of a facilitator whose plan has planned minutes (the timed agenda).

The timed agenda must not make an idle client write: the header says "Exercises
until 13:40" (a time of day that stays true) and the face keeps one scheduled
call for the next agenda line, never a tick. This bench starts a relay
subprocess, joins it as the facilitator with the real full-screen program on an
80x24 pty (and, in the same run, the plain program), loads a plan, moves to a
phase, waits until the terminals are quiet, then counts what each writes while
nothing happens. It runs twice in one go: first a plan WITHOUT an ``[agenda]``
(the baseline), then the same plan with one, and prints both and their ratio::

    agenda_idle baseline_full_b=N agenda_full_b=N baseline_plain_b=N agenda_plain_b=N

All four should be 0. Run with::

    .venv/bin/python bench/agenda_idle.py [--idle-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from terminal_bytes import Face, Member, _env, seed, settle, start_relay, wait_text

DECK = "# One\n\nA slide.\n"


def _ratio(value: int, base: int) -> str:
    if base == 0:
        return "-" if value == 0 else "inf"
    return f"{value / base:.1f}"


async def idle_bytes(tmp: Path, url: str, token: str, plan: Path, phase: str, idle: float, *, armed: bool) -> tuple[int, int]:
    """(full-screen bytes, plain bytes) written by the facilitator's faces while idle."""
    token_file = tmp / "dana.token"
    token_file.write_text(token + "\n")
    launcher = [sys.executable, "-m", "iop_tui", "join", "--token-file", str(token_file), url]
    full = Face("full-screen", launcher, _env(tmp / f"cfg-full-{phase}", "xterm-256color"))
    plain = Face("plain", [*launcher, "--plain"], _env(tmp / f"cfg-plain-{phase}", "xterm-256color"))
    try:
        await wait_text(full, "Tuesday IOP")
        await wait_text(plain, "Joined Tuesday IOP")
        for line in (f"/plan {plan}", f"/phase {phase}"):
            plain.press(line.encode() + b"\r")
            await asyncio.sleep(0.5)
        full.press(b"\x0f")  # Control O asks for a plan's path
        await asyncio.sleep(1.0)
        full.press(str(plan).encode())
        await asyncio.sleep(0.5)
        full.press(b"\r")
        if armed:  # the agenda is really on: the header and /status say when the phase ends
            await wait_text(full, f"{phase.capitalize()} until")
            plain.press(b"/status\r")
            await wait_text(plain, "planned to end at")
        await settle([full, plain], 2.0)
        before = full.count, plain.count
        await asyncio.sleep(idle)
        return full.count - before[0], plain.count - before[1]
    finally:
        full.close()
        plain.close()


async def run(idle: float) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = tmp / "data"
        tokens = seed(data)
        relay, url = start_relay(data)
        try:
            (tmp / "deck.md").write_text(DECK, encoding="utf-8")
            (tmp / "plain.toml").write_text('deck = "deck.md"\n', encoding="utf-8")
            (tmp / "agenda.toml").write_text('deck = "deck.md"\n[agenda]\ncheckin = 10\nexercises = 20\ndiscussion = 20\n', encoding="utf-8")
            async with Member(url, tokens["Dana"]) as dana:
                await dana.do("session.start", {"title": "Week 3"})
                await dana.do("phase.set", {"phase": "checkin"})
            base = await idle_bytes(tmp, url, tokens["Dana"], tmp / "plain.toml", "exercises", idle, armed=False)
            with_agenda = await idle_bytes(tmp, url, tokens["Dana"], tmp / "agenda.toml", "discussion", idle, armed=True)
        finally:
            relay.kill()
            relay.wait(10)
    print(f"{'face':<14}{'no agenda':>12}{'agenda':>10}{'ratio':>8}")
    for i, face in enumerate(("full-screen", "plain")):
        print(f"{face:<14}{base[i]:>12,}{with_agenda[i]:>10,}{_ratio(with_agenda[i], base[i]):>8}")
    print(f"agenda_idle baseline_full_b={base[0]} agenda_full_b={with_agenda[0]} baseline_plain_b={base[1]} agenda_plain_b={with_agenda[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(run(args.idle_seconds))


if __name__ == "__main__":
    main()
