"""The session's commands in the command palette (Ctrl+P), for the person's role.

Every key of the session is also a sentence here, so the palette teaches the
keys: the panes, hiding the screen, asking for help now, acknowledging an
alert and the questionnaires (:mod:`iop_tui.tui.safety`), a member's hand and
private line, a facilitator's reply, phases, start and end, and loading a plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from protocol.messages import PHASE_TITLES, PHASES

from iop_tui.tui import boardkeys, safety
from iop_tui.tui.screens.session import PANE_TITLES, PANES

if TYPE_CHECKING:
    from iop_tui.tui.app import IopApp

__all__ = ["session_commands"]


def _journal(app: IopApp) -> None:
    """The palette's Journal: the session screen's J."""
    if (screen := app.session_screen()) is not None:
        screen.action_journal()


def session_commands(app: IopApp, role: str | None) -> Iterator[SystemCommand]:
    """The palette's session commands for ``role`` (after Textual's own)."""
    yield SystemCommand("Hide the screen", "Cover the session at once; Enter brings it back (F12)", app.action_hide)
    for pane in PANES:
        yield SystemCommand(f"Show pane: {PANE_TITLES[pane]}", f"Bring the {PANE_TITLES[pane]} pane forward", lambda p=pane: app.show_pane(p))
    yield from safety.system_commands(app, role)
    if role in ("participant", "facilitator"):  # the facilitator's kit: the Journal view (J)
        yield SystemCommand("Journal: write or read", "The open journaling prompt and your journal; facilitators: counts and shared entries (J)",
                            lambda: _journal(app))
    if (screen := app.session_screen()) is not None:
        yield from boardkeys.system_commands(screen, role)  # the board and moods (issue 14 part B)
    if role in ("participant", "guest"):
        yield SystemCommand("Hand: raise or lower my hand", "Ask to speak, or take your hand down", app.action_toggle_hand)
        yield SystemCommand("Chat: private line to the facilitators", "Only the facilitators read it (R on the chat, or /dm)", app.actions.chat_reply)
    if role == "facilitator":
        yield SystemCommand("Chat: reply privately to the selected member", "Answer the member of the selected chat line; only they and the facilitators read it (R)", app.actions.chat_reply)
        for phase in PHASES:
            title = PHASE_TITLES[phase].lower()
            yield SystemCommand(f"Phase: {title}", f"Move the whole group to the {title} phase", lambda p=phase: app.actions.set_phase(p))
        yield SystemCommand("Session: start or end", "Start a session, or end the running one", app.action_start_or_end_session)
        yield SystemCommand("Session plan: load a file", "Send a plan's deck, polls and homework", app.action_load_plan)
