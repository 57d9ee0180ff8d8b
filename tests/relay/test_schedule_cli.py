"""``iop-server schedule`` and ``iop-server member``: a facilitator plans eight weeks and a member's reminders, as typed."""

from __future__ import annotations

import datetime as _dt
import json

from icalendar import Calendar
from tests.support.procs import run_cli


def cli(*args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_facilitator_plans_eight_weeks_a_family_session_and_a_cancellation(tmp_path):
    data = ("--data", str(tmp_path))
    today = _dt.date.today()
    first = today + _dt.timedelta(days=14 - today.weekday() + 1)  # a Tuesday two weeks on or so
    thursday, next_tuesday = first + _dt.timedelta(days=2), first + _dt.timedelta(days=7)
    cli("group", "create", "Tuesday IOP for depression", "--facilitator", "Dana", *data)
    cli("invite", "Tuesday IOP for depression", "--name", "Sam", *data)
    said = cli("schedule", "set", "Tuesday IOP for depression", "--tz", "Europe/Paris", "--label", "Evening group",
               "--join", "iop-tui join wss://clinic.example/", *data)
    assert "Europe/Paris" in said and "'Evening group'" in said
    said = cli("schedule", "add", "Tuesday IOP for depression", "--weekly", "TU,TH", "--at", "18:00", "--minutes", "90",
               "--from", first.isoformat(), "--weeks", "8", *data)
    last = first + _dt.timedelta(weeks=8) - _dt.timedelta(days=1)
    assert said.startswith(f"Added rule 1 to Tuesday IOP for depression: weekly on TU,TH at 18:00 for 90 min, group, from {first} until {last}.")
    cli("schedule", "add", "1", "--on", thursday.isoformat(), "--at", "17:00", "--minutes", "60", "--kind", "family", *data)
    assert f"Cancelled in Tuesday IOP for depression: Tue {next_tuesday} 18:00 group session." in cli(
        "schedule", "cancel", "1", "--on", next_tuesday.isoformat(), *data)
    listing = json.loads(cli("schedule", "list", "1", "--json", "--days", "120", *data))
    sessions = listing["sessions"]
    assert len(sessions) == 17 and [s["kind"] for s in sessions].count("family") == 1
    assert [s["local"] for s in sessions if s["cancelled"]] == [f"Tue {next_tuesday} 18:00"]
    ics = run_cli("schedule", "list", "1", "--ics", "-", "--days", "120", *data)
    events = Calendar.from_ical(ics.stdout).walk("VEVENT")
    assert len(events) == 17 and "depression" not in ics.stdout and "Evening group" in ics.stdout
    said = cli("member", "1", "--name", "sam", "--reminders", "on", "--email", "sam@example.org", "--sms", "+1 555 0100",
               "--before", "2h", "--quiet", "22:00-07:00", *data)
    assert said.startswith("Sam (id 2) in Tuesday IOP for depression: reminders on, by email and sms; 120 minutes before; quiet hours 22:00-07:00")
    assert json.loads(cli("member", "1", "--id", "2", "--json", *data))["sms"] == "+15550100"
    assert "Removed rule 2" in cli("schedule", "remove", "1", "2", *data)


def test_schedule_mistakes_are_one_sentence_with_exit_code_2(tmp_path):
    data = ("--data", str(tmp_path))
    cli("group", "create", "G", "--facilitator", "Dana", *data)
    for args, words in [
        (("schedule", "set", "G", "--tz", "Mars/Olympus"), "is not a time zone"),
        (("schedule", "add", "G", "--weekly", "XX", "--at", "18:00"), "is not a day of the week"),
        (("schedule", "add", "G", "--on", "2030-01-01", "--at", "25:00"), "is not a time of day"),
        (("schedule", "add", "G", "--on", "2030-02-30", "--at", "18:00"), "is not a day"),
        (("schedule", "remove", "G", "9"), "has no schedule rule 9"),
        (("member", "G", "--name", "Dana", "--email", "dana"), "does not look like an email address"),
        (("member", "G", "--name", "Dana", "--before", "forever"), "is not a lead time"),
    ]:
        result = run_cli(*args, *data)
        assert result.returncode == 2, args
        assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr
