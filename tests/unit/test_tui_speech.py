"""How bench/tui_speech.py sorts what a screen reader said: noise, repeats, focus moves heard.

The bench runs the real screen reader (not in CI); the sorting is pure and
tested here on utterances in the harness's own format (``OUT.timed.tsv``).
"""

from __future__ import annotations

from bench.tui_speech import (
    Move,
    Utterance,
    first_screen,
    first_screen_noise,
    focus_delays,
    focus_spoken,
    noise_reason,
    normalise,
    parse_timed,
    repeats,
    screen_start,
)

TSV = (
    "start_s\tend_s\tstatus\ttext\n"
    "0.17\t0.58\tspoken\tStart Fenrir\n"
    "0.58\t1.72\tcut\tStarting the demo.  ,   ,   , \n"
    "1.72\t1.75\tcut\t \n"
    "1.76\t1.98\tspoken\tblank\n"
    "2.00\t6.00\tspoken\t Tuesday IOP , 1 Check dash in 2 Slides  ,   , TabPane checkin  ,  Keys: F1 dash F6 panes. \n"
    "6.10\t6.30\tspoken\t ▌0 to 10 \n"
    "6.30\t6.50\tspoken\t0\n"
    "6.50\t6.90\tspoken\thas attribute\n"
    "6.90\t7.50\tspoken\t1 Check dash in 2 Slides\n"
    "20.00\t21.00\tspoken\tSam is here.\n"
    "40.00\t41.00\tspoken\tSam is here.\n"
    "70.17\t70.57\tspoken\tQuit Fenrir\n"
)


def test_fenrir_pauses_and_spaces_become_one_space_and_real_commas_stay() -> None:
    assert normalise(" Tuesday IOP , 1 Check-in  ,   , Keys: 1, 2 and 3. ") == "Tuesday IOP 1 Check-in Keys: 1, 2 and 3."


def test_fenrirs_own_words_and_pause_only_utterances_are_left_out() -> None:
    texts = [u.text for u in parse_timed(TSV)]
    assert texts[0] == "Starting the demo." and "Start Fenrir" not in texts and "Quit Fenrir" not in texts and "" not in texts


def test_screen_words_lone_characters_glyphs_widget_names_and_rereads_are_noise() -> None:
    assert noise_reason("has attribute", []) == "has attribute"
    assert noise_reason("blank", []) == "blank"
    assert noise_reason("pp", []) == "a lone character"
    assert noise_reason("▌0 to 10", []) == "a block glyph"
    assert noise_reason("Tuesday IOP TabPane checkin", []) == "a widget name"
    assert noise_reason("1 Check dash in 2 Slides", ["Tuesday IOP 1 Check dash in 2 Slides 3 Polls"]) == "read again"
    assert noise_reason("Keys: F1 dash F6 panes, Ctrl plus P all keys.", []) is None
    assert noise_reason("Mood, 0 very low to 10 very good: 4", []) is None


def test_the_first_screen_runs_on_while_its_backlog_is_read_and_its_noise_is_counted() -> None:
    utterances = parse_timed(TSV)
    first = first_screen(utterances, after=2.0)
    assert [u.text for u in first][-1] == "1 Check dash in 2 Slides"  # read on without a pause to 7.5 s
    reasons = [r for _, r in first_screen_noise(utterances, after=2.0)]
    assert reasons == ["blank", "a widget name", "a block glyph", "a lone character", "has attribute", "read again"]


def test_a_sentence_said_again_word_for_word_after_the_first_screen_is_a_repeat() -> None:
    again = repeats(parse_timed(TSV), since=8.0)
    assert [(u.start, u.text) for u in again] == [(40.0, "Sam is here.")]


def test_a_focus_move_counts_only_if_its_label_and_value_are_heard_before_the_next_key() -> None:
    utterances = [
        Utterance(25.1, 25.5, "spoken", "Feeling words, separated by commas: for example: tired, hopeful"),
        Utterance(29.2, 29.4, "spoken", "has attribute"),
        Utterance(33.5, 33.9, "spoken", "Note optional: a few words"),  # late: after the next key
    ]
    moves = [Move(25, "\t", r"Feeling words", "to feelings"), Move(29, "\t", r"Note\W+optional", "to the note"),
             Move(33, "\t", r"x\W+Facilitators only", "to who may read")]
    assert [ok for _, ok, _ in focus_spoken(utterances, moves, end=40)] == [True, False, False]


def test_the_first_screen_is_counted_from_when_the_full_screen_appeared_not_from_the_start() -> None:
    chunks = (
        "0.847\tb'Starting the demo with four simulated members.\\r\\n'\n"
        "8.749\tb'\\x1b[?1049h\\x1b[1;1H'\n"
        "9.048\tb' \\x1b[1mTuesday IOP'\n"
    )
    assert screen_start(chunks) == 8.749  # a loaded machine: the demo's screen came at 8.7 s
    assert screen_start("0.5\tb'plain line'\n") == 0.0


def test_a_focus_moves_delay_runs_from_the_key_to_the_utterance_that_says_the_item() -> None:
    utterances = [
        Utterance(30.5, 33.0, "spoken", "Checked in: 2 of 4. Riley: mood 5."),
        Utterance(33.1, 34.0, "spoken", "> Sam: mood 3; feeling tired."),
        Utterance(35.2, 36.0, "spoken", "Riley is here."),
    ]
    moves = [Move(30, "\x1b[B", r"> Sam: mood", "Down"), Move(35, "\t", r"Question:", "Tab")]
    delays = focus_delays(utterances, moves, end=40)
    assert delays[0] is not None and abs(delays[0] - 3.1) < 1e-9  # a backlog read first: 3.1 s
    assert delays[1] is None  # never said
