"""Taking turns on one loaded model: first come, first served, with a bounded queue.

The window and the local API server share the model the window loaded. The engine runs one
generation at a time (its lock); the scheduler puts the API's requests in line before they reach
it, so at most ``max_waiting`` wait and the rest are told at once to come back later
(``QueueFull`` with a Retry-After estimate), and a request cancelled while it waits leaves the
line without ever touching the model. The window's own replies go straight to the engine and
wait at most for the one API generation running.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from chatapp.core.errors import EngineError
from chatapp.core.inference.backend import Event, Generation

_RECENT = 16  # generations whose durations estimate the wait


class QueueFull(EngineError):
    """Too many requests are waiting; ``retry_after`` seconds is a fair time to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(eq=False)
class Ticket:
    """One request's place in line, and its stop flag once it runs."""

    leave: Callable[[Ticket], None] = lambda _t: None  # takes it out of the line
    cancelled: threading.Event = field(default_factory=threading.Event)
    generation: Generation | None = None

    def cancel(self) -> None:
        """Leave the line, or stop the generation (within a token); any thread, idempotent."""
        self.cancelled.set()
        if self.generation is not None:
            self.generation.cancel()
        else:
            self.leave(self)


class Scheduler:
    """One generation at a time, in arrival order; ``max_waiting`` may wait behind it."""

    def __init__(self, max_waiting: int = 8) -> None:
        self.max_waiting = max_waiting
        self._cond = threading.Condition()
        self._line: deque[Ticket] = deque()  # the first one is running (or about to)
        self._durations: deque[float] = deque(maxlen=_RECENT)

    @property
    def busy(self) -> bool:
        """A generation runs or is about to."""
        with self._cond:
            return bool(self._line)

    def admit(self) -> Ticket:
        """A place in line.

        Raises:
            QueueFull: ``max_waiting`` requests already wait behind the running one.
        """
        with self._cond:
            if len(self._line) > self.max_waiting:
                per = statistics.median(self._durations) if self._durations else 5.0
                wait = max(1, round(per * len(self._line)))
                raise QueueFull(
                    f"the model is busy: {len(self._line) - 1} requests are waiting already; "
                    f"try again in about {wait} s",
                    retry_after=wait,
                )
            ticket = Ticket(leave=self._leave)
            self._line.append(ticket)
            return ticket

    def run(self, ticket: Ticket, start: Callable[[], Generation]) -> Iterator[Event]:
        """Wait for ``ticket``'s turn, then start its generation and yield its events.

        Nothing is yielded for a ticket cancelled while it waited. The line moves on however
        the generation ends (finished, cancelled, failed, or the caller stopped iterating).
        """
        try:
            with self._cond:
                while not ticket.cancelled.is_set() and self._line[0] is not ticket:
                    self._cond.wait()
            if ticket.cancelled.is_set():
                return
            began = time.monotonic()
            generation = start()
            ticket.generation = generation
            if ticket.cancelled.is_set():  # cancelled between the check and now
                generation.cancel()
            try:
                yield from generation.events()
            finally:
                generation.close()
                self._durations.append(time.monotonic() - began)
        finally:
            with self._cond:
                if ticket in self._line:
                    self._line.remove(ticket)
                self._cond.notify_all()

    def cancel_all(self) -> None:
        """Stop the running generation and empty the line (the server is stopping)."""
        with self._cond:
            tickets = list(self._line)
        for ticket in tickets:
            ticket.cancel()

    def _leave(self, ticket: Ticket) -> None:
        """A ticket cancelled before its generation started gives up its place at once."""
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
            self._cond.notify_all()


__all__ = ["QueueFull", "Scheduler", "Ticket"]
