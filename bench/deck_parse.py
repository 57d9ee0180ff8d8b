"""How much more a hostile deck costs to read than a normal one of the same size.

A deck is parsed on the relay's only event loop (the deck.load rule) and in
the facilitator's client (the plain face's slide lines), so its cost must
follow its size, never its shape. This prints the time to parse a normal
deck, and decks of the same bound built to make a backtracking parser stall
(long runs of spaces in headings, thousands of blank lines), and the ratio.

    .venv/bin/python bench/deck_parse.py
"""

from __future__ import annotations

import time

from iop_tui.plain.text import markdown_lines
from protocol.deck import MAX_DECK_CHARS, MAX_SLIDES, parse_deck
from protocol.errors import ProtocolError

NORMAL_SLIDE = (
    "## Noticing a thought\nA thought is **not** a fact: name it, check the evidence for and against it,"
    " and let it pass like weather.\n- Name it, *gently*\n- Check it with [the worksheet](sheet.pdf)\n"
)


def _fill(piece: str) -> str:
    """A deck just under the size bound, ``piece`` repeated, in at most MAX_SLIDES slides."""
    count = (MAX_DECK_CHARS - 10) // (len(piece) + 5)
    per_slide = -(-count // MAX_SLIDES)
    slides = ["\n".join([piece] * per_slide) for _ in range(-(-count // per_slide))]
    return "\n---\n".join(slides)[: MAX_DECK_CHARS - 10]


def _cost(markdown: str, rounds: int = 5) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            deck = parse_deck(markdown)
            for slide in deck.slides:
                markdown_lines(slide.body, skip_title=slide.title)
            outcome = f"parsed, {len(deck.slides)} slides"
        except ProtocolError as err:  # a refusal is an answer too; its cost is what we measure
            outcome = f"refused: {err.message}"
        best = min(best, time.perf_counter() - start)
    return best, outcome


def main() -> None:
    normal = _fill(NORMAL_SLIDE)
    hostile = {
        "padded headings": _fill("# a" + " " * 1_900 + "#x"),
        "blank lines": "a\n" + " \n" * 4_990 + "---\nb",
        "one huge heading": "# " + " " * 50_000 + "x\n" + "\n" * 20_000,
        "emphasis and brackets": _fill("_a " * 300 + "![" * 300 + "[" * 500),
    }
    base, outcome = _cost(normal)
    print(f"normal deck, {len(normal):,} characters ({outcome}): {base * 1000:.2f} ms")
    for name, markdown in hostile.items():
        cost, outcome = _cost(markdown)
        print(f"{name}, {len(markdown):,} characters ({outcome}): {cost * 1000:.2f} ms, {cost / base:.2f}x the normal deck")


if __name__ == "__main__":
    main()
