"""Self-play: one position per move, and repeatable games through real Ray actors."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest
import ray

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
from alphatriangle.nn import FeatureSpec
from alphatriangle.rl import SelfPlayResult, SelfPlayWorker


def worker_kwargs(env: EnvConfig, model: ModelConfig, seed: int) -> dict[str, object]:
    return dict(
        env_config=env,
        model_config=model,
        mcts_config=search_config(
            algorithm="gumbel", max_simulations=4, gumbel_max_considered_actions=4
        ),
        train_config=TrainConfig(games_per_worker=3, max_episode_length=60),
        seed=seed,
    )


def test_a_game_of_n_moves_yields_n_positions(tiny_model: ModelConfig) -> None:
    worker = SelfPlayWorker(worker_id=0, **worker_kwargs(EnvConfig(), tiny_model, seed=5))  # type: ignore[arg-type]
    results = worker.play(min_results=3)
    assert len(results) >= 3
    for result in results:
        assert result.length == len(result.experiences)
        assert 0 < result.length <= 60
        assert result.simulations == 4 * result.length
        if not result.truncated:
            assert result.score > 0


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A private Ray of this test's own: `address="local"` starts one whatever cluster
    the machine runs or recorded (without it, `ray.init` joins the recorded one, or
    retries a dead one forever); `ray.shutdown` then stops only what it started."""
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def play_remotely(env: EnvConfig, model: ModelConfig, seed: int) -> list[SelfPlayResult]:
    actor_class = SelfPlayWorker.as_remote(num_cpus=1)
    actor = actor_class.remote(worker_id=1, **worker_kwargs(env, model, seed))
    try:
        results: list[SelfPlayResult] = ray.get(actor.play.remote(min_results=2), timeout=120)
    finally:
        ray.kill(actor)
    return results


def test_worker_through_ray_on_a_small_board_is_repeatable(
    local_ray: None, small_board: EnvConfig, tiny_model: ModelConfig
) -> None:
    first = play_remotely(small_board, tiny_model, seed=3)
    second = play_remotely(small_board, tiny_model, seed=3)
    spec = FeatureSpec.from_env(small_board)
    assert len(first) >= 2
    for result in first:
        assert result.worker_id == 1
        assert result.experiences.grid.shape[1:] == (spec.grid_channels, 6, 9)
        assert result.experiences.policy_target.shape == (result.length, spec.action_dim)
        np.testing.assert_allclose(result.experiences.policy_target.sum(axis=1), 1.0, atol=1e-5)
        assert np.all(np.isfinite(result.experiences.value_target))
    assert [(r.seed, r.length, r.score) for r in first] == [
        (r.seed, r.length, r.score) for r in second
    ]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.experiences.policy_target, b.experiences.policy_target)
    different = play_remotely(small_board, tiny_model, seed=4)
    assert [r.seed for r in different] != [r.seed for r in first]


def test_turn_self_play_starts_with_few_games_and_grows_to_all(
    small_board: EnvConfig, tiny_model: ModelConfig
) -> None:
    """`games_per_worker_at_start` games first; each game that ends starts four (its slot
    and three more) until `games_per_worker` are in play; moves count the games played."""
    worker = SelfPlayWorker(
        worker_id=0,
        env_config=small_board,
        model_config=tiny_model,
        mcts_config=search_config(algorithm="turn", turn_beam_width=10, turn_candidates=4),
        train_config=TrainConfig(games_per_worker=9, games_per_worker_at_start=2),
        seed=5,
    )
    in_play = [len(worker.in_play())]
    finished = 0
    moves = 0
    while in_play[-1] < 9:
        moves += in_play[-1]
        results = worker.play(min_results=0, max_moves=1)
        ended = sum(not result.in_play for result in results)  # not positions handed over
        finished += ended
        in_play.append(len(worker.in_play()))
        assert in_play[-1] == min(9, in_play[-2] + 3 * ended)
        assert worker.moves_played == moves
    assert in_play[0] == 2
    assert finished >= 3
    worker.play(min_results=3)
    assert len(worker.in_play()) == 9  # never more than games_per_worker
