"""Build relay frames for the pure client tests, the way the relay spells them.

``Log`` hands out gap-free seqs and builds ``event`` frames with
:meth:`protocol.events.Event.to_wire`, so the model and the words are tested
on exactly the wire shape the hub sends.
"""

from __future__ import annotations

from typing import Any

from protocol.events import Event
from protocol.messages import Limits, presence_frame, synced_frame, welcome_frame
from protocol.roles import EVERYONE, FACILITATORS, MEMBER, MEMBERS

__all__ = ["DANA", "SAM", "ALEX", "JO", "ROSTER", "Log", "welcome", "synced", "presence", "status"]

DANA = {"id": 1, "name": "Dana", "role": "facilitator"}
SAM = {"id": 2, "name": "Sam", "role": "participant"}
ALEX = {"id": 3, "name": "Alex", "role": "participant"}
JO = {"id": 5, "name": "Jo", "role": "guest"}
ROSTER = [
    {**DANA, "status": "online", "muted": False},
    {**SAM, "status": "offline", "muted": False},
    {**ALEX, "status": "online", "muted": False},
    {"id": 4, "name": "Riley", "role": "participant", "status": "offline", "muted": False},
]
T0 = 1_764_000_000.0  # a fixed clock: tests never read the real time


def welcome(member: dict[str, Any], *, mode: str = "reset", head_seq: int = 0, replay_from: int = 1, roster: list | None = None) -> dict[str, Any]:
    return welcome_frame(
        member=member,
        group={"id": 1, "name": "Tuesday IOP"},
        roster=list(ROSTER if roster is None else roster),
        limits=Limits(65536, 20.0, 40),
        head_seq=head_seq,
        mode=mode,
        replay_from=replay_from,
    )


def synced(head_seq: int) -> dict[str, Any]:
    return synced_frame(head_seq)


def presence(member: dict[str, Any], status: str) -> dict[str, Any]:
    return presence_frame(member, status)


def status(state: str, *, retry_in: float | None = None, pending: int = 0, message: str | None = None) -> dict[str, Any]:
    return {"kind": "status", "state": state, "retry_in": retry_in, "pending": pending, "message": message}


class Log:
    """A group's log as the hub would write it: seqs from 1, ids = seq of the creating event."""

    def __init__(self) -> None:
        self.seq = 0
        self.ts = T0

    def event(self, etype: str, data: dict[str, Any], *, actor: dict[str, Any] = DANA, audience: str = EVERYONE, subject: int | None = None, after: float = 10.0) -> dict[str, Any]:
        self.seq += 1
        self.ts += after
        data = {k: (self.seq if v == "$seq" else v) for k, v in data.items()}
        return Event(self.seq, etype, self.ts, actor["id"], actor["name"], audience, subject, data).to_wire()

    # -- the events a session is made of --------------------------------------

    def session(self, title: str = "Week 3") -> dict[str, Any]:
        return self.event("session.started", {"session_id": "$seq", "title": title})

    def phase(self, phase: str) -> dict[str, Any]:
        return self.event("phase.changed", {"phase": phase})

    def chat(self, who: dict[str, Any], text: str, to: str = "group", me: bool = False) -> dict[str, Any]:
        audience, subject = (EVERYONE, None) if to == "group" else (MEMBER, who["id"])
        return self.event("chat.posted", {"message_id": "$seq", "member_id": who["id"], "text": text, "to": to, "me": me},
                          actor=who, audience=audience, subject=subject)

    def reply(self, who: dict[str, Any], member: dict[str, Any], text: str) -> dict[str, Any]:
        """A facilitator's private reply (chat.reply) into ``member``'s thread."""
        return self.event("chat.posted", {"message_id": "$seq", "member_id": who["id"], "text": text, "to": "member", "thread": member["id"], "me": False},
                          actor=who, audience=MEMBER, subject=member["id"])

    def checkin(self, who: dict[str, Any], mood: int | None, feelings: list[str], *, note: str = "", private: bool = False, passed: bool = False) -> dict[str, Any]:
        return self.event("checkin.submitted", {"member_id": who["id"], "mood": mood, "feelings": feelings, "passed": passed,
                                                "note": "" if private else note, "note_private": private},
                          actor=who, audience=MEMBERS)

    def checkin_note(self, who: dict[str, Any], note: str) -> dict[str, Any]:
        return self.event("checkin.note", {"member_id": who["id"], "note": note}, actor=who, audience=MEMBER, subject=who["id"], after=0)

    def poll(self, question: str, options: list[str], kind: str = "single", anonymous: bool = True) -> dict[str, Any]:
        return self.event("poll.opened", {"poll_id": "$seq", "question": question, "poll_kind": kind, "options": options, "anonymous": anonymous})

    def vote(self, who: dict[str, Any], poll_id: int, choices: list[int]) -> dict[str, Any]:
        return self.event("poll.voted", {"poll_id": poll_id, "member_id": who["id"], "choices": choices}, actor=who, audience=MEMBER, subject=who["id"])

    def reveal(self, poll_id: int, counts: list[int], total: int, correct: int | None = None, names: dict | None = None) -> dict[str, Any]:
        return self.event("poll.revealed", {"poll_id": poll_id, "counts": counts, "total": total, "correct": correct, "names": names})

    def deck(self, titles: list[str], title: str = "Thinking traps") -> dict[str, Any]:
        return self.event("deck.loaded", {"title": title, "slides": [{"title": t, "body": f"# {t}"} for t in titles]})

    def slide(self, index: int) -> dict[str, Any]:
        return self.event("slide.changed", {"index": index})

    def homework(self, title: str, due: str, kind: str = "text") -> dict[str, Any]:
        return self.event("homework.assigned", {"homework_id": "$seq", "title": title, "homework_kind": kind, "instructions": "", "items": [], "due": due},
                          audience=MEMBERS)

    def submit(self, who: dict[str, Any], homework_id: int, late: bool = False) -> dict[str, Any]:
        return self.event("homework.submitted", {"homework_id": homework_id, "member_id": who["id"], "text": "done", "checked": [], "log": [], "late": late},
                          actor=who, audience=MEMBER, subject=who["id"])

    def hand(self, who: dict[str, Any], up: bool = True) -> dict[str, Any]:
        return self.event("hand.raised" if up else "hand.lowered", {"member_id": who["id"]}, actor=who)

    def mute(self, who: dict[str, Any], muted: bool = True) -> dict[str, Any]:
        return self.event("member.muted", {"member_id": who["id"], "muted": muted})

    def notes(self, notes: list[str]) -> dict[str, Any]:
        return self.event("deck.notes", {"notes": notes}, audience=FACILITATORS, after=0)
