"""The faces say a plan's refused files in one sentence and keep going (issue 9 item 7).

The loader's rules (a plan reads only its own folder, only regular files of
bounded size) are in tests/unit/test_plan_paths.py. Here the plain face runs
as a real program on a pty against a real relay, and the Textual face in the
pilot.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.apphelp import joined, text_of, type_into, wait_until
from tests.support.planfiles import SECRET, write_plan as _plan, write_secret
from tests.support.plainpty import PtyProgram, client_env
from tests.support.wsclient import RawClient, is_event


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    return write_secret(tmp_path)


# In-process tests name /dev/null, a device that reads as empty, so a regression cannot
# exhaust the test's memory; /dev/zero itself is read only by a child with capped memory.


def _bounded(argv: list[str]) -> list[str]:
    """Run ``argv`` with its address space capped, so a client that reads /dev/zero fails alone."""
    return ["sh", "-c", 'ulimit -v 3000000; exec "$@"', "sh", *argv]


@pytest.mark.serial
async def test_the_plain_face_refuses_devices_fifos_and_escaping_plans_and_keeps_going(seeded, tmp_path, secret):
    fifo = tmp_path / "deck.fifo"
    os.mkfifo(fifo)
    escaping = _plan(tmp_path / "plans", "../secret.md")
    argv = [sys.executable, "-m", "iop_tui", "join", seeded.url, "--token", seeded.facilitator.token, "--plain"]
    async with RawClient(seeded.url, seeded.participants[0].token) as sam:
        with PtyProgram(_bounded(argv), client_env(tmp_path / "config")) as dana:
            await dana.wait_for("Joined Tuesday IOP as Dana, facilitator.")
            dana.type("/deck /dev/zero")
            await dana.wait_for("/dev/zero is a device, not a text file; give the path of the deck itself.")
            dana.type(f"/deck {fifo}")
            await dana.wait_for(f"{fifo} is a pipe, not a text file")
            dana.type(f"/plan {escaping}")
            await dana.wait_for("plan.toml names the deck '../secret.md', which is outside the plan's folder")
            dana.type("/status")
            await dana.wait_for("Connection: ")
            assert dana.proc.poll() is None, "the client is still running"
            assert "Traceback" not in dana.text
            dana.type("/quit")
            assert await dana.wait_exit() == 0
        chat = await sam.command("chat.send", {"text": "after", "to": "group"})
        assert chat["kind"] == "ack"
        assert not [f for f in sam.events if is_event("deck.loaded")(f)], "no deck reached the group"
        assert SECRET not in repr(sam.frames)


async def test_the_slides_path_field_refuses_a_device_and_a_fifo_in_one_sentence(seeded, tmp_path):
    fifo = tmp_path / "deck.fifo"
    os.mkfifo(fifo)
    async with joined(seeded.url, seeded.facilitator.token) as (dana, pilot):
        await pilot.press("f2")
        for path, words in (("/dev/null", "/dev/null is a device, not a text file"), (str(fifo), "is a pipe, not a text file")):
            await type_into(pilot, dana, "#deck-path", "")
            dana.session_screen().query_one("#deck-path").value = path
            await pilot.press("enter")
            await wait_until(pilot, lambda words=words: words in text_of(dana, "#status"), f"the refusal of {path}")
        assert dana.session.model.state.slides == [] or not dana.session.model.state.slides
