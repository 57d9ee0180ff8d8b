"""A plan reads only its own files, and only regular files of bounded size (issue 9 item 7).

A plan's deck path once read any file (``../``, an absolute path, a symbolic
link) and broadcast it to the group; ``/dev/zero`` crashed the facilitator's
client and a FIFO hung it. Now a plan's deck must resolve inside the plan's
folder; ``/deck PATH`` and the Slides pane's path field may name any file the
facilitator chooses, but only a regular UTF-8 file within the deck's bounds,
and every refusal is one sentence. Real files in ``tmp_path``, read by the
client core's plan loader; the faces saying these refusals are in
tests/faces/test_plan_files.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iop_tui.core.plan import MAX_DECK_BYTES, PlanError, load_plan, read_deck
from tests.support.planfiles import SECRET, write_plan as _plan, write_secret


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    return write_secret(tmp_path)


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
