"""Simulated group members for the demo: real clients acting at a human pace.

Each bot is a real :class:`~iop_tui.core.session.ClientSession` holding its own
invitation token, so everything it does goes through the relay exactly as a
person's commands would (permissions, privacy, sequencing). Bots watch their
own view of the session and react: they check in when the check-in phase
starts (one of them with a note for the facilitators only), say something
about a slide, vote when a poll opens, write a private journal entry when a
prompt opens (some share it), add cards to the shared board and a +1 to
someone else's, take their turn in a go-around (one passes), chat and raise a
hand in the discussion, and submit homework once it is assigned. A facilitator
bot runs
the agenda when the person trying the demo is a participant.

Delays are seconds apart, randomised from a fixed seed (the same demo each
run) and scaled by ``tempo`` (``IOP_DEMO_TEMPO``; tests use a small tempo).

The pace is one a person using a screen reader can follow (issue 12): the
facilitator leaves each slide up for as long as it takes to read aloud at
:data:`~iop_tui.core.speech.SPEAKING_WPM` plus a margin (:func:`slide_dwell_s`),
members remark on a slide once it could have been heard, and everything the
group hears goes through one :class:`Floor`: a chat line, a phase change, a
poll or a slide waits until what came before it could have been said, as people
in a room wait for each other.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from protocol.errors import ProtocolError
from protocol.roles import may

from iop_tui.demo.smallrooms import facilitator_round, member_step, words_of

__all__ = ["Persona", "PERSONAS", "MemberBot", "FacilitatorBot", "run_bots"]
from iop_tui.core.speech import speaking_seconds

__all__ = ["Persona", "PERSONAS", "MemberBot", "FacilitatorBot", "Floor", "run_bots", "slide_dwell_s", "slide_words"]

TICK_S = 0.25  # how often a bot looks at its own view of the session (never shown to anyone)
#: The longest the simulated facilitator waits for the people present to vote
#: or check in before moving on. Not scaled by the tempo: the person trying the
#: demo reads and types at their own pace, whatever the bots' pace.
PATIENCE_S = 90.0
#: After a slide has been read aloud, the facilitator talks over it this long (seconds, before tempo).
SLIDE_MARGIN_S = (8.0, 12.0)
#: The pause between one person's chat line being said and the next person's (seconds, before tempo).
FLOOR_GAP_S = 1.5


def slide_words(slide: dict[str, Any], index: int, count: int) -> list[str]:
    """What a member hears when a slide comes up: its heading line, then its body."""
    return [f"Slide {index + 1} of {count}, {slide.get('title', '')}:", str(slide.get("body", ""))]


def slide_dwell_s(slide: dict[str, Any], index: int, count: int, margin: float) -> float:
    """How long a slide stays up: the time to read it aloud, plus ``margin``."""
    return speaking_seconds(slide_words(slide, index, count)) + margin


class Floor:
    """Turn-taking in the simulated room: one thing said at a time (a chat line, a phase,
    a poll, a slide), each given time to be read aloud
    (:func:`~iop_tui.core.speech.speaking_seconds`) before the next."""

    def __init__(self, tempo: float = 1.0, gap: float = FLOOR_GAP_S) -> None:
        self.tempo, self.gap = tempo, gap
        self.free_at = 0.0  # loop time when the last line could have been said
        self._lock = asyncio.Lock()

    async def take(self, text: str) -> None:
        """Wait for the floor, then hold it for as long as ``text`` takes to say."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            wait = self.free_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.free_at = loop.time() + (speaking_seconds(text) + self.gap) * self.tempo


@dataclass(frozen=True)
class Persona:
    """What one simulated participant says and does."""

    name: str
    mood: int
    feelings: tuple[str, ...]
    note: str = ""
    note_to: str = "facilitators"
    arrive_s: tuple[float, float] = (1.0, 4.0)
    slide_remark: tuple[int, str] | None = None  # (slide index, chat line)
    discussion: tuple[str, ...] = ()
    private_line: str = ""  # said to the facilitators only, in the discussion
    raises_hand: bool = False
    homework_text: str = ""
    poll_bias: int = 0  # which option this persona leans to (index)
    # the facilitator's kit: a journal entry (one answer per question), whom it is shared with, a go-around turn
    journal: tuple[str, ...] = ()
    journal_share: str = ""  # "", "facilitators" or "group"
    round_line: str = ""  # "" passes
    cards: tuple[tuple[int, str], ...] = ()  # (column, words) for the shared board


PERSONAS: dict[str, Persona] = {
    "Sam": Persona(
        "Sam", 4, ("tired", "anxious"), note="Rough weekend; I didn't sleep much on Sunday.",
        note_to="facilitators", arrive_s=(0.5, 2.0),
        slide_remark=(2, "Mind reading is definitely me. I always assume people are annoyed with me."),
        discussion=("I tried the breathing exercise from last week before a hard phone call. It helped a bit.",),
        raises_hand=True, homework_text="Monday: a text went unanswered; I caught the mind reading and wrote a balanced thought.",
        poll_bias=2,
        journal=("My sister didn't answer my text all evening.", "She's angry with me.", "Anxious, 70.", "She didn't reply.",
                 "She was at work; she often replies late.", "She is probably busy; I can ask her tomorrow."),
        journal_share="facilitators", round_line="Writing one short thought record a day, even on bad days.",
        cards=((0, "Breathing slowly before a hard call"), (1, "Write down the thought when a text goes unanswered")),
    ),
    "Alex": Persona(
        "Alex", 7, ("hopeful", "calm"), note="Started the new job this week.", note_to="group", arrive_s=(1.5, 4.0),
        slide_remark=(1, "The ABC model makes sense. I skip straight from A to C."),
        discussion=("Writing the thought down made it look smaller for me.", "Same here, Sam. Catching it is half the work."),
        homework_text="Did three thought records; the fortune telling ones were the easiest to catch.",
        poll_bias=1,
        journal=("First day at the new job.", "Everyone will see I don't know what I'm doing.", "Nervous, 50."),
        round_line="Catching fortune telling before meetings.",
        cards=((0, "Writing the thought down makes it smaller"), (1, "One thought record a day, even a short one")),
    ),
    "Riley": Persona(
        "Riley", 5, ("okay", "distracted"), arrive_s=(2.5, 6.0),
        slide_remark=(5, "A balanced thought that I actually believe, not forced positivity. I like that."),
        discussion=("I find the evidence against column really hard.",),
        private_line="Could we talk after group? Something came up at home.",
        homework_text="",
        poll_bias=3,
        journal=("Missed the bus.",),
        cards=((1, "Ask: what would I tell a friend?"),),
    ),
    "Morgan": Persona(
        "Morgan", 3, ("low", "irritable", "lonely"), arrive_s=(4.0, 8.0),
        discussion=("Should statements are my big one. I should be further along by now.",),
        raises_hand=True, homework_text="Tried it twice. Hard, but I did it.",
        poll_bias=0,
        journal=("Sunday at home.", "I should have my life sorted by now.", "Low, 80.", "I'm not working.",
                 "I come here every week and I am doing the work.", "I am working on it, one week at a time."),
        journal_share="group", round_line="Noticing my should statements and saying them out loud here.",
        cards=((0, "A short walk after dinner"),),
    ),
}


@dataclass
class _Bot:
    """Common machinery: a session, delays from a seeded generator, safe sends."""

    url: str
    token: str
    name: str
    tempo: float = 1.0
    seed: int = 3
    floor: Floor | None = None
    session: Any = None
    rng: random.Random = field(init=False)
    _tasks: set = field(default_factory=set, init=False)
    _done: set = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"iop-demo-{self.seed}-{self.name}")

    @property
    def model(self) -> Any:
        return self.session.model

    @property
    def state(self) -> Any:
        return self.session.model.state

    def me_id(self) -> int | None:
        me = self.model.me
        return me.member_id if me is not None else None

    def pause(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high) * self.tempo

    async def say(self, kind: str, data: dict[str, Any], heard: str | None = None) -> bool:
        """Send a command the room hears (a chat line, a card, a shared entry: its ``text``, or
        ``heard``) once the floor is free."""
        if self.floor is not None:
            await self.floor.take(str(data.get("text", "")) if heard is None else heard)
        return self.send(kind, data)

    def send(self, kind: str, data: dict[str, Any]) -> bool:
        me = self.model.me
        if me is None or not may(me.role, kind):
            return False
        try:
            self.session.send(kind, data)
        except ProtocolError:
            return False
        return True

    def once(self, key: Any, delay: float, action: Callable[[], Any]) -> None:
        """Run ``action`` after ``delay`` seconds, only the first time ``key`` is seen."""
        if key in self._done:
            return
        self._done.add(key)

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                result = action()
                if asyncio.iscoroutine(result):
                    await result
            except (KeyError, IndexError, ValueError, AttributeError):
                pass  # the moment passed (a poll closed, the phase moved on)

        task = asyncio.ensure_future(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def connect(self) -> asyncio.Future:
        from iop_tui.core.session import ClientSession

        self.session = ClientSession(self.url, self.token)
        runner = asyncio.ensure_future(self.session.run())
        for _ in range(int(20 / TICK_S)):
            if (self.model.synced and self.model.me is not None) or runner.done():
                break
            await asyncio.sleep(TICK_S)
        return runner

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.session is not None:
            try:
                await asyncio.wait_for(self.session.close(), 3)
            except (TimeoutError, Exception):
                pass


class MemberBot(_Bot):
    """A simulated participant reacting to what happens in the session."""

    def __init__(self, url: str, token: str, persona: Persona, tempo: float = 1.0, seed: int = 3, floor: Floor | None = None) -> None:
        super().__init__(url, token, persona.name, tempo, seed, floor)
        self.persona = persona

    async def run(self) -> None:
        await asyncio.sleep(self.pause(*self.persona.arrive_s))
        runner = await self.connect()
        while not runner.done():
            if self.model.synced:
                try:
                    self.step()
                except (KeyError, IndexError, ValueError, AttributeError):
                    pass  # a state this persona did not expect: sit this tick out, like a person would
            await asyncio.sleep(TICK_S)

    def step(self) -> None:
        state, me, p = self.state, self.me_id(), self.persona
        if me is None or state.session is None:
            return
        sid = state.session.session_id
        phase = state.phase
        if phase == "checkin" and me not in state.checkins:
            self.once(("checkin", sid), self.pause(3, 12), self._check_in)
        if phase == "psychoeducation" and p.slide_remark and state.slide_index == p.slide_remark[0] and state.slides:
            index = p.slide_remark[0]
            heard = speaking_seconds(slide_words(state.slides[index], index, len(state.slides))) * self.tempo
            self.once(("slide", sid, index), heard + self.pause(1, 3), lambda: self._chat(p.slide_remark[1]))
        for poll in state.open_polls():
            if me not in poll.votes:
                self.once(("vote", poll.poll_id), self.pause(4, 14), lambda poll=poll: self._vote(poll))
        if phase == "discussion" and state.goround() is None:  # no one talks over a go-around's turns
            for i, line in enumerate(p.discussion):
                key = ("discuss", sid, i)
                self.once(key, self.pause(4 + 10 * i, 12 + 14 * i), lambda line=line, key=key: self._chat_when_free(key, line))
            if p.raises_hand:
                self.once(("hand", sid), self.pause(2, 8), lambda: self.send("hand.raise", {}))
            if p.private_line:
                self.once(("private", sid), self.pause(20, 30), lambda: self._chat(p.private_line, "facilitators"))
        prompt = state.open_prompt()
        if prompt is not None and p.journal:
            self.once(("journal", prompt.prompt_id), self.pause(6, 20), lambda prompt=prompt: self._journal(prompt))
        running = state.goround()
        if running is not None and running.whose() == me:
            self.once(("turn", running.round_id), self.pause(3, 8), lambda running=running: self._turn(running))
        board = state.current_board()
        if board is not None and board.session_id == sid:  # the shared board: a card or two, and a +1
            for i, (column, text) in enumerate(p.cards):
                if column < len(board.columns):
                    self.once(("card", board.board_id, i), self.pause(4 + 8 * i, 10 + 12 * i), lambda c=column, t=text, b=board: self.say("card.add", {"board_id": b.board_id, "column": c, "text": t}))
            others = [c for c in board.live_cards() if c.author != me and me not in c.plus_by]
            if others:
                self.once(("plus", board.board_id), self.pause(12, 24), lambda c=others[0]: self.say("card.plus", {"card_id": c.card_id}))
        for hw in state.homework.values():
            if me not in hw.submissions and (p.homework_text or hw.kind != "text"):
                self.once(("homework", hw.homework_id), self.pause(6, 20), lambda hw=hw: self._submit(hw))
        member_step(self)  # small rooms (issue 13): breakout rooms and role-play

    async def _chat(self, text: str, to: str = "group") -> None:
        await self.say("chat.send", {"text": text, "to": to})

    async def _chat_when_free(self, key: Any, text: str) -> None:
        """A discussion line, unless a go-around began meanwhile: then it waits for its end."""
        if self.state.goround() is not None:
            self._done.discard(key)  # said again once the go-around is over
            return
        await self._chat(text)

    async def _journal(self, prompt: Any) -> None:
        """A private entry, finished at once; shared as the persona would (when the floor is free:
        the readers hear the entry)."""
        answers = list(self.persona.journal[: len(prompt.fields)])
        answers += [""] * (len(prompt.fields) - len(answers))
        if self.send("journal.write", {"prompt_id": prompt.prompt_id, "answers": answers, "done": True}) and self.persona.journal_share:
            await self.say("journal.share", {"prompt_id": prompt.prompt_id, "to": self.persona.journal_share}, heard=" ".join(answers))

    async def _turn(self, running: Any) -> None:
        """My turn in a go-around: say my line, or pass."""
        if running.ended or running.whose() != self.me_id():
            return
        if self.persona.round_line:
            await self._chat(self.persona.round_line)
        else:
            self.send("goround.pass", {})

    async def _check_in(self) -> None:
        p = self.persona
        if self.me_id() in self.state.checkins:
            return
        mood = max(0, min(10, p.mood + self.rng.choice((-1, 0, 0, 1))))
        if self.floor is not None:  # one at a time, as in a check-in round
            await self.floor.take(f"Check in, {p.name}: mood {mood} of 10, {', '.join(p.feelings)}. Note: {p.note}")
            if self.me_id() in self.state.checkins:
                return
        self.send("checkin.submit", {"mood": mood, "feelings": list(p.feelings), "note": p.note, "note_to": p.note_to, "passed": False})

    def _vote(self, poll: Any) -> None:
        if poll.status != "open" or self.me_id() in poll.votes:
            return
        if poll.kind == "scale":
            choices = [max(0, min(10, self.persona.mood + self.rng.choice((-1, 0, 1))))]
        elif poll.kind == "quiz":
            # most of the group gets the quiz right; Riley guesses
            choices = [1 if self.persona.name != "Riley" else min(3, len(poll.options) - 1)]
        else:
            choices = [min(self.persona.poll_bias, len(poll.options) - 1)]
            if poll.kind == "multiple" and len(poll.options) > 1:
                choices = sorted({choices[0], self.rng.randrange(len(poll.options))})
        self.send("poll.vote", {"poll_id": poll.poll_id, "choices": choices})

    def _submit(self, hw: Any) -> None:
        if self.me_id() in hw.submissions:
            return
        text = self.persona.homework_text
        checked = sorted(self.rng.sample(range(len(hw.items)), k=min(len(hw.items), self.rng.randint(1, 3)))) if hw.items else []
        log = []
        if hw.kind == "emotion_log":
            import datetime as dt

            log = [{"day": dt.date.today().isoformat(), "mood": self.persona.mood, "feelings": list(self.persona.feelings), "note": ""}]
        if hw.kind != "text":
            text = ""  # a checklist or a log takes ticks or days only (the relay refuses text with them)
        self.send("homework.submit", {"homework_id": hw.homework_id, "text": text, "checked": checked, "log": log})


class FacilitatorBot(_Bot):
    """Runs the demo plan's agenda so a person joining as a participant sees a live session."""

    def __init__(self, url: str, token: str, plan: Any, tempo: float = 1.0, seed: int = 3, name: str = "Dana",
                 patience: float = PATIENCE_S, floor: Floor | None = None) -> None:
        super().__init__(url, token, name, tempo, seed, floor)
        self.plan = plan
        self.patience = patience

    def _present(self) -> list[int]:
        """The participants online now: the people whose pace the agenda follows."""
        return [e.member_id for e in self.state.roster.values() if e.role == "participant" and e.status == "online" and not e.removed]

    async def wait_for_everyone(self, done: Callable[[int], bool], low: float, high: float) -> None:
        """Wait the usual pause, then until everyone present is ``done`` (or :attr:`patience` runs out)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        await self.wait(low, high)
        while loop.time() < deadline and not all(done(mid) for mid in self._present()):
            await asyncio.sleep(TICK_S)

    async def setup(self) -> None:
        """Start the session, load the deck and open the check-in (before anyone else joins)."""
        import datetime as dt

        runner = await self.connect()
        if runner.done():
            return
        if self.state.session is None:
            await self.command("session.start", {"title": self.plan.title})
        for kind, data in self.plan.commands(dt.date.today()):
            await self.command(kind, data)
        await self.command("phase.set", {"phase": "checkin"})

    async def command(self, kind: str, data: dict[str, Any], timeout: float = 10) -> None:
        """Send and wait until the relay has applied it (the log's head moves)."""
        before = self.state.head_seq
        if not self.send(kind, data):
            return
        for _ in range(int(timeout / 0.05)):
            if self.state.head_seq > before:
                return
            await asyncio.sleep(0.05)

    async def wait(self, low: float, high: float) -> None:
        await asyncio.sleep(self.pause(low, high))

    async def phase(self, phase: str) -> None:
        """Move to ``phase`` once the floor is free; members hear its name and what to do."""
        from iop_tui.core.words import PHASE_HINTS, phase_name

        await self.announce("phase.set", {"phase": phase}, heard=f"Phase: {phase_name(phase)}. {PHASE_HINTS.get(phase, '')}")

    async def chat(self, text: str) -> None:
        """Say ``text`` to the group when the floor is free, and wait until the relay has it."""
        if self.floor is not None:
            await self.floor.take(text)
        await self.command("chat.send", {"text": text, "to": "group"})

    async def announce(self, kind: str, data: dict[str, Any], heard: str) -> None:
        """Send a command whose event the group hears as about ``heard``, once the floor is free."""
        if self.floor is not None:
            await self.floor.take(heard)
        await self.command(kind, data)

    async def _poll_round(self, number: int, open_s: tuple[float, float]) -> None:
        if number > len(self.plan.polls):
            return
        before = set(self.state.polls)
        planned = self.plan.polls[number - 1]
        await self.announce(*planned.command(), heard=_poll_heard(planned.command()[1]))
        new = [pid for pid in self.state.polls if pid not in before]
        if not new:
            return
        poll = self.state.polls[new[0]]
        await self.wait_for_everyone(lambda mid: mid in poll.votes, *open_s)
        await self.command("poll.close", {"poll_id": new[0]})
        # closed and revealed at once: members hear the results (the question, the votes)
        await self.announce("poll.reveal", {"poll_id": new[0]}, heard=_poll_heard({"question": poll.question, "options": poll.options}))

    async def run(self) -> None:
        """The agenda: check-in, slides, polls, discussion, closing with homework."""
        import datetime as dt

        hands_task = asyncio.ensure_future(self._answer_hands())
        private_task = asyncio.ensure_future(self._answer_private_lines())
        try:
            await self.wait(8, 12)
            await self._poll_round(1, (20, 26))
            await self.wait_for_everyone(lambda mid: mid in self.state.checkins, 12, 18)
            await self.chat("Thank you all for checking in. Let's look at this week's topic.")
            await self.wait(3, 5)
            await self.phase("psychoeducation")
            for index in range(len(self.state.slides)):
                if index:
                    slides = self.state.slides
                    await self.announce("slide.goto", {"index": index}, heard="\n".join(slide_words(slides[index], index, len(slides))))
                # long enough to be read aloud, then talked over (a member's remark fits in the margin)
                slides = self.state.slides
                await asyncio.sleep(slide_dwell_s(slides[index], index, len(slides), self.rng.uniform(*SLIDE_MARGIN_S)) * self.tempo)
            await self.phase("exercises")
            await self.wait(3, 5)
            await self._poll_round(2, (20, 28))
            await self.wait(5, 8)
            await self._poll_round(3, (20, 28))
            await self.wait(5, 8)
            await self._journaling()
            await facilitator_round(self)  # small rooms (issue 13): the plan's breakout round and role-play
            if self.plan.boards:  # the shared board: members add cards and +1s
                await self.announce(*self.plan.boards[0].command(), heard=words_of(self.plan.boards[0].command()[1]))
                await self.chat("The board is open (B, or /board): add what helps you, and a +1 to ideas you like.")
                await self.wait(30, 40)
            await self.phase("discussion")
            await self._go_around()
            await self.chat("What stood out for you today? Raise your hand if you'd like to speak.")
            await self.wait(40, 55)
            await self.phase("closing")
            for kind, data in self.plan.assignments(dt.date.today()):
                await self.command(kind, data)
            await self.chat("This week's homework is in the Homework pane. Thank you for your work today; see you next week.")
            await asyncio.Event().wait()  # stay in the room
        finally:
            hands_task.cancel()
            private_task.cancel()

    async def _journaling(self) -> None:
        """The plan's first journaling prompt: open it, wait until everyone present is done (the
        facilitator sees counts only), close it."""
        if not self.plan.journals:
            return
        await self.announce(*self.plan.journals[0].command(), heard=words_of(self.plan.journals[0].command()[1]))
        prompt = self.state.open_prompt()
        if prompt is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        await self.wait(15, 25)
        while loop.time() < deadline and prompt.done < len(self._present()):
            await asyncio.sleep(TICK_S)
        await self.command("journal.close", {"prompt_id": prompt.prompt_id})

    async def _go_around(self) -> None:
        """The plan's first go-around: each turn ends when its member has spoken or passed
        (or the facilitator's patience runs out), then the facilitator thanks them and moves on."""
        if not self.plan.rounds:
            return
        await self.announce(*self.plan.rounds[0].command(), heard=words_of(self.plan.rounds[0].command()[1]))
        loop = asyncio.get_running_loop()
        while (running := self.state.goround()) is not None:
            whose, index, said = running.whose(), running.index, len(self.state.chat)
            deadline = loop.time() + self.patience
            while loop.time() < deadline and running.index == index and not running.ended:
                if any(line.member_id == whose and line.to == "group" for line in self.state.chat[said:]):
                    break
                await asyncio.sleep(TICK_S)
            if running.index == index and not running.ended:
                await self.wait(2, 4)
                if running.index == index and not running.ended:
                    await self.command("goround.next", {"skip": False})

    async def _answer_hands(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            hands = list(self.state.hands)
            if not hands:
                continue
            first = hands[0]
            await self.wait(6, 10)
            if first in self.state.hands:
                await self.chat(f"Go ahead, {self.state.name_of(first)}.")
                await self.command("hand.lower", {"member_id": first})

    async def _answer_private_lines(self) -> None:
        """A member's private line to the facilitators gets a short private reply, as a facilitator would."""
        answered: set[int] = set()
        while True:
            await asyncio.sleep(TICK_S)
            for line in list(self.state.chat):
                if line.thread is None or line.member_id != line.thread or line.message_id in answered or line.deleted:
                    continue
                answered.add(line.message_id)
                await self.wait(10, 15)  # reading it and typing an answer
                name = self.state.name_of(line.member_id)
                await self.command("chat.reply", {"member_id": line.member_id, "text": f"Thank you for telling me, {name}. Let's talk for a few minutes after group."})


def _poll_heard(data: dict[str, Any]) -> str:
    """About what a member hears of a poll: its question and options (said at opening and with the results)."""
    return " ".join([str(data.get("question", "")), *map(str, data.get("options") or ()), "answers are anonymous to the group"])


async def run_bots(
    url: str,
    tokens: dict[str, str],
    *,
    plan: Any,
    facilitator_token: str | None,
    tempo: float = 1.0,
    seed: int = 3,
    ready: Callable[[], None] | None = None,
) -> None:
    """Run the demo's simulated members until cancelled.

    ``tokens`` maps participant names to tokens. With ``facilitator_token`` a
    facilitator bot sets the session up and runs the agenda; without it the
    session is set up by a short-lived facilitator connection in the caller.
    ``ready`` is called once the session is set up, before members arrive.
    """
    bots: list[_Bot] = []
    tasks: list[asyncio.Future] = []
    try:
        floor = Floor(tempo)
        if facilitator_token is not None:
            facilitator = FacilitatorBot(url, facilitator_token, plan, tempo, seed, floor=floor)
            bots.append(facilitator)
            await facilitator.setup()
            tasks.append(asyncio.ensure_future(facilitator.run()))
        if ready is not None:
            ready()
        for name, token in tokens.items():
            persona = PERSONAS.get(name) or Persona(name, 5, ("okay",))
            bot = MemberBot(url, token, persona, tempo, seed, floor)
            bots.append(bot)
            tasks.append(asyncio.ensure_future(bot.run()))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(bot.close() for bot in bots), return_exceptions=True)


async def setup_session(url: str, token: str, plan: Any, tempo: float = 1.0) -> None:
    """As the facilitator: start the plan's session, load its deck, open the check-in, then leave."""
    bot = FacilitatorBot(url, token, plan, tempo)
    try:
        await bot.setup()
    finally:
        await bot.close()

