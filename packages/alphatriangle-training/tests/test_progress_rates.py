"""The progress line's rates count only what this process saw, also right after a resume."""

from __future__ import annotations

import re
import time

from alphatriangle.training.pipeline.budget import RunBudget
from alphatriangle.training.store.resume import RunCounters
from alphatriangle.training.telemetry.progress import LoopHelpers


def test_rates_after_a_resume_leave_out_the_restored_totals() -> None:
    # A run resumed at step 20 with 5,000 moves played by the process before.
    counters = RunCounters(global_step=20, moves_played=5_000)
    helpers = LoopHelpers(counters=counters, budget=RunBudget.of(max_steps=100, max_minutes=None))
    pause = 0.2
    time.sleep(pause)
    counters.global_step += 2
    counters.moves_played += 40
    helpers.record_rates()
    window = time.monotonic() - helpers.started

    steps_per_s, moves_per_s = helpers.rates()
    assert 2 / window <= steps_per_s <= 2 / pause
    assert 40 / window <= moves_per_s <= 40 / pause  # 5,040 / 0.2 s before the fix
    line = helpers.progress_line(
        global_step=counters.global_step,
        games=3,
        buffer_size=500,
        buffer_capacity=1_000,
        min_buffer=100,
    )
    shown = re.search(r"(\d+) moves/s", line)
    assert shown is not None, line
    assert int(shown.group(1)) <= 40 / pause
    assert "step 22/100" in line


def test_a_time_budget_shows_the_clock_and_the_time_left() -> None:
    now = [100.0]
    budget = RunBudget.of(
        max_steps=None, max_minutes=10, seconds_before=120.0, clock=lambda: now[0]
    )
    budget.start()
    now[0] += 60.0  # 3 of the 10 minutes spent, 2 of them before a resume
    helpers = LoopHelpers(counters=RunCounters(global_step=5), budget=budget)
    line = helpers.progress_line(
        global_step=5, games=1, buffer_size=10, buffer_capacity=100, min_buffer=1
    )
    assert "step 5 " in line  # no step target: the clock alone ends the run
    assert "trained 3m00s/10m00s" in line
    assert "ETA 7m00s" in line


def test_the_line_at_a_stop_is_not_the_last_line_again() -> None:
    """A stop right after a periodic line has nothing new to show: no second copy."""
    helpers = LoopHelpers(
        counters=RunCounters(), budget=RunBudget.of(max_steps=10, max_minutes=None)
    )
    figures = {"global_step": 4, "games": 2, "buffer_size": 50}
    assert helpers.has_news(**figures)
    helpers.progress_line(**figures, buffer_capacity=100, min_buffer=10)
    assert not helpers.has_news(**figures)
    assert helpers.has_news(**{**figures, "global_step": 5})
