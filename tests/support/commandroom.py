"""The command-test harness: the one interpreter on a real SessionModel fed real frames, no socket, no face.

:class:`Room` is a :class:`iop_tui.core.model.SessionModel` as one member sees a
live session (a deck, an anonymous poll open, a chat line from Sam, checklist
homework); calling it with a typed line returns the interpreter's Outcome::

    dana = Room("facilitator")
    assert sends(dana("/hand")) == [...]
    dana.event("poll.closed", {...})  # one more event, the next seq

The ``sam`` and ``dana`` fixtures of tests/unit/conftest.py are a
participant's and a facilitator's Room.
"""

from __future__ import annotations

import datetime as dt

from protocol.messages import PROTOCOL_VERSION

from iop_tui.core.commands import Context, Memory, interpret
from iop_tui.core.model import SessionModel

__all__ = ["ME", "ROSTER", "TODAY", "Room", "sends"]

TODAY = dt.date(2030, 1, 10)
ROSTER = [
    {"id": 1, "name": "Dana", "role": "facilitator", "status": "online", "muted": False},
    {"id": 2, "name": "Sam", "role": "participant", "status": "online", "muted": False},
    {"id": 3, "name": "Zoë 李", "role": "participant", "status": "online", "muted": False},
    {"id": 4, "name": "Samira", "role": "participant", "status": "online", "muted": False},
    {"id": 5, "name": "Jo", "role": "guest", "status": "online", "muted": False},
]
ME = {"facilitator": ROSTER[0], "participant": ROSTER[1], "guest": ROSTER[4]}


class Room:
    """A SessionModel as one member sees a live session: a poll open, a chat line, homework."""

    def __init__(self, role: str) -> None:
        self.model = SessionModel()
        self.seq = 0
        me = ME[role]
        self.model.apply({"kind": "welcome", "v": PROTOCOL_VERSION, "member": {"id": me["id"], "name": me["name"], "role": role},
                          "group": {"id": 1, "name": "Tuesday IOP"}, "roster": ROSTER, "limits": {}, "head_seq": 0,
                          "mode": "reset", "replay_from": 1})
        self.event("session.started", {"session_id": 1, "title": "Week 3"})
        self.event("deck.loaded", {"title": "Reframing", "slides": [{"title": "One", "body": "a"}, {"title": "Two", "body": "b"}]})
        self.event("poll.opened", {"poll_id": 7, "question": "How?", "poll_kind": "single", "options": ["good", "bad"], "anonymous": True})
        self.event("chat.posted", {"message_id": 4, "member_id": 2, "text": "hello all", "to": "group", "me": False}, actor=2, name="Sam")
        self.event("homework.assigned", {"homework_id": 9, "title": "Walk", "homework_kind": "checklist", "items": ["Mon", "Tue"], "due": "2030-01-20"})
        self.model.apply({"kind": "synced", "head_seq": self.seq})
        self.memory = Memory()

    def event(self, etype: str, data: dict, actor: int = 1, name: str = "Dana") -> None:
        self.seq += 1
        self.model.apply({"kind": "event", "seq": self.seq, "type": etype, "ts": 1000.0 + self.seq, "actor": actor,
                          "actor_name": name, "audience": "everyone", "subject": None, "data": data})

    def __call__(self, line: str, **kwargs):
        return interpret(line, Context(self.model, today=TODAY, memory=self.memory, **kwargs))


def sends(outcome) -> list[tuple[str, dict]]:
    return [(s.kind, s.data) for s in outcome.sends]
