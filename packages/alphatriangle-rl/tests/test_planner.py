"""The planner: its plans are real lines of play, it prefers plans that place every shape,
and it plays legal moves to the end of the game on any board.

Its strength against mobility is asserted in `test_evaluation.py`, its replaying the same
game on the same seed there too (for every baseline), and its blindness to the next
shapes in `test_honest_play.py`.
"""

from __future__ import annotations

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig
from alphatriangle.rl.evaluation import PlannerPlayer, Plans, board_value, plan
from alphatriangle.rl.game import (
    GameTables,
    encode_states,
    pack_cells,
    refill_game_over_probability,
)

EXHAUSTIVE = 1_000_000
"""A beam wider than any position's plans: nothing is pruned."""


def mixed_position(env: EnvConfig, seed: int) -> GameState:
    """The first position of a seeded random game where, with two shapes in the slots,
    some plans place both and some end the game on the way."""
    tables = GameTables.for_env(env)
    game = GameState(env, initial_seed=seed)
    rng = np.random.default_rng(seed)
    while not game.is_over():
        position = encode_states(tables, [game])
        if (position.shapes[0] >= 0).sum() == 2:
            plans = plan(tables, position, beam_width=EXHAUSTIVE)
            if plans.completes.any() and not plans.completes.all():
                return game
        game.step(int(rng.choice(sorted(game.valid_actions()))))
    raise AssertionError(f"seed {seed} never reached a position with both kinds of plans")


def engine_plan_values(game: GameState) -> tuple[dict[int, set[float]], dict[int, float]]:
    """Every first move's plan values, found by playing every order on engine copies:
    (first move -> values of the plans that place both shapes, first move -> value of
    the plan that ends the game with it).

    A plan that places both shapes is worth its reward (the last move's alive bonus in
    expectation over the refill) plus its end board's value; one that ends the game is
    worth its reward.
    """
    tables = GameTables.for_env(game.env_config)
    alive_bonus = tables.reward_per_step_alive
    completing: dict[int, set[float]] = {}
    ending: dict[int, float] = {}
    for first in sorted(game.valid_actions()):
        after_first = game.copy()
        first_reward, over = after_first.step(first)
        if over:
            ending[first] = first_reward
            continue
        completing[first] = set()
        for second in sorted(after_first.valid_actions()):
            after_second = after_first.copy()
            second_reward, over = after_second.step(second)
            real_alive_bonus = 0.0 if over else alive_bonus
            cells = after_second.get_grid_data_np()["occupied"].reshape(1, -1)
            worth = board_value(tables, pack_cells(cells, tables.words), PlannerPlayer().weights)
            alive = 1.0 - refill_game_over_probability(tables, worth.fit_counts)[0]
            reward = first_reward + second_reward - real_alive_bonus + alive_bonus * alive
            completing[first].add(reward + float(worth.value[0]))
    return completing, ending


@pytest.mark.parametrize("seed", [24, 36])
def test_every_plan_is_a_line_of_play_and_the_best_is_found(
    small_board: EnvConfig, seed: int
) -> None:
    game = mixed_position(small_board, seed)
    tables = GameTables.for_env(small_board)
    plans = plan(tables, encode_states(tables, [game]), beam_width=EXHAUSTIVE)
    completing, ending = engine_plan_values(game)
    for first, value, completes in zip(
        plans.first_action, plans.value, plans.completes, strict=True
    ):
        if completes:
            assert min(abs(value - v) for v in completing[int(first)]) < 1e-9, int(first)
        else:
            assert value == pytest.approx(ending[int(first)], abs=1e-12), int(first)
    assert set(plans.first_action[~plans.completes].tolist()) == set(ending)
    best = max(max(values) for values in completing.values())
    assert plans.value[plans.completes].max() == pytest.approx(best, abs=1e-9)


def test_plans_that_place_every_shape_come_before_those_that_end_the_game(
    small_board: EnvConfig,
) -> None:
    game = mixed_position(small_board, 24)
    tables = GameTables.for_env(small_board)
    plans = plan(tables, encode_states(tables, [game]), beam_width=EXHAUSTIVE)
    # Ending the game scores its reward; every completing plan here is worth less,
    # its end board's holes counted against it, yet it is preferred.
    assert plans.value[~plans.completes].max() > plans.value[plans.completes].max()
    assert set(plans.best_actions()) <= set(plans.first_action[plans.completes])
    dead_ends = Plans(
        first_action=np.array([5, 7, 9]),
        value=np.array([1.0, 3.0, 3.0]),
        completes=np.zeros(3, np.bool_),
    )
    assert dead_ends.best_actions().tolist() == [7, 9]


def test_the_planner_completes_a_line(line_clear: tuple[GameState, int]) -> None:
    state, clearing_action = line_clear
    assert PlannerPlayer().choose(state, np.random.default_rng(0)) == clearing_action


@pytest.mark.parametrize("board", ["default", "small"])
def test_the_planner_plays_legal_moves_to_the_end(board: str, small_board: EnvConfig) -> None:
    env, games, moves_cap = (EnvConfig(), 1, 40) if board == "default" else (small_board, 3, None)
    player = PlannerPlayer()
    for seed in range(games):
        state = GameState(env, initial_seed=seed)
        rng = np.random.default_rng(seed)
        moves = 0
        while not state.is_over() and (moves_cap is None or moves < moves_cap):
            action = player.choose(state, rng)
            assert action in state.valid_actions()
            reward, _ = state.step(action)
            assert reward > 0  # an illegal move would cost -10
            moves += 1
        assert moves > 10
        assert state.is_over() or moves == moves_cap


def test_a_beam_narrower_than_one_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="beam_width must be at least 1, got 0"):
        PlannerPlayer(beam_width=0)
    tables = GameTables.for_env(EnvConfig())
    position = encode_states(tables, [GameState(EnvConfig(), initial_seed=0)])
    with pytest.raises(ValueError, match="beam_width"):
        plan(tables, position, beam_width=-1)
