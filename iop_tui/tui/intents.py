"""Carrying out the core's :class:`~iop_tui.core.commands.Outcome` in the full-screen face.

The chat input's typed lines and the keys that build the same intents (D on a
chat line, M, H and R on the People pane) all end here: a refusal is said, a
question is asked in a :class:`~iop_tui.tui.screens.confirm.ConfirmScreen`
(default No) before its sends go, and the sends go through ``send`` (the
pane's, which the app checks and sends). Read-only requests are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iop_tui.core.commands import Outcome

__all__ = ["carry_out"]


def carry_out(
    widget: Any,
    outcome: Outcome,
    *,
    send: Callable[[str, dict[str, Any]], bool],
    say: Callable[..., None],
    refuse: Callable[[str], None],
) -> bool:
    """Do ``outcome``'s sends (after a yes when it asks); False when nothing went
    and the typed line should stay for correcting."""
    if outcome.refusal:
        refuse(outcome.refusal)
        return False

    def go() -> bool:
        for item in outcome.sends:
            if not send(item.kind, item.data):
                return False
        if outcome.done:
            say(outcome.done)
        return True

    if outcome.ask:
        from iop_tui.tui.screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                go()
            elif outcome.declined:
                say(outcome.declined)

        widget.app.push_screen(ConfirmScreen(outcome.ask), answer)
        return True
    return go() if outcome.sends else True
