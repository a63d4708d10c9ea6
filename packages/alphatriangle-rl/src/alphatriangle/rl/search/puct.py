"""The PUCT selection rule of AlphaZero (Silver et al., 2018).

    a* = argmax_a  Q_norm(s, a) + c_puct * P(s, a) * sqrt(N(s)) / (1 + N(s, a))

Q_norm is the tree-normalised Q (see `qtransform`); an unvisited child takes its
parent's mean value ("first-play urgency" equal to the parent's value).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .qtransform import mean_q, normalise


def puct_scores(
    *,
    prior: NDArray[np.float32],
    legal: NDArray[np.bool_],
    visits: NDArray[np.int32],
    q_sum: NDArray[np.float64],
    parent_value: NDArray[np.float64],
    q_min: NDArray[np.float64],
    q_max: NDArray[np.float64],
    cpuct: float,
) -> NDArray[np.float64]:
    """[B, A] PUCT scores for B nodes; illegal actions score -inf."""
    q = np.where(visits > 0, mean_q(q_sum, visits), parent_value[:, None])
    parent_visits = visits.sum(axis=1, keepdims=True)
    exploration = cpuct * prior * np.sqrt(np.maximum(parent_visits, 1)) / (1.0 + visits)
    scores = normalise(q, q_min, q_max) + exploration
    return np.where(legal, scores, -np.inf)


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
