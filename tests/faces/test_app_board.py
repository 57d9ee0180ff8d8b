"""The shared board, the mood chart and the agenda in the full-screen face (Textual pilot, 80x24, a real relay)."""

from __future__ import annotations

import time

from iop_tui.core import words
from iop_tui.core.chart import mood_chart
from iop_tui.core.plan import load_plan
from iop_tui.tui.screens.board import BoardScreen
from iop_tui.tui.screens.moods import MoodScreen
from tests.support.apphelp import _key, joined, screen_text, wait_until
from tests.support.wsclient import RawClient, seed


def _board_rows(app, column: int) -> list[str]:
    return [str(o.prompt) for o in app.screen.query_one(f"#board-cards-{column}").options]


async def test_a_member_adds_and_plusses_cards_by_keyboard_and_sees_others_cards_arrive(relay):
    g = seed(relay.store, relay.url)
    dana_c, sam_c, alex_c = g.facilitator, g.participants[0], g.participants[1]
    async with RawClient(relay.url, dana_c.token) as dana, RawClient(relay.url, alex_c.token) as alex:
        await dana.command("session.start", {"title": "Week 4"})
        board = (await dana.command("board.open", {"title": "What helps", "columns": ["What helps", "Will try"], "anonymous": True}))["seq"]
        async with joined(relay.url, sam_c.token) as (app, pilot):
            await pilot.press("escape", "b")  # from the tab row: B opens the board
            await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), "the board to open")
            await pilot.pause()
            text = screen_text(app)
            assert "Board: What helps, anonymous: no member sees who wrote a card; no cards." in " ".join(text.split())
            assert "1 What helps: no cards" in text and "2 Will try: no cards" in text
            await pilot.press("a", *[_key(c) for c in "A walk"], "enter")
            await wait_until(pilot, lambda: _board_rows(app, 0) == ["Card 1: A walk. Yours."], "Sam's card on his board")
            await alex.command("card.add", {"board_id": board, "column": 1, "text": "Tea"})
            await wait_until(pilot, lambda: _board_rows(app, 1) == ["Card 2: Tea."], "Alex's card to arrive, without a name")
            await pilot.press("right", "plus")
            await wait_until(pilot, lambda: _board_rows(app, 1) == ["Card 2: Tea. 1 +1, you gave a +1."], "the +1")
            await pilot.press("e")  # not his card: said, nothing sent
            assert "Card 2 is not yours; you can edit only your own cards." in screen_text(app)
            assert "Alex" not in screen_text(app)
            await pilot.press("escape")
            assert not isinstance(app.screen, BoardScreen)
    stored = [(e.type, e.actor) for e in relay.store.events_after(g.group_id, 0) if e.type.startswith("card.")]
    assert ("card.added", 0) in stored and ("card.plussed", 0) in stored


async def test_a_facilitator_moves_and_merges_cards_and_sees_who_wrote_them(relay):
    g = seed(relay.store, relay.url)
    sam_c = g.participants[0]
    async with RawClient(relay.url, g.facilitator.token) as dana, RawClient(relay.url, sam_c.token) as sam:
        await dana.command("session.start", {"title": "Week 4"})
        board = (await dana.command("board.open", {"title": "Ideas", "columns": ["Now", "Later"], "anonymous": True}))["seq"]
        for text in ("Walk", "Call"):
            await sam.command("card.add", {"board_id": board, "column": 0, "text": text})
    async with joined(relay.url, g.facilitator.token) as (app, pilot):
        await pilot.press("escape", "b")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen), "the board to open")
        await pilot.pause()
        assert _board_rows(app, 0) == ["Card 1: Walk. By Sam.", "Card 2: Call. By Sam."]
        await pilot.press("right_square_bracket")  # card 1 to the next column
        await wait_until(pilot, lambda: _board_rows(app, 1) == ["Card 1: Walk. By Sam."], "the move")
        await pilot.press("m", "right", "m")  # mark card 2, go to card 1, merge card 2 into it
        await wait_until(pilot, lambda: _board_rows(app, 1) == ["Card 1: Walk. Also: Call. By Sam."], "the merge")
        assert _board_rows(app, 0) == []


async def test_the_mood_chart_says_the_figures_in_words_beside_the_blocks(relay):
    g = seed(relay.store, relay.url)
    sam_c = g.participants[0]
    async with RawClient(relay.url, g.facilitator.token) as dana, RawClient(relay.url, sam_c.token) as sam:
        for mood in (3, 4, 6, 5):
            await dana.command("session.start", {"title": f"Mood {mood}"})
            await sam.command("checkin.submit", {"mood": mood, "feelings": ["ok"]})
            await dana.command("session.end", {"summary": ""})
    async with joined(relay.url, sam_c.token) as (app, pilot):
        await pilot.press("escape", "g")
        await wait_until(pilot, lambda: isinstance(app.screen, MoodScreen), "the mood chart")
        await pilot.pause()
        text = screen_text(app)
        assert "Your mood: 3, 4, 6, 5 over four sessions." in text
        assert mood_chart([3, 4, 6, 5]) in text  # the chart beside the words


async def test_the_facilitators_header_says_when_the_phase_ends_and_one_timer_is_armed(relay, tmp_path):
    (tmp_path / "deck.md").write_text("# One\n\nA slide.\n", encoding="utf-8")
    (tmp_path / "plan.toml").write_text('deck = "deck.md"\n[agenda]\nexercises = 20\n', encoding="utf-8")
    g = seed(relay.store, relay.url)
    async with joined(relay.url, g.facilitator.token) as (app, pilot):
        app.send_command("session.start", {"title": "Week 6"})
        app.load_plan(str(tmp_path / "plan.toml"))
        app.send_command("phase.set", {"phase": "exercises"})
        await wait_until(pilot, lambda: app.model.state.phase == "exercises", "the phase")
        await pilot.pause()
        since = app.model.state.phase_since
        until = time.strftime("%H:%M", time.localtime(since + 20 * 60))
        assert f"Exercises until {until}" in screen_text(app).splitlines()[0]
        alarm = app.session_screen().agenda_alarm
        assert alarm.at == since + 15 * 60 and alarm.timer is not None
        assert load_plan(tmp_path / "plan.toml").minutes == {"exercises": 20}
        # Five minutes before the end: one line, said once; then the timer waits for the end.
        alarm.update(app.model, app.plan, now=since + 15 * 60)
        await pilot.pause()
        assert words.five_minutes_left_text("exercises", since + 20 * 60) in screen_text(app)
        assert alarm.at == since + 20 * 60
