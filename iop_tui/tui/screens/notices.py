"""The notices view (Ctrl+N): what the status line said, whole, newest last.

The status line keeps two rows whatever a sentence's length (a line that grew
would move and repaint every pane); a longer sentence is cut there with words
saying so and this key. Here each recent sentence is a row of a list, wrapped
whole, the newest selected ("> " marks it, not colour alone),
so a long refusal or notice is never lost to the cut.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.widgets.option_list import Option

from iop_tui.core import words
from iop_tui.tui.screens.viewkeys import PANE_KEY_BINDINGS, PaneKeysClose
from iop_tui.tui.widgets.cursor_list import CursorOptionList
from iop_tui.tui.widgets.text import plain

__all__ = ["NoticesScreen"]


class NoticesScreen(PaneKeysClose, ModalScreen[None]):
    BINDINGS = [*PANE_KEY_BINDINGS, Binding("escape,q,ctrl+n", "close", "Close")]  # a pane key closes it (viewkeys)

    DEFAULT_CSS = """
    NoticesScreen { align: center middle; }
    #notices-box { width: 80; height: auto; max-height: 22; border: round $accent; padding: 0 1; background: $surface; }
    #notices-list { height: auto; max-height: 19; border: none; }
    """

    def __init__(self, sentences: Iterable[str]) -> None:
        super().__init__()
        self.sentences = list(sentences)

    def compose(self) -> ComposeResult:
        with Vertical(id="notices-box"):
            yield Static(words.NOTICES_HEAD, id="notices-head", markup=False)
            rows = self.sentences or [words.NOTICES_NONE]
            yield CursorOptionList(*(Option(plain(text)) for text in rows), id="notices-list", compact=True)

    def on_mount(self) -> None:
        listing = self.query_one("#notices-list", CursorOptionList)
        listing.focus()
        listing.highlighted = listing.option_count - 1  # the newest, at the bottom

    def action_close(self) -> None:
        self.dismiss(None)
