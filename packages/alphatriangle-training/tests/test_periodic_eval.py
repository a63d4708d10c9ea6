"""Evaluations during training are paced by the clock to a share of the run's CPU.

A real evaluation (a Ray task on a local Ray, the turn search on the small board) and a
clock the test moves by hand, so the pacing is checked exactly on a noisy machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import ray

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
from alphatriangle.nn import NeuralNetwork
from alphatriangle.training.roles.periodic_eval import PeriodicEvaluation

SMALL_BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16)


class HandClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A private Ray (`address="local"`), never a cluster the machine runs or recorded."""
    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_the_next_evaluation_waits_for_its_share_of_the_cpu(local_ray: None) -> None:
    clock = HandClock()
    evaluation = PeriodicEvaluation(
        train_config=TrainConfig(
            eval_interval_steps=10, eval_games=2, eval_max_moves=6, eval_cpu_share=0.25
        ),
        env_config=SMALL_BOARD,
        model_config=TINY_MODEL,
        mcts_config=search_config(turn_beam_width=8, turn_candidates=4),
        run_cpus=2,
        clock=clock,
    )
    weights = NeuralNetwork(
        model_config=TINY_MODEL, env_config=SMALL_BOARD, device="cpu"
    ).get_weights()
    assert not evaluation.is_due(5)  # not a multiple of the interval
    assert evaluation.is_due(10)
    evaluation.start(10, weights)
    assert not evaluation.is_due(20)  # one plays at a time
    clock.now += 30.0  # it played for 30 s
    outcome = evaluation.poll(timeout=120)
    assert outcome is not None
    assert outcome.step == 10
    assert outcome.is_best
    assert len(outcome.summary.games) == 2
    assert evaluation.seconds_evaluating == 30.0
    # 30 s on one core at a share of 0.25 of 2 CPUs: the next may start 60 s after this began.
    clock.now += 29.0
    assert not evaluation.is_due(20)
    clock.now += 1.0
    assert evaluation.is_due(20)
    assert evaluation.cpu_share_so_far() == pytest.approx(30.0 / (60.0 * 2))
