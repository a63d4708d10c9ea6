"""The array model of the game against trianglengin: same rules, same shape distribution."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from trianglengin import GameState, Shape

from alphatriangle.config import EnvConfig
from alphatriangle.nn import FeatureExtractor, shape_summary
from alphatriangle.rl.game import (
    EMPTY_SLOT,
    GameArrays,
    GameTables,
    deal,
    encode_states,
    engine_positions,
    legal_actions,
    outlook,
    place,
    settle,
    step,
    template_key,
)
from alphatriangle.rl.game.conformance import replay_against_engine

from .conftest import SMALL_BOARD

BOARDS = pytest.mark.parametrize("env", [EnvConfig(), SMALL_BOARD], ids=["default", "6x9x2"])


@BOARDS
def test_the_model_plays_every_move_exactly_as_trianglengin(env: EnvConfig) -> None:
    report = replay_against_engine(env, seeds=range(150), rng=np.random.default_rng(1))
    # The replay raises at the first difference; these say it covered what matters.
    assert report.moves >= 1_200
    assert report.refills >= 300
    assert report.clearing_moves >= 30
    assert report.multi_line_clears >= 1
    assert report.game_overs == report.games == 150


def _binomial_bounds(n: int, p: float, sigmas: float = 5.0) -> tuple[float, float]:
    spread = sigmas * np.sqrt(n * p * (1.0 - p))
    return n * p - spread, n * p + spread


def test_refills_follow_trianglengin_shape_distribution() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    # Every new game's slots are one refill of the engine.
    engine_draws = np.concatenate(
        [encode_states(tables, [GameState(env, initial_seed=s)]).shapes[0] for s in range(4_000)]
    )
    model_draws = deal(tables, np.random.default_rng(0), 4_000).reshape(-1)
    n = engine_draws.size
    for draws in (engine_draws, model_draws):
        counts = np.bincount(draws, minlength=tables.num_templates)
        assert counts.size == tables.num_templates  # no id outside the table
        for template, probability in enumerate(tables.template_probability):
            low, high = _binomial_bounds(n, float(probability))
            assert low <= counts[template] <= high, (template, counts[template], n * probability)
    # Shapes listed twice in the engine's table come twice as often.
    assert sorted(set(np.round(tables.template_probability * 31).astype(int))) == [1, 2]


def test_refills_come_from_the_generator_passed() -> None:
    tables = GameTables.for_env(EnvConfig())
    first = deal(tables, np.random.default_rng(5), 50)
    again = deal(tables, np.random.default_rng(5), 50)
    other = deal(tables, np.random.default_rng(6), 50)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@BOARDS
def test_step_refills_exactly_when_the_slots_run_empty(env: EnvConfig) -> None:
    tables = GameTables.for_env(env)
    rng = np.random.default_rng(3)
    state = encode_states(tables, [GameState(env, initial_seed=9)])
    refills = []
    for _ in range(3 * tables.num_slots):
        legal = np.flatnonzero(legal_actions(tables, state.occupied, state.shapes)[0])
        emptied = (state.shapes[0] != EMPTY_SLOT).sum() == 1
        outcome = step(tables, state, np.array([rng.choice(legal)]), rng)
        assert bool(outcome.refilled[0]) == emptied
        refills.append(bool(outcome.refilled[0]))
        if emptied:
            assert (outcome.states.shapes[0] != EMPTY_SLOT).all()
        if outcome.done[0]:
            break
        state = outcome.states
    assert any(refills)


def test_an_illegal_action_is_refused_with_its_index() -> None:
    tables = GameTables.for_env(EnvConfig())
    state = encode_states(tables, [GameState(EnvConfig(), initial_seed=0)])
    illegal = int(np.flatnonzero(~legal_actions(tables, state.occupied, state.shapes)[0])[0])
    with pytest.raises(ValueError, match=f"action {illegal} is not legal"):
        place(tables, state, np.array([illegal]))
    with pytest.raises(ValueError, match=f"action {tables.num_actions} is not legal"):
        place(tables, state, np.array([tables.num_actions]))


@BOARDS
def test_features_from_arrays_show_the_engine_position(env: EnvConfig) -> None:
    rng = np.random.default_rng(0)
    states = []
    for seed in range(6):
        state = GameState(env, initial_seed=seed)
        for _ in range(seed * 2):
            if not state.is_over():
                state.step(int(rng.choice(sorted(state.valid_actions()))))
        states.append(state)
    extractor = FeatureExtractor(env)
    batch = extractor.extract(engine_positions(GameTables.for_env(env), states))
    mask = batch.legal_mask(env.NUM_SHAPE_SLOTS)
    for i, state in enumerate(states):
        grid = state.get_grid_data_np()
        np.testing.assert_array_equal(batch.grid[i, 0], grid["occupied"])
        np.testing.assert_array_equal(batch.grid[i, 1], ~grid["death"])
        assert set(np.flatnonzero(mask[i]).tolist()) == state.valid_actions()
        for slot, shape in enumerate(state.get_shapes()):
            expected = shape_summary(shape.triangles if shape else [])
            start = slot * (len(expected) + 1)
            np.testing.assert_allclose(batch.other[i, start : start + len(expected)], expected)


def test_outlook_is_the_exact_expectation_over_every_refill() -> None:
    """On the 2-slot board, average the next position over all template pairs by hand."""
    env = SMALL_BOARD
    tables = GameTables.for_env(env)
    game = GameState(env, initial_seed=4)
    state = encode_states(tables, [game])
    one_left = np.array([[state.shapes[0, 0], EMPTY_SLOT]], np.int8)
    state = GameArrays(state.occupied, one_left, state.score)
    actions = np.flatnonzero(legal_actions(tables, state.occupied, state.shapes)[0])
    repeated = GameArrays(
        np.repeat(state.occupied, actions.size, axis=0),
        np.repeat(state.shapes, actions.size, axis=0),
        np.repeat(state.score, actions.size),
    )
    placement = place(tables, repeated, actions)
    assert placement.needs_refill.all()
    seen = outlook(tables, placement)
    expected_moves = np.zeros(actions.size)
    expected_reward = np.zeros(actions.size)
    pairs = itertools.product(range(tables.num_templates), repeat=tables.num_slots)
    for pair in pairs:
        weight = float(np.prod(tables.template_probability[list(pair)]))
        dealt = np.tile(np.asarray(pair, np.int8), (actions.size, 1))
        outcome = settle(tables, placement, dealt)
        expected_moves += weight * outcome.legal.sum(axis=1)
        expected_reward += weight * outcome.reward
    np.testing.assert_allclose(seen.expected_moves, expected_moves, rtol=1e-9)
    np.testing.assert_allclose(seen.expected_reward, expected_reward, rtol=1e-9)


def test_a_shape_outside_trianglengin_table_is_refused_by_name() -> None:
    env = EnvConfig()
    game = GameState(env, initial_seed=0)
    odd = Shape([(0, 0, True), (0, 1, False), (0, 2, True), (0, 3, False)], (1, 2, 3), 0)
    game.debug_set_shapes([odd] + [None] * (env.NUM_SHAPE_SLOTS - 1))
    tables = GameTables.for_env(env)
    with pytest.raises(ValueError, match=f"not one of trianglengin's {tables.num_templates}"):
        encode_states(tables, [game])
    assert template_key([(1, 0, False), (0, 0, True)]) == ((0, 0, True), (1, 0, False))
