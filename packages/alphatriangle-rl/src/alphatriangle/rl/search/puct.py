"""The PUCT selection rule of AlphaZero (Silver et al., 2018).

    a* = argmax_a  Q_norm(s, a) + c_puct * P(s, a) * sqrt(N(s)) / (1 + N(s, a))

Q_norm is the tree-normalised Q (see `qtransform`); an unvisited child takes its
parent's mean value ("first-play urgency" equal to the parent's value).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .qtransform import ChildStats


def puct_scores(
    stats: ChildStats, *, parent_value: NDArray[np.float64], cpuct: float
) -> NDArray[np.float64]:
    """[B, A] PUCT scores for B nodes; illegal actions score -inf."""
    q = np.where(stats.visits > 0, stats.mean_q(), parent_value[:, None])
    parent_visits = stats.visits.sum(axis=1, keepdims=True)
    exploration = cpuct * stats.prior * np.sqrt(np.maximum(parent_visits, 1)) / (1.0 + stats.visits)
    scores: NDArray[np.float64] = np.where(stats.legal, stats.normalise(q) + exploration, -np.inf)
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
