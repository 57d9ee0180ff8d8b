"""Urgent help, alerts and questionnaires in the full-screen face, under Textual's pilot, over a real relay.

Sam's F9 ("I need help now") asks in a dialog that opens in a field for his
words (optional) and whose default is No: Enter in the field never sends; Dana's
banner stays until someone acknowledges, rings the bell, and F9 acknowledges;
Sam is told Dana has seen it. F10 answers a questionnaire one question at a
time by keys 0-3, and shows each member's trend in words (no chart of glyphs beside them).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from iop_tui.core.commands import Context, interpret
from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace
from server.edge import RelayServer
from tests.support.apphelp import _key, joined, press_button, screen_text, type_into, wait_until
from tests.support.wsclient import RawClient, is_event, seed


def _stored(relay, seeded, kind: str) -> list:
    return [e for e in relay.store.events_after(seeded.group_id, 0) if e.type == kind]


def _status(app) -> str:
    return getattr(app.session_screen().query_one("#status"), "shown_text", "")


async def test_a_member_asks_for_help_after_a_dialog_whose_default_is_no(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with RawClient(relay.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            async with joined(relay.url, seeded.participants[0].token) as (app, pilot):
                await pilot.press("f9")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "UrgentScreen", "the help dialog")
                assert "Send an urgent request to the facilitators?" in app.screen.question
                assert app.focused is not None and app.focused.id == "urgent-words", "it opens in the words field"
                await pilot.press("enter")  # a stray Enter in the field sends nothing: it leaves the field for No
                await pilot.pause()
                assert type(app.screen).__name__ == "UrgentScreen" and app.focused.id == "urgent-no"
                await pilot.press("enter")  # the focus rests on No: a slip sends nothing
                await wait_until(pilot, lambda: type(app.screen).__name__ == "SessionScreen", "the dialog to close")
                assert _status(app) == "The urgent request was not sent. If you need help now, ask again."
                await pilot.press("f9")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "UrgentScreen", "the help dialog")
                await pilot.press("escape")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "SessionScreen", "the dialog to close")
                assert _status(app) == "The urgent request was not sent. If you need help now, ask again."
                assert not _stored(relay, seeded, "urgent.raised")
                await pilot.press("f9")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "UrgentScreen", "the help dialog")
                await pilot.press("enter", "y")  # no words: leave the field, then Y sends
                raised = await dana.recv_until(is_event("urgent.raised"))
                assert raised["data"]["text"] == ""
                await wait_until(pilot, lambda: "Urgent request sent to the facilitators" in _status(app), "Sam to be told it was sent")
                await dana.command("urgent.acknowledge", {"alert_id": raised["seq"]})
                await wait_until(pilot, lambda: _status(app) == "Dana has seen your urgent request.", "Sam to hear Dana has seen it")


async def test_a_members_words_in_the_help_dialog_reach_the_facilitators_as_plain_urgents_do(tmp_path: Path):
    said = "I don't feel safe tonight"
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        session = ClientSession(relay.url, seeded.facilitator.token)
        lines: list[str] = []
        face = PlainFace(session, lines.append, "quiet", bell=lambda: None)
        session.subscribe(face.on_notices)
        task = asyncio.create_task(session.run())
        try:
            async with joined(relay.url, seeded.participants[0].token) as (app, pilot):
                await wait_until(pilot, lambda: face.joined, "Dana's plain face to join")
                await pilot.press("f9")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "UrgentScreen", "the help dialog")
                await pilot.press(*[_key(c) for c in said])  # Y and N in the field are letters, not answers
                assert app.focused.value == said
                await pilot.press("enter")  # words and Enter still send nothing: Y or "Yes, send it" does
                await pilot.pause(0.2)
                assert type(app.screen).__name__ == "UrgentScreen" and app.focused.id == "urgent-no"
                assert not _stored(relay, seeded, "urgent.raised")
                await pilot.press("tab")
                assert app.focused.id == "urgent-yes"
                await pilot.press("enter")
                await wait_until(pilot, lambda: _stored(relay, seeded, "urgent.raised"), "the request")
                sent = _stored(relay, seeded, "urgent.raised")
                assert len(sent) == 1 and sent[0].data["text"] == said
                typed = interpret(f"/urgent {said}", Context(app.model))  # the plain face's command, the same data
                assert [(s.kind, s.data) for s in typed.sends] == [("urgent.raise", {"text": said})]
                alert = sent[0].seq
                line = f"URGENT, Sam asks for help now: {said}. Alert {alert}. Type /ack {alert} when you have seen it."
                await wait_until(pilot, lambda: line in lines, "Dana's line")
        finally:
            face.close()
            await session.close()
            await asyncio.wait_for(task, 10)
        async with joined(relay.url, seeded.facilitator.token) as (app, pilot):
            banner = app.session_screen().query_one("#alert-banner")
            expected = f"URGENT, Sam asks for help now: {said}. Alert {alert}. Press F9 to acknowledge."
            await wait_until(pilot, lambda: banner.display and banner.shown_text == expected, "the banner")


async def test_words_typed_in_the_help_dialog_then_escape_send_nothing(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with joined(relay.url, seeded.participants[0].token) as (app, pilot):
            await pilot.press("f9")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "UrgentScreen", "the help dialog")
            await pilot.press("y", "e", "s", "escape")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "SessionScreen", "the dialog to close")
            assert _status(app) == "The urgent request was not sent. If you need help now, ask again."
            await pilot.pause(0.2)
            assert not _stored(relay, seeded, "urgent.raised")


async def test_no_typed_as_the_words_of_a_help_request_is_sent_as_words(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with joined(relay.url, seeded.participants[0].token) as (app, pilot):
            await pilot.press("f9")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "UrgentScreen", "the help dialog")
            await pilot.press("n", "o", "tab", "y")
            await wait_until(pilot, lambda: _stored(relay, seeded, "urgent.raised"), "the request")
            assert [e.data["text"] for e in _stored(relay, seeded, "urgent.raised")] == ["no"]


async def test_the_palette_offers_i_need_help_now_to_members(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with joined(relay.url, seeded.participants[0].token) as (app, _pilot):
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "I need help now" in titles
        async with joined(relay.url, seeded.facilitator.token) as (app, _pilot):
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "I need help now" not in titles and "Alert: acknowledge the oldest" in titles


async def test_a_facilitators_banner_stays_until_acknowledged_and_rings_the_bell(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        _, kim_token = relay.store.add_member(seeded.group_id, "Kim", "facilitator")
        async with RawClient(relay.url, seeded.participants[0].token) as sam, RawClient(relay.url, kim_token) as kim:
            await sam.wait_synced()
            await kim.wait_synced()
            await kim.command("session.start", {"title": "Week 3: Cognitive reframing and thought records"})
            await kim.command("deck.load", {"markdown": "# One\n\nfirst\n\n---\n\n# Two\n\nsecond\n"})
            await kim.command("phase.set", {"phase": "psychoeducation"})
            async with joined(relay.url, seeded.facilitator.token) as (app, pilot):
                bells = []
                app.bell = lambda: bells.append(1)  # Textual's bell writes BEL to the terminal; counted here
                banner = app.session_screen().query_one("#alert-banner")
                assert not banner.display
                await sam.command("urgent.raise", {"text": "I don't feel safe tonight"})
                alert = _stored(relay, seeded, "urgent.raised")[0].seq
                expected = f"URGENT, Sam asks for help now: I don't feel safe tonight. Alert {alert}. Press F9 to acknowledge."
                await wait_until(pilot, lambda: banner.display and banner.shown_text == expected, "the banner")
                assert bells == [1]
                await sam.command("chat.send", {"text": "still here", "to": "group"})
                await kim.recv_until(is_event("chat.posted"))
                await pilot.pause()
                assert banner.display and banner.shown_text == expected, "other events leave the banner"
                for key in ("1", "2", "3", "4", "5", "6"):  # the key is in the footer on every pane, nothing cut
                    await pilot.press(key)
                    await pilot.pause(0.2)
                    footer = screen_text(app).splitlines()[-1]
                    assert "f9 Ack" in footer, footer
                    for binding in (b for _, b, enabled, _ in app.screen.active_bindings.values() if b.show and enabled):
                        assert binding.description in footer, f"{binding.description!r} cut on pane {key}: {footer!r}"
                await pilot.press("f9")
                acked = await sam.recv_until(is_event("urgent.acknowledged"))
                assert acked["actor_name"] == "Dana"
                await kim.recv_until(is_event("urgent.acknowledged"))  # the other facilitators see who
                await wait_until(pilot, lambda: not banner.display, "the banner to go")
                assert bells == [1]


async def test_a_facilitator_joining_while_an_alert_waits_sees_the_banner(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with RawClient(relay.url, seeded.facilitator.token) as dana, RawClient(relay.url, seeded.participants[0].token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            await dana.command("session.start", {"title": "Week 3"})
            await sam.command("checkin.submit", {"mood": 1, "feelings": ["scared"], "note": "", "note_to": "facilitators", "passed": False})
        async with joined(relay.url, seeded.facilitator.token) as (app, pilot):
            banner = app.session_screen().query_one("#alert-banner")
            await wait_until(pilot, lambda: banner.display, "the banner")
            assert banner.shown_text.startswith("ALERT, Sam: mood 1")


async def test_a_member_answers_a_phq9_by_keys_and_sees_their_own_trend(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with RawClient(relay.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            async with joined(relay.url, seeded.participants[0].token) as (app, pilot):
                await dana.command("measure.give", {"measure": "phq9", "member_id": seeded.participants[0].member_id})
                await wait_until(pilot, lambda: "Press F10 to answer it" in _status(app), "the questionnaire notice")
                await pilot.press("f10")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "MeasureScreen", "the questionnaire")
                assert str(app.screen.query_one("#measure-title").render()) == "PHQ-9, question 1 of 9"
                await pilot.press("2")
                assert str(app.screen.query_one("#measure-title").render()) == "PHQ-9, question 2 of 9"
                await pilot.press("escape")  # stop, and go on later
                await wait_until(pilot, lambda: type(app.screen).__name__ == "SessionScreen", "the questionnaire to close")
                await pilot.press("f10")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "MeasureScreen", "the questionnaire again")
                assert str(app.screen.query_one("#measure-title").render()) == "PHQ-9, question 2 of 9"
                for _ in range(8):
                    await pilot.press("1")
                await wait_until(pilot, lambda: _stored(relay, seeded, "measure.scored"), "the score")
                await wait_until(pilot, lambda: _status(app) == "PHQ-9 done, thank you: your total is 10 of 27, moderate.", "the total")
                alert = await dana.recv_until(is_event("alert.raised"))  # item 9 answered 1
                assert alert["data"]["reason"] == "PHQ-9 question 9 answered 1"
                await pilot.press("f10")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "ScoresScreen", "the scores")
                assert app.screen.rows == [("PHQ-9 10: moderate", [10])]


async def test_a_facilitator_sees_each_members_trend_in_words_and_no_chart_of_glyphs(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        sam_id = seeded.participants[0].member_id
        async with RawClient(relay.url, seeded.facilitator.token) as dana, RawClient(relay.url, seeded.participants[0].token) as sam:
            await dana.wait_synced()
            await sam.wait_synced()
            for answers in ([2, 2, 2, 2, 2, 2, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1]):
                given = await dana.command("measure.give", {"measure": "phq9", "member_id": sam_id})
                for item, answer in enumerate(answers):
                    await sam.command("measure.answer", {"measure_id": given["seq"], "item": item, "answer": answer})
            async with joined(relay.url, seeded.facilitator.token) as (app, pilot):
                await pilot.press("f10")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "ScoresScreen", "the scores")
                assert app.screen.rows == [("Sam: PHQ-9 14, 9: moderate to mild", [14, 9])]
                shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
                assert "Sam: PHQ-9 14, 9: moderate to mild" in shown
                assert not app.screen.query("Sparkline"), "a chart of block glyphs is read aloud"


async def test_a_member_gives_a_location_at_check_in_and_the_facilitators_round_shows_it(tmp_path: Path):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        async with RawClient(relay.url, seeded.facilitator.token) as dana:
            await dana.wait_synced()
            await dana.command("session.start", {"title": "Week 3"})
            async with joined(relay.url, seeded.participants[0].token) as (app, pilot):
                await type_into(pilot, app, "#checkin-mood", "6")
                await type_into(pilot, app, "#checkin-location", "at home")
                await press_button(pilot, app, "#checkin-submit")
                await dana.recv_until(is_event("checkin.location"))
            await dana.command("safety.contact", {"member_id": seeded.participants[0].member_id, "contact": "Maria 555 0100"})
        async with joined(relay.url, seeded.facilitator.token) as (app, pilot):
            round_ = app.session_screen().query_one("#checkin-round")
            await wait_until(pilot, lambda: "Sam: mood 6" in round_.shown_text, "the round")
            assert "At: at home. Emergency contact: Maria 555 0100." in round_.shown_text
