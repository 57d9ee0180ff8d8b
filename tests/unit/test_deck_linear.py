"""A deck costs work in proportion to its size, whatever it holds (issue 9 item 3).

A Markdown heading pattern that backtracked (cubic in a heading line's length)
and separator and notes patterns spanning blank lines (quadratic) let a 2 KB
deck stall the relay's only event loop, and the facilitator's own client.
These tests hand the parser and the plain face the hostile decks (the relay
gets them in tests/relay/test_deck_relay.py): each is parsed (or refused in
one sentence) and the result is checked; a parser that backtracks never
returns and the suite's timeout fails the test.
"""

from __future__ import annotations

import pytest

from iop_tui.plain.text import markdown_lines
from protocol.deck import MAX_DECK_CHARS, MAX_DECK_LINES, MAX_LINE_CHARS, heading_text, parse_deck
from protocol.errors import ErrorCode, ProtocolError

#: Twenty slides whose headings each hide a long run of spaces before a stray "#x":
#: the shape that made the old heading pattern backtrack cubically.
PADDED = "\n---\n".join(f"# Calm {i}" + " " * 1_900 + "#x\nBreathe." for i in range(20))


def _refusal(markdown: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_deck(markdown)
    return caught.value


def test_a_deck_with_a_50000_space_heading_and_20000_blank_lines_is_refused_in_one_sentence():
    hostile = "# " + " " * 50_000 + "x\n" + "\n" * 20_000 + "---\nend"
    err = _refusal(hostile)
    assert err.code == ErrorCode.INVALID
    assert err.message == f"The deck is too long: at most {MAX_DECK_CHARS:,} characters; split it into two decks."


def test_a_line_longer_than_the_limit_is_refused_with_its_number():
    err = _refusal("# Fine\n" + "#" + " " * (MAX_LINE_CHARS + 5) + "x\n")
    assert err.message == f"Line 2 of the deck is longer than {MAX_LINE_CHARS:,} characters; break it into shorter lines."


def test_too_many_lines_are_refused_even_when_they_are_blank():
    err = _refusal("a\n" + "\n" * MAX_DECK_LINES + "b")
    assert err.message == f"The deck has more than {MAX_DECK_LINES:,} lines; remove blank lines or split it into two decks."


def test_headings_padded_with_long_runs_of_spaces_parse_to_their_titles():
    deck = parse_deck(PADDED)
    assert [s.title for s in deck.slides] == [f"Calm {i}" + " " * 1_900 + "#x" for i in range(20)]
    assert all(s.body.endswith("Breathe.") for s in deck.slides)


def test_thousands_of_blank_and_space_lines_between_slides_and_notes_parse():
    deck = parse_deck("# One\nbody\n" + " \n" * 2_000 + "---\n" + "\n" * 2_000 + "## Two\nNotes:\n" + "\t\n" * 900 + "say it")
    assert [s.title for s in deck.slides] == ["One", "Two"]
    assert deck.slides[1].notes == "say it"


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("# Title", "Title"),
        ("## Title ##", "Title"),
        ("   ### Spaced   ", "Spaced"),
        ("# C#", "C#"),
        ("#", ""),
        ("# #", ""),
        ("#NoSpace", None),
        ("    # indented code", None),
        ("####### seven", None),
        ("#\tTabbed\t#", "Tabbed"),
    ],
)
def test_a_heading_line_is_read_as_commonmark_says(line, title):
    assert heading_text(line) == title


def test_the_plain_face_reads_hostile_slide_lines_as_text():
    body = "\n\n".join(
        [
            *(f"# a{i}" + " " * 1_990 + "#x" for i in range(20)),
            "_a " * 600,
            "![" * 900,
            "[" * 1_900,
            "<a" * 900,
            "|---" + " " * 1_900 + "x",
            "- - -" + " " * 1_900 + "x",
            "**bold _and_ italic**",
        ]
    )
    lines = markdown_lines(body)
    assert lines[0].startswith("a") and lines[0].endswith("#x")
    assert lines[-1] == "bold and italic"
    assert len(lines) == 27
    assert lines[24] == "--- x" and lines[25] == "- - x"
