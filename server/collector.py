"""When the relay's cyclic garbage collector walks its memory (issue 16, "The tail").

A full pass of CPython's collector walks every object it tracks while holding the
event loop. In the relay those are mostly long-lived: the modules, every group's
folded events, the open connections. Mid-run at 100 groups x 10 members (137,000
objects) one full pass held the loop 69-99 ms, and the pass grows with the state a
node holds. So:

- the young generations are collected automatically, as always (their cost is what
  was allocated lately, not what the relay holds);
- when the relay starts serving, everything alive is frozen (``gc.freeze``): an
  ordinary pass never walks it;
- an ordinary pass, every ``pass_every`` seconds, walks only what was created since
  the last pass, then freezes what survived;
- a frozen object that later becomes cyclic garbage (a connection that outlived a
  pass, then closed) waits for a thorough pass: unfreeze, collect everything, freeze
  again. It runs at the first pass with nobody connected (a stall then holds up no
  one), or once ``thorough_at_most`` seconds have gone by without one, so memory
  stays bounded on a node where someone is always connected (one full stall in that
  time instead of one every pass).

Nothing here changes what the relay does; a frozen object is still freed as soon as
nothing refers to it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["Collector", "Pass", "PASS_EVERY", "THOROUGH_AT_MOST"]

log = logging.getLogger("iop.server")

#: Seconds between two ordinary passes.
PASS_EVERY = 300.0

#: Seconds after which a thorough pass runs even with members connected.
THOROUGH_AT_MOST = 6 * 3600.0

#: A threshold the oldest generation never reaches: it is collected only by :class:`Collector`.
NEVER = 1_000_000


class Pass(StrEnum):
    """What one scheduled pass walked."""

    ORDINARY = "ordinary"  # what was created since the last pass
    THOROUGH = "thorough"  # everything, frozen objects included


class Collector:
    """The relay's schedule for the collector's passes; ``quiet()``: nobody is connected."""

    def __init__(
        self,
        quiet: Callable[[], bool],
        *,
        pass_every: float = PASS_EVERY,
        thorough_at_most: float = THOROUGH_AT_MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self.pass_every = pass_every
        self.thorough_at_most = thorough_at_most
        self.clock = clock
        self._thorough_at = clock()
        self._threshold: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Take the oldest generation from the automatic collector and freeze what is alive now."""
        self._threshold = gc.get_threshold()
        young, middle, _ = self._threshold
        gc.set_threshold(young, middle, NEVER)
        gc.freeze()
        self._thorough_at = self.clock()

    def stop(self) -> None:
        """Give the collector back its own schedule (a test's process goes on)."""
        if self._threshold is not None:
            gc.set_threshold(*self._threshold)
            self._threshold = None
        gc.unfreeze()

    def run_pass(self) -> Pass:
        """One scheduled pass: thorough when nobody is connected or it is due, else ordinary."""
        thorough = self.quiet() or self.clock() - self._thorough_at >= self.thorough_at_most
        if thorough:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        if thorough:
            self._thorough_at = self.clock()
            return Pass.THOROUGH
        return Pass.ORDINARY

    async def run(self) -> None:
        """Run a pass every ``pass_every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.pass_every)
            started = time.perf_counter()
            kind = self.run_pass()
            log.debug("%s garbage collection took %.1f ms", kind.value, (time.perf_counter() - started) * 1000)
