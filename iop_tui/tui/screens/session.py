"""The session screen: a header line, six panes in tabs, a status line, the footer.

Panes: Check-in, Slides, Polls, Chat, Homework and People (the roster), so
that everything fits at 80 columns by 24 rows. Attributes go down: the app
gives the screen the model (and the loaded plan) with :meth:`SessionScreen.show_model`,
and the screen gives them to every pane. Messages go up: the screen posts
:class:`~iop_tui.tui.messages.ScreenReady`, the panes post theirs
(:mod:`iop_tui.tui.messages`), and the app handles them.

The screen brings panes forward (a key, the palette, a phase) and puts the
focus where the pane in front says it goes (:attr:`~iop_tui.tui.widgets.pane.Pane.FOCUS`),
telling the app's :class:`~iop_tui.tui.focus.FocusKeeper` that this focus
was placed for the person, not by them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Spacing
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import MountError, Widget
from textual.widgets import Footer, TabbedContent, TabPane, Tabs

from iop_tui.core import words
from iop_tui.tui import boardkeys
from iop_tui.tui.focus import FocusKeeper
from iop_tui.tui.messages import Confirm, FieldsSent, FocusPlaced, OpenView, ScreenReady
from iop_tui.tui.screens.journal import JournalScreen
from iop_tui.tui.panekeys import PANES  # tab order: keys 1-6, F1-F6 and Alt+1-6 select them
from iop_tui.tui.widgets.alerts import AlertBanner
from iop_tui.tui.widgets.pane import Pane
from iop_tui.tui.widgets.quiet import QuietTabPane, tab_marked, use_quiet_scrollbars
from iop_tui.tui.widgets.status import HeaderLine, StatusLine

if TYPE_CHECKING:
    from iop_tui.tui.widgets.chat import ChatPane  # imported at run time when the chat is first shown

__all__ = ["SessionScreen", "PANES", "PANE_TITLES", "SHORT_TITLES", "KEYS_HINT", "tab_label", "with_keys"]

#: The status line's second row until the first notice: the keys that reach everything else (one row at 80 columns).
KEYS_HINT = "Keys: F1-F6 panes (1-6 outside a field), Esc leaves a field, Ctrl+P all keys."


def with_keys(sentence: str = "", width: int = 78) -> str:
    """The status line's two rows: ``sentence``, then :data:`KEYS_HINT` on a row of its own,
    so the hint's row is the same before and after the sentence comes and a screen
    reader, which reads each changed row, reads it once (it is one row at 80 columns)."""
    if len(sentence) > width:
        return f"{sentence} {KEYS_HINT}"
    return f"{sentence}\n{KEYS_HINT}"

PANE_TITLES = {
    "checkin": "Check-in",
    "slides": "Slides",
    "polls": "Polls",
    "chat": "Chat",
    "homework": "Homework",
    "people": "People",
}
#: One short word for each tab where the titles do not fit (at 40 columns every tab is still on the row).
SHORT_TITLES = {"checkin": "Mood", "slides": "Show", "polls": "Poll", "chat": "Chat", "homework": "Work", "people": "Who"}
#: Below this many columns the tabs say their short words; below :data:`ROOMY` they sit one column apart.
NARROW, ROOMY = 64, 90


def tab_label(pane: str, width: int, unread: int = 0, private: int = 0) -> str:
    """The tab's label at ``width`` columns: its key number, then its title ("4 Chat (Private 1, 3 unread)";
    "4 Priv" or "4 New" when narrow)."""
    number = PANES.index(pane) + 1
    if width < NARROW:
        word = SHORT_TITLES[pane]
        if pane == "chat" and (private or unread):
            word = "Priv" if private else "New"
        return f"{number} {word}"
    title = PANE_TITLES[pane]
    if pane == "chat":
        counts = ([f"Private {private}"] if private else []) + ([f"{unread} unread"] if unread else [])
        title = f"Chat ({', '.join(counts)})" if counts else "Chat"
    return f"{number} {title}"


def _body(pane: str) -> Pane | None:
    """A new body for the tab ``pane``. Each pane's module is imported the first
    time its pane is shown (after the first frame), so the header and the tab
    row appear at once."""
    body: type[Pane]
    match pane:
        case "checkin":
            from iop_tui.tui.widgets.checkin import CheckinPane as body
        case "slides":
            from iop_tui.tui.widgets.slides import SlidesPane as body
        case "polls":
            from iop_tui.tui.widgets.polls import PollsPane as body
        case "chat":
            from iop_tui.tui.widgets.chat import ChatPane as body
        case "homework":
            from iop_tui.tui.widgets.homework import HomeworkPane as body
        case "people":
            from iop_tui.tui.widgets.people import PeoplePane as body
        case _:
            return None
    return body(id=f"{pane}-pane")


class PaneTabs(TabbedContent):
    """Tabs whose pane changes only by a key, a click or a phase, never by focus.

    Textual brings a pane forward when a widget inside it is focused; a focus
    message that arrives late (after the person or a phase already moved on)
    would then flip the pane back. Here the app moves focus only into the
    active pane, so that rule has nothing to add and is turned off.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.prevent_default()  # the base class's handler would switch panes
        event.stop()


class SessionScreen(Screen[None]):
    """Everything of one live session on one screen."""

    #: The facilitator's kit: J opens the Journal view (members write there; facilitators read counts).
    #: Not in the footer (at 80 columns it is full); the palette and the help teach it.
    #: Shared board and moods over sessions (issue 14 part B; iop_tui/tui/boardkeys.py).
    BINDINGS = [
        Binding("j", "journal", "Journal", show=False, tooltip="Your private journal and the open journaling prompt"),
        Binding("b", "board", "Board", tooltip="The session's shared board: columns of cards", show=False),
        Binding("g", "moods", "Moods", tooltip="Check-in moods over sessions, in figures with a small chart", show=False),
        Binding("ctrl+n", "notices", "Notices", tooltip="Read what the status line said, whole, newest last", show=False),
    ]

    def action_board(self) -> None:
        boardkeys.open_board(self)

    def action_moods(self) -> None:
        boardkeys.open_moods(self)

    def action_notices(self) -> None:
        """Ctrl+N: the status line's recent sentences, whole (a long one is cut there)."""
        from iop_tui.tui.screens.notices import NoticesScreen

        self.app.push_screen(NoticesScreen(self.query_one("#status", StatusLine).history))

    #: Focus is placed by the app (in the active pane); Textual's auto focus
    #: could land in a pane mounted in the background and bring it forward.
    AUTO_FOCUS = None

    #: Textual repaints the whole screen when the focus moves (``Screen.focused``
    #: repaints); the widget that gains the focus and the one that loses it
    #: repaint themselves, which is all that changes: a pane switch or a focus
    #: move on a slow link costs those rows, not a whole screen.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, keeper: FocusKeeper | None = None, *, model: Any = None, plan: Any = None) -> None:
        super().__init__()
        self.keeper = keeper if keeper is not None else FocusKeeper()  # the app's: whose the focus is
        self.model: Any = model  # the session's view model
        self.plan: Any = plan  # the loaded session plan (iop_tui.core.plan.Plan), if any
        self.kept: list[str] = []  # sentences kept as rows of the chat log (see keep_in_chat)

    def compose(self) -> ComposeResult:
        yield HeaderLine("Joining the session…", id="header", markup=False)
        yield AlertBanner(id="alert-banner")  # facilitators: an alert stays here until acknowledged
        with PaneTabs(initial="checkin", id="tabs"):
            for pane in PANES:
                yield QuietTabPane(tab_marked(tab_label(pane, self.app.size.width), pane == PANES[0], self.app.size.width < NARROW), id=pane)
        yield StatusLine("", id="status", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # Ctrl+P is in the keys hint: the footer has room for F1-6

    def on_mount(self) -> None:
        use_quiet_scrollbars()  # no block glyphs for a screen reader to read (iop_tui.tui.widgets.quiet)
        # The first frame already says the group and the keys; the app adds the notices.
        self.query_one("#status", StatusLine).show(with_keys())
        if self.model is not None:
            self.show_model(self.model, self.plan)
        self.post_message(ScreenReady())
        # A pane's body is built the first time it is shown, after the first
        # frame: the header and the tab row appear at once, and a member who
        # never opens a pane never pays for its widgets.
        self.call_after_refresh(self._first_body)

    async def _first_body(self) -> None:
        await self.ensure_body(self.active_pane)
        if self.is_active:
            self._place_focus(self.active_pane)

    @property
    def active_pane(self) -> str:
        """The id of the pane in front ("checkin", "chat", ...)."""
        return self.query_one("#tabs", TabbedContent).active

    async def ensure_body(self, pane: str) -> None:
        """Mount the body of ``pane`` unless it is already there (given the model, it renders it when mounted)."""
        if pane not in PANES:
            return
        tab_pane = self.query_one("#tabs", TabbedContent).get_pane(pane)
        if not tab_pane.is_attached or tab_pane.children:
            return
        body = _body(pane)
        if body is None:
            return
        body.model, body.plan = self.model, self.plan  # shown when it is mounted
        try:
            await tab_pane.mount(body)
        except MountError:
            return  # the app is closing
        if pane == "chat" and self.kept and (chat := self._chat()) is not None:
            chat.local(*self.kept)  # what was kept before the chat was first shown

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_chat_label()
        if event.pane.id:
            await self.ensure_body(event.pane.id)

    def panes(self) -> list[Pane]:
        return list(self.query(Pane))

    def pane(self, pane: str) -> Pane | None:
        """The mounted body of the tab ``pane``, if it has been shown."""
        bodies = self.query(f"#{pane}-pane").results(Pane) if pane in PANES else iter(())
        return next(bodies, None)

    def keep_in_chat(self, text: str) -> None:
        """Keep a sentence as a row of the chat log (this reader's only, like a command's
        answer): a role-play's debrief questions and observer notes, which the two-row
        status line cut at 80 columns and the next notice replaced. Kept until the chat
        is first shown, if it has not been yet."""
        self.kept.append(text)
        if (chat := self._chat()) is not None:
            chat.local(text)

    def _chat(self) -> ChatPane | None:
        """The chat's body, once it has been shown."""
        from iop_tui.tui.widgets.chat import ChatPane  # imported when the chat was first shown

        chat = self.pane("chat")
        return chat if isinstance(chat, ChatPane) else None

    # -- attributes down ------------------------------------------------------

    def show_model(self, model: Any, plan: Any = None) -> None:
        """Render everything from ``model`` (after each batch of notices)."""
        self.model, self.plan = model, plan
        boardkeys.follow(self, model, plan)  # an open board, the agenda's one timer (issue 14 part B)
        for banner in self.query(AlertBanner):  # facilitators: a waiting alert, until acknowledged
            if banner.show_model(model):
                self.app.bell()  # once per alert
        for pane in self.panes():
            pane.model, pane.plan = model, plan
            pane.show_model(model)
        self.refresh_header()
        self.refresh_chat_label()
        for screen in self.app.screen_stack:  # an open Journal view follows the model too
            if isinstance(screen, JournalScreen):
                screen.show_model(model)

    def on_resize(self, event: events.Resize) -> None:
        """A narrower or wider terminal: the header and the tabs are fitted again. Here, not
        in the app's handler, which ran before Textual stored the new size and so fitted them
        to the old width (found by qaf: back at 80 columns they kept the 100-column layout)."""
        self.refresh_header()

    def refresh_header(self) -> None:
        """The header in one row at the terminal's width (it changes only on events and resizes),
        and the tab labels fitted to that width."""
        self.refresh_chat_label()
        if self.model is None:
            return
        width = max(20, self.app.size.width - 2)  # the header's padding: one cell each side
        self.query_one("#header", HeaderLine).show(words.header_fit(self.model, time.time(), width))

    def refresh_chat_label(self) -> None:
        """Every tab's label at the terminal's width; the Chat tab says its unread lines
        ("4 Chat (Private 1, 3 unread)"); the chat in front reads them; the tab in front
        starts with ">" (:func:`iop_tui.tui.widgets.quiet.tab_marked`)."""
        model = self.model
        tabs = self.query_one("#tabs", TabbedContent)
        if model is not None and tabs.active == "chat" and (model.unread_chat or model.unread_private):
            model.mark_chat_read()
        unread, private = (model.unread_chat, model.unread_private) if model is not None else (0, 0)
        width = self.app.size.width
        for pane in PANES:
            tab = tabs.get_tab(pane)
            label = tab_marked(tab_label(pane, width, unread, private), pane == tabs.active, width < NARROW)
            if str(tab.label) != label:
                tab.label = label
            padding = (0, 1) if width >= ROOMY else (0, 0, 0, 0 if pane == PANES[0] else 1)
            if tab.styles.padding != Spacing.unpack(padding):
                tab.styles.padding = padding

    # -- panes forward, and the focus ------------------------------------------------

    def show_pane(self, pane: str, *, focus: bool = True) -> None:
        """Bring ``pane`` forward (mounting its body if needed); ``focus``: into it too."""
        if pane not in PANES:
            return
        self.query_one("#tabs", TabbedContent).active = pane
        self.app.call_after_refresh(self._bring_forward, pane, focus)
        self.refresh_chat_label()
        self.refresh_header()

    async def show_pane_now(self, pane: str) -> None:
        """Bring ``pane`` forward for a pane key, with the focus in it before this returns,
        so the keys read after it reach this pane (:mod:`iop_tui.tui.panekeys`)."""
        if pane not in PANES:
            return
        self.query_one("#tabs", TabbedContent).active = pane
        self.refresh_chat_label()
        self.refresh_header()
        await self.ensure_body(pane)
        if self.is_active and self.active_pane == pane:
            self.keeper.app_placed()
            widget = self.focus_pane(pane)
            if widget is not None:
                self.set_focus(widget)  # now: Widget.focus would move it after the keys already queued
            # Controls mounted with the body (a facilitator's forms) may come first once laid out:
            # the focus settles there then, unless the person has acted since.
            self.app.call_after_refresh(self._settle_focus, pane, widget)

    def _settle_focus(self, pane: str, placed: Widget | None) -> None:
        if self.keeper.auto and self.is_active and self.active_pane == pane and self.focused is placed:
            self.focus_pane(pane)

    async def _bring_forward(self, pane: str, focus: bool) -> None:
        await self.ensure_body(pane)
        if focus and self.is_active and self.active_pane == pane:
            self._place_focus(pane)

    def _place_focus(self, pane: str) -> None:
        self.keeper.app_placed()
        self.focus_pane(pane)

    def focus_pane(self, pane: str) -> Widget | None:
        """Put the focus where the pane ``pane`` says it goes (its first control shown).

        Returns the widget focused, or None when the pane's body is not there yet.
        """
        body = self.pane(pane)
        return body.focus_first() if body is not None else None

    @on(Confirm)
    def _confirm(self, message: Confirm) -> None:
        """A pane asks before what cannot be undone: a dialog whose default is No."""
        from iop_tui.tui.screens.confirm import ConfirmScreen  # loaded when first asked

        message.stop()
        self.app.push_screen(ConfirmScreen(message.question, yes=message.yes, no=message.no), message.answer)

    @on(OpenView)
    def _open_view(self, message: OpenView) -> None:
        """A full-screen view over the session: the resources and the feed (issue 15)."""
        from iop_tui.tui.screens.between import BetweenScreen

        message.stop()
        self.app.push_screen(BetweenScreen(self.model))

    @on(FocusPlaced)
    def _focus_placed(self, message: FocusPlaced) -> None:
        """A pane focused a widget on its own: the app's, until the person acts."""
        message.stop()
        self.keeper.placed(message.widget, message.time, self.focused if self.is_active else None)

    @on(FieldsSent)
    def _fields_sent(self, message: FieldsSent) -> None:
        message.stop()
        self.keeper.fields_sent(message.pane)

    def action_journal(self) -> None:
        """The Journal view (J): the open prompt to write, and the journal to read."""
        if self.model is not None and self.model.me is not None:
            self.app.push_screen(JournalScreen(self.model))

    def leave_field(self) -> None:
        """Move the focus to the tab row, where 1-6 switch panes."""
        self.query_one("#tabs", TabbedContent).query_one(Tabs).focus()
