"""Pane keys act before the keys that follow them (Textual face).

1-6, F1-F6 and Alt+1-6 bring a pane forward. Alt+1-6 are there because a
link that bunches packets delivers Escape and a digit typed after it together,
and the terminal parser then reads them as one key, Alt and the digit.

Textual runs a key binding late: the key is forwarded to the focused widget,
bubbles back up to the app, and only then runs the action, whose focus move
(``Widget.focus``) is itself deferred. Keys that arrived in the same read are
already queued by then, and they would reach the pane that was in front. So
the app's key filter (:class:`iop_tui.tui.keyburst.KeyBurst`) brings the pane
forward here, mounting its body and placing the focus before it returns, and
only then reads the next key.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PANES", "PANE_KEYS", "bring_forward_now"]

#: Pane ids in tab order; keys 1-6 (and F1-F6, Alt+1-6) select them.
PANES = ("checkin", "slides", "polls", "chat", "homework", "people")

#: Key name -> pane id. A digit is a pane key only outside a text field (there it is text).
PANE_KEYS: dict[str, str] = {
    key: pane for number, pane in enumerate(PANES, 1) for key in (str(number), f"f{number}", f"alt+{number}")
}


async def bring_forward_now(app: Any, pane: str) -> bool:
    """Bring ``pane`` forward with the focus in it before returning; False when the
    session screen is not the one in front (a dialog, the hidden screen), where the
    key is handled as Textual would."""
    screen = app.session_screen()
    if screen is None or app.screen is not screen or not app.check_action("show_pane", (pane,)):
        return False
    await screen.show_pane_now(pane)
    return True
