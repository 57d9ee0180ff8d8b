"""The full-screen face as a console screen reader hears it (issue 12, the full-screen part).

A console screen reader (Fenrir, speakup) reads the screen's cells: every row
whose text changes is read whole, and the row the terminal cursor moves to is
read when nothing else changed. So these tests read the rendered 80x24 screen
and the row under the terminal cursor (``app.cursor_position``), on real
clients joined to a real relay, driven by keys through Textual's pilot. The
figures under the real screen reader are bench/tui_speech.py's.
"""

from __future__ import annotations

import sys

from tests.support.apphelp import joined, screen_text, type_into, wait_until
from tests.support.plainpty import client_env
from tests.support.rawpty import RawTerminal
from tests.support.wsclient import RawClient

from iop_tui.tui.screens.session import KEYS_HINT
from iop_tui.tui.widgets.quiet import BLOCK_GLYPHS, QuietTabPane


def cursor_row(app) -> str:
    """The screen row the terminal cursor rests on: what a screen reader reads after a focus move."""
    return screen_text(app).splitlines()[app.cursor_position.y]


def rows(app) -> list[str]:
    return screen_text(app).splitlines()


async def _start(app, pilot) -> None:
    app.session.send("session.start", {"title": "Week 3"})
    await wait_until(pilot, lambda: app.session.model.state.session is not None, "the session to start")


async def test_no_pane_shows_a_widget_name_or_a_block_glyph_for_either_role(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        dana.session.send("poll.open", {"question": "How was the week?", "poll_kind": "single", "options": ["Good", "Hard"]})
        await wait_until(dpilot, lambda: dana.session.model.state.open_polls(), "the poll")
        for who, whose in ((dana, dpilot), (app, pilot)):
            for key in ("f1", "f2", "f3", "f4", "f5", "f6"):
                await whose.press(key)
                await whose.pause(0.3)
                shown = screen_text(who)
                assert "TabPane" not in shown, f"a widget's name on pane {key}:\n{shown}"
                glyphs = sorted(set(shown) & BLOCK_GLYPHS)
                assert not glyphs, f"block glyphs {glyphs} on pane {key} ({who.session.model.role}):\n{shown}"


def test_a_tab_whose_body_is_not_built_yet_draws_nothing() -> None:
    assert QuietTabPane("1 Check-in", id="checkin").render() == ""


async def test_a_text_field_row_says_its_label_and_what_it_holds(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.session_screen().query("#checkin-mood") and app.focused is not None, "the check-in form")
        await type_into(pilot, app, "#checkin-mood", "4")
        await pilot.pause(0.2)
        assert "Mood, 0 (very low) to 10 (very good): 4" in cursor_row(app)
        for selector, label in (("#checkin-feelings", "Feeling words"), ("#checkin-note", "Note (optional):"),
                                ("#checkin-location", "Where you are")):
            app.session_screen().query_one(selector).focus()
            await pilot.pause(0.2)
            assert label in cursor_row(app), f"{selector}: the row under the cursor is {cursor_row(app)!r}"
        await dpilot.press("3")
        await wait_until(dpilot, lambda: dana.session_screen().query("#poll-question"), "the poll form")
        for selector, label in (("#poll-question", "Question:"), ("#poll-options", "Options:"), ("#poll-correct", "correct option")):
            field = dana.session_screen().query_one(selector)
            field.focus()
            await dpilot.pause(0.2)
            assert label in cursor_row(dana), f"{selector}: the row under the cursor is {cursor_row(dana)!r}"


async def test_buttons_and_choices_sit_one_a_row_so_each_move_reads_its_own_row(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam.token) as (app, pilot):
        await _start(dana, dpilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.session_screen().query("#checkin-submit"), "the check-in form")
        app.session_screen().query_one("#checkin-submit").focus()
        await pilot.pause(0.2)
        first = app.cursor_position.y
        assert "Submit check-in" in cursor_row(app) and "Pass" not in cursor_row(app)
        await pilot.press("tab")
        await pilot.pause(0.2)
        assert app.cursor_position.y == first + 1 and cursor_row(app).strip() == "> Pass", "the button in focus says so in text"
        app.session_screen().query_one("#checkin-note-to").focus()
        await pilot.pause(0.2)
        assert cursor_row(app).strip() == "> (x) Facilitators only", cursor_row(app)


async def test_the_pane_in_front_is_marked_by_a_symbol_in_the_high_contrast_theme(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token, theme="high-contrast") as (app, pilot):
        assert rows(app)[1].lstrip().startswith(">1 Check-in"), rows(app)[1]
        await pilot.press("3")
        await pilot.pause(0.2)
        tab_row = rows(app)[1]
        assert ">3 Polls" in tab_row and ">1" not in tab_row, tab_row


async def test_the_check_in_round_is_moved_through_row_by_row_with_a_marker(seeded) -> None:
    sam, alex = seeded.participants[0], seeded.participants[1]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await _start(dana, dpilot)
        async with RawClient(seeded.url, sam.token) as s, RawClient(seeded.url, alex.token) as a:
            await s.wait_synced()
            await a.wait_synced()
            await s.command("checkin.submit", {"mood": 3, "feelings": ["tired"], "note": "", "note_to": "facilitators"})
            await a.command("checkin.submit", {"mood": 7, "feelings": ["calm"], "note": "", "note_to": "facilitators"})
        await wait_until(dpilot, lambda: len(dana.session.model.state.checkins) == 2, "both check-ins")
        await dpilot.press("6")
        await dpilot.press("1")
        await wait_until(dpilot, lambda: dana.focused is not None and dana.focused.id == "checkin-round", "the focus on the round")
        await dpilot.pause(0.2)
        assert cursor_row(dana).strip().startswith("> Checked in: 2 of"), cursor_row(dana)
        await dpilot.press("down")
        await dpilot.pause(0.2)
        assert cursor_row(dana).strip().startswith("> Sam: mood 3; feeling tired."), cursor_row(dana)
        await dpilot.press("down")
        await dpilot.pause(0.2)
        assert cursor_row(dana).strip().startswith("> Alex: mood 7; feeling calm."), cursor_row(dana)
        assert sum(1 for r in rows(dana) if r.strip().startswith(">")) == 2  # the tab in front and this row


async def test_the_footer_says_which_keys_bring_a_pane_forward_in_a_text_field_and_stays_the_same(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await wait_until(dpilot, lambda: "Joined" in "\n".join(rows(dana)[-3:-1]), "the welcome")
        assert rows(dana)[-2].strip() == KEYS_HINT, "the keys hint has a row of its own"
        await _start(dana, dpilot)
    async with joined(seeded.url, sam.token) as (app, pilot):
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "checkin-mood", "the mood field")
        await pilot.pause(0.2)
        in_field = rows(app)[-1]
        assert "F1-6 Panes" in in_field, in_field
        await pilot.press("4")
        assert app.session_screen().query_one("#checkin-mood").value == "4", "a digit in a field is text"
        await pilot.press("escape", "6")
        await pilot.pause(0.2)
        assert app.session_screen().active_pane == "people"
        # The same footer in and out of a text field: a footer that changed with each such
        # focus move was read instead of the focused row.
        assert rows(app)[-1] == in_field, (rows(app)[-1], in_field)


async def test_a_private_line_is_said_once_on_the_status_line_and_covers_no_row(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token, notifications=True) as (dana, dpilot):
        await _start(dana, dpilot)
        await dpilot.press("6")
        await dpilot.pause(0.3)
        before = rows(dana)[3:-3]  # the pane's rows
        async with RawClient(seeded.url, sam.token) as s:
            await s.wait_synced()
            await s.command("chat.send", {"text": "can we talk after?", "to": "facilitators"})
            await wait_until(dpilot, lambda: "can we talk after?" in "\n".join(rows(dana)[-3:-1]), "the private line on the status line")
            await s.command("chat.send", {"text": "hello all"})
            await wait_until(dpilot, lambda: len(dana.session.model.state.chat) == 2, "the group line")
        await dpilot.pause(0.3)
        assert not dana._notifications, "a toast over the panes"
        status = "\n".join(rows(dana)[-3:-1])
        assert "Private to facilitators, Sam: can we talk after?" in status, "a group line replaced the private line at once"
        after = rows(dana)[3:-3]
        assert [r for r in after if "Sam" not in r] == [r for r in before if "Sam" not in r], "a row of the pane changed"


async def test_a_linux_console_is_sent_no_mode_query_it_would_print_as_pp(seeded, tmp_path) -> None:
    env = client_env(tmp_path / "config")
    env["TERM"] = "linux"  # the console, and what Fenrir's terminal emulation is
    argv = [sys.executable, "-m", "iop_tui", "join", seeded.url, "--token", seeded.participants[0].token]
    term = RawTerminal(argv, env)
    try:
        await term.wait_for(b"Tuesday IOP")
        await term.read(1.0)
        out = bytes(term.output)
        assert b"$p" not in out, "a DECRQM mode query was sent to a Linux console"
    finally:
        await term.close()


async def test_a_chat_line_or_check_in_the_pane_in_front_shows_is_not_said_again_on_the_status_line(seeded) -> None:
    sam = seeded.participants[0]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await _start(dana, dpilot)
        async with RawClient(seeded.url, sam.token) as s:
            await s.wait_synced()
            await dpilot.press("4")
            await dpilot.pause(0.3)
            await s.command("chat.send", {"text": "hello all"})
            await wait_until(dpilot, lambda: "Sam: hello all" in screen_text(dana), "the line in the chat log")
            await dpilot.pause(0.3)
            assert "hello all" not in "\n".join(rows(dana)[-3:-1]), "the chat line was said twice"
            await dpilot.press("escape", "1")
            await dpilot.pause(0.3)
            await s.command("checkin.submit", {"mood": 5, "feelings": ["calm"], "note": "", "note_to": "facilitators"})
            await wait_until(dpilot, lambda: "Sam: mood 5" in screen_text(dana), "the check-in in the round")
            await dpilot.pause(0.3)
            assert "mood 5" not in "\n".join(rows(dana)[-3:-1]), "the check-in was said twice"
            await dpilot.press("6")
            await dpilot.pause(0.3)
            await s.command("chat.send", {"text": "back soon"})
            await wait_until(dpilot, lambda: "back soon" in "\n".join(rows(dana)[-3:-1]), "the line on the status line, the chat behind")


# --- issue 12 on the merged product (branch i12m): the People list's keys stay out of the footer ---


async def test_a_facilitator_moving_onto_a_person_hears_the_person_not_a_new_footer(seeded) -> None:
    """Measured under Fenrir (bench/tui_speech.py): Down onto a person in the People pane read the
    footer's new "m Mute h Lower r Remove" row (changed when the pane came forward, read after it)
    instead of the person. The pane says those keys in words."""
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await _start(dana, dpilot)
        await dpilot.pause(0.3)
        before = rows(dana)[-1]  # the footer on the check-in pane
        await dpilot.press("6")
        await dpilot.pause(0.3)
        await dpilot.press("down")
        await wait_until(dpilot, lambda: dana.focused is not None and dana.focused.id == "people-list", "the people list")
        await dpilot.pause(0.3)
        assert rows(dana)[-1] == before, (rows(dana)[-1], before)
        assert "M mutes or unmutes, H lowers their hand, R removes them" in screen_text(dana)


async def test_the_plans_prepared_polls_are_drawn_with_the_poll_tools_first_frame() -> None:
    """Measured under Fenrir: pressing 3 read "Polls prepared in the plan: Enter opens one. New poll."
    with no poll between; the list was filled a frame later, and that reading was lost to the next key."""
    from textual.app import App
    from textual.widgets import OptionList

    from iop_tui.tui.widgets.polls import _PollTools

    seen: list[int] = []

    class Tools(_PollTools):
        def on_mount(self) -> None:  # before the first frame the tools are drawn in
            seen.append(self.query_one("#prepared-polls", OptionList).option_count)

    class One(App):
        def compose(self):
            yield Tools(("Prepared 1: How are you arriving?", "Prepared 2: Which trap?"))

    async with One().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert seen == [2]
        assert "Prepared 2: Which trap?" in screen_text(pilot.app)
