"""SessionModel: frames in, state and one-sentence notices out (pure, no server)."""

from __future__ import annotations

from tests.support.framekit import ALEX, DANA, JO, SAM, T0, Log, presence, status, synced, welcome
from hypothesis import given, settings
from hypothesis import strategies as st

from iop_tui.core.model import Notice, SessionModel


def joined(member: dict = SAM, log: Log | None = None, history: list[dict] | None = None) -> tuple[SessionModel, Log]:
    """A model that was welcomed (fresh), replayed ``history`` and synced."""
    log = log or Log()
    model = SessionModel()
    model.apply(welcome(member))
    for frame in history or []:
        model.apply(frame)
    model.apply(synced(log.seq))
    return model, log


def texts(notices: list[Notice]) -> list[str]:
    return [n.text for n in notices]


def test_welcome_sets_who_i_am_and_the_roster() -> None:
    model = SessionModel()
    notices = model.apply(welcome(SAM))
    assert model.me is not None and model.me.name == "Sam" and model.me.role == "participant"
    assert model.me.status == "online"  # the roster said offline; we are here now
    assert model.group_name == "Tuesday IOP"
    assert set(model.state.roster) == {1, 2, 3, 4}
    assert not model.is_facilitator and not model.synced
    assert texts(notices) == ["Joined Tuesday IOP as Sam, participant."]


def test_guest_without_roster_still_knows_itself() -> None:
    model = SessionModel()
    model.apply(welcome(JO, roster=[]))
    assert model.me is not None and model.me.role == "guest"
    assert list(model.state.roster) == [5]
    assert not model.can("chat.delete") and model.can("poll.vote")


def test_replayed_events_are_history_then_live_after_synced() -> None:
    log = Log()
    model = SessionModel()
    model.apply(welcome(SAM))
    history = model.apply(log.chat(ALEX, "earlier"))
    assert [n.live for n in history] == [False]
    done = model.apply(synced(log.seq))
    assert model.synced and done[0].kind == "synced"
    live = model.apply(log.chat(ALEX, "now"))
    assert live == [Notice("Chat, Alex: now", "chat", "info", True, "chat.posted", False, 2)]
    assert model.unread_chat == 1  # history does not count as unread; the live line does


def test_a_duplicated_event_is_folded_and_shown_once() -> None:
    model, log = joined()
    frame = log.chat(ALEX, "only once")
    assert len(model.apply(frame)) == 1
    assert model.apply(frame) == []
    assert model.apply(dict(frame)) == []
    assert [c.text for c in model.state.chat] == ["only once"]
    assert model.unread_chat == 1


def test_own_chat_is_not_unread_and_mark_read_clears() -> None:
    model, log = joined()
    model.apply(log.chat(SAM, "mine"))
    assert model.unread_chat == 0
    model.apply(log.chat(ALEX, "theirs"))
    model.apply(log.chat(DANA, "welcome all"))
    assert model.unread_chat == 2
    model.mark_chat_read()
    assert model.unread_chat == 0


def test_resume_keeps_state_and_marks_missed_events() -> None:
    log = Log()
    model, _ = joined(SAM, log, [log.session(), log.chat(ALEX, "before the cut")])
    model.apply(status("reconnecting", retry_in=1.0, message="The connection to the server was lost; reconnecting in 1 s."))
    assert not model.synced
    notices = model.apply(welcome(SAM, mode="resume", head_seq=3, replay_from=3))
    assert texts(notices) == ["Reconnected to Tuesday IOP; catching up."]
    missed = model.apply(log.chat(ALEX, "while you were away"))
    assert missed[0].missed and not missed[0].live
    model.apply(synced(log.seq))
    assert [c.text for c in model.state.chat] == ["before the cut", "while you were away"]
    assert model.state.session is not None
    assert model.unread_chat == 1  # the missed line is new to the reader; the history line is not


def test_reset_after_state_rebuilds_from_scratch() -> None:
    log = Log()
    model, _ = joined(SAM, log, [log.session(), log.chat(ALEX, "old store")])
    notices = model.apply(welcome(SAM, mode="reset", head_seq=1))
    assert model.state.chat == [] and model.state.head_seq == 0
    assert any(n.level == "warning" for n in notices)
    fresh = Log()
    model.apply(fresh.chat(ALEX, "new store"))  # seq 1 again: accepted after the reset
    assert [c.text for c in model.state.chat] == ["new store"]


def test_phase_change_names_the_pane_to_bring_forward() -> None:
    model, log = joined()
    model.apply(log.session())
    (notice,) = model.apply(log.phase("psychoeducation"))
    assert notice.kind == "phase" and notice.pane == "slides"
    assert notice.text == "Phase: psychoeducation."
    (notice,) = model.apply(log.phase("checkin"))
    assert notice.pane == "checkin"


def test_presence_updates_the_roster_with_a_presence_notice() -> None:
    model, _ = joined()
    (notice,) = model.apply(presence(ALEX, "offline"))
    assert notice.kind == "presence" and notice.text == "Alex left."
    assert model.state.roster[3].status == "offline"
    model.apply(presence({"id": 4, "name": "Riley", "role": "participant"}, "online"))
    assert [e.name for e in model.online_members()] == ["Dana", "Riley", "Sam"]
    assert model.apply(presence(SAM, "online")) == []  # about me: nothing to say


def test_error_is_an_error_notice_and_remembered() -> None:
    model, _ = joined()
    (notice,) = model.apply({"kind": "error", "id": "a1", "code": "forbidden", "message": "You are muted; a facilitator can unmute you."})
    assert notice.level == "error" and notice.text == "You are muted; a facilitator can unmute you."
    assert model.last_error == model.errors == notice.text


def test_refused_join_says_it_once() -> None:
    model = SessionModel()
    sentence = "This join token is unknown or was revoked; ask your facilitator for a new invitation."
    first = model.apply({"kind": "error", "id": None, "code": "unauthorized", "message": sentence})
    second = model.apply(status("failed", message=sentence))
    assert texts(first) == [sentence] and second == []
    assert model.conn.state == "failed" and model.conn.message == sentence


def test_status_changes_are_said_once_per_change() -> None:
    model, _ = joined()
    model.apply(status("connected"))
    lost = model.apply(status("reconnecting", retry_in=0.5, message="The connection to the server was lost; reconnecting in 0.5 s."))
    assert [(n.level, n.kind) for n in lost] == [("warning", "connection")]
    assert model.apply(status("reconnecting", retry_in=1.0, pending=2)) == []
    assert model.conn.pending == 2 and model.conn.retry_in == 1.0
    assert not model.synced
    failed = model.apply(status("failed", message="You were removed from this group; ask your facilitator if this is a mistake."))
    assert failed[0].level == "error"


def test_private_note_is_shown_only_when_held() -> None:
    log = Log()
    submitted = log.checkin(ALEX, 3, ["anxious", "tired"], note="hard week", private=True)
    note = log.checkin_note(ALEX, "hard week")
    # Sam never receives Alex's note event: his line has no note.
    sam, _ = joined(SAM, Log())
    (line,) = sam.apply(submitted)
    assert line.text == "Check-in, Alex: mood 3 of 10, anxious, tired."
    # Dana receives both.
    dana, _ = joined(DANA, Log())
    dana.apply(submitted)
    (note_notice,) = dana.apply(note)
    assert note_notice.text == "Check-in note for facilitators, Alex: hard week"
    assert dana.facilitator_summary()[0] == "Checked in: 1 of 3."
    from iop_tui.core.words import checkin_line

    assert checkin_line(dana.state.checkins[3]) == "Check-in, Alex: mood 3 of 10, anxious, tired. Note for facilitators: hard week."


def test_helpers_for_the_faces() -> None:
    log = Log()
    model, _ = joined(SAM, log, [log.session(), log.phase("checkin")])
    assert model.my_checkin() is None and not model.hand_raised()
    model.apply(log.checkin(SAM, 6, ["calm"]))
    assert model.my_checkin() is not None and model.my_checkin().mood == 6
    poll = model.state.polls.get(model.apply(log.poll("Better?", ["yes", "no"]))[0].seq)
    assert model.my_vote(poll) is None
    model.apply(log.vote(SAM, poll.poll_id, [0]))
    assert model.my_vote(poll.poll_id) == [0]
    hw_id = model.apply(log.homework("Thought record", "2026-12-04"))[0].seq
    assert model.my_submission(hw_id) is None
    model.apply(log.submit(SAM, hw_id))
    assert model.my_submission(model.state.homework[hw_id]).text == "done"
    model.apply(log.hand(ALEX))
    model.apply(log.hand(SAM))
    assert model.hand_raised() and model.hand_position() == 2
    since = model.state.phase_since
    assert model.elapsed_in_phase(since + 59) == 0
    assert model.elapsed_in_phase(since + 12 * 60 + 5) == 12


def test_being_muted_or_removed_is_said_plainly() -> None:
    model, log = joined()
    (muted,) = model.apply(log.mute(SAM))
    assert muted.level == "warning" and muted.text.startswith("You are muted")
    (other,) = model.apply(log.mute(ALEX))
    assert other.text == "Muted, Alex." and other.level == "info"
    removed = model.apply(log.event("member.removed", {"member_id": SAM["id"]}))
    assert removed[0].level == "error" and model.me.removed


def test_presenter_notes_fold_silently() -> None:
    model, log = joined(DANA)
    model.apply(log.deck(["Welcome", "Thinking traps"]))
    assert model.apply(log.notes(["say hi", "go slow"])) == []
    assert model.state.notes == ["say hi", "go slow"]


def test_frames_the_model_does_not_know_are_ignored() -> None:
    model = SessionModel()
    assert model.apply({"kind": "mystery"}) == []
    assert model.apply({"kind": "event", "seq": "x"})[0].level == "warning"
    assert model.state.head_seq == 0
    assert T0 > 0


def test_notices_carry_the_typing_hint_for_the_plain_face() -> None:
    log = Log()
    opened = log.poll("Better?", ["yes", "no"])
    phase = log.phase("checkin")
    sam, _ = joined(SAM, Log())
    (poll_notice,) = sam.apply(opened)
    (phase_notice,) = sam.apply(phase)
    assert poll_notice.hint == "Type /vote and a number."
    assert poll_notice.with_hint() == poll_notice.text + " Type /vote and a number."
    assert phase_notice.hint == "Type /checkin followed by your mood 0 to 10."
    dana, _ = joined(DANA, Log())
    assert [n.hint for n in dana.apply(opened) + dana.apply(phase)] == [None, None]
    jo, _ = joined(JO, Log())
    jo.apply(opened)
    assert jo.apply(phase)[0].hint is None  # guests do not check in


def _session_log() -> list[dict]:
    log = Log()
    frames = [log.session(), log.phase("checkin"), log.checkin(ALEX, 4, ["ok"]), log.chat(ALEX, "hi"),
              log.poll("Q?", ["a", "b"]), log.vote(SAM, 5, [0]), log.hand(SAM), log.chat(DANA, "welcome"),
              log.phase("discussion"), log.hand(SAM, up=False), log.homework("Journal", "2026-12-04")]
    return frames


def _folded(frames: list[dict], cut: int | None = None, repeats: list[int] | None = None) -> tuple[SessionModel, list[Notice]]:
    model = SessionModel()
    said: list[Notice] = []
    said += model.apply(welcome(SAM))
    head = cut if cut is not None else len(frames)
    for i, frame in enumerate(frames[:head]):
        for _ in range(1 + (repeats[i] if repeats else 0)):
            said += model.apply(frame)
    said += model.apply(synced(head))
    if cut is not None:
        said += model.apply(status("reconnecting", retry_in=1.0))
        said += model.apply(welcome(SAM, mode="resume", head_seq=len(frames), replay_from=cut + 1))
        for frame in frames[cut:]:
            said += model.apply(frame)
        said += model.apply(synced(len(frames)))
    return model, said



@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=11, max_size=11), st.integers(0, 11))
def test_redeliveries_and_resumes_fold_to_the_same_state(repeats: list[int], cut: int) -> None:
    """However often an event is delivered and wherever the cut falls, the view is the same."""
    frames = _session_log()
    clean, clean_said = _folded(frames)
    noisy, noisy_said = _folded(frames, repeats=repeats)
    resumed, resumed_said = _folded(frames, cut=cut)
    for other in (noisy, resumed):
        assert other.state == clean.state
    event_texts = lambda said: [n.text for n in said if n.seq is not None]  # noqa: E731
    assert event_texts(noisy_said) == event_texts(clean_said) == event_texts(resumed_said)
    assert [n.seq for n in resumed_said if n.missed] == list(range(cut + 1, len(frames) + 1))


def test_a_malformed_event_is_skipped_with_a_warning_not_a_crash() -> None:
    model, log = joined()
    broken = log.event("phase.changed", {})  # no phase
    (notice,) = model.apply(broken)
    assert notice.level == "warning" and "could not be read" in notice.text
    assert model.state.head_seq == broken["seq"]
    assert model.apply(log.chat(ALEX, "still here"))[0].text == "Chat, Alex: still here"


def test_a_private_line_counts_apart_from_group_chat_and_is_announced_distinctly() -> None:
    """A private reply from a facilitator is "Private from Dana" for its member, counts in
    unread_private (not the group's unread), and the facilitator reads it as "Private to Sam from Dana"."""
    model, log = joined(SAM)
    model.apply(log.chat(ALEX, "hello all"))
    notices = model.apply(log.reply(DANA, SAM, "Yes, stay on after group."))
    assert texts(notices) == ["Private from Dana: Yes, stay on after group."]
    assert notices[0].kind == "chat.posted" and notices[0].pane == "chat"
    assert (model.unread_chat, model.unread_private) == (1, 1)
    model.apply(log.chat(SAM, "can we talk?", to="facilitators"))  # my own line is not unread
    assert (model.unread_chat, model.unread_private) == (1, 1)
    assert [(c.text, c.thread) for c in model.private_thread(SAM["id"])] == [("Yes, stay on after group.", SAM["id"]), ("can we talk?", SAM["id"])]
    model.mark_chat_read()
    assert (model.unread_chat, model.unread_private) == (0, 0)

    dana, log2 = joined(DANA)
    dana.apply(log2.chat(SAM, "can we talk?", to="facilitators"))
    said = dana.apply(log2.reply(DANA, SAM, "Yes."))
    assert texts(said) == ["Private to Sam from Dana: Yes."]
    assert (dana.unread_chat, dana.unread_private) == (0, 1)  # Sam's line; Dana's own reply is not unread
    assert [c.text for c in dana.private_thread(SAM["id"])] == ["can we talk?", "Yes."]
    assert dana.private_thread(ALEX["id"]) == []


def test_a_typed_line_that_became_several_commands_comes_back_once_when_one_is_refused() -> None:
    m = SessionModel()
    m.note_line("c1", "/breakout plan 1")
    m.note_line("c2", "/breakout plan 1")
    m.note_line("c3", "hello all")
    m.apply({"kind": "error", "id": "c2", "code": "conflict", "message": "Breakout rooms are already open."})
    assert m.take_returned_line() == "/breakout plan 1"
    assert m.take_returned_line() is None, "given back once"
    m.apply({"kind": "error", "id": "c1", "code": "conflict", "message": "Breakout rooms are already open."})
    assert m.take_returned_line() is None, "its other command's refusal does not give it back again"
    m.apply({"kind": "ack", "id": "c3", "seq": 9})
    m.apply({"kind": "error", "id": "c3", "code": "conflict", "message": "late"})
    assert m.take_returned_line() is None, "an accepted line is never given back"
