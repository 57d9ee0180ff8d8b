"""The facilitator's kit (issue 14 part A) in the rules and the fold, without a socket.

Guided journaling, go-around rounds and fair airtime, decided by
:func:`server.rules.decide` and folded by :class:`protocol.state.GroupState`
for each reader through the one audience rule.
"""

from __future__ import annotations

import pytest

from protocol.errors import ErrorCode
from protocol.kit import word_count
from protocol.roles import FACILITATORS, MEMBER, MEMBERS, SELF
from tests.unit.test_model import ALEX, CASEY, DANA, JO, NOW, RILEY, SAM, Room


@pytest.fixture
def live() -> Room:
    room = Room()
    room.start()
    return room


def _here(room: Room, *people) -> None:
    for who in people:
        room.state.update_member({"id": who.member_id}, status="online")


def _prompt(room: Room, **data) -> int:
    return room.do(DANA, "journal.open", {"title": "What helped this week?", **data})[0].seq


def test_an_unshared_journal_entry_reaches_its_writer_alone_not_the_facilitators(live: Room):
    pid = _prompt(live)
    events = live.do(SAM, "journal.write", {"prompt_id": pid, "answers": ["SECRET walking the dog"]})
    written = events[0]
    assert (written.type, written.audience, written.subject) == ("journal.written", SELF, SAM.member_id)
    for reader in (DANA, CASEY, ALEX, JO):
        assert written not in live.seen_by(reader)
        assert not live.view(reader).journal
    assert live.view(SAM).journal_of(SAM.member_id)[0].answers == ["SECRET walking the dog"]
    # The facilitators learn counts only.
    progress = [e for e in events if e.type == "journal.progress"]
    assert progress and progress[0].audience == FACILITATORS
    assert "SECRET" not in repr(progress[0].data)
    prompt = live.view(DANA).journal_prompts[pid]
    assert (prompt.writing, prompt.done, prompt.of) == (1, 0, 3)


def test_progress_counts_writing_and_done_and_says_nothing_when_unchanged(live: Room):
    pid = _prompt(live)
    live.do(SAM, "journal.write", {"prompt_id": pid, "answers": ["a"]})
    again = live.do(SAM, "journal.write", {"prompt_id": pid, "answers": ["a and b"]})
    assert [e.type for e in again] == ["journal.written"]
    live.do(ALEX, "journal.write", {"prompt_id": pid, "answers": ["c"], "done": True})
    prompt = live.view(DANA).journal_prompts[pid]
    assert (prompt.writing, prompt.done, prompt.of) == (1, 1, 3)


def test_a_shared_entry_reaches_the_facilitators_or_the_group_and_later_writes_follow(live: Room):
    pid = _prompt(live, fields=["Situation", "Automatic thought"])
    live.do(SAM, "journal.write", {"prompt_id": pid, "answers": ["at work"]})
    shared = live.do(SAM, "journal.share", {"prompt_id": pid, "to": "facilitators"})[0]
    assert (shared.audience, shared.subject) == (MEMBER, SAM.member_id)
    assert shared.data["answers"] == ["at work", ""]
    assert live.view(DANA).journal[(pid, SAM.member_id)].shared == "facilitators"
    assert not live.view(ALEX).journal
    later = live.do(SAM, "journal.write", {"prompt_id": pid, "answers": ["at work", "I failed"]})
    assert [e.type for e in later][:2] == ["journal.written", "journal.shared"]
    assert live.view(DANA).journal[(pid, SAM.member_id)].answers == ["at work", "I failed"]
    to_group = live.do(SAM, "journal.share", {"prompt_id": pid, "to": "group"})[0]
    assert to_group.audience == MEMBERS
    assert live.view(ALEX).journal[(pid, SAM.member_id)].answers == ["at work", "I failed"]
    assert not [e for e in live.seen_by(JO) if e.type.startswith("journal.")]
    assert live.do(SAM, "journal.share", {"prompt_id": pid, "to": "facilitators"}) == []  # the group covers them


def test_journal_refusals_change_nothing(live: Room):
    pid = _prompt(live, fields=["One", "Two"])
    assert live.refuse(SAM, "journal.write", {"prompt_id": pid, "answers": ["", " "]}).code == ErrorCode.INVALID
    assert live.refuse(SAM, "journal.write", {"prompt_id": pid, "answers": ["a", "b", "c"]}).code == ErrorCode.INVALID
    assert live.refuse(SAM, "journal.write", {"prompt_id": 999, "answers": ["a"]}).code == ErrorCode.NOT_FOUND
    assert live.refuse(SAM, "journal.share", {"prompt_id": pid, "to": "group"}).code == ErrorCode.CONFLICT
    assert live.refuse(DANA, "journal.write", {"prompt_id": pid, "answers": ["a"]}).code == ErrorCode.FORBIDDEN


def test_opening_a_prompt_closes_the_one_before_and_entries_outlive_the_session(live: Room):
    first = _prompt(live)
    second = live.do(DANA, "journal.open", {"title": "Thought record", "fields": ["Situation"], "minutes": 10})
    assert [e.type for e in second] == ["journal.opened", "journal.closed"]
    assert live.view(SAM).open_prompt().prompt_id == second[0].seq
    live.do(SAM, "journal.write", {"prompt_id": first, "answers": ["kept"]})
    live.do(DANA, "session.end", {})
    live.do(SAM, "journal.write", {"prompt_id": first, "answers": ["kept, and more"], "done": True})
    mine = live.view(SAM).journal_of(SAM.member_id)
    assert [(e.prompt_id, e.answers, e.done) for e in mine] == [(first, ["kept, and more"], True)]


def test_a_goround_goes_in_roster_order_with_passes_skips_and_ends_after_the_last_turn(live: Room):
    _here(live, SAM, ALEX, RILEY)
    started = live.do(DANA, "goround.start", {"question": "One word for today?"})[0]
    assert started.data["order"] == [SAM.member_id, ALEX.member_id, RILEY.member_id]
    view = live.view(RILEY)
    assert view.goround().whose() == SAM.member_id and view.goround().next_up() == ALEX.member_id
    assert live.refuse(ALEX, "goround.pass", {}).code == ErrorCode.CONFLICT
    live.do(SAM, "goround.pass", {})
    live.do(DANA, "goround.next", {"skip": True})
    last = live.do(DANA, "goround.next", {})
    assert [e.type for e in last] == ["goround.moved", "goround.ended"]
    finished = live.view(JO).gorounds[started.seq]
    assert finished.outcomes == {SAM.member_id: "passed", ALEX.member_id: "skipped", RILEY.member_id: "spoke"}
    assert live.view(JO).goround() is None
    assert live.refuse(DANA, "goround.next", {}).code == ErrorCode.CONFLICT


def test_a_goround_quietest_first_and_random_are_fixed_when_it_starts(live: Room):
    _here(live, SAM, ALEX, RILEY)
    live.say(SAM, "I have a lot to say about this week and more")
    live.say(ALEX, "ok")
    quiet = live.do(DANA, "goround.start", {"question": "Q?", "order": "quietest"})[0]
    assert quiet.data["order"] == [RILEY.member_id, ALEX.member_id, SAM.member_id]
    assert live.refuse(DANA, "goround.start", {"question": "Again?"}).code == ErrorCode.CONFLICT
    live.do(DANA, "goround.end", {})
    shuffled = live.do(DANA, "goround.start", {"question": "Q?", "order": "random"})[0]
    assert sorted(shuffled.data["order"]) == [SAM.member_id, ALEX.member_id, RILEY.member_id]


def test_a_goround_needs_someone_here(live: Room):
    assert live.refuse(DANA, "goround.start", {"question": "Anyone?"}).code == ErrorCode.CONFLICT


def test_airtime_counts_lines_words_and_turns_per_session_and_phase(live: Room):
    live.do(DANA, "phase.set", {"phase": "discussion"})
    live.say(SAM, "one two three")
    live.say(SAM, "four")
    live.say(ALEX, "five six")
    live.say(SAM, "don't stop")
    live.say(ALEX, "private words", to="facilitators")  # not group airtime
    sid = live.state.session.session_id
    said = live.view(DANA).airtime_of(sid, "discussion")
    assert (said[SAM.member_id].lines, said[SAM.member_id].words, said[SAM.member_id].turns) == (3, 6, 2)
    assert (said[ALEX.member_id].lines, said[ALEX.member_id].words, said[ALEX.member_id].turns) == (1, 2, 1)
    assert live.view(DANA).airtime_of(sid, "checkin") == {}


@pytest.mark.parametrize(("text", "count"), [("", 0), ("  hi  there ", 2), ("don't well-being", 2), ("🙂 !!", 0), ("Zoë 李", 2)])
def test_word_count(text: str, count: int):
    assert word_count(text) == count


def test_a_slowed_member_writes_one_group_line_per_n_seconds_and_is_told_how_long(live: Room):
    slowed = live.do(DANA, "member.slow", {"member_id": SAM.member_id, "seconds": 30})[0]
    assert (slowed.audience, slowed.subject) == (MEMBER, SAM.member_id)
    live.say(SAM, "first")
    live.now = NOW + 10
    err = live.refuse(SAM, "chat.send", {"text": "too soon"})
    assert err.code == ErrorCode.RATE_LIMITED and "20 seconds" in err.message and "30 seconds" in err.message
    live.say(SAM, "private is never slowed", to="facilitators")
    live.say(ALEX, "others are not slowed")
    live.now = NOW + 30
    live.say(SAM, "now it goes")
    live.do(DANA, "member.slow", {"member_id": SAM.member_id, "seconds": 0})
    live.say(SAM, "and lifted")
    assert live.do(DANA, "member.slow", {"member_id": SAM.member_id, "seconds": 0}) == []


def test_a_nudge_is_private_to_its_member_and_the_facilitators(live: Room):
    nudged = live.do(DANA, "member.nudge", {"member_id": RILEY.member_id, "text": "We would love to hear from you."})[0]
    assert (nudged.audience, nudged.subject) == (MEMBER, RILEY.member_id)
    assert nudged in live.seen_by(RILEY) and nudged in live.seen_by(CASEY)
    assert nudged not in live.seen_by(SAM) and nudged not in live.seen_by(JO)
    assert live.refuse(DANA, "member.nudge", {"member_id": CASEY.member_id}).code == ErrorCode.FORBIDDEN
