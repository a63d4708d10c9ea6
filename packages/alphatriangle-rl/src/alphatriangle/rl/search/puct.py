"""The PUCT selection rule of AlphaZero (Silver et al., 2018), as a `RootRule`.

    a* = argmax_a  Q_norm(s, a) + c_puct * P(s, a) * sqrt(N(s)) / (1 + N(s, a))

Q_norm is the tree-normalised Q (see `qtransform`); an unvisited child takes its
parent's mean value ("first-play urgency" equal to the parent's value). Root priors
get Dirichlet noise while self-playing; the move is drawn from the root's visit
counts at a temperature, and the policy target is the visit distribution. With
`reuse_tree` the played child's subtree carries over, so a move runs only the
simulations its new root still lacks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import PuctConfig

from .game_generators import GameGenerators
from .qtransform import ChildStats
from .tree import ROOT_INDEX, Tree


def puct_scores(
    stats: ChildStats, *, parent_value: NDArray[np.float32], cpuct: float
) -> NDArray[np.float32]:
    """[B, A] PUCT scores for B nodes; illegal actions score -inf."""
    q = np.where(stats.visits > 0, stats.mean_q(), parent_value[:, None])
    parent_visits = stats.visits.sum(axis=1, keepdims=True)
    root_visits = np.sqrt(np.maximum(parent_visits, 1).astype(np.float32))
    exploration = cpuct * stats.prior * root_visits / (1.0 + stats.visits.astype(np.float32))
    scores: NDArray[np.float32] = np.where(stats.legal, stats.normalise(q) + exploration, -np.inf)
    return scores


def add_dirichlet_noise(
    prior: NDArray[np.float32],
    legal: NDArray[np.bool_],
    *,
    alpha: float,
    epsilon: float,
    rng: np.random.Generator,
) -> NDArray[np.float32]:
    """[A] prior mixed with Dirichlet(alpha) noise over the legal actions."""
    legal_actions = np.flatnonzero(legal)
    if epsilon <= 0.0 or legal_actions.size == 0:
        return prior
    noise = rng.dirichlet(np.full(legal_actions.size, alpha))
    noisy = prior.copy()
    noisy[legal_actions] = (1.0 - epsilon) * prior[legal_actions] + epsilon * noise
    return noisy


class PuctRule:
    """AlphaZero's search: PUCT at every depth, noised root priors, visit-count moves."""

    def __init__(self, config: PuctConfig, generators: GameGenerators) -> None:
        self.config = config
        self.generators = generators
        self.keeps_subtree = config.reuse_tree

    def simulation_budget(self, tree: Tree, games: NDArray[np.int64]) -> NDArray[np.int64]:
        total = self.config.max_simulations
        if not self.config.reuse_tree:
            return np.full(games.size, total, np.int64)
        already = tree.node_visits[games, ROOT_INDEX].astype(np.int64)
        budget: NDArray[np.int64] = np.maximum(1, total - already)
        return budget

    def prepare(self, tree: Tree, games: NDArray[np.int64], *, add_noise: bool) -> None:
        if not add_noise:
            return
        for g in games:
            tree.children_prior[g, ROOT_INDEX] = add_dirichlet_noise(
                tree.children_prior[g, ROOT_INDEX],
                tree.children_legal[g, ROOT_INDEX],
                alpha=self.config.dirichlet_alpha,
                epsilon=self.config.dirichlet_epsilon,
                rng=self.generators[g],
            )

    def select(
        self, tree: Tree, games: NDArray[np.int64], nodes: NDArray[np.int64], simulation: int
    ) -> NDArray[np.int64]:
        stats = tree.child_stats(games, nodes)
        parent_visits = tree.node_visits[games, nodes]
        parent_value = np.where(
            parent_visits > 0,
            tree.node_value_sum[games, nodes] / np.maximum(parent_visits, 1),
            stats.network_value,
        )
        scores = puct_scores(stats, parent_value=parent_value, cpuct=self.config.cpuct)
        chosen: NDArray[np.int64] = np.argmax(scores, axis=1).astype(np.int64)
        return chosen

    def decide(
        self,
        tree: Tree,
        games: NDArray[np.int64],
        *,
        temperature: NDArray[np.float64],
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        actions = np.empty(games.size, np.int64)
        policy = np.empty((games.size, tree.children_visits.shape[2]), np.float32)
        for row, g in enumerate(games):
            actions[row], policy[row] = self._visit_policy(
                tree.children_visits[g, ROOT_INDEX],
                tree.children_legal[g, ROOT_INDEX],
                float(temperature[row]),
                self.generators[g],
            )
        return actions, policy

    def _visit_policy(
        self,
        visits: NDArray[np.int32],
        legal: NDArray[np.bool_],
        temperature: float,
        rng: np.random.Generator,
    ) -> tuple[int, NDArray[np.float32]]:
        """Visit-count policy target and the move drawn from it at `temperature`."""
        total = visits.sum()
        if total == 0:
            target = np.where(legal, 1.0, 0.0) / max(int(legal.sum()), 1)
        else:
            target = visits / total
        if temperature <= 0.0 or total == 0:
            best = np.flatnonzero(visits == visits.max()) if total else np.flatnonzero(legal)
            return int(best[0]), target.astype(np.float32)
        weights = np.power(visits.astype(np.float32), 1.0 / temperature)
        choice = rng.choice(visits.size, p=weights / weights.sum())
        return int(choice), target.astype(np.float32)
