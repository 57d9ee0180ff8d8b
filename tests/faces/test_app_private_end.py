"""The Textual face: private replies to one member, and starting and ending a session (F8).

Real apps at 80x24 driven by Textual's pilot, each on a real ClientSession
joined to the relay fixture over loopback websockets.
"""

from __future__ import annotations

from tests.support.apphelp import joined, option_texts, screen_text, text_of, type_into, wait_until

from iop_tui.core.plan import DEMO_PLAN, load_plan


def keys(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


def private_notices(app) -> list[str]:
    """The private line held on the status line (never a toast over the panes)."""
    status = app.session_screen().query_one("#status")
    text = getattr(status, "shown_text", "")
    return [text] if text.startswith("Private") and status._held is not None else []


async def test_a_facilitator_replies_privately_with_r_and_private_lines_stand_apart(seeded) -> None:
    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), \
            joined(seeded.url, sam_c.token) as (sam, pilot), \
            joined(seeded.url, alex_c.token) as (alex, apilot):
        await pilot.press("f4")
        await type_into(pilot, sam, "#chat-input", "hello all")
        await pilot.press("enter")
        await type_into(pilot, sam, "#chat-input", "/dm can we talk after?")
        await pilot.press("enter")
        await pilot.press("f1")  # Sam looks elsewhere while the answer comes

        # Dana: the private line counts apart from group chat, and its notice lasts.
        await wait_until(dpilot, lambda: "Chat (Private 1, 1 unread)" in screen_text(dana), "the private count on Dana's tab")
        await wait_until(dpilot, lambda: private_notices(dana), "the private line held on Dana's status line")
        assert private_notices(dana) == ["Private to facilitators, Sam: can we talk after?"]

        # Dana selects Sam's private line and presses R: the input now answers Sam alone.
        await dpilot.press("f4")
        log = dana.session_screen().query_one("#chat-log")
        log.focus()
        await dpilot.press("end")
        assert option_texts(dana, "#chat-log")[log.highlighted].startswith("private to facilitators, Sam: can we talk after?")
        await dpilot.press("r")
        assert dana.focused is not None and dana.focused.id == "chat-input"
        assert text_of(dana, "#chat-target").startswith("Replying privately to Sam")
        await dpilot.press(*keys("ok after group"))
        await dpilot.press("enter")

        await wait_until(pilot, lambda: "Chat (Private 1)" in screen_text(sam), "the private count on Sam's tab")
        await wait_until(pilot, lambda: private_notices(sam), "the private line held on Sam's status line")
        assert private_notices(sam) == ["Private from Dana: ok after group"]
        await pilot.press("f4")
        assert "private from Dana: ok after group" in option_texts(sam, "#chat-log")
        assert "Chat (Private" not in screen_text(sam)
        await wait_until(dpilot, lambda: any(t.startswith("private to Sam from Dana: ok after group") for t in option_texts(dana, "#chat-log")), "the reply in Dana's log")

        # The facilitator reads the thread with /thread; Alex never sees a word of it.
        await type_into(dpilot, dana, "#chat-input", "/thread Sam")
        await dpilot.press("enter")
        lines = option_texts(dana, "#chat-log")
        start = lines.index("Private thread with Sam, 2 lines, oldest first:")
        assert lines[start + 1:start + 3] == ["Private to facilitators, Sam: can we talk after?", "Private to Sam from Dana: ok after group"]
        await wait_until(apilot, lambda: "Chat (1 unread)" in screen_text(alex), "the group line at Alex's")
        assert "Private" not in screen_text(alex)
        await apilot.press("f4")
        assert not any("after" in t for t in option_texts(alex, "#chat-log"))


async def test_f8_asks_a_title_from_the_plan_and_ending_asks_a_summary_warns_and_reveals(seeded) -> None:
    sam_c = seeded.participants[0]
    plan = load_plan(DEMO_PLAN)
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), joined(seeded.url, sam_c.token) as (sam, pilot):
        dana.load_plan(str(DEMO_PLAN))
        await dpilot.press("f8")
        title = dana.screen.query_one("#prompt-input")
        assert title.value == plan.title
        await dpilot.press("enter")
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session to start")
        assert dana.session.model.state.session.title == plan.title

        dana.send_command("poll.open", {"question": "Which is a thought?", "poll_kind": "quiz", "options": ["I am bad", "It rained"], "correct": 0})
        await wait_until(pilot, lambda: sam.session.model.state.open_polls(), "the quiz at Sam's")
        poll = sam.session.model.state.open_polls()[0]
        sam.send_command("poll.vote", {"poll_id": poll.poll_id, "choices": [0]})
        await wait_until(dpilot, lambda: dana.session.model.state.polls[poll.poll_id].votes, "Sam's vote at Dana's")

        await dpilot.press("f8")
        assert "1 quiz is still open" in screen_text(dana)
        assert dana.focused is not None and dana.focused.id == "end-summary"
        await dpilot.press("enter")  # no summary yet: asked once, nothing ends
        await dpilot.pause()
        assert "Type a summary, or press Enter again to end without one." in screen_text(dana)
        assert dana.session.model.state.session is not None
        await dpilot.press(*keys("We named traps"))
        await dpilot.press("enter")

        await wait_until(pilot, lambda: sam.session.model.state.session is None, "the end at Sam's")
        sams = sam.session.model.state
        assert sams.sessions[-1].summary == "We named traps"
        assert sams.polls[poll.poll_id].status == "revealed" and sams.polls[poll.poll_id].correct == 0


async def test_escape_keeps_the_session_and_unticking_reveal_closes_polls_unseen(seeded) -> None:
    async with joined(seeded.url, seeded.facilitator.token) as (dana, dpilot):
        await dpilot.press("f8")
        assert dana.screen.query_one("#prompt-input").value == ""
        await dpilot.press(*keys("Week 4"), "enter")
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session to start")
        assert dana.session.model.state.session.title == "Week 4"
        dana.send_command("poll.open", {"question": "Sleep?", "poll_kind": "scale"})
        await wait_until(dpilot, lambda: dana.session.model.state.open_polls(), "the poll")
        await dpilot.press("f8", "f8")  # a second F8 does not stack a second dialog
        assert len(dana.screen_stack) == 2
        await dpilot.press("escape")
        assert dana.session.model.state.session is not None and len(dana.screen_stack) == 1
        await dpilot.press("f8")
        dana.screen.query_one("#end-reveal").value = False
        await dpilot.press(*keys("done"), "enter")
        await wait_until(dpilot, lambda: dana.session.model.state.session is None, "the end")
        assert [p.status for p in dana.session.model.state.polls.values()] == ["closed"]
