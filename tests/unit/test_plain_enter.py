"""Enter in the plain face's typed-line guard (issue 12): the newline goes out with the answer.

A console screen reader (Fenrir) that sees the cursor move to an empty row says
"blank" and stops speaking, dropping every line it had still to read. So the
newline of Enter is written in one piece with the next output, or alone after
ENTER_HOLD_S when nothing follows. The real TypedLine, fed keys (no terminal).
"""

from __future__ import annotations

import asyncio

from iop_tui.plain import run
from iop_tui.plain.run import TypedLine


def guard() -> tuple[TypedLine, list[str], asyncio.Queue]:
    out: list[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    return TypedLine(-1, out.append, queue, capable=True, width=79), out, queue


async def test_enters_newline_is_written_with_the_answers_first_line_in_one_piece():
    line, out, queue = guard()
    line.keys("/vote 6\r")
    assert "".join(out) == "/vote 6" and queue.get_nowait() == "/vote 6\n"
    line.show("Your vote is in: 6.\n")
    assert out[-1] == "\nYour vote is in: 6.\n", "the cursor never rests on an empty row"


async def test_enters_newline_goes_alone_when_nothing_follows(monkeypatch):
    monkeypatch.setattr(run, "ENTER_HOLD_S", 0.01)
    line, out, _ = guard()
    line.keys("hello\r")
    await asyncio.sleep(0.1)
    assert "".join(out) == "hello\n"
    line.show("Chat, Alex: hi\n")
    assert "".join(out) == "hello\nChat, Alex: hi\n", "written once"


async def test_typing_on_after_enter_starts_a_new_row_and_held_lines_come_with_the_newline():
    line, out, _ = guard()
    line.keys("one\rt")
    assert "".join(out) == "one\nt"
    out.clear()
    dumb = TypedLine(-1, out.append, asyncio.Queue(), capable=False, width=79)  # TERM=dumb: held until Enter
    dumb.keys("I li")
    dumb.show("Chat, Alex: held\n")
    assert "held" not in "".join(out)
    dumb.keys("ke it\r")
    assert out[-1] == "\nChat, Alex: held\n", "Enter's newline and the held line in one write"


async def test_a_refused_line_comes_back_on_the_prompt_row_to_edit_and_send_again():
    line, out, queue = guard()
    line.keys("/vote 6\r")
    assert queue.get_nowait() == "/vote 6\n"
    line.show("That poll has closed.\n")
    line.give_back("/vote 6")
    assert line.text == "/vote 6" and "".join(out).endswith("That poll has closed.\n/vote 6")
    line.keys("\x7f7\r")  # Backspace, then the right number
    assert queue.get_nowait() == "/vote 7\n"


async def test_a_refused_line_never_writes_over_a_new_line_being_typed():
    line, _out, _ = guard()
    line.keys("something new")
    line.give_back("/vote 6")
    assert line.text == "something new"
