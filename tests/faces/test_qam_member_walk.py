"""What a member met using the merged product at 80x24 (issues 12-17 together, branch qam).

Real apps on the relay fixture, driven by Textual's pilot; each test failed before its fix."""

from __future__ import annotations

from tests.faces.test_app_kit import _typed_line, keys
from tests.support.apphelp import joined, screen_text, wait_until

from iop_tui.tui.screens.journal import JournalScreen


async def test_the_journal_view_says_on_screen_whether_the_entry_is_saved_finished_and_shared(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, seeded.participants[0].token) as (sam, pilot):
        await _typed_line(dpilot, dana, "/start Week 3")
        await _typed_line(dpilot, dana, "/journal open thought-record 10")
        await wait_until(pilot, lambda: sam.model.state.open_prompt() is not None, "the prompt to reach Sam")
        await pilot.press("f1", "escape", "j")
        await wait_until(pilot, lambda: isinstance(sam.screen, JournalScreen), "the Journal view")
        assert "Your entry: nothing saved yet; only you can read it." in screen_text(sam)
        await pilot.press("ctrl+s")  # nothing typed: the refusal is said where the member is looking
        await wait_until(pilot, lambda: "write something first" in screen_text(sam), "the refusal on the Journal view")
        await pilot.press(*keys("at work"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Your entry: saved, not finished; only you can read it." in screen_text(sam), "saved, on screen")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: "Your entry: saved, not finished; shared with the group." in screen_text(sam), "shared, on screen")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: "Your entry: finished; shared with the group." in screen_text(sam), "finished, on screen")
