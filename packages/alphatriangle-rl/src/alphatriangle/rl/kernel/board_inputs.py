"""The board value's inputs, compiled: one pass per board over the hand-made value's counts.

For each board this reuses `features.board_features` (fit count per template, empty
cells by empty neighbours) and `features.hand_terms` (the planner's value and the
refill's odds of leaving a move), then adds the shares of the shape table by how many
anchors each shape fits at and the lines by their empty cells (a popcount per line
and word). The columns are written in the order `alphatriangle.nn.BOARD_VALUE_INPUTS`
names them (`search.board_inputs` checks the count and documents each); every bin edge
is an argument, so no size is fixed here.

Then the local patterns (`pattern_counts`): for each pattern, a few cells placed around
an anchor triangle (their offsets differ for up and down triangles, and cells off the
board count as filled), how many anchors of each orientation see each of its 2^n
filled/empty combinations. Bit-parallel over the anchors: one shifted board per cell of
the pattern (which of its cells each anchor sees filled), then 2^n masks by halving
(each cell splits every mask into the anchors that see it filled and those that see it
empty), one popcount per mask, word and orientation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .bits import popcount, shift_row
from .compile import compiled
from .features import NEIGHBOUR_KINDS, board_features, hand_terms

PATTERN_ROWS = 3
"""Scratch rows before a pattern's cells: the filled cells, and them shifted for up and
for down anchors."""
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
    up_bits: NDArray[np.uint64],
    pattern_start: NDArray[np.int64],
    pattern_shifts: NDArray[np.int64],
    pattern_outside: NDArray[np.uint64],
    coefficients: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """([B, F] the board value's inputs of the [B, words] boards `occupied`, [0]) or, given
    [F] `coefficients`, ([1, F] scratch, [B] each board's value: its inputs times the
    coefficients, added column by column): the search needs only the value, and a
    [B, F] matrix of a few hundred columns costs more to write than to count."""
    count, words = occupied.shape
    templates = anchor_bits.shape[0]
    patterns_from = SCALAR_INPUTS + fit_edges.shape[0] + line_edges.shape[0]
    columns = patterns_from
    largest = 0
    for pattern in range(pattern_start.shape[0] - 1):
        cells = pattern_start[pattern + 1] - pattern_start[pattern]
        columns += 2 << cells
        largest = max(largest, cells)
    pattern_rows = np.empty((PATTERN_ROWS + largest + (1 << largest), words), np.uint64)
    counts = np.zeros(columns - patterns_from, np.int64)
    valued = coefficients.shape[0] > 0
    if valued and coefficients.shape[0] != columns:
        raise ValueError("the board value's coefficients do not match its inputs")
    inputs = np.zeros((1 if valued else count, columns), np.float64)
    points = np.zeros(count if valued else 0, np.float64)
    fit_counts = np.zeros((1, templates), np.int64)
    by_neighbours = np.zeros((1, NEIGHBOUR_KINDS), np.int64)
    scratch = np.empty((1 + shifts.shape[0] + node_parent.shape[0], words), np.uint64)
    for board in range(count):
        row = 0 if valued else board
        if valued:
            inputs[0, :patterns_from] = 0.0
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
                inputs[row, SCALAR_INPUTS + share] += template_entries[template] / total_entries
        every_refill = 1
        refills_that_fit = 1
        for _ in range(num_slots):
            every_refill *= total_entries
            refills_that_fit *= total_entries - fit_nowhere
        inputs[row, 0] = 1.0
        inputs[row, 1] = reward_alive * alive + value
        inputs[row, 2] = alive
        inputs[row, 3] = placements / total_entries
        inputs[row, 4] = 1.0 - refills_that_fit / every_refill
        empty = 0
        for kind in range(NEIGHBOUR_KINDS):
            inputs[row, 5 + kind] = by_neighbours[0, kind]
            empty += by_neighbours[0, kind]
        inputs[row, 9] = empty
        lines_from = SCALAR_INPUTS + fit_edges.shape[0]
        for line in range(line_bits.shape[0]):
            free = 0
            for word in range(words):
                free += popcount(line_bits[line, word] & ~occupied[board, word])
            index = _bin_of(free, line_edges)
            if index >= 0:
                inputs[row, lines_from + index] += 1.0
        pattern_counts(
            occupied,
            board,
            playable_bits,
            up_bits,
            pattern_start,
            pattern_shifts,
            pattern_outside,
            counts,
            pattern_rows,
        )
        if valued:  # the summary's terms, then the patterns seen (most combinations are not)
            total = 0.0
            for column in range(patterns_from):
                total += inputs[0, column] * coefficients[column]
            for index in range(counts.shape[0]):
                if counts[index]:
                    total += counts[index] * coefficients[patterns_from + index]
            points[board] = total
        else:
            for index in range(counts.shape[0]):
                inputs[board, patterns_from + index] = counts[index]
    return inputs, points


@compiled
def pattern_counts(
    occupied: NDArray[np.uint64],
    board: int,
    playable_bits: NDArray[np.uint64],
    up_bits: NDArray[np.uint64],
    pattern_start: NDArray[np.int64],
    pattern_shifts: NDArray[np.int64],
    pattern_outside: NDArray[np.uint64],
    counts: NDArray[np.int64],
    rows: NDArray[np.uint64],
) -> None:
    """Write into `counts`, for board `occupied[board]`, each pattern's counts: for each
    orientation (up, then down) and each combination (bit i set: the pattern's cell i is
    filled), the anchors that see it. Pattern p's cells
    are rows `pattern_start[p]` to `pattern_start[p + 1]` of `pattern_shifts` ([., 2, 3]:
    per orientation the cell offset and its word split) and `pattern_outside` (the
    anchors that cell lies off the board for); `up_bits`: the board's up triangles."""
    words = occupied.shape[1]
    for word in range(words):  # filled: occupied, off the board, or past the last cell
        rows[0, word] = ~(playable_bits[word] & ~occupied[board, word])
    counts[:] = 0
    column = 0
    for pattern in range(pattern_start.shape[0] - 1):
        first = pattern_start[pattern]
        cells = pattern_start[pattern + 1] - first
        masks = PATTERN_ROWS + cells
        for cell in range(cells):
            entry = first + cell
            shifts = pattern_shifts[entry]
            shift_row(rows, 0, 1, shifts[0, 0], shifts[0, 1], shifts[0, 2])
            shift_row(rows, 0, 2, shifts[1, 0], shifts[1, 1], shifts[1, 2])
            for word in range(words):
                rows[PATTERN_ROWS + cell, word] = (
                    (rows[1, word] & up_bits[word])
                    | (rows[2, word] & ~up_bits[word])
                    | pattern_outside[entry, word]
                )
        combinations = 1 << cells
        last = PATTERN_ROWS + cells - 1
        for word in range(words):  # each word's anchors apart: the masks stay in cache
            up_cells = up_bits[word]
            rows[masks, word] = playable_bits[word]
            for cell in range(cells - 1):  # split every mask by whether its anchors see
                half = 1 << cell  # the cell filled (bit `cell` of the combination)
                seen = rows[PATTERN_ROWS + cell, word]
                for code in range(half):
                    both = rows[masks + code, word]
                    rows[masks + code + half, word] = both & seen
                    rows[masks + code, word] = both & ~seen
            half = combinations >> 1
            seen = rows[last, word]
            for code in range(half):  # the last cell's split is counted, not kept
                both = rows[masks + code, word]
                for filled in range(2):
                    anchors = both & seen if filled else both & ~seen
                    up_count = popcount(anchors & up_cells)
                    at = column + code + filled * half
                    counts[at] += up_count
                    counts[at + combinations] += popcount(anchors) - up_count
        column += 2 * combinations
