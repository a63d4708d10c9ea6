"""The batched search, a function of positions: right moves, legal moves, spread visits,
ends of games, trees that carry over to the game's next position, and the roots it refuses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from trianglengin import GameState

from alphatriangle.config import EnvConfig, action_dim, search_config
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl.game import encode_states
from alphatriangle.rl.search import (
    ROOT_INDEX,
    BatchedSearch,
    TreeDecision,
    considered_visit_sequence,
)


def make_search(games: int, **overrides: object) -> BatchedSearch:
    return BatchedSearch(
        env_config=EnvConfig(),
        config=search_config({"algorithm": "gumbel", **overrides}),
        num_games=games,
    )


def generators(count: int, seed: int = 0) -> list[np.random.Generator]:
    """One generator per game, as the lockstep loop gives them."""
    return np.random.default_rng(seed).spawn(count)


def search_states(
    search: BatchedSearch,
    evaluator: object,
    states: Sequence[GameState],
    rngs: Sequence[np.random.Generator],
    **options: Any,
) -> TreeDecision:
    """The search's decision for the real games `states`, read into arrays."""
    roots = encode_states(search.tables, states)
    return search.run(roots, evaluator, rngs, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "overrides",
    [
        {"algorithm": "puct", "max_simulations": 128, "dirichlet_epsilon": 0.0},
        {"algorithm": "gumbel", "max_simulations": 64, "gumbel_max_considered_actions": 64},
    ],
    ids=["puct", "gumbel"],
)
def test_search_takes_the_line_clearing_move(
    uniform_default: Any, line_clear: tuple[GameState, int], overrides: dict[str, object]
) -> None:
    search = make_search(2, **overrides)
    state, clearing_action = line_clear
    result = search_states(
        search, uniform_default, [state, state.copy()], generators(2), temperature=0.0
    )
    assert result.action.tolist() == [clearing_action, clearing_action]
    state.step(clearing_action)
    assert state.get_last_cleared_triangles() > 0


@pytest.mark.parametrize("algorithm", ["puct", "gumbel"])
def test_visit_counts_add_up_and_one_network_call_per_round(
    uniform_default: Any, algorithm: str
) -> None:
    games, simulations = 4, 24
    search = make_search(games, algorithm=algorithm, max_simulations=simulations)
    states = [GameState(EnvConfig(), initial_seed=game) for game in range(games)]
    result = search_states(search, uniform_default, states, generators(games))
    assert result.visit_counts.sum(axis=1).tolist() == [simulations] * games
    assert search.tree.node_visits[:, ROOT_INDEX].tolist() == [simulations] * games
    # One call for the roots, then one per round holding every game's leaf.
    assert uniform_default.calls == [games] + [games] * simulations
    # Each expansion is one model move; every node but the root was expanded.
    assert search.stats.expansions == int((search.tree.num_nodes - 1).sum())


@pytest.mark.parametrize("algorithm", ["puct", "gumbel"])
def test_never_an_illegal_move_over_many_positions(
    tiny_network: NeuralNetwork, algorithm: str
) -> None:
    rng = np.random.default_rng(7)
    search = make_search(8, algorithm=algorithm, max_simulations=8)
    states = [GameState(EnvConfig(), initial_seed=100 + i) for i in range(8)]
    rngs = generators(8)
    checked = 0
    for _ in range(40):
        result = search_states(search, tiny_network, states, rngs)
        for game, state in enumerate(states):
            action = int(result.action[game])
            assert action in state.valid_actions()
            checked += 1
            # Play a random legal move half the time to reach varied positions: the
            # search then finds no child of its own move there and starts afresh.
            if rng.random() < 0.5:
                action = int(rng.choice(sorted(state.valid_actions())))
            if state.step(action)[1]:
                states[game] = GameState(EnvConfig(), initial_seed=int(rng.integers(1e6)))
                rngs[game] = np.random.default_rng(int(rng.integers(1e6)))
    assert checked == 320


def test_gumbel_policy_target_is_a_distribution_over_legal_moves(
    tiny_network: NeuralNetwork,
) -> None:
    search = make_search(3, algorithm="gumbel", max_simulations=16)
    states = [GameState(EnvConfig(), initial_seed=game) for game in range(3)]
    result = search_states(search, tiny_network, states, generators(3))
    for game, state in enumerate(states):
        legal = np.zeros(action_dim(EnvConfig()), bool)
        legal[list(state.valid_actions())] = True
        target = result.policy_target[game]
        assert target.sum() == pytest.approx(1.0, abs=1e-5)
        assert np.all(target[~legal] == 0.0)
        assert np.all(target[legal] > 0.0)


@pytest.mark.parametrize(
    ("algorithm", "min_children"), [("puct", 10), ("gumbel", 16)], ids=["puct", "gumbel"]
)
def test_root_visits_spread_with_a_uniform_network(
    uniform_default: Any, algorithm: str, min_children: int
) -> None:
    search = make_search(1, algorithm=algorithm, max_simulations=64)
    state = GameState(EnvConfig(), initial_seed=3)
    result = search_states(search, uniform_default, [state], generators(1))
    visited_children = int((result.visit_counts[0] > 0).sum())
    assert visited_children >= min_children
    # Simulations also went deeper than the root's children (the original's never did).
    assert int(search.tree.num_nodes[0]) - 1 > visited_children


def test_considered_visit_sequence_halves_the_candidates() -> None:
    sequence = considered_visit_sequence(4, 16)
    assert len(sequence) == 16
    # Phase one: each of 4 actions twice (16 // (2 * 4) = 2 extra visits each) ...
    assert sequence[:8] == (0, 0, 0, 0, 1, 1, 1, 1)
    # ... then the best 2 keep being visited.
    assert set(sequence[8:]) <= {2, 3, 4, 5}
    assert considered_visit_sequence(1, 5) == (0, 1, 2, 3, 4)


def _position_where_every_move_ends_the_game() -> GameState:
    """Random play until a position whose every legal move ends the game."""
    rng = np.random.default_rng(11)
    for seed in range(200):
        state = GameState(EnvConfig(), initial_seed=seed)
        while not state.is_over():
            actions = sorted(state.valid_actions())
            if all(_ends(state, a) for a in actions):
                return state
            state.step(int(rng.choice(actions)))
    raise AssertionError("no such position in 200 random games")


def _ends(state: GameState, action: int) -> bool:
    child = state.copy()
    return child.step(action)[1]


@pytest.mark.parametrize("algorithm", ["puct", "gumbel"])
def test_a_game_that_ends_inside_the_tree(uniform_default: Any, algorithm: str) -> None:
    state = _position_where_every_move_ends_the_game()
    legal = state.valid_actions()
    search = make_search(1, algorithm=algorithm, max_simulations=12)
    result = search_states(search, uniform_default, [state], generators(1))
    tree = search.tree
    children = tree.children_index[0, ROOT_INDEX]
    expanded = children[children >= 0]
    assert expanded.size >= 1
    assert tree.node_terminal[0, expanded].all()
    # Terminal children are created once; later visits stop at them without another move.
    assert search.stats.expansions == expanded.size
    assert int(result.visit_counts[0].sum()) == 12
    action = int(result.action[0])
    assert action in legal
    assert state.step(action)[1]
    # The ended game is no root to search.
    with pytest.raises(ValueError, match="no legal move"):
        search_states(search, uniform_default, [state], generators(1, seed=1))


def test_puct_reuses_the_chosen_subtree(uniform_default: Any) -> None:
    search = make_search(1, algorithm="puct", max_simulations=32)
    state, rngs = GameState(EnvConfig(), initial_seed=5), generators(1)
    result = search_states(search, uniform_default, [state], rngs, temperature=0.0)
    action = int(result.action[0])
    child = int(search.tree.children_index[0, ROOT_INDEX, action])
    child_visits = int(search.tree.node_visits[0, child])
    # The first move of a game leaves shapes in the slots: the child is the real position.
    assert not state.step(action)[1]
    second = search_states(search, uniform_default, [state], rngs, temperature=0.0)
    real = encode_states(search.tables, [state])
    assert search.tree.holds_state(0, ROOT_INDEX, real)
    # The move only runs the simulations the reused root lacks (at least one).
    assert int(second.simulations[0]) == max(1, 32 - child_visits)
    assert int(search.tree.node_visits[0, ROOT_INDEX]) == child_visits + int(second.simulations[0])


def test_a_new_generator_is_a_new_game_with_a_fresh_tree(uniform_default: Any) -> None:
    search = make_search(1, algorithm="puct", max_simulations=32)
    state = GameState(EnvConfig(), initial_seed=5)
    result = search_states(search, uniform_default, [state], generators(1), temperature=0.0)
    state.step(int(result.action[0]))
    # The same position, another game: nothing carries over from the first game's tree.
    second = search_states(search, uniform_default, [state], generators(1, seed=1))
    assert int(second.simulations[0]) == 32
    assert int(search.tree.node_visits[0, ROOT_INDEX]) == 32


def test_the_tree_follows_its_game_to_another_row(uniform_default: Any) -> None:
    """Games are known by their generators: a game that moves up a row (the game before it
    ended) keeps its tree, and a new game takes the tree the ended one left."""
    search = make_search(2, algorithm="puct", max_simulations=16)
    states = [GameState(EnvConfig(), initial_seed=seed) for seed in (1, 2)]
    rngs = generators(2)
    first = search_states(search, uniform_default, states, rngs, temperature=0.0)
    states[1].step(int(first.action[1]))
    newcomer = GameState(EnvConfig(), initial_seed=3)
    newcomer_rng = np.random.default_rng(5)
    second = search_states(
        search, uniform_default, [states[1], newcomer], [rngs[1], newcomer_rng], temperature=0.0
    )
    assert second.slots.tolist() == [1, 0]
    assert int(second.simulations[1]) == 16  # a fresh tree in the ended game's slot
    assert int(second.simulations[0]) < 16  # the subtree of its last move carried over


def test_roots_it_refuses(uniform_default: Any) -> None:
    search = make_search(1, max_simulations=4)
    state = GameState(EnvConfig(), initial_seed=1)
    with pytest.raises(ValueError, match="room for 1"):
        search_states(search, uniform_default, [state, state.copy()], generators(2))
    search = make_search(2, max_simulations=4)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="own generator"):
        search_states(search, uniform_default, [state, state.copy()], [rng, rng])


def test_gumbel_next_root_keeps_its_leaf_evaluation(uniform_default: Any) -> None:
    games, simulations = 3, 8
    search = make_search(games, algorithm="gumbel", max_simulations=simulations)
    states = [GameState(EnvConfig(), initial_seed=game) for game in range(games)]
    rngs = generators(games)
    result = search_states(search, uniform_default, states, rngs, add_noise=False)
    chosen = [int(a) for a in result.action]
    child_legal = [
        search.tree.children_legal[g, search.tree.children_index[g, ROOT_INDEX, chosen[g]]].copy()
        for g in range(games)
    ]
    for state, action in zip(states, chosen, strict=True):
        state.step(action)
    uniform_default.calls.clear()
    search_states(search, uniform_default, states, rngs, add_noise=False)
    # No call for the roots: the first call already holds the first round's leaves.
    assert uniform_default.calls == [games] * simulations
    for game in range(games):
        np.testing.assert_array_equal(
            search.tree.children_legal[game, ROOT_INDEX], child_legal[game]
        )
    assert search.stats.reroot_seconds > 0.0


@pytest.mark.parametrize("refill_draws", ["per_child", "per_parent"])
def test_refills_inside_the_tree_are_drawn_per_child_or_shared_by_siblings(
    uniform_default: Any, refill_draws: str
) -> None:
    """With one shape left every move empties the slots: each child is a refill."""
    state = GameState(EnvConfig(), initial_seed=8)
    shapes = state.get_shapes()
    state.debug_set_shapes([shapes[0]] + [None] * (len(shapes) - 1))
    search = make_search(1, algorithm="gumbel", max_simulations=16, refill_draws=refill_draws)
    search_states(search, uniform_default, [state], generators(1), add_noise=False)
    tree = search.tree
    children = tree.children_index[0, ROOT_INDEX]
    dealt = {tuple(tree.node_shapes[0, c]) for c in children[children >= 0]}
    assert int((children >= 0).sum()) == 16
    if refill_draws == "per_parent":
        assert dealt == {tuple(tree.node_refill[0, ROOT_INDEX])}
    else:
        assert len(dealt) > 1
