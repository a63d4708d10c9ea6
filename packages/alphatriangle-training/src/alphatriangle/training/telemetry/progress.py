"""LoopHelpers: the console progress line of the training loop, and the recent figures it shows.

What a newcomer watching the line must be able to tell at once:

- that self-play runs: its moves/s is shown from the first line on, before training
  starts (moves of unfinished games count: workers report them every few moves), and
  "self-play starting" until the workers' first moves arrive;
- why the trainer waits when it does, in words (`trainer_wait_reason`): the buffer is
  still filling to its minimum, or the replay cap holds it until self-play adds more;
- when the run ends: the ETA is "unknown" until training has run long enough in this
  process for its rate to mean something, and then comes from a rate over minutes, not
  seconds, so it does not swing from hours to days;
- how good the games are: the recent mean score with how many games it covers, and
  after a resume (when few new games are in) the mean over every game of the run,
  which the checkpoint carries (`RunCounters.score_sum`).

The run's limits come in as a `BudgetView` (the pipeline's `RunBudget` is one), so this
module depends on nothing above it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from alphatriangle.rl import SelfPlayResult

from ..store.resume import RunCounters

RATE_WINDOW_SECONDS = 300.0
"""The rates (and so the ETA) are taken over about this many recent seconds."""
RATE_SAMPLE_SECONDS = 1.0
"""Samples closer together than this replace each other: the window stays small."""
ETA_SETTLE_SECONDS = 120.0
"""Training must have run this long in this process before a step-limit ETA is shown."""
ETA_SETTLE_STEPS = 10
"""... and taken this many steps."""
RECENT_GAMES = 100
"""Games the recent mean score is taken over."""


class BudgetView(Protocol):
    """What the progress line reads of the run's limits (`pipeline.budget.RunBudget`)."""

    @property
    def max_steps(self) -> int | None: ...

    @property
    def max_seconds(self) -> float | None: ...

    @property
    def elapsed_seconds(self) -> float: ...

    def seconds_left(self, step: int, steps_per_second: float) -> float | None: ...


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


def trainer_wait_reason(
    *,
    buffer_size: int,
    min_buffer: int,
    next_step: int,
    batch_size: int,
    positions_added: int,
    max_samples_per_position: float | None,
) -> str | None:
    """Why the trainer cannot take step `next_step` now, in words; None when it can.

    The same two conditions the loop trains under (`TrainingLoop._may_train`): the
    buffer holds `min_buffer` positions, and after the step at most
    `max_samples_per_position` samples were drawn per position self-play has added.
    """
    if buffer_size < min_buffer:
        return f"training waits: filling the buffer to {format_count(min_buffer)} positions"
    if max_samples_per_position is None:
        return None
    if next_step * batch_size <= max_samples_per_position * positions_added:
        return None
    needed = math.ceil(next_step * batch_size / max_samples_per_position)
    return (
        f"training waits: replay cap of {max_samples_per_position:g} samples per position, "
        f"until self-play adds {format_count(max(1, needed - positions_added))} more"
    )


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
    budget: BudgetView
    """The run's limits: the step target and the time left come from it."""
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    recent_scores: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_GAMES))
    last_losses: dict[str, float] = field(default_factory=dict)
    _window: deque[tuple[float, int, int]] = field(default_factory=deque)
    """(time, global step, moves played) samples over the last `RATE_WINDOW_SECONDS`."""
    _first_step: int = 0
    """The step this process started at."""
    _first_moves: int = 0
    """The moves played when this process started."""
    _training_since: tuple[float, int] | None = None
    """(time, step) of the first step this process took: the step rate starts there."""
    _last_shown: tuple[int, int, int] | None = None
    """(step, games, buffer size) of the last line made."""

    def __post_init__(self) -> None:
        self.started = self.clock()
        self._first_step = self.counters.global_step
        self._first_moves = self.counters.moves_played
        self.record_rates()

    def record_episode(self, result: SelfPlayResult) -> None:
        self.recent_scores.append(result.score)

    def record_rates(self) -> None:
        """Note the counters now, as one end of the window the rates are taken over
        (the loop calls it after every update and before every line)."""
        now, step, moves = self.clock(), self.counters.global_step, self.counters.moves_played
        window = self._window
        if window and self._training_since is None and step > self._first_step:
            self._training_since = (window[-1][0], window[-1][1])
        if len(window) >= 2 and now - window[-2][0] < RATE_SAMPLE_SECONDS:
            window[-1] = (now, step, moves)
        else:
            window.append((now, step, moves))
        while len(window) > 2 and window[1][0] <= now - RATE_WINDOW_SECONDS:
            window.popleft()

    def rates(self) -> tuple[float, float]:
        """(training steps/s, self-play moves/s) over the recent window of this process;
        the step rate only over the time this process has been training."""
        if len(self._window) < 2:
            return 0.0, 0.0
        (t0, s0, m0), (t1, s1, m1) = self._window[0], self._window[-1]
        moves_per_s = (m1 - m0) / max(t1 - t0, 1e-9)
        if self._training_since is not None and self._training_since[0] > t0:
            t0, s0 = self._training_since
        return (s1 - s0) / max(t1 - t0, 1e-9), moves_per_s

    def settled_step_rate(self) -> float | None:
        """The step rate, once training has run `ETA_SETTLE_SECONDS` and
        `ETA_SETTLE_STEPS` in this process; None before."""
        if self._training_since is None:
            return None
        since, first_step = self._training_since
        now, step, _ = self._window[-1]
        if now - since < ETA_SETTLE_SECONDS or step - first_step < ETA_SETTLE_STEPS:
            return None
        return self.rates()[0]

    def eta(self, global_step: int) -> str | None:
        """`ETA 1h02m`, `ETA at most 10m00s` (the time budget ends the run by then, the
        step limit may sooner), `ETA unknown` (a step limit, and no settled rate yet), or
        None for a run without limits."""
        budget = self.budget
        rate = self.settled_step_rate()
        seconds_left = budget.seconds_left(global_step, rate or 0.0)
        if seconds_left is None:
            return "ETA unknown" if budget.max_steps is not None else None
        at_most = budget.max_steps is not None and rate is None
        return f"ETA {'at most ' if at_most else ''}{format_duration(seconds_left)}"

    def score(self) -> str | None:
        """The recent mean score and the games it covers; while fewer than
        `RECENT_GAMES` are in (a resumed run), the run's mean over all its games too."""
        recent = len(self.recent_scores)
        counters = self.counters
        run_games = counters.scored_games
        run_part = ""
        if recent < RECENT_GAMES and run_games > recent:
            run_part = f"; run {counters.score_sum / run_games:.2f} over {format_count(run_games)}"
        if not recent:
            return f"score (no game yet{run_part})" if run_part else None
        games = "game" if recent == 1 else "games"
        return f"score {np.mean(self.recent_scores):.2f} (last {recent} {games}{run_part})"

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
        waiting: str | None = None,
    ) -> str:
        """The line; `waiting` is why the trainer waits now (`trainer_wait_reason`)."""
        self._last_shown = (global_step, games, buffer_size)
        self.record_rates()
        steps_per_s, moves_per_s = self.rates()
        budget = self.budget
        target = f"/{budget.max_steps}" if budget.max_steps else ""
        parts = [f"step {global_step}{target}", f"games {games}"]
        parts.append(f"buffer {format_count(buffer_size)}/{format_count(buffer_capacity)}")
        if waiting:
            parts.append(waiting)
        if self.last_losses:
            parts.append(
                f"loss {self.last_losses['total_loss']:.3f} "
                f"(p {self.last_losses['policy_loss']:.3f} v {self.last_losses['value_loss']:.3f})"
            )
        score = self.score()
        if score:
            parts.append(score)
        if self.counters.moves_played == self._first_moves:
            parts.append("self-play starting")  # the workers' processes are still loading
        else:
            parts.append(f"self-play {moves_per_s:.0f} moves/s")
        parts.append(f"{steps_per_s:.2f} steps/s")
        if budget.max_seconds is not None:
            parts.append(
                f"trained {format_duration(budget.elapsed_seconds)}"
                f"/{format_duration(budget.max_seconds)}"
            )
        eta = self.eta(global_step)
        if eta:
            parts.append(eta)
        parts.append(f"up {format_duration(self.clock() - self.started)}")
        return " | ".join(parts)
