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
  close to clearing score soon.

No input reads a shape the game has not dealt; sizes come from the board's tables.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from alphatriangle.nn import BOARD_VALUE_INPUT_NAMES

from ..game import GameTables
from ..kernel import board_inputs_of
from .hand_value import DEFAULT_HAND_WEIGHTS

FIT_BINS = np.array([0, 1, 2, 3, 5, 9, 17], np.int64)
"""Lower edges of the `shapes_fit_*` bins (anchors a shape fits at)."""
LINE_BINS = np.array([1, 2, 3, 4, 5, 6, 7], np.int64)
"""Lower edges of the `lines_empty_*` bins (empty cells of a line)."""


def board_inputs(tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.float64]:
    """[B, F] the board value's inputs of the [B, words] afterstate boards `occupied`,
    computed by the compiled kernel (`kernel.board_inputs`) in `BOARD_VALUE_INPUTS` order."""
    inputs = board_inputs_of(tables, occupied, DEFAULT_HAND_WEIGHTS.as_array(), FIT_BINS, LINE_BINS)
    if inputs.shape[1] != len(BOARD_VALUE_INPUT_NAMES):
        raise AssertionError(
            f"the kernel made {inputs.shape[1]} board inputs, BOARD_VALUE_INPUTS names "
            f"{len(BOARD_VALUE_INPUT_NAMES)}"
        )
    return inputs
