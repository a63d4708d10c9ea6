"""Gumbel AlphaZero root search (Danihelka et al., "Policy improvement by planning
with Gumbel", ICLR 2022).

At the root: sample Gumbel noise g(a), keep the top-m actions by g(a) + logits(a)
(Gumbel-top-k), and split the simulation budget among them by sequential halving,
always visiting the considered action with the fewest visits that maximises
g(a) + logits(a) + sigma(q(a)). The action played is the survivor with the best
such score; the policy target is softmax(logits + sigma(completed_q)), an improved
policy even when few actions were visited. Below the root, the deterministic rule
argmax_a pi'(a) - N(a) / (1 + sum N) keeps visits in proportion to pi'.

    sigma(q) = (c_visit + max_b N(b)) * c_scale * q      (q normalised to [0, 1])
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numpy.typing import NDArray

from .qtransform import ChildStats


@cache
def considered_visit_sequence(num_considered: int, num_simulations: int) -> tuple[int, ...]:
    """For simulation i, the visit count the root's chosen action must have (sequential halving).

    Each phase gives every remaining action the same number of extra visits; the
    number of remaining actions halves from phase to phase (never below 2).
    """
    if num_considered <= 1:
        return tuple(range(num_simulations))
    phases = math.ceil(math.log2(num_considered))
    sequence: list[int] = []
    visits = [0] * num_considered
    remaining = num_considered
    while len(sequence) < num_simulations:
        extra = max(1, num_simulations // (phases * remaining))
        for _ in range(extra):
            sequence.extend(visits[:remaining])
            for i in range(remaining):
                visits[i] += 1
        remaining = max(2, remaining // 2)
    return tuple(sequence[:num_simulations])


def sigma(
    q_normalised: NDArray[np.float64],
    visits: NDArray[np.int32],
    *,
    c_visit: float,
    c_scale: float,
) -> NDArray[np.float64]:
    """[B, A] monotone transform of normalised Q-values that grows with the visit budget."""
    max_visits = visits.max(axis=1, keepdims=True)
    scaled: NDArray[np.float64] = (c_visit + max_visits) * c_scale * q_normalised
    return scaled


def masked_log(prior: NDArray[np.float32], legal: NDArray[np.bool_]) -> NDArray[np.float64]:
    """log prior on legal actions, -inf elsewhere (a prior of 0 on a legal move is floored)."""
    return np.where(legal, np.log(np.maximum(prior, 1e-30)), -np.inf)


def _sigma_of_completed_q(stats: ChildStats, c_visit: float, c_scale: float) -> NDArray[np.float64]:
    return sigma(
        stats.normalise(stats.completed_q()), stats.visits, c_visit=c_visit, c_scale=c_scale
    )


def improved_policy(stats: ChildStats, *, c_visit: float, c_scale: float) -> NDArray[np.float64]:
    """[B, A] softmax(logits + sigma(completed_q)): the policy target, 0 on illegal actions."""
    legal = stats.legal
    scores = masked_log(stats.prior, legal) + _sigma_of_completed_q(stats, c_visit, c_scale)
    scores = scores - np.max(scores, axis=1, keepdims=True, initial=-np.inf, where=legal)
    weights = np.where(legal, np.exp(scores), 0.0)
    policy: NDArray[np.float64] = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-30)
    return policy


def interior_scores(stats: ChildStats, *, c_visit: float, c_scale: float) -> NDArray[np.float64]:
    """[B, A] pi'(a) - N(a) / (1 + sum N): the deterministic non-root selection rule."""
    policy = improved_policy(stats, c_visit=c_visit, c_scale=c_scale)
    total = stats.visits.sum(axis=1, keepdims=True)
    scores: NDArray[np.float64] = np.where(
        stats.legal, policy - stats.visits / (1.0 + total), -np.inf
    )
    return scores


def root_scores(
    stats: ChildStats,
    *,
    gumbel_plus_logits: NDArray[np.float64],
    considered: NDArray[np.bool_],
    required_visits: NDArray[np.int64],
    c_visit: float,
    c_scale: float,
) -> NDArray[np.float64]:
    """[B, A] score of each considered root action whose visits equal the phase's count."""
    score = gumbel_plus_logits + _sigma_of_completed_q(stats, c_visit, c_scale)
    eligible = considered & (stats.visits == required_visits[:, None])
    # Should rounding leave no action at the required count, fall back to all considered.
    eligible = np.where(eligible.any(axis=1, keepdims=True), eligible, considered)
    scores: NDArray[np.float64] = np.where(eligible, score, -np.inf)
    return scores


def final_scores(
    stats: ChildStats,
    *,
    gumbel_plus_logits: NDArray[np.float64],
    considered: NDArray[np.bool_],
    c_visit: float,
    c_scale: float,
) -> NDArray[np.float64]:
    """[B, A] score of the most-visited considered actions; the argmax is the move to play."""
    most_visits = np.max(np.where(considered, stats.visits, -1), axis=1).astype(np.int64)
    return root_scores(
        stats,
        gumbel_plus_logits=gumbel_plus_logits,
        considered=considered,
        required_visits=most_visits,
        c_visit=c_visit,
        c_scale=c_scale,
    )
