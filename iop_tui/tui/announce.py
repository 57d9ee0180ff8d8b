"""Notices said on the screen, and the phase the member follows (Textual face).

Every notice from the session (:class:`iop_tui.core.session.Notice`) is one
sentence on the status line above the footer, said once and never as a toast
over the panes; a private line someone wrote to you stays there 15 seconds. A
chat line or check-in is not said there while its pane is in front, showing it.
A phase notice brings the phase's pane forward for a member, unless they are
typing: then it says which key shows the pane, and the typing goes on where
it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iop_tui.core import words
from iop_tui.tui.lean import take_hint
from iop_tui.tui.safety import MEASURE_HINT
from iop_tui.tui.screens.session import KEYS_HINT, PANE_TITLES, PANES, with_keys
from iop_tui.tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from iop_tui.tui.app import IopApp

__all__ = ["announce", "open_on_phase", "toast_too", "KEYS_HINT", "PRIVATE_NOTICE_S"]

#: Seconds a private line's notice stays on screen (group chat gets none).
PRIVATE_NOTICE_S = 15
PHASE_NOTICE_KINDS = frozenset({"phase", "phase.changed"})
#: Seconds the slow-link hint (iop_tui.tui.lean) stays on the status line after a join.
HINT_HOLD_S = 10
#: Notices whose words the pane they concern shows as a row of its own: while that pane is in
#: front they are not said again on the status line (a screen reader read each twice).
SHOWN_IN_PANE = frozenset({"chat.posted", "checkin.submitted", "checkin.note"})
#: Notices whose words are also kept as a row of the chat log, the group's one log (qaf): a
#: role-play's cast, cue card, observer notes and debrief questions were said only on the
#: status line, cut at 80 columns and gone with the next notice. Said on the status line
#: too unless the chat is in front (it shows the row).
KEPT_IN_CHAT = frozenset({"roleplay.started", "roleplay.cue", "roleplay.noted", "roleplay.ended", "roleplay.shared"})


def announce(app: IopApp, notice: Any) -> None:
    """Say one notice: the status line, a toast for problems and private lines; follow a phase."""
    level = getattr(notice, "level", "info")
    text = getattr(notice, "text", "")
    live = getattr(notice, "live", True)
    if not text or not live:
        return
    kind = getattr(notice, "kind", "")
    pane = getattr(notice, "pane", None)
    if kind in PHASE_NOTICE_KINDS:
        if pane in PANE_TITLES:
            text = _follow_phase(app, text, pane)
        app.notify(text, markup=False, timeout=6)
        app.status(text)
    elif level == "error":
        app.notify(text, severity="error", markup=False, timeout=8)
        app.status(text, error=True)
    elif level == "warning":
        app.notify(text, severity="warning", markup=False, timeout=6)
        app.status(text)
    elif kind == "chat.posted" and private_from_others(app.model, notice):
        # A private line stands apart: it stays on screen for 15 seconds.
        app.notify(text, title="Private line", severity="warning", markup=False, timeout=PRIVATE_NOTICE_S)
        app.status(text)
    elif kind == "welcome":
        app.status(with_keys(text, max(20, app.size.width - 2)))
        if (hint := take_hint(app)) and (screen := app.session_screen()) is not None:  # a slow terminal or link, once: held a while
            for line in screen.query("#status").results(StatusLine):
                line.hold(f"{text} {hint}", HINT_HOLD_S)
    elif kind == "measure.given" and not app.model.is_facilitator:
        app.status(f"{text} {MEASURE_HINT}")
    elif kind in KEPT_IN_CHAT:
        screen = app.session_screen()
        if screen is not None:
            screen.keep_in_chat(text)
        if _pane_in_front(app) != "chat":
            app.status(text)
    elif kind in SHOWN_IN_PANE and pane is not None and _pane_in_front(app) == pane:
        return  # the pane in front shows it: said there once, not again on the status line
    elif kind != "synced":
        app.status(text)
    else:
        _caught_up(app)


def _caught_up(app: IopApp) -> None:
    """A reconnect's "catching up" is replaced once it has caught up (qam: it stayed on for good)."""
    screen = app.session_screen()
    if screen is None:
        return
    for line in screen.query("#status").results(StatusLine):
        if str(getattr(line, "shown_text", "")).endswith("; catching up."):
            line.show(words.CAUGHT_UP.format(group=app.model.group_name))


def _pane_in_front(app: IopApp) -> str | None:
    screen = app.session_screen()
    return screen.active_pane if screen is not None and app.screen is screen else None


def open_on_phase(app: IopApp, screen: Any) -> bool:
    """Once the view is synced, a join or rejoin opens on the pane of the phase the
    session is in (unless the person is typing). True once done (the model is synced)."""
    model = app.model
    if not model.synced:
        return False
    pane = words.phase_pane(model.state.phase) if model.state.session is not None else None
    if pane in PANES and pane != screen.active_pane and not app.is_typing():
        app.show_pane(pane)
    return True


def toast_too(app: IopApp, message: str, kwargs: dict[str, Any]) -> bool:
    """The app's ``notify``: notices go to the status line, never to a toast over the
    panes. At 80x24 a toast covered notes and fields for seconds, and a console screen
    reader read the rows under it again when it came and when it went (seven times one
    sentence in 80 s). A titled notice (a private line someone wrote to you) is held on
    the status line for its timeout (:meth:`iop_tui.tui.widgets.status.StatusLine.hold`).
    Nothing is said while the screen is hidden; before the session screen exists (a
    fatal screen), Textual's own toast is used. True when Textual's toast is to be shown too."""
    if app.hidden:
        return False
    if app.session_screen() is None:
        return True
    if getattr(app, "low_bandwidth", False):  # --low-bandwidth: no toast covers rows (iop_tui.tui.lean)
        app.status(str(message), error=kwargs.get("severity") == "error")
        return False
    if kwargs.get("title"):  # a private line: it stays on the status line, never over a pane
        screen = app.session_screen()
        for line in screen.query("#status").results(StatusLine) if screen is not None else ():
            line.hold(str(message), float(kwargs.get("timeout") or PRIVATE_NOTICE_S))
        return False
    app.status(str(message), error=kwargs.get("severity") == "error")
    return False


def _follow_phase(app: IopApp, text: str, pane: str) -> str:
    """Name the pane in the sentence; bring it forward for a member who is not typing."""
    title = PANE_TITLES[pane]
    if title.lower() not in text.lower():
        text = f"{text.rstrip('.')} — {title.lower()}."
    if not app.model.is_facilitator:
        if app.is_typing():
            text = words.phase_waiting_text(app.model.state.phase, title, f"F{PANES.index(pane) + 1}")
        else:
            app.show_pane(pane)
    return text


def private_from_others(model: Any, notice: Any) -> bool:
    """Whether a chat notice is a private-thread line someone else wrote."""
    seq = getattr(notice, "seq", None)
    line = next((c for c in reversed(model.state.chat) if c.message_id == seq), None)
    return line is not None and line.thread is not None and line.member_id != model.me_id
