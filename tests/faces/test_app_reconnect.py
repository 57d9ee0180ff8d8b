"""The full-screen client under a relay that goes away and comes back.

The relay is stopped and a new one started on the same data folder and port
while a member's app runs. The header says so in words, the app comes back by
itself, a line typed while offline is sent once, and the chat shows every line
exactly once with nothing missing.
"""

from __future__ import annotations


from tests.support.apphelp import joined, option_texts, screen_text, type_into, wait_until
from server.edge import RelayServer
from tests.support.wsclient import RawClient

from iop_tui.core import words


async def test_app_says_reconnecting_comes_back_and_shows_each_line_once(seeded, relay) -> None:
    sam = seeded.participants[0]
    dana = seeded.facilitator
    async with joined(seeded.url, sam.token) as (app, pilot):
        model = app.session.model
        async with RawClient(seeded.url, dana.token) as fac:
            await fac.wait_ack(await fac.send("session.start", {"title": "Week 3"}))
            await fac.wait_ack(await fac.send("chat.send", {"text": "before the cut"}))
        await wait_until(pilot, lambda: any(line.text == "before the cut" for line in model.state.chat), "the first line")

        data_dir, port = relay.data_dir, relay.port
        await relay.stop()
        await wait_until(pilot, lambda: model.conn.state in ("reconnecting", "connecting"), "the app to notice the cut")
        await pilot.press("f4")  # the chat pane (the mood field has the focus: F4, not 4)
        await wait_until(pilot, lambda: "reconnecting" in screen_text(app), "the header to say reconnecting")
        await type_into(pilot, app, "#chat-input", "typed offline")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "1 message waiting" in words.connection_text(model), "the offline count")
        assert "1 message waiting" in screen_text(app)

        fresh = RelayServer(data_dir, port=port)
        await fresh.start()
        try:
            # An event the member missed while away arrives exactly once, after the offline line.
            async with RawClient(seeded.url, dana.token) as fac:
                await fac.wait_ack(await fac.send("chat.send", {"text": "after the restart"}))
            await wait_until(pilot, lambda: model.conn.state == "connected", "the app to reconnect", timeout=20)
            await wait_until(
                pilot,
                lambda: {"typed offline", "after the restart"} <= {line.text for line in model.state.chat},
                "both lines after the restart",
                timeout=20,
            )
            await pilot.pause(0.3)
            assert "connected" in screen_text(app).splitlines()[0]
            texts = [line.text for line in model.state.visible_chat()]
            assert texts.count("before the cut") == 1
            assert texts.count("typed offline") == 1
            assert texts.count("after the restart") == 1
            shown = "\n".join(option_texts(app, "#chat-log"))
            for line in ("before the cut", "typed offline", "after the restart"):
                assert shown.count(line) == 1, shown
            seqs = [line.message_id for line in model.state.chat]
            assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        finally:
            await app.session.close()
            await fresh.stop()
