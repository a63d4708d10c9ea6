"""What a board offers the shapes still to come, for players that judge boards.

A board's worth to a player who does not know the next shapes is what any shape
drawn from trianglengin's distribution could do on it. Two views, both cheap for
thousands of boards at once:

- **Fits**: at how many anchors each template fits (`template_fit_counts`): a template
  fits at an anchor where it fits the empty board and every cell it covers is empty.
- **Empty cells by empty neighbours**: an empty cell whose three edge neighbours are all
  filled (or off the board) takes only a single triangle; one with a single empty
  neighbour only shapes that enter it through that edge. Such cells are the holes
  that end games of this kind.

Both are computed by the compiled kernel (`rl.kernel.features`), with bit logic over
whole boards; `search.turn_plans_reference` keeps the numpy versions it is tested against.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..kernel import HAND_WEIGHTS, hand_features
from .tables import GameTables

_NO_WEIGHTS = np.zeros(HAND_WEIGHTS, np.float64)


def template_fit_counts(tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.int64]:
    """[B, T] anchors at which each distinct template fits on each of the [B] boards."""
    fit_counts, _, _, _ = hand_features(tables, occupied, _NO_WEIGHTS)
    return fit_counts


def empty_cells_by_neighbours(
    tables: GameTables, occupied: NDArray[np.uint64]
) -> NDArray[np.int64]:
    """[B, 4] playable empty cells with 0, 1, 2 and 3 empty edge neighbours."""
    _, by_neighbours, _, _ = hand_features(tables, occupied, _NO_WEIGHTS)
    return by_neighbours
