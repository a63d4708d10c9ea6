"""The progress line: what it says before training, while the trainer waits, about the
time left and the score, also right after a resume. Numbers are fed by hand, on a clock
the test moves."""

from __future__ import annotations

import re

from alphatriangle.training.pipeline.budget import RunBudget
from alphatriangle.training.store.resume import RunCounters
from alphatriangle.training.telemetry.progress import (
    ETA_SETTLE_SECONDS,
    RECENT_GAMES,
    LoopHelpers,
    trainer_wait_reason,
)


class HandClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Game:
    """What `record_episode` reads of a finished game."""

    def __init__(self, score: float) -> None:
        self.score = score


def helpers_for(
    counters: RunCounters, *, max_steps: int | None = 100, max_minutes: float | None = None
) -> tuple[LoopHelpers, HandClock]:
    clock = HandClock()
    budget = RunBudget.of(max_steps=max_steps, max_minutes=max_minutes, clock=clock)
    budget.start()
    return LoopHelpers(counters=counters, budget=budget, clock=clock), clock


def line_of(helpers: LoopHelpers, waiting: str | None = None) -> str:
    counters = helpers.counters
    return helpers.progress_line(
        global_step=counters.global_step,
        games=counters.episodes_played,
        buffer_size=500,
        buffer_capacity=10_000,
        waiting=waiting,
    )


def test_self_play_speed_shows_before_the_first_training_step() -> None:
    counters = RunCounters()
    helpers, clock = helpers_for(counters)
    clock.now += 5.0
    assert "self-play starting" in line_of(helpers)  # no move yet: workers still loading
    clock.now += 5.0
    counters.moves_played += 800  # moves of games still playing; no game finished yet
    line = line_of(helpers, waiting="training waits: filling the buffer to 1.0k positions")
    assert "self-play 80 moves/s" in line
    assert "0.00 steps/s" in line
    assert "training waits: filling the buffer to 1.0k positions" in line
    assert "ETA unknown" in line  # no training yet: no rate to tell


def test_rates_after_a_resume_leave_out_the_restored_totals() -> None:
    # A run resumed at step 20 with 5,000 moves played by the process before.
    counters = RunCounters(global_step=20, moves_played=5_000)
    helpers, clock = helpers_for(counters)
    clock.now += 10.0
    counters.global_step += 2
    counters.moves_played += 40
    line = line_of(helpers)
    steps_per_s, moves_per_s = helpers.rates()
    assert moves_per_s == 4.0  # 504 before the fix: the restored 5,000 counted as new
    assert 0 < steps_per_s <= 0.2
    assert "self-play 4 moves/s" in line
    assert "step 22/100" in line


def test_the_trainer_waits_are_said_in_words() -> None:
    filling = trainer_wait_reason(
        buffer_size=300,
        min_buffer=1_000,
        next_step=1,
        batch_size=64,
        positions_added=300,
        max_samples_per_position=4.0,
    )
    assert filling == "training waits: filling the buffer to 1.0k positions"
    # The resume of the report: step 66, 2.1k positions, over the 1.0k minimum, and the
    # replay cap holding the trainer: 67 steps of 128 need 67 * 128 / 4 = 2,144 added.
    capped = trainer_wait_reason(
        buffer_size=2_100,
        min_buffer=1_000,
        next_step=67,
        batch_size=128,
        positions_added=2_100,
        max_samples_per_position=4.0,
    )
    assert capped == (
        "training waits: replay cap of 4 samples per position, until self-play adds 44 more"
    )
    free = dict(buffer_size=2_200, min_buffer=1_000, next_step=67, batch_size=128)
    assert trainer_wait_reason(**free, positions_added=2_144, max_samples_per_position=4.0) is None
    assert trainer_wait_reason(**free, positions_added=0, max_samples_per_position=None) is None


def test_the_eta_is_unknown_until_training_settles_and_then_steady() -> None:
    counters = RunCounters()
    helpers, clock = helpers_for(counters, max_steps=1_000)
    clock.now += 60.0  # self-play only
    helpers.record_rates()
    etas = []
    # Training at 1 step/s, with a burst of 5 steps in one second at the start.
    counters.global_step = 5
    clock.now += 1.0
    helpers.record_rates()
    etas.append(helpers.eta(counters.global_step))
    while clock.now - 1_061.0 < ETA_SETTLE_SECONDS + 60.0:
        clock.now += 5.0
        counters.global_step += 5
        helpers.record_rates()
        etas.append(helpers.eta(counters.global_step))
    assert etas[0] == "ETA unknown"  # 5 steps in 1 s: 3 minutes, a guess
    assert etas[10] == "ETA unknown"  # 55 s of training: not settled
    known = [eta for eta in etas if eta != "ETA unknown"]
    assert known, etas
    # Settled: about (1,000 - step) s at 1 step/s, never hours, never the burst's 5/s.
    minutes = [int(m) for eta in known for m in re.findall(r"ETA (\d+)m", eta)]
    assert len(minutes) == len(known), known
    assert all(12 <= m <= 14 for m in minutes), known


def test_with_a_time_budget_and_a_step_limit_the_unsettled_eta_is_an_upper_bound() -> None:
    counters = RunCounters()
    helpers, clock = helpers_for(counters, max_steps=10_000, max_minutes=60)
    clock.now += 600.0
    assert helpers.eta(0) == "ETA at most 50m00s"


def test_a_time_budget_shows_the_clock_and_the_time_left() -> None:
    now = [100.0]
    budget = RunBudget.of(
        max_steps=None, max_minutes=10, seconds_before=120.0, clock=lambda: now[0]
    )
    budget.start()
    now[0] += 60.0  # 3 of the 10 minutes spent, 2 of them before a resume
    helpers = LoopHelpers(counters=RunCounters(global_step=5), budget=budget)
    line = helpers.progress_line(global_step=5, games=1, buffer_size=10, buffer_capacity=100)
    assert "step 5 " in line  # no step target: the clock alone ends the run
    assert "trained 3m00s/10m00s" in line
    assert "ETA 7m00s" in line


def test_the_score_after_a_resume_says_what_it_covers() -> None:
    # 1,200 games averaging 130 before the resume; the first short game after it.
    counters = RunCounters(episodes_played=1_200, score_sum=156_000.0, scored_games=1_200)
    helpers, _ = helpers_for(counters)
    assert helpers.score() == "score (no game yet; run 130.00 over 1.2k)"
    helpers.record_episode(Game(6.47))  # type: ignore[arg-type]
    counters.score_sum += 6.47
    counters.scored_games += 1
    line = line_of(helpers)
    assert "score 6.47 (last 1 game; run 129.90 over 1.2k)" in line
    for _ in range(RECENT_GAMES):
        helpers.record_episode(Game(100.0))  # type: ignore[arg-type]
    assert helpers.score() == f"score 100.00 (last {RECENT_GAMES} games)"


def test_the_line_at_a_stop_is_not_the_last_line_again() -> None:
    """A stop right after a periodic line has nothing new to show: no second copy."""
    helpers, _ = helpers_for(RunCounters(), max_steps=10)
    figures = {"global_step": 4, "games": 2, "buffer_size": 50}
    assert helpers.has_news(**figures)
    helpers.progress_line(**figures, buffer_capacity=100)
    assert not helpers.has_news(**figures)
    assert helpers.has_news(**{**figures, "global_step": 5})
