"""One member in one group: a :class:`Connection` feeding a :class:`SessionModel`.

A face (the Textual app or the plain screen-reader mode) needs only this::

    session = ClientSession(url, token)
    unsubscribe = session.subscribe(lambda notices: ...)  # after every frame
    task = asyncio.create_task(session.run())
    command_id = session.send("chat.send", {"text": "hello"})
    ...
    await session.close()

Every frame the connection reports is folded into ``session.model`` first,
then every subscriber is called with the frame's notices (possibly an empty
list, so a face can refresh what the frame changed). ``run()`` returns when
the session is closed or the relay refused it for good; then ``done`` is
True and ``fatal_message`` holds the sentence to show, if any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from protocol.errors import ErrorCode, ProtocolError
from protocol.roles import may

from iop_tui.core import words
from iop_tui.core.connection import DEFAULT_BACKOFF, Connection
from iop_tui.core.model import Notice, SessionModel

__all__ = ["ClientSession", "Subscriber"]

Subscriber = Callable[[list[Notice]], None]


class ClientSession:
    """A member's live session: connection, model and subscribers."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        resume_from: int | None = None,
        client_name: str = "iop-tui",
        backoff: Iterable[float] = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url
        self.model = SessionModel()
        self.connection = Connection(url, token, resume_from=resume_from, client_name=client_name, backoff=backoff)
        self._subscribers: list[Subscriber] = []
        self._remove_listener = self.connection.add_listener(self._on_frame)
        self.done = False

    # -- notices ------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(notices)`` after every frame; returns a function that stops it."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _on_frame(self, frame: dict[str, Any]) -> None:
        notices = self.model.apply(frame)
        for callback in list(self._subscribers):
            callback(notices)

    # -- state a face reads --------------------------------------------------------

    @property
    def fatal_message(self) -> str | None:
        """Why the relay refused this client for good (None while it may still connect). A
        removal the log said (a guest's invitation ending with the family session, a token
        revoked) is said in its own words, not the close code's "You were removed"."""
        fatal = self.connection.fatal_message
        if fatal is not None and self.model.removal is not None and self.model.me is not None and self.model.me.removed:
            return self.model.removal
        return fatal

    @property
    def pending(self) -> int:
        """Commands sent or queued but not yet answered."""
        return self.connection.pending

    # -- commands -------------------------------------------------------------------

    def send(self, kind: str, data: dict[str, Any] | None = None, *, typed: str = "") -> str:
        """Send a command; returns its id. ``typed`` is the line the person typed for it
        (:attr:`iop_tui.core.commands.Outcome.typed`): kept until the relay answers, and
        given back (:meth:`SessionModel.take_returned_line`) if the relay refuses it.

        Raises :class:`~protocol.errors.ProtocolError` with one sentence when
        the command is malformed, when this member's role may not send it, or
        when the session has ended. While offline the command waits in the
        outbox and goes out (once) when the connection is back.
        """
        role = self.model.role
        if role is not None and not may(role, kind):
            raise ProtocolError(ErrorCode.FORBIDDEN, words.forbidden_text(role, kind))
        cid = self.connection.send(kind, data)
        if not typed and kind == "chat.send" and data:
            typed = str(data.get("text", ""))
        if typed:
            self.model.note_line(cid, typed)  # given back if the relay refuses it
        return cid

    # -- running --------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until :meth:`close` or a final refusal (see :attr:`fatal_message`)."""
        try:
            await self.connection.run()
        finally:
            self.done = True

    def retry_now(self) -> None:
        """Reconnect now instead of waiting out the backoff."""
        self.connection.retry_now()

    async def close(self) -> None:
        """Leave the session: close the connection (``run()`` then returns)."""
        await self.connection.close()
