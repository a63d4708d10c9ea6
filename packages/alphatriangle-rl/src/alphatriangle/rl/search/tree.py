"""The search trees of B games, kept as arrays in the manner of DeepMind's mctx.

Node i of tree b is row ``[b, i]``; per node and action, ``[b, i, a]``. The root is
node 0. Nodes are appended in the order simulations create them. A node's game
state is a few words of the array model (`alphatriangle.rl.game`): its occupied
bitboard and the template in each slot. No engine object lives in the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..game import GameArrays
from .qtransform import ChildStats

ROOT_INDEX = 0
"""Index of every tree's root node."""
NO_PARENT = -1
"""Parent of a root."""
UNVISITED = -1
"""Child index of an action that has not been expanded."""


@dataclass(slots=True)
class Tree:
    """B search trees with room for N nodes each over A actions.

    Values are float32: a tree sums a few dozen returns, and the selection rules'
    array arithmetic (exp, log over every action) runs several times faster in it.
    """

    node_visits: NDArray[np.int32]  # [B, N] simulations that passed through the node
    node_value_sum: NDArray[np.float32]  # [B, N] sum of returns backed up from the node
    node_network_value: NDArray[np.float32]  # [B, N] network value at expansion (0 if terminal)
    node_reward: NDArray[np.float32]  # [B, N] reward on the edge into the node
    node_terminal: NDArray[np.bool_]  # [B, N] the game ended on entering the node
    node_evaluated: NDArray[np.bool_]  # [B, N] the network has scored the node
    node_occupied: NDArray[np.uint64]  # [B, N, words] occupied cells of the node's state
    node_shapes: NDArray[np.int8]  # [B, N, S] template in each slot of the node's state
    node_refill: NDArray[np.int8]  # [B, N, S] shapes its children get if a move empties the slots
    parents: NDArray[np.int32]  # [B, N] parent index, NO_PARENT for roots and free rows
    action_from_parent: NDArray[np.int32]  # [B, N] action on the edge into the node
    children_index: NDArray[np.int32]  # [B, N, A] child node, UNVISITED if not expanded
    children_prior: NDArray[np.float32]  # [B, N, A] prior policy, 0 on illegal actions
    children_legal: NDArray[np.bool_]  # [B, N, A] legal actions of the node
    children_visits: NDArray[np.int32]  # [B, N, A] visits of each edge
    children_q_sum: NDArray[np.float32]  # [B, N, A] sum of discounted returns through each edge
    num_nodes: NDArray[np.int32]  # [B] rows in use
    q_min: NDArray[np.float32]  # [B] smallest Q-value seen in the tree (min-max normalisation)
    q_max: NDArray[np.float32]  # [B] largest Q-value seen in the tree

    @classmethod
    def empty(
        cls, *, batch_size: int, num_nodes: int, num_actions: int, words: int, num_slots: int
    ) -> Tree:
        b, n, a = batch_size, num_nodes, num_actions
        return cls(
            node_visits=np.zeros((b, n), np.int32),
            node_value_sum=np.zeros((b, n), np.float32),
            node_network_value=np.zeros((b, n), np.float32),
            node_reward=np.zeros((b, n), np.float32),
            node_terminal=np.zeros((b, n), np.bool_),
            node_evaluated=np.zeros((b, n), np.bool_),
            node_occupied=np.zeros((b, n, words), np.uint64),
            node_shapes=np.zeros((b, n, num_slots), np.int8),
            node_refill=np.zeros((b, n, num_slots), np.int8),
            parents=np.full((b, n), NO_PARENT, np.int32),
            action_from_parent=np.full((b, n), -1, np.int32),
            children_index=np.full((b, n, a), UNVISITED, np.int32),
            children_prior=np.zeros((b, n, a), np.float32),
            children_legal=np.zeros((b, n, a), np.bool_),
            children_visits=np.zeros((b, n, a), np.int32),
            children_q_sum=np.zeros((b, n, a), np.float32),
            num_nodes=np.zeros(b, np.int32),
            q_min=np.full(b, np.inf, np.float32),
            q_max=np.full(b, -np.inf, np.float32),
        )

    @property
    def batch_size(self) -> int:
        return int(self.node_visits.shape[0])

    @property
    def capacity(self) -> int:
        return int(self.node_visits.shape[1])

    def _node_arrays(self) -> tuple[NDArray[np.generic], ...]:
        """Every per-node array but `parents` and `children_index` (which hold indices)."""
        return (
            self.node_visits,
            self.node_value_sum,
            self.node_network_value,
            self.node_reward,
            self.node_terminal,
            self.node_evaluated,
            self.node_occupied,
            self.node_shapes,
            self.node_refill,
            self.action_from_parent,
            self.children_prior,
            self.children_legal,
            self.children_visits,
            self.children_q_sum,
        )

    def clear(self, game: int) -> None:
        """Forget tree `game` entirely (its root must be set again)."""
        used = int(self.num_nodes[game])
        for array in self._node_arrays():
            array[game, :used] = 0
        self.action_from_parent[game, :used] = -1
        self.parents[game, :used] = NO_PARENT
        self.children_index[game, :used] = UNVISITED
        self.num_nodes[game] = 0
        self.q_min[game] = np.inf
        self.q_max[game] = -np.inf

    def set_root(
        self,
        game: int,
        state: GameArrays,
        legal: NDArray[np.bool_],
        refill: NDArray[np.int8],
    ) -> None:
        """Make the single state of `state` the only node of tree `game`, not yet evaluated."""
        self.clear(game)
        self.node_occupied[game, ROOT_INDEX] = state.occupied[0]
        self.node_shapes[game, ROOT_INDEX] = state.shapes[0]
        self.node_refill[game, ROOT_INDEX] = refill
        self.children_legal[game, ROOT_INDEX] = legal
        self.num_nodes[game] = 1

    def holds_state(self, game: int, node: int, state: GameArrays) -> bool:
        """Whether node `node` of tree `game` is the single state of `state`."""
        return bool(
            np.array_equal(self.node_occupied[game, node], state.occupied[0])
            and np.array_equal(self.node_shapes[game, node], state.shapes[0])
        )

    def restart_from(self, game: int, node: int) -> None:
        """Make `node` the only node of tree `game`, keeping its state and its evaluation.

        The network already scored the node when it was a leaf; carrying its prior,
        legal mask and value over saves the next search a network call for its root.
        """
        kept = [array[game, node].copy() for array in self._node_arrays()]
        self.clear(game)
        for array, value in zip(self._node_arrays(), kept, strict=True):
            array[game, ROOT_INDEX] = value
        self.node_visits[game, ROOT_INDEX] = 0
        self.node_value_sum[game, ROOT_INDEX] = 0.0
        self.node_reward[game, ROOT_INDEX] = 0.0
        self.action_from_parent[game, ROOT_INDEX] = -1
        self.children_visits[game, ROOT_INDEX] = 0
        self.children_q_sum[game, ROOT_INDEX] = 0.0
        self.num_nodes[game] = 1

    def keep_subtree(self, game: int, new_root: int) -> None:
        """Make `new_root` the root of tree `game`, keeping its subtree and dropping the rest.

        Nodes are renumbered in breadth-first order, so the root is 0 again and every
        kept statistic (visits, values, priors) carries over to the next move's search.
        """
        children = self.children_index[game]
        order = [new_root]
        cursor = 0
        while cursor < len(order):
            row = children[order[cursor]]
            order.extend(int(c) for c in row[row != UNVISITED])
            cursor += 1
        old = np.asarray(order, dtype=np.int64)
        kept = old.size
        remap = np.full(self.capacity + 1, UNVISITED, np.int32)  # index -1 maps to UNVISITED
        remap[old] = np.arange(kept, dtype=np.int32)
        for array in self._node_arrays():
            moved = array[game, old].copy()
            array[game].fill(0)
            array[game, :kept] = moved
        old_parents = self.parents[game, old]
        self.parents[game].fill(NO_PARENT)
        self.parents[game, :kept] = remap[old_parents]
        self.parents[game, ROOT_INDEX] = NO_PARENT
        self.action_from_parent[game, kept:] = -1
        self.action_from_parent[game, ROOT_INDEX] = -1
        self.node_reward[game, ROOT_INDEX] = 0.0
        old_children = self.children_index[game, old].copy()
        self.children_index[game].fill(UNVISITED)
        self.children_index[game, :kept] = remap[old_children]
        self.num_nodes[game] = kept
        # Q-values of the dropped siblings no longer bound the tree; rebuild the range.
        visited = self.children_visits[game, :kept] > 0
        if visited.any():
            q = (
                self.children_q_sum[game, :kept][visited]
                / self.children_visits[game, :kept][visited]
            )
            self.q_min[game], self.q_max[game] = float(q.min()), float(q.max())
        else:
            self.q_min[game], self.q_max[game] = np.inf, -np.inf

    def child_stats(self, games: NDArray[np.int64], nodes: NDArray[np.int64]) -> ChildStats:
        """The children of node `nodes[i]` of tree `games[i]`, for a selection rule."""
        return ChildStats(
            prior=self.children_prior[games, nodes],
            legal=self.children_legal[games, nodes],
            visits=self.children_visits[games, nodes],
            q_sum=self.children_q_sum[games, nodes],
            network_value=self.node_network_value[games, nodes],
            q_min=self.q_min[games],
            q_max=self.q_max[games],
        )

    def root_value(self) -> NDArray[np.float64]:
        """[B] mean return backed up through each root (its network value if unvisited)."""
        visits = self.node_visits[:, ROOT_INDEX]
        mean = self.node_value_sum[:, ROOT_INDEX] / np.maximum(visits, 1)
        value: NDArray[np.float64] = np.where(
            visits > 0, mean, self.node_network_value[:, ROOT_INDEX]
        ).astype(np.float64)
        return value
