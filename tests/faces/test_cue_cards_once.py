"""A facilitator hears a role-play's cue cards said once, in both faces.

The relay sends each cast member's cue card as its own event (audience: the
member and the facilitators), right after the scene's start. A facilitator
heard one "Cue card to Sam (the manager)." line per member, all at once, after
the start line that already named the cast: under a screen reader, four lines
saying the same thing. Now the start line says it once ("Cue cards sent to 2:
each reads only their own.") and the cards themselves are silent for the
facilitator; a member still hears their own card.
"""

from __future__ import annotations

import asyncio

from tests.support.apphelp import live_in_chat, option_texts, say, wait_until
from tests.support.plainface import plain_joined, until
from tests.support.wsclient import RawClient

from iop_tui.core import words
from iop_tui.core.plan import DEMO_PLAN, load_plan


def _cues(model) -> int:
    """The cue cards of the main room's scene this reader has received."""
    scene = model.state.scenes.get(0)
    return len(scene.cues) if scene is not None else 0


async def test_the_full_screen_facilitator_is_told_of_the_cue_cards_once(seeded) -> None:
    from iop_tui.tui.widgets.status import StatusLine

    async with live_in_chat(seeded) as (_alex, dana, dpilot, sam, pilot):
        dana.load_plan(str(DEMO_PLAN))
        await say(dpilot, dana, "/roleplay plan 1")
        await wait_until(pilot, lambda: _cues(sam.session.model) == 1, "Sam's own cue card")
        await wait_until(dpilot, lambda: _cues(dana.session.model) == 2, "both cue cards at the facilitator's")
        await dpilot.pause(0.3)
        said = list(dana.session_screen().query_one("#status", StatusLine).history) + option_texts(dana, "#chat-log")
        assert not [h for h in said if "Cue card to" in h], said
        assert len([h for h in said if "ue card" in h]) == 1, said
        assert words.cue_cards_sent_text(2) in next(h for h in said if "ue card" in h)


async def test_the_plain_facilitator_hears_the_cue_cards_once(seeded) -> None:
    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with RawClient(seeded.url, sam_c.token) as sam, RawClient(seeded.url, alex_c.token) as alex, \
            plain_joined(seeded.url, seeded.facilitator.token) as (face, session, lines):
        await asyncio.wait_for(sam.wait_synced(), 10)
        await asyncio.wait_for(alex.wait_synced(), 10)
        face.plan = load_plan(DEMO_PLAN)
        face.handle("/start Week 4")
        await until(lambda: session.model.state.session is not None, "the session")
        mark = len(lines)
        face.handle("/roleplay plan 1")
        await until(lambda: any(words.cue_cards_sent_text(2) in line for line in lines[mark:]), "the start line")
        await until(lambda: _cues(session.model) == 2, "both cue cards at the facilitator's")
        await asyncio.sleep(0.3)
        said = lines[mark:]
        assert not [line for line in said if "Cue card to" in line], said
        assert len([line for line in said if "ue card" in line]) == 1, said
