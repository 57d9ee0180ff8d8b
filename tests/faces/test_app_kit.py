"""The facilitator's kit in the full-screen face (issue 14 part A), at 80x24.

Real apps driven by Textual's pilot, each on a real ClientSession joined to
the relay fixture over loopback: a member writes in the Journal view (J) and
shares; the facilitator's Journal view shows counts only until then; the
People pane orders by airtime (A) for a facilitator; a go-around's turn is
said on the status line.
"""

from __future__ import annotations

from tests.support.apphelp import joined, option_texts, screen_text, text_of, type_into, wait_until

from iop_tui.tui.screens.journal import JournalScreen


def keys(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def _typed_line(pilot, app, line: str) -> None:
    await pilot.press("f4")
    await type_into(pilot, app, "#chat-input", line)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not app.session.pending, f"the relay to take {line!r}")


async def _in_journal_view(dana, dpilot, member, pilot, open_line: str) -> None:
    """Dana starts the session and opens a prompt by typing ``open_line``; the member presses J outside a field."""
    await _typed_line(dpilot, dana, "/start Week 3")
    await _typed_line(dpilot, dana, open_line)
    await wait_until(pilot, lambda: member.model.state.open_prompt() is not None, "the prompt to reach the member")
    await pilot.press("f1")
    await pilot.press("escape")
    await pilot.press("j")
    await wait_until(pilot, lambda: isinstance(member.screen, JournalScreen), "the Journal view")


async def test_a_member_writes_in_the_journal_view_and_the_facilitator_sees_counts_until_it_is_shared(seeded, relay) -> None:
    sam_c = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam_c.token) as (sam, pilot):
        await _in_journal_view(dana, dpilot, sam, pilot, "/journal open thought-record 10")
        assert sam.screen.shown.startswith("Journaling, for 10 minutes: Thought record. Only you can read it unless you share it.")
        assert "Question 1 of 6: Situation" in screen_text(sam)
        await pilot.press(*keys("SECRETWORDS at work"))
        await pilot.press("tab")
        await pilot.press(*keys("I will fail"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(e.type == "journal.written" for e in relay.store.events_after(seeded.group_id, 0)), "the entry to be stored")
        written = [e for e in relay.store.events_after(seeded.group_id, 0) if e.type == "journal.written"][-1]
        assert written.data["answers"][:2] == ["SECRETWORDS at work", "I will fail"] and written.audience == "self"

        # The facilitator's Journal view: counts, not words.
        await wait_until(dpilot, lambda: any(p.writing == 1 for p in dana.model.state.journal_prompts.values()), "the count to reach Dana")
        await dpilot.press("f1")
        await dpilot.press("escape")
        await dpilot.press("j")
        await wait_until(dpilot, lambda: isinstance(dana.screen, JournalScreen), "Dana's Journal view")
        assert "Thought record (open): 1 of 3 writing, 0 done." in dana.screen.shown
        assert "SECRETWORDS" not in dana.screen.shown and "SECRETWORDS" not in repr(dana.model.state.journal)

        # Sam shares with the facilitators (Ctrl+F): Dana's open view follows.
        await pilot.press("ctrl+f")
        await wait_until(dpilot, lambda: "SECRETWORDS" in dana.screen.shown, "the shared entry in Dana's view")
        assert "Shared with the facilitators, Sam: Situation: SECRETWORDS at work; Automatic thought: I will fail" in dana.screen.shown
        # Escape closes; the journal stays with Sam.
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(sam.screen, JournalScreen), "the view to close")
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(sam.screen, JournalScreen), "the Journal view again")
        assert "1, Thought record (not finished, shared with the facilitators): Situation: SECRETWORDS at work" in sam.screen.shown


async def test_escape_saves_what_was_typed_in_the_journal_view(seeded, relay) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, seeded.participants[1].token) as (alex, pilot):
        await _in_journal_view(dana, dpilot, alex, pilot, "/journal open 5 What helped this week?")
        await pilot.press(*keys("a long walk"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: any(e.type == "journal.written" for e in relay.store.events_after(seeded.group_id, 0)), "the entry to be kept")
        assert alex.model.state.journal_of(alex.model.me_id)[0].answers == ["a long walk"]


async def test_the_people_pane_orders_by_airtime_for_a_facilitator_and_a_goround_turn_is_said(seeded) -> None:
    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), \
            joined(seeded.url, sam_c.token) as (sam, pilot), joined(seeded.url, alex_c.token) as (_alex, _apilot):
        await _typed_line(dpilot, dana, "/start Week 3")
        await _typed_line(pilot, sam, "I have been talking a lot today, sorry")
        await wait_until(dpilot, lambda: dana.model.state.chat, "the line to reach Dana")
        await dpilot.press("f6")
        rows = option_texts(dana, "#people-list")
        assert any(r.startswith("Sam (participant): online, 100% of words") for r in rows), rows
        assert any(r.startswith("Alex (participant): online, has not spoken") for r in rows), rows
        dana.session_screen().query_one("#people-list").focus()
        await dpilot.press("a")
        await dpilot.pause()
        rows = option_texts(dana, "#people-list")
        assert [r.split(" ")[0] for r in rows[:3]] == ["Alex", "Riley", "Sam"], rows
        # A member's People pane says nothing of airtime.
        await pilot.press("f6")
        assert not any("of words" in r or "not spoken" in r for r in option_texts(sam, "#people-list"))
        # A go-around: whose turn, in words on the status line.
        await _typed_line(dpilot, dana, "/goround One word for today?")
        await wait_until(pilot, lambda: "It is your turn." in text_of(sam, "#status"), "Sam's turn to be said")
        assert "Order: Sam, Alex" in text_of(sam, "#status"), text_of(sam, "#status")  # who is next, once, in the order
