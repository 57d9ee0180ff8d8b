"""A long notice is readable whole on the full screen at 80x24.

The status line has two rows always (a line that grew would move, and repaint,
every pane), and a sentence longer than two rows was cut there with nothing to
say so: a slowed member's refusal lost "send it again in 12 seconds, or write to
the facilitators privately now". Now a cut sentence ends its second row with
words saying so and the key that reads it whole (Ctrl+N), and Ctrl+N opens the
notices: the recent sentences of the status line, whole, newest last.
"""

from __future__ import annotations

from tests.support.apphelp import joined, screen_text, wait_until

from iop_tui.core import words

LONG = ("A facilitator has asked you to pace yourself: one line to the group every 30 seconds. "
        "Your line was not sent; send it again in 12 seconds, or write to the facilitators privately now.")


def status_rows(app) -> list[str]:
    return screen_text(app).splitlines()[-3:-1]  # the two rows above the footer


async def test_a_notice_longer_than_the_status_line_says_it_is_cut_and_how_to_read_it_whole(seeded) -> None:
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        app.say(LONG, error=True)
        await pilot.pause()
        rows = " ".join(r.strip() for r in status_rows(app))
        assert rows.startswith("Problem: A facilitator has asked you to pace yourself"), rows
        assert rows.endswith(words.STATUS_CUT), "the cut is said in words, with the key"
        assert all(len(r.rstrip()) <= 80 for r in status_rows(app))


async def test_ctrl_n_reads_the_recent_notices_whole_newest_last(seeded) -> None:
    from iop_tui.tui.screens.notices import NoticesScreen

    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        app.say("Your hand is raised.")
        app.say(LONG, error=True)
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoticesScreen), "the notices view")
        await pilot.pause()
        shown = " ".join(line.strip() for line in screen_text(app).splitlines())
        assert "or write to the facilitators privately now." in shown, "the whole sentence"
        assert shown.index("Your hand is raised.") < shown.index("Problem: A facilitator has asked"), "newest last"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.session_screen(), "Escape to close it")


async def test_a_short_notice_is_shown_as_it_is(seeded) -> None:
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        app.say("Your hand is raised.")
        await pilot.pause()
        assert status_rows(app)[0].strip() == "Your hand is raised."
        assert words.STATUS_CUT not in screen_text(app)
