"""The Textual face of iop-tui: one session, six panes, every action on a key.

``IopApp(session)`` runs ``session.run()`` in a worker, subscribes to the
session's notices and re-renders from ``session.model`` after each batch
(messages up, attributes down). It is built for screen readers and slow
links as much as for sighted users:

- every state is said in words (presence, hands, unread, private lines,
  errors), never by colour alone;
- the terminal cursor sits on the focused row of every list and no cursor
  blinks; nothing changes every second, so an idle app writes nothing;
- animations are off unless ``TEXTUAL_ANIMATIONS`` says otherwise;
  ``NO_COLOR`` is honoured, and the default theme uses the terminal's own
  palette (``ansi-dark``), so a person's high-contrast scheme applies.
"""

from __future__ import annotations

import os
import sys
import time
import weakref
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.filter import Monochrome, NoColor
from textual.geometry import Offset
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, TabbedContent

from protocol.errors import ProtocolError
from protocol.messages import PHASE_TITLES, PHASES
from protocol.text import one_line
from protocol.roles import may

from iop_tui.core import words
from iop_tui.tui.screens.fatal import FatalScreen
from iop_tui.tui.screens.hidden import HiddenScreen
from iop_tui.tui.screens.session import PANE_TITLES, PANES, SessionScreen
from iop_tui.tui.hangup import watch_terminal
from iop_tui.tui.keyburst import KeyBurst, spaces_for_breaks, text_field
from iop_tui.tui.themes import HIGH_CONTRAST, resolve_theme
from iop_tui.tui.widgets.status import HeaderLine, StatusLine

__all__ = ["IopApp"]

#: Seconds a private line's notice stays on screen (group chat gets none).
PRIVATE_NOTICE_S = 15
KEYS_HINT = "Keys: 1-6 panes, Escape leaves a field, Ctrl+P all commands, Ctrl+Q quits."
PHASE_NOTICE_KINDS = frozenset({"phase", "phase.changed"})


class SessionNotices(Message):
    """The session reported frames; ``notices`` are the new sentences (may be empty)."""

    def __init__(self, notices: list[Any]) -> None:
        super().__init__()
        self.notices = notices


class SessionStopped(Message):
    """``session.run()`` returned or failed; ``sentence`` says why (or is empty)."""

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence


class IopApp(App[int]):
    """The iop-tui terminal client for one group session."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "iop-tui"
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS = [
        Binding("1,f1", "show_pane('checkin')", "Pane: Check-in", show=False),
        Binding("2,f2", "show_pane('slides')", "Pane: Slides", show=False),
        Binding("3,f3", "show_pane('polls')", "Pane: Polls", show=False),
        Binding("4,f4", "show_pane('chat')", "Pane: Chat", show=False),
        Binding("5,f5", "show_pane('homework')", "Pane: Homework", show=False),
        Binding("6,f6", "show_pane('people')", "Pane: People", show=False),
        Binding("escape", "leave_field", "Leave text field", show=False),
        # Footer words are short so every key fits at 80 columns; the palette says more.
        Binding("h", "toggle_hand", "Hand", tooltip="Raise or lower your hand"),
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
        self._pending: list[Any] = []
        self._posted = False
        self._fatal_shown = False
        self._unsubscribe: Any = None
        self._screen_ready = False
        self.plan: Any = None  # the loaded session plan (iop_tui.core.plan.Plan), if any
        self._burst = KeyBurst(self)  # keys that arrive together (an unbracketed paste)
        self._auto_focus = False  # the focus was placed by the app, and the person has not acted since
        self._edited: weakref.WeakSet[Any] = weakref.WeakSet()  # text fields the person typed into
        self._bindings_role: str | None = None  # the role the footer's keys were last checked for

    # -- model access ----------------------------------------------------------

    @property
    def model(self) -> Any:
        return self.session.model

    def _role(self) -> str | None:
        me = self.model.me
        return me.role if me is not None else None

    # -- the terminal cursor ----------------------------------------------------------

    @property
    def cursor_position(self) -> Offset:  # type: ignore[override]
        """Where Textual parks the terminal cursor after each repaint.

        Computed at paint time from the focused widget, so it is right even
        after a scroll: the caret in a text field, the highlighted row of a
        list, the highlighted choice of a radio set, the first cell of
        anything else. A braille display or a screen reader's review cursor
        follows it. (Textual's own assignments are kept as the fallback.)
        """
        from textual.widgets import Input, OptionList, RadioSet, TextArea

        from iop_tui.tui.widgets.cursor_list import row_cursor_offset

        focused = self.focused
        if focused is None:
            return self._cursor_at
        if isinstance(focused, (Input, TextArea)):
            return focused.cursor_screen_offset  # the caret, after any scroll
        if isinstance(focused, OptionList):
            offset = row_cursor_offset(focused)
            if offset is not None:
                return offset
        target = focused
        if isinstance(focused, RadioSet):
            buttons = list(focused.children)
            index = focused._selected  # the highlighted choice
            if index is not None and 0 <= index < len(buttons):
                target = buttons[index]
        region = target.content_region
        if region.width and region.height:
            return Offset(region.x, region.y)
        return self._cursor_at

    @cursor_position.setter
    def cursor_position(self, value: Offset) -> None:
        self._cursor_at = value

    # -- terminal focus ----------------------------------------------------------

    async def _on_app_focus(self, event: events.AppFocus) -> None:
        """The terminal window gained the focus: nothing on screen changes.

        Textual would restyle the whole screen and move the focus back, which
        repaints every row (several kilobytes on a slow link, twice per
        window switch); here the focus simply stays where the person left it.
        """
        event.prevent_default()  # App's own handler would restyle and refocus

    async def _on_app_blur(self, event: events.AppBlur) -> None:
        """The terminal window lost the focus: nothing on screen changes (see above)."""
        event.prevent_default()

    # -- colour ----------------------------------------------------------------

    def _apply_no_color(self) -> None:
        """Under NO_COLOR: no colour codes at all with an ANSI theme, greys otherwise."""
        if not self.no_color:
            return
        wanted = NoColor() if self.native_ansi_color else Monochrome()
        self._filters = [f for f in self._filters if not isinstance(f, (NoColor, Monochrome))]
        self._filters.append(wanted)

    def watch_theme(self, theme: str) -> None:
        self._apply_no_color()

    # -- start and stop ----------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return SessionScreen()

    def on_mount(self) -> None:
        self._unsubscribe = self.session.subscribe(self._from_session)
        self.run_worker(self._run_session(), name="session", group="session", exit_on_error=False)
        if not self.is_headless and sys.__stdin__ is not None:
            watch_terminal(sys.__stdin__.fileno(), self._terminal_gone)

    def _terminal_gone(self) -> None:
        """The terminal hung up (called from the watcher thread): leave."""
        try:
            self.call_from_thread(self.exit)
        except RuntimeError:  # the app already stopped
            pass

    def pane_mounted(self, pane: Any) -> None:
        """A pane was mounted (perhaps after the first frame): render it now."""
        if self._session_screen() is not None:
            pane.show_model(self.model)

    def session_screen_ready(self) -> None:
        """Called by the session screen once its widgets exist: first render."""
        self._screen_ready = True
        self.status(KEYS_HINT)
        if self.theme_warning:
            self.say(self.theme_warning, error=True)
        notices, self._pending = self._pending, []
        self._refresh_view(notices)

    def panes_ready(self) -> None:
        """Every pane body is mounted: put the focus in the active one."""
        self._focus_active_pane()

    async def _run_session(self) -> None:
        sentence = ""
        try:
            await self.session.run()
        except ProtocolError as exc:
            sentence = exc.message
        except OSError as exc:
            sentence = f"The connection failed ({exc.__class__.__name__}); check the address and your network, then join again."
        except Exception as exc:  # the face must never show a traceback
            sentence = f"The session stopped unexpectedly ({exc.__class__.__name__}); quit and join again."
        self.post_message(SessionStopped(sentence))

    async def action_quit(self) -> None:
        try:
            await self.session.close()
        finally:
            self.exit(0)

    def _from_session(self, notices: list[Any]) -> None:
        """Session callback: coalesce bursts (a replay) into one repaint."""
        self._pending.extend(notices)
        if not self._posted:
            self._posted = True
            self.post_message(SessionNotices([]))

    # -- notices -> view -----------------------------------------------------------

    def on_session_notices(self, message: SessionNotices) -> None:
        self._posted = False
        if self._session_screen() is None:
            return  # kept in _pending until the screen is ready
        notices, self._pending = self._pending, []
        self._refresh_view(notices)

    def on_session_stopped(self, message: SessionStopped) -> None:
        conn_message = self._fatal_sentence()
        sentence = conn_message or message.sentence
        if sentence:
            self._show_fatal(sentence)
        elif not self._exit:
            self.say("The session has closed; press Ctrl+Q to quit.", error=True)

    def _fatal_sentence(self) -> str:
        fatal = getattr(self.session, "fatal_message", None)
        if fatal:
            return str(fatal)
        conn = getattr(self.model, "conn", None)
        state = _get(conn, "state")
        if state == "failed":
            return str(_get(conn, "message") or "The server refused this client; ask your facilitator for a new invitation.")
        return ""

    def _show_fatal(self, sentence: str) -> None:
        if self._fatal_shown:
            return
        self._fatal_shown = True
        self.push_screen(FatalScreen(one_line(sentence)))

    def _refresh_view(self, notices: list[Any]) -> None:
        try:
            self._render_view(notices)
        except NoMatches:
            return  # widgets vanish only while the app closes

    def _render_view(self, notices: list[Any]) -> None:
        model = self.model
        screen = self._session_screen()
        if screen is None:
            return
        for notice in notices:
            self._announce(notice)
        screen.show_model(model)
        self._refresh_header()
        self._refresh_chat_label()
        role = self._role()
        if role != self._bindings_role:  # check_action depends on the role alone
            self._bindings_role = role
            self.refresh_bindings()  # the footer is rebuilt: only when its keys change
        sentence = self._fatal_sentence()
        if sentence:
            self._show_fatal(sentence)

    def _announce(self, notice: Any) -> None:
        level = getattr(notice, "level", "info")
        text = getattr(notice, "text", "")
        live = getattr(notice, "live", True)
        if not text or not live:
            return
        kind = getattr(notice, "kind", "")
        pane = getattr(notice, "pane", None)
        if kind in PHASE_NOTICE_KINDS:
            if pane in PANE_TITLES:
                if PANE_TITLES[pane].lower() not in text.lower():
                    text = f"{text.rstrip('.')} — {PANE_TITLES[pane].lower()}."
                if not self.model.is_facilitator:
                    if self.is_typing():
                        text = words.phase_waiting_text(self.model.state.phase, PANE_TITLES[pane], f"F{PANES.index(pane) + 1}")
                    else:
                        self.show_pane(pane)
            self.notify(text, markup=False, timeout=6)
            self.status(text)
        elif level == "error":
            self.notify(text, severity="error", markup=False, timeout=8)
            self.status(text, error=True)
        elif level == "warning":
            self.notify(text, severity="warning", markup=False, timeout=6)
            self.status(text)
        elif kind == "chat.posted" and self._private_from_others(notice):
            # A private line stands apart: it stays on screen for 15 seconds.
            self.notify(text, title="Private line", severity="warning", markup=False, timeout=PRIVATE_NOTICE_S)
            self.status(text)
        elif kind == "welcome":
            self.status(f"{text} {KEYS_HINT}")
        elif kind != "synced":
            self.status(text)

    def _private_from_others(self, notice: Any) -> bool:
        """Whether a chat notice is a private-thread line someone else wrote."""
        seq = getattr(notice, "seq", None)
        line = next((c for c in reversed(self.model.state.chat) if c.message_id == seq), None)
        return line is not None and line.thread is not None and line.member_id != self.model.me_id

    def _refresh_header(self) -> None:
        screen = self._session_screen()
        if screen is None:
            return
        model = self.model
        width = max(20, self.size.width - 2)  # the header's padding: one cell each side
        header = words.header_fit(model, time.time(), width)
        screen.query_one("#header", HeaderLine).show(header)

    def on_resize(self, event: Any) -> None:
        """A narrower or wider terminal: the header is fitted to one row again."""
        self._refresh_header()

    def _refresh_chat_label(self) -> None:
        screen = self._session_screen()
        if screen is None:
            return
        tabs = screen.query_one("#tabs", TabbedContent)
        if tabs.active == "chat" and (self.model.unread_chat or self.model.unread_private):
            self.model.mark_chat_read()
        unread, private = self.model.unread_chat, self.model.unread_private
        counts = ([f"Private {private}"] if private else []) + ([f"{unread} unread"] if unread else [])
        label = f"Chat ({', '.join(counts)})" if counts else "Chat"
        tab = tabs.get_tab("chat")
        if str(tab.label) != label:
            tab.label = label

    def session_screen(self) -> SessionScreen | None:
        """The session screen once it is composed (tests and panes use it)."""
        return self._session_screen()

    def _session_screen(self) -> SessionScreen | None:
        if not self._screen_ready or self._exit:
            return None
        for screen in self.screen_stack:
            if isinstance(screen, SessionScreen):
                return screen
        return None

    # -- saying things -------------------------------------------------------------

    def status(self, text: str, *, error: bool = False) -> None:
        screen = self._session_screen()
        if screen is not None:
            for line in screen.query("#status").results(StatusLine):
                line.show(text, error=error)

    def say(self, text: str, *, error: bool = False) -> None:
        """One sentence for this person: the status line, and a toast for problems."""
        text = one_line(text)  # it may name a file or quote the relay
        self.status(text, error=error)
        if error:
            self.notify(text, severity="error", markup=False, timeout=8)

    # -- commands ------------------------------------------------------------------

    def send_command(self, kind: str, data: dict[str, Any]) -> bool:
        """Send a command; say why (one sentence) and return False if it cannot go."""
        role = self._role()
        if role is None:
            self.say("Still joining the session; try again in a moment.", error=True)
            return False
        if not may(role, kind):
            self.say(words.forbidden_text(role, kind), error=True)
            return False
        try:
            self.session.send(kind, data)
        except ProtocolError as exc:
            self.say(exc.message, error=True)
            return False
        return True

    def find_member(self, name: str) -> Any:
        """The roster entry whose name matches (exactly, else a unique prefix), or None.

        Names match as the relay keeps them unique: case, Unicode form and
        spacing aside (:meth:`protocol.state.GroupState.member_named`).
        """
        return self.model.state.member_named(name)

    def moderate(self, what: str, entry: Any) -> None:
        """mute, unmute, lower (a hand) or remove (after a yes) one member: the
        intent ``/mute NAME`` builds (:func:`iop_tui.core.commands.moderate`)."""
        from iop_tui.core.commands import moderate
        from iop_tui.tui.intents import carry_out

        carry_out(self, moderate(what, entry, self.model), send=self.send_command, say=self.say, refuse=self.say)

    # -- actions (keys and the command palette) ------------------------------------

    def show_pane(self, pane: str, *, focus: bool = True) -> None:
        screen = self._session_screen()
        if screen is None or pane not in PANES:
            return
        tabs = screen.query_one("#tabs", TabbedContent)
        tabs.active = pane
        self.call_after_refresh(self._bring_forward, screen, pane, focus)
        self._refresh_chat_label()
        self._refresh_header()

    async def _bring_forward(self, screen: SessionScreen, pane: str, focus: bool) -> None:
        await screen.ensure_body(pane)
        if focus and self.screen is screen and screen.query_one("#tabs", TabbedContent).active == pane:
            self._auto_focus = True
            screen.focus_pane(pane)

    def action_show_pane(self, pane: str) -> None:
        self.show_pane(pane)

    def _focus_active_pane(self) -> None:
        screen = self._session_screen()
        if screen is not None and self.screen is screen:
            self._auto_focus = True
            screen.focus_pane(screen.query_one("#tabs", TabbedContent).active)

    # -- typing: the person's keys come first -------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Keys from the terminal pass through the burst filter (iop_tui.tui.keyburst) first."""
        if isinstance(event, (events.InputEvent, events.Paste)) and not event.is_forwarded:
            if isinstance(event, (events.Key, events.Paste, events.MouseDown)):
                self._auto_focus = False  # the person acts: the focus is theirs now
                field = text_field(self.focused)
                if field is not None and not isinstance(event, events.MouseDown):
                    self._edited.add(field)
            if isinstance(event, events.Key) and self._burst.take(event):
                return
            if self._burst.pending:
                await self._burst.flush()  # keys held before this event are handled first
            if isinstance(event, events.Paste) and isinstance(self.focused, Input) and spaces_for_breaks(event.text) != event.text:
                # Textual keeps only the first line of a paste into a one-line field: keep every line.
                event = events.Paste(spaces_for_breaks(event.text))
        await super().on_event(event)

    async def handle_key_now(self, event: events.Key) -> None:
        """Handle one key as Textual would (bindings, then the focused widget)."""
        await super().on_event(event)

    def is_typing(self) -> bool:
        """Is the person writing? Then nothing may move the focus away from them.

        True while keys are held (a burst being read), when the focus is in a text
        field the person has reached or acted in (not one the app focused on its own
        and left untouched), or when a text field of the pane in front holds text the
        person typed and has not sent.
        """
        if self._burst.pending:
            return True
        if text_field(self.focused) is not None and not self._auto_focus:
            return True
        screen = self._session_screen()
        if screen is None:
            return False
        active = screen.query_one("#tabs", TabbedContent).active
        for field in list(self._edited):
            value = field.value if isinstance(field, Input) else field.text
            if value.strip() and field.is_attached and any(a.id == active for a in field.ancestors):
                return True
        return False

    def fields_sent(self, pane: Any) -> None:
        """What the person typed in ``pane`` has been sent: it no longer holds the pane forward."""
        for field in list(self._edited):
            if pane in field.ancestors:
                self._edited.discard(field)

    def place_focus(self, widget: Any) -> None:
        """Focus ``widget`` on the app's own initiative (the person's next key makes it theirs)."""
        self._auto_focus = True
        widget.focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._refresh_chat_label()

    def action_leave_field(self) -> None:
        """Escape: move the focus to the tab row, where 1-6 switch panes."""
        screen = self._session_screen()
        if screen is not None and self.screen is screen:
            from textual.widgets import Tabs

            screen.query_one("#tabs", TabbedContent).query_one(Tabs).focus()

    def action_toggle_hand(self) -> None:
        me = self.model.me
        if me is None:
            return
        if me.member_id in self.model.state.hands:
            if self.send_command("hand.lower", {}):
                self.say("Lowering your hand.")
        elif self.send_command("hand.raise", {}):
            self.say("Raising your hand.")

    def set_phase(self, phase: str) -> None:
        if self.send_command("phase.set", {"phase": phase}):
            self.say(f"Moving the group to {PHASE_TITLES.get(phase, phase)}.")

    def action_next_phase(self) -> None:
        state = self.model.state
        if state.session is None:
            self.say("No session is running; press F8 to start one.", error=True)
            return
        current = PHASES.index(state.phase) if state.phase in PHASES else -1
        if current + 1 >= len(PHASES):
            self.say("This is the last phase, closing; press F8 to end the session.")
            return
        self.set_phase(PHASES[current + 1])

    def action_start_or_end_session(self) -> None:
        """F8: start (asking a title, the loaded plan's by default) or end (asking a
        summary, warning about polls that would end unseen, and confirming)."""
        if not isinstance(self.screen, SessionScreen):
            return  # a dialog is already open: F8 again does not stack another
        if self.model.state.session is None:

            def titled(title: str | None) -> None:
                if title is None:
                    self.say("The session was not started.")
                elif self.model.state.session is None and self.send_command("session.start", {"title": title}):
                    self.say("Starting the session.")

            from iop_tui.tui.screens.prompt import PromptScreen

            default = self.plan.title if self.plan is not None and self.plan.title else ""
            question = "Title of the session (Enter starts it; empty numbers it):"
            self.push_screen(PromptScreen(question, "for example: Week 3: Reframing thoughts", value=default, allow_empty=True), titled)
            return

        def ended(choice: dict[str, Any] | None) -> None:
            if choice is None:
                self.say("The session keeps running.")
            elif self.model.state.session is not None and self.send_command("session.end", choice):
                self.say("Ending the session.")

        from iop_tui.tui.screens.end import EndSessionScreen

        self.push_screen(EndSessionScreen(self.model.state), ended)

    def _chat_reply(self) -> None:
        """The palette's reply: bring the chat forward and reply to its selected line."""
        screen = self._session_screen()
        if screen is None:
            return
        self.show_pane("chat", focus=False)

        async def reply() -> None:
            await screen.ensure_body("chat")
            from iop_tui.tui.widgets.chat import ChatPane

            screen.query_one(ChatPane).action_reply()

        self.call_after_refresh(reply)

    def action_load_plan(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.load_plan(path)

        from iop_tui.tui.screens.prompt import PromptScreen

        self.push_screen(PromptScreen("Session plan file to load (TOML):", "for example: ~/plans/week3.toml"), chosen)

    def load_plan(self, path: str) -> None:
        """Read a session plan (iop_tui.core.plan), send its deck (and homework marked
        assign_at_load), and keep its prepared polls and homework at hand in the
        Polls and Homework panes."""
        import datetime as dt

        from iop_tui.core.plan import PlanError, load_plan

        try:
            plan = load_plan(path)
        except PlanError as exc:
            self.say(str(exc), error=True)
            return
        commands = plan.commands(dt.date.today())
        sent = 0
        for kind, data in commands:
            if not self.send_command(kind, data):
                break
            sent += 1
        if sent < len(commands):
            return
        self.plan = plan
        title = f"{plan.title}: " if plan.title else ""
        self.say(
            f"Plan loaded. {title}deck sent; {len(plan.polls)} polls ready in the Polls pane, "
            f"{len(plan.homework)} homework ready in the Homework pane."
        )
        screen = self._session_screen()
        if screen is not None:
            screen.show_model(self.model)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        role = self._role()
        if action in ("next_phase", "start_or_end_session", "load_plan"):
            return role == "facilitator"
        if action == "toggle_hand":
            return role in ("participant", "guest")
        return True

    # -- quick hide ----------------------------------------------------------------

    @property
    def hidden(self) -> bool:
        stack = self.screen_stack
        return bool(stack) and isinstance(stack[-1], HiddenScreen)

    def action_hide(self) -> None:
        """Cover the session at once (F12); it keeps running underneath."""
        if not self.hidden:
            self.clear_notifications()
            self.push_screen(HiddenScreen())

    def action_reveal(self) -> None:
        if self.hidden:
            self.pop_screen()

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        """Notices go to the status line, never to a toast over the panes.

        A toast covered presenter notes and form fields for seconds at 80x24;
        the status line above the footer covers nothing. The one exception is
        a titled notice (a private line someone wrote to you, which must stand
        apart and last): it is also a toast. Nothing is said while the screen
        is hidden (it would show content). Before the session screen exists (a
        fatal screen), Textual's own toast is used.
        """
        if self.hidden:
            return
        if self._session_screen() is not None:
            if kwargs.get("title"):
                self.status(str(message))
                super().notify(message, **kwargs)
                return
            self.status(str(message), error=kwargs.get("severity") == "error")
            return
        super().notify(message, **kwargs)

    def get_system_commands(self, screen: Screen) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Hide the screen", "Cover the session at once; Enter brings it back (F12)", self.action_hide)
        for pane in PANES:
            yield SystemCommand(f"Show pane: {PANE_TITLES[pane]}", f"Bring the {PANE_TITLES[pane]} pane forward", lambda p=pane: self.show_pane(p))
        role = self._role()
        if role in ("participant", "guest"):
            yield SystemCommand("Hand: raise or lower my hand", "Ask to speak, or take your hand down", self.action_toggle_hand)
            yield SystemCommand("Chat: private line to the facilitators", "Only the facilitators read it (R on the chat, or /dm)", lambda: self._chat_reply())
        if role == "facilitator":
            yield SystemCommand("Chat: reply privately to the selected member", "Answer the member of the selected chat line; only they and the facilitators read it (R)", lambda: self._chat_reply())
        if role == "facilitator":
            for phase in PHASES:
                title = PHASE_TITLES[phase].lower()
                yield SystemCommand(f"Phase: {title}", f"Move the whole group to the {title} phase", lambda p=phase: self.set_phase(p))
            yield SystemCommand("Session: start or end", "Start a session, or end the running one", self.action_start_or_end_session)
            yield SystemCommand("Session plan: load a file", "Send a plan's deck, polls and homework", self.action_load_plan)


def _get(obj: Any, name: str) -> Any:
    """Read a field of the connection snapshot, whether a dict or an object."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
