"""The schedule's pure parts (protocol/schedule.py), its store tables, and what the client makes of a ``schedule`` frame."""

from __future__ import annotations

import datetime as _dt
import time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from iop_tui.core import words
from iop_tui.core.calendar import answer, save_ics
from iop_tui.core.commands import Context, interpret
from iop_tui.core.model import SessionModel
from protocol.messages import command_frame, parse_command
from protocol.schedule import (
    MAX_WIRE_SESSIONS,
    ReminderPrefs,
    Rule,
    calendar_ics,
    clean_email,
    next_session,
    occurrences,
    parse_days,
    parse_lead,
    parse_quiet,
    parse_schedule,
    schedule_frame,
    send_at,
)
from server.store import Store

pytestmark = pytest.mark.unit

PARIS = ZoneInfo("Europe/Paris")


def at(tz: ZoneInfo, *args: int) -> float:
    return _dt.datetime(*args, tzinfo=tz).timestamp()


def test_a_weekly_session_keeps_its_local_time_across_a_daylight_saving_change():
    rule = Rule(1, "group", _dt.date(2026, 3, 17), _dt.time(18, 0), 90, ("TU",), _dt.date(2026, 4, 7))
    found = occurrences([rule], [], PARIS, at(PARIS, 2026, 3, 1), at(PARIS, 2026, 5, 1))
    assert [o.local(PARIS).strftime("%a %d %H:%M") for o in found] == ["Tue 17 18:00", "Tue 24 18:00", "Tue 31 18:00", "Tue 07 18:00"]
    # 17:00 UTC before the change on 29 March, 16:00 UTC after it
    assert [_dt.datetime.fromtimestamp(o.start, _dt.UTC).hour for o in found] == [17, 17, 16, 16]


def test_eight_weeks_on_two_days_are_sixteen_sessions_and_a_cancelled_day_stays_marked():
    rule = Rule(3, "group", _dt.date(2026, 12, 1), _dt.time(18, 0), 90, parse_days("tue,Thursday"), _dt.date(2027, 1, 25))
    found = occurrences([rule], ["2026-12-24"], PARIS, at(PARIS, 2026, 11, 30), at(PARIS, 2027, 6, 1))
    assert len(found) == 16
    assert [o.key for o in found if o.cancelled] == ["3-2026-12-24T18:00"]
    view = parse_schedule(schedule_frame(group_id=1, tz="Europe/Paris", label="L", join="J", sessions=found, reminders=None))
    assert next_session(view, at(PARIS, 2026, 12, 22, 20, 0)).key == "3-2026-12-29T18:00"  # the 24th is skipped


def test_a_session_under_way_is_still_coming_and_one_that_ended_is_not():
    rule = Rule(1, "family", _dt.date(2026, 12, 10), _dt.time(17, 0), 60)
    assert len(occurrences([rule], [], PARIS, at(PARIS, 2026, 12, 10, 17, 30), at(PARIS, 2026, 12, 31))) == 1
    assert occurrences([rule], [], PARIS, at(PARIS, 2026, 12, 10, 18, 0), at(PARIS, 2026, 12, 31)) == []


def test_the_calendar_file_parses_back_with_stable_uids_the_label_and_cancellations():
    rule = Rule(2, "group", _dt.date(2026, 12, 1), _dt.time(18, 0), 90, ("TU",), _dt.date(2026, 12, 15))
    found = occurrences([rule], ["2026-12-08T18:00"], PARIS, at(PARIS, 2026, 11, 30), at(PARIS, 2027, 1, 1))
    data = calendar_ics(found, label="Evening group", join="iop-tui join wss://x/", group_id=7, now=time.time())
    events = Calendar.from_ical(data).walk("VEVENT")
    assert [e.get("dtstart").dt for e in events] == [_dt.datetime(2026, 12, d, 17, 0, tzinfo=_dt.UTC) for d in (1, 8, 15)]
    assert [str(e.get("status")) for e in events] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    assert {str(e.get("summary")) for e in events} == {"Evening group: group session"}
    again = calendar_ics(found, label="Evening group", join="j", group_id=7, now=time.time())
    assert [str(e.get("uid")) for e in Calendar.from_ical(again).walk("VEVENT")] == [str(e.get("uid")) for e in events]


def test_a_reminder_due_in_quiet_hours_moves_to_their_end_or_else_before_them():
    prefs = ReminderPrefs(True, "a@b.org", lead=60, quiet=parse_quiet("22:00-07:00"))
    # a session at 07:30: due 06:30 is quiet; 07:00 is still before the session
    assert send_at(at(PARIS, 2026, 12, 2, 7, 30), prefs, PARIS) == at(PARIS, 2026, 12, 2, 7, 0)
    # a session at 06:00: due 05:00 is quiet and the quiet hours end after it: the evening before, at 22:00
    assert send_at(at(PARIS, 2026, 12, 2, 6, 0), prefs, PARIS) == at(PARIS, 2026, 12, 1, 22, 0)
    assert send_at(at(PARIS, 2026, 12, 2, 18, 0), prefs, PARIS) == at(PARIS, 2026, 12, 2, 17, 0)


@pytest.mark.parametrize(("text", "minutes"), [("30m", 30), ("2h", 120), ("1d", 1440), ("90 minutes", 90)])
def test_lead_times_read_as_minutes(text, minutes):
    assert parse_lead(text) == minutes


@pytest.mark.parametrize("text", ["0m", "8d", "soon", "", "-1h"])
def test_a_wrong_lead_time_is_refused_with_a_sentence(text):
    with pytest.raises(ValueError, match="30m, 2h or 1d"):
        parse_lead(text)


def test_a_hostile_schedule_frame_is_read_as_far_as_it_is_valid_and_bounded():
    frame = {
        "kind": "schedule", "tz": "../../etc/passwd", "label": "x" * 10_000, "join": 5,
        "sessions": [{"key": "k", "start": 1.8e9, "minutes": 60, "kind": "group"}] * (MAX_WIRE_SESSIONS + 50)
        + [{"start": "soon", "minutes": 60, "kind": "group"}, {"start": 1.8e9, "minutes": 60, "kind": "séance"}, "junk"],
        "reminders": {"consent": "yes", "email": ["a"], "lead": 10**9, "quiet": "25:00-99:00"},
    }
    view = parse_schedule(frame)
    assert view.tz == "UTC" and len(view.label) == 80 and view.join == ""
    assert len(view.sessions) == MAX_WIRE_SESSIONS
    assert view.reminders == ReminderPrefs(False, "", "", 60, None)


def test_the_store_keeps_rules_cancellations_and_choices_and_bumps_the_revision(tmp_path):
    store = Store(tmp_path / "data")
    gid = store.create_group("G")
    member, _ = store.add_member(gid, "Sam", "participant")
    rid = store.add_schedule_rule(gid, Rule(0, "workshop", _dt.date(2026, 12, 1), _dt.time(9, 30), 45, ("MO", "WE"), None))
    store.cancel_sessions(gid, "2026-12-02")
    before = store.schedule_revisions()[gid]
    store.set_reminder_prefs(member, consent=True, sms="+15550100")
    assert store.schedule_revisions()[gid] == before + 1
    assert store.schedule_rules(gid) == [Rule(rid, "workshop", _dt.date(2026, 12, 1), _dt.time(9, 30), 45, ("MO", "WE"), None)]
    assert store.schedule_cancellations(gid) == ["2026-12-02"]
    assert [m.name for m, _ in store.reminder_members(gid)] == ["Sam"]
    assert store.remove_schedule_rule(gid, rid) and store.schedule_rules(gid) == []
    store.close()


def _model_with(frame: dict) -> SessionModel:
    model = SessionModel()
    model.apply({"kind": "welcome", "member": {"id": 2, "name": "Sam", "role": "participant"}, "group": {"id": 1, "name": "G"},
                 "roster": [], "limits": {}, "head_seq": 0, "mode": "reset", "replay_from": 1})
    return model


def test_the_client_says_the_next_session_once_and_lists_the_coming_ones(tmp_path):
    start = (int(time.time()) // 60 + 90) * 60
    when = _dt.datetime.fromtimestamp(start, _dt.UTC)
    rule = Rule(1, "group", when.date(), when.time(), 60)
    found = occurrences([rule], [], ZoneInfo("UTC"), time.time(), time.time() + 86400)
    frame = schedule_frame(group_id=1, tz="UTC", label="Evening group", join="ask Dana", sessions=found,
                           reminders=ReminderPrefs(True, "sam@example.org", lead=120))
    model = _model_with(frame)
    notices = model.apply(frame)
    assert [n.text for n in notices] == [words.next_session_text(model.schedule, time.time())]
    assert notices[0].text.startswith("Next: ") and ", group session" in notices[0].text
    assert model.apply(frame) == []  # the same schedule again says nothing
    lines = answer("schedule", None, model)
    assert any("ask Dana" in line for line in lines)
    assert any(line.startswith("Reminders: on, by email to sam@example.org, 2 hours before") for line in lines)
    said = save_ics(model.schedule, str(tmp_path / "mine.ics"))
    assert said.startswith("Saved 1 session to ") and (tmp_path / "mine.ics").stat().st_mode & 0o777 == 0o600
    assert len(Calendar.from_ical((tmp_path / "mine.ics").read_bytes()).walk("VEVENT")) == 1


def test_reminders_commands_send_one_change_and_refuse_a_bad_address_in_one_sentence():
    model = _model_with({})
    ctx = Context(model)
    on = interpret("/reminders on", ctx)
    assert [(s.kind, s.data["consent"]) for s in on.sends] == [("reminders.set", True)]
    quiet = interpret("/reminders quiet 22:00-7:00", ctx)
    assert quiet.sends[0].data["quiet"] == "22:00-07:00"
    assert interpret("/reminders sms off", ctx).sends[0].data["sms"] == ""
    assert interpret("/reminders before 2h", ctx).sends[0].data["lead"] == 120
    for send in (on, quiet):
        parse_command(command_frame(send.sends[0].kind, "x", send.sends[0].data))  # valid on the wire
    bad = interpret("/reminders email sam-at-example", ctx)
    assert bad.refusal == "'sam-at-example' does not look like an email address; give one like sam@example.org."
    assert interpret("/reminders loud", ctx).refusal == words.REMINDERS_USAGE
    assert interpret("/schedule", ctx).refusal == words.SCHEDULE_NOT_YET
    assert clean_email(" a@b.org ") == "a@b.org"


def test_the_full_screen_header_says_the_next_session_and_still_says_the_connection_whole_at_80_columns():
    start = time.time() + 20 * 86400  # far enough for a long date
    occ = occurrences([Rule(1, "workshop", _dt.date.fromtimestamp(start), _dt.time(18, 0), 60)], [], ZoneInfo("UTC"), time.time(), start + 86400)
    model = _model_with({})
    model.group_name = "Tuesday evening intensive outpatient group"
    model.apply(schedule_frame(group_id=1, tz="UTC", label="L", join="J", sessions=occ, reminders=None))
    model.apply({"kind": "status", "state": "connected"})
    header = words.header_fit(model, time.time(), 80)
    assert len(header) <= 80 and header.endswith("· connected")
    assert "Next: " in header and ", workshop" in header


def test_a_relays_schedule_frames_read_the_group_once_per_revision_and_leave_out_sessions_ended_since(tmp_path):
    from server.schedule import Schedules

    store = Store(tmp_path / "data")
    gid = store.create_group("Tuesday IOP")
    sam, _ = store.add_member(gid, "Sam", "participant")
    begins = _dt.datetime.now(_dt.UTC).replace(second=0, microsecond=0) + _dt.timedelta(minutes=2)
    rule = store.add_schedule_rule(gid, Rule(0, "group", begins.date(), begins.time(), 1))
    revision = store.schedule_revisions()[gid]
    frames = Schedules(store)
    during = begins.timestamp() + 30
    assert [s["start"] for s in frames.frame_for(gid, sam, "participant", during, revision)["sessions"]] == [begins.timestamp()]
    store.remove_schedule_rule(gid, rule)  # not yet seen by the relay: the same revision
    assert len(frames.frame_for(gid, sam, "participant", during + 5, revision)["sessions"]) == 1, "read once per revision"
    assert frames.frame_for(gid, sam, "participant", during + 31, revision)["sessions"] == [], "it ended meanwhile"
    assert frames.frame_for(gid, sam, "participant", during, store.schedule_revisions()[gid])["sessions"] == []
    store.close()
