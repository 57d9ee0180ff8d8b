"""Carrying out the core's :class:`~iop_tui.core.commands.Outcome` in the full-screen face.

The chat input's typed lines and the keys that build the same intents (D on a
chat line, M, H and R on the People pane) all end here: a refusal is said, a
question is asked in a dialog (default No) before its sends go, and the sends
go up to the app as one :class:`~iop_tui.tui.messages.SendOutcome` (the app
checks the role and sends them in order, stopping at the first that cannot
go; then says ``done``). Read-only requests are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable

from iop_tui.core.commands import Outcome
from iop_tui.tui.messages import SendOutcome
from iop_tui.tui.widgets.pane import Pane

__all__ = ["carry_out"]


def carry_out(pane: Pane, outcome: Outcome, *, refuse: Callable[[str], None], then: Callable[[], None] | None = None) -> bool:
    """Post ``outcome``'s sends from ``pane`` (after a yes when it asks). ``then`` is
    called once they all went. True when what was typed may be cleared now: False
    after a refusal (the line stays for correcting) and while sends are on their
    way (``then`` clears it once they went)."""
    if outcome.refusal:
        refuse(outcome.refusal)
        return False
    if not outcome.sends:
        return True
    if outcome.ask:

        def answer(yes: bool | None) -> None:
            if yes:
                pane.post_message(SendOutcome(outcome))
            elif outcome.declined:
                pane.say(outcome.declined)

        pane.confirm(outcome.ask, answer)
        return True
    pane.post_message(SendOutcome(outcome, then=then))
    return then is None
