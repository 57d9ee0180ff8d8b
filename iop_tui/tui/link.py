"""The app's end of the session (Textual face): run it, and hear from it.

:class:`SessionLink` runs ``session.run()`` in a worker of the app and posts
:class:`~iop_tui.tui.messages.SessionStopped` (with one sentence saying why)
when it returns or fails; the face never shows a traceback. The session's
notices arrive through its subscription, possibly hundreds at once (a replay
after a reconnect): they wait in :attr:`SessionLink.pending` and one
:class:`~iop_tui.tui.messages.SessionNotices` message asks for one repaint.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from protocol.errors import ProtocolError

from iop_tui.tui.messages import SessionNotices, SessionStopped

__all__ = ["SessionLink"]


class SessionLink:
    """Runs one session for one app and coalesces its notices."""

    def __init__(self, app: App[Any], session: Any) -> None:
        self.app = app
        self.session = session
        self.pending: list[Any] = []  # notices not yet shown
        self._posted = False  # a SessionNotices message is on its way
        self._unsubscribe: Any = None

    def start(self) -> None:
        """Subscribe to the session's notices and run it in a worker."""
        self._unsubscribe = self.session.subscribe(self._heard)
        self.app.run_worker(self._run(), name="session", group="session", exit_on_error=False)

    def delivered(self) -> None:
        """The SessionNotices message arrived: the next notice posts a new one."""
        self._posted = False

    def take(self) -> list[Any]:
        """The notices waiting to be shown, oldest first."""
        notices, self.pending = self.pending, []
        return notices

    def _heard(self, notices: list[Any]) -> None:
        """Session callback: coalesce bursts (a replay) into one repaint."""
        self.pending.extend(notices)
        if not self._posted:
            self._posted = True
            self.app.post_message(SessionNotices([]))

    async def _run(self) -> None:
        sentence = ""
        try:
            await self.session.run()
        except ProtocolError as exc:
            sentence = exc.message
        except OSError as exc:
            sentence = f"The connection failed ({exc.__class__.__name__}); check the address and your network, then join again."
        except Exception as exc:  # the face must never show a traceback
            sentence = f"The session stopped unexpectedly ({exc.__class__.__name__}); quit and join again."
        self.app.post_message(SessionStopped(sentence))
