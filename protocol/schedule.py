"""A group's schedule and a member's reminder choices: pure computations and the wire shape.

Contract:

- A schedule is a set of :class:`Rule` rows (weekly on given days at a local
  time, or one-off on one day), each with a :class:`~protocol.sessionkind.SessionKind`
  and a length, in the group's time zone (an IANA name such as
  ``Europe/Paris``), plus cancelled days or occurrences. :func:`occurrences`
  expands it with ``dateutil.rrule`` into concrete :class:`Occurrence` values
  (a start in seconds since the epoch, UTC), so a weekly session keeps its
  local time across a daylight-saving change.
- An occurrence's ``key`` (``"<rule id>-<local start>"``, e.g. ``3-2026-12-01T18:00``) is stable: it names
  the same session in the store's reminder outbox, in a calendar file's UID and
  on the wire.
- :func:`calendar_ics` writes a list of occurrences as an iCalendar file
  (``icalendar``), one VEVENT per occurrence with a stable UID, cancelled ones
  with ``STATUS:CANCELLED``. It carries the group's public label, never its
  name or anything clinical.
- The ``schedule`` frame (:func:`schedule_frame`, :func:`parse_schedule`)
  brings the coming occurrences, the time zone, the public label, how to join
  and the member's own reminder choices to a client. Every count and length
  is bounded here (:data:`MAX_WIRE_SESSIONS` ...), and a frame that does not fit
  is read as far as it is valid.
- Reminder choices (:class:`ReminderPrefs`): nothing is sent without consent;
  a lead time; quiet hours in the group's time zone. :func:`send_at` says when
  a reminder for an occasion goes out, or None if it should not.

Nothing here performs I/O; ``dateutil``, ``icalendar`` and ``zoneinfo`` are pure
computation here.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .sessionkind import SESSION_KINDS

__all__ = [
    "DAYS",
    "MAX_RULES",
    "MAX_WIRE_SESSIONS",
    "MAX_LEAD_MINUTES",
    "DEFAULT_LEAD_MINUTES",
    "MAX_SESSION_MINUTES",
    "HORIZON_DAYS",
    "Rule",
    "Occurrence",
    "ReminderPrefs",
    "ScheduleView",
    "zone",
    "parse_days",
    "parse_clock",
    "parse_lead",
    "parse_quiet",
    "clean_email",
    "clean_phone",
    "occurrences",
    "calendar_ics",
    "schedule_frame",
    "parse_schedule",
    "in_quiet",
    "send_at",
    "next_session",
    "coming",
]

#: Weekday codes as the CLI, the store and iCalendar's BYDAY spell them, Monday first.
DAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Rules one group may hold (each weekly rule may cover several days).
MAX_RULES = 50
#: Occurrences one schedule frame carries at most (the next weeks, cancelled ones included).
MAX_WIRE_SESSIONS = 64
#: How far ahead the schedule frame, `iop-server schedule list` and the calendar file look.
HORIZON_DAYS = 70
#: The longest lead time a member may choose: one week.
MAX_LEAD_MINUTES = 7 * 24 * 60
DEFAULT_LEAD_MINUTES = 60
#: The longest session: eight hours.
MAX_SESSION_MINUTES = 8 * 60
#: Bounds on the free text the wire carries (label, how to join, time zone name).
MAX_LABEL = 80
MAX_JOIN = 200
MAX_ZONE = 64
MAX_ADDRESS = 254

_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_LEAD = re.compile(r"(\d{1,4})\s*(m|min|minutes?|h|hours?|d|days?)", re.IGNORECASE)
_LOCAL = "%Y-%m-%dT%H:%M"


def zone(name: str) -> ZoneInfo:
    """The time zone ``name`` (an IANA name), or ValueError with a sentence."""
    try:
        if not name or len(name) > MAX_ZONE or name.startswith(("/", ".")) or ".." in name:
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone; give one like Europe/Paris or America/New_York.") from None


def parse_days(text: str) -> tuple[str, ...]:
    """``"TU,TH"`` (or ``"tue thu"``, ``"Tuesday,Thursday"``) -> ``("TU", "TH")``, in week order."""
    found: set[str] = set()
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        code = part[:2].upper()
        if code not in DAYS or len(part) > 9:
            raise ValueError(f"{part!r} is not a day of the week; give days like TU,TH or Tuesday,Thursday.")
        found.add(code)
    if not found:
        raise ValueError("Give at least one day of the week, like TU or TU,TH.")
    return tuple(d for d in DAYS if d in found)


def parse_clock(text: str) -> _dt.time:
    """``"18:00"`` -> 18:00, or ValueError with a sentence."""
    m = _CLOCK.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text.strip()!r} is not a time of day; give one like 18:00.")
    return _dt.time(int(m.group(1)), int(m.group(2)))


def parse_lead(text: str) -> int:
    """``"90m"``, ``"2h"``, ``"1d"`` -> minutes (1 to a week), or ValueError with a sentence."""
    m = _LEAD.fullmatch(text.strip())
    minutes = 0
    if m is not None:
        unit = m.group(2)[0].lower()
        minutes = int(m.group(1)) * {"m": 1, "h": 60, "d": 24 * 60}[unit]
    if not 1 <= minutes <= MAX_LEAD_MINUTES:
        raise ValueError(f"{text.strip()!r} is not a lead time; give one like 30m, 2h or 1d (at most 7 days).")
    return minutes


def parse_quiet(text: str) -> tuple[_dt.time, _dt.time] | None:
    """``"22:00-07:00"`` (or ``"22:00 to 07:00"``) -> (22:00, 07:00); ``"off"`` or ``""`` -> None."""
    text = text.strip()
    if text.lower() in ("", "off", "none"):
        return None
    parts = re.split(r"\s*(?:-|–|\bto\b)\s*", text, maxsplit=1)
    if len(parts) != 2:
        raise ValueError(f"{text[:40]!r} are not quiet hours; give them like 22:00 to 07:00, or off.")
    start, end = parts
    first, last = parse_clock(start), parse_clock(end)
    if first == last:
        raise ValueError("Quiet hours need a different start and end, like 22:00-07:00.")
    return first, last


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{5,24}")


def clean_email(text: str) -> str:
    """A tidy email address, '' for none, or ValueError with a sentence."""
    text = text.strip()
    if text and (len(text) > MAX_ADDRESS or not _EMAIL.fullmatch(text)):
        raise ValueError(f"{text[:60]!r} does not look like an email address; give one like sam@example.org.")
    return text


def clean_phone(text: str) -> str:
    """A phone number with its spacing removed, '' for none, or ValueError with a sentence."""
    text = text.strip()
    if text and not _PHONE.fullmatch(text):
        raise ValueError(f"{text[:40]!r} does not look like a phone number; give one like +15550100.")
    return re.sub(r"[ ().-]", "", text)


def _clock_text(t: _dt.time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


@dataclass(frozen=True)
class Rule:
    """One row of a schedule: weekly on ``days`` from ``first`` to ``last``, or once on ``first``."""

    id: int
    kind: str
    first: _dt.date
    at: _dt.time
    minutes: int
    days: tuple[str, ...] = ()  # empty: one-off on ``first``
    last: _dt.date | None = None  # weekly: the last day it may fall on (None: no end)

    @property
    def weekly(self) -> bool:
        return bool(self.days)


@dataclass(frozen=True)
class Occurrence:
    """One session the schedule plans."""

    key: str  # "<rule id>-<local start>", stable
    start: float  # seconds since the epoch
    minutes: int
    kind: str
    cancelled: bool = False

    def local(self, tz: ZoneInfo) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.start, tz)

    def to_wire(self) -> dict[str, Any]:
        return {"key": self.key, "start": self.start, "minutes": self.minutes, "kind": self.kind, "cancelled": self.cancelled}


def occurrences(
    rules: Iterable[Rule], cancelled: Iterable[str], tz: ZoneInfo, after: float, before: float, limit: int = MAX_WIRE_SESSIONS,
) -> list[Occurrence]:
    """The occurrences that end after ``after`` and start before ``before``, in time order, at most ``limit``.

    ``cancelled`` holds local days (``YYYY-MM-DD``: every session that day) or
    local starts (``YYYY-MM-DDTHH:MM``: that one); those come back with
    ``cancelled=True`` so a calendar can show them as cancelled.
    """
    off = set(cancelled)
    lo = _dt.datetime.fromtimestamp(after, tz)
    hi = _dt.datetime.fromtimestamp(before, tz)
    found: list[Occurrence] = []
    for rule in rules:
        begin = _dt.datetime.combine(rule.first, rule.at)
        if rule.weekly:
            until = _dt.datetime.combine(rule.last, rule.at) if rule.last is not None else None
            byday = [getattr(rrule, d) for d in rule.days]
            # Naive local datetimes: the rule recurs at the same wall-clock time across DST changes.
            window_lo = max(begin, lo.replace(tzinfo=None) - _dt.timedelta(minutes=rule.minutes))
            if until is not None and until < window_lo:
                continue
            starts = rrule.rrule(rrule.WEEKLY, dtstart=begin, byweekday=byday, until=until).between(
                window_lo, hi.replace(tzinfo=None), inc=True
            )
        else:
            starts = [begin]
        for naive in starts[: limit * 2]:
            start = naive.replace(tzinfo=tz)
            stamp = start.timestamp()
            if stamp + rule.minutes * 60 <= after or stamp >= before:
                continue
            local = naive.strftime(_LOCAL)
            found.append(Occurrence(f"{rule.id}-{local}", stamp, rule.minutes, rule.kind, local in off or local[:10] in off))
    found.sort(key=lambda o: (o.start, o.key))
    return found[:limit]


def calendar_ics(occurrences_: Iterable[Occurrence], *, label: str, join: str, group_id: int, now: float) -> bytes:
    """An iCalendar file of these occurrences: the public label, the time, how to join; nothing clinical."""
    cal = Calendar()
    cal.add("prodid", "-//iop-tui//schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", label)
    stamp = _dt.datetime.fromtimestamp(now, _dt.UTC).replace(microsecond=0)
    for occ in occurrences_:
        event = CalendarEvent()
        event.add("uid", f"iop-tui-{group_id}-{occ.key.replace(':', '')}@iop-tui")
        event.add("dtstamp", stamp)
        event.add("dtstart", _dt.datetime.fromtimestamp(occ.start, _dt.UTC))
        event.add("duration", _dt.timedelta(minutes=occ.minutes))
        event.add("summary", f"{label}: {occ.kind} session")
        event.add("description", f"How to join: {join}")
        event.add("status", "CANCELLED" if occ.cancelled else "CONFIRMED")
        cal.add_component(event)
    return bytes(cal.to_ical())


# -- a member's reminder choices -------------------------------------------------


@dataclass(frozen=True)
class ReminderPrefs:
    """What one member chose: consent first; addresses only the member and the store hold."""

    consent: bool = False
    email: str = ""
    sms: str = ""
    lead: int = DEFAULT_LEAD_MINUTES  # minutes before the occasion
    quiet: tuple[_dt.time, _dt.time] | None = None  # local, in the group's time zone

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c, address in (("email", self.email), ("sms", self.sms)) if address)

    @property
    def quiet_text(self) -> str:
        return f"{_clock_text(self.quiet[0])}-{_clock_text(self.quiet[1])}" if self.quiet else ""

    def to_wire(self) -> dict[str, Any]:
        return {"consent": self.consent, "email": self.email, "sms": self.sms, "lead": self.lead, "quiet": self.quiet_text}


def in_quiet(moment: _dt.datetime, quiet: tuple[_dt.time, _dt.time] | None) -> bool:
    """Whether the local ``moment`` falls in the quiet hours (which may span midnight)."""
    if quiet is None:
        return False
    start, end = quiet
    now = moment.time().replace(second=0, microsecond=0)
    if start < end:
        return start <= now < end
    return now >= start or now < end


def send_at(occasion: float, prefs: ReminderPrefs, tz: ZoneInfo) -> float:
    """When the reminder for an occasion at ``occasion`` goes out: ``lead`` minutes
    before, moved out of the quiet hours — to their end if that is still before
    the occasion, otherwise to their start (earlier), so it still comes first."""
    due = _dt.datetime.fromtimestamp(occasion - prefs.lead * 60, tz)
    if not in_quiet(due, prefs.quiet):
        return due.timestamp()
    assert prefs.quiet is not None
    start, end = prefs.quiet
    later = due.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if later <= due:
        later += _dt.timedelta(days=1)
    later = later.replace(tzinfo=None).replace(tzinfo=tz)  # the wall-clock time that day
    if later.timestamp() < occasion:
        return later.timestamp()
    earlier = due.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if earlier > due:
        earlier -= _dt.timedelta(days=1)
    return earlier.replace(tzinfo=None).replace(tzinfo=tz).timestamp()


# -- the wire: the ``schedule`` frame -----------------------------------------------


@dataclass(frozen=True)
class ScheduleView:
    """What a client knows of its group's schedule, from the last ``schedule`` frame."""

    tz: str = "UTC"
    label: str = ""
    join: str = ""
    sessions: tuple[Occurrence, ...] = ()
    reminders: ReminderPrefs | None = None  # the member's own; None for a guest
    group_id: int = 0

    @property
    def zone(self) -> ZoneInfo:
        try:
            return zone(self.tz)
        except ValueError:
            return ZoneInfo("UTC")


def schedule_frame(
    *, group_id: int, tz: str, label: str, join: str, sessions: Iterable[Occurrence], reminders: ReminderPrefs | None,
) -> dict[str, Any]:
    """The ``schedule`` frame: not part of the log; sent after ``welcome`` and whenever it changes."""
    return {
        "kind": "schedule",
        "group_id": group_id,
        "tz": tz,
        "label": label,
        "join": join,
        "sessions": [o.to_wire() for o in list(sessions)[:MAX_WIRE_SESSIONS]],
        "reminders": reminders.to_wire() if reminders is not None else None,
    }


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse_schedule(frame: dict[str, Any]) -> ScheduleView:
    """Read a ``schedule`` frame as far as it is valid: bounded counts and lengths, known kinds only."""
    tz = _text(frame.get("tz"), MAX_ZONE) or "UTC"
    try:
        zone(tz)
    except ValueError:
        tz = "UTC"
    sessions: list[Occurrence] = []
    raw = frame.get("sessions")
    for item in (raw if isinstance(raw, list) else [])[:MAX_WIRE_SESSIONS]:
        if not isinstance(item, dict):
            continue
        start, minutes, kind = item.get("start"), item.get("minutes"), item.get("kind")
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not 0 <= start < 2**33:
            continue
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_SESSION_MINUTES:
            continue
        if kind not in SESSION_KINDS:
            continue
        sessions.append(Occurrence(_text(item.get("key"), 40), float(start), minutes, str(kind), item.get("cancelled") is True))
    sessions.sort(key=lambda o: o.start)
    prefs: ReminderPrefs | None = None
    wire = frame.get("reminders")
    if isinstance(wire, dict):
        lead = wire.get("lead")
        try:
            quiet = parse_quiet(_text(wire.get("quiet"), 11))
        except ValueError:
            quiet = None
        prefs = ReminderPrefs(
            wire.get("consent") is True,
            _text(wire.get("email"), MAX_ADDRESS),
            _text(wire.get("sms"), 32),
            lead if isinstance(lead, int) and not isinstance(lead, bool) and 1 <= lead <= MAX_LEAD_MINUTES else DEFAULT_LEAD_MINUTES,
            quiet,
        )
    gid = frame.get("group_id")
    return ScheduleView(
        tz, _text(frame.get("label"), MAX_LABEL), _text(frame.get("join"), MAX_JOIN), tuple(sessions), prefs,
        gid if isinstance(gid, int) and not isinstance(gid, bool) else 0,
    )


def coming(view: ScheduleView, now: float) -> list[Occurrence]:
    """The sessions not yet over, in order (cancelled ones included, marked)."""
    return [o for o in view.sessions if o.start + o.minutes * 60 > now]


def next_session(view: ScheduleView, now: float) -> Occurrence | None:
    """The next session that is not cancelled and has not ended."""
    return next((o for o in coming(view, now) if not o.cancelled), None)

