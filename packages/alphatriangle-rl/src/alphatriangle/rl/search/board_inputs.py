"""What the learned board value sees of a board: the inputs `nn.BOARD_VALUE_INPUTS` names.

Every input is a count the compiled kernel already makes for the hand-made value, or a
popcount per line, so a board costs about what the planner's value costs:

- `planner_value`: the planner's whole afterstate value (alive bonus in expectation over
  the refill plus the hand-made board value), the value's starting point;
- the hand-made value's own features: the refill's odds of leaving a move, expected
  placements of a drawn shape, the risk that a refill holds a shape that fits nowhere,
  and empty cells by their empty neighbours (0, 1, 2, 3) and in all;
- `shapes_fit_*`: the share of the shape table (by entries, as a refill draws them) whose
  shape fits at 0, 1, 2, 3-4, 5-8, 9-16 or 17 and more anchors: how many shapes are
  close to fitting nowhere, which the hand-made value weighs only through a sum;
- `lines_empty_*`: the board's lines by their empty cells (1 to 6, and 7 and more): lines
  close to clearing score soon;
- the local patterns it is given (`nn.PATTERNS` by default, all of `nn.LOCAL_PATTERNS`,
  which `PATTERN_CELLS` places): for every anchor triangle of the board, which of a
  few cells around it are filled, counted by orientation and combination. A pattern's
  weights are shared by every anchor, as the n-tuple values of 2048 share theirs across
  the board's symmetries: a few hundred weights that tell a ragged edge from a clean
  one, where the summary counts see only how many cells have how many empty neighbours.

No input reads a shape the game has not dealt; sizes come from the board's tables.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from alphatriangle.nn import (
    LOCAL_PATTERNS,
    PATTERNS,
    SUMMARY_INPUTS,
    Pattern,
    pattern_inputs,
)

from ..game import GameTables
from ..kernel import board_inputs_of, board_points_of
from .hand_value import DEFAULT_HAND_WEIGHTS

FIT_BINS = np.array([0, 1, 2, 3, 5, 9, 17], np.int64)
"""Lower edges of the `shapes_fit_*` bins (anchors a shape fits at)."""
LINE_BINS = np.array([1, 2, 3, 4, 5, 6, 7], np.int64)
"""Lower edges of the `lines_empty_*` bins (empty cells of a line)."""
ACROSS = 1
"""Rows from an anchor to the cell across its horizontal edge: an up triangle's lies below
(+1), a down triangle's above (-1). A pattern cell (rows, columns) with rows `ACROSS`
means that row; 0 means the anchor's own row."""
PATTERN_CELLS: dict[str, tuple[tuple[int, int], ...]] = {
    "strip": ((0, -2), (0, -1), (0, 0), (0, 1), (0, 2), (ACROSS, 0)),
    "wedge": ((0, 0), (0, -1), (0, 1), (ACROSS, 0), (ACROSS, -1), (ACROSS, 1)),
}
"""Each pattern's cells around its anchor, bit 0 first: the strip, five triangles of the
anchor's row and the one across its edge; the wedge, the anchor, its three neighbours,
and the two triangles beside the one across its edge."""


def input_count(patterns: tuple[Pattern, ...] = PATTERNS) -> int:
    """Columns of `board_inputs` with `patterns`: the summary, then the patterns' counts."""
    return len(SUMMARY_INPUTS) + len(pattern_inputs(patterns))


def board_points(
    tables: GameTables,
    occupied: NDArray[np.uint64],
    coefficients: NDArray[np.float64],
    patterns: tuple[Pattern, ...] = PATTERNS,
) -> NDArray[np.float64]:
    """[B] `board_inputs` of the boards times [F] `coefficients` (points per unit of each
    input), summed in the kernel column by column: the search's value of each board."""
    if coefficients.shape != (input_count(patterns),):
        raise ValueError(
            f"expected {input_count(patterns)} board value coefficients, got {coefficients.shape}"
        )
    return board_points_of(
        tables,
        occupied,
        DEFAULT_HAND_WEIGHTS.as_array(),
        FIT_BINS,
        LINE_BINS,
        *pattern_tables(tables, patterns),
        coefficients,
    )


def board_inputs(
    tables: GameTables, occupied: NDArray[np.uint64], patterns: tuple[Pattern, ...] = PATTERNS
) -> NDArray[np.float64]:
    """[B, F] the board value's inputs of the [B, words] afterstate boards `occupied`,
    computed by the compiled kernel (`kernel.board_inputs`) in `BOARD_VALUE_INPUTS` order."""
    start, shifts, outside = pattern_tables(tables, patterns)
    inputs = board_inputs_of(
        tables,
        occupied,
        DEFAULT_HAND_WEIGHTS.as_array(),
        FIT_BINS,
        LINE_BINS,
        start,
        shifts,
        outside,
    )
    if inputs.shape[1] != input_count(patterns):
        raise AssertionError(
            f"the kernel made {inputs.shape[1]} board inputs, the value names "
            f"{input_count(patterns)}"
        )
    return inputs


@lru_cache(maxsize=16)
def pattern_tables(
    tables: GameTables, patterns: tuple[Pattern, ...]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.uint64]]:
    """The patterns' cells laid out for the kernel (`kernel.board_inputs.pattern_counts`):
    each pattern's first row; per cell, the offset from an up and from a down anchor with
    its word split (|cells| // 64, |cells| % 64); per cell, the anchors it lies off the
    board for (a cell off the board counts as filled)."""
    from ..game.bitboard import pack_cells

    if tuple(PATTERN_CELLS) != tuple(name for name, _ in LOCAL_PATTERNS) or any(
        len(PATTERN_CELLS[name]) != cells for name, cells in LOCAL_PATTERNS
    ):
        raise AssertionError(f"PATTERN_CELLS does not place nn.LOCAL_PATTERNS {LOCAL_PATTERNS}")
    unknown = [pattern for pattern in patterns if pattern not in LOCAL_PATTERNS]
    if unknown:
        raise ValueError(f"no cells for the patterns {unknown}: known are {LOCAL_PATTERNS}")
    rows, cols = tables.rows, tables.cols
    row, col = np.divmod(np.arange(tables.num_cells), cols)
    points_up = (row + col) % 2 != 0
    starts = [0]
    shifts: list[list[tuple[int, int, int]]] = []
    outside: list[NDArray[np.bool_]] = []
    for name, _ in patterns:
        for rows_on, cols_on in PATTERN_CELLS[name]:
            by_orientation = []
            off_board = np.zeros(tables.num_cells, np.bool_)
            for up in (True, False):
                down_rows = rows_on if up else -rows_on
                offset = down_rows * cols + cols_on
                by_orientation.append((offset, abs(offset) // 64, abs(offset) % 64))
                there_row, there_col = row + down_rows, col + cols_on
                off_board |= (points_up == up) & (
                    (there_row < 0) | (there_row >= rows) | (there_col < 0) | (there_col >= cols)
                )
            shifts.append(by_orientation)
            outside.append(off_board)
        starts.append(len(shifts))
    cells = np.stack(outside) if outside else np.zeros((0, tables.num_cells), np.bool_)
    return (
        np.asarray(starts, np.int64),
        np.asarray(shifts, np.int64).reshape(-1, 2, 3),
        np.ascontiguousarray(pack_cells(cells, tables.words)),
    )
