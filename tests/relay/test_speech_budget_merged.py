"""Speech budget on the merged product (issue 12, measured under Fenrir at 300 words a minute).

A facilitator running the exercises heard each member's whole journal entry shared with the group
(60 words, 13 s aloud) live, and an entry shared with the facilitators only, written to them like a
private line, waited 7.4 s behind one. Now a facilitator hears who shared with the group, and
``/journal`` reads it; an entry shared with the facilitators is still said whole; members still hear
the group's shares whole.
"""

from __future__ import annotations

from tests.relay.test_kit import _all, _room, _type


async def test_a_facilitator_hears_a_group_share_by_name_and_a_share_to_the_facilitators_whole(tmp_path):
    async with _room(tmp_path) as (_relay, p):
        dana, sam, alex, riley = p["Dana"], p["Sam"], p["Alex"], p["Riley"]
        await _type(dana, "/start Week 3", p)
        await _type(dana, "/journal open thought-record 15", p)
        await _type(sam, "/journal GROUP-SAM at work, a meeting", p)
        await _type(sam, "/journal share group", p)
        assert "Journal entry shared with the group, Sam. /journal reads it." in dana.lines, dana.lines[-3:]
        assert "GROUP-SAM" not in _all(dana), "said on request, not live"
        assert any(line.startswith("Journal entry shared with the group, Sam, Thought record: Situation: GROUP-SAM") for line in riley.lines), riley.lines[-3:]
        read = await _type(dana, "/journal", p)
        assert any("GROUP-SAM at work" in line for line in read), read
        await _type(alex, "/journal PRIVATE-ALEX on the bus", p)
        await _type(alex, "/journal share facilitators", p)
        assert any(line.startswith("Journal entry shared with the facilitators, Alex, Thought record: Situation: PRIVATE-ALEX") for line in dana.lines), dana.lines[-3:]
        assert "PRIVATE-ALEX" not in _all(sam) + _all(riley)
