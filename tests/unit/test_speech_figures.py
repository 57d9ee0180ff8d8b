"""The screen-reader figures of issue 12 (tests/support/speechlag.py, used by bench/speech_lag.py):
printed lines replayed as a terminal shows them, matched against what Fenrir spoke.

Small hand-written harness files: output chunks and timed utterances."""

from __future__ import annotations

import pytest

from tests.support.speechlag import Line, figures, match, parse_chunks, printed_lines, tokens, utterances


def chunks(*pieces: tuple[float, bytes]) -> str:
    return "".join(f"{t}\t{data!r}\n" for t, data in pieces)


def timed(*rows: tuple[float, float, str, str]) -> str:
    return "start_s\tend_s\tstatus\ttext\n" + "".join(f"{s}\t{e}\t{st}\t{tx}\n" for s, e, st, tx in rows)


def test_fenrirs_spoken_punctuation_matches_the_printed_symbols():
    assert tokens("/vote 2 -- Zoë's @home") == tokens(" slash vote 2  dash dash Zoë's at home")


def test_a_wrapped_lines_indented_rows_are_one_line_and_the_persons_typing_is_told_apart():
    out = parse_chunks(chunks(
        (1.0, b"Chat, Sam: a long line that the plain face broke at a space for the\r\n  terminal's width\r\n"),
        (2.0, b"/vote 2\r\n"),
        (2.1, b"Your vote is in: 2.\r\n"),
    ))
    lines = printed_lines(out, typed=["/vote 2"])
    assert [(ln.text, ln.t, ln.own) for ln in lines] == [
        ("Chat, Sam: a long line that the plain face broke at a space for the terminal's width", 1.0, False),
        ("/vote 2", 2.0, True),
        ("Your vote is in: 2.", 2.1, False),
    ]


def test_a_line_printed_above_the_typed_text_is_read_as_the_terminal_shows_it():
    # half a line typed, an incoming line printed above it (erase the row, the line, the typed text again), Enter
    out = parse_chunks(chunks(
        (1.0, b"I li"),
        (2.0, b"\r\x1b[KChat, Alex: Slide two is up\nI li"),
        (3.0, b"kk\x08 \x08e it\n"),
    ))
    lines = printed_lines(out, typed=["I like it"])
    assert [(ln.text, ln.t, ln.own) for ln in lines] == [("Chat, Alex: Slide two is up", 2.0, False), ("I like it", 2.0, True)]


def test_each_line_is_heard_whole_cut_or_not_with_its_delay():
    lines = [Line("Slide 2 of 8, The ABC model:", 10.0), Line("Chat, Sam: hello there", 10.0),
             Line("Hand raised, Sam, number 1 in the queue.", 12.0), Line("Chat, Alex: never reached in time", 13.0),
             Line("Private from Dana: see you after group", 30.0)]
    spoken = utterances(timed(
        (0.2, 0.6, "spoken", "Start Fenrir"),
        (10.5, 13.1, "spoken", "Slide 2 of 8, The ABC model:  , Chat, Sam: hello there"),
        (13.1, 14.7, "cut", "Hand raised, Sam, number 1 in the queue.  , Chat, Alex: never reached in time"),
        (31.0, 32.0, "spoken", "Private from Dana: see you after group"),
    ))
    heard = match(lines, spoken, wpm=300)
    assert [h.status for h in heard] == ["whole", "whole", "whole", "not heard", "whole"]
    assert heard[0].lag == pytest.approx(0.5)
    assert heard[1].lag == pytest.approx(0.5 + 7 * 0.2), "its own words start after the slide line's seven"
    assert heard[1].lag_utterance == pytest.approx(0.5)
    assert heard[2].lag == pytest.approx(1.1)
    result = figures(heard)
    assert (result["lines"], result["whole"], result["cut"], result["not_heard"]) == (5, 4, 0, 1)
    assert result["hands"] == 1 and result["hand_max_lag"] == pytest.approx(1.1)
    assert result["private"] == 1 and result["private_max_lag"] == pytest.approx(1.0)


def test_a_line_is_never_matched_to_speech_that_began_before_it_appeared():
    lines = [Line("No poll is open.", 5.0), Line("No poll is open.", 50.0)]
    spoken = utterances(timed((5.2, 6.0, "spoken", "No poll is open."), (50.3, 51.0, "spoken", "No poll is open.")))
    heard = match(lines, spoken, wpm=300)
    assert [round(h.lag or 0, 1) for h in heard] == [0.2, 0.3]


def test_a_line_whose_utterance_was_cut_midway_is_cut():
    lines = [Line("one two three four five six seven eight nine ten", 0.0)]
    spoken = utterances(timed((1.0, 2.0, "cut", "one two three four five six seven eight nine ten")))  # 5 words said
    assert match(lines, spoken, wpm=300)[0].status == "cut"
