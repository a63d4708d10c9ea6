"""Q-values of a node's children, completed and normalised by the tree's min-max range.

Rewards are unbounded and grow as play improves, so raw Q-values cannot be mixed
with priors on a fixed scale. As in MuZero (Schrittwieser et al., 2020), Q-values
are normalised to [0, 1] by the smallest and largest Q seen in the tree.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def normalise(
    q: NDArray[np.float64], q_min: NDArray[np.float64], q_max: NDArray[np.float64]
) -> NDArray[np.float64]:
    """[B, A] raw Q with per-tree [B] bounds -> [B, A] in [0, 1] (0.5 while the range is empty)."""
    span = q_max - q_min
    valid = np.isfinite(span) & (span > 1e-12)
    safe_span = np.where(valid, span, 1.0)
    scaled = (q - np.where(valid, q_min, 0.0)[:, None]) / safe_span[:, None]
    return np.where(valid[:, None], np.clip(scaled, 0.0, 1.0), 0.5)


def mean_q(q_sum: NDArray[np.float64], visits: NDArray[np.int32]) -> NDArray[np.float64]:
    """[B, A] mean Q of each edge (0 where unvisited)."""
    return np.where(visits > 0, q_sum / np.maximum(visits, 1), 0.0)


def mixed_value(
    network_value: NDArray[np.float32],
    prior: NDArray[np.float32],
    q: NDArray[np.float64],
    visits: NDArray[np.int32],
) -> NDArray[np.float64]:
    """[B] v_mix of Gumbel AlphaZero (Danihelka et al., 2022, eq. 33).

    Interpolates the network's value with the prior-weighted mean Q of the visited
    children; it stands in for the Q of unvisited children.
    """
    total_visits = visits.sum(axis=1)
    visited = visits > 0
    visited_prior = np.where(visited, prior, 0.0).sum(axis=1)
    weighted_q = np.where(visited, prior * q, 0.0).sum(axis=1)
    policy_q = weighted_q / np.maximum(visited_prior, 1e-12)
    mixed = (network_value + total_visits * policy_q) / (1.0 + total_visits)
    return np.where(visited_prior > 0, mixed, network_value.astype(np.float64))


def completed_q(
    network_value: NDArray[np.float32],
    prior: NDArray[np.float32],
    q: NDArray[np.float64],
    visits: NDArray[np.int32],
) -> NDArray[np.float64]:
    """[B, A] Q of visited children, v_mix for the others."""
    fill = mixed_value(network_value, prior, q, visits)
    return np.where(visits > 0, q, fill[:, None])
