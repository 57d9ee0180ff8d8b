"""/quit typed in the full-screen chat input leaves, as in the plain face.

Found by bringing the Textual face under ``mypy --strict``: the chat pane called
the coroutine ``run_action("app.quit")`` without awaiting it, so the typed
/quit (and /exit, /q) did nothing but warn that a coroutine was never awaited.
"""

from __future__ import annotations

import pytest

from tests.support.apphelp import joined, say, wait_until


@pytest.mark.parametrize("line", ["/quit", "/q"])
async def test_quit_typed_in_the_chat_input_leaves_the_app(seeded, line: str) -> None:
    async with joined(seeded.url, seeded.participants[0].token) as (app, pilot):
        await pilot.press("f4")
        await say(pilot, app, line)
        await wait_until(pilot, lambda: app._exit, f"{line} to leave")
