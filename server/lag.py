"""How late the relay's event loop runs, and where its time goes (issue 16, "The tail").

:class:`LagMonitor` is a task that sleeps a short ``every`` again and again and
records how much later than asked each sleep woke: that lateness is exactly
how long some other callback held the loop, so it bounds what any member
waited on top of the work for their own frame. :meth:`LagMonitor.time` wraps
a method (the hub's ``flush``, the store's ``commit``) so the report also
says how long those steps ran on the loop's thread, and their worst case;
:meth:`LagMonitor.atime` wraps a coroutine function (the placement's ``place``
and its claim statements) and says how long its callers waited for it.

``iop-server serve --lag-log FILE`` appends one line per ``interval`` seconds
(and one at the end) to FILE::

    lag n=198 p50_ms=0.1 p99_ms=2.3 max_ms=8.1 over_10ms=0 | flush n=812 total_ms=90.1 max_ms=4.2 | commit ...

Nothing here changes what the relay does; the monitor costs one timer every
``every`` seconds.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["LagMonitor", "Timing"]

F = TypeVar("F", bound=Callable[..., Any])
A = TypeVar("A", bound=Callable[..., Awaitable[Any]])


@dataclass(slots=True)
class Timing:
    """Calls of one step since the last report: how many, their total and worst seconds."""

    count: int = 0
    total: float = 0.0
    worst: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        if seconds > self.worst:
            self.worst = seconds

    def line(self, name: str) -> str:
        return f"{name} n={self.count} total_ms={self.total * 1000:.1f} max_ms={self.worst * 1000:.1f}"


@dataclass
class LagMonitor:
    """Measure the event loop's lateness every ``every`` seconds; report to ``path`` every ``interval``."""

    path: Path | None = None
    every: float = 0.005
    interval: float = 1.0
    lags: list[float] = field(default_factory=list)
    timings: dict[str, Timing] = field(default_factory=dict)
    #: Over the whole run (never reset): the worst lag seen, and how many samples.
    worst: float = 0.0
    samples: int = 0

    def time(self, name: str, fn: F) -> F:
        """``fn``, timed under ``name`` (seconds on the calling thread)."""
        timing = self.timings.setdefault(name, Timing())
        clock = time.perf_counter

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                timing.add(clock() - start)

        return timed  # type: ignore[return-value]

    def atime(self, name: str, fn: A) -> A:
        """The coroutine function ``fn``, timed under ``name`` from call to answer (wall seconds,
        waiting included: how long a caller waited for it, not how long it held the loop)."""
        timing = self.timings.setdefault(name, Timing())
        clock = time.perf_counter

        @functools.wraps(fn)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return await fn(*args, **kwargs)
            finally:
                timing.add(clock() - start)

        return timed  # type: ignore[return-value]

    def report(self) -> str:
        """One line: the loop's lateness since the last report, then each timed step; resets both."""
        lags, self.lags = sorted(self.lags), []

        def pct(q: float) -> float:
            return lags[min(len(lags) - 1, int(q * len(lags)))] * 1000 if lags else 0.0

        parts = [
            f"lag n={len(lags)} p50_ms={pct(0.5):.1f} p99_ms={pct(0.99):.1f} max_ms={pct(1.0):.1f} "
            f"over_10ms={sum(1 for x in lags if x > 0.010)}"
        ]
        for name, timing in self.timings.items():
            parts.append(timing.line(name))
            timing.count, timing.total, timing.worst = 0, 0.0, 0.0  # in place: the wrappers hold it
        return " | ".join(parts)

    def _write(self) -> None:
        line = self.report()
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    async def run(self) -> None:
        """Sample until cancelled; the last partial interval is written too."""
        loop = asyncio.get_running_loop()
        next_report = loop.time() + self.interval
        try:
            while True:
                asked = loop.time()
                await asyncio.sleep(self.every)
                late = max(0.0, loop.time() - asked - self.every)
                self.lags.append(late)
                self.samples += 1
                if late > self.worst:
                    self.worst = late
                if loop.time() >= next_report:
                    next_report += self.interval
                    self._write()
        finally:
            self._write()
