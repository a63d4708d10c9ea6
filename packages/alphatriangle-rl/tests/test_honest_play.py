"""No player sees the future, and no player chooses it.

No peeking: two games with the same board and the same shapes but different engine
seeds (so different next shapes) get the same decisions. No choosing: whatever is
played, the k-th set of shapes a game is dealt is the k-th set its seed deals.
"""

from __future__ import annotations

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig, ModelConfig, TrainConfig, search_config
from alphatriangle.nn import BatchEvaluation, NeuralNetwork, Positions
from alphatriangle.rl import SelfPlayWorker
from alphatriangle.rl.evaluation import (
    GameRecord,
    MobilityPlayer,
    PlannerPlayer,
    SearchPlayer,
    evaluation_seeds,
)
from alphatriangle.rl.game import GameTables, encode_states
from alphatriangle.rl.search import ROOT_INDEX, BatchedSearch, HandValue, score_plans

ShapeSet = tuple[tuple[tuple[tuple[int, int, bool], ...], tuple[int, int, int]], ...]


def shape_set(state: GameState) -> ShapeSet:
    """The slots' shapes with their colours (a refill draws both from the engine)."""
    return tuple(
        (tuple(shape.triangles), tuple(shape.color))  # type: ignore[misc]
        for shape in state.get_shapes()
        if shape is not None
    )


def dealt_by_seed(env: EnvConfig, seed: int, count: int) -> list[ShapeSet]:
    """The first `count` shape sets a bare engine game of `seed` deals.

    The board is emptied by hand before every placement, so every shape fits and the
    game deals refill after refill; the engine's sequence depends on its seed only.
    """
    game = GameState(env, initial_seed=seed)
    cells = env.ROWS * env.COLS
    dealt = [shape_set(game)]
    while len(dealt) < count:
        for slot in range(env.NUM_SHAPE_SLOTS):
            occupied = game.get_grid_data_np()["occupied"]
            for row, col in zip(*np.nonzero(occupied), strict=True):
                game.debug_toggle_cell(int(row), int(col))
            game.step(min(a for a in game.valid_actions() if a // cells == slot))
        dealt.append(shape_set(game))
    return dealt


def refills_dealt_by_seed(env: EnvConfig, records: list[GameRecord]) -> int:
    """Check that each recorded game was dealt exactly the shape sets its seed deals;
    the number of refills checked (the first deal of each game not counted)."""
    refills = 0
    for record in records:
        sets = [
            tuple((s.triangles, s.color) for s in frame.shapes if s is not None)
            for frame in record.frames
            if all(s is not None for s in frame.shapes)
        ]
        refills += len(sets) - 1
        assert sets == dealt_by_seed(env, record.seed, len(sets)), record.seed
    return refills


def same_position_other_seeds(env: EnvConfig, seeds: tuple[int, int]) -> list[GameState]:
    """Two games of different seeds set to one board, with one shape left in the slots:
    every move empties the slots, so the next shapes (which differ) would matter."""
    template = GameState(env, initial_seed=seeds[0])
    rng = np.random.default_rng(0)
    for _ in range(5):
        template.step(int(rng.choice(sorted(template.valid_actions()))))
    occupied = template.get_grid_data_np()["occupied"]
    shape = next(s for s in template.get_shapes() if s is not None)
    games = []
    for seed in seeds:
        game = GameState(env, initial_seed=seed)
        for row, col in zip(*np.nonzero(occupied), strict=True):
            game.debug_toggle_cell(int(row), int(col))
        game.debug_set_shapes([shape] + [None] * (env.NUM_SHAPE_SLOTS - 1))
        games.append(game)
    np.testing.assert_array_equal(*(g.get_grid_data_np()["occupied"] for g in games))
    return games


class MobilityEvaluator:
    """Uniform prior, value = legal moves / 10: a value that depends on the shapes dealt."""

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        legal = positions.legal
        counts = legal.sum(axis=1, keepdims=True)
        return BatchEvaluation(
            policy=(legal / np.maximum(counts, 1)).astype(np.float32),
            value=(counts[:, 0] / 10.0).astype(np.float32),
            legal_mask=legal,
        )


@pytest.mark.parametrize("refill_draws", ["per_child", "per_parent"])
@pytest.mark.parametrize("algorithm", ["puct", "gumbel"])
def test_the_search_cannot_see_the_next_shapes(algorithm: str, refill_draws: str) -> None:
    env = EnvConfig()
    games = same_position_other_seeds(env, (11, 12))
    # The engines would deal different shapes next: a peeking search would differ.
    following = [g.copy() for g in games]
    for game in following:
        game.step(min(game.valid_actions()))
    assert shape_set(following[0]) != shape_set(following[1])
    config = search_config(algorithm=algorithm, max_simulations=24, refill_draws=refill_draws)
    results, trees = [], []
    for game in games:
        search = BatchedSearch(env_config=env, config=config, num_games=1)
        results.append(
            search.run(
                encode_states(search.tables, [game]),
                MobilityEvaluator(),
                [np.random.default_rng(99)],
                temperature=1.0,
                add_noise=True,
            )
        )
        trees.append(search.tree)
    first, second = results
    np.testing.assert_array_equal(first.visit_counts, second.visit_counts)
    np.testing.assert_array_equal(first.policy_target, second.policy_target)
    np.testing.assert_array_equal(first.action, second.action)
    np.testing.assert_array_equal(first.root_value, second.root_value)
    # The trees went below the refill, where a peeking search would have used the engine's.
    root_children = int((trees[0].children_index[0, ROOT_INDEX] >= 0).sum())
    assert int(trees[0].num_nodes[0]) - 1 > root_children


def test_mobility_cannot_see_the_next_shapes() -> None:
    """Mobility counts the moves after a refill: a peeking one differs on these positions.

    (Greedy's only use of the future is the 0.005 alive bonus; its expectation is checked
    exactly in `test_outlook_is_the_exact_expectation_over_every_refill`.)
    """
    env = EnvConfig()
    player = MobilityPlayer()
    for seeds in [(1, 2), (3, 4), (5, 6), (7, 8)]:
        games = same_position_other_seeds(env, seeds)
        choices = [player.choose(g, np.random.default_rng(0)) for g in games]
        assert choices[0] == choices[1]


def test_the_planner_cannot_see_the_next_shapes() -> None:
    """Every plan from these positions ends in a refill: a peeking planner would value
    the end boards by the shapes the engine deals next, and differ between the games."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    player = PlannerPlayer()
    for seeds in [(1, 2), (3, 4), (5, 6), (7, 8)]:
        games = same_position_other_seeds(env, seeds)
        plans = [score_plans(tables, encode_states(tables, [g]), HandValue()) for g in games]
        assert plans[0].plans.completes.all()
        np.testing.assert_array_equal(plans[0].plans.first_action, plans[1].plans.first_action)
        np.testing.assert_array_equal(plans[0].score, plans[1].score)
        choices = [player.choose(g, np.random.default_rng(0)) for g in games]
        assert choices[0] == choices[1]


SMALL_SEARCHES: dict[str, dict[str, int]] = {
    "gumbel": {"max_simulations": 4, "gumbel_max_considered_actions": 4},
    "turn": {"turn_beam_width": 10, "turn_candidates": 4},
}


@pytest.mark.parametrize("algorithm", ["gumbel", "turn"])
def test_self_play_games_are_dealt_what_their_seed_deals(
    tiny_model: ModelConfig, algorithm: str
) -> None:
    env = EnvConfig()
    worker = SelfPlayWorker(
        worker_id=0,
        env_config=env,
        model_config=tiny_model,
        mcts_config=search_config(algorithm=algorithm, **SMALL_SEARCHES[algorithm]),
        train_config=TrainConfig(games_per_worker=2),
        seed=3,
    )

    seen: dict[int, list[ShapeSet]] = {}
    for _ in range(40):
        for seed, state in worker.in_play():
            if all(s is not None for s in state.get_shapes()):  # a new game, or a refill
                seen.setdefault(seed, []).append(shape_set(state))
        worker.play(min_results=0, max_moves=1)
    assert sum(len(sets) - 1 for sets in seen.values()) >= 10  # refills, not only starts
    for seed, sets in seen.items():
        assert sets == dealt_by_seed(env, seed, len(sets)), seed


def test_evaluation_games_are_dealt_what_their_seed_deals(tiny_network: NeuralNetwork) -> None:
    env = EnvConfig()
    config = search_config(algorithm="gumbel", max_simulations=4, gumbel_max_considered_actions=4)
    seeds = evaluation_seeds(2)
    records = SearchPlayer(tiny_network, config, batch_games=2).play(
        env, seeds, max_moves=30, record_games=2
    )
    assert refills_dealt_by_seed(env, records) >= 4
