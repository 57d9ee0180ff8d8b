"""Between sessions in the one interpreter and in words (issue 15 part B), on a real
SessionModel fed real frames: what each typed line becomes, each refusal's
sentence, and what the new events are said as to each reader."""

from __future__ import annotations

import pytest

from protocol.messages import PROTOCOL_VERSION

from iop_tui.core import words
from iop_tui.core.commands import help_topics
from iop_tui.core.model import SessionModel
from tests.support.commandroom import Room, sends

pytestmark = pytest.mark.unit


def event(model: SessionModel, seq: int, etype: str, data: dict, *, audience: str = "everyone", subject: int | None = None,
          actor: int = 1, name: str = "Dana") -> list:
    return model.apply({"kind": "event", "seq": seq, "type": etype, "ts": 1_800_000_000.0 + seq, "actor": actor,
                        "actor_name": name, "audience": audience, "subject": subject, "data": data})


def test_a_facilitator_starts_a_family_session_by_its_kind():
    dana = Room("facilitator")
    dana.event("session.ended", {"session_id": 1, "summary": ""})
    assert sends(dana("/start --family Family evening")) == [("session.start", {"title": "Family evening", "kind": "family"})]
    assert sends(dana("/start --kind workshop Coping skills")) == [("session.start", {"title": "Coping skills", "kind": "workshop"})]
    assert sends(dana("/start Week 4")) == [("session.start", {"title": "Week 4"})]  # a group session, as before
    assert dana("/start --party Week 4").refusal == words.START_KIND_USAGE


def test_personal_homework_names_its_members_and_refuses_a_stranger():
    dana = Room("facilitator")
    assert sends(dana('/assign text +3 "Call your sponsor" Once before Friday --to Sam, Zoë')) == [(
        "homework.assign",
        {"title": "Call your sponsor", "homework_kind": "text", "instructions": "Once before Friday", "items": [], "due": "2030-01-13", "to": [2, 3]},
    )]
    assert dana('/assign text +3 "Call" x --to Morgan').refusal == words.no_member_text("Morgan")


def test_the_peer_space_commands():
    dana, sam, jo = Room("facilitator"), Room("participant"), Room("guest")
    assert sends(dana('/pin "Crisis line" https://988lifeline.org Call or text 988.')) == [
        ("resource.pin", {"title": "Crisis line", "link": "https://988lifeline.org", "text": "Call or text 988."})]
    assert sends(dana('/pin "Breathing" Four counts in, four out.')) == [
        ("resource.pin", {"title": "Breathing", "link": "", "text": "Four counts in, four out."})]
    assert dana("/pin Crisis line").refusal == words.PIN_USAGE
    assert dana("/unpin 1").refusal == words.NO_RESOURCES
    assert sam("/share Slept better").refusal == words.FEED_IN_SESSION  # a session runs in a Room
    sam.event("session.ended", {"session_id": 1, "summary": ""})
    assert sends(sam("/share Slept better")) == [("feed.post", {"text": "Slept better"})]
    assert sam("/share").refusal == words.FEED_USAGE
    assert sam("/feed").local == "feed" and sam("/resources").local == "resources"
    assert jo("/resources").refusal and jo("/share hi").refusal == words.forbidden_text("guest", "feed.post")
    assert sam('/pin "x" y').refusal == words.forbidden_text("participant", "resource.pin")
    assert sam("/admit Jo").refusal == words.forbidden_text("participant", "guest.admit")
    assert sam("/attendance").refusal
    assert [h.usage for h in help_topics("participant")["between"]] == ["/share TEXT", "/feed", "/resources"]


def test_admit_lets_in_the_waiting_guest_a_name_begins():
    dana = Room("facilitator")
    dana.event("session.ended", {"session_id": 1, "summary": ""})
    dana.event("session.started", {"session_id": 8, "title": "Family evening", "kind": "family"})
    assert dana("/admit").refusal == words.NOBODY_WAITING
    said = event(dana.model, dana.seq + 1, "guest.waiting", {"member_id": 5, "session_id": 8}, audience="facilitators", actor=0, name="")
    dana.seq += 1
    assert [n.text for n in said] == ["Jo (guest) is waiting: /admit Jo"]
    assert dana("/admit").local == "waiting"
    assert sends(dana("/admit jo")) == [("guest.admit", {"member_id": 5})]


def test_the_new_events_are_said_to_each_reader():
    sam, dana = Room("participant"), Room("facilitator")
    for room in (sam, dana):
        room.event("homework.assigned", {"homework_id": 20, "title": "Call your sponsor", "homework_kind": "text", "items": [], "due": "2030-01-20"})
    # personal homework: the events have audience member; re-fold them as such
    personal = {"homework_id": 30, "title": "Sleep log", "homework_kind": "text", "items": [], "due": "2030-01-20"}
    mine = event(sam.model, sam.seq + 1, "homework.assigned", personal, audience="member", subject=2)
    theirs = event(dana.model, dana.seq + 1, "homework.assigned", personal, audience="member", subject=2)
    assert mine[0].text.startswith("Homework for you: Sleep log, due ")
    assert theirs[0].text.startswith("Homework assigned to Sam: Sleep log, due ")
    assert dana.model.state.homework[30].assigned_to == [2]
    assert words.completion_text(dana.model.state, dana.model.state.homework[30]) == "0 of 1 submitted, for Sam"
    rows = [{"member_id": 2, "name": "Sam", "role": "participant", "joined": 1_800_000_000.0, "left": 1_800_003_000.0, "minutes": 50, "late_minutes": 0},
            {"member_id": 4, "name": "Samira", "role": "participant", "joined": 1_800_000_600.0, "left": 1_800_003_000.0, "minutes": 40, "late_minutes": 10},
            {"member_id": 3, "name": "Zoë 李", "role": "participant", "joined": None, "left": None, "minutes": 0, "late_minutes": 0}]
    said = event(dana.model, dana.seq + 2, "attendance.recorded", {"session_id": 1, "rows": rows}, audience="facilitators", actor=0, name="")
    assert said[0].text == "Attendance recorded: 2 of 3 participants came; late: Samira; absent: Zoë 李. /attendance reads it."
    lines = words.attendance_lines(dana.model.state)
    assert lines[0] == "Attendance of Week 3: 2 of 3 participants came; late: Samira; absent: Zoë 李."
    assert lines[2].startswith("Samira: 40 minutes, ") and lines[2].endswith(", late by 10 minutes") and lines[3] == "Zoë 李: absent"
    assert words.person_attendance(dana.model.state, 4) == "last session: 40 minutes, late by 10"
    said = event(sam.model, sam.seq + 2, "feed.posted", {"post_id": 99, "member_id": 4, "text": "Walked daily"}, audience="members", actor=4, name="Samira")
    assert said[0].text == "Feed, Samira: Walked daily"
    said = event(sam.model, sam.seq + 3, "resource.pinned", {"resource_id": 100, "title": "Crisis line", "link": "https://988lifeline.org", "text": "Call 988."}, audience="members")
    assert said[0].text == "Resource pinned: Crisis line, link: https://988lifeline.org. /resources lists them."
    assert words.resource_lines(sam.model.state)[1] == "1. Crisis line; link: https://988lifeline.org; Call 988."


def test_a_waiting_guest_is_told_so_and_then_that_they_were_let_in():
    model = SessionModel()
    model.apply({"kind": "welcome", "v": PROTOCOL_VERSION, "member": {"id": 5, "name": "Jo", "role": "guest"}, "group": {"id": 1, "name": "Tuesday IOP"},
                 "roster": [], "limits": {}, "head_seq": 4, "mode": "reset", "replay_from": 5})
    assert words.GUEST_WAITING in [n.text for n in model.apply({"kind": "synced", "head_seq": 4})]
    event(model, 5, "session.started", {"session_id": 5, "title": "Family evening", "kind": "family"})
    said = event(model, 6, "guest.arrived", {"member_id": 5, "session_id": 5, "admitted": True}, audience="member", subject=5, actor=1)
    assert [n.text for n in said] == [words.LET_IN]
    assert words.GUEST_WAITING not in [n.text for n in model.apply({"kind": "synced", "head_seq": 6})]
    said = event(model, 7, "member.removed", {"member_id": 5, "revoked": True, "invitation_ended": True})
    assert said[0].text == words.INVITATION_ENDED


def test_a_facilitator_reads_the_live_attendance_so_far_without_a_running_count():
    dana = Room("facilitator")
    rows = [{"member_id": 2, "name": "Sam", "role": "participant", "joined": 1_800_000_000.0, "left": 1_800_000_100.0, "minutes": 2, "late_minutes": 0},
            {"member_id": 4, "name": "Samira", "role": "participant", "joined": 1_800_000_500.0, "left": 1_800_000_600.0, "minutes": 2, "late_minutes": 8},
            {"member_id": 3, "name": "Zoë 李", "role": "participant", "joined": None, "left": None, "minutes": 0, "late_minutes": 0}]
    assert dana.model.apply({"kind": "attendance", "session_id": 1, "rows": rows}) == []
    lines = words.attendance_now_lines(dana.model)
    assert lines[0] == "Attendance so far of Week 3: 2 of 3 participants came; late: Samira; not here yet: Zoë 李."
    assert lines[2].startswith("Samira: came ") and lines[2].endswith(", late by 8 minutes") and lines[3] == "Zoë 李: not here yet"
    live = words.live_rows(dana.model)
    assert words.person_attendance(dana.model.state, 3, live) == "not here yet"
    assert "minutes" not in words.person_attendance(dana.model.state, 2, live)  # no count that would tick
    assert sends(dana("/attendance")) == [] and dana("/attendance").local == "attendance"


def test_a_facilitator_removes_a_feed_post_by_its_number():
    dana, sam = Room("facilitator"), Room("participant")
    for room in (dana, sam):
        room.event("session.ended", {"session_id": 1, "summary": ""})
    event(dana.model, dana.seq + 1, "feed.posted", {"post_id": 50, "member_id": 2, "text": "hurtful words"}, audience="members", actor=2, name="Sam")
    assert words.feed_lines(dana.model.state)[1].startswith("1. Sam, ")
    assert sends(dana("/feed delete 1")) == [("feed.delete", {"post_id": 50})]
    assert dana("/feed delete 2").refusal == words.FEED_DELETE_USAGE
    assert sam("/feed delete 1").refusal == words.forbidden_text("participant", "feed.delete")
    said = event(dana.model, dana.seq + 2, "feed.deleted", {"post_id": 50}, audience="members")
    assert said[0].text == "A facilitator removed a post from the feed." and dana.model.state.feed == []
