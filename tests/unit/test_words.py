"""words: every sentence both faces say (pure; fixed clock and dates)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from tests.support.framekit import ALEX, DANA, JO, SAM, Log, status, synced, welcome

from iop_tui.core import words
from iop_tui.core.model import SessionModel

BOX_OR_NEWLINE = re.compile("[\u2500-\u259f\n\r]")


def model_with(member: dict, frames: list[dict]) -> SessionModel:
    model = SessionModel()
    model.apply(welcome(member))
    for frame in frames:
        model.apply(frame)
    model.apply(synced(0))
    return model


def test_chat_lines_name_the_speaker_first() -> None:
    assert words.chat_line("I tried the breathing exercise", "Sam") == "Chat, Sam: I tried the breathing exercise"
    assert words.chat_line("rough day", "Sam", to="facilitators") == "Private to facilitators, Sam: rough day"
    assert words.chat_line("waves", "Sam", me=True) == "Chat: Sam waves"
    log = Log()
    model = model_with(DANA, [])
    frame = log.chat(SAM, "can we talk after?", to="facilitators")
    model.apply(frame)
    assert words.describe(frame, model.state, DANA["id"]) == "Private to facilitators, Sam: can we talk after?"


def test_poll_open_line_with_and_without_hints() -> None:
    log = Log()
    opened = log.poll("How did the week go?", ["better", "the same", "worse"], anonymous=False)
    model = model_with(SAM, [opened])
    plain = words.describe(opened, model.state, SAM["id"])
    assert plain == "Poll open: How did the week go? Options: 1 better, 2 the same, 3 worse."
    hinted = words.describe(opened, model.state, SAM["id"], hints=True)
    assert hinted == plain + " Type /vote and a number."
    # Several open polls: each says which one it is.
    second = log.poll("Sleep?", ["ok", "bad"])
    third = log.poll("Energy", [], kind="scale")
    model.apply(second)
    model.apply(third)
    assert words.describe(second, model.state, SAM["id"]).startswith("Poll open, 2 of 3: Sleep? Options: 1 ok, 2 bad.")
    scale = words.describe(third, model.state, SAM["id"], hints=True)
    assert scale == "Poll open, 3 of 3: Energy. Options: 0 to 10. Answers are anonymous to the group. Type /vote and a number from 0 to 10."
    # Facilitators get no typing hints.
    assert "/vote" not in words.describe(opened, model_with(DANA, [opened]).state, DANA["id"], hints=True)


def test_poll_results_one_line_per_option_in_words() -> None:
    log = Log()
    opened = log.poll("Which is a thinking trap?", ["Option A", "Option B", "Option C"], kind="quiz", anonymous=False)
    pid = opened["seq"]
    reveal = log.reveal(pid, [3, 4, 2], 9, correct=1, names={"1": ["Sam", "Alex"]})
    model = model_with(SAM, [opened, reveal])
    lines = words.poll_result_lines(model.state.polls[pid])
    assert lines == [
        "1 Option A: 3 of 9, 33%",
        "2 Option B: 4 of 9, 44%, the correct answer (Sam, Alex)",
        "3 Option C: 2 of 9, 22%",
    ]
    sentence = words.describe(reveal, model.state, SAM["id"])
    assert sentence.startswith("Poll results, Which is a thinking trap? 1 Option A: 3 of 9, 33%;")


def test_poll_results_before_any_vote_do_not_divide_by_zero() -> None:
    log = Log()
    opened = log.poll("Energy", [], kind="scale")
    model = model_with(DANA, [opened])
    lines = words.poll_result_lines(model.state.polls[opened["seq"]])
    assert len(lines) == 11 and lines[0] == "0: 0 of 0, 0%" and lines[10] == "10: 0 of 0, 0%"


def test_phase_sentences_and_hints_by_role() -> None:
    log = Log()
    frames = [log.session(), log.phase("checkin")]
    sam = model_with(SAM, frames)
    assert words.describe(frames[1], sam.state, SAM["id"]) == "Phase: check-in."
    assert words.describe(frames[1], sam.state, SAM["id"], hints=True) == "Phase: check-in. Type /checkin followed by your mood 0 to 10."
    dana = model_with(DANA, frames)
    assert words.describe(frames[1], dana.state, DANA["id"], hints=True) == "Phase: check-in."
    guest = model_with(JO, frames)
    assert words.describe(frames[1], guest.state, JO["id"], hints=True) == "Phase: check-in."
    assert words.phase_pane("discussion") == "chat" and words.phase_pane(None) is None


def test_slides_are_numbered_with_their_title() -> None:
    log = Log()
    titles = ["Welcome", "Agenda", "Cognitive distortions", "All-or-nothing", "Mind reading", "Labelling", "Practice", "Homework"]
    frames = [log.deck(titles), log.slide(2)]
    model = model_with(SAM, frames)
    assert words.describe(frames[1], model.state, SAM["id"]) == "Slide 3 of 8, Cognitive distortions"
    assert words.describe(frames[0], model.state, SAM["id"]) == "Slides loaded: Thinking traps, 8 slides."


def test_checkin_lines() -> None:
    log = Log()
    frames = [
        log.session(),
        log.checkin(ALEX, 3, ["anxious", "tired"], note="slept badly", private=False),
        log.checkin(SAM, None, [], passed=True),
    ]
    model = model_with(SAM, frames)
    assert words.describe(frames[1], model.state, SAM["id"]) == "Check-in, Alex: mood 3 of 10, anxious, tired. Note: slept badly."
    assert words.describe(frames[2], model.state, SAM["id"]) == "Your check-in: passed."


def test_homework_lines_with_due_date_and_status() -> None:
    log = Log()
    assigned = log.homework("Thought record", "2026-12-04")
    pid = assigned["seq"]
    model = model_with(SAM, [assigned])
    hw = model.state.homework[pid]
    today = dt.date(2026, 12, 1)
    assert words.homework_line(hw, SAM["id"], today) == "Homework: Thought record, due Friday 4 December, not started"
    assert words.homework_line(hw, SAM["id"], dt.date(2026, 12, 5)).endswith(", late")
    model.apply(log.submit(SAM, pid))
    assert words.homework_line(hw, SAM["id"], today).endswith(", submitted")
    model.apply(log.submit(ALEX, pid, late=True))
    assert words.homework_status(hw, ALEX["id"], today) == "submitted late"
    assert words.due_text("2027-01-08", today) == "Friday 8 January 2027"
    assert words.describe(assigned, model.state, SAM["id"]) .startswith("Homework assigned: Thought record, due Friday 4 December")


def test_hands_and_presence() -> None:
    log = Log()
    frames = [log.hand(ALEX), log.hand(SAM)]
    model = model_with(SAM, frames)
    assert words.describe(frames[0], model.state, SAM["id"]) == "Hand raised, Alex, number 1 in the queue."
    assert words.describe(frames[1], model.state, SAM["id"]) == "Your hand is raised, number 2 in the queue."
    assert words.presence_line("Riley", "online") == "Riley is here."
    assert words.presence_line("Riley", "offline") == "Riley left."


def test_connection_text() -> None:
    def text(**conn) -> str:
        return words.connection_text(SimpleNamespace(conn=conn))

    assert text(state="connected", pending=0) == "connected"
    assert text(state="connecting") == "connecting"
    assert text(state="reconnecting", retry_in=3.0, pending=0) == "reconnecting in 3 s"
    assert text(state="reconnecting", retry_in=0.5, pending=2) == "offline — 2 messages waiting, reconnecting in 0.5 s"
    assert text(state="reconnecting", retry_in=None, pending=1) == "offline — 1 message waiting, reconnecting"
    assert text(state="failed", message="The token was revoked.") == "disconnected: The token was revoked."
    model = SessionModel()
    model.apply(status("reconnecting", retry_in=2.0, pending=3))
    assert words.connection_text(model) == "offline — 3 messages waiting, reconnecting in 2 s"


def test_header_says_whole_minutes_only() -> None:
    log = Log()
    frames = [log.session("Week 3"), log.phase("checkin")]
    model = model_with(SAM, frames)
    model.apply(status("connected"))
    since = frames[1]["ts"]
    assert words.header_text(model, since + 12 * 60 + 1) == "Tuesday IOP · Session: Week 3 · Phase: Check-in, 12 min · connected"
    # Within one minute the header does not change: nothing to re-read every second.
    assert words.header_text(model, since + 12 * 60 + 1) == words.header_text(model, since + 12 * 60 + 59)
    assert "under a minute" in words.header_text(model, since + 5)
    empty = model_with(SAM, [])
    assert words.header_text(empty, 0).startswith("Tuesday IOP · No session running")


def test_every_sentence_of_a_session_is_one_plain_line() -> None:
    log = Log()
    frames = [
        log.session(), log.phase("checkin"), log.checkin(ALEX, 3, ["sad"], note="private", private=True),
        log.checkin_note(ALEX, "private"), log.phase("psychoeducation"), log.deck(["A", "B"]), log.notes(["n1", "n2"]),
        log.slide(1), log.phase("exercises"), log.poll("Q?", ["x", "y"]), log.vote(SAM, 10, [1]),
        log.event("poll.closed", {"poll_id": 10}), log.reveal(10, [0, 1], 1), log.phase("discussion"),
        log.chat(SAM, "hi"), log.chat(SAM, "psst", to="facilitators"), log.event("chat.deleted", {"message_id": 15}),
        log.hand(SAM), log.hand(SAM, up=False), log.mute(ALEX), log.mute(ALEX, muted=False), log.phase("closing"),
        log.homework("Journal", "2026-12-04"), log.submit(SAM, 23), log.event("session.ended", {"session_id": 1, "summary": "Good work."}),
    ]
    for reader in (DANA, SAM, JO):
        model = SessionModel()
        model.apply(welcome(reader))
        seen = []
        for frame in frames:
            seen.extend(model.apply(frame))
        said = [n.text for n in seen]
        assert said and all(not BOX_OR_NEWLINE.search(s) for s in said)
        assert any(s.startswith("Phase: closing") for s in said)
        lines = words.summary_lines(model, frames[-1]["ts"], dt.date(2026, 12, 1))
        assert lines and all(not BOX_OR_NEWLINE.search(s) for s in lines)
    assert "Session ended. Summary: Good work." in said


def test_submission_text_reads_what_was_handed_in() -> None:
    from protocol.state import Homework, Submission

    checklist = Homework(1, "Plan", "checklist", "", ["Walk", "Call", "Sleep"], "2030-01-01", 0.0)
    sub = Submission(2, "Sam", "", [2, 0], [], 0.0, False)
    assert words.submission_text(checklist, sub) == "ticked 2 of 3: Walk, Sleep"
    assert words.submission_text(checklist, Submission(2, "Sam", "", [], [], 0.0, False)) == "ticked none of 3"
    text = Homework(3, "Journal", "text", "", [], "2030-01-01", 0.0)
    assert words.submission_text(text, Submission(2, "Sam", "I caught\\ntwo thoughts", [], [], 0.0, False)) == "wrote: I caught\\ntwo thoughts"
    assert words.submission_text(text, Submission(2, "Sam", "line one\nline two", [], [], 0.0, False)) == "wrote: line one line two"
    log = Homework(4, "Log", "emotion_log", "", [], "2030-01-01", 0.0)
    entries = [{"day": "2026-11-20", "mood": 4, "feelings": ["tired"], "note": ""}, {"day": "2026-11-21", "mood": 6, "feelings": [], "note": "better"}]
    assert words.submission_text(log, Submission(2, "Sam", "", [], entries, 0.0, False)) == "logged 2 days: 2026-11-20 mood 4, tired; 2026-11-21 mood 6, better"
