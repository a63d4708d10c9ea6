"""The planner, the turn search with the hand-made value: the plans it scores are real
lines of play, the rule it plays (`search_turns`) prefers plans that place every shape and
otherwise takes the dead end that scores most, and it plays legal moves to the end of the
game on any board.

Its strength against mobility is asserted in `test_evaluation.py`, its replaying the same
game on the same seed there too (for every baseline), and its blindness to the next
shapes in `test_honest_play.py`.
"""

from __future__ import annotations

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig
from alphatriangle.rl.evaluation import PlannerPlayer, board_value
from alphatriangle.rl.game import (
    GameArrays,
    GameTables,
    encode_states,
    pack_cells,
    refill_game_over_probability,
)
from alphatriangle.rl.search import HandValue, ScoredPlans, score_plans, search_turns

EXHAUSTIVE = 1_000_000
"""A beam wider than any position's plans: nothing is pruned."""


def planner_plans(tables: GameTables, position: GameArrays) -> ScoredPlans:
    """Every plan of `position` scored as the planner scores it, nothing pruned."""
    return score_plans(tables, position, HandValue(), beam_width=EXHAUSTIVE)


def planner_move(tables: GameTables, position: GameArrays, seed: int = 0) -> int:
    """The move the planner's rule plays from `position`, nothing pruned."""
    decision = search_turns(
        tables, position, HandValue(), [np.random.default_rng(seed)], beam_width=EXHAUSTIVE
    )
    return int(decision.action[0])


def mixed_position(env: EnvConfig, seed: int) -> GameState:
    """The first position of a seeded random game where, with two shapes in the slots,
    some plans place both and some end the game on the way."""
    tables = GameTables.for_env(env)
    game = GameState(env, initial_seed=seed)
    rng = np.random.default_rng(seed)
    while not game.is_over():
        position = encode_states(tables, [game])
        if (position.shapes[0] >= 0).sum() == 2:
            completes = planner_plans(tables, position).plans.completes
            if completes.any() and not completes.all():
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
    scored = planner_plans(tables, encode_states(tables, [game]))
    plans, values = scored.plans, scored.score
    completing, ending = engine_plan_values(game)
    for first, value, completes in zip(plans.first_action, values, plans.completes, strict=True):
        if completes:
            assert min(abs(value - v) for v in completing[int(first)]) < 1e-9, int(first)
        else:
            assert value == pytest.approx(ending[int(first)], abs=1e-12), int(first)
    assert set(plans.first_action[~plans.completes].tolist()) == set(ending)
    best = max(max(worths) for worths in completing.values())
    assert values[plans.completes].max() == pytest.approx(best, abs=1e-9)


def test_plans_that_place_every_shape_come_before_those_that_end_the_game(
    small_board: EnvConfig,
) -> None:
    game = mixed_position(small_board, 24)
    tables = GameTables.for_env(small_board)
    position = encode_states(tables, [game])
    scored = planner_plans(tables, position)
    plans, values = scored.plans, scored.score
    # Ending the game scores its reward; every completing plan here is worth less,
    # its end board's holes counted against it, yet the rule plays a completing one:
    # the first move of the best, whichever way its ties are broken.
    assert values[~plans.completes].max() > values[plans.completes].max()
    best = plans.first_action[plans.completes & (values == values[plans.completes].max())]
    moves = {planner_move(tables, position, seed) for seed in range(8)}
    assert moves <= set(best.tolist())
    assert moves == {PlannerPlayer().choose(game, np.random.default_rng(s)) for s in range(8)}


def dead_end_position(env: EnvConfig) -> GameState:
    """A position of a seeded random game from which no plan places every shape."""
    tables = GameTables.for_env(env)
    for seed in range(200):
        game = GameState(env, initial_seed=seed)
        rng = np.random.default_rng(seed)
        while not game.is_over():
            if not planner_plans(tables, encode_states(tables, [game])).plans.completes.any():
                return game
            game.step(int(rng.choice(sorted(game.valid_actions()))))
    raise AssertionError("no seed reached a position without a completing plan")


def test_without_a_completing_plan_the_rule_takes_the_dead_end_that_scores_most(
    small_board: EnvConfig,
) -> None:
    game = dead_end_position(small_board)
    tables = GameTables.for_env(small_board)
    position = encode_states(tables, [game])
    scored = planner_plans(tables, position)
    best = scored.plans.first_action[scored.score == scored.score.max()]
    assert {planner_move(tables, position, seed) for seed in range(8)} <= set(best.tolist())


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
        score_plans(tables, position, HandValue(), beam_width=-1)
