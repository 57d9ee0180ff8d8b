"""The on-call watch: an urgent request nobody online can see goes to the group's on-call email.

When a member asks for urgent help (``urgent.raised``) or the relay raises an
alert (``alert.raised``, from a check-in or a questionnaire), the watch looks
again after ``after`` seconds: if the alert is still unacknowledged and no
facilitator of the group is connected, it emails the group's on-call address
(``iop-server group set GROUP --on-call EMAIL``) through the
:class:`~server.notify.Notifier`. While a facilitator is connected it keeps
looking every ``after`` seconds until someone acknowledges.

The email names the member, the group and the time, and nothing clinical: no
words of the member's, no mood, no answer. Once the SMTP server accepted it
the relay logs ``urgent.emailed`` (facilitators only), and an alert with that
event is never emailed again, across restarts too: :meth:`OnCall.resume`
looks at every group with an on-call address when the relay starts. A message
the server refused is tried again after ``retry`` seconds.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
from typing import Any

from protocol.events import Draft, Event
from protocol.roles import FACILITATORS

from .hub import Hub, Room
from .notify import Notifier, NotifyError

__all__ = ["OnCall", "ON_CALL_AFTER", "email_text"]

log = logging.getLogger("iop.server")

#: Seconds an alert waits for a connected facilitator before the on-call email.
ON_CALL_AFTER = 120.0
#: Seconds before a refused email is tried again.
RETRY_AFTER = 60.0

ALERT_EVENTS = ("urgent.raised", "alert.raised")


def email_text(member: str, group: str, ts: float) -> tuple[str, str]:
    """The on-call email's subject and body: who, where and when; nothing clinical."""
    when = _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    subject = f"iop-tui: {member} in {group} needs a facilitator now"
    body = (
        f"{member}, a member of the group {group}, needs a facilitator's attention: "
        f"an urgent request was made at {when}, and no facilitator was connected.\n\n"
        "Join the group with iop-tui to read it and acknowledge it, or follow your program's crisis procedure.\n"
    )
    return subject, body


class OnCall:
    """Watches one hub's alerts and emails the on-call address when nobody is online."""

    def __init__(self, hub: Hub, notifier: Notifier, *, after: float = ON_CALL_AFTER, retry: float = RETRY_AFTER) -> None:
        self.hub = hub
        self.notifier = notifier
        self.after = after
        self.retry = retry
        self._timers: dict[tuple[int, int], asyncio.TimerHandle] = {}
        self._sending: dict[tuple[int, int], asyncio.Task[Any]] = {}
        hub.watcher = self.watch

    def watch(self, room: Room, events: list[Event]) -> None:
        """Hub callback: start the clock of every new alert."""
        for event in events:
            if event.type in ALERT_EVENTS:
                self._schedule(room.group.id, event.seq, self.after)

    def resume(self) -> None:
        """At start: every alert of a group with an on-call address that was neither
        acknowledged nor emailed before the relay stopped gets its clock again."""
        for group_id in self.hub.store.groups_on_call():
            room = self.hub.room(group_id)
            for alert in room.state.unacknowledged():
                if not alert.emailed:
                    self._schedule(group_id, alert.alert_id, self.after)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._sending.values():
            task.cancel()

    async def wait_sent(self) -> None:
        """Wait for the emails being handed to the SMTP server now (tests, shutdown)."""
        while self._sending:
            await asyncio.gather(*list(self._sending.values()), return_exceptions=True)

    def _schedule(self, group_id: int, alert_id: int, delay: float) -> None:
        key = (group_id, alert_id)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        self._timers[key] = asyncio.get_running_loop().call_later(delay, self._due, group_id, alert_id)

    def _due(self, group_id: int, alert_id: int) -> None:
        key = (group_id, alert_id)
        self._timers.pop(key, None)
        room = self.hub.rooms.get(group_id)
        alert = room.state.alerts.get(alert_id) if room is not None else None
        if room is None or alert is None or alert.acknowledged_by is not None or alert.emailed or key in self._sending:
            return
        if self.hub.facilitators_online(room):
            self._schedule(group_id, alert_id, self.after)  # look again while nobody has acknowledged
            return
        on_call = self.hub.store.group_settings(group_id).on_call
        if not on_call:
            log.warning("An urgent request in %s went unseen and the group has no on-call address; set one with 'iop-server group set'.", room.group.name)
            return
        task = asyncio.get_running_loop().create_task(self._send(room, alert_id, on_call))
        self._sending[key] = task
        task.add_done_callback(lambda _t: self._sending.pop(key, None))

    async def _send(self, room: Room, alert_id: int, to: str) -> None:
        alert = room.state.alerts[alert_id]
        subject, body = email_text(room.state.name_of(alert.member_id), room.group.name, alert.ts)
        try:
            await self.notifier.send(to, subject, body)
        except NotifyError as exc:
            log.warning("%s", exc)
            self._schedule(room.group.id, alert_id, self.retry)
            return
        room = self.hub.rooms.get(room.group.id, room)
        self.hub.record(room, [Draft("urgent.emailed", FACILITATORS, {"alert_id": alert_id, "member_id": alert.member_id, "to": to})])
        log.info("emailed the on-call address of %s about an urgent request", room.group.name)
