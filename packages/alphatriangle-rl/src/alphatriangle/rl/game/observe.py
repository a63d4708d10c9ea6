"""What the network is shown of array states: `alphatriangle.nn.Positions`, batched."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alphatriangle.nn import Positions

from .bitboard import unpack_cells
from .tables import EMPTY_SLOT, GameTables


def positions_of(
    tables: GameTables,
    occupied: NDArray[np.uint64],
    shapes: NDArray[np.int8],
    legal: NDArray[np.bool_],
) -> Positions:
    """The network's view of [B] states: their cells, legal actions and slot summaries."""
    cells = unpack_cells(occupied, tables.num_cells).reshape(-1, tables.rows, tables.cols)
    return Positions(occupied=cells, legal=legal, shape_summaries=tables.summaries[shapes])


def afterstate_positions(tables: GameTables, occupied: NDArray[np.uint64]) -> Positions:
    """The network's view of [B] afterstates: the boards with every slot empty and no legal
    move, so nothing about the shapes still to be dealt is shown."""
    count = occupied.shape[0]
    return positions_of(
        tables,
        occupied,
        np.full((count, tables.num_slots), EMPTY_SLOT, np.int8),
        np.zeros((count, tables.num_actions), np.bool_),
    )
