"""Tree search over G games at once, one leaf per tree per round, one network call per round.

Each round has three verbs, as in mctx: `_simulate` walks every active tree down
from its root to a leaf with the root rule's selection (PUCT, or Gumbel AlphaZero,
see `root_rule.py`); `_expand` plays every new leaf's move in the array model of the
game (`alphatriangle.rl.game`, one batched step for all trees) and evaluates the new
leaves in a single `evaluate_batch` call; `_backward` propagates the discounted
returns back to the roots. Walks and backups advance all trees in lockstep, so their
cost is a few array operations per tree depth, not per node.

The real games stay trianglengin `GameState`s: a root is read into arrays once per
move and every real move is played on the engine, so the engine deals the real
shapes. Inside the tree, a move that empties the slots draws the refill from the
search's own generators (afresh per child, or once per parent and shared by its
children: `refill_draws`): no simulation can know the shapes the game will deal
next, and the next root is the real position, never a sampled one. Each game slot
has its own generator (`GameGenerators`; `set_root` can give a game one derived from
its seed), so what a game draws never depends on the other games of the batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, TreeSearchConfig
from alphatriangle.nn import BatchEvaluation, Positions

from ..game import (
    GameArrays,
    GameTables,
    encode_states,
    legal_actions,
    place,
    positions_of,
    settle,
)
from .game_generators import GameGenerators
from .root_rule import root_rule_for
from .tree import ROOT_INDEX, UNVISITED, Tree


class Evaluator(Protocol):
    """Anything that scores a batch of positions: the network, or a fixed baseline."""

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation: ...


@dataclass(slots=True)
class SearchStats:
    """Counters and timers accumulated over every call to `run` and `play`."""

    simulations: int = 0
    expansions: int = 0
    """Moves played in the array model to create new nodes."""
    network_calls: int = 0
    states_evaluated: int = 0
    select_seconds: float = 0.0
    expand_seconds: float = 0.0
    """Array-model moves and writing the new nodes."""
    evaluate_seconds: float = 0.0
    """Building the network's inputs and the forward pass."""
    backward_seconds: float = 0.0
    play_seconds: float = 0.0
    """Real moves on the engine, reading the new root into arrays, moving the tree on."""

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What one search over the batch decided."""

    action: NDArray[np.int64]  # [B] move to play, -1 for games not searched
    policy_target: NDArray[np.float32]  # [B, A] training target for the policy head
    root_value: NDArray[np.float64]  # [B] search value of each root
    visit_counts: NDArray[np.int32]  # [B, A] root visit counts
    simulations: NDArray[np.int32]  # [B] simulations run this call


@dataclass(frozen=True, slots=True)
class Transition:
    """The outcome of playing a move on a real game."""

    reward: float
    done: bool
    cleared_triangles: int
    state: GameState


@dataclass(slots=True)
class _Leaves:
    games: NDArray[np.int64]  # [L]
    nodes: NDArray[np.int64]  # [L] leaf node, UNVISITED when it is still to be created
    parents: NDArray[np.int64]  # [L]
    actions: NDArray[np.int64]  # [L]
    values: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


class BatchedSearch:
    """Owns the trees of G games (and their real engine states) and searches them together."""

    def __init__(
        self,
        *,
        evaluator: Evaluator,
        env_config: EnvConfig,
        config: TreeSearchConfig,
        num_games: int,
        rng: np.random.Generator,
    ) -> None:
        self.evaluator = evaluator
        self.env_config = env_config
        self.config = config
        self.num_games = num_games
        self.tables = GameTables.for_env(env_config)
        self.generators = GameGenerators.spawned(self.tables, rng, num_games)
        """One generator per game slot (spawned from `rng`, or given by `set_root`): every
        refill inside a game's tree, its root noise and its sampled moves."""
        self.num_actions = self.tables.num_actions
        self.rule = root_rule_for(config, self.generators)
        self.tree = Tree.empty(
            batch_size=num_games,
            num_nodes=config.max_simulations + 2,
            num_actions=self.num_actions,
            words=self.tables.words,
            num_slots=self.tables.num_slots,
        )
        self._games: list[GameState | None] = [None] * num_games
        self.stats = SearchStats()

    # --- roots: the real games ---

    def set_root(
        self, game: int, state: GameState, *, rng: np.random.Generator | None = None
    ) -> None:
        """Start searching `state` in slot `game`; the search plays its moves from now on.

        `rng` becomes the game's own generator (one derived from the game's seed makes
        the game independent of its batch); without it the slot keeps its generator.
        """
        if state.is_over():
            raise ValueError(f"cannot search game slot {game}: its state is already over")
        if rng is not None:
            self.generators.assign(game, rng)
        self._games[game] = state
        self._read_root(game, state)

    def root_state(self, game: int) -> GameState:
        """The real game in slot `game` (its final state once it has ended)."""
        state = self._games[game]
        if state is None:
            raise ValueError(f"game slot {game} has no root; call set_root first")
        return state

    def has_root(self, game: int) -> bool:
        """Whether slot `game` holds a game that is still going."""
        state = self._games[game]
        return state is not None and not state.is_over()

    def root_positions(self, games: NDArray[np.int64] | None = None) -> Positions:
        """The network's view of the roots of `games` (default: every slot)."""
        index = np.arange(self.num_games) if games is None else np.asarray(games, np.int64)
        tree = self.tree
        return positions_of(
            self.tables,
            tree.node_occupied[index, ROOT_INDEX],
            tree.node_shapes[index, ROOT_INDEX],
            tree.children_legal[index, ROOT_INDEX],
        )

    def play(self, game: int, action: int) -> Transition:
        """Play `action` in the real game of slot `game` and move its tree on.

        The engine deals the real shapes. When the played child of the tree holds
        exactly the real new position (always, unless the move emptied the slots and
        the tree sampled another refill), it becomes the new root: with its subtree
        under a rule that keeps subtrees (PUCT with `reuse_tree`), else with just its
        network evaluation (Gumbel). Otherwise the new root is read from the engine.
        """
        tree = self.tree
        state = self.root_state(game)
        if state.is_over() or not tree.children_legal[game, ROOT_INDEX, action]:
            raise ValueError(f"action {action} is not legal at the root of game slot {game}")
        start = time.perf_counter()
        reward, done = state.step(action)
        if done:
            tree.clear(game)
        else:
            real = encode_states(self.tables, [state])
            child = int(tree.children_index[game, ROOT_INDEX, action])
            if child != UNVISITED and tree.holds_state(game, child, real):
                if self.rule.keeps_subtree:
                    tree.keep_subtree(game, child)
                else:
                    tree.restart_from(game, child)
            else:
                self._set_tree_root(game, real)
        self.stats.play_seconds += time.perf_counter() - start
        return Transition(float(reward), bool(done), state.get_last_cleared_triangles(), state)

    def _read_root(self, game: int, state: GameState) -> None:
        self._set_tree_root(game, encode_states(self.tables, [state]))

    def _set_tree_root(self, game: int, real: GameArrays) -> None:
        refill = self._draw_refills(np.array([game], np.int64))[0]
        self.tree.set_root(game, real, self._legal(real)[0], refill)

    def _draw_refills(self, games: NDArray[np.int64]) -> NDArray[np.int8]:
        """[len(games), S] shapes for the children of a new node of each of `games`
        (used under "per_parent")."""
        if self.config.refill_draws != "per_parent":
            return np.zeros((games.size, self.tables.num_slots), np.int8)
        return self.generators.deal(games)

    def _legal(self, states: GameArrays) -> NDArray[np.bool_]:
        return legal_actions(self.tables, states.occupied, states.shapes)

    # --- search ---

    def run(
        self,
        *,
        active: NDArray[np.bool_] | None = None,
        temperature: float | NDArray[np.float64] = 1.0,
        add_noise: bool = True,
    ) -> SearchResult:
        """Search every active game with a root and choose a move for each.

        `temperature` (PUCT only) turns visit counts into the move choice: 0 is greedy.
        `add_noise` mixes Dirichlet noise into PUCT root priors and samples Gumbel
        noise at Gumbel roots; switch it off to evaluate.
        """
        games = np.array([g for g in range(self.num_games) if self.has_root(g)], dtype=np.int64)
        if active is not None:
            games = games[np.asarray(active, dtype=bool)[games]]
        self._evaluate_roots(games)
        budget = self.rule.simulation_budget(self.tree, games)
        self.rule.prepare(self.tree, games, add_noise=add_noise)
        simulations = np.zeros(self.num_games, np.int32)
        for sim in range(int(budget.max(initial=0))):
            round_games = games[budget > sim]
            if round_games.size == 0:
                break
            leaves = self._simulate(round_games, sim)
            self._expand(leaves)
            self._backward(leaves)
            simulations[round_games] += 1
            self.stats.simulations += int(round_games.size)
        return self._decide(games, simulations, temperature)

    def _evaluate_roots(self, games: NDArray[np.int64]) -> None:
        tree = self.tree
        fresh = games[~tree.node_evaluated[games, ROOT_INDEX]]
        if fresh.size == 0:
            return
        roots = np.zeros_like(fresh)
        evaluation = self._evaluate(self.root_positions(fresh))
        tree.children_prior[fresh, roots] = evaluation.policy
        tree.node_network_value[fresh, roots] = evaluation.value
        tree.node_evaluated[fresh, roots] = True

    # --- the three verbs ---

    def _simulate(self, games: NDArray[np.int64], sim: int) -> _Leaves:
        """Walk each tree from its root until an unexpanded edge, a terminal node or max depth."""
        start = time.perf_counter()
        tree = self.tree
        count = games.size
        nodes = np.zeros(count, np.int64)
        leaf_nodes = np.full(count, UNVISITED, np.int64)
        leaf_parents = np.zeros(count, np.int64)
        leaf_actions = np.zeros(count, np.int64)
        walking = np.arange(count)
        depth = 0
        while walking.size:
            g, node = games[walking], nodes[walking]
            actions = self.rule.select(tree, g, node, sim)
            child = tree.children_index[g, node, actions].astype(np.int64)
            depth += 1
            stop_new = child == UNVISITED
            stop_here = ~stop_new & (
                tree.node_terminal[g, np.maximum(child, 0)] | (depth >= self.config.max_depth)
            )
            done = stop_new | stop_here
            finished = walking[done]
            leaf_parents[finished] = node[done]
            leaf_actions[finished] = actions[done]
            leaf_nodes[finished] = np.where(stop_new[done], UNVISITED, child[done])
            nodes[walking[~done]] = child[~done]
            walking = walking[~done]
        self.stats.select_seconds += time.perf_counter() - start
        return _Leaves(games, leaf_nodes, leaf_parents, leaf_actions)

    def _expand(self, leaves: _Leaves) -> None:
        """Create every new leaf with one batched model step; evaluate them in one call."""
        start = time.perf_counter()
        tree = self.tree
        existing = leaves.nodes != UNVISITED
        values = np.zeros(leaves.games.size, np.float64)
        g_old, n_old = leaves.games[existing], leaves.nodes[existing]
        values[existing] = np.where(
            tree.node_terminal[g_old, n_old], 0.0, tree.node_network_value[g_old, n_old]
        )
        new = np.flatnonzero(~existing)
        leaves.values = values
        if new.size == 0:
            self.stats.expand_seconds += time.perf_counter() - start
            return
        g, parent, action = leaves.games[new], leaves.parents[new], leaves.actions[new]
        # One leaf per tree per round, so the new rows of a round never collide.
        node = tree.num_nodes[g].astype(np.int64)
        tree.num_nodes[g] += 1
        parent_states = GameArrays(
            occupied=tree.node_occupied[g, parent],
            shapes=tree.node_shapes[g, parent],
            score=np.zeros(g.size),
        )
        placement = place(self.tables, parent_states, action)
        refills = placement.needs_refill
        if self.config.refill_draws == "per_parent":
            dealt = tree.node_refill[g[refills], parent[refills]]
        else:
            dealt = self.generators.deal(g[refills])
        outcome = settle(self.tables, placement, dealt if refills.any() else None)
        tree.node_refill[g, node] = self._draw_refills(g)
        tree.node_occupied[g, node] = outcome.states.occupied
        tree.node_shapes[g, node] = outcome.states.shapes
        tree.children_legal[g, node] = outcome.legal
        tree.parents[g, node] = parent
        tree.action_from_parent[g, node] = action
        tree.node_reward[g, node] = outcome.reward
        tree.node_terminal[g, node] = outcome.done
        tree.children_index[g, parent, action] = node
        leaves.nodes[new] = node
        self.stats.expansions += int(new.size)
        self.stats.expand_seconds += time.perf_counter() - start
        alive = ~outcome.done
        if alive.any():
            g_new, n_new = g[alive], node[alive]
            evaluation = self._evaluate(
                positions_of(
                    self.tables,
                    outcome.states.occupied[alive],
                    outcome.states.shapes[alive],
                    outcome.legal[alive],
                )
            )
            tree.children_prior[g_new, n_new] = evaluation.policy
            tree.node_network_value[g_new, n_new] = evaluation.value
            tree.node_evaluated[g_new, n_new] = True
            values[new[alive]] = evaluation.value

    def _backward(self, leaves: _Leaves) -> None:
        """Propagate each leaf's value to its root, discounting by the rewards on the way."""
        start = time.perf_counter()
        tree, discount = self.tree, self.config.discount
        games, nodes, values = leaves.games, leaves.nodes.copy(), leaves.values.copy()
        while games.size:
            tree.node_visits[games, nodes] += 1
            tree.node_value_sum[games, nodes] += values
            up = nodes != ROOT_INDEX
            games, nodes, values = games[up], nodes[up], values[up]
            if not games.size:
                break
            parents = tree.parents[games, nodes].astype(np.int64)
            actions = tree.action_from_parent[games, nodes].astype(np.int64)
            q = tree.node_reward[games, nodes] + discount * values
            tree.children_visits[games, parents, actions] += 1
            tree.children_q_sum[games, parents, actions] += q
            tree.q_min[games] = np.minimum(tree.q_min[games], q)
            tree.q_max[games] = np.maximum(tree.q_max[games], q)
            nodes, values = parents, q
        self.stats.backward_seconds += time.perf_counter() - start

    def _evaluate(self, positions: Positions) -> BatchEvaluation:
        start = time.perf_counter()
        chunk = self.config.mcts_batch_size
        count = len(positions)
        parts = [
            self.evaluator.evaluate_batch(positions.rows(slice(i, i + chunk)))
            for i in range(0, count, chunk)
        ]
        self.stats.network_calls += len(parts)
        self.stats.states_evaluated += count
        self.stats.evaluate_seconds += time.perf_counter() - start
        if len(parts) == 1:
            return parts[0]
        return BatchEvaluation(
            policy=np.concatenate([p.policy for p in parts]),
            value=np.concatenate([p.value for p in parts]),
            legal_mask=np.concatenate([p.legal_mask for p in parts]),
        )

    # --- the decision ---

    def _decide(
        self,
        games: NDArray[np.int64],
        simulations: NDArray[np.int32],
        temperature: float | NDArray[np.float64],
    ) -> SearchResult:
        tree, b, a = self.tree, self.num_games, self.num_actions
        action = np.full(b, -1, np.int64)
        policy = np.zeros((b, a), np.float32)
        if games.size:
            temps = np.broadcast_to(np.asarray(temperature, np.float64), (b,))[games]
            action[games], policy[games] = self.rule.decide(tree, games, temperature=temps)
        return SearchResult(
            action=action,
            policy_target=policy,
            root_value=tree.root_value(),
            visit_counts=tree.children_visits[:, ROOT_INDEX].copy(),
            simulations=simulations,
        )
