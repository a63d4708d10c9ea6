"""The compiled turn search (`rl.kernel`) against the numpy reference and the engine.

The kernels must play the same game and make the same choices: every child, board,
clear and reward as the numpy rules (which `test_game_model.py` holds to trianglengin,
with the compiled expansion checked move by move there too), the same fit and neighbour
counts and the same hand-made value bit for bit, and the same plans in the same order
as `search.turn_plans_reference`. Boards: the default one and a 6 x 9 board with two
slots, from `EnvConfig`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig
from alphatriangle.rl.evaluation import PlannerPlayer, evaluation_seeds
from alphatriangle.rl.game import (
    GameArrays,
    GameTables,
    encode_states,
    legal_actions,
    pack_cells,
    place,
)
from alphatriangle.rl.kernel import (
    TIE_TOLERANCE,
    expand_states,
    hand_features,
    tied_among,
    tied_choices,
)
from alphatriangle.rl.kernel.compile import drop_stale_cache
from alphatriangle.rl.search import DEFAULT_HAND_WEIGHTS, HandValue, grow_plans, score_plans
from alphatriangle.rl.search.turn_plans_reference import (
    reference_board_values,
    reference_empty_cells_by_neighbours,
    reference_grow_plans,
    reference_template_fit_counts,
)
from alphatriangle.rl.search.turn_search import choose_index

from .conftest import SMALL_BOARD

BOARDS = pytest.mark.parametrize("env", [EnvConfig(), SMALL_BOARD], ids=["default", "6x9x2"])


def real_positions(env: EnvConfig, games: int, *, mid_turn: bool = True) -> list[GameArrays]:
    """Every position of `games` seeded random games (mid-turn ones included)."""
    tables = GameTables.for_env(env)
    rng = np.random.default_rng(7)
    positions = []
    for seed in range(games):
        game = GameState(env, initial_seed=seed)
        while not game.is_over():
            position = encode_states(tables, [game])
            if mid_turn or (position.shapes >= 0).all():
                positions.append(position)
            game.step(int(rng.choice(sorted(game.valid_actions()))))
    return positions


def random_boards(tables: GameTables, count: int, fill: float) -> np.ndarray:
    """Boards with each playable cell filled with probability `fill` (lines left full too)."""
    rng = np.random.default_rng(11)
    cells = (rng.random((count, tables.num_cells)) < fill) & tables.playable
    return pack_cells(cells, tables.words)


@BOARDS
def test_the_compiled_expansion_is_the_rules_place_on_every_legal_action(env: EnvConfig) -> None:
    tables = GameTables.for_env(env)
    positions = real_positions(env, 3)
    boards = random_boards(tables, 60, 0.55)
    rng = np.random.default_rng(3)
    shapes = rng.integers(0, tables.num_templates, (60, tables.num_slots)).astype(np.int8)
    shapes[::4, 0] = -1  # some slots already used
    states = GameArrays(
        occupied=np.concatenate([boards, *(p.occupied for p in positions)]),
        shapes=np.concatenate([shapes, *(p.shapes for p in positions)]),
        score=np.zeros(60 + len(positions)),
    )
    parent, action, occupied, slots, placed, cleared, lines = expand_states(
        tables, states.occupied, states.shapes
    )
    legal_parent, legal_action = np.nonzero(legal_actions(tables, states.occupied, states.shapes))
    np.testing.assert_array_equal(parent, legal_parent)
    np.testing.assert_array_equal(action, legal_action)
    expected = place(
        tables,
        GameArrays(states.occupied[parent], states.shapes[parent], states.score[parent]),
        action,
    )
    np.testing.assert_array_equal(occupied, expected.states.occupied)
    np.testing.assert_array_equal(slots, expected.states.shapes)
    np.testing.assert_array_equal(placed, expected.placed)
    np.testing.assert_array_equal(cleared, expected.cleared)
    np.testing.assert_array_equal(lines, expected.lines_cleared)
    assert (lines >= 2).sum() > 0  # the random boards give clears of several lines at once
    assert np.array_equal(
        expected.base_reward(tables),
        placed * tables.reward_per_placed_triangle + cleared * tables.reward_per_cleared_triangle,
    )


@BOARDS
def test_the_compiled_hand_value_is_the_reference_bit_for_bit(env: EnvConfig) -> None:
    tables = GameTables.for_env(env)
    real = np.concatenate([p.occupied for p in real_positions(env, 4)])
    occupied = np.concatenate(
        [real, random_boards(tables, 500, 0.3), random_boards(tables, 500, 0.7)]
    )
    fit_counts, by_neighbours, value, alive = hand_features(
        tables, occupied, DEFAULT_HAND_WEIGHTS.as_array()
    )
    np.testing.assert_array_equal(fit_counts, reference_template_fit_counts(tables, occupied))
    np.testing.assert_array_equal(
        by_neighbours, reference_empty_cells_by_neighbours(tables, occupied)
    )
    _, expected_value, expected_alive = reference_board_values(
        tables, occupied, DEFAULT_HAND_WEIGHTS
    )
    # The same operations in the same order on the same integer counts: equal floats.
    np.testing.assert_array_equal(value, expected_value)
    np.testing.assert_array_equal(alive, expected_alive)
    assert (alive < 1).any()  # crowded boards were among them
    assert (fit_counts == 0).any()


def assert_same_plans(tables: GameTables, roots: GameArrays, beam_width: int) -> int:
    ours = grow_plans(tables, roots, weights=DEFAULT_HAND_WEIGHTS, beam_width=beam_width)
    reference = reference_grow_plans(
        tables, roots, weights=DEFAULT_HAND_WEIGHTS, beam_width=beam_width
    )
    for field in (
        "root",
        "first_action",
        "reward",
        "completes",
        "end_occupied",
        "end_hand_value",
        "end_alive_odds",
    ):
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), field)
    return len(ours)


@BOARDS
@pytest.mark.parametrize("beam_width", [1, 7, 100])
def test_the_compiled_plans_are_the_reference_plans_in_order(
    env: EnvConfig, beam_width: int
) -> None:
    """Plan for plan, in the same order, rewards as equal floats: singly and in a batch."""
    tables = GameTables.for_env(env)
    positions = real_positions(env, 2)[:: 3 if env == SMALL_BOARD else 6]
    plans = sum(assert_same_plans(tables, position, beam_width) for position in positions)
    batch = GameArrays(
        occupied=np.concatenate([p.occupied for p in positions]),
        shapes=np.concatenate([p.shapes for p in positions]),
        score=np.concatenate([p.score for p in positions]),
    )
    assert assert_same_plans(tables, batch, beam_width) == plans
    assert plans > 2 * len(positions)  # every position had a choice of plans


PLANNER_GAME = (
    2147483650,
    21.215,
    [
        *(235, 339, 3, 348, 230, 59, 353, 45, 137, 332, 229, 61, 340, 31, 213, 153),
        *(6, 311, 283, 177, 41, 261, 79, 217, 181, 19, 295, 181, 11, 291, 311, 157),
    ],
)
"""The whole game the planner played on the third evaluation seed before its search was
compiled (numpy, `benchmarks/results/2026-12-01-planner/` weights, beam 100): short
enough to keep here, and it ends on a game over the search walked into."""


def test_the_compiled_planner_replays_a_game_recorded_before_compiling() -> None:
    seed, score, moves = PLANNER_GAME
    (record,) = PlannerPlayer().play(EnvConfig(), [seed], record_games=1)
    assert [frame.action for frame in record.frames[:-1]] == moves
    assert record.score == pytest.approx(score, abs=1e-9)


def test_at_every_position_of_planner_games_the_compiled_and_reference_scores_agree() -> None:
    """The planner chooses with `_choose` from the plans and scores; equal plans and equal
    scores at every position of its games mean equal moves."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    weights = DEFAULT_HAND_WEIGHTS
    positions = 0
    for seed in evaluation_seeds(2):
        rng = np.random.default_rng([seed, 4])
        game = GameState(env, initial_seed=seed)
        player = PlannerPlayer()
        while not game.is_over() and positions < 120:
            root = encode_states(tables, [game])
            scored = score_plans(tables, root, HandValue(weights))
            reference = reference_grow_plans(tables, root, weights=weights, beam_width=100)
            np.testing.assert_array_equal(scored.plans.first_action, reference.first_action)
            np.testing.assert_array_equal(scored.plans.end_occupied, reference.end_occupied)
            done = reference.completes
            _, value, alive = reference_board_values(tables, reference.end_occupied[done], weights)
            expected = reference.reward.copy()
            expected[done] = expected[done] + tables.reward_per_step_alive * alive + value
            np.testing.assert_array_equal(scored.score, expected)
            game.step(player.choose(game, rng))
            positions += 1
    assert positions >= 100


def numpy_tie_rule(values: np.ndarray, first_action: np.ndarray, rng: np.random.Generator) -> int:
    """The tie rule as numpy wrote it before it was compiled (`kernel.choice`)."""
    best = np.flatnonzero(values >= values.max() - TIE_TOLERANCE)
    if best.size == 1:
        return int(best[0])
    actions, first_row = np.unique(first_action[best], return_index=True)
    return int(best[first_row[int(rng.choice(actions.size))]])


def test_the_compiled_tie_rule_draws_what_numpy_drew() -> None:
    """Ties within the tolerance, repeated first moves, one best or many: the same plan,
    and the generators left in the same state."""
    rng = np.random.default_rng(5)
    for trial in range(400):
        size = int(rng.integers(1, 30))
        values = rng.integers(0, 4, size) + rng.choice([0.0, 1e-10, 3e-9], size)
        first_action = rng.integers(0, 6, size).astype(np.int64)
        ours, theirs = np.random.default_rng(trial), np.random.default_rng(trial)
        assert choose_index(values, first_action, ours, 0.0) == numpy_tie_rule(
            values, first_action, theirs
        )
        assert ours.integers(1 << 30) == theirs.integers(1 << 30)
        tied = tied_among(values, first_action)
        assert np.all(np.diff(first_action[tied]) > 0)  # each move once, in order


def test_choice_over_a_number_draws_what_integers_draws() -> None:
    """`draw_tied` draws with `rng.integers(n)` for `rng.choice(n)`'s speed's sake: the
    same numbers from the same generator states, or the planner's games would change."""
    for seed in range(300):
        choice, integers = np.random.default_rng(seed), np.random.default_rng(seed)
        for n in (2, 3, 5, 7, 10, 33, 100, 1000, 3):
            assert int(choice.choice(n)) == int(integers.integers(n))
        assert choice.integers(1 << 62) == integers.integers(1 << 62)


def test_each_position_s_ties_are_among_its_complete_plans_if_any() -> None:
    root = np.array([0, 0, 0, 1, 1, 3], np.int64)
    completes = np.array([False, True, True, False, False, True])
    score = np.array([9.0, 1.0, 1.0, 2.0, 2.0, 5.0])
    first = np.array([4, 7, 3, 1, 1, 2], np.int64)
    start, rows, plans = tied_choices(root, completes, score, first, 4)
    assert start.tolist() == [0, 2, 3, 3, 4]  # position 2 has no plan
    assert rows.tolist() == [2, 1, 3, 5]
    assert plans.tolist() == [3, 2, 0, 1]


def test_the_kernels_compile_in_a_fresh_process_with_no_cache(tmp_path: Path) -> None:
    """A fresh clone has no compiled code: the first process compiles it into the cache
    (here an empty `NUMBA_CACHE_DIR`), and the search it runs is the same."""
    script = (
        "from alphatriangle.config import EnvConfig\n"
        "from alphatriangle.rl.evaluation import PlannerPlayer\n"
        "from alphatriangle.rl.game import GameTables\n"
        "from alphatriangle.rl.kernel import warm_up\n"
        "warm_up(GameTables.for_env(EnvConfig()))\n"
        f"(record,) = PlannerPlayer().play(EnvConfig(), [{PLANNER_GAME[0]}], record_games=1)\n"
        "print([frame.action for frame in record.frames[:-1]])\n"
    )
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(PLANNER_GAME[2])
    assert any(cache.rglob("*.nbi"))  # it compiled into the empty cache


def test_the_cached_kernels_are_dropped_when_any_kernel_source_changes(tmp_path: Path) -> None:
    """numba checks a cached kernel against its own file only; a callee edited in another
    file must not leave its callers' old machine code in the cache."""
    package = tmp_path / "kernel"
    package.mkdir()
    (package / "grow.py").write_text("def grow(): ...\n")
    (package / "features.py").write_text("def features(): ...\n")
    assert drop_stale_cache(package)  # no record of the sources yet
    cached = package / "__pycache__" / "grow.grow-1.py311.nbi"
    cached.write_text("machine code")
    assert not drop_stale_cache(package)  # nothing changed: the cache stays
    assert cached.exists()
    (package / "features.py").write_text("def features(): return 1\n")
    assert drop_stale_cache(package)
    assert not cached.exists()
    assert not drop_stale_cache(package)
