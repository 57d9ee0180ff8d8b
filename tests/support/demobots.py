"""The demo's simulated group on a real relay: facilitator Dana and the demo's personas, run by the demo's bots.

``start_demo_bots(relay, tempo)`` creates the group (``name``, "Tuesday IOP" by
default) in the relay's store, with Dana as facilitator and each of
:data:`iop_tui.demo.members.PERSONAS` as a participant, and starts
:func:`iop_tui.demo.members.run_bots` on the demo plan at ``tempo`` (a
fraction of the demo's pace); it returns the group id and the bots' task,
which the test cancels when done.
"""

from __future__ import annotations

import asyncio
from typing import Any

from iop_tui.core.plan import DEMO_PLAN, load_plan
from iop_tui.demo.members import PERSONAS, run_bots

__all__ = ["start_demo_bots"]


def start_demo_bots(relay: Any, tempo: float, *, name: str = "Tuesday IOP") -> tuple[int, asyncio.Task]:
    """The demo group on ``relay`` and the task running its simulated members (call inside the event loop)."""
    store = relay.store
    gid = store.create_group(name)
    _, dana_token = store.add_member(gid, "Dana", "facilitator")
    tokens = {persona: store.add_member(gid, persona, "participant")[1] for persona in PERSONAS}
    bots = asyncio.create_task(run_bots(relay.url, tokens, plan=load_plan(DEMO_PLAN), facilitator_token=dana_token, tempo=tempo))
    return gid, bots
