"""What the session's own keys do (Textual face): hands, phases, start and end,
plans, and a facilitator's moderation.

:class:`SessionActions` holds the flows the app's bindings, the command
palette and the panes' :class:`~iop_tui.tui.messages.Moderate` messages
start. Each sends through :meth:`SessionActions.send` (the app's
``send_command``: it says why when a command cannot go) and says what it did
in one sentence; what cannot be undone (ending a session, removing a member)
asks first in a dialog whose default is No.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from protocol.errors import ProtocolError
from protocol.messages import PHASE_TITLES, PHASES
from protocol.roles import may

from iop_tui.core import words
from iop_tui.tui.safety import check_action
from iop_tui.tui.screens.session import SessionScreen

if TYPE_CHECKING:
    from iop_tui.tui.app import IopApp

__all__ = ["SessionActions", "ROLE_ACTIONS", "allowed", "footer_keys"]

#: The app's actions that only some roles have (the others' keys are hidden and do nothing).
ROLE_ACTIONS = {
    "next_phase": ("facilitator",),
    "start_or_end_session": ("facilitator",),
    "load_plan": ("facilitator",),
    "toggle_hand": ("participant", "guest"),
}


def allowed(action: str, model: Any) -> bool:
    """Whether this person has the app's ``action`` (the footer shows only what they can
    do): the role's actions above, then the safety keys (:func:`iop_tui.tui.safety.check_action`)."""
    roles = ROLE_ACTIONS.get(action)
    return model.role in roles if roles is not None else check_action(action, model.role, model)


#: Every action whose key some people lack (the rest are everyone's).
GATED_ACTIONS = (*ROLE_ACTIONS, "urgent", "acknowledge", "measures")


def footer_keys(model: Any) -> tuple[bool, ...]:
    """Which of the gated keys this person has now: the app rebuilds the footer only
    when this changes (a role, or an alert waiting for a facilitator's F9), never for
    each event on a slow link."""
    return tuple(allowed(action, model) for action in GATED_ACTIONS)


class SessionActions:
    """The session-wide actions of one app."""

    def __init__(self, app: IopApp) -> None:
        self.app = app

    def send(self, kind: str, data: dict[str, Any], *, typed: str = "") -> bool:
        """Send one command through the session, after the person's role allows it;
        say why in one sentence and return False when it cannot go. ``typed``: the line
        it came from, given back to the chat input if the relay refuses it."""
        app = self.app
        role = app.model.role
        if role is None:
            app.say("Still joining the session; try again in a moment.", error=True)
            return False
        if not may(role, kind):
            app.say(words.forbidden_text(role, kind), error=True)
            return False
        try:
            app.session.send(kind, data, typed=typed)
        except ProtocolError as exc:
            app.say(exc.message, error=True)
            return False
        return True

    def send_outcome(self, outcome: Any) -> bool:
        """Send an intent's commands (:class:`iop_tui.core.commands.Outcome`) in order,
        stopping at the first that cannot go (the app says why), and say its ``done``;
        True when all went."""
        for item in outcome.sends:
            if not self.send(item.kind, item.data, typed=outcome.typed):
                return False
        if outcome.done:
            self.app.say(outcome.done)
        return True

    # -- members ------------------------------------------------------------------

    def toggle_hand(self) -> None:
        app = self.app
        me = app.model.me
        if me is None:
            return
        if me.member_id in app.model.state.hands:
            if app.send_command("hand.lower", {}):
                app.say("Lowering your hand.")
        elif app.send_command("hand.raise", {}):
            app.say("Raising your hand.")

    def chat_reply(self) -> None:
        """The palette's reply: bring the chat forward and reply to its selected line."""
        app = self.app
        screen = app.session_screen()
        if screen is None:
            return
        app.show_pane("chat", focus=False)

        async def reply() -> None:
            await screen.ensure_body("chat")
            from iop_tui.tui.widgets.chat import ChatPane

            screen.query_one(ChatPane).action_reply()

        app.call_after_refresh(reply)

    # -- facilitators: phases, start and end ---------------------------------------

    def set_phase(self, phase: str) -> None:
        if self.app.send_command("phase.set", {"phase": phase}):
            self.app.say(f"Moving the group to {PHASE_TITLES.get(phase, phase)}.")

    def next_phase(self) -> None:
        state = self.app.model.state
        if state.session is None:
            self.app.say("No session is running; press F8 to start one.", error=True)
            return
        current = PHASES.index(state.phase) if state.phase in PHASES else -1
        if current + 1 >= len(PHASES):
            self.app.say("This is the last phase, closing; press F8 to end the session.")
            return
        self.set_phase(PHASES[current + 1])

    def start_or_end_session(self) -> None:
        """F8: start (asking a title, the loaded plan's by default) or end (asking a
        summary, warning about polls that would end unseen, and confirming)."""
        app = self.app
        if not isinstance(app.screen, SessionScreen):
            return  # a dialog is already open: F8 again does not stack another
        if app.model.state.session is None:

            def titled(title: str | None) -> None:
                if title is None:
                    app.say("The session was not started.")
                elif app.model.state.session is None and app.send_command("session.start", {"title": title}):
                    app.say("Starting the session.")

            from iop_tui.tui.screens.prompt import PromptScreen

            default = app.plan.title if app.plan is not None and app.plan.title else ""
            question = "Title of the session (Enter starts it; empty numbers it):"
            app.push_screen(PromptScreen(question, "for example: Week 3: Reframing thoughts", value=default, allow_empty=True), titled)
            return

        def ended(choice: dict[str, Any] | None) -> None:
            if choice is None:
                app.say("The session keeps running.")
            elif app.model.state.session is not None and app.send_command("session.end", choice):
                app.say("Ending the session.")

        from iop_tui.tui.screens.end import EndSessionScreen

        app.push_screen(EndSessionScreen(app.model.state), ended)

    # -- facilitators: plans ---------------------------------------------------------

    def ask_plan(self) -> None:
        """Ctrl+O: ask for a plan file, then load it."""

        def chosen(path: str | None) -> None:
            if path:
                self.load_plan(path)

        from iop_tui.tui.screens.prompt import PromptScreen

        self.app.push_screen(PromptScreen("Session plan file to load (TOML):", "for example: ~/plans/week3.toml"), chosen)

    def load_plan(self, path: str) -> None:
        """Read a session plan (iop_tui.core.plan), send its deck (and homework marked
        assign_at_load), and keep its prepared polls and homework at hand in the
        Polls and Homework panes."""
        from iop_tui.core.plan import PlanError, load_plan

        app = self.app
        try:
            plan = load_plan(path)
        except PlanError as exc:
            app.say(str(exc), error=True)
            return
        commands = plan.commands(dt.date.today())
        sent = 0
        for kind, data in commands:
            if not app.send_command(kind, data):
                break
            sent += 1
        if sent < len(commands):
            return
        app.plan = plan
        title = f"{plan.title}: " if plan.title else ""
        app.say(
            f"Plan loaded. {title}deck sent; {len(plan.polls)} polls ready in the Polls pane, "
            f"{len(plan.homework)} homework ready in the Homework pane."
        )
        screen = app.session_screen()
        if screen is not None:
            screen.show_model(app.model, app.plan)

    # -- facilitators: moderation ----------------------------------------------------------

    def moderate(self, what: str, entry: Any) -> None:
        """mute, unmute, lower (a hand) or remove (after a yes) one member: the
        intent ``/mute NAME`` builds (:func:`iop_tui.core.commands.moderate`)."""
        from iop_tui.core.commands import moderate

        app = self.app
        outcome = moderate(what, entry, app.model)
        if outcome.refusal:
            app.say(outcome.refusal)
        elif outcome.ask:

            def answer(yes: bool | None) -> None:
                if yes:
                    self.send_outcome(outcome)
                elif outcome.declined:
                    app.say(outcome.declined)

            from iop_tui.tui.screens.confirm import ConfirmScreen

            app.push_screen(ConfirmScreen(outcome.ask), answer)
        else:
            self.send_outcome(outcome)
