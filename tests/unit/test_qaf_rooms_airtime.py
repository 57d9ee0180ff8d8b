"""Fair airtime and a slowed pace hold in breakout rooms too (found using the merged product).

A facilitator who opens breakout rooms and then reads /airtime, the People
pane's shares or a "quietest first" go-around must not be told that members
who spoke in their rooms "have not spoken"; and a member the facilitator has
slowed must not be able to flood their room. A room line is a group line said
in a room: it counts as airtime and waits its turn like any other.
"""

from __future__ import annotations

import pytest

from protocol.errors import ErrorCode
from protocol.roles import ROOM
from tests.unit.test_kit_rules import _here
from tests.unit.test_model import ALEX, DANA, NOW, RILEY, SAM, Room


@pytest.fixture
def rooms() -> Room:
    room = Room()
    room.start()
    _here(room, SAM, ALEX, RILEY)
    room.do(DANA, "phase.set", {"phase": "exercises"})
    room.do(DANA, "breakout.open", {"rooms": 1, "minutes": 10, "prompt": "", "assign": "random"})
    assert room.state.room_of(SAM.member_id) == 1
    return room


def test_a_members_lines_in_a_breakout_room_count_as_their_airtime(rooms: Room):
    seq = rooms.say(SAM, "one two three")
    line = next(e for e in rooms.log if e.seq == seq)
    assert line.audience == ROOM
    sid = rooms.state.session.session_id
    said = rooms.view(DANA).airtime_of(sid)
    assert SAM.member_id in said, "Sam spoke in his room; the facilitator is told he has not spoken"
    assert (said[SAM.member_id].lines, said[SAM.member_id].words) == (1, 3)
    assert rooms.view(DANA).quietest_first([SAM.member_id, ALEX.member_id]) == [ALEX.member_id, SAM.member_id]


def test_a_slowed_member_waits_their_turn_in_a_breakout_room_too(rooms: Room):
    rooms.do(DANA, "member.slow", {"member_id": SAM.member_id, "seconds": 30})
    rooms.say(SAM, "first line in the room")
    rooms.now = NOW + 5
    err = rooms.refuse(SAM, "chat.send", {"text": "and again at once"})
    assert err.code == ErrorCode.RATE_LIMITED


def test_a_journaling_prompt_no_one_has_written_in_yet_is_not_said_as_0_of_0() -> None:
    """The facilitator's Journal view read "0 of 0 writing, 0 done" until the first entry."""
    from types import SimpleNamespace

    from iop_tui.core import words

    fresh = SimpleNamespace(writing=0, done=0, of=0)
    assert "0 of 0" not in words.journal_progress_text(fresh)
    assert words.journal_progress_text(fresh) == "Journaling: no one has written yet."
    assert words.journal_progress_text(SimpleNamespace(writing=1, done=2, of=4)) == "Journaling: 1 of 4 writing, 2 done."
