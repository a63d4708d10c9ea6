"""Tree search over G games at once, one leaf per tree per round, one network call per round.

A search is a function of positions, as the turn search is (and as mctx's
`search(params, rng, root, recurrent_fn)` is): `run` takes the roots as arrays
(`GameArrays`, read from the real games by the one lockstep loop in `acting`), an
evaluator and one generator per game, and returns a `TreeDecision` (the moves, the
policy targets and the roots' values). It never sees an engine: the loop plays the
moves on the real games, which deal the real shapes.

Each round has three verbs, as in mctx: `_simulate` walks every tree down from its
root to a leaf with the root rule's selection (PUCT, or Gumbel AlphaZero, see
`root_rule.py`); `_expand` plays every new leaf's move in the array model of the game
(`alphatriangle.rl.game`, one batched step for all trees) and evaluates the new leaves
in a single `evaluate_batch` call; `_backward` propagates the discounted returns back
to the roots. Walks and backups advance all trees in lockstep, so their cost is a few
array operations per tree depth, not per node.

Inside the tree, a move that empties the slots draws the refill from the game's own
generator (afresh per child, or once per parent and shared by its children:
`refill_draws`): no simulation can know the shapes the game will deal next, and a root
is always the real position, never a sampled one.

The trees outlive a call, so that a move can start from the subtree it already grew
(`tree_slots.py`): a game is known by its generator, the same object from one call to the
next (a new generator is a new game). When a game's new root is the child of the move
the search decided last time, that child becomes the root (with its subtree under PUCT's
`reuse_tree`, with its evaluation alone under Gumbel); otherwise the game gets a fresh
tree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import EnvConfig, TreeSearchConfig
from alphatriangle.nn import BatchEvaluation, Positions

from ..game import GameArrays, GameTables, legal_actions, place, positions_of, settle
from .game_generators import GameGenerators
from .root_rule import root_rule_for
from .tree import ROOT_INDEX, UNVISITED, Tree
from .tree_slots import TreeSlots


class Evaluator(Protocol):
    """Anything that scores a batch of positions: the network, or a fixed baseline."""

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation: ...


@dataclass(slots=True)
class SearchStats:
    """Counters and timers accumulated over every call to `run`."""

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
    reroot_seconds: float = 0.0
    """Moving each tree on to its game's new root, or starting a fresh tree there."""

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class TreeDecision:
    """What one search over B roots decided, row for row with the roots."""

    action: NDArray[np.int64]  # [B] move to play
    policy_target: NDArray[np.float32]  # [B, A] training target for the policy head
    root_value: NDArray[np.float64]  # [B] search value of each root
    visit_counts: NDArray[np.int32]  # [B, A] root visit counts
    simulations: NDArray[np.int32]  # [B] simulations run this call
    slots: NDArray[np.int64]  # [B] the tree of `BatchedSearch.tree` that searched each root


@dataclass(slots=True)
class _Leaves:
    games: NDArray[np.int64]  # [L]
    nodes: NDArray[np.int64]  # [L] leaf node, UNVISITED when it is still to be created
    parents: NDArray[np.int64]  # [L]
    actions: NDArray[np.int64]  # [L]
    values: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


class BatchedSearch:
    """The trees of up to `num_games` games, searched together from the roots each call gives."""

    def __init__(
        self,
        *,
        env_config: EnvConfig,
        config: TreeSearchConfig,
        num_games: int,
    ) -> None:
        if num_games < 1:
            raise ValueError(f"num_games must be at least 1, got {num_games}")
        self.env_config = env_config
        self.config = config
        self.num_games = num_games
        self.tables = GameTables.for_env(env_config)
        # Every slot gets its game's generator when a game first takes it (`TreeSlots`).
        self.generators = GameGenerators(self.tables, np.random.default_rng(0).spawn(num_games))
        """The generator of each tree slot's game: every refill inside its tree, its root
        noise and its sampled moves."""
        self.slots = TreeSlots(self.generators)
        self.num_actions = self.tables.num_actions
        self.rule = root_rule_for(config, self.generators)
        self.tree = Tree.empty(
            batch_size=num_games,
            num_nodes=config.max_simulations + 2,
            num_actions=self.num_actions,
            words=self.tables.words,
            num_slots=self.tables.num_slots,
        )
        self.stats = SearchStats()

    # --- search ---

    def run(
        self,
        roots: GameArrays,
        evaluator: Evaluator,
        rngs: Sequence[np.random.Generator],
        *,
        temperature: float | NDArray[np.float64] = 1.0,
        add_noise: bool = True,
    ) -> TreeDecision:
        """Search the B positions of `roots` (games still going) and choose a move for each.

        `rngs[i]` is game i's own generator: the same object in the next call is the same
        game, whose tree may carry over. `temperature` (PUCT only; a number, or one per
        game) turns visit counts into the move choice: 0 is greedy. `add_noise` mixes
        Dirichlet noise into PUCT root priors and samples Gumbel noise at Gumbel roots;
        switch it off to evaluate. Raises ValueError for a root with no legal move, more
        roots than `num_games`, or one generator given to two games.
        """
        if len(rngs) != len(roots):
            raise ValueError(f"{len(roots)} roots need as many generators, got {len(rngs)}")
        slots, continuing = self.slots.claim(rngs)
        self._set_roots(roots, slots, continuing)
        order = np.argsort(slots, kind="stable")
        games = slots[order]  # the trees in slot order: each round's batch in one order
        self._evaluate_roots(games, evaluator)
        budget = self.rule.simulation_budget(self.tree, games)
        self.rule.prepare(self.tree, games, add_noise=add_noise)
        simulations = np.zeros(self.num_games, np.int32)
        for sim in range(int(budget.max(initial=0))):
            round_games = games[budget > sim]
            if round_games.size == 0:
                break
            leaves = self._simulate(round_games, sim)
            self._expand(leaves, evaluator)
            self._backward(leaves)
            simulations[round_games] += 1
            self.stats.simulations += int(round_games.size)
        temps = np.broadcast_to(np.asarray(temperature, np.float64), (len(roots),))[order]
        decision = self._decide(games, temps, simulations, slots)
        self.slots.decided(slots, decision.action)
        return decision

    def root_positions(self, slots: NDArray[np.int64]) -> Positions:
        """The network's view of the roots of the trees in `slots`."""
        index = np.asarray(slots, np.int64)
        tree = self.tree
        return positions_of(
            self.tables,
            tree.node_occupied[index, ROOT_INDEX],
            tree.node_shapes[index, ROOT_INDEX],
            tree.children_legal[index, ROOT_INDEX],
        )

    # --- roots ---

    def _set_roots(
        self, roots: GameArrays, slots: NDArray[np.int64], continuing: NDArray[np.bool_]
    ) -> None:
        """Move each continuing game's tree on to its new root when the tree grew it: the
        child of the move decided last call, holding exactly `roots[i]` (always, unless
        the move emptied the slots and the tree drew another refill than the game's).
        Every other game gets a fresh tree holding its root alone."""
        start = time.perf_counter()
        tree = self.tree
        fresh = []
        for row, slot in enumerate(slots.tolist()):
            real = _row(roots, row)
            action = int(self.slots.last_action[slot])
            child = int(tree.children_index[slot, ROOT_INDEX, action]) if action >= 0 else -1
            if continuing[row] and child != UNVISITED and tree.holds_state(slot, child, real):
                if self.rule.keeps_subtree:
                    tree.keep_subtree(slot, child)
                else:
                    tree.restart_from(slot, child)
            else:
                fresh.append(row)
        rows = np.asarray(fresh, np.int64)
        rows = rows[np.argsort(slots[rows], kind="stable")]
        if rows.size:
            games = slots[rows]
            legal = legal_actions(self.tables, roots.occupied[rows], roots.shapes[rows])
            refills = self._draw_refills(games)
            for i, (row, slot) in enumerate(zip(rows.tolist(), games.tolist(), strict=True)):
                tree.set_root(slot, _row(roots, row), legal[i], refills[i])
        stuck = ~tree.children_legal[slots, ROOT_INDEX].any(axis=1)
        self.stats.reroot_seconds += time.perf_counter() - start
        if stuck.any():
            raise ValueError(
                f"cannot search roots {np.flatnonzero(stuck).tolist()}: no legal move (game over)"
            )

    def _draw_refills(self, games: NDArray[np.int64]) -> NDArray[np.int8]:
        """[len(games), S] shapes for the children of a new node of each of `games`
        (used under "per_parent")."""
        if self.config.refill_draws != "per_parent":
            return np.zeros((games.size, self.tables.num_slots), np.int8)
        return self.generators.deal(games)

    def _evaluate_roots(self, games: NDArray[np.int64], evaluator: Evaluator) -> None:
        tree = self.tree
        fresh = games[~tree.node_evaluated[games, ROOT_INDEX]]
        if fresh.size == 0:
            return
        roots = np.zeros_like(fresh)
        evaluation = self._evaluate(evaluator, self.root_positions(fresh))
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

    def _expand(self, leaves: _Leaves, evaluator: Evaluator) -> None:
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
                evaluator,
                positions_of(
                    self.tables,
                    outcome.states.occupied[alive],
                    outcome.states.shapes[alive],
                    outcome.legal[alive],
                ),
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

    def _evaluate(self, evaluator: Evaluator, positions: Positions) -> BatchEvaluation:
        start = time.perf_counter()
        chunk = self.config.mcts_batch_size
        count = len(positions)
        parts = [
            evaluator.evaluate_batch(positions.rows(slice(i, i + chunk)))
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
        temperature: NDArray[np.float64],
        simulations: NDArray[np.int32],
        slots: NDArray[np.int64],
    ) -> TreeDecision:
        """The rule's moves and targets for the trees `games` (slot order), handed back in
        the roots' order (`slots`)."""
        tree = self.tree
        action = np.full(self.num_games, -1, np.int64)
        policy = np.zeros((self.num_games, self.num_actions), np.float32)
        if games.size:
            action[games], policy[games] = self.rule.decide(tree, games, temperature=temperature)
        return TreeDecision(
            action=action[slots],
            policy_target=policy[slots],
            root_value=tree.root_value()[slots],
            visit_counts=tree.children_visits[slots, ROOT_INDEX].copy(),
            simulations=simulations[slots],
            slots=slots.copy(),
        )


def _row(states: GameArrays, row: int) -> GameArrays:
    """The single state `row` of `states`, as a batch of one."""
    return GameArrays(
        occupied=states.occupied[row : row + 1],
        shapes=states.shapes[row : row + 1],
        score=states.score[row : row + 1],
    )
