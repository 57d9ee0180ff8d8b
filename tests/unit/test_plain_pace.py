"""Speech that keeps up (issue 12): the one pace rule (iop_tui.core.speech), the plain face's
speech clock deciding when a slide is said by its title only, and the demo's pacing
(a slide stays up as long as it takes to read aloud; chat lines take turns).

A PlainFace on a real ClientSession fed the relay's frames (no socket), with its
clock set by the test, so "the reader has not caught up" is a stated fact, not a race.
"""

from __future__ import annotations

import asyncio

import pytest

from iop_tui.core.speech import SLIDE_BACKLOG_S, SPEAKING_WPM, SpeechClock, speaking_seconds, word_count
from iop_tui.demo.members import Floor, slide_dwell_s, slide_words
from tests.unit.test_plain_blind import member_in_slides, said_after
from tests.unit.test_plain_text import Fed


@pytest.mark.parametrize(("text", "count"), [
    ("Slide 2 of 8, The ABC model:", 7),
    ("- A, activating event: what happened.", 5),  # a bullet is not a word
    ("", 0),
    ("Zoë 李 -- 10%", 3),
])
def test_words_are_counted_as_a_synthesizer_spends_time_on_them(text, count):
    assert word_count(text) == count


def test_speaking_time_is_the_words_at_the_speaking_pace():
    assert SPEAKING_WPM == 300
    assert speaking_seconds("one two three four five") == pytest.approx(1.0)
    assert speaking_seconds(["one two", "three four five"]) == pytest.approx(1.0)
    assert speaking_seconds("one two three", wpm=60) == pytest.approx(3.0)


def test_the_speech_clock_adds_up_what_is_written_and_drains_as_time_passes():
    clock = SpeechClock()
    clock.said("one two three four five", now=10.0)  # 1 s of speech
    clock.said("six seven eight nine ten", now=10.0)  # queued behind it
    assert clock.backlog(10.0) == pytest.approx(2.0)
    assert clock.backlog(11.5) == pytest.approx(0.5)
    assert clock.backlog(30.0) == 0.0
    clock.said("one two three four five", now=30.0)  # a quiet reader starts at once
    assert clock.backlog(30.0) == pytest.approx(1.0)


async def test_a_member_hears_a_new_slide_by_its_title_when_the_last_could_not_yet_be_read_aloud():
    fed, now = member_in_slides()
    now[0] += 60  # caught up: slide 1 was heard whole
    said = said_after(fed, lambda: fed.event("slide.changed", {"index": 1}))
    assert said[0] == "Slide 2 of 2, All or nothing thinking:" and len(said) > 1
    # a long remark arrives while slide 2 is being read, and the slide moves on at once
    fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 2, "text": "A long remark " + "word " * 40, "to": "group", "me": False}, actor=2, name="Sam")
    assert fed.face.speech.backlog(now[0]) > SLIDE_BACKLOG_S
    said = said_after(fed, lambda: fed.event("slide.changed", {"index": 0}))
    assert said == ["Slide 1 of 2, Welcome. /slide reads it."], said
    said = said_after(fed, lambda: fed.face.handle("/slide"))
    assert "Today we look at thinking traps and how to notice them." in said, "the body is read on request"
    now[0] += 60
    said = said_after(fed, lambda: fed.event("slide.changed", {"index": 1}))
    assert said[0] == "Slide 2 of 2, All or nothing thinking:" and len(said) > 1, "caught up again: whole"


async def test_a_member_whose_reader_has_caught_up_hears_every_slide_whole():
    fed, now = member_in_slides()
    for index in (1, 0, 1):
        now[0] += 60
        said = said_after(fed, lambda index=index: fed.event("slide.changed", {"index": index}))
        assert said[0].endswith(":") and len(said) > 1, said


async def test_verbosity_all_reads_every_slide_whole_however_fast_they_come():
    fed, _ = member_in_slides("all")
    for index in (1, 0, 1):
        said = said_after(fed, lambda index=index: fed.event("slide.changed", {"index": index}))
        assert said[0].endswith(":") and len(said) > 1, said


async def test_the_speech_clock_counts_what_a_paged_answer_prints_not_what_waits_for_more():
    fed, now = member_in_slides()
    fed.face.page_rows = 6
    now[0] += 600
    fed.face.handle("/help")
    printed = fed.lines[-5:]
    assert fed.face.speech.backlog(now[0]) == pytest.approx(speaking_seconds(printed))


def test_a_demo_slide_stays_up_as_long_as_it_takes_to_read_aloud_plus_a_margin():
    slide = {"title": "The ABC model", "body": "# The ABC model\n\n- A, activating event: what happened.\n- B, belief."}
    heard = slide_words(slide, 1, 8)
    assert heard[0] == "Slide 2 of 8, The ABC model:"
    assert slide_dwell_s(slide, 1, 8, margin=8.0) == pytest.approx(speaking_seconds(heard) + 8.0)
    assert slide_dwell_s(slide, 1, 8, margin=0.0) >= speaking_seconds(slide["body"])


async def test_the_demo_members_chat_lines_take_turns_each_given_time_to_be_said():
    floor = Floor(tempo=0.01, gap=1.0)
    loop = asyncio.get_running_loop()
    order: list[str] = []

    async def speak(name: str, text: str) -> None:
        await floor.take(text)
        order.append(name)

    line = "one two three four five six seven eight nine ten"  # 2 s at 300 words a minute
    await asyncio.gather(speak("Sam", line), speak("Alex", line), speak("Riley", line))
    assert order == ["Sam", "Alex", "Riley"]
    # each holds the floor for its speaking time and the gap, at the tempo
    assert floor.free_at - loop.time() <= (speaking_seconds(line) + 1.0) * 0.01


# -- nothing lost off screen: a page is a screenful of rows, /help all is every command -----------


async def test_a_page_counts_the_rows_a_wrapped_line_takes_not_only_the_lines():
    fed, _ = member_in_slides()
    fed.face.page_rows = 10
    fed.face.rows_of = lambda line: 1 + len(line) // 40  # a 40-column terminal
    for i in range(12):
        fed.event("chat.posted", {"message_id": fed.seq + 1, "member_id": 3, "text": f"a line long enough to wrap on a narrow terminal {i}", "to": "group", "me": False}, actor=3, name="Alex")
    said = said_after(fed, lambda: fed.face.handle("/history 12"))
    rows = sum(fed.face.rows_of(line) for line in said)
    assert said[-1].endswith(": /more") and rows <= 9, (rows, said)
    heard = said[:-1]
    while said[-1].endswith(": /more"):
        said = said_after(fed, lambda: fed.face.handle("/more"))
        assert sum(fed.face.rows_of(line) for line in said) <= 9, said
        heard += said[:-1] if said[-1].endswith(": /more") else said
    assert heard[0] == "Last 12 events, oldest first:" and len(heard) == 13, heard


async def test_help_all_lists_every_command_a_screenful_at_a_time_while_help_alone_lists_topics():
    fed = Fed(role="facilitator")
    fed.welcome()
    fed.synced()
    fed.face.page_rows = 24
    assert said_after(fed, lambda: fed.face.handle("/help"))[0].startswith("Help topics:")
    said = said_after(fed, lambda: fed.face.handle("/help all"))
    assert said[0] == "Commands, one per line:" and said[-1].endswith("more lines: /more"), said
    while said[-1].endswith(": /more"):
        more = said_after(fed, lambda: fed.face.handle("/more"))
        said = said[:-1] + more
    assert any(line.startswith("/poll plan") for line in said) and any(line.startswith("/mute NAME") for line in said)


# -- the question once: a poll closed and revealed at once is said as its results ----------------


def member_with_poll() -> Fed:
    fed = Fed()
    fed.welcome()
    fed.event("session.started", {"session_id": 1, "title": "Week 3"})
    fed.synced()
    fed.event("poll.opened", {"poll_id": 10, "question": "Which helps?", "poll_kind": "single", "options": ["Option A", "Option B"], "anonymous": True})
    return fed


async def test_a_poll_closed_and_revealed_at_once_is_said_once_as_its_results():
    fed = member_with_poll()
    before = len(fed.lines)
    fed.event("poll.closed", {"poll_id": 10})
    fed.event("poll.revealed", {"poll_id": 10, "counts": [1, 2], "total": 3})
    await asyncio.sleep(0.7)
    assert fed.lines[before:] == ["Poll results, Which helps? 2 votes for Option B; 1 vote for Option A."], fed.lines[before:]


async def test_a_poll_closed_without_its_results_is_said_closed_after_a_moment():
    fed = member_with_poll()
    before = len(fed.lines)
    fed.event("poll.closed", {"poll_id": 10})
    await asyncio.sleep(0.7)
    assert fed.lines[before:] == ["Poll closed: Which helps?"], fed.lines[before:]
    said = said_after(fed, lambda: fed.event("poll.revealed", {"poll_id": 10, "counts": [1, 2], "total": 3}))
    assert said == ["Poll results, Which helps? 2 votes for Option B; 1 vote for Option A."], "revealed later: results as usual"
