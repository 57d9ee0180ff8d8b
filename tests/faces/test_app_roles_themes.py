"""The Textual app: themes by name, and what a guest sees (and does not)."""

from __future__ import annotations

from tests.support.apphelp import joined, screen_text, text_of, wait_until


async def test_theme_names_and_an_unknown_theme(seeded) -> None:
    async with joined(seeded.url, seeded.participants[0].token, theme="ansi-light") as (app, _pilot):
        assert app.theme == "ansi-light"
    async with joined(seeded.url, seeded.participants[0].token, theme="high-contrast") as (app, _pilot):
        assert app.theme == "high-contrast"
    async with joined(seeded.url, seeded.participants[0].token, theme="sparkly") as (app, _pilot):
        assert app.theme == "ansi-dark"
        assert app.theme_warning.startswith("There is no theme called 'sparkly'; using ansi-dark.")


async def test_guest_sees_shared_panes_only(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await dpilot.press("f8", "enter")  # F8 asks a title; Enter keeps the default
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        async with joined(seeded.url, seeded.guest.token) as (app, pilot):
            assert "Guests do not check in" in text_of(app, "#checkin-mine")
            assert not app.session_screen().query_one("#checkin-form").display
            await pilot.press("f6")
            await pilot.press("f5")
            await wait_until(pilot, lambda: "No homework yet." in text_of(app, "#hw-lead"), "the homework pane")
            assert "Traceback" not in screen_text(app)
            # A guest may chat; the line reaches the facilitator.
            await pilot.press("f4")
            await pilot.press(*"hello", "enter")
            await wait_until(dpilot, lambda: any(line.text == "hello" for line in dana.session.model.state.chat), "the guest's line")
