"""The demo's small rooms (issue 13): simulated members in breakout rooms and a role-play.

:func:`member_step` is called by each simulated participant on every look at
the session: in a breakout room it says its persona's line once per round
and the first member of each room writes the room's summary; cast in a
role-play it says its lines in character (``roleplay.say``), or, as the
observer, writes a note and shares it once the scene ends.
:func:`facilitator_round` is the simulated facilitator's part of the
exercises phase: the plan's breakout round (recalled after a short while,
with a broadcast before), then the plan's role-play in the main room, ended
with its debrief questions. Everything goes through the relay as a person's
commands would.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ROOM_LINES", "SCENE_LINES", "OBSERVER_NOTES", "member_step", "facilitator_round", "words_of"]

#: What each persona says in a breakout room (the demo plan's prompt: an automatic thought, then a balanced one).
ROOM_LINES = {
    "Sam": "Mine this week: 'they didn't answer, so they're angry with me'. Balanced: they were probably busy.",
    "Alex": "'I'll mess up the first week.' Balanced: everyone is new once, and I've learned jobs before.",
    "Riley": "'Nobody wants me there.' I'm still looking for the balanced one; maybe 'I was invited'.",
    "Morgan": "'I should be better by now.' Balanced: I'm further along than I was in September.",
}
#: A room's summary, written by its first member.
ROOM_SUMMARIES = {
    "Sam": "We caught mind reading twice and found a kinder second thought each time.",
    "Alex": "Fortune telling came up most; writing the evidence down helped.",
    "Riley": "Hard to find balanced thoughts; we helped each other with one.",
    "Morgan": "Should statements: we swapped them for 'I'd like to'.",
}
#: Lines in character, by the role's name in the demo plan's scenario.
SCENE_LINES = {
    "the member asking for a raise": ("Thanks for the ten minutes. I'd like to talk about a raise; I've taken on two new tasks this year.",),
    "the manager": ("I hear you. Which of the new tasks do you think matters most to the team?",),
}
OBSERVER_NOTES = {
    "Sam": "The ask came in one clear sentence.",
    "Alex": "The voice stayed calm after the manager's question.",
    "Riley": "Next time: say the number you want, not only 'a raise'.",
    "Morgan": "Good eye contact; the pause after the ask felt brave.",
}


def member_step(bot: Any) -> None:
    """One look at the session by a simulated participant (``bot``: a MemberBot)."""
    state, me = bot.state, bot.me_id()
    if me is None or state.session is None:
        return
    bo = state.breakout
    room = state.room_of(me)
    if bo is not None and room:
        line = ROOM_LINES.get(bot.name)
        if line:
            bot.once(("room line", bo.breakout_id), bot.pause(3, 9), lambda: bot.say("chat.send", {"text": line, "to": "group"}))
        summary = ROOM_SUMMARIES.get(bot.name)
        if summary:
            bot.once(("room summary", bo.breakout_id), bot.pause(10, 16), lambda: _summarise(bot, room, summary))
    scene = state.scenes.get(room)
    if scene is None or me not in scene.cast:
        return
    if not scene.ended:
        role = scene.playing(me)
        for i, text in enumerate(SCENE_LINES.get(role or "", ())):
            bot.once(("in character", scene.scene_id, i), bot.pause(3 + 6 * i, 7 + 8 * i), lambda text=text: bot.say("roleplay.say", {"text": text}))
        note = OBSERVER_NOTES.get(bot.name)
        if me in scene.observers and note:
            bot.once(("observe", scene.scene_id), bot.pause(8, 12), lambda: bot.send("roleplay.note", {"text": note}))
    elif me in scene.observers and scene.notes.get(me) and me not in scene.shared:
        bot.once(("share", scene.scene_id), bot.pause(3, 6), lambda: bot.say("roleplay.share", {}, heard=str(scene.notes.get(me, ""))))


async def _summarise(bot: Any, room: int, summary: str) -> None:
    """Write the room's summary unless someone in the room already has (when the floor is free)."""
    bo = bot.state.breakout
    if bo is not None and bot.state.room_of(bot.me_id()) == room and not bo.rooms[room].summary:
        await bot.say("breakout.summary", {"text": summary})


def words_of(data: Any) -> str:
    """About what the room hears of a command's event: its words (a prompt, its questions, a
    scenario and its cue cards), and a dozen more for the sentence around them (issue 12: the
    exercises' announcements take the floor too, so a screen reader keeps up)."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return " ".join(words_of(v) for v in data.values()) + (" and so on" * 4)
    if isinstance(data, (list, tuple)):
        return " ".join(words_of(v) for v in data)
    return ""


def _has_spoken(bot: Any, member_id: int, *, in_room: bool = False, in_role: bool = False) -> bool:
    return any(line.member_id == member_id and (line.room if in_room else True) and (line.as_role if in_role else True) for line in bot.state.chat)


async def facilitator_round(bot: Any) -> None:
    """The simulated facilitator's breakout round and role-play (``bot``: a FacilitatorBot)."""
    plan = bot.plan
    rounds, scenarios = getattr(plan, "breakouts", ()), getattr(plan, "scenarios", ())
    if rounds:
        await bot.chat("Now in small rooms of two: each room hears the prompt, and /rooms says it again.")
        await bot.announce(*rounds[0].command(), heard=words_of(rounds[0].command()[1]))
        await bot.wait_for_everyone(lambda mid: _has_spoken(bot, mid, in_room=True), 20, 26)
        await bot.announce("breakout.broadcast", {"text": "A minute more, then we come back together. Agree on a one-line summary."}, heard="Broadcast to every room, Dana: A minute more, then we come back together. Agree on a one-line summary.")
        await bot.wait(10, 14)
        if bot.state.breakout is not None:
            rooms = bot.state.breakout.rooms
            summaries = [getattr(r, "summary", "") for r in (rooms.values() if isinstance(rooms, dict) else rooms)]
            await bot.announce("breakout.recall", {}, heard="Breakout rooms recalled: everyone is back in the main room. " + words_of(summaries))
        await bot.wait(4, 6)
    if scenarios:
        scenario = scenarios[0]
        await bot.announce(*scenario.command(), heard=words_of(scenario.command()[1]))
        scene = bot.state.scenes.get(0)
        playing = {mid for mid in scene.cast if scene.playing(mid)} if scene is not None else set()
        await bot.wait_for_everyone(lambda mid: mid not in playing or _has_spoken(bot, mid, in_role=True), 24, 30)
        await bot.announce("roleplay.end", {"debrief": list(scenario.debrief)}, heard=words_of({"debrief": list(scenario.debrief)}))
        await bot.wait(10, 14)
