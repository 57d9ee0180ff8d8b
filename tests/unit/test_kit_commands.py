"""The facilitator's kit in the one command interpreter (issue 14 part A): what
/journal, /goround, /airtime, /nudge and /slow become, and their refusals, on a
real SessionModel fed real frames; and the kit's sentences."""

from __future__ import annotations

import pytest

from iop_tui.core import words
from iop_tui.core.commands import COMMANDS, help_entries
from protocol.kit import THOUGHT_RECORD
from tests.support.commandroom import Room, sends

pytestmark = pytest.mark.unit


def _prompt(room: Room, fields: list[str] | None = None, minutes: int = 5) -> int:
    room.event("journal.opened", {"prompt_id": room.seq + 1, "title": "What helped?", "fields": fields or [], "minutes": minutes})
    return room.seq


def _mine(room: Room, prompt_id: int, answers: list[str], done: bool = False) -> None:
    room.seq += 1
    room.model.apply({"kind": "event", "seq": room.seq, "type": "journal.written", "ts": 2000.0, "actor": 2, "actor_name": "Sam",
                      "audience": "self", "subject": 2, "data": {"prompt_id": prompt_id, "member_id": 2, "answers": answers, "done": done}})


def test_the_kits_commands_do_not_collide_with_the_round_the_pass_and_the_slides():
    assert COMMANDS["round"].names == ("round",) and COMMANDS["pass"].names == ("pass",) and COMMANDS["next"].names[0] != "goround"
    assert {"journal", "goround", "airtime", "nudge", "slow"} <= set(COMMANDS)


@pytest.mark.parametrize(("line", "expected"), [
    ("/journal open 10 What helped this week?", [("journal.open", {"title": "What helped this week?", "fields": [], "minutes": 10})]),
    ("/journal open What helped?", [("journal.open", {"title": "What helped?", "fields": [], "minutes": 0})]),
    ("/journal open thought-record 15", [("journal.open", {"title": "Thought record", "fields": list(THOUGHT_RECORD), "minutes": 15})]),
    ("/goround One word for today?", [("goround.start", {"question": "One word for today?", "order": "roster", "turn_minutes": 0})]),
    ("/goround quietest 2 One word for today?", [("goround.start", {"question": "One word for today?", "order": "quietest", "turn_minutes": 2})]),
    ("/goround random What are you proud of", [("goround.start", {"question": "What are you proud of", "order": "random", "turn_minutes": 0})]),
    ("/nudge Sam let's hear from the others too", [("member.nudge", {"member_id": 2, "text": "let's hear from the others too"})]),
    ("/nudge Zoë 李", [("member.nudge", {"member_id": 3, "text": ""})]),
    ("/slow Sam 30", [("member.slow", {"member_id": 2, "seconds": 30})]),
    ("/slow Sam 30 seconds", [("member.slow", {"member_id": 2, "seconds": 30})]),
    ("/slow Sam off", [("member.slow", {"member_id": 2, "seconds": 0})]),
])
def test_a_facilitators_kit_line_becomes_one_command(dana: Room, line: str, expected):
    assert sends(dana(line)) == expected


def test_a_member_writes_answers_finishes_and_shares(sam: Room):
    pid = _prompt(sam, ["Situation", "Thought"])
    assert sends(sam("/journal at work")) == [("journal.write", {"prompt_id": pid, "answers": ["at work", ""], "done": False})]
    _mine(sam, pid, ["at work", ""])
    assert sends(sam("/journal I will be fired")) == [("journal.write", {"prompt_id": pid, "answers": ["at work", "I will be fired"], "done": False})]
    assert sends(sam("/journal 1 at home")) == [("journal.write", {"prompt_id": pid, "answers": ["at home", ""], "done": False})]
    assert sends(sam("/journal done")) == [("journal.write", {"prompt_id": pid, "answers": ["at work", ""], "done": True})]
    assert sends(sam("/journal share group")) == [("journal.share", {"prompt_id": pid, "to": "group"})]
    assert sends(sam("/journal share facilitators 1")) == [("journal.share", {"prompt_id": pid, "to": "facilitators"})]
    read = sam("/journal")
    assert read.local == "lines" and read.arg[0].startswith("Open prompt, for 5 minutes: What helped?")
    assert "Question 1, Situation: at work" in read.arg


@pytest.mark.parametrize(("role", "line", "said"), [
    ("participant", "/journal words", words.NO_PROMPT_OPEN),
    ("participant", "/journal", words.NO_JOURNAL),
    ("participant", "/journal share", words.JOURNAL_SHARE_USAGE),
    ("participant", "/journal share everyone", words.JOURNAL_SHARE_USAGE),
    ("participant", "/airtime", "As a participant you cannot read members' airtime."),
    ("participant", "/goround next", words.GOROUND_MEMBER_USAGE),
    ("participant", "/goround pass", words.NO_GOROUND),
    ("participant", "/nudge Sam hi", "As a participant you cannot send a member a private nudge."),
    ("participant", "/slow Sam 30", "As a participant you cannot slow a member's pace."),
    ("guest", "/journal", "As a guest you cannot write in a journal."),
    ("facilitator", "/journal open", words.JOURNAL_OPEN_USAGE),
    ("facilitator", "/journal close", words.NO_PROMPT_OPEN),
    ("facilitator", "/journal plan", words.NO_PLAN),
    ("facilitator", "/goround next", words.NO_GOROUND),
    ("facilitator", "/goround nxt", words.GOROUND_USAGE),
    ("facilitator", "/goround quietest", words.GOROUND_USAGE),
    ("facilitator", "/airtime everyone", words.AIRTIME_USAGE),
    ("facilitator", "/nudge", words.NUDGE_USAGE),
    ("facilitator", "/nudge Morgan hi", words.no_member_text("Morgan")),
    ("facilitator", "/slow Sam", words.SLOW_USAGE),
    ("facilitator", "/slow Sam fast", words.SLOW_USAGE),
])
def test_a_kit_mistake_is_one_sentence_and_sends_nothing(role: str, line: str, said: str):
    outcome = Room(role)(line)
    assert outcome.refusal == said and not outcome.sends, outcome


def test_a_member_passes_only_on_their_turn(sam: Room):
    sam.event("goround.started", {"round_id": sam.seq + 1, "question": "One word?", "order": [3, 2], "how": "roster", "turn_minutes": 0})
    assert sam("/goround pass").refusal == words.NOT_YOUR_TURN
    assert sam("/goround").arg[1] == "Zoë 李, it is your turn. You are next."
    sam.event("goround.moved", {"round_id": sam.seq, "member_id": 3, "how": "spoke", "index": 1})
    assert sends(sam("/goround pass")) == [("goround.pass", {})]
    assert sam("/goround").arg[1] == "It is your turn. This is the last turn. Type /goround pass to pass."


def test_airtime_reads_shares_and_who_has_not_spoken_members_only(dana: Room):
    dana.event("chat.posted", {"message_id": dana.seq + 1, "member_id": 3, "text": "one two three", "to": "group"}, actor=3, name="Zoë 李")
    dana.event("chat.posted", {"message_id": dana.seq + 1, "member_id": 1, "text": "facilitator words do not count here", "to": "group"})
    assert dana("/airtime").arg == [
        "Airtime this session, group chat, 5 words in all:",  # Sam's "hello all" came first
        "Zoë 李 60% of words: 1 line, 3 words, 1 turn.",
        "Sam 40% of words: 1 line, 2 words, 1 turn.",
        "Samira has not spoken.",
    ]
    assert dana("/goround").arg == [words.NO_GOROUND]


def test_the_help_offers_the_kit_by_role():
    fac = {h.usage.split(" ")[0] for h in help_entries("facilitator")}
    member = {h.usage.split(" ")[0] for h in help_entries("participant")}
    guest = {h.usage.split(" ")[0] for h in help_entries("guest")}
    assert {"/journal", "/goround", "/airtime", "/nudge", "/slow"} <= fac
    assert {"/journal", "/goround"} <= member and not {"/airtime", "/nudge", "/slow"} & member
    assert "/goround" in guest and "/journal" not in guest
