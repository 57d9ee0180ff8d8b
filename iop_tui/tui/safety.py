"""The full-screen face's safety actions, kept out of the app: asking for help
now, acknowledging an alert, answering a questionnaire, reading the scores.

Each builds the same intent as the plain face's typed command (through the
core's interpreter) and carries it out with the app's confirm dialog and send.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual.app import SystemCommand

from iop_tui.core import words
from iop_tui.core.commands import Context, interpret
from iop_tui.core.safety import current_item
from iop_tui.tui.widgets.alerts import ACK_KEY

__all__ = ["ask_urgent", "acknowledge", "open_measures", "check_action", "system_commands", "MEASURE_HINT", "URGENT_KEY"]

URGENT_KEY = "F9"
MEASURE_KEY = "F10"
MEASURE_HINT = f"Press {MEASURE_KEY} to answer it, one question at a time."

_MEMBERS = ("participant", "guest")


def check_action(action: str, role: str | None, model: Any) -> bool:
    """Which role each safety key is for (the footer shows only what this person can do);
    a facilitator's F9 shows in the footer while an alert waits to be acknowledged."""
    if action == "urgent":
        return role in _MEMBERS
    if action == "acknowledge":
        return role == "facilitator" and bool(model.state.unacknowledged())
    if action == "measures":
        return role in ("participant", "facilitator")
    return True


def ask_urgent(app: Any) -> None:
    """"I need help now": the dialog with an optional line of words (default No),
    then the same urgent.raise as plain ``/urgent TEXT``."""
    from iop_tui.tui.screens.urgent import UrgentScreen

    context = Context(app.model)
    outcome = interpret("/urgent", context)
    if outcome.refusal:
        app.say(outcome.refusal, error=True)
        return

    def answer(said: str | None) -> None:
        if said is None:
            app.say(words.URGENT_NOT_SENT)
            return
        # as plain /urgent TEXT then /urgent yes: words such as "no" are words, not an answer
        context.memory.urgent = said
        for item in interpret("/urgent yes", context).sends:
            app.send_command(item.kind, item.data)

    app.push_screen(UrgentScreen(words.URGENT_QUESTION), answer)


def acknowledge(app: Any) -> None:
    """The oldest waiting alert: the same intent as /ack."""
    outcome = interpret("/ack", Context(app.model))
    if outcome.refusal:
        app.say(outcome.refusal, error=True)
        return
    for item in outcome.sends:
        app.send_command(item.kind, item.data)


def open_measures(app: Any) -> None:
    """A member with a questionnaire to finish answers it; otherwise the scores over time."""
    from iop_tui.tui.screens.measure import MeasureScreen
    from iop_tui.tui.screens.scores import ScoresScreen

    model = app.model
    if not model.is_facilitator and current_item(model.state, model.me_id) is not None:
        app.push_screen(MeasureScreen(model, app.send_command))
        return
    app.push_screen(ScoresScreen(model))


def system_commands(app: Any, role: str | None) -> Iterator[SystemCommand]:
    if role in _MEMBERS:
        yield SystemCommand(words.URGENT_HELP_TITLE, f"Ask the facilitators for help at once, after you confirm ({URGENT_KEY})", lambda: ask_urgent(app))
    if role == "participant":
        yield SystemCommand("Questionnaire: answer or see my scores", f"Answer a questionnaire one question at a time, or read your scores ({MEASURE_KEY})", lambda: open_measures(app))
    if role == "facilitator":
        yield SystemCommand("Alert: acknowledge the oldest", f"Say you have seen the oldest urgent request or alert ({ACK_KEY})", lambda: acknowledge(app))
        yield SystemCommand("Questionnaire scores: every member's trend", f"Each member's PHQ-9 and GAD-7 totals over time ({MEASURE_KEY})", lambda: open_measures(app))
