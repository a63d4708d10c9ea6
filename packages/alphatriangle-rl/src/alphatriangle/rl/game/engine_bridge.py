"""From trianglengin's `GameState`s to the array model, once per real move.

trianglengin is the game: self-play and evaluation play their real moves on engine
states, and every recorded score is the engine's. A search reads a real position
here once, as arrays, and never touches an engine object below its root.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from trianglengin import GameState

from alphatriangle.nn import Positions

from .bitboard import pack_cells
from .observe import positions_of
from .rules import GameArrays, legal_actions
from .tables import EMPTY_SLOT, GameTables


def encode_states(tables: GameTables, states: Sequence[GameState]) -> GameArrays:
    """The [B] engine states as arrays: occupied cells, slot templates and score.

    Raises ValueError for a state of another board, or a slot holding a shape that is
    not one of trianglengin's templates (one set by hand with `debug_set_shapes`).
    """
    count = len(states)
    occupied = np.zeros((count, tables.num_cells), np.bool_)
    shapes = np.full((count, tables.num_slots), EMPTY_SLOT, np.int8)
    score = np.zeros(count, np.float64)
    for index, state in enumerate(states):
        engine = state.cpp_state
        grid = engine.get_grid_occupied_flat()
        if grid.size != tables.num_cells:
            raise ValueError(
                f"state {index} has {grid.size} cells; the model's board has {tables.num_cells}"
            )
        occupied[index] = grid.reshape(-1)
        for slot, shape in enumerate(engine.get_shapes_cpp()):
            if shape is not None:
                shapes[index, slot] = tables.template_id(shape[0])
        score[index] = engine.get_score()
    return GameArrays(occupied=pack_cells(occupied, tables.words), shapes=shapes, score=score)


def engine_positions(tables: GameTables, states: Sequence[GameState]) -> Positions:
    """The network's view of [B] engine states (for a network playing real games directly)."""
    arrays = encode_states(tables, states)
    legal = legal_actions(tables, arrays.occupied, arrays.shapes)
    return positions_of(tables, arrays.occupied, arrays.shapes, legal)
