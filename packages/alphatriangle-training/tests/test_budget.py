"""RunBudget: which limit ends a run, how far its schedule stands, and a resumed clock."""

from __future__ import annotations

import pytest

from alphatriangle.training.pipeline.budget import RunBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_without_a_time_budget_the_step_limit_alone_ends_the_run() -> None:
    clock = FakeClock()
    budget = RunBudget.of(max_steps=100, max_minutes=None, clock=clock)
    budget.start()
    clock.now += 10_000.0
    assert budget.progress(50) is None  # the schedules anneal over the steps
    assert not budget.finished(99)
    assert budget.finished(100)
    assert budget.seconds_left(50, steps_per_second=5.0) == pytest.approx(10.0)


def test_the_clock_ends_the_run_and_sets_the_schedule() -> None:
    clock = FakeClock()
    budget = RunBudget.of(max_steps=None, max_minutes=2, clock=clock)
    assert budget.elapsed_seconds == 0.0  # not started: setup time is not training time
    budget.start()
    clock.now += 30.0
    assert budget.progress(10_000) == pytest.approx(0.25)  # no step limit to be ahead of
    assert not budget.finished(10_000)
    clock.now += 90.0
    assert budget.finished(0)
    assert budget.progress(0) == 1.0
    assert budget.seconds_left(0, steps_per_second=0.0) == 0.0


def test_with_both_limits_the_nearer_one_leads() -> None:
    clock = FakeClock()
    budget = RunBudget.of(max_steps=200, max_minutes=10, clock=clock)
    budget.start()
    clock.now += 60.0  # a tenth of the time, half of the steps
    assert budget.progress(100) == pytest.approx(0.5)
    assert budget.seconds_left(100, steps_per_second=1.0) == pytest.approx(100.0)
    assert budget.finished(200)
    assert not budget.finished(199)


def test_a_resumed_run_continues_the_budget_it_was_given() -> None:
    clock = FakeClock()
    budget = RunBudget.of(max_steps=None, max_minutes=1, seconds_before=45.0, clock=clock)
    budget.start()
    assert budget.progress(0) == pytest.approx(0.75)
    clock.now += 14.0
    assert not budget.time_spent()
    clock.now += 1.0
    assert budget.time_spent()
    assert budget.elapsed_seconds == pytest.approx(60.0)
