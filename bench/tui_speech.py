"""What a console screen reader says over the full-screen face: three figures (issue 12).

Runs the real demo (``iop-tui demo``, full-screen, 80x24) under the real
screen reader Fenrir through the harness in ``/work/shared/tools/screenreader``
(``run_under_fenrir.sh --wpm 300``), as a participant and as a facilitator,
twice each:

1. **idle**: nobody touches a key for ``--idle-seconds`` (75 by default). The
   utterances begun before ``--first-screen`` seconds (6) after the full screen
   appeared (the alternate screen switched on: :func:`screen_start`, from the
   harness's ``OUT.raw.chunks.tsv``; on a loaded machine the demo takes 9 to 13 s
   to get there), with the backlog read on after them without a pause, are the
   first screen;
   each is classified (:func:`noise_reason`): "has attribute", "blank", a lone
   character or two, a block glyph, a widget's name, or a row read again. The
   rest of the run is idle: an utterance said again word for word is a repeat
   (:func:`repeats`).
2. **focus**: keys typed at set times (``--send``: Tab, Down, a pane's digit);
   after each, what Fenrir said before the next key must contain the focused
   item's label and value (:data:`PARTICIPANT_KEYS`, :data:`FACILITATOR_KEYS`,
   :func:`focus_spoken`).

It prints each utterance with its class, then one line per role::

    tui_speech role=participant first_screen_noise=N idle_repeats=N focus_spoken=K/M

(targets: noise at most 3, repeats 0, focus K = M), and ``focus_delay_median`` and ``max``:
seconds from a key to the first utterance that says the focused item (:func:`focus_delays`). Fenrir is not in CI, so this
is not part of ``make test``; the classifying functions are unit-tested
(tests/unit/test_tui_speech.py). Run with::

    .venv/bin/python bench/tui_speech.py [--roles participant,facilitator] [--idle-seconds 75]
    mkdir /tmp/base && git archive BASE | tar -x -C /tmp/base && .venv/bin/python bench/tui_speech.py --checkout /tmp/base

Each run writes its files (``OUT``, ``OUT.timed.tsv``, ``OUT.screen.txt``) under ``--out``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HARNESS = Path(os.environ.get("IOP_SCREENREADER_HARNESS", "/work/shared/tools/screenreader/run_under_fenrir.sh"))

#: Fenrir's own words at start and end: not the app's.
FENRIR_OWN = frozenset({"Start Fenrir", "Quit Fenrir"})
#: Fenrir's words about the screen rather than its text.
NOISE_WORDS = frozenset({"has attribute", "blank", "no review cursor"})
#: Block elements (U+2580-U+259F) and the heavy box-drawing bars Textual draws.
BLOCKS = frozenset(chr(c) for c in range(0x2580, 0x25A0))
#: Fenrir leaves brackets and parentheses unsaid at its default punctuation level ("(x) single" is
#: heard as "x single") and says "-" as "dash": the expectations below are written for what is heard.

#: A widget's class name (CamelCase: "TabPane", "OptionList") read from the screen.
WIDGET_NAME = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float  # when it stopped (spoken, cut or unfinished at the run's end)
    status: str
    text: str


def normalise(text: str) -> str:
    """Fenrir's pauses (" , " at a screen row's end: a comma after a space) and runs of spaces as one space."""
    return " ".join(re.sub(r"(?:^|\s+),(?=\s|$)", " ", text).split()).strip()


def parse_timed(tsv: str) -> list[Utterance]:
    """The harness's ``OUT.timed.tsv``: one utterance a row (start, end, status, text);
    pause-only utterances and Fenrir's own start and quit are left out."""
    out = []
    for line in tsv.splitlines()[1:]:
        parts = line.split("\t", 3)
        if len(parts) < 4:
            continue
        text = normalise(parts[3])
        if not text or text in FENRIR_OWN:
            continue
        start = float(parts[0])
        out.append(Utterance(start, float(parts[1]) if parts[1] else start, parts[2], text))
    return out


#: The alternate screen switched on, as the harness writes the bytes (``repr``) in ``OUT.raw.chunks.tsv``.
ALT_SCREEN = "\\x1b[?1049h"


def screen_start(chunks_tsv: str) -> float:
    """When the full screen appeared: the time of the first raw chunk switching the alternate
    screen on (the harness's ``OUT.raw.chunks.tsv``: seconds, a tab, the bytes' repr); 0 if none did."""
    for line in chunks_tsv.splitlines():
        at, _, chunk = line.partition("\t")
        if ALT_SCREEN in chunk:
            try:
                return float(at)
            except ValueError:
                continue
    return 0.0


def noise_reason(text: str, earlier: list[str]) -> str | None:
    """Why ``text`` is noise rather than words for the person (None when it is words):
    Fenrir's screen words, a lone character or two, a block glyph, a widget's name,
    or what an ``earlier`` utterance of the same screen already said."""
    if text in NOISE_WORDS:
        return text
    if len(text.replace(" ", "")) <= 2:
        return "a lone character"
    if set(text) & BLOCKS:
        return "a block glyph"
    if WIDGET_NAME.search(text.replace("Ctrl", "")):
        return "a widget name"
    for before in earlier:
        if text == before or (len(text) >= 8 and text in before):
            return "read again"
    return None


def classify(utterances: list[Utterance]) -> list[tuple[Utterance, str | None]]:
    """Each utterance with its :func:`noise_reason` against those before it."""
    out: list[tuple[Utterance, str | None]] = []
    said: list[str] = []
    for u in utterances:
        out.append((u, noise_reason(u.text, said)))
        said.append(u.text)
    return out


def first_screen(utterances: list[Utterance], after: float, gap: float = 1.0) -> list[Utterance]:
    """The first screen's utterances: those that started before ``after`` seconds and the
    backlog that follows them without a pause of ``gap`` seconds (at a real speech rate
    the first screen is still being read well after it was drawn)."""
    out: list[Utterance] = []
    for u in utterances:
        if u.start >= after and (not out or u.start - max(o.end for o in out) >= gap):
            break
        out.append(u)
    return out


def first_screen_noise(utterances: list[Utterance], after: float) -> list[tuple[Utterance, str]]:
    """The noise among the first screen's utterances (:func:`first_screen`)."""
    return [(u, r) for u, r in classify(first_screen(utterances, after)) if r is not None]


def repeats(utterances: list[Utterance], since: float) -> list[Utterance]:
    """Utterances from ``since`` on that say word for word what was said before (at any time)."""
    seen: set[str] = set()
    out = []
    for u in utterances:
        if u.start >= since and u.text in seen:
            out.append(u)
        seen.add(u.text)
    return out


@dataclass(frozen=True)
class Move:
    """A key typed at ``at`` seconds, and what must be heard before the next key."""

    at: float
    keys: str
    expect: str  # a regular expression (case-insensitive): the focused item's label and value
    what: str


def focus_spoken(utterances: list[Utterance], moves: list[Move], end: float) -> list[tuple[Move, bool, str]]:
    """For each move: whether what was said between it and the next move matches its ``expect``."""
    out = []
    for i, move in enumerate(moves):
        stop = moves[i + 1].at if i + 1 < len(moves) else end
        heard = " | ".join(u.text for u in utterances if move.at <= u.start < stop)
        out.append((move, re.search(move.expect, heard, re.I) is not None, heard))
    return out


def focus_delays(utterances: list[Utterance], moves: list[Move], end: float) -> list[float | None]:
    """For each move: seconds from the key to the start of the first utterance (before the next
    key) that says the focused item by itself (matches ``expect`` alone); None when none does."""
    out: list[float | None] = []
    for i, move in enumerate(moves):
        stop = moves[i + 1].at if i + 1 < len(moves) else end
        hit = next((u for u in utterances if move.at <= u.start < stop and re.search(move.expect, u.text, re.I)), None)
        out.append(None if hit is None else hit.start - move.at)
    return out


TAB, DOWN = "\t", "\x1b[B"

#: A participant: the check-in form from the mood field down, then the round, then the People pane.
#: Keys 4 s apart; 14 s after a pane key, whose whole pane is read first (about 12 s at 300 words a minute).
PARTICIPANT_KEYS = [
    Move(35, TAB, r"Feeling words.*(tired|separated)", "Tab to the feeling words"),
    Move(39, TAB, r"Note\W+optional", "Tab to the note"),
    Move(43, TAB, r"x\W+Facilitators only", "Tab to who may read the note"),
    Move(47, DOWN, r"The group", "Down to the group"),
    Move(51, TAB, r"Where you are", "Tab to where you are"),
    Move(55, TAB, r"Submit check", "Tab to Submit"),
    Move(59, TAB, r"^Pass$|\bPass\b", "Tab to Pass"),
    Move(63, TAB, r"Checked in: \d+ of \d+", "Tab to the round"),
    Move(67, DOWN, r"\w+: (mood \d+|passed)", "Down to a member's check-in"),
    Move(71, "6", r"(facilitator|participant)\W+(online|away)", "6: the People pane"),
    Move(85, DOWN, r"(participant|facilitator|guest)\W+(online|away|offline)", "Down to the next person"),
]

#: A facilitator: the round, the Polls pane's prepared polls and form, then the People pane.
FACILITATOR_KEYS = [
    Move(35, DOWN, r"\w+: (mood \d+|passed)|Not yet", "Down in the round"),
    Move(39, "3", r"Prepared 1", "3: the Polls pane, prepared polls"),
    Move(53, DOWN, r"Prepared 2", "Down to prepared poll 2"),
    Move(57, TAB, r"Question:", "Tab to the question"),
    Move(61, TAB, r"x\W+single", "Tab to the kind"),
    Move(65, TAB, r"Options:", "Tab to the options"),
    Move(69, TAB, r"correct option", "Tab to the correct option"),
    Move(73, TAB, r"Anonymous to the group", "Tab to anonymous"),
    Move(77, TAB, r"Open poll", "Tab to Open poll"),
    Move(81, "6", r"Dana\W+you\W+facilitator\W+online", "6: the People pane"),
    Move(95, DOWN, r"participant\W+(online|away|offline)", "Down to a participant"),
]


def run_fenrir(out: Path, seconds: float, role: str, moves: list[Move], checkout: Path | None = None) -> list[Utterance]:
    """One harness run of the demo as ``role``; the utterances heard. ``checkout``: run the
    code of another checkout (``python -m iop_tui`` with it first on the path), for a baseline."""
    cmd = [str(HARNESS), "--wpm", "300", "--size", "80x24"]
    for move in moves:
        cmd += ["--send", f"{move.at}:{move.keys.encode('unicode_escape').decode('ascii')}"]
    python = REPO / ".venv" / "bin" / "python"
    demo = [str(python), "-m", "iop_tui", "demo"] + (["--as", "participant"] if role == "participant" else [])
    cmd += [str(int(seconds)), str(out), *demo]
    env = dict(os.environ, PYTHONPATH=str(checkout)) if checkout is not None else None
    subprocess.run(cmd, cwd=checkout or REPO, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return parse_timed(Path(f"{out}.timed.tsv").read_text(encoding="utf-8"))


def measure(role: str, out_dir: Path, idle_seconds: float, first_after: float, checkout: Path | None) -> str:
    moves = PARTICIPANT_KEYS if role == "participant" else FACILITATOR_KEYS
    idle = run_fenrir(out_dir / f"{role}-idle.txt", idle_seconds, role, [], checkout)
    chunks = Path(f"{out_dir / f'{role}-idle.txt'}.raw.chunks.tsv")
    shown = screen_start(chunks.read_text(encoding="utf-8", errors="replace")) if chunks.exists() else 0.0
    first_after += shown
    print(f"\n== {role}: first screen (the full screen at {shown:.1f} s, before {first_after:.1f} s) and idle ({idle_seconds:g} s, no keys)")
    first_ends = max((u.end for u in first_screen(idle, first_after)), default=first_after)
    for u, reason in classify(idle):
        where = "first" if u.start < first_ends else "idle "
        print(f"  {u.start:6.2f} {where} {'NOISE ' + reason if reason else 'words':<24} {u.text[:100]}")
    noise = first_screen_noise(idle, first_after)
    first = first_screen(idle, first_after)
    again = repeats(idle, first[-1].end if first else first_after)
    end = moves[-1].at + 6
    focus = run_fenrir(out_dir / f"{role}-focus.txt", end, role, moves, checkout)
    print(f"== {role}: focus moves")
    spoken = focus_spoken(focus, moves, end)
    for move, ok, heard in spoken:
        print(f"  {move.at:5.1f} {'spoke' if ok else 'MISSED':<6} {move.what:<34} heard: {heard[:110]}")
    good = sum(1 for _, ok, _ in spoken if ok)
    delays = sorted(d for d in focus_delays(focus, moves, end) if d is not None)
    delay = f" focus_delay_median={delays[len(delays) // 2]:.2f}s max={delays[-1]:.2f}s" if delays else ""
    return (f"tui_speech role={role} first_screen_noise={len(noise)} idle_repeats={len(again)}"
            f" focus_spoken={good}/{len(moves)}{delay}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", default="participant,facilitator")
    parser.add_argument("--idle-seconds", type=float, default=75.0)
    parser.add_argument("--first-screen", type=float, default=6.0)
    parser.add_argument("--out", type=Path, default=None, help="folder for the harness's files (a temporary one by default)")
    parser.add_argument("--checkout", type=Path, default=None,
                        help="measure another checkout's code (e.g. `git archive BASE | tar -x -C DIR`), for a baseline")
    args = parser.parse_args(argv)
    if not HARNESS.exists():
        print(f"no screen-reader harness at {HARNESS} (set IOP_SCREENREADER_HARNESS)", file=sys.stderr)
        return 2
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="tui-speech-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [measure(role, out_dir, args.idle_seconds, args.first_screen, args.checkout) for role in args.roles.split(",")]
    print(f"\nfiles: {out_dir}")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
