"""The plain screen-reader face, as a real program on a real pty against a real relay process.

Sam runs ``python -m iop_tui join URL --token T --plain`` on a pseudo-terminal
and types commands; Dana (facilitator) and Alex (participant) are real
ClientSessions in this test. The relay is ``python -m server serve`` seeded
with the real CLI. We check what Sam's terminal received: every event once,
as plain lines, no escape byte, nobody else's private words, and that the
face never loads textual.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from iop_tui.core.plan import DEMO_PLAN, load_plan
from iop_tui.core.session import ClientSession
from tests.support.plainpty import REPO, PtyProgram, client_env, plain_argv, seed_group
from tests.support.procs import start_server_process

@pytest.fixture
def relay_proc(tmp_path: Path):
    data = tmp_path / "data"
    creds = seed_group(data, participants=("Sam", "Alex", "Riley"))
    with start_server_process(data) as server:
        yield server, creds
        server.stop()


async def joined(url: str, token: str) -> tuple[ClientSession, asyncio.Task]:
    session = ClientSession(url, token)
    task = asyncio.create_task(session.run())
    await until(lambda: session.model.synced and session.model.me is not None, "a test client to join")
    return session, task


async def until(condition, what: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def command(session: ClientSession, kind: str, data: dict) -> None:
    """Send and wait for the relay's answer (ack or error)."""
    before = session.model.state.head_seq
    cid = session.send(kind, data)
    await until(lambda: cid in session.model.acked or session.model.last_error, f"the answer to {kind}")
    assert cid in session.model.acked, session.model.last_error
    assert session.model.state.head_seq >= before


async def test_member_session_over_a_pty(relay_proc, tmp_path):
    server, creds = relay_proc
    url = server.url
    plan = load_plan(DEMO_PLAN)
    dana, dana_task = await joined(url, creds["Dana"]["token"])
    alex, alex_task = await joined(url, creds["Alex"]["token"])
    await command(dana, "session.start", {"title": plan.title})
    for kind, data in plan.commands(__import__("datetime").date.today()):
        await command(dana, kind, data)
    await command(dana, "phase.set", {"phase": "checkin"})
    await command(alex, "chat.send", {"text": "Hi all, earlier message", "to": "group"})

    importtime = tmp_path / "importtime.txt"
    with open(importtime, "wb") as err, PtyProgram(
        [sys.executable, "-X", "importtime", *plain_argv(url, creds["Sam"]["token"])[1:]],
        client_env(tmp_path / "config"), stderr=err,
    ) as sam:
        try:
            await sam.wait_for("Joined Tuesday IOP as Sam, participant.")
            text = await sam.wait_for("Type /checkin followed by your mood")
            assert "Session Week 3: Reframing thoughts is live, phase check in." in text
            assert "Hi all, earlier message" not in text, "the catch-up replay is summarised, not narrated"
            assert "1 chat message so far in this session" in text

            # Alex: a private check-in note, a private line to the facilitators, and hostile bytes
            await command(alex, "checkin.submit", {"mood": 6, "feelings": ["calm"], "note": "ALEX-SECRET-NOTE", "note_to": "facilitators", "passed": False})
            await command(alex, "chat.send", {"text": "ALEX-PRIVATE-LINE", "to": "facilitators"})
            await command(alex, "chat.send", {"text": "colour \x1b[31mred\x1b[0m bell\x07 done", "to": "group"})
            await sam.wait_for("Check in, Alex: mood 6 of 10, calm.")
            await sam.wait_for("Chat, Alex: colour red bell done")  # the colour codes go whole, not only their ESC byte

            sam.type("/checkin 4 tired, hopeful -- slept badly")
            await sam.wait_for("mood 4 of 10, tired, hopeful")
            await sam.wait_for("slept badly")
            await until(lambda: any(c.note == "slept badly" for c in dana.model.state.checkins.values()), "Dana to get Sam's note")

            await command(dana, "phase.set", {"phase": "psychoeducation"})
            await sam.wait_for("Slide 1 of 8, Reframing thoughts:")
            await command(dana, "slide.goto", {"index": 2})
            # moved on before slide 1 could be read aloud: the title, and /slide reads it (issue 12)
            await sam.wait_for("Slide 3 of 8, Common thinking traps")
            sam.type("/slide")
            text = await sam.wait_for("Slide 3 of 8, Common thinking traps:")
            await sam.wait_for("Labelling: \"I'm an idiot\" instead of \"I made a mistake.\"")
            sam.type("/slide 2")
            await sam.wait_for("Slide 2 of 8, The ABC model:")

            await command(dana, "phase.set", {"phase": "exercises"})
            await command(dana, *plan.poll(2).command())
            await sam.wait_for("Poll open: Which thinking trap do you catch yourself in most often? Options: 1 All or nothing thinking")
            sam.type("/vote 3")
            await sam.wait_for("Your vote is in: 3 Mind reading.")
            poll_id = max(dana.model.state.polls)
            await until(lambda: sam_voted(dana, poll_id), "Dana to see Sam's vote")
            await command(dana, "poll.close", {"poll_id": poll_id})
            await command(dana, "poll.reveal", {"poll_id": poll_id})
            await sam.wait_for("Poll results, Which thinking trap do you catch yourself in most often? ")

            sam.type("I tried the breathing exercise")
            await sam.wait_for("Chat, Sam: I tried the breathing exercise")
            await until(lambda: any(c.text == "I tried the breathing exercise" for c in dana.model.state.chat), "Dana to get Sam's chat")

            await command(dana, "homework.assign", {"title": "Thought record", "homework_kind": "text", "instructions": "One a day.", "items": [], "due": "2030-01-04"})
            await sam.wait_for("Homework assigned: Thought record, due Friday 4 January 2030.")
            sam.type("/homework")
            await sam.wait_for("To hand it in, type /submit 1 and your text.")
            sam.type("/submit 1 Caught a mind-reading thought on Monday.")
            await sam.wait_for("Homework submitted: Thought record.")
            await until(lambda: any(hw.submissions for hw in dana.model.state.homework.values()), "Dana to get the homework")

            sam.type("/bogus")
            await sam.wait_for("There is no command /bogus; type /help to hear the commands.")
            sam.type("/next")
            await sam.wait_for("As a participant you cannot move slides.")  # words.forbidden_text, in both faces

            sam.eof()
            assert await sam.wait_exit() == 0
            await sam.wait_for("Left Tuesday IOP.")
        finally:
            sam.close()
    raw = bytes(sam.output)
    out = sam.flat
    assert b"\x1b" not in raw, "plain mode never writes an escape byte"
    assert b"\x07" not in raw
    assert "Traceback" not in out
    for private in ("ALEX-SECRET-NOTE", "ALEX-PRIVATE-LINE"):
        assert private not in out, "another member's private words reached Sam"
    for line in (
        "Check in, Alex: mood 6 of 10, calm.",
        "Slide 3 of 8, Common thinking traps:",
        "Poll open: Which thinking trap",
        "Your vote is in: 3 Mind reading.",
        "Chat, Sam: I tried the breathing exercise",
        "Homework submitted: Thought record.",
        "Phase: exercises.",
        "Poll results, Which thinking trap",
    ):
        assert out.count(line) == 1, f"{line!r} appears {out.count(line)} times:\n{out}"
    for marker in ("# ", "**", "`"):
        assert not any(line.startswith(marker) for line in sam.text.splitlines()), f"Markdown {marker!r} reached the plain output"
    loaded = importtime.read_text()
    assert "iop_tui.plain.face" in loaded and "websockets" in loaded, "the import log is real"
    assert not any(line.split("|")[-1].strip().split(".")[0] == "textual" for line in loaded.splitlines() if "|" in line), "plain mode loaded textual"
    for session, task in ((dana, dana_task), (alex, alex_task)):
        await session.close()
        await asyncio.wait_for(task, 10)


def sam_voted(dana: ClientSession, poll_id: int) -> bool:
    poll = dana.model.state.polls.get(poll_id)
    return poll is not None and len(poll.votes) >= 1


async def test_facilitator_plain_commands(relay_proc, tmp_path):
    """Dana drives from plain mode: plan, poll from plan, slides, round; Sam's private note is hers to see."""
    server, creds = relay_proc
    sam, sam_task = await joined(server.url, creds["Sam"]["token"])
    with PtyProgram(plain_argv(server.url, creds["Dana"]["token"]), client_env(tmp_path / "config")) as dana:
        try:
            await dana.wait_for("Joined Tuesday IOP as Dana, facilitator. No session is live right now.")
            dana.type(f"/plan {DEMO_PLAN}")
            await dana.wait_for("Plan loaded: Week 3: Reframing thoughts, 3 prepared polls")
            await dana.wait_for("Slides loaded: Reframing thoughts, 8 slides.")
            dana.type("/start")
            await dana.wait_for("Session started: Week 3: Reframing thoughts.")
            dana.type("/phase check-in")
            await dana.wait_for("Phase: check in.")
            await command(sam, "checkin.submit", {"mood": 3, "feelings": ["low"], "note": "SAM-NOTE", "note_to": "facilitators", "passed": False})
            await dana.wait_for("Check in note for facilitators, Sam: SAM-NOTE")
            dana.type("/round")
            await dana.wait_for("Sam: mood 3, low. Private note: SAM-NOTE")
            dana.type("/poll plan 3")
            await dana.wait_for("Quiz open:")
            await until(lambda: sam.model.state.open_polls(), "Sam to see the quiz")
            dana.type("/phase psychoeducation")
            await dana.wait_for("Slide 1 of 8, Reframing thoughts.")  # a facilitator hears the title only
            dana.type("/next")
            await dana.wait_for("Slide 2 of 8, The ABC model.")
            await until(lambda: sam.model.state.slide_index == 1, "Sam's slide to follow")
            dana.type("/notes")
            await dana.wait_for("Notes for slide 2:")
            dana.type("/poll open single \"Ready for a break?\" yes; no")
            await dana.wait_for("Ready for a break? Options: 1 yes, 2 no.")
            dana.type('/assign text +3 days "Journal" Write what you noticed.')
            await until(lambda: sam.model.state.homework, "Sam to get the homework")
            hw_id = next(iter(sam.model.state.homework))
            await command(sam, "homework.submit", {"homework_id": hw_id, "text": "SAM-JOURNAL caught two thoughts"})
            dana.type("/completion 1")
            await dana.wait_for("Sam: wrote: SAM-JOURNAL caught two thoughts")
            dana.eof()
            assert await dana.wait_exit() == 0
        finally:
            dana.close()
    assert b"\x1b" not in bytes(dana.output)
    assert sam.model.state.polls and all(p.correct is None for p in sam.model.state.polls.values()), "the quiz key never reaches members"
    await sam.close()
    await asyncio.wait_for(sam_task, 10)


async def test_refusals_are_one_sentence(relay_proc, tmp_path):
    server, _creds = relay_proc
    env = client_env(tmp_path / "config")
    cases = [
        (plain_argv(server.url, "not-a-real-token"), 1),
        (plain_argv("http://example.org/", "x"), 2),
        (plain_argv("ws://127.0.0.1:9/", "x"), 1),
    ]
    for argv, code in cases:
        done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        both = (done.stdout + done.stderr).strip()
        assert done.returncode == code, both
        assert "Traceback" not in both and "\x1b" not in both
        assert both.splitlines()[-1].endswith("."), both
    rejoin = subprocess.run([sys.executable, "-m", "iop_tui", "--plain"], env=env, cwd=REPO, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert rejoin.returncode == 2 and "iop-tui join" in rejoin.stderr


async def test_eof_from_dev_null_and_saved_credentials(relay_proc, tmp_path):
    server, creds = relay_proc
    env = client_env(tmp_path / "config")
    with PtyProgram(plain_argv(server.url, creds["Riley"]["token"]), env) as riley:
        await riley.wait_for("Joined Tuesday IOP as Riley")
        riley.type("/quit")
        assert await riley.wait_exit() == 0
    # the invitation was saved once accepted: `iop-tui --plain` rejoins; stdin is /dev/null, so it leaves at once
    done = subprocess.run([sys.executable, "-m", "iop_tui", "--plain"], env=env, cwd=REPO, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_plain_never_imports_textual():
    code = (
        "import sys, iop_tui.plain, iop_tui.cli, iop_tui.core.plan, iop_tui.demo, iop_tui.demo.members, iop_tui.core.session\n"
        "import iop_tui.cli as c; c.build_parser().parse_args(['--plain'])\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=client_env(Path("/nonexistent")), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_help_everywhere():
    for args in ([], ["join"], ["demo"]):
        done = subprocess.run([sys.executable, "-m", "iop_tui", *args, "--help"], cwd=REPO, env=client_env(Path("/nonexistent")), capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and "usage: iop-tui" in done.stdout, done.stderr


async def test_connection_lost_and_back(tmp_path):
    """The relay dies and comes back: one line each way, and a line typed while offline is sent once."""
    data = tmp_path / "data"
    creds = seed_group(data, participants=("Sam", "Alex"))
    server = start_server_process(data)
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    alex = None
    with PtyProgram(plain_argv(server.url, creds["Sam"]["token"]), client_env(tmp_path / "config")) as sam:
        try:
            await sam.wait_for("Joined Tuesday IOP as Sam")
            server.kill()
            await sam.wait_for("Connection lost. Reconnecting")
            sam.type("typed while the relay was down")
            await sam.wait_for("Not connected: it will be sent when the connection is back.")
            await asyncio.sleep(1.5)
            server = start_server_process(data, port)
            await sam.wait_for("Reconnected. 1 message sent.", timeout=30)
            await sam.wait_for("Chat, Sam: typed while the relay was down")
            alex, _alex_task = await joined(server.url, creds["Alex"]["token"])
            assert [c.text for c in alex.model.state.chat] == ["typed while the relay was down"], "sent exactly once"
            sam.eof()
            assert await sam.wait_exit() == 0
        finally:
            sam.close()
            if alex is not None:
                await alex.close()
            server.stop()
    out = sam.flat
    assert out.count("Connection lost.") == 1, out
    assert out.count("Reconnected.") == 1, out
    assert b"\x1b" not in bytes(sam.output)
