"""Helpers for the Textual app tests: a real ClientSession in a real IopApp.

``joined(url, token)`` runs ``IopApp`` at 80x24 with Textual's pilot and
returns once the session has caught up with the relay (``notifications=True``
keeps Textual's notifications on, which ``run_test`` turns off by default). ``wait_until`` polls a
condition between pilot pauses and fails with a sentence instead of hanging.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any
from collections.abc import AsyncIterator, Callable

from iop_tui.tui.app import IopApp
from iop_tui.core.session import ClientSession

__all__ = ["joined", "wait_until", "text_of", "screen_text", "press_button", "type_into"]

SIZE = (80, 24)


async def wait_until(pilot: Any, condition: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Pause the pilot until ``condition()`` is truthy; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


@asynccontextmanager
async def joined(url: str, token: str, *, theme: str | None = None, size: tuple[int, int] = SIZE,
                 notifications: bool = False) -> AsyncIterator[tuple[IopApp, Any]]:
    """An IopApp joined to the relay as the member holding ``token``."""
    session = ClientSession(url, token)
    app = IopApp(session, theme=theme)
    async with app.run_test(size=size, notifications=notifications) as pilot:
        await wait_until(pilot, lambda: session.model.synced and session.model.me is not None, "the join to finish")
        await pilot.pause()
        yield app, pilot
        await session.close()


def text_of(app: IopApp, selector: str) -> str:
    """The text a Static of the session screen shows (set through the panes)."""
    screen = app.session_screen()
    return getattr(screen.query_one(selector), "shown_text", "")


def screen_text(app: IopApp) -> str:
    """What the 80x24 terminal shows right now, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def option_texts(app: IopApp, selector: str) -> list[str]:
    widget = app.session_screen().query_one(selector)
    return [str(option.prompt) for option in widget.options]


async def press_button(pilot: Any, app: IopApp, selector: str) -> None:
    """Press a button the way Enter on it would."""
    app.session_screen().query_one(selector).press()
    await pilot.pause()


async def type_into(pilot: Any, app: IopApp, selector: str, text: str) -> None:
    """Focus an input and type ``text`` key by key."""
    widget = app.session_screen().query_one(selector)
    widget.focus()
    await pilot.pause()
    widget.value = ""
    await pilot.press(*[_key(c) for c in text])


def _key(char: str) -> str:
    names = {" ": "space", ";": "semicolon", ",": "comma", "/": "slash", "-": "minus", ".": "full_stop",
             "'": "apostrophe", "?": "question_mark", "!": "exclamation_mark", ":": "colon", "#": "number_sign",
             "~": "tilde", "_": "underscore"}
    return names.get(char, char)


async def say(pilot: Any, app: IopApp, text: str) -> None:
    """Type ``text`` in the chat input and press Enter, as a person does."""
    await type_into(pilot, app, "#chat-input", text)
    await pilot.press("enter")


@asynccontextmanager
async def live_in_chat(seeded: Any) -> AsyncIterator[tuple[Any, IopApp, Any, IopApp, Any]]:
    """The small-rooms scene: Alex present (a raw client), the facilitator Dana and the member Sam
    full screen on the Chat pane, session "Week 4" started. Yields (alex, dana, dpilot, sam, pilot)."""
    from tests.support.wsclient import RawClient

    sam_c, alex_c = seeded.participants[0], seeded.participants[1]
    async with RawClient(seeded.url, alex_c.token) as alex, \
            joined(seeded.url, seeded.facilitator.token) as (dana, dpilot), \
            joined(seeded.url, sam_c.token) as (sam, pilot):
        await asyncio.wait_for(alex.wait_synced(), 10)
        await dpilot.press("f4")
        await pilot.press("f4")
        await say(dpilot, dana, "/start Week 4")
        await wait_until(dpilot, lambda: dana.session.model.state.session is not None, "the session")
        yield alex, dana, dpilot, sam, pilot
