"""A facilitator runs a prepared plan from the keyboard alone.

With a plan loaded, the Polls pane puts the focus on the prepared polls, so
"3, Down, Enter" opens the plan's second poll for the group, and "5, Enter"
assigns the plan's homework — no mouse, no typing into a form.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.apphelp import joined, wait_until

from iop_tui.core.plan import load_plan

PLAN = Path(__file__).resolve().parents[2] / "iop_tui" / "demo" / "content" / "plan.toml"


async def test_prepared_poll_and_homework_by_keyboard(seeded) -> None:
    plan = load_plan(PLAN)
    async with joined(seeded.url, seeded.facilitator.token) as (app, pilot):
        model = app.session.model
        app.plan = plan
        app.session.send("session.start", {"title": "Week 3"})
        await wait_until(pilot, lambda: model.state.session is not None, "the session to start")
        await pilot.press("3")
        await pilot.pause(0.2)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: model.state.open_polls(), "a prepared poll to open")
        opened = model.state.open_polls()[0]
        assert opened.question in [p.question for p in plan.polls], opened.question
        await pilot.press("5")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: model.state.homework, "the plan's homework to be assigned")
        assert [hw.title for hw in model.state.homework.values()] == ["Daily thought record"]
