"""The messages the Textual face's widgets and screens post up to the app.

Textual's convention, kept throughout ``iop_tui.tui``: attributes go down
(the app gives the session screen the model and the loaded plan, the screen
gives them to every pane) and messages go up. A pane never calls the app: it
posts one of these, the message bubbles through the screen to the app, and
the app's ``@on(...)`` handler acts (sends the command through the session,
says a sentence on the status line, opens a dialog). So a pane can be tested
on its own: its actions are the messages it posts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.widget import Widget

__all__ = [
    "SendCommand",
    "SendOutcome",
    "Say",
    "Moderate",
    "Confirm",
    "FieldsSent",
    "FocusPlaced",
    "ScreenReady",
    "SessionNotices",
    "SessionStopped",
    "OpenView",
]


class SendCommand(Message):
    """Send ``kind`` with ``data`` to the relay.

    The app checks the person's role and the session, then sends. If the
    command cannot go, the app says why in one sentence and nothing else
    happens. Once it went, the app says ``said`` (when given) and calls
    ``then`` (when given): what follows a sent command (clearing a form,
    moving the focus) happens only when it was sent, so nothing typed is
    lost to a refusal.
    """

    def __init__(self, kind: str, data: dict[str, Any], *, said: str = "", then: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.data = data
        self.said = said
        self.then = then


class SendOutcome(Message):
    """Send the commands of a typed line's or a key's intent
    (:class:`iop_tui.core.commands.Outcome`), in order, stopping at the first that
    cannot go (the app says why); once all went, the app says ``outcome.done`` and
    calls ``then``."""

    def __init__(self, outcome: Any, *, then: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.then = then


class Say(Message):
    """One sentence for the person: on the status line, and (``toast`` and
    ``error``) as a toast too. ``toast=False`` only updates the status line
    (a sentence repeated while the person types)."""

    def __init__(self, text: str, *, error: bool = False, toast: bool = True) -> None:
        super().__init__()
        self.text = text
        self.error = error
        self.toast = toast


class Moderate(Message):
    """A facilitator acts on one member: ``what`` is mute, unmute, lower (their
    hand) or remove (asked first); ``entry`` is their roster entry."""

    def __init__(self, what: str, entry: Any) -> None:
        super().__init__()
        self.what = what
        self.entry = entry


class Confirm(Message):
    """Ask ``question`` before what cannot be undone; ``answer(True)`` after a yes,
    ``answer(False)`` after a no (the dialog's default, ``no``)."""

    def __init__(self, question: str, answer: Callable[[bool | None], None], *, yes: str = "Yes", no: str = "No, keep it") -> None:
        super().__init__()
        self.question = question
        self.answer = answer
        self.yes = yes
        self.no = no


class FieldsSent(Message):
    """What the person typed in ``pane`` was sent: it no longer holds that pane in front."""

    def __init__(self, pane: Widget) -> None:
        super().__init__()
        self.pane = pane


class FocusPlaced(Message):
    """A pane moved the focus to ``widget`` on its own initiative (not the person's):
    until the person's next key, a phase change may still move it."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget


class ScreenReady(Message):
    """The session screen is composed: its header, tabs and status line exist."""


class SessionNotices(Message):
    """The session reported frames; its notices wait in the app (coalesced into one repaint)."""

    def __init__(self, notices: list[Any]) -> None:
        super().__init__()
        self.notices = notices


class SessionStopped(Message):
    """``session.run()`` returned or failed; ``sentence`` says why (or is empty)."""

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence


class OpenView(Message):
    """Open a full-screen view over the session (``"between"``: the pinned
    resources and the between-session feed, :mod:`iop_tui.tui.screens.between`)."""

    def __init__(self, view: str) -> None:
        super().__init__()
        self.view = view
