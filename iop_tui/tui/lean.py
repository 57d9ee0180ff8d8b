"""The full-screen face on a slow link: ``--low-bandwidth``, and the hint to use it (issue 17).

:func:`prepare` is called by the launcher on the app before it runs. With
``--low-bandwidth`` (:func:`iop_tui.core.terminal.low_bandwidth`) the face
draws less: no colour codes at all (the launcher sets ``NO_COLOR``; with the
ANSI theme that leaves bold, dim and reverse), no decoration
(:file:`lean.tcss`: no rule in the footer; the active tab is said by
reverse video), and no toasts: every notice is said
on the status line only (a toast covers rows and repaints them twice).
Animations are already off and nothing ticks.

Without it, when the terminal is an old or slow one or the relay was slow to
answer (:func:`iop_tui.core.terminal.slow_link_reason`), the status line says
once, when the session is joined, one line naming the switch
(:func:`iop_tui.core.words.low_bandwidth_hint`, through :func:`take_hint`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iop_tui.core import words
from iop_tui.core.terminal import low_bandwidth, slow_link_reason

__all__ = ["prepare", "take_hint", "LEAN_TCSS"]

#: The styles of ``--low-bandwidth``, read after the app's own.
LEAN_TCSS = Path(__file__).with_name("lean.tcss")


def prepare(app: Any, connect_s: float | None = None) -> None:
    """Before the app runs: draw lean under ``--low-bandwidth``, or keep the hint to say at the start."""
    app.low_bandwidth = low_bandwidth()
    if app.low_bandwidth:
        app.css_path = [*app.css_path, LEAN_TCSS]
    reason = slow_link_reason(connect_s=connect_s)
    app.start_hint = words.low_bandwidth_hint(reason) if reason else None


def take_hint(app: Any) -> str | None:
    """The hint, once (the first welcome's status line says it in place of the keys: no toast,
    which a console screen reader would read again with every row it covers)."""
    hint = getattr(app, "start_hint", None)
    app.start_hint = None
    return hint
