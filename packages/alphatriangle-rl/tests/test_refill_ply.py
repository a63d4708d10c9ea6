"""The ply past the refill: the same deals for every candidate, drawn by the search, the
one-ply move with one candidate, and no peeking at the engine's next shapes."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, TurnSearchConfig
from alphatriangle.rl.evaluation import (
    EXPECTIMAX_REFILL,
    ExpectimaxPlayer,
    PlannerPlayer,
    TurnSearchPlayer,
    evaluation_seeds,
)
from alphatriangle.rl.game import EMPTY_SLOT, GameArrays, GameTables, encode_states
from alphatriangle.rl.search import HandValue, RefillPly, refill_ply_for, search_turns
from alphatriangle.rl.search.refill_ply import (
    draw_deals,
    expected_after_refill,
    refill_candidates,
)
from alphatriangle.rl.search.turn_search import score_plans

from .test_honest_play import same_position_other_seeds
from .test_turn_search import moves_of


def positions_of_real_games(env: EnvConfig, seeds: list[int], moves: int) -> list[GameState]:
    """Positions of planner games after `moves` moves: real boards, mid-turn and not."""
    states = []
    for seed in seeds:
        state = GameState(env, initial_seed=seed)
        player, rng = PlannerPlayer(), np.random.default_rng(seed)
        for _ in range(moves):
            state.step(player.choose(state, rng))
            if state.is_over():
                break
        if not state.is_over():
            states.append(state)
    return states


def test_with_one_candidate_the_refill_ply_plays_the_one_ply_move() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    states = positions_of_real_games(env, [11, 12, 13], moves=9) + [
        GameState(env, initial_seed=s) for s in (21, 22, 23)
    ]
    roots = encode_states(tables, states)
    rngs = [np.random.default_rng([i, 4]) for i in range(len(states))]
    one_ply = search_turns(tables, roots, HandValue(), rngs)
    rngs = [np.random.default_rng([i, 4]) for i in range(len(states))]
    ply = search_turns(tables, roots, HandValue(), rngs, refill=RefillPly(candidates=1, deals=3))
    np.testing.assert_array_equal(ply.action, one_ply.action)
    # the chosen plan is now worth what its refills showed, not the hand-made guess
    assert not np.allclose(ply.score, one_ply.score)


def test_every_candidate_is_planned_under_the_same_deals() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    roots = encode_states(tables, [GameState(env, initial_seed=s) for s in (31, 32)])
    rngs = [np.random.default_rng(s) for s in (1, 2)]
    scored = score_plans(tables, roots, HandValue())
    picks = np.array(
        [np.flatnonzero(scored.plans.root == r)[0] for r in range(len(roots))], np.intp
    )
    row, root = refill_candidates(scored.plans, scored.score, picks, candidates=3)
    assert np.bincount(root).tolist() == [3, 3]
    dealt = draw_deals(tables, rngs, deals=5)
    seen: list[GameArrays] = []

    def record(positions: GameArrays) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        seen.append(positions)
        cells = np.array([bin(int(w)).count("1") for w in positions.occupied[:, 0]])
        return cells.astype(np.float64), np.zeros(len(positions), np.int64)

    expected, _ = expected_after_refill(
        tables, scored.plans, row, root, dealt, record, np.zeros(row.size)
    )
    (planned,) = seen
    assert len(planned) == 6 * 5  # the first boards of a game take any refill
    shapes = planned.shapes.reshape(2, 3, 5, tables.num_slots)
    for position in range(2):
        for candidate in range(3):
            np.testing.assert_array_equal(shapes[position, candidate], dealt[position])
    # a candidate is worth the mean over its deals of the alive bonus and the next score
    cells = np.array([bin(int(w)).count("1") for w in planned.occupied[:, 0]])
    np.testing.assert_allclose(
        expected, tables.reward_per_step_alive + cells.reshape(6, 5).mean(axis=1)
    )


def test_deals_come_from_a_child_of_the_search_generator() -> None:
    """The deals follow the position's generator, and drawing them leaves the stream that
    breaks ties as it was."""
    tables = GameTables.for_env(EnvConfig())
    rng, twin = np.random.default_rng([5, 4]), np.random.default_rng([5, 4])
    first = draw_deals(tables, [rng], deals=4)
    assert rng.integers(1 << 30) == twin.integers(1 << 30)
    again = draw_deals(tables, [np.random.default_rng([5, 4])], deals=4)
    np.testing.assert_array_equal(first, again)
    later = draw_deals(tables, [rng], deals=4)
    assert not np.array_equal(first, later)  # each move gets fresh deals
    assert (first != EMPTY_SLOT).all()


def test_the_refill_ply_cannot_see_the_next_shapes() -> None:
    """Every plan from these positions ends on a refill: a search that read the engine's
    next shapes would move differently in the two games."""
    env = EnvConfig()
    player = ExpectimaxPlayer()
    for seeds in [(1, 2), (3, 4), (5, 6)]:
        games = same_position_other_seeds(env, seeds)
        choices = [player.choose(g, np.random.default_rng(0)) for g in games]
        assert choices[0] == choices[1]


def test_the_expectimax_baseline_and_the_configured_turn_search_play_alike() -> None:
    """The config's refill fields reach the turn search: the batched player with the hand
    value and C=4, K=4 replays the expectimax baseline's games."""
    env = EnvConfig()
    seeds = evaluation_seeds(2)
    config = TurnSearchConfig(
        turn_refill_candidates=EXPECTIMAX_REFILL.candidates,
        turn_refill_deals=EXPECTIMAX_REFILL.deals,
    )
    assert refill_ply_for(config) == EXPECTIMAX_REFILL
    assert refill_ply_for(TurnSearchConfig(turn_refill_candidates=0)) is None
    baseline = ExpectimaxPlayer().play(env, seeds, max_moves=24, record_games=2)
    turn = TurnSearchPlayer(HandValue(), config, batch_games=2).play(
        env, seeds, max_moves=24, record_games=2
    )
    assert moves_of(turn) == moves_of(baseline)
    planner = PlannerPlayer().play(env, seeds, max_moves=24, record_games=2)
    assert moves_of(planner) != moves_of(baseline)  # the ply changes what is played


@pytest.mark.parametrize(("candidates", "deals"), [(0, 4), (2, 0)])
def test_a_refill_ply_needs_a_candidate_and_a_deal(candidates: int, deals: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RefillPly(candidates=candidates, deals=deals)


def test_a_deal_that_ends_the_game_is_priced_by_the_value_not_by_the_moves_before() -> None:
    """A next turn that cannot be completed ends the game: it is worth the value's price
    of an ended game, not the few points of the moves before the end (which would rank
    dying above any live board with a negative hand-made value)."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    roots = encode_states(tables, [GameState(env, initial_seed=41)])
    scored = score_plans(tables, roots, HandValue())
    pick = np.array([int(np.flatnonzero(scored.plans.completes)[0])], np.intp)
    row, root = refill_candidates(scored.plans, scored.score, pick, candidates=2)
    dealt = draw_deals(tables, [np.random.default_rng(3)], deals=4)

    def half_die(positions: GameArrays) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        best = np.full(len(positions), -20.0)
        best[::2] = np.nan  # every other deal's shapes cannot all be placed
        return best, np.zeros(len(positions), np.int64)

    one_ply = scored.score[row] - scored.plans.reward[row]
    game_over = HandValue().game_over_value(one_ply)
    np.testing.assert_allclose(game_over, one_ply - HandValue().hand_weights.refill_risk)
    expected, _ = expected_after_refill(tables, scored.plans, row, root, dealt, half_die, game_over)
    alive = tables.reward_per_step_alive - 20.0
    np.testing.assert_allclose(expected, (game_over + alive) / 2)
