"""Urgent help and questionnaires in the plain face, over a real relay on loopback.

Sam (participant), Dana and Kim (facilitators) each run a PlainFace on a real
ClientSession. Sam's /urgent asks first and nothing reaches the relay until
/urgent yes; every facilitator then hears it (with a bell) in each verbosity,
again while nobody acknowledges it; Dana's /ack tells Sam "Dana has seen it"
and Kim who acknowledged. A PHQ-9 given by Dana is answered line by line, its
item 9 reaches the facilitators at once, and its score becomes Sam's trend.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from iop_tui.core.session import ClientSession
from iop_tui.plain.face import PlainFace
from server.edge import RelayServer
from tests.support.plainface import TIMEOUT, until
from tests.support.wsclient import seed


class Face:
    """A PlainFace on a real ClientSession: its lines and its bells."""

    def __init__(self, url: str, token: str, verbosity: str = "normal") -> None:
        self.session = ClientSession(url, token)
        self.lines: list[str] = []
        self.bells = 0
        self.face = PlainFace(self.session, self.lines.append, verbosity, bell=self._ring)
        self.face.repeat_s = 0.2  # a minute in use; short here (nothing asserts on time)
        self.session.subscribe(self.face.on_notices)
        self.task = asyncio.create_task(self.session.run())

    def _ring(self) -> None:
        self.bells += 1

    async def said(self, line: str) -> None:
        await until(lambda: line in self.lines, f"{line!r} in {self.lines[-5:]!r}")

    async def close(self) -> None:
        self.face.close()
        await self.session.close()
        await asyncio.wait_for(self.task, TIMEOUT)


@asynccontextmanager
async def room(tmp_path: Path, verbosity: str = "normal"):
    async with RelayServer(tmp_path / "relay") as relay:
        seeded = seed(relay.store, relay.url)
        _, kim_token = relay.store.add_member(seeded.group_id, "Kim", "facilitator")
        faces = [Face(relay.url, seeded.participants[0].token), Face(relay.url, seeded.facilitator.token, verbosity), Face(relay.url, kim_token, verbosity)]
        try:
            for face in faces:
                await until(lambda f=face: f.face.joined, "a face to join")
            yield relay, seeded, faces
        finally:
            for face in faces:
                await face.close()


def stored(relay, seeded, kind: str) -> list:
    return [e for e in relay.store.events_after(seeded.group_id, 0) if e.type == kind]


@pytest.mark.parametrize("verbosity", ["quiet", "normal", "all"])
async def test_an_urgent_request_reaches_every_facilitator_until_one_acknowledges_it(tmp_path, verbosity):
    async with room(tmp_path, verbosity) as (relay, seeded, (sam, dana, kim)):
        sam.face.handle("/urgent I don't feel safe tonight")
        assert sam.lines[-1] == "Send an urgent request to the facilitators? They are told at once. Type /urgent yes"
        await asyncio.sleep(0.2)
        assert not stored(relay, seeded, "urgent.raised"), "asking sends nothing"
        sam.face.handle("/urgent yes")
        await sam.said("Urgent request sent to the facilitators; they will be told at once.")
        alert = stored(relay, seeded, "urgent.raised")[0].seq
        urgent = f"URGENT, Sam asks for help now: I don't feel safe tonight. Alert {alert}. Type /ack {alert} when you have seen it."
        for facilitator in (dana, kim):
            await facilitator.said(urgent)
            await facilitator.said("STILL WAITING, " + urgent)  # not acknowledged: said again
            assert facilitator.bells >= 2
        dana.face.handle("/ack")
        await sam.said("Dana has seen your urgent request.")
        await kim.said("Acknowledged by Dana: the request from Sam.")
        await asyncio.sleep(0.5)
        repeats = kim.lines.count("STILL WAITING, " + urgent)
        await asyncio.sleep(0.5)
        assert kim.lines.count("STILL WAITING, " + urgent) == repeats, "acknowledged: no more repeats"
        kim.face.handle(f"/ack {alert}")
        assert kim.lines[-1] == f"Dana has already acknowledged alert {alert}."


async def test_a_phq9_is_answered_line_by_line_and_becomes_a_trend(tmp_path):
    async with room(tmp_path, "quiet") as (relay, seeded, (sam, dana, _kim)):
        dana.face.handle("/give phq9 Sam")
        await sam.said("Questionnaire for you: PHQ-9, 9 questions about the last 2 weeks, seen only by you and the facilitators.")
        for item in range(9):
            question = f"PHQ-9, question {item + 1} of 9: "
            await until(lambda q=question: sam.lines[-1].startswith(q), question)
            sam.face.handle(f"/answer {1 if item == 8 else 0}")
        await sam.said("PHQ-9 done, thank you: your total is 1 of 27, minimal.")
        alert = stored(relay, seeded, "alert.raised")[0].seq
        await dana.said(f"ALERT, Sam: PHQ-9 question 9 answered 1. Alert {alert}. Type /ack {alert} when you have seen it.")
        await dana.said("PHQ-9 done, Sam: 1 of 27, minimal.")
        assert not any("ALERT" in line for line in sam.lines), "the safety alert is for the facilitators only"
        dana.face.handle("/measure")
        await dana.said("Sam: PHQ-9 1: minimal.")
        sam.face.handle("/measure")
        await sam.said("PHQ-9 1: minimal")


async def test_a_facilitator_in_a_real_terminal_gets_the_bell_and_the_whole_line(tmp_path):
    """Dana runs the real plain program on a pty (quiet); Sam asks for help from a pty too."""
    from tests.support.plainpty import PtyProgram, client_env, plain_argv, seed_group
    from tests.support.procs import start_server_process

    data = tmp_path / "data"
    creds = seed_group(data, participants=("Sam",))
    with start_server_process(data) as server:
        with PtyProgram(plain_argv(server.url, creds["Dana"]["token"], "--verbosity", "quiet"), client_env(tmp_path / "dana")) as dana, \
                PtyProgram(plain_argv(server.url, creds["Sam"]["token"]), client_env(tmp_path / "sam")) as sam:
            try:
                await dana.wait_for("Joined Tuesday IOP as Dana, facilitator.")
                await sam.wait_for("Joined Tuesday IOP as Sam, participant.")
                sam.type("/urgent I don't feel safe tonight")
                await sam.wait_for("Type /urgent yes")
                sam.type("/urgent yes")
                await sam.wait_for("Urgent request sent to the facilitators")
                text = await dana.wait_for("when you have seen it.")
                assert "URGENT, Sam asks for help now: I don't feel safe tonight. Alert" in " ".join(text.split())
                assert b"\x07" in bytes(dana.output), "a terminal bell for the facilitator"
                dana.type("/ack")
                await sam.wait_for("Dana has seen your urgent request.")
                sam.eof()
                dana.eof()
                assert await sam.wait_exit() == 0 and await dana.wait_exit() == 0
            finally:
                sam.close()
                dana.close()
        server.stop()
    assert b"\x07" not in bytes(sam.output), "the member's own terminal does not ring"
    assert b"\x1b" not in bytes(dana.output), "still no escape byte in plain mode"
