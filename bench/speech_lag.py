"""Speech lag under a real screen reader (issue 12): the demo's whole agenda, heard through Fenrir.

Runs ``iop-tui demo --plain`` under the Fenrir harness
(``/work/shared/tools/screenreader/run_under_fenrir.sh``; Debian's ``fenrir``
must be installed, so this is not part of ``make test``) with speech timed at
``--wpm`` words a minute, three times:

- ``participant``: ``--as participant``: you are Jamie; the simulated facilitator
  runs the whole agenda; Jamie votes in each poll, checks in, writes a journal entry,
  speaks in a breakout room and in character in the role-play, adds a board card,
  takes a go-around turn, raises a hand, types a line slowly (a key every 0.3 s)
  while the group chats, writes a private line to the facilitators and reads /homework;
- ``facilitator``: you are Dana and drive the whole agenda by typed lines
  (polls, check-in round, every slide, phases, a journaling prompt, a breakout
  round, a role-play, a board, a go-around, hands, a private reply, homework,
  /end) while the simulated members act;
- ``reading``: a facilitator opens and reveals a poll, greets the group, shows two slides,
  then reads ``/help``, ``/help all`` and ``/history 20``, paged with ``/more``.

Every line is typed a key at a time, as a person types (a burst of keys
arriving at once is taken by Fenrir for tab completion, which cuts off its
speech). For each run it prints the figures of :mod:`tests.support.speechlag`: event lines
heard whole, cut and not heard; the median and max delay from a line's
appearance to its own first word being spoken (and to the start of the
utterance holding it, the harness's ``analyze.py`` measure); the worst delay of
a raised hand and of a private line. Then whether the slowly typed line was
heard whole and every line of ``/help`` and ``/history 20`` was spoken.

    .venv/bin/python bench/speech_lag.py [--wpm 300] [--runs participant,facilitator,reading] [--keep DIR]
    .venv/bin/python bench/speech_lag.py --again DIR     # the figures of runs kept in DIR, again

The figures depend on the machine's load (speech is timed in real time): say
``uptime`` with them. The harness folder can be set with ``IOP_SCREENREADER``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.speechlag import figures, match, parse_chunks, printed_lines, utterances  # noqa: E402

HARNESS = Path(os.environ.get("IOP_SCREENREADER", "/work/shared/tools/screenreader"))
IOP_TUI = ROOT / ".venv" / "bin" / "iop-tui"
KEY_S = 0.15  # a person types a key at a time (a burst of keys at once is read by Fenrir as tab completion, which cuts its speech)
SLOW_KEY_S = 0.3  # the slowly typed line: one key every 0.3 s

#: The participant's line typed slowly while chat arrives.
SLOW_LINE = "The friend question helps me most."


def typed(lines: list[tuple[float, str]], key_s: float = KEY_S) -> list[tuple[float, str]]:
    """Each (time, line) typed a key at a time from that time, then Enter; a line that
    would start before the one before it was finished starts a second after it."""
    sends: list[tuple[float, str]] = []
    free = 0.0
    for at, text in lines:
        if text == "\x04":  # Control D
            sends.append((max(at, free), text))
            continue
        per_key = SLOW_KEY_S if text == SLOW_LINE else key_s
        start = max(at, free)
        sends += [(round(start + i * per_key, 2), ch) for i, ch in enumerate(text)]
        end = start + len(text) * per_key + 0.3
        sends.append((round(end, 2), "\r"))
        free = end + 1.0
    return sends


#: name -> (seconds allowed, demo arguments, what is typed when)
RUNS: dict[str, tuple[float, list[str], list[tuple[float, str]]]] = {
    # Anchored to the merged demo's timeline (its facilitator waits for everyone present, Jamie too,
    # up to 90 s: a poll, the journal, the breakout room, the role-play and the go-around turn all wait
    # for Jamie, so Jamie takes part in each, as a member would).
    "participant": (730, ["--as", "participant"], typed([
        (20, "/vote 6"),
        (32, "/checkin 6 curious"),
        (272, "/vote 2"),  # the exercises: which thinking trap
        (300, "/vote 2"),  # the quiz
        (326, "/journal My sister didn't answer; I thought she was angry."),  # the journaling prompt
        (336, "/journal done"),
        (362, "I thought everyone would notice my mistake. Balanced: most were busy."),  # in breakout room 1
        (424, "/say Thanks for the ten minutes. I'd like to talk about a raise."),  # in character (unless the observer)
        (478, "/card 1 A walk after dinner"),  # the shared board
        (522, "Reframing the 'they are angry' thought helped me."),  # Jamie's go-around turn (the quietest goes first)
        (562, "/hand"),  # once the go-around is over and the group talks
        (568, SLOW_LINE),  # while the group chats
        (588, "/dm I found the evidence slide hard to follow today."),
        (628, "/homework"),
        (700, "\x04"),
    ])),
    "facilitator": (820, [], typed([
        (10, "/poll plan 1"),
        (34, "/close 1"),
        (38, "/reveal 1"),
        (48, "/round"),
        (62, "Thank you all for checking in. Let's look at this week's topic."),
        (80, "/phase psychoeducation"),
        *[(102 + 22 * i, "/next") for i in range(7)],
        (262, "/phase exercises"),
        (268, "/poll plan 2"),
        (294, "/close 2"),
        (298, "/reveal 2"),
        (310, "/poll plan 3"),
        (336, "/close 3"),
        (340, "/reveal 3"),
        # the facilitator's kit and small rooms: a journaling prompt, a breakout round, a role-play, a board
        (350, "/journal plan 1"),
        (384, "/journal"),  # the counts, and what members shared with the facilitators
        (392, "/journal close"),
        (400, "Now in small rooms of two. /rooms says the prompt again."),
        (412, "/breakout plan 1"),
        (436, "/rooms"),
        (448, "/broadcast A minute more, then we come back together. Agree on a one-line summary."),
        (464, "/recall"),
        (476, "/roleplay plan 1"),
        (508, "/debrief"),
        (524, "/board plan 1"),
        (530, "The board is open: add what helps you, and a +1 to ideas you like."),
        (560, "/board"),
        (580, "/phase discussion"),
        (586, "/goround plan 1"),
        *[(604 + 16 * i, "/goround next") for i in range(4)],
        (672, "What stood out for you today? Raise your hand if you'd like to speak."),
        (690, "Go ahead, Sam."),
        (694, "/lower Sam"),
        (710, "Go ahead, Morgan."),
        (714, "/lower Morgan"),
        (724, "/reply Riley Of course. Stay on after group and we'll talk."),
        (736, "/phase closing"),
        (740, "/assign plan"),
        (746, "This week's homework is the thought record. Thank you all; see you next week."),
        (770, "/completion"),
        (780, "/end A good session on reframing thoughts."),
        (790, "/end yes"),
        (796, "\x04"),
    ])),
    "reading": (420, [], typed([
        # first some events for /history 20: a poll, its results, a greeting, the slides begin
        (10, "/poll plan 1"),
        (40, "/reveal 1"),
        (52, "Welcome back, everyone."),
        (62, "/phase psychoeducation"),
        (70, "/next"),
        (78, "/next"),
        # then each answer, /more once the screenful before it has been heard
        (95, "/help"),
        (130, "/help all"),
        (185, "/more"),
        (245, "/more"),
        (290, "/history 20"),
        (345, "/more"),
        (390, "\x04"),
    ])),
}


def run(name: str, wpm: int, out_dir: Path, *, again: bool = False) -> dict[str, object]:
    """Run ``name`` under the harness (or, ``again``, only read a kept run's files) and sum it up."""
    seconds, args, sends = RUNS[name]
    out = out_dir / name / "out"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(HARNESS / "run_under_fenrir.sh"), "--wpm", str(wpm), "--size", "80x24"]
    for at, text in sends:
        argv += ["--send", f"{at:g}:{text.encode('unicode_escape').decode()}"]
    argv += [str(int(seconds)), str(out), str(IOP_TUI), "demo", "--plain", *args]
    if not again:
        subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    typed = _typed_lines(sends)
    lines = printed_lines(parse_chunks(Path(f"{out}.raw.chunks.tsv").read_text()), typed)
    heard = match(lines, utterances(Path(f"{out}.timed.tsv").read_text()), wpm)
    result = figures(heard)
    if name == "participant":
        mine = [h for h in heard if h.line.text == f"Chat, Jamie: {SLOW_LINE}"]
        during = [h for h in heard if _typing(sends, h.line.t)]
        result["slow_line"] = mine[0].status if mine else "not printed"
        result["lines_while_typing"] = len(during)
        result["lines_while_typing_whole"] = sum(1 for h in during if h.status == "whole")
    if name == "reading":
        answers = [h for h in heard if h.line.t >= _entered(sends, "/help") and not h.line.text.startswith("Left ")]
        result["answer_lines"] = len(answers)
        result["answer_lines_whole"] = sum(1 for h in answers if h.status == "whole")
        result["answers_not_whole"] = [h.line.text[:60] for h in answers if h.status != "whole"]
    (out_dir / name / "heard.tsv").write_text("".join(
        f"{h.line.t:.1f}\t{h.status}\t{'' if h.lag is None else f'{h.lag:.1f}'}\t{h.line.text}\n" for h in heard))
    return result


def _typed_lines(sends: list[tuple[float, str]]) -> list[str]:
    """The lines the person typed, whole (a slowly typed line is one key per send)."""
    typed, current = [], ""
    for _, text in sends:
        current += text
        while "\r" in current:
            done, current = current.split("\r", 1)
            typed.append(done)
    return typed


def _entered(sends: list[tuple[float, str]], wanted: str) -> float:
    """When Enter finished the typed line ``wanted`` (every line printed after it answers it or a later one)."""
    line = ""
    for at, text in sends:
        if text == "\r":
            if line == wanted:
                return at
            line = ""
        else:
            line += text
    raise ValueError(f"{wanted!r} is never typed")


def _typing(sends: list[tuple[float, str]], when: float) -> bool:
    """Whether ``when`` falls while the slow line was being typed."""
    keys, line = [], ""
    for at, text in sends:
        if text == "\r":
            if line == SLOW_LINE:
                return bool(keys) and keys[0] <= when <= keys[-1] + 1
            keys, line = [], ""
        else:
            keys.append(at)
            line += text
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wpm", type=int, default=300)
    parser.add_argument("--runs", default="participant,facilitator,reading")
    parser.add_argument("--keep", default="", help="a folder to keep each run's files in")
    parser.add_argument("--again", default="", help="a --keep folder: sum up its runs again, without running")
    opts = parser.parse_args()
    if opts.again:
        for name in opts.runs.split(","):
            print(f"speech_lag {name}: " + json.dumps(run(name, opts.wpm, Path(opts.again), again=True)))
        return
    if not (HARNESS / "run_under_fenrir.sh").exists() or not Path("/usr/bin/fenrir").exists():
        sys.exit("speech_lag: needs the Fenrir harness and fenrir (apt-get install -y fenrir); see IOP_SCREENREADER.")
    out_dir = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="speech-lag-"))
    load = os.getloadavg()[0]
    print(f"speech_lag: {opts.wpm} words a minute, load {load:.1f} at start, files in {out_dir}")
    for name in opts.runs.split(","):
        result = run(name, opts.wpm, out_dir)
        print(f"speech_lag {name}: " + json.dumps(result), flush=True)
    print(f"speech_lag: load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
