"""Tree search over G games at once, one leaf per tree per round, one network call per round.

Each round has three verbs, as in mctx: `_simulate` walks every active tree down
from its root to a leaf with the selection rule (PUCT, or Gumbel AlphaZero at the
root); `_expand` steps one engine copy per new leaf and evaluates all new leaves in
a single `evaluate_batch` call; `_backward` propagates the discounted returns back
to the roots. Walks and backups advance all trees in lockstep, so their cost is a
few array operations per tree depth, not per node.

Selection at depth 0 under PUCT uses Dirichlet-noised priors (Silver et al., 2018);
under Gumbel it follows sequential halving over Gumbel-top-k actions (Danihelka et
al., 2022), see `gumbel.py`. Q-values are normalised by each tree's min-max range.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, action_dim
from alphatriangle.nn import BatchEvaluation

from . import gumbel
from .puct import add_dirichlet_noise, puct_scores
from .tree import ROOT_INDEX, UNVISITED, Tree


class Evaluator(Protocol):
    """Anything that scores a batch of positions: the network, or a fixed baseline."""

    def evaluate_batch(self, states: Sequence[GameState]) -> BatchEvaluation: ...


@dataclass(slots=True)
class SearchStats:
    """Counters and timers accumulated over every call to `run`."""

    simulations: int = 0
    engine_copies: int = 0
    engine_steps: int = 0
    network_calls: int = 0
    states_evaluated: int = 0
    select_seconds: float = 0.0
    expand_seconds: float = 0.0
    evaluate_seconds: float = 0.0
    backward_seconds: float = 0.0
    release_seconds: float = 0.0
    """Dropping the engine states of discarded nodes: the C++ destructor is not free."""

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
    """The outcome of playing a move at a root."""

    reward: float
    done: bool
    cleared_triangles: int
    state: GameState


@dataclass(slots=True)
class _GumbelRoot:
    gumbel_plus_logits: NDArray[np.float64]  # [B, A]
    considered: NDArray[np.bool_]  # [B, A]
    visit_schedule: NDArray[np.int64]  # [B, S]


@dataclass(slots=True)
class _Leaves:
    games: NDArray[np.int64]  # [L]
    nodes: NDArray[np.int64]  # [L] leaf node, UNVISITED when it is still to be created
    parents: NDArray[np.int64]  # [L]
    actions: NDArray[np.int64]  # [L]
    values: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


class BatchedSearch:
    """Owns the trees and game states of G games and searches them together."""

    def __init__(
        self,
        *,
        evaluator: Evaluator,
        env_config: EnvConfig,
        config: AlphaTriangleMCTSConfig,
        num_games: int,
        rng: np.random.Generator,
    ) -> None:
        self.evaluator = evaluator
        self.env_config = env_config
        self.config = config
        self.num_games = num_games
        self.rng = rng
        self.num_actions = action_dim(env_config)
        self.tree = Tree.empty(
            batch_size=num_games,
            num_nodes=config.max_simulations + 2,
            num_actions=self.num_actions,
        )
        self.stats = SearchStats()

    # --- roots ---

    def set_root(self, game: int, state: GameState) -> None:
        """Start searching `state` in slot `game`; the search takes ownership of the state."""
        if state.is_over():
            raise ValueError(f"cannot search game slot {game}: its state is already over")
        self.tree.clear(game)
        self.tree.states[game][ROOT_INDEX] = state
        self.tree.num_nodes[game] = 1

    def root_state(self, game: int) -> GameState:
        state = self.tree.states[game][ROOT_INDEX]
        if state is None:
            raise ValueError(f"game slot {game} has no root; call set_root first")
        return state

    def has_root(self, game: int) -> bool:
        return self.tree.states[game][ROOT_INDEX] is not None

    def play(self, game: int, action: int) -> Transition:
        """Play `action` at the root of `game` and move the root to the resulting state.

        A child the search already expanded becomes the new root with its subtree
        (under PUCT with `reuse_tree`), or alone but with its network evaluation
        (under Gumbel), and its stored state is reused, so playing costs no engine call
        and no second network call. Otherwise the root's own state is stepped in place.
        """
        tree = self.tree
        root_state = self.root_state(game)
        if not tree.children_legal[game, ROOT_INDEX, action]:
            raise ValueError(f"action {action} is not legal at the root of game slot {game}")
        start = time.perf_counter()
        child = int(tree.children_index[game, ROOT_INDEX, action])
        if child != UNVISITED:
            state = tree.states[game][child]
            assert state is not None
            reward = float(tree.node_reward[game, child])
            done = bool(tree.node_terminal[game, child])
            reuse = self.config.reuse_tree and self.config.algorithm == "puct" and not done
            if reuse:
                tree.keep_subtree(game, child)
            else:
                tree.restart_from(game, child)
        else:
            reward, done = root_state.step(action)
            self.stats.engine_steps += 1
            state = root_state
            tree.clear(game)
            tree.states[game][ROOT_INDEX] = state
            tree.num_nodes[game] = 1
        self.stats.release_seconds += time.perf_counter() - start
        return Transition(reward, done, state.get_last_cleared_triangles(), state)

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
        self._expand_roots(games)
        budget = self._simulation_budget(games)
        gumbel_root = self._prepare_gumbel(games, add_noise) if self._is_gumbel else None
        if not self._is_gumbel and add_noise:
            self._noise_roots(games)
        simulations = np.zeros(self.num_games, np.int32)
        for sim in range(int(budget.max(initial=0))):
            round_games = games[budget > sim]
            if round_games.size == 0:
                break
            leaves = self._simulate(round_games, sim, gumbel_root)
            self._expand(leaves)
            self._backward(leaves)
            simulations[round_games] += 1
            self.stats.simulations += int(round_games.size)
        return self._decide(games, simulations, gumbel_root, temperature)

    @property
    def _is_gumbel(self) -> bool:
        return self.config.algorithm == "gumbel"

    @property
    def _sigma_scale(self) -> dict[str, float]:
        """c_visit and c_scale of the Gumbel sigma transform, as keyword arguments."""
        return {"c_visit": self.config.gumbel_c_visit, "c_scale": self.config.gumbel_c_scale}

    def _simulation_budget(self, games: NDArray[np.int64]) -> NDArray[np.int64]:
        total = self.config.max_simulations
        if self._is_gumbel or not self.config.reuse_tree:
            return np.full(games.size, total, np.int64)
        already = self.tree.node_visits[games, ROOT_INDEX].astype(np.int64)
        budget: NDArray[np.int64] = np.maximum(1, total - already)
        return budget

    def _expand_roots(self, games: NDArray[np.int64]) -> None:
        tree = self.tree
        fresh = [int(g) for g in games if not tree.children_legal[g, ROOT_INDEX].any()]
        if not fresh:
            return
        states = [self.root_state(g) for g in fresh]
        evaluation = self._evaluate(states)
        index = np.asarray(fresh)
        tree.children_prior[index, ROOT_INDEX] = evaluation.policy
        tree.children_legal[index, ROOT_INDEX] = evaluation.legal_mask
        tree.node_network_value[index, ROOT_INDEX] = evaluation.value

    def _noise_roots(self, games: NDArray[np.int64]) -> None:
        tree = self.tree
        for g in games:
            tree.children_prior[g, ROOT_INDEX] = add_dirichlet_noise(
                tree.children_prior[g, ROOT_INDEX],
                tree.children_legal[g, ROOT_INDEX],
                alpha=self.config.dirichlet_alpha,
                epsilon=self.config.dirichlet_epsilon,
                rng=self.rng,
            )

    def _prepare_gumbel(self, games: NDArray[np.int64], noise_on: bool) -> _GumbelRoot:
        tree, b, a = self.tree, self.num_games, self.num_actions
        legal = tree.children_legal[:, ROOT_INDEX]
        logits = gumbel.masked_log(tree.children_prior[:, ROOT_INDEX], legal)
        scale = self.config.gumbel_scale if noise_on else 0.0
        noise = self.rng.gumbel(size=(b, a)) * scale if scale > 0 else np.zeros((b, a))
        gumbel_plus_logits = np.where(legal, noise + logits, -np.inf)
        num_considered = np.minimum(self.config.gumbel_max_considered_actions, legal.sum(axis=1))
        ranks = np.argsort(np.argsort(-gumbel_plus_logits, axis=1, kind="stable"), axis=1)
        considered = legal & (ranks < num_considered[:, None])
        schedule = np.zeros((b, self.config.max_simulations), np.int64)
        for g in games:
            schedule[g] = gumbel.considered_visit_sequence(
                int(num_considered[g]), self.config.max_simulations
            )
        return _GumbelRoot(gumbel_plus_logits, considered, schedule)

    # --- the three verbs ---

    def _simulate(
        self, games: NDArray[np.int64], sim: int, gumbel_root: _GumbelRoot | None
    ) -> _Leaves:
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
            actions = self._select(g, node, sim, gumbel_root)
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

    def _select(
        self,
        g: NDArray[np.int64],
        node: NDArray[np.int64],
        sim: int,
        gumbel_root: _GumbelRoot | None,
    ) -> NDArray[np.int64]:
        tree, cfg = self.tree, self.config
        stats = tree.child_stats(g, node)
        if gumbel_root is None:
            parent_visits = tree.node_visits[g, node]
            parent_value = np.where(
                parent_visits > 0,
                tree.node_value_sum[g, node] / np.maximum(parent_visits, 1),
                stats.network_value,
            )
            scores = puct_scores(stats, parent_value=parent_value, cpuct=cfg.cpuct)
        else:
            scale = self._sigma_scale
            at_root = node == ROOT_INDEX
            scores = np.empty(stats.prior.shape, np.float64)
            if at_root.any():
                root_games = g[at_root]
                scores[at_root] = gumbel.root_scores(
                    stats.rows(at_root),
                    gumbel_plus_logits=gumbel_root.gumbel_plus_logits[root_games],
                    considered=gumbel_root.considered[root_games],
                    required_visits=gumbel_root.visit_schedule[root_games, sim],
                    **scale,
                )
            inner = ~at_root
            if inner.any():
                scores[inner] = gumbel.interior_scores(stats.rows(inner), **scale)
        chosen: NDArray[np.int64] = np.argmax(scores, axis=1).astype(np.int64)
        return chosen

    def _expand(self, leaves: _Leaves) -> None:
        """Create the new leaves with one engine copy each; evaluate them in one call."""
        start = time.perf_counter()
        tree = self.tree
        values = np.zeros(leaves.games.size, np.float64)
        to_evaluate: list[int] = []
        new_states: list[GameState] = []
        copies = 0
        for i in range(leaves.games.size):
            g = int(leaves.games[i])
            existing = int(leaves.nodes[i])
            if existing != UNVISITED:
                terminal = tree.node_terminal[g, existing]
                values[i] = 0.0 if terminal else float(tree.node_network_value[g, existing])
                continue
            parent, action = int(leaves.parents[i]), int(leaves.actions[i])
            parent_state = tree.states[g][parent]
            assert parent_state is not None
            state = parent_state.copy()
            copies += 1
            reward, done = state.step(action)
            new = int(tree.num_nodes[g])
            tree.num_nodes[g] = new + 1
            tree.states[g][new] = state
            tree.parents[g, new] = parent
            tree.action_from_parent[g, new] = action
            tree.node_reward[g, new] = reward
            tree.node_terminal[g, new] = done
            tree.children_index[g, parent, action] = new
            leaves.nodes[i] = new
            if not done:
                to_evaluate.append(i)
                new_states.append(state)
        self.stats.engine_copies += copies
        self.stats.engine_steps += copies
        self.stats.expand_seconds += time.perf_counter() - start
        if to_evaluate:
            index = np.asarray(to_evaluate)
            g_idx, n_idx = leaves.games[index], leaves.nodes[index]
            evaluation = self._evaluate(new_states)
            tree.children_prior[g_idx, n_idx] = evaluation.policy
            tree.children_legal[g_idx, n_idx] = evaluation.legal_mask
            tree.node_network_value[g_idx, n_idx] = evaluation.value
            values[index] = evaluation.value
        leaves.values = values

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

    def _evaluate(self, states: list[GameState]) -> BatchEvaluation:
        start = time.perf_counter()
        chunk = self.config.mcts_batch_size
        parts = [
            self.evaluator.evaluate_batch(states[i : i + chunk])
            for i in range(0, len(states), chunk)
        ]
        self.stats.network_calls += len(parts)
        self.stats.states_evaluated += len(states)
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
        gumbel_root: _GumbelRoot | None,
        temperature: float | NDArray[np.float64],
    ) -> SearchResult:
        tree, b, a = self.tree, self.num_games, self.num_actions
        visits = tree.children_visits[:, ROOT_INDEX].copy()
        action = np.full(b, -1, np.int64)
        policy = np.zeros((b, a), np.float32)
        if games.size:
            if gumbel_root is not None:
                stats = tree.child_stats(games, np.full_like(games, ROOT_INDEX))
                scale = self._sigma_scale
                final = gumbel.final_scores(
                    stats,
                    gumbel_plus_logits=gumbel_root.gumbel_plus_logits[games],
                    considered=gumbel_root.considered[games],
                    **scale,
                )
                action[games] = np.argmax(final, axis=1)
                policy[games] = gumbel.improved_policy(stats, **scale)
            else:
                temps = np.broadcast_to(np.asarray(temperature, np.float64), (b,))
                for g in games:
                    action[g], policy[g] = self._visit_policy(int(g), visits[g], float(temps[g]))
        return SearchResult(
            action=action,
            policy_target=policy,
            root_value=tree.root_value(),
            visit_counts=visits,
            simulations=simulations,
        )

    def _visit_policy(
        self, game: int, visits: NDArray[np.int32], temperature: float
    ) -> tuple[int, NDArray[np.float32]]:
        """Visit-count policy target and the move drawn from it at `temperature`."""
        total = visits.sum()
        legal = self.tree.children_legal[game, ROOT_INDEX]
        if total == 0:
            target = np.where(legal, 1.0, 0.0) / max(int(legal.sum()), 1)
        else:
            target = visits / total
        if temperature <= 0.0 or total == 0:
            best = np.flatnonzero(visits == visits.max()) if total else np.flatnonzero(legal)
            return int(best[0]), target.astype(np.float32)
        weights = np.power(visits.astype(np.float64), 1.0 / temperature)
        choice = self.rng.choice(self.num_actions, p=weights / weights.sum())
        return int(choice), target.astype(np.float32)
