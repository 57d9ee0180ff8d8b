"""Past guests are folded into one count, in both faces; removed members are still named.

A family session's guests leave the group when their invitation ends; each one
was named on the People pane's "Revoked:" line for the rest of the group's
life, so after a few family sessions a facilitator read a growing list of
people who are not in the group to find the one member who was removed. Now
removed members are named ("Revoked: Riley.") and past guests are one count
with the way to name them: P on the People list, ``/who guests`` typed.
"""

from __future__ import annotations

import asyncio

from tests.support.apphelp import joined, text_of, wait_until
from tests.support.plainface import plain_joined, until
from tests.support.wsclient import RawClient, is_event

from iop_tui.core import words


async def _past_guests(relay, seeded) -> None:
    """Jo, Ana, Ben and Cy came as guests and left; Riley was removed."""
    guests = [seeded.guest.member_id] + [relay.store.add_member(seeded.group_id, n, "guest")[0] for n in ("Ana", "Ben", "Cy")]
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await asyncio.wait_for(dana.wait_synced(), 10)
        for mid in [*guests, seeded.participants[2].member_id]:
            await dana.command("member.remove", {"member_id": mid})
            await dana.recv_until(is_event("member.removed", member_id=mid))


async def test_the_people_pane_counts_past_guests_and_p_names_them(relay, seeded) -> None:
    await _past_guests(relay, seeded)
    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        await pilot.press("6")
        await wait_until(pilot, lambda: "Revoked: Riley." in text_of(app, "#people-hands"), "the removed member named")
        line = text_of(app, "#people-hands")
        assert words.past_guests_text(4, named=None, hint=words.PAST_GUESTS_KEY) in line, line
        assert "Ana" not in line and "Jo" not in line
        await wait_until(pilot, lambda: app.session_screen().query_one("#people-list").has_focus, "the list in focus")
        await pilot.press("p")
        await wait_until(pilot, lambda: "Past guests: Ana, Ben, Cy, Jo." in text_of(app, "#people-hands"), "P to name them")
        await pilot.press("p")
        await wait_until(pilot, lambda: "Ana" not in text_of(app, "#people-hands"), "P again folds them")


async def test_plain_who_counts_past_guests_and_who_guests_names_them(relay, seeded) -> None:
    await _past_guests(relay, seeded)
    async with plain_joined(seeded.url, seeded.facilitator.token) as (face, _session, lines):
        mark = len(lines)
        face.handle("/who")
        await until(lambda: any("Revoked: Riley." in line for line in lines[mark:]), "/who")
        said = " ".join(lines[mark:])
        assert words.past_guests_text(4, named=None, hint=words.PAST_GUESTS_TYPED) in said, said
        assert "Ana" not in said
        mark = len(lines)
        face.handle("/who guests")
        await until(lambda: any("Past guests: Ana, Ben, Cy, Jo." in line for line in lines[mark:]), "/who guests")
