"""Pane keys over a full-screen view: the board, the journal, moods over sessions, the resources.

The footer under a view teaches "F1-6 Panes" (the app's bindings), and the keys
hint says the digits 1 to 6 work outside a text field. Over a view the app's
binding changed the pane hidden under it, and nothing visible happened. Here a
pane key over a view closes the view as its Escape does (the journal saves what
was typed first; the board keeps a field being typed in, where digits are text)
and then brings the pane forward, as the key does everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from iop_tui.tui.panekeys import PANES

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    _View = Screen[Any]  # the mixin is only ever mixed into a Screen
else:
    _View = object

__all__ = ["PANE_KEY_BINDINGS", "PaneKeysClose"]

#: F1 to F6, Alt+1 to Alt+6 and 1 to 6 over a view (a text field in focus takes digits as text first).
PANE_KEY_BINDINGS = [
    Binding("1,f1,alt+1", f"pane_key('{PANES[0]}')", "Panes", key_display="F1-6", tooltip="Close this view and show a pane"),
    *(Binding(f"{n},f{n},alt+{n}", f"pane_key('{pane}')", f"Close and show pane {n}", show=False) for n, pane in enumerate(PANES[1:], 2)),
]


class PaneKeysClose(_View):
    """Mixed into a view's Screen: its ``close_for_pane`` closes it as Escape does (True when closed)."""

    action_close: Callable[[], None]  # each view's Escape

    def close_for_pane(self) -> bool:
        """Close as the view's Escape does (its ``action_close``; the journal's saves first). A view
        that must keep something being typed overrides this and returns False then (the board)."""
        self.action_close()
        return True

    def action_pane_key(self, pane: str) -> None:
        if self.close_for_pane():
            self.app.call_later(self.app.run_action, f"show_pane('{pane}')")  # Textual's own App API
