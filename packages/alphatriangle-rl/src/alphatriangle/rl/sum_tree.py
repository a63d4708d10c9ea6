"""A sum tree over priorities: O(log N) updates and stratified proportional sampling.

Stored as one array of 2P floats (P = capacity rounded up to a power of two):
node i has children 2i and 2i+1, leaves start at P. Updates and sampling work on
whole batches of indices at once, level by level.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class SumTree:
    """Priorities of `capacity` slots with their running sums."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.leaf_base = 1 << max(0, (capacity - 1).bit_length())
        self.nodes = np.zeros(2 * self.leaf_base, np.float64)

    @property
    def total(self) -> float:
        return float(self.nodes[1])

    def get(self, indices: NDArray[np.int64]) -> NDArray[np.float64]:
        return self.nodes[self.leaf_base + indices]

    def set(self, indices: NDArray[np.int64], priorities: NDArray[np.float64]) -> None:
        """Set leaf priorities (later duplicates win) and refresh every affected sum."""
        if np.any(priorities < 0) or not np.all(np.isfinite(priorities)):
            raise ValueError("priorities must be finite and non-negative")
        positions = self.leaf_base + np.asarray(indices, np.int64)
        self.nodes[positions] = priorities
        parents = np.unique(positions >> 1)
        while parents.size and parents[0] >= 1:
            self.nodes[parents] = self.nodes[2 * parents] + self.nodes[2 * parents + 1]
            if parents[0] == 1:
                break
            parents = np.unique(parents >> 1)

    def sample(self, count: int, rng: np.random.Generator) -> NDArray[np.int64]:
        """`count` leaf indices, one from each equal slice of the total mass."""
        total = self.total
        if total <= 0.0:
            raise ValueError("cannot sample from a sum tree whose priorities are all zero")
        targets = (np.arange(count) + rng.random(count)) * (total / count)
        targets = np.minimum(targets, np.nextafter(total, 0.0))
        node = np.ones(count, np.int64)
        while node[0] < self.leaf_base:
            left = 2 * node
            left_sum = self.nodes[left]
            go_right = targets >= left_sum
            targets = np.where(go_right, targets - left_sum, targets)
            node = left + go_right
        leaves = node - self.leaf_base
        # Float round-off can land on an empty leaf past the end; pull it back.
        return np.minimum(leaves, self.capacity - 1)
