"""Speech lag under a real screen reader (issue 12): the demo's whole agenda, heard through Fenrir.

Runs ``iop-tui demo --plain`` under the Fenrir harness
(``/work/shared/tools/screenreader/run_under_fenrir.sh``; Debian's ``fenrir``
must be installed, so this is not part of ``make test``) with speech timed at
``--wpm`` words a minute, three times:

- ``participant``: ``--as participant``: you are Jamie; the simulated facilitator
  runs the whole agenda; Jamie votes, checks in, writes a private line to the
  facilitators, raises a hand and types a line slowly, a key every 0.3 s,
  while the group chats;
- ``facilitator``: you are Dana and drive the whole agenda by typed lines
  (polls, check-in round, every slide, phases, hands, a private reply,
  homework, /end) while the simulated members act;
- ``reading``: a facilitator reads ``/help`` and ``/history 20``, paged with ``/more``.

For each run it prints the figures of :mod:`tests.support.speechlag`: event lines
heard whole, cut and not heard; the median and max delay from a line's
appearance to its own first word being spoken (and to the start of the
utterance holding it, the harness's ``analyze.py`` measure); the worst delay of
a raised hand and of a private line. Then whether the slowly typed line was
heard whole and every line of ``/help`` and ``/history 20`` was spoken.

    .venv/bin/python bench/speech_lag.py [--wpm 300] [--runs participant,facilitator,reading] [--keep DIR]

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
KEY_S = 0.3  # the slowly typed line: one key every 0.3 s

#: The participant's line typed slowly while chat arrives.
SLOW_LINE = "The friend question helps me most."


def slowly(at: float, text: str) -> list[tuple[float, str]]:
    """Type ``text`` a key at a time from ``at`` seconds, then Enter."""
    keys = [(at + i * KEY_S, ch) for i, ch in enumerate(text)]
    return keys + [(at + len(text) * KEY_S + 0.5, "\r")]


def line(at: float, text: str) -> tuple[float, str]:
    return (at, text + "\r")


#: name -> (seconds allowed, demo arguments, what is typed when)
RUNS: dict[str, tuple[float, list[str], list[tuple[float, str]]]] = {
    "participant": (500, ["--as", "participant"], [
        line(20, "/vote 6"),
        line(32, "/checkin 6 curious"),
        line(288, "/vote 2"),
        line(322, "/vote 2"),
        line(335, "/dm I found the evidence slide hard to follow today."),
        line(362, "/hand"),
        *slowly(375, SLOW_LINE),
        line(425, "/homework"),
        (450, "\x04"),
    ]),
    "facilitator": (520, [], [
        line(10, "/poll plan 1"),
        line(32, "/close 1"),
        line(36, "/reveal 1"),
        line(46, "/round"),
        line(70, "Thank you all for checking in. Let's look at this week's topic."),
        line(76, "/phase psychoeducation"),
        *[line(96 + 22 * i, "/next") for i in range(7)],
        line(262, "/phase exercises"),
        line(268, "/poll plan 2"),
        line(292, "/close 2"),
        line(296, "/reveal 2"),
        line(308, "/poll plan 3"),
        line(332, "/close 3"),
        line(336, "/reveal 3"),
        line(348, "/phase discussion"),
        line(352, "What stood out for you today? Raise your hand if you'd like to speak."),
        line(366, "Go ahead, Sam."),
        line(368, "/lower Sam"),
        line(386, "Go ahead, Morgan."),
        line(388, "/lower Morgan"),
        line(402, "/reply Riley Of course. Stay on after group and we'll talk."),
        line(412, "/phase closing"),
        line(416, "/assign plan"),
        line(424, "This week's homework is the thought record. Thank you all; see you next week."),
        line(446, "/completion"),
        line(458, "/end A good session on reframing thoughts."),
        line(462, "/end yes"),
        (480, "\x04"),
    ]),
    "reading": (200, [], [
        line(25, "/help"),
        line(50, "/more"),
        line(75, "/help all"),
        *[line(100 + 15 * i, "/more") for i in range(3)],
        line(150, "/history 20"),
        line(172, "/more"),
        (190, "\x04"),
    ]),
}


def run(name: str, wpm: int, out_dir: Path) -> dict[str, object]:
    seconds, args, sends = RUNS[name]
    out = out_dir / name / "out"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(HARNESS / "run_under_fenrir.sh"), "--wpm", str(wpm), "--size", "80x24"]
    for at, text in sends:
        argv += ["--send", f"{at:g}:{text.encode('unicode_escape').decode()}"]
    argv += [str(int(seconds)), str(out), str(IOP_TUI), "demo", "--plain", *args]
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    typed = _typed_lines(sends)
    lines = printed_lines(parse_chunks(Path(f"{out}.raw.chunks.tsv").read_text()), typed)
    heard = match(lines, utterances(Path(f"{out}.timed.tsv").read_text()), wpm)
    result = figures(heard)
    if name == "participant":
        mine = [h for h in heard if h.line.text == f"Chat, Jamie: {SLOW_LINE}"]
        during = [h for h in heard if sends[0][0] <= h.line.t and _typing(sends, h.line.t)]
        result["slow_line"] = mine[0].status if mine else "not printed"
        result["lines_while_typing"] = len(during)
        result["lines_while_typing_whole"] = sum(1 for h in during if h.status == "whole")
    if name == "reading":
        answers = [h for h in heard if not h.line.text.startswith(("Joined", "Starting", "You are", "Check in", "Left", "Poll", "Chat"))]
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


def _typing(sends: list[tuple[float, str]], when: float) -> bool:
    """Whether ``when`` falls while the slow line was being typed."""
    keys = [at for at, text in sends if len(text) == 1 and text not in "\r\x04"]
    return bool(keys) and keys[0] <= when <= keys[-1] + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wpm", type=int, default=300)
    parser.add_argument("--runs", default="participant,facilitator,reading")
    parser.add_argument("--keep", default="", help="a folder to keep each run's files in")
    opts = parser.parse_args()
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
