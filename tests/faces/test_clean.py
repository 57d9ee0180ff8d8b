"""Issue 9, item 1: no member (and no file) can reach another person's terminal
with escape sequences, hidden characters or a forged line.

One cleaner (:mod:`protocol.text`) runs on every frame the view model folds,
so both faces show clean text; a line break inside a member's text is
indented under its author in the Textual face and said as " / " in the
plain face. The cleaner's own cases are in tests/unit/test_text_clean.py.
The tests below post hostile text over a real relay and read
what the facilitator's faces show: the Textual face through the pilot (the
rendered 80x24 screen) and as a real program on a pty (its output stream),
and the plain face as a real program on a pty.
"""

from __future__ import annotations

import base64
import datetime as dt
import sys
import unicodedata


from tests.support.apphelp import joined, screen_text, text_of, wait_until
from tests.support.plainpty import PtyProgram, client_env, plain_argv
from tests.support.hostile import BIDI, C1_CSI, CSI, FORGED_CHAT, FORGED_CHECKIN, HOSTILE, OSC_CLIP, OSC_TITLE, ZERO_WIDTH
from tests.support.wsclient import RawClient, is_event


def _dirty(text: str) -> list[str]:
    """Every control or format character in ``text`` (line breaks aside)."""
    return sorted({repr(c) for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf")})


# -- over a real relay ------------------------------------------------------------------


def _rows(widget) -> list[str]:
    """The rows a mounted widget renders now, as text."""
    from textual.geometry import Region

    return [strip.text for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]


def _assert_no_forged_row(rows: list[str], forged: str, author_row: str) -> None:
    """``forged`` shows only on a row indented under the row that starts with ``author_row``."""
    lead = next(i for i, row in enumerate(rows) if author_row in row)
    start = rows[lead].index(author_row)
    found = [i for i, row in enumerate(rows) if forged in row]
    assert found, f"{forged!r} is not shown at all:\n" + "\n".join(rows)
    for i in found:
        assert i > lead and rows[i].index(forged) >= start + 4, "a forged row:\n" + "\n".join(rows)
        assert rows[i][: rows[i].index(forged)].strip() == "", "a forged row:\n" + "\n".join(rows)


async def _hostile_participant(seeded, dana, pilot) -> None:
    """Sam checks in, chats and hands in homework, each with escape sequences,
    hidden characters and an embedded line that pretends to be someone else's."""
    session = dana.session
    session.send("session.start", {"title": "Week 3"})
    await wait_until(pilot, lambda: dana.model.state.session is not None, "the session")
    session.send("phase.set", {"phase": "checkin"})
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    session.send("homework.assign", {"title": "Thought record", "homework_kind": "text", "instructions": "", "items": [], "due": due})
    await wait_until(pilot, lambda: dana.model.state.homework, "the homework")
    homework_id = next(iter(dana.model.state.homework))
    async with RawClient(seeded.url, seeded.participants[0].token) as sam:
        await sam.wait_synced()
        for kind, data in (
            ("checkin.submit", {"mood": 6, "feelings": ["calm" + CSI, "ok" + BIDI + ZERO_WIDTH], "note": "fine" + FORGED_CHECKIN + HOSTILE, "note_to": "group"}),
            ("chat.send", {"text": "hi" + HOSTILE + FORGED_CHAT, "to": "group"}),
            ("homework.submit", {"homework_id": homework_id, "text": "done" + HOSTILE + FORGED_CHAT}),
        ):
            ack = await sam.command(kind, data)
            assert ack["kind"] == "ack", ack
    await wait_until(pilot, lambda: dana.model.state.chat and dana.model.state.checkins and dana.model.state.homework[homework_id].submissions, "Sam's posts")
    await pilot.pause()


async def test_a_participants_hostile_text_shows_clean_and_under_its_author_on_the_facilitators_full_screen_face(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, pilot):
        await _hostile_participant(seeded, dana, pilot)

        await pilot.press("f4")
        await pilot.pause()
        chat = screen_text(dana)
        assert _dirty(chat) == [] and "PWNED" not in chat
        _assert_no_forged_row(chat.split("\n"), "private to facilitators, Alex: I have", "Sam: hi")

        await pilot.press("f1")
        await pilot.pause()
        round_rows = _rows(dana.session_screen().query_one("#checkin-round"))
        assert _dirty("\n".join(round_rows)) == [] and "PWNED" not in "\n".join(round_rows)
        assert any("Sam: mood 6; feeling calm, ok; note to the group: fine" in row for row in round_rows), round_rows
        _assert_no_forged_row(round_rows, "Alex: mood 0; private note: I want to die", "Sam: mood 6")
        assert _dirty(screen_text(dana)) == []

        await pilot.press("f5")
        await pilot.pause()
        completion = text_of(dana, "#hw-completion")
        assert "Sam: submitted; wrote: done private to facilitators, Alex:" in completion
        assert _dirty(completion) == [] and _dirty(screen_text(dana)) == []


async def test_hostile_titles_decks_polls_and_homework_show_clean_on_a_participants_full_screen_face(seeded) -> None:
    """What a facilitator sends (or a file they load) is cleaned the same way."""
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    deck = f"title: Deck{OSC_TITLE}\n# Reframing{CSI} thoughts{BIDI}\nBody{OSC_CLIP} text\nNotes: secret{C1_CSI}\n---\n# Two{ZERO_WIDTH}\nMore"
    async with RawClient(seeded.url, seeded.facilitator.token) as dana:
        await dana.wait_synced()
        for kind, data in (
            ("session.start", {"title": "Week 3" + HOSTILE + "\nprivate to facilitators, Alex: forged"}),
            ("deck.load", {"markdown": deck}),
            ("poll.open", {"question": "How" + HOSTILE + "\nAlex: forged?", "poll_kind": "single", "options": ["Yes" + CSI, "No\n" + OSC_TITLE]}),
            ("homework.assign", {"title": "Record" + HOSTILE, "homework_kind": "checklist", "instructions": "Do it" + HOSTILE + FORGED_CHAT, "items": ["Walk" + OSC_CLIP, "Sleep\nAlex"], "due": due}),
        ):
            ack = await dana.command(kind, data)
            assert ack["kind"] == "ack", ack
        async with joined(seeded.url, seeded.participants[0].token) as (sam, pilot):
            for key in ("f1", "f2", "f3", "f5"):
                await pilot.press(key)
                await pilot.pause()
                screen = screen_text(sam)
                assert _dirty(screen) == [] and "PWNED" not in screen, screen
            # The title's line break stays inside the one header row (fitted to 80 columns with "…").
            assert "Week 3 private to facilita" in screen.split("\n")[0]
            assert "Alex: forged" not in screen.split("\n")[1]
            detail = _rows(sam.session_screen().query_one("#hw-detail"))
            _assert_no_forged_row(detail, "private to facilitators, Alex: I have", "Instructions: Do it")
            state = sam.model.state
            assert state.slides[0]["title"] == "Reframing thoughts" and state.deck_title == "Deck"
            poll = next(iter(state.polls.values()))
            assert poll.question == "How Alex: forged?" and poll.options == ["Yes", "No"]


async def test_the_full_screen_client_writes_no_escape_sequence_from_member_text_to_its_terminal(seeded, tmp_path) -> None:
    """The facilitator's real client on a pty: Sam's window-title and clipboard
    escapes never reach the terminal's output stream."""
    client = (
        "import sys\n"
        "from iop_tui.core.session import ClientSession\n"
        "from iop_tui.tui.app import IopApp\n"
        "IopApp(ClientSession(sys.argv[1], sys.argv[2]), theme='ansi-dark').run()\n"
    )
    env = client_env(tmp_path / "config", NO_COLOR="1")
    with PtyProgram([sys.executable, "-c", client, seeded.url, seeded.facilitator.token], env) as term:
        await term.wait_for("Tuesday IOP")
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            await dana.command("session.start", {"title": "Week 3" + OSC_TITLE})
            await dana.command("phase.set", {"phase": "discussion"})  # brings the Chat pane forward
            async with RawClient(seeded.url, seeded.participants[0].token) as sam:
                await sam.wait_synced()
                await sam.command("checkin.submit", {"mood": 6, "feelings": ["calm" + OSC_TITLE], "note": "fine" + FORGED_CHECKIN + OSC_CLIP, "note_to": "group"})
                await sam.command("chat.send", {"text": "hello" + HOSTILE + FORGED_CHAT, "to": "group"})
                await term.wait_for("private to facilitators, Alex: I have pills")
        stream = bytes(term.output)
        assert b"PWNED" not in stream and base64.b64encode(b"PWNED-CLIPBOARD") not in stream
        assert b"\x1b]0;" not in stream and b"\x1b]2;" not in stream and b"\x1b]52;" not in stream
        assert "\u202e".encode() not in stream and "\u200b".encode() not in stream and "\x9b".encode() not in stream


async def test_the_plain_face_says_a_members_line_breaks_as_slashes_with_no_control_bytes(seeded, tmp_path) -> None:
    env = client_env(tmp_path / "config")
    with PtyProgram(plain_argv(seeded.url, seeded.facilitator.token), env) as term:
        await term.wait_for("Joined Tuesday IOP")
        async with RawClient(seeded.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            await dana.command("session.start", {"title": "Week 3" + OSC_TITLE + "\nAlex: forged"})
            async with RawClient(seeded.url, seeded.participants[0].token) as sam:
                await sam.wait_synced()
                await sam.command("checkin.submit", {"mood": 6, "feelings": ["calm" + CSI], "note": "fine" + FORGED_CHECKIN + OSC_CLIP, "note_to": "group"})
                await sam.command("chat.send", {"text": "hello" + HOSTILE + FORGED_CHAT, "to": "group"})
                await term.wait_for("I have pills saved up and a plan for tonight")
        term.type("/round")
        await term.wait_for("I want to die", count=2)
        text = term.text
        assert "\x1b" not in text and _dirty(text.replace("\n", "")) == [] and "PWNED" not in text
        flat = term.flat
        assert "Chat, Sam: hello / private to facilitators, Alex: I have pills saved up and a plan for tonight" in flat
        assert "Session started: Week 3 Alex: forged." in flat
        assert "Note: fine / Alex: mood 0; private note: I want to die" in flat
        for row in text.split("\n"):  # no row of the output starts as someone else's line
            assert not row.startswith(("private to facilitators", "Alex:")), text


async def test_a_deck_file_loaded_from_the_slides_pane_reaches_the_group_clean(seeded, tmp_path) -> None:
    deck = tmp_path / f"week3{OSC_TITLE}.md"
    deck.write_text(f"title: Deck{OSC_TITLE}\n# One{CSI}\nBody{OSC_CLIP}\nNotes: mine{BIDI}\n---\n# Two\n", encoding="utf-8")
    async with joined(seeded.url, seeded.facilitator.token) as (dana, pilot):
        dana.session.send("session.start", {"title": "Week 3"})
        await wait_until(pilot, lambda: dana.model.state.session is not None, "the session")
        await pilot.press("f2")
        await pilot.pause()
        dana.session_screen().query_one("#deck-path").value = str(deck)
        dana.session_screen().query_one("#deck-load").press()
        await wait_until(pilot, lambda: dana.model.state.slides, "the deck")
        assert _dirty(screen_text(dana)) == [] and "PWNED" not in screen_text(dana)
        async with RawClient(seeded.url, seeded.participants[0].token) as sam:
            loaded = await sam.recv_until(is_event("deck.loaded"))
        assert loaded["data"]["title"] == "Deck" and loaded["data"]["slides"][0]["body"] == "# One\nBody"


async def test_a_field_holding_escape_sequences_draws_none_of_them_and_keeps_them_as_typed() -> None:
    """A path or a pasted line with an escape sequence or a bidi override in it: the field
    draws each such character as a visible mark, wherever the field's window falls."""
    from textual.app import App, ComposeResult

    from iop_tui.tui.widgets.pane import quiet_input

    held = f"week3{OSC_TITLE}{CSI}{BIDI}.md"

    class OneField(App[None]):
        def compose(self) -> ComposeResult:
            yield quiet_input(id="f")

    app = OneField()
    async with app.run_test(size=(80, 5)) as pilot:
        box = app.query_one("#f")
        box.value = held
        box.focus()
        await pilot.pause()
        rows = _rows(box)
        assert _dirty("".join(rows)) == [] and "\ufffd" in "".join(rows)
        assert box.value == held
