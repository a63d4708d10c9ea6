"""RunBudget: when a run is done, and how far along its schedule it stands.

A run ends at its step limit (`max_training_steps`), at its time budget
(`max_minutes` of training-loop wall clock), or at whichever comes first. The clock
counts the seconds the loop has run, in this process and in the earlier ones a resumed
run continues (`RunCounters.training_seconds`, saved in every checkpoint), so a run
stopped and resumed still trains for the budget it was given, not for the budget again.

The learning-rate cosine and PER beta anneal over the same budget: `progress` is the
fraction spent, the larger of the clock's and the step limit's when both are set, so
the schedule ends where the run does. Without a time budget it is None and both anneal
over the step count, as they always did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class RunBudget:
    """The run's limits and its training clock."""

    max_steps: int | None
    max_seconds: float | None
    seconds_before: float = 0.0
    """Training seconds of the earlier processes of a resumed run."""
    clock: Callable[[], float] = time.monotonic
    _started: float | None = field(default=None, init=False)

    @classmethod
    def of(
        cls,
        *,
        max_steps: int | None,
        max_minutes: float | None,
        seconds_before: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> RunBudget:
        max_seconds = None if max_minutes is None else max_minutes * 60.0
        return cls(max_steps, max_seconds, seconds_before, clock)

    def start(self) -> None:
        """Start this process's share of the clock (when the loop starts; the workers, started
        during setup, may have played a few seconds by then)."""
        self._started = self.clock()

    @property
    def elapsed_seconds(self) -> float:
        """Training seconds so far, earlier processes included."""
        if self._started is None:
            return self.seconds_before
        return self.seconds_before + (self.clock() - self._started)

    def time_spent(self) -> bool:
        return self.max_seconds is not None and self.elapsed_seconds >= self.max_seconds

    def steps_done(self, step: int) -> bool:
        return self.max_steps is not None and step >= self.max_steps

    def finished(self, step: int) -> bool:
        return self.steps_done(step) or self.time_spent()

    def progress(self, step: int) -> float | None:
        """The fraction of the budget spent (0 to 1), or None without a time budget."""
        if self.max_seconds is None:
            return None
        fraction = self.elapsed_seconds / self.max_seconds
        if self.max_steps is not None:
            fraction = max(fraction, step / self.max_steps)
        return min(1.0, max(0.0, fraction))

    def seconds_left(self, step: int, steps_per_second: float) -> float | None:
        """Until the nearer limit, at the current rate (None: no limit, or no rate yet)."""
        candidates: list[float] = []
        if self.max_seconds is not None:
            candidates.append(max(0.0, self.max_seconds - self.elapsed_seconds))
        if self.max_steps is not None and steps_per_second > 0:
            candidates.append(max(0, self.max_steps - step) / steps_per_second)
        return min(candidates) if candidates else None
