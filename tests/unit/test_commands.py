"""The one command interpreter (iop_tui.core.commands), on a real SessionModel fed real frames.

Each command: the intent a typed line becomes (protocol kind + data), its
refusals (one sentence, from words), and its place in the help a role is offered.
No socket, no face: the interpreter is pure.
"""

from __future__ import annotations

import pytest

from iop_tui.core import words
from iop_tui.core.commands import COMMAND_HELP, COMMANDS, Send, help_entries, moderate
from tests.support.commandroom import Room, sends

pytestmark = pytest.mark.unit


# -- intents -------------------------------------------------------------------------------

MEMBER_INTENTS = [
    ("hello all", [("chat.send", {"text": "hello all", "to": "group"})]),
    ("//slash at the start", [("chat.send", {"text": "/slash at the start", "to": "group"})]),
    ("/dm I need a minute", [("chat.send", {"text": "I need a minute", "to": "facilitators"})]),
    ("/private I need a minute", [("chat.send", {"text": "I need a minute", "to": "facilitators"})]),
    ("/reply thank you", [("chat.send", {"text": "thank you", "to": "facilitators"})]),
    ("/me nods", [("chat.send", {"text": "nods", "to": "group", "me": True})]),
    ("/hand", [("hand.raise", {})]),
    ("/vote 2", [("poll.vote", {"poll_id": 7, "choices": [1]})]),
    ("/checkin 4 tired, hopeful --group -- slept badly", [("checkin.submit", {"mood": 4, "feelings": ["tired", "hopeful"], "note": "slept badly", "note_to": "group", "passed": False})]),
    ("/pass", [("checkin.submit", {"mood": None, "feelings": [], "note": "", "passed": True})]),
    ("/check 1 2", [("homework.submit", {"homework_id": 9, "text": "", "checked": [1], "log": []})]),
]


@pytest.mark.parametrize("line, expected", MEMBER_INTENTS, ids=[line for line, _ in MEMBER_INTENTS])
def test_a_members_typed_line_becomes_the_command_it_names(sam: Room, line: str, expected) -> None:
    outcome = sam(line)
    assert not outcome.refusal, outcome.refusal
    assert sends(outcome) == expected


FACILITATOR_INTENTS = [
    ("/start Week 4", [("session.start", {"title": "Week 4"})]),
    ("/phase check-in", [("phase.set", {"phase": "checkin"})]),
    ("/next", [("slide.goto", {"index": 1})]),
    ("/goto 1", [("slide.goto", {"index": 0})]),
    ("/close 1", [("poll.close", {"poll_id": 7})]),
    ("/reveal 1", [("poll.reveal", {"poll_id": 7})]),
    ("/mute sam", [("member.mute", {"member_id": 2, "muted": True})]),
    ("/unmute ZOE\u0308 李", [("member.mute", {"member_id": 3, "muted": False})]),
    ("/mute zo", [("member.mute", {"member_id": 3, "muted": True})]),
    ("/reply Zoë 李: see you", [("chat.reply", {"member_id": 3, "text": "see you"})]),
    ("/remove Samira yes", [("member.remove", {"member_id": 4})]),
    ("/delete 4 yes", [("chat.delete", {"message_id": 4})]),
    ('/poll open quiz "Which?" A; B correct=2 named', [("poll.open", {"question": "Which?", "poll_kind": "quiz", "options": ["A", "B"], "correct": 1, "anonymous": False})]),
    ('/assign text +7 days "Journal" Write a page', [("homework.assign", {"title": "Journal", "homework_kind": "text", "instructions": "Write a page", "items": [], "due": "2030-01-17"})]),
]


@pytest.mark.parametrize("line, expected", FACILITATOR_INTENTS, ids=[line for line, _ in FACILITATOR_INTENTS])
def test_a_facilitators_typed_line_becomes_the_command_it_names(dana: Room, line: str, expected) -> None:
    outcome = dana(line)
    assert not outcome.refusal and not outcome.ask, (outcome.refusal, outcome.ask)
    assert sends(outcome) == expected


def test_the_full_screen_inputs_modes_send_privately(sam: Room, dana: Room) -> None:
    assert sends(sam("hi", private=True)) == [("chat.send", {"text": "hi", "to": "facilitators"})]
    assert sends(sam("/me sighs", private=True)) == [("chat.send", {"text": "sighs", "to": "facilitators", "me": True})]
    assert sends(dana("see you", reply_to=2)) == [("chat.reply", {"member_id": 2, "text": "see you"})]


def test_what_cannot_be_undone_asks_first_and_a_typed_yes_confirms(dana: Room) -> None:
    delete = dana("/delete 4")
    assert delete.ask == "Delete Sam's message 'hello all'?"
    assert delete.ask_typed == "Delete Sam's message 'hello all'? Type /delete 4 yes"
    assert sends(delete) == [("chat.delete", {"message_id": 4})], "the sends wait for the yes"
    remove = dana("/remove Samira")
    assert remove.ask == words.remove_question("Samira") and remove.declined == "Samira stays in the group."
    end = dana("/end We named our traps.")
    assert end.ask.startswith("End Week 3 for everyone") and "/end yes" in end.ask_typed
    assert sends(dana("/end yes")) == [("session.end", {"summary": "We named our traps.", "reveal": True})]
    assert dana("/end yes").refusal == words.NOTHING_TO_CONFIRM


def test_the_people_panes_keys_build_the_same_intent_as_the_typed_command(dana: Room) -> None:
    sam_entry = dana.model.state.roster[2]
    assert moderate("mute", sam_entry, dana.model).sends == dana("/mute Sam").sends
    assert moderate("remove", sam_entry, dana.model).ask == dana("/remove Sam").ask
    assert moderate("lower", sam_entry, dana.model).refusal == "Sam has no hand up."


def test_read_only_requests_are_local_actions_for_the_face(sam: Room, dana: Room) -> None:
    assert sam("/who").local == "who" and not sam("/who").sends
    assert sam("/history 3").local == "history" and sam("/history 3").arg == 3
    assert sam("/slide 2").local == "slide" and sam("/slide 2").arg == 1
    assert dana("/round").local == "round"
    assert sam("/status").local == "status"
    assert dana("/deck ~/deck.md").local == "deck" and dana("/deck ~/deck.md").arg == "~/deck.md", "the face reads the file"
    assert sam("/quit").leave and sam("/exit").leave


# -- refusals: one sentence each, from words ---------------------------------------------------

REFUSALS = [
    ("participant", "/frobnicate", "There is no command /frobnicate; type /help to hear the commands."),
    ("participant", "/phase closing", "As a participant you cannot change the session's phase."),
    ("participant", "/round", "As a participant you cannot read the check-in round."),
    ("participant", "/mute Dana", "As a participant you cannot mute members."),
    ("guest", "/checkin 5", "As a guest you cannot check in."),
    ("facilitator", "/vote 1", "As a facilitator you cannot vote in polls."),
    ("participant", "/checkin eleven", "Your mood must be a number; type /help to hear how."),
    ("participant", "/checkin 12", words.MOOD_RANGE),
    ("participant", "/vote 3", "Choose a number from 1 to 2."),
    ("participant", "/vote 1 2", words.VOTE_ONE),
    ("participant", "/dm", words.DM_USAGE),
    ("participant", "/me", words.ME_USAGE),
    ("participant", "/lower", words.HAND_NOT_UP),
    ("participant", "/thread", words.NO_OWN_THREAD),
    ("participant", "/submit 3 text", "There is no homework 3; type /homework to hear the list."),
    ("facilitator", "/mute Morgan", "Nobody called Morgan is in the group; type /who to hear the names."),
    ("facilitator", "/mute Sa", "Nobody called Sa is in the group; type /who to hear the names."),
    ("facilitator", "/reply Morgan hi", "Nobody called Morgan is in the group; type /who to hear the names."),
    ("facilitator", "/thread Sam", words.no_thread_text("Sam")),
    ("facilitator", "/lower", words.LOWER_USAGE),
    ("facilitator", "/lower Sam", "Sam has no hand up."),
    ("facilitator", "/delete 99", words.no_message_text(99)),
    ("facilitator", "/close 5", words.NO_SUCH_POLL),
    ("facilitator", "/phase lunch", words.PHASE_USAGE),
    ("facilitator", "/start", words.START_ASK),
    ("facilitator", "/end", words.END_ASK),
    ("facilitator", "/poll open single", words.POLL_OPEN_USAGE),
    ("facilitator", "/assign text", words.ASSIGN_USAGE),
    ("facilitator", "/poll plan 1", words.NO_PLAN),
]


@pytest.mark.parametrize("role, line, sentence", REFUSALS, ids=[f"{who} {typed}" for who, typed, _ in REFUSALS])
def test_a_mistake_is_refused_in_one_sentence(role: str, line: str, sentence: str) -> None:
    outcome = Room(role)(line)
    assert outcome.refusal == sentence
    assert not outcome.sends


# -- help ------------------------------------------------------------------------------------


def test_help_is_generated_per_role_from_the_permission_table(sam: Room, dana: Room) -> None:
    usages = {role: [h.usage for h in help_entries(role)] for role in ("participant", "guest", "facilitator")}
    assert "/checkin MOOD feelings -- note" in usages["participant"]
    assert "/checkin MOOD feelings -- note" not in usages["guest"] and "/submit N TEXT" not in usages["guest"]
    assert "/vote N" in usages["guest"] and "/hand" in usages["guest"]
    assert "/mute NAME" in usages["facilitator"] and "/mute NAME" not in usages["participant"]
    assert "/vote N" not in usages["facilitator"], "a facilitator cannot vote, so is not offered it"
    assert sam("/help").local == "help" and [h.usage for h in sam("/help").arg] == usages["participant"]


def test_every_command_has_help_or_is_an_alias_of_one_that_has() -> None:
    documented = {cmd.names[0] for cmd in COMMANDS.values() if cmd.help}
    for name, cmd in COMMANDS.items():
        assert cmd.help or name in ("unmute", "lower", "unlower", "prev", "previous", "back", "goto") or cmd.names[0] in documented, name
    assert len({usage for usage, _, _ in COMMAND_HELP}) == len(COMMAND_HELP)
    for _usage, text, _ in COMMAND_HELP:
        assert text.endswith(".") and "\n" not in text


def test_the_interpreter_is_pure(sam: Room) -> None:
    before = (sam.model.state.chat[:], dict(sam.model.state.hands and {}))
    sam("/hand")
    sam("hello")
    assert sam.model.state.chat == before[0], "interpreting sends nothing and changes no state"
    assert isinstance(sam("/hand").sends[0], Send)


# -- issue 12: listening commands (the plain face renders them; the full-screen face says PLAIN_ONLY) --


def test_missed_counts_or_reads_the_lines(sam: Room) -> None:
    assert (sam("/missed").local, sam("/missed").arg) == ("missed", False)
    assert (sam("/missed lines").local, sam("/missed lines").arg) == ("missed", True)
    assert sam("/missed yesterday").refusal == words.MISSED_USAGE


def test_more_reads_the_next_screenful(sam: Room) -> None:
    assert sam("/more").local == "more" and not sam("/more").sends


def test_verbosity_takes_one_of_three_levels(dana: Room) -> None:
    assert (dana("/verbosity quiet").local, dana("/verbosity quiet").arg) == ("verbosity", "quiet")
    assert dana("/verbosity").arg == ""
    assert dana("/verbosity loud").refusal == words.VERBOSITY_USAGE


def test_bell_is_on_or_off(dana: Room) -> None:
    assert dana("/bell on").arg is True and dana("/bell off").arg is False
    assert dana("/bell").refusal == words.BELL_USAGE


def test_help_takes_a_topic_and_a_topic_holds_only_what_the_role_may_do(sam: Room, dana: Room) -> None:
    polls = [h.usage for h in dana("/help polls").arg]
    assert any(u.startswith("/poll open") for u in polls) and not any(u.startswith("/vote") for u in polls)
    assert any(h.usage.startswith("/vote") for h in sam("/help polls").arg)
    assert sam("/help moderation").refusal.startswith("There is no help topic moderation")
    assert len(dana("/help all").arg) == len(dana("/help").arg)


def test_submit_on_a_checklist_points_to_check(sam: Room) -> None:
    sam.event("homework.assigned", {"homework_id": 5, "title": "Thought record", "homework_kind": "checklist", "instructions": "", "items": ["a", "b"], "due": "2030-01-01"})
    assert sam("/submit 1 done").refusal == words.checklist_submit_text("Thought record", "1")
