"""--low-bandwidth in the pilot (iop_tui.tui.lean, issue 17): the hint said once, no toast in lean mode."""

from __future__ import annotations

from iop_tui.core.session import ClientSession
from iop_tui.tui import lean
from iop_tui.tui.app import IopApp
from tests.support.apphelp import text_of, wait_until
from tests.support.wsclient import RawClient


def status(app: IopApp) -> str:
    return text_of(app, "#status") if app.session_screen() is not None else ""


async def test_a_slow_terminal_is_told_of_the_switch_on_the_status_line_when_it_joins(seeded, monkeypatch) -> None:
    monkeypatch.setenv("TERM", "vt100")
    monkeypatch.delenv("IOP_TUI_LOW_BANDWIDTH", raising=False)
    app = IopApp(ClientSession(seeded.url, seeded.participants[0].token))
    lean.prepare(app, connect_s=0.01)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "--low-bandwidth" in status(app), "the hint")
        assert "Joined Tuesday IOP" in text_of(app, "#status") and "(TERM is vt100)" in text_of(app, "#status")
        assert not app._notifications, "the hint is no toast"
        await app.session.close()


async def test_low_bandwidth_says_a_private_line_on_the_status_line_and_shows_no_toast(seeded, monkeypatch) -> None:
    monkeypatch.setenv("IOP_TUI_LOW_BANDWIDTH", "1")
    sam = seeded.participants[0]
    app = IopApp(ClientSession(seeded.url, sam.token))
    lean.prepare(app)
    assert app.low_bandwidth and lean.LEAN_TCSS in app.css_path
    async with app.run_test(size=(80, 24)) as pilot, RawClient(seeded.url, seeded.facilitator.token) as dana:
        await wait_until(pilot, lambda: app.session.model.synced, "the join")
        await dana.wait_ack(await dana.send("chat.reply", {"member_id": sam.member_id, "text": "Can we talk after?"}))
        await wait_until(pilot, lambda: "Can we talk after?" in status(app), "the private line on the status line")
        assert not app._notifications, "no toast under --low-bandwidth"
        await app.session.close()
