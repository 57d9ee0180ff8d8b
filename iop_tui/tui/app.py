"""The Textual face of iop-tui: one session, six panes, every action on a key.

``IopApp(session)`` runs ``session.run()`` in a worker, subscribes to the
session's notices and re-renders from ``session.model`` after each batch.
Textual's conventions hold throughout: attributes go down (the session screen
and its panes are given the model and the plan), messages go up (panes post
:mod:`iop_tui.tui.messages`; the ``@on`` handlers below act on them). The app
is built for screen readers and slow links as much as for sighted users:

- every state is said in words (presence, hands, unread, private lines,
  errors), never by colour alone;
- the terminal cursor sits on the focused row of every list and no cursor
  blinks; nothing changes every second, so an idle app writes nothing;
- animations are off unless ``TEXTUAL_ANIMATIONS`` says otherwise;
  ``NO_COLOR`` is honoured, and the default theme uses the terminal's own
  palette (``ansi-dark``), so a person's high-contrast scheme applies.

Its parts live beside it: :mod:`~iop_tui.tui.announce` (notices and following
the phase), :mod:`~iop_tui.tui.focus` (whose the focus is),
:mod:`~iop_tui.tui.keyburst` (keys that arrive together),
:mod:`~iop_tui.tui.actions` (hands, phases, start and end, plans,
moderation), :mod:`~iop_tui.tui.safety` (help now, alerts, questionnaires),
:mod:`~iop_tui.tui.palette` (the command palette), :mod:`~iop_tui.tui.hide`
(the quick hide and the terminal driver) and :mod:`~iop_tui.tui.cursor`
(where the terminal cursor rests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.geometry import Offset
from textual.screen import Screen

from protocol.text import one_line

from iop_tui.tui import safety
from iop_tui.tui.actions import SessionActions, allowed, footer_keys
from iop_tui.tui.announce import announce, open_on_phase, toast_too
from iop_tui.tui.focus import FocusKeeper
from iop_tui.tui.hangup import leave_on_hangup
from iop_tui.tui.hide import driver_class, hide, is_hidden, reveal
from iop_tui.tui.keyburst import KeyBurst
from iop_tui.tui.link import SessionLink
from iop_tui.tui.messages import (
    Moderate,
    Say,
    ScreenReady,
    SendCommand,
    SendOutcome,
    SessionNotices,
    SessionStopped,
)
from iop_tui.tui.palette import session_commands
from iop_tui.tui.screens.fatal import FatalScreen, fatal_sentence
from iop_tui.tui.screens.session import SessionScreen, with_keys
from iop_tui.tui.themes import HIGH_CONTRAST, no_color_filters, resolve_theme
from iop_tui.tui.widgets.status import StatusLine

__all__ = ["IopApp"]


class IopApp(App[int]):
    """The iop-tui terminal client for one group session."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "iop-tui"
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS = [
        # Shown once for all six: the footer names the keys that work in a text field too (digits: outside fields).
        Binding("1,f1,alt+1", "show_pane('checkin')", "Panes", key_display="F1-6", tooltip="Pane: Check-in (1 outside a text field)"),
        Binding("2,f2,alt+2", "show_pane('slides')", "Pane: Slides", show=False),
        Binding("3,f3,alt+3", "show_pane('polls')", "Pane: Polls", show=False),
        Binding("4,f4,alt+4", "show_pane('chat')", "Pane: Chat", show=False),
        Binding("5,f5,alt+5", "show_pane('homework')", "Pane: Homework", show=False),
        Binding("6,f6,alt+6", "show_pane('people')", "Pane: People", show=False),
        Binding("escape", "leave_field", "Leave text field", show=False),
        # Footer words are short so every key fits at 80 columns; the palette says more.
        Binding("f9", "urgent", "Help now", tooltip="I need help now: ask the facilitators at once, after you confirm", priority=True),
        Binding("f9", "acknowledge", "Ack", tooltip="Say you have seen the oldest urgent request or alert", priority=True),
        Binding("f10", "measures", "Questionnaire", show=False),
        Binding("h", "toggle_hand", "Hand", tooltip="Raise or lower your hand", show=False),  # not in a text field: the footer would change
        Binding("f7", "next_phase", "Next phase"),
        Binding("f8", "start_or_end_session", "Start/end", tooltip="Start the session, or end it after you confirm"),
        Binding("ctrl+o", "load_plan", "Load session plan", show=False),
        Binding("f12", "hide", "Hide", tooltip="Hide the screen at once", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, session: Any, *, theme: str | None = None) -> None:
        super().__init__()
        self.session = session
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"
        self.register_theme(HIGH_CONTRAST)
        name, self.theme_warning = resolve_theme(theme, set(self.available_themes))
        self.theme = name
        self._apply_no_color()
        self._link = SessionLink(self, session)
        self._fatal_shown = False
        self._screen_ready = False
        self._opened_on_phase = False
        self.plan: Any = None  # the loaded session plan (iop_tui.core.plan.Plan), if any
        self.actions = SessionActions(self)
        self._burst = KeyBurst(self)  # keys that arrive together (an unbracketed paste)
        self._focus = FocusKeeper()
        self._footer_keys: tuple[bool, ...] = ()  # what the footer's keys were last checked for

    @property
    def model(self) -> Any:
        return self.session.model

    @property
    def cursor_position(self) -> Offset:
        """Where Textual parks the terminal cursor after each repaint: on what has
        the focus (:func:`iop_tui.tui.cursor.cursor_offset`), so a braille display
        or a screen reader's review cursor follows it. When the focus is on nothing
        shown (between a pane key and its pane's first frame) the cursor stays where
        it was: a jump to the top row was read aloud by a console screen reader.
        Textual's own assignments are the fallback before any focus was shown."""
        from iop_tui.tui.cursor import cursor_offset  # textual's list widgets load after the first frame

        offset = cursor_offset(self.focused)
        if offset is None:
            kept: Offset | None = getattr(self, "_cursor_kept", None)
            return self._cursor_at if kept is None else kept
        self._cursor_kept = offset
        return offset

    @cursor_position.setter
    def cursor_position(self, value: Offset) -> None:
        self._cursor_at = value

    async def _on_app_focus(self, event: events.AppFocus | events.AppBlur) -> None:
        """The terminal window gained or lost the focus: nothing on screen changes. Textual
        would restyle the whole screen and move the focus back, repainting every row
        (kilobytes on a slow link, twice per window switch); the focus stays where it was."""
        event.prevent_default()  # App's own handler would restyle and refocus

    _on_app_blur = _on_app_focus  # AppBlur: the same

    def _apply_no_color(self) -> None:
        """Under NO_COLOR: no colour codes at all with an ANSI theme, greys otherwise."""
        if self.no_color:
            self._filters = no_color_filters(self._filters, self.native_ansi_color)

    def watch_theme(self, theme: str) -> None:
        self._apply_no_color()

    # -- start and stop ----------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return SessionScreen(self._focus, model=self.model)

    def on_mount(self) -> None:
        self._link.start()
        if not self.is_headless:
            leave_on_hangup(self)

    async def action_quit(self) -> None:
        try:
            await self.session.close()
        finally:
            self.exit(0)

    # -- notices -> view (attributes down) ------------------------------------------

    @on(ScreenReady)
    def _screen_is_ready(self) -> None:
        """The session screen's widgets exist: first render."""
        self._screen_ready = True
        self.status(with_keys())
        if self.theme_warning:
            self.say(self.theme_warning, error=True)
        self._refresh_view(self._link.take())

    @on(SessionNotices)
    def _session_notices(self) -> None:
        self._link.delivered()
        if self.session_screen() is not None:  # else they wait until the screen is ready
            self._refresh_view(self._link.take())

    @on(SessionStopped)
    def _session_stopped(self, message: SessionStopped) -> None:
        sentence = fatal_sentence(self.session) or message.sentence
        if sentence:
            self._show_fatal(sentence)
        elif not self._exit:
            self.say("The session has closed; press Ctrl+Q to quit.", error=True)

    def _show_fatal(self, sentence: str) -> None:
        if not self._fatal_shown:
            self._fatal_shown = True
            self.push_screen(FatalScreen(one_line(sentence)))

    def _refresh_view(self, notices: list[Any]) -> None:
        screen = self.session_screen()
        if screen is None:
            return
        if not self._opened_on_phase:
            self._opened_on_phase = open_on_phase(self, screen)  # a join or rejoin opens on the phase's pane
        try:
            for notice in notices:
                announce(self, notice)
            screen.show_model(self.model, self.plan)
        except NoMatches:
            return  # widgets vanish only while the app closes
        if (keys := footer_keys(self.model)) != self._footer_keys:  # all check_action depends on
            self._footer_keys = keys
            self.refresh_bindings()  # the footer is rebuilt only when its keys change
        sentence = fatal_sentence(self.session)
        if sentence:
            self._show_fatal(sentence)

    def session_screen(self) -> SessionScreen | None:
        """The session screen once it is composed (None before, and while the app closes)."""
        if not self._screen_ready or self._exit:
            return None
        for screen in self.screen_stack:
            if isinstance(screen, SessionScreen):
                return screen
        return None

    # -- messages up ------------------------------------------------------------------

    @on(SendCommand)
    def _send_for_pane(self, message: SendCommand) -> None:
        if self.send_command(message.kind, message.data):
            if message.said:
                self.say(message.said)
            if message.then is not None:
                message.then()

    @on(SendOutcome)
    def _send_outcome_for_pane(self, message: SendOutcome) -> None:
        if self.actions.send_outcome(message.outcome) and message.then is not None:
            message.then()

    @on(Say)
    def _say_for_pane(self, message: Say) -> None:
        (self.say if message.toast else self.status)(message.text, error=message.error)

    @on(Moderate)
    def _moderate(self, message: Moderate) -> None:
        self.actions.moderate(message.what, message.entry)

    def status(self, text: str, *, error: bool = False) -> None:
        screen = self.session_screen()
        if screen is not None:
            for line in screen.query("#status").results(StatusLine):
                line.show(text, error=error)

    def say(self, text: str, *, error: bool = False) -> None:
        """One sentence for this person: the status line, and a toast for problems."""
        text = one_line(text)  # it may name a file or quote the relay
        self.status(text, error=error)
        if error:
            self.notify(text, severity="error", markup=False, timeout=8)

    def send_command(self, kind: str, data: dict[str, Any]) -> bool:
        """Send a command; say why (one sentence) and return False if it cannot go."""
        return self.actions.send(kind, data)

    def find_member(self, name: str) -> Any:
        """The roster entry whose name matches (exactly, else a unique prefix), or None
        (:meth:`protocol.state.GroupState.member_named`: case, Unicode form and spacing aside)."""
        return self.model.state.member_named(name)

    # -- panes and focus: the person's keys come first -----------------------------------

    def show_pane(self, pane: str, *, focus: bool = True) -> None:
        """Bring ``pane`` forward (and the focus into it, unless ``focus`` is False)."""
        screen = self.session_screen()
        if screen is not None:
            screen.show_pane(pane, focus=focus)

    def action_show_pane(self, pane: str) -> None:
        self.show_pane(pane)

    async def on_event(self, event: events.Event) -> None:
        """Keys from the terminal pass through the burst filter (iop_tui.tui.keyburst) first."""
        if isinstance(event, (events.InputEvent, events.Paste)) and not event.is_forwarded:
            self._focus.person_acted(event, self.focused)
            held = await self._burst.before(event)
            if held is None:
                return  # held: part of a burst, handled when the burst is read
            event = held
        await super().on_event(event)

    async def handle_key_now(self, event: events.Key) -> None:
        """Handle one key as Textual would (bindings, then the focused widget)."""
        await super().on_event(event)

    def is_typing(self) -> bool:
        """Is the person writing? Then nothing may move the focus away from them
        (:meth:`iop_tui.tui.focus.FocusKeeper.is_typing`)."""
        screen = self.session_screen()
        active = screen.active_pane if screen is not None else None
        return self._focus.is_typing(self.focused, active, self._burst.pending)

    def action_leave_field(self) -> None:
        """Escape: move the focus to the tab row, where 1-6 switch panes."""
        screen = self.session_screen()
        if screen is not None and self.screen is screen:
            screen.leave_field()

    # -- session actions (keys and the command palette) -------------------------------

    def action_toggle_hand(self) -> None:
        self.actions.toggle_hand()

    def action_next_phase(self) -> None:
        self.actions.next_phase()

    def action_start_or_end_session(self) -> None:
        self.actions.start_or_end_session()

    def action_load_plan(self) -> None:
        self.actions.ask_plan()

    def load_plan(self, path: str) -> None:
        """Load a session plan file (:meth:`iop_tui.tui.actions.SessionActions.load_plan`)."""
        self.actions.load_plan(path)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return allowed(action, self.model)

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        yield from super().get_system_commands(screen)
        yield from session_commands(self, self.model.role)

    def action_urgent(self) -> None:  # F9 and F10: iop_tui/tui/safety.py
        safety.ask_urgent(self)

    def action_acknowledge(self) -> None:
        safety.acknowledge(self)

    def action_measures(self) -> None:
        safety.open_measures(self)

    # -- quick hide ----------------------------------------------------------------

    @property
    def hidden(self) -> bool:
        return is_hidden(self)

    def action_hide(self) -> None:
        """Cover the session at once (F12; :func:`iop_tui.tui.hide.hide`)."""
        hide(self)

    def action_reveal(self) -> None:
        reveal(self)

    def get_driver_class(self) -> Any:
        return driver_class(super().get_driver_class())

    def notify(self, message: str, **kwargs: Any) -> None:
        """Notices go to the status line; a toast only where
        :func:`iop_tui.tui.announce.toast_too` says (nothing while hidden)."""
        if toast_too(self, message, kwargs):
            super().notify(message, **kwargs)
