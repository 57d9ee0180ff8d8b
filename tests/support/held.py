"""Another program holding a lock, for tests that the relay's event loop never waits for it.

:class:`Held` lets the lock go when the test says so (:meth:`Held.let_go`: call it in a
``finally`` too) or after ``seconds``, whichever comes first: a relay that waits on its loop
for the lock is then let go by the timer, and the test fails on :attr:`Held.timed_out` instead
of hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Held"]


class Held:
    """A lock held until :meth:`let_go` (``let_go()`` releases it: a rollback) or ``seconds`` pass."""

    def __init__(self, let_go: Callable[[], Any], seconds: float = 5.0) -> None:
        self._release = let_go
        self._once = threading.Lock()
        self._done = False
        #: The timer let the lock go: something waited for it that should not have.
        self.timed_out = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.start()

    def _expire(self) -> None:
        self.timed_out = True
        self.let_go()

    def let_go(self) -> None:
        """Release the lock now (once, whoever asks first)."""
        self._timer.cancel()
        with self._once:
            if self._done:
                return
            self._done = True
        self._release()
