"""Q-values of a node's children, completed and normalised by the tree's min-max range.

Rewards are unbounded and grow as play improves, so raw Q-values cannot be mixed
with priors on a fixed scale. As in MuZero (Schrittwieser et al., 2020), Q-values
are normalised to [0, 1] by the smallest and largest Q seen in the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class ChildStats:
    """What a selection rule needs about the children of B nodes, gathered once per step."""

    prior: NDArray[np.float32]  # [B, A] prior policy, 0 on illegal actions
    legal: NDArray[np.bool_]  # [B, A] legal actions
    visits: NDArray[np.int32]  # [B, A] visits of each edge
    q_sum: NDArray[np.float32]  # [B, A] sum of discounted returns through each edge
    network_value: NDArray[np.float32]  # [B] network value of each node
    q_min: NDArray[np.float32]  # [B] smallest Q seen in each node's tree
    q_max: NDArray[np.float32]  # [B] largest Q seen in each node's tree

    def rows(self, mask: NDArray[np.bool_]) -> ChildStats:
        """The statistics of the nodes selected by `mask` [B]."""
        return ChildStats(
            prior=self.prior[mask],
            legal=self.legal[mask],
            visits=self.visits[mask],
            q_sum=self.q_sum[mask],
            network_value=self.network_value[mask],
            q_min=self.q_min[mask],
            q_max=self.q_max[mask],
        )

    def mean_q(self) -> NDArray[np.float32]:
        """[B, A] mean Q of each edge (0 where unvisited)."""
        visits = np.maximum(self.visits, 1).astype(np.float32)
        mean: NDArray[np.float32] = np.divide(self.q_sum, visits)
        return mean  # q_sum is 0 where unvisited, so the mean is too

    def normalise(self, q: NDArray[np.float32]) -> NDArray[np.float32]:
        """[B, A] raw Q -> [0, 1] by each tree's range (0.5 while the range is empty)."""
        span = self.q_max - self.q_min
        valid = np.isfinite(span) & (span > 1e-12)
        low = np.where(valid, self.q_min, 0.0)[:, None]
        scale = np.where(valid, 1.0 / np.where(valid, span, 1.0), 0.0)[:, None]
        normalised: NDArray[np.float32] = np.clip((q - low) * scale, 0.0, 1.0)
        normalised[~valid] = 0.5
        return normalised

    def mixed_value(self, mean_q: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """[B] v_mix of Gumbel AlphaZero (Danihelka et al., 2022, eq. 33).

        Interpolates the network's value with the prior-weighted mean Q of the visited
        children; it stands in for the Q of unvisited children. `mean_q` may be passed
        when the caller has it already.
        """
        q = self.mean_q() if mean_q is None else mean_q
        total_visits = self.visits.sum(axis=1).astype(np.float32)
        visited_prior = np.where(self.visits > 0, self.prior, 0.0).sum(axis=1)
        policy_q = (self.prior * q).sum(axis=1) / np.maximum(visited_prior, 1e-12)
        mixed = (self.network_value + total_visits * policy_q) / (1.0 + total_visits)
        value: NDArray[np.float32] = np.where(visited_prior > 0, mixed, self.network_value)
        return value

    def completed_q(self) -> NDArray[np.float32]:
        """[B, A] Q of visited children, v_mix for the others."""
        q = self.mean_q()
        completed: NDArray[np.float32] = np.where(self.visits > 0, q, self.mixed_value(q)[:, None])
        return completed
