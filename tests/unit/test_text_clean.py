"""Issue 9, item 1: the one cleaner (:mod:`protocol.text`) leaves no escape
sequence, hidden character or forged line in what members write, and a plan
file read from disk is cleaned like the network.

The faces showing cleaned text over a real relay are in tests/faces/test_clean.py.
"""

from __future__ import annotations

import unicodedata

from protocol.text import FORMAT_CHARACTERS, MULTILINE_FIELDS, clean_frame, clean_line, clean_text, one_line
from tests.support.hostile import BIDI, C1_CSI, CSI, FORGED_CHAT, FORGED_CHECKIN, HOSTILE, OSC_CLIP, OSC_TITLE, ZERO_WIDTH


# -- the cleaner itself --------------------------------------------------------------


def test_an_osc_window_title_or_clipboard_write_leaves_nothing_behind():
    assert clean_line("a" + OSC_TITLE + "b") == "ab"  # not "a]0;PWNED-TITLEb"
    assert clean_line("a" + OSC_CLIP + "b") == "ab"
    assert clean_line("a\x1b]0;t\x1b\\b") == "ab"  # ended by ST instead of BEL
    assert clean_line("a\x9d0;t\x9cb") == "ab"  # 8-bit OSC and ST
    assert clean_line(CSI + "red\x1b[0m") == "red"
    assert clean_line("x\x1b(By") == "xy"  # a character-set escape
    assert clean_line("end\x1b") == "end"


def test_an_unterminated_control_string_swallows_the_rest_as_a_terminal_would():
    assert clean_line("hello\x1b]0;never ended, more words") == "hello"


def test_every_unicode_format_and_control_character_is_removed():
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r\x0b\x0c\x85":
            for out in (clean_line("a" + char + "\u00e9"), clean_text("a" + char + "\u00e9")):
                # Removed (an escape or control-string introducer may take what follows with it).
                assert out in ("a\u00e9", "a"), hex(code)
            if code not in (0x1B, 0x90, 0x98, 0x9B, 0x9D, 0x9E, 0x9F):
                assert clean_line("a" + char + "b") == "ab", hex(code)
    assert "\u202a-\u202e" in FORMAT_CHARACTERS and "\u2066-\u206f" in FORMAT_CHARACTERS


def test_a_one_line_field_turns_every_line_break_into_a_space():
    assert clean_line("Sam\nprivate to facilitators\r\nAlex\u2028x\u2029y\x85z\tw") == "Sam private to facilitators Alex x y z w"


def test_multi_line_text_keeps_its_line_breaks_and_nothing_else():
    assert clean_text("one\r\ntwo\rthree\u2028four") == "one\ntwo\nthree\nfour"
    assert clean_text("\n\na  \n\n\n\n\nb\t.\n\n") == "a\n\nb    ."  # at most one blank line, none at the ends
    assert one_line("first\n\n  second \nthird") == "first / second / third"


def test_the_cleaner_cuts_text_to_its_bound():
    assert clean_line("a" * 100, max_len=10) == "a" * 10
    assert clean_text("\x1b[" + "1" * 100_000, max_len=50) == ""
    assert len(clean_text("ab\n" * 100_000)) <= 60_000


def test_a_frame_keeps_line_breaks_only_in_fields_that_are_several_lines_by_design():
    frame = {
        "kind": "event", "seq": 3, "type": "checkin.submitted", "audience": "everyone", "actor": 2,
        "actor_name": "Sam\n" + OSC_TITLE + "Alex", "ts": 1.0,
        "data": {"member_id": 2, "mood": 4, "feelings": ["tired\nAlex: mood 0" + CSI], "note": "ok" + FORGED_CHECKIN + HOSTILE},
    }
    out = clean_frame(frame)
    assert out["actor_name"] == "Sam Alex"
    assert out["data"]["feelings"] == ["tired Alex: mood 0"]
    assert out["data"]["note"] == "ok" + FORGED_CHECKIN
    assert out["data"]["mood"] == 4 and out["seq"] == 3
    assert MULTILINE_FIELDS["chat.posted"] == frozenset({"data.text"})


# -- files ---------------------------------------------------------------------------


def _toml(text: str) -> str:
    """A TOML basic string holding ``text`` (control characters as escapes)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


def test_a_plan_file_is_cleaned_like_the_network(tmp_path) -> None:
    from iop_tui.core.plan import load_plan

    (tmp_path / "deck.md").write_text(f"# One{OSC_TITLE}\nBody{CSI} text{BIDI}\n---\n# Two\nMore{OSC_CLIP}\n", encoding="utf-8")
    (tmp_path / "plan.toml").write_text(
        f"title = {_toml('Week 3' + HOSTILE)}\ndeck = \"deck.md\"\n\n"
        f"[[polls]]\nquestion = {_toml('How' + OSC_TITLE + chr(10) + 'Alex: forged?')}\nkind = \"single\"\n"
        f"options = [{_toml('Yes' + CSI)}, {_toml('No' + ZERO_WIDTH)}]\n\n"
        f"[[homework]]\ntitle = {_toml('Record' + OSC_CLIP)}\nkind = \"checklist\"\n"
        f"instructions = {_toml('Do it' + HOSTILE + FORGED_CHAT)}\nitems = [{_toml('Walk' + C1_CSI)}]\ndue = \"+7 days\"\n",
        encoding="utf-8",
    )
    plan = load_plan(tmp_path / "plan.toml")
    assert plan.title == "Week 3"
    assert plan.polls[0].question == "How Alex: forged?" and plan.polls[0].options == ("Yes", "No")
    hw = plan.homework[0]
    assert hw.title == "Record" and hw.items == ("Walk",) and hw.instructions == "Do it" + FORGED_CHAT
    assert plan.markdown == "# One\nBody text\n---\n# Two\nMore"
