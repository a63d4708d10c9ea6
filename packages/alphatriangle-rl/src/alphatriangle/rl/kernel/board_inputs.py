"""The board value's inputs, compiled: one pass per board over the hand-made value's counts.

For each board this reuses `features.board_features` (fit count per template, empty
cells by empty neighbours) and `features.hand_terms` (the planner's value and the
refill's odds of leaving a move), then adds the shares of the shape table by how many
anchors each shape fits at and the lines by their empty cells (a popcount per line
and word). The columns are written in the order `alphatriangle.nn.BOARD_VALUE_INPUTS`
names them (`search.board_inputs` checks the count and documents each); every bin edge
is an argument, so no size is fixed here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .bits import popcount
from .compile import compiled
from .features import NEIGHBOUR_KINDS, board_features, hand_terms

SCALAR_INPUTS = 10
"""bias, planner value, refill alive odds, expected placements, refill risk, empty cells
by 0-3 empty neighbours, empty cells: the columns before the bins."""


@compiled
def _bin_of(value: int, edges: NDArray[np.int64]) -> int:
    """The bin whose lower edge is the largest edge at or below `value` (-1: below all)."""
    found = -1
    for index in range(edges.shape[0]):
        if value >= edges[index]:
            found = index
    return found


@compiled
def board_value_inputs(
    occupied: NDArray[np.uint64],
    shifts: NDArray[np.int64],
    node_parent: NDArray[np.int64],
    node_offset: NDArray[np.int64],
    template_node: NDArray[np.int64],
    anchor_bits: NDArray[np.uint64],
    playable_bits: NDArray[np.uint64],
    has_left: NDArray[np.uint64],
    has_right: NDArray[np.uint64],
    points_up: NDArray[np.uint64],
    template_entries: NDArray[np.int64],
    total_entries: int,
    num_slots: int,
    weights: NDArray[np.float64],
    reward_alive: float,
    line_bits: NDArray[np.uint64],
    fit_edges: NDArray[np.int64],
    line_edges: NDArray[np.int64],
) -> NDArray[np.float64]:
    """[B, F] the board value's inputs of the [B, words] boards `occupied`."""
    count, words = occupied.shape
    templates = anchor_bits.shape[0]
    columns = SCALAR_INPUTS + fit_edges.shape[0] + line_edges.shape[0]
    inputs = np.zeros((count, columns), np.float64)
    fit_counts = np.zeros((1, templates), np.int64)
    by_neighbours = np.zeros((1, NEIGHBOUR_KINDS), np.int64)
    scratch = np.empty((1 + shifts.shape[0] + node_parent.shape[0], words), np.uint64)
    for board in range(count):
        board_features(
            occupied,
            board,
            shifts,
            node_parent,
            node_offset,
            template_node,
            anchor_bits,
            playable_bits,
            has_left,
            has_right,
            points_up,
            fit_counts,
            by_neighbours,
            0,
            scratch,
        )
        value, alive = hand_terms(
            fit_counts, by_neighbours, 0, template_entries, total_entries, num_slots, weights
        )
        placements = 0
        fit_nowhere = 0
        for template in range(templates):
            placements += fit_counts[0, template] * template_entries[template]
            if fit_counts[0, template] == 0:
                fit_nowhere += template_entries[template]
            share = _bin_of(fit_counts[0, template], fit_edges)
            if share >= 0:
                inputs[board, SCALAR_INPUTS + share] += template_entries[template] / total_entries
        every_refill = 1
        refills_that_fit = 1
        for _ in range(num_slots):
            every_refill *= total_entries
            refills_that_fit *= total_entries - fit_nowhere
        inputs[board, 0] = 1.0
        inputs[board, 1] = reward_alive * alive + value
        inputs[board, 2] = alive
        inputs[board, 3] = placements / total_entries
        inputs[board, 4] = 1.0 - refills_that_fit / every_refill
        empty = 0
        for kind in range(NEIGHBOUR_KINDS):
            inputs[board, 5 + kind] = by_neighbours[0, kind]
            empty += by_neighbours[0, kind]
        inputs[board, 9] = empty
        lines_from = SCALAR_INPUTS + fit_edges.shape[0]
        for line in range(line_bits.shape[0]):
            free = 0
            for word in range(words):
                free += popcount(line_bits[line, word] & ~occupied[board, word])
            index = _bin_of(free, line_edges)
            if index >= 0:
                inputs[board, lines_from + index] += 1.0
    return inputs
