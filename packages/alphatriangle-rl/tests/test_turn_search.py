"""The turn search: one routine for the planner and the agent, batch-independent, honest."""

from __future__ import annotations

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig, search_config
from alphatriangle.nn import BatchEvaluation, NeuralNetwork, Positions
from alphatriangle.rl.evaluation import (
    PlannerPlayer,
    TurnSearchPlayer,
    evaluation_seeds,
)
from alphatriangle.rl.game import GameArrays, GameTables, encode_states
from alphatriangle.rl.search import (
    HandPlusNetworkValue,
    HandValue,
    NetworkValue,
    bounded_corrections,
    grow_plans,
    score_plans,
    search_turns,
)
from alphatriangle.rl.search.hand_value import DEFAULT_HAND_WEIGHTS

from .test_honest_play import refills_dealt_by_seed, same_position_other_seeds

TURN = search_config(algorithm="turn", turn_refill_candidates=0)
"""The one-ply turn search (the default follows the ply past the refill)."""


class BoardEvaluator:
    """A value that depends on the board alone (fewer filled cells and fewer filled upper
    rows are better), so plans are told apart by it; it counts the boards it sees."""

    def __init__(self, env_config: EnvConfig) -> None:
        self.env_config = env_config
        self.boards = 0
        self.calls = 0

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        self.boards += len(positions)
        self.calls += 1
        occupied = positions.occupied.astype(np.float32)
        rows = np.arange(occupied.shape[1], dtype=np.float32)[None, :, None]
        value = -occupied.sum(axis=(1, 2)) - 0.3 * (occupied * (occupied.shape[1] - rows)).sum(
            axis=(1, 2)
        )
        return BatchEvaluation(
            policy=np.zeros(positions.legal.shape, np.float32),
            value=value.astype(np.float32),
            legal_mask=positions.legal,
        )


def moves_of(records: list) -> list[list[int]]:  # type: ignore[type-arg]
    return [[frame.action for frame in record.frames[:-1]] for record in records]


def test_with_the_hand_value_the_turn_search_plays_the_planners_moves() -> None:
    """The planner is the turn search with the hand-made value: the batched player, its
    games sharing one search call, replays the planner's games move for move."""
    env = EnvConfig()
    seeds = evaluation_seeds(4)
    planner = PlannerPlayer().play(env, seeds, max_moves=80, record_games=4)
    turn = TurnSearchPlayer(HandValue(), TURN, batch_games=4).play(
        env, seeds, max_moves=80, record_games=4
    )
    assert moves_of(turn) == moves_of(planner)
    assert [r.score for r in turn] == [r.score for r in planner]
    assert sum(r.length for r in planner) >= 200  # long enough to cross many refills


def test_a_seed_plays_the_same_game_alone_or_in_any_batch() -> None:
    env = EnvConfig()
    seeds = evaluation_seeds(5)
    value = HandPlusNetworkValue(BoardEvaluator(env))
    alone = TurnSearchPlayer(value, TURN, batch_games=1).play(
        env, seeds[:1], max_moves=40, record_games=1
    )
    for batch in (2, 5):
        together = TurnSearchPlayer(value, TURN, batch_games=batch).play(
            env, seeds, max_moves=40, record_games=5
        )
        assert moves_of(together)[0] == moves_of(alone)[0]
        assert together[0].score == alone[0].score


def test_the_network_values_only_the_candidates_in_one_batch() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    roots = encode_states(tables, [GameState(env, initial_seed=s) for s in (1, 2, 3)])
    evaluator = BoardEvaluator(env)
    scored = score_plans(tables, roots, NetworkValue(evaluator), candidates=5)
    assert scored.afterstates_valued.tolist() == [5, 5, 5]
    assert (evaluator.boards, evaluator.calls) == (15, 1)
    everything = score_plans(tables, roots, HandValue())
    assert (everything.plans.completes.sum()) > 15  # the candidates are a real cut


def test_plans_of_a_batch_are_the_plans_of_each_position_alone() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    states = [GameState(env, initial_seed=s) for s in (4, 5, 6)]
    rng = np.random.default_rng(0)
    for state in states:  # mid-turn positions too: a shape already placed
        if rng.random() < 0.7:
            state.step(int(rng.choice(sorted(state.valid_actions()))))
    together = grow_plans(tables, encode_states(tables, states), weights=DEFAULT_HAND_WEIGHTS)
    for index, state in enumerate(states):
        alone = grow_plans(tables, encode_states(tables, [state]), weights=DEFAULT_HAND_WEIGHTS)
        mine = together.root == index
        np.testing.assert_array_equal(together.first_action[mine], alone.first_action)
        np.testing.assert_array_equal(together.reward[mine], alone.reward)
        np.testing.assert_array_equal(together.end_occupied[mine], alone.end_occupied)


def test_a_refill_position_holds_no_unseen_shape() -> None:
    """Afterstates are shown to the network with every slot empty."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    seen: list[Positions] = []

    class Recorder(BoardEvaluator):
        def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
            seen.append(positions)
            return super().evaluate_batch(positions)

    roots = encode_states(tables, [GameState(env, initial_seed=9)])
    score_plans(tables, roots, NetworkValue(Recorder(env)), candidates=8)
    assert seen
    assert all(not p.legal.any() and not p.shape_summaries.any() for p in seen)


@pytest.mark.parametrize("value_kind", ["hand", "hand+network", "network"])
def test_the_turn_search_cannot_see_the_next_shapes(value_kind: str) -> None:
    """Every plan from these positions ends in a refill: a search that peeked would value
    the end boards by the shapes the engine deals next, and differ between the games."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    evaluator = BoardEvaluator(env)
    value = {
        "hand": HandValue(),
        "hand+network": HandPlusNetworkValue(evaluator),
        "network": NetworkValue(evaluator),
    }[value_kind]
    for seeds in [(1, 2), (3, 4), (5, 6)]:
        games = same_position_other_seeds(env, seeds)
        decisions = [
            search_turns(tables, encode_states(tables, [g]), value, [np.random.default_rng(0)])
            for g in games
        ]
        first, second = decisions
        assert first.action[0] == second.action[0]
        assert first.score[0] == second.score[0]
        assert first.completes[0]


def test_turn_search_games_are_dealt_what_their_seed_deals() -> None:
    env = EnvConfig()
    seeds = evaluation_seeds(2)
    records = TurnSearchPlayer(HandPlusNetworkValue(BoardEvaluator(env)), TURN, batch_games=2).play(
        env, seeds, max_moves=30, record_games=2
    )
    assert refills_dealt_by_seed(env, records) >= 4


def test_a_position_without_moves_is_refused() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    full = GameArrays(
        occupied=np.full((1, tables.words), np.iinfo(np.uint64).max, np.uint64),
        shapes=np.zeros((1, tables.num_slots), np.int8),
        score=np.zeros(1),
    )
    with pytest.raises(ValueError, match="no legal move"):
        search_turns(tables, full, HandValue(), [np.random.default_rng(0)])
    with pytest.raises(ValueError, match="one generator per position"):
        search_turns(tables, full, HandValue(), [])


def test_a_bounded_correction_reorders_only_close_plans() -> None:
    """Corrections count against the hand-made favourite of each position, within the bound."""
    correction = np.array([50.0, 58.0, 40.0, 7.0, 9.0])
    hand_score = np.array([10.0, 9.0, 2.0, 1.0, 5.0])
    root = np.array([0, 0, 0, 1, 1])
    bounded = bounded_corrections(correction, hand_score, root, 3.0)
    np.testing.assert_allclose(bounded, [0.0, 3.0, -3.0, -2.0, 0.0])
    # Position 0: the second plan (hand 9 + 3) now beats the favourite (10 + 0); the third
    # (2 - 3) stays far below, although its raw correction was only 10 points lower.
    assert np.argmax(hand_score[:3] + bounded[:3]) == 1


def test_the_bound_limits_what_the_network_changes() -> None:
    env = EnvConfig()
    tables = GameTables.for_env(env)
    roots = encode_states(tables, [GameState(env, initial_seed=s) for s in (1, 2)])
    evaluator = BoardEvaluator(env)
    hand = score_plans(tables, roots, HandValue())
    bounded = score_plans(
        tables, roots, HandPlusNetworkValue(evaluator, correction_bound=0.5), candidates=16
    )
    done = bounded.plans.completes
    hand_of = {
        (int(r), int(a), bytes(o)): v
        for r, a, o, v in zip(
            hand.plans.root,
            hand.plans.first_action,
            hand.plans.end_occupied,
            hand.score,
            strict=True,
        )
    }
    for r, a, o, v in zip(
        bounded.plans.root[done],
        bounded.plans.first_action[done],
        bounded.plans.end_occupied[done],
        bounded.score[done],
        strict=True,
    ):
        assert abs(v - hand_of[(int(r), int(a), bytes(o))]) <= 0.5 + 1e-9


@pytest.mark.parametrize("correction_bound", [None, 3.0])
def test_the_untrained_agent_is_the_planner(
    tiny_network: NeuralNetwork, correction_bound: float | None
) -> None:
    """A network that has learned nothing adds the same to every board: what the agent
    gains over the planner is what its network learned."""
    env = EnvConfig()
    seeds = evaluation_seeds(2)
    planner = PlannerPlayer().play(env, seeds, max_moves=40, record_games=2)
    value = HandPlusNetworkValue(tiny_network, correction_bound=correction_bound)
    agent = TurnSearchPlayer(value, TURN, batch_games=2).play(
        env, seeds, max_moves=40, record_games=2
    )
    assert moves_of(agent) == moves_of(planner)


def test_a_temperature_draws_among_completing_plans_and_a_cold_one_is_greedy() -> None:
    """`turn_temperature` > 0 (self-play's exploration): the plan is drawn with odds
    exp(score / temperature) among the plans that complete; near 0 it is the best plan."""
    env = EnvConfig()
    tables = GameTables.for_env(env)
    roots = encode_states(tables, [GameState(env, initial_seed=3)])
    scored = score_plans(tables, roots, HandValue(), beam_width=20)
    completing = set(scored.plans.first_action[scored.plans.completes].tolist())
    best = scored.score[scored.plans.completes].max()
    best_moves = set(
        scored.plans.first_action[scored.plans.completes & (scored.score == best)].tolist()
    )

    def moves(temperature: float) -> list[int]:
        return [
            int(
                search_turns(
                    tables,
                    roots,
                    HandValue(),
                    [np.random.default_rng(seed)],
                    beam_width=20,
                    temperature=temperature,
                ).action[0]
            )
            for seed in range(40)
        ]

    hot = moves(1e6)
    assert len(set(hot)) > 5
    assert set(hot) <= completing
    assert set(moves(1e-9)) <= best_moves
    warm = moves(1.0)  # a point of score apart is e times less likely
    assert sum(m in best_moves for m in warm) > sum(m in best_moves for m in hot)
    with pytest.raises(ValueError, match="temperature must be at least 0"):
        search_turns(tables, roots, HandValue(), [np.random.default_rng(0)], temperature=-1.0)
