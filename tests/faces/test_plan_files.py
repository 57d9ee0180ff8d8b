"""A plan reads only its own files, and only regular files of bounded size (issue 9 item 7).

A plan's deck path once read any file (``../``, an absolute path, a symbolic
link) and broadcast it to the group; ``/dev/zero`` crashed the facilitator's
client and a FIFO hung it. Now a plan's deck must resolve inside the plan's
folder; ``/deck PATH`` and the Slides pane's path field may name any file the
facilitator chooses, but only a regular UTF-8 file within the deck's bounds,
and every refusal is one sentence. Real files in ``tmp_path``; the plain face
as a real program on a pty against a real relay; the Textual face with the pilot.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.apphelp import joined, text_of, type_into, wait_until
from iop_tui.core.plan import MAX_DECK_BYTES, PlanError, load_plan, read_deck
from tests.support.plainpty import PtyProgram, client_env
from tests.support.wsclient import RawClient, is_event

SECRET = "Alex's intake notes: do not share"
PLAN = 'title = "Week 3"\ndeck = "{deck}"\n'


def _plan(folder: Path, deck: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.toml"
    path.write_text(PLAN.format(deck=deck), encoding="utf-8")
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.md"
    path.write_text(f"# Private\n{SECRET}\n", encoding="utf-8")
    return path


def _refused(path: Path) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert SECRET not in message and "\n" not in message and message.endswith(".")
    return message


@pytest.mark.parametrize("deck", ["../secret.md", "sub/../../secret.md"])
def test_a_plan_cannot_name_a_deck_above_its_folder(tmp_path, secret, deck):
    message = _refused(_plan(tmp_path / "plans", deck))
    assert "outside the plan's folder" in message and "put the deck beside the plan" in message


def test_a_plan_cannot_name_a_deck_by_absolute_path(tmp_path, secret):
    message = _refused(_plan(tmp_path / "plans", str(secret)))
    assert "outside the plan's folder" in message


@pytest.mark.parametrize("target", ["secret", "/dev/null"])
def test_a_symbolic_link_in_the_plan_folder_cannot_lead_outside_it(tmp_path, secret, target):
    folder = tmp_path / "plans"
    plan = _plan(folder, "deck.md")
    (folder / "deck.md").symlink_to(secret if target == "secret" else Path(target))
    assert "outside the plan's folder" in _refused(plan)


def test_a_link_and_a_subfolder_inside_the_plan_folder_are_fine(tmp_path):
    folder = tmp_path / "plans"
    (folder / "decks").mkdir(parents=True)
    (folder / "decks" / "week3.md").write_text("# Inside\nok\n", encoding="utf-8")
    (folder / "current.md").symlink_to(folder / "decks" / "week3.md")
    assert "# Inside" in load_plan(_plan(folder, "decks/week3.md")).markdown
    assert "# Inside" in load_plan(_plan(folder, "current.md")).markdown


def test_a_fifo_as_the_deck_is_refused_without_waiting_for_a_writer(tmp_path):
    folder = tmp_path / "plans"
    plan = _plan(folder, "deck.md")
    os.mkfifo(folder / "deck.md")
    assert "is a pipe, not a text file" in _refused(plan)


def test_an_oversize_deck_file_is_refused_before_it_is_read(tmp_path):
    folder = tmp_path / "plans"
    plan = _plan(folder, "deck.md")
    (folder / "deck.md").write_bytes(b"# Big\n" + b"x" * (MAX_DECK_BYTES + 10))
    assert "is too large: at most 234 KB" in _refused(plan)


@pytest.mark.parametrize("name", ["/dev/null", "fifo"])
def test_a_plan_file_that_is_a_device_or_a_fifo_is_refused(tmp_path, name):
    path = Path(name) if name.startswith("/") else tmp_path / name
    if not name.startswith("/"):
        os.mkfifo(path)
    message = _refused(path)
    assert "not a text file" in message


@pytest.mark.parametrize(("name", "words"), [("/dev/null", "is a device, not a text file"), ("missing.md", "There is no deck at")])
def test_the_facilitators_own_deck_must_be_a_regular_file(tmp_path, name, words):
    path = Path(name) if name.startswith("/") else tmp_path / name
    with pytest.raises(PlanError) as caught:
        read_deck(path)
    assert words in str(caught.value)


# In-process tests name /dev/null, a device that reads as empty, so a regression cannot
# exhaust the test's memory; /dev/zero itself is read only by a child with capped memory.


def _bounded(argv: list[str]) -> list[str]:
    """Run ``argv`` with its address space capped, so a client that reads /dev/zero fails alone."""
    return ["sh", "-c", 'ulimit -v 3000000; exec "$@"', "sh", *argv]


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
