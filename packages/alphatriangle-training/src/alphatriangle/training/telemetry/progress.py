"""LoopHelpers: the console progress line of the training loop, and the recent figures it shows."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from alphatriangle.rl import SelfPlayResult

from ..pipeline.budget import RunBudget
from ..store.resume import RunCounters


def format_duration(seconds: float) -> str:
    """`75` -> `1m15s`; `3700` -> `1h01m`."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def format_count(value: float) -> str:
    """`1234` -> `1.2k`, `2500000` -> `2.5M`."""
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


@dataclass(slots=True)
class LoopHelpers:
    """Keeps the recent figures the progress line shows.

    Rates are differences of `counters` between two moments of this process, and the
    first moment is taken when the helpers are made: a resumed run's counters start at
    the restored totals, so moves and steps of the earlier process never count as done
    in the seconds since this one started.
    """

    counters: RunCounters
    """The run's totals (restored ones included), read at each `record_rates`."""
    budget: RunBudget
    """The run's limits: the step target and the ETA come from it."""
    started: float = field(default_factory=time.monotonic)
    recent_scores: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    last_losses: dict[str, float] = field(default_factory=dict)
    _window: deque[tuple[float, int, int]] = field(default_factory=lambda: deque(maxlen=64))
    _last_shown: tuple[int, int, int] | None = None
    """(step, games, buffer size) of the last line made."""

    def __post_init__(self) -> None:
        self.record_rates()

    def record_episode(self, result: SelfPlayResult) -> None:
        self.recent_scores.append(result.score)

    def record_rates(self) -> None:
        """Note the counters now, as one end of the window the rates are taken over."""
        counters = self.counters
        self._window.append((time.monotonic(), counters.global_step, counters.moves_played))

    def rates(self) -> tuple[float, float]:
        """(training steps/s, self-play moves/s) over the recent window of this process."""
        if len(self._window) < 2:
            return 0.0, 0.0
        (t0, s0, m0), (t1, s1, m1) = self._window[0], self._window[-1]
        elapsed = max(t1 - t0, 1e-9)
        return (s1 - s0) / elapsed, (m1 - m0) / elapsed

    def has_news(self, *, global_step: int, games: int, buffer_size: int) -> bool:
        """Whether a line now would show other figures than the last one: the line at a
        stop that comes right after a periodic one would only print it again."""
        return self._last_shown != (global_step, games, buffer_size)

    def progress_line(
        self,
        *,
        global_step: int,
        games: int,
        buffer_size: int,
        buffer_capacity: int,
        min_buffer: int,
    ) -> str:
        self._last_shown = (global_step, games, buffer_size)
        steps_per_s, moves_per_s = self.rates()
        budget = self.budget
        target = f"/{budget.max_steps}" if budget.max_steps else ""
        parts = [f"step {global_step}{target}", f"games {games}"]
        fill = f"buffer {format_count(buffer_size)}/{format_count(buffer_capacity)}"
        if buffer_size < min_buffer:
            fill += f" (training at {format_count(min_buffer)})"
        parts.append(fill)
        if self.last_losses:
            parts.append(
                f"loss {self.last_losses['total_loss']:.3f} "
                f"(p {self.last_losses['policy_loss']:.3f} v {self.last_losses['value_loss']:.3f})"
            )
        if self.recent_scores:
            parts.append(f"score {np.mean(self.recent_scores):.2f}")
        parts.append(f"{steps_per_s:.2f} steps/s")
        parts.append(f"{moves_per_s:.0f} moves/s")
        if budget.max_seconds is not None:
            parts.append(
                f"trained {format_duration(budget.elapsed_seconds)}"
                f"/{format_duration(budget.max_seconds)}"
            )
        seconds_left = budget.seconds_left(global_step, steps_per_s)
        if seconds_left is not None:
            parts.append(f"ETA {format_duration(seconds_left)}")
        parts.append(f"up {format_duration(time.monotonic() - self.started)}")
        return " | ".join(parts)
