"""Afterstate value targets: worked by hand, and as turn-search self-play makes them."""

from __future__ import annotations

import numpy as np
import pytest

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
from alphatriangle.rl import SelfPlayWorker, afterstate_value_targets

REWARDS = np.array([1.0, 2.0, 3.0])
"""What a game scored between its three afterstates, and after the last."""
VALUES = np.array([10.0, 20.0, 30.0])
"""What the search valued each afterstate at when it played."""


def test_monte_carlo_targets_are_the_score_still_to_come() -> None:
    targets = afterstate_value_targets(REWARDS, VALUES, td_lambda=1.0)
    np.testing.assert_allclose(targets, [6.0, 5.0, 3.0])


def test_td_zero_targets_bootstrap_from_the_next_afterstate() -> None:
    targets = afterstate_value_targets(REWARDS, VALUES, td_lambda=0.0)
    np.testing.assert_allclose(targets, [1.0 + 20.0, 2.0 + 30.0, 3.0])


def test_td_lambda_mixes_the_two() -> None:
    # G2 = 3; G1 = 2 + 0.5 * 30 + 0.5 * 3 = 18.5; G0 = 1 + 0.5 * 20 + 0.5 * 18.5 = 20.25
    targets = afterstate_value_targets(REWARDS, VALUES, td_lambda=0.5)
    np.testing.assert_allclose(targets, [20.25, 18.5, 3.0])


def test_a_game_that_ends_on_a_refill_has_nothing_after_its_last_afterstate() -> None:
    """The refill after the last turn fitted nowhere: no alive bonus, no more moves."""
    rewards = np.array([4.0, 2.5, 0.0])
    for td_lambda in (0.0, 0.5, 1.0):
        targets = afterstate_value_targets(rewards, VALUES, td_lambda=td_lambda)
        assert targets[-1] == 0.0
    np.testing.assert_allclose(
        afterstate_value_targets(rewards, VALUES, td_lambda=1.0), [6.5, 2.5, 0]
    )


def test_a_game_cut_off_bootstraps_from_where_it_was_cut() -> None:
    targets = afterstate_value_targets(REWARDS, VALUES, td_lambda=1.0, bootstrap_value=40.0)
    np.testing.assert_allclose(targets, [46.0, 45.0, 43.0])


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="td_lambda"):
        afterstate_value_targets(REWARDS, VALUES, td_lambda=1.5)
    with pytest.raises(ValueError, match="must match"):
        afterstate_value_targets(REWARDS, VALUES[:2], td_lambda=0.5)


def test_self_play_games_become_afterstates_with_their_scores_to_come(
    small_board: EnvConfig, tiny_model: ModelConfig
) -> None:
    """Monte Carlo targets with the network's value alone (no baseline subtracted): the
    score still to come never grows, is zero after a game that ends on a refill, and a
    game has one afterstate per completed turn."""
    worker = SelfPlayWorker(
        worker_id=0,
        env_config=small_board,
        model_config=tiny_model,
        mcts_config=search_config(
            algorithm="turn",
            turn_value="network",
            turn_beam_width=10,
            turn_candidates=6,
            turn_refill_candidates=0,  # targets from the games, not from the ply
        ),
        train_config=TrainConfig(games_per_worker=4, afterstate_td_lambda=1.0),
        seed=5,
    )
    results = worker.play(min_results=8)
    ended_on_refill = 0
    for result in results:
        targets = result.experiences.value_target
        assert result.afterstates
        assert len(targets) <= result.length // small_board.NUM_SHAPE_SLOTS
        assert len(targets) >= (result.length - 1) // small_board.NUM_SHAPE_SLOTS - 1
        assert np.all(np.diff(targets) <= 1e-4)
        assert targets[0] <= result.score + 1e-4
        assert result.experiences.policy_target.shape == (len(targets), 0)  # no policy rows
        assert result.simulations == 0  # the turn search runs none: it values afterstates
        final_turn_complete = result.length % small_board.NUM_SHAPE_SLOTS == 0
        if final_turn_complete and not result.truncated:
            ended_on_refill += 1
            assert targets[-1] == 0.0
    assert ended_on_refill >= 1
    assert sum(result.afterstates_valued for result in results) > 0
    assert worker.stats()["turns"] > 0
