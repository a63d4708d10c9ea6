"""The game as arrays: an exact, batched model of trianglengin's rules for the search.

trianglengin stays the game that is played and scored; this model is what the search
thinks with. A state is a bitboard of occupied cells and a template id per slot;
every static fact about the board lives in `GameTables`, built once from the
`EnvConfig`. `step` plays B moves at once and draws refills from the caller's
generator, so nothing that uses it can see the shapes the real game will deal.
"""

from .bitboard import pack_cells, popcount, unpack_cells, words_for
from .board_features import empty_cells_by_neighbours, template_fit_counts
from .chance import (
    Outlook,
    expected_refill_placements,
    no_fit_probability,
    outlook,
    refill_game_over_probability,
)
from .engine_bridge import encode_states, engine_positions
from .observe import afterstate_positions, positions_of
from .rules import (
    GameArrays,
    Placement,
    StepOutcome,
    deal,
    fits,
    legal_actions,
    place,
    settle,
    step,
)
from .shapes import TRIANGLENGIN_SHAPE_TEMPLATES, Template, template_key
from .tables import EMPTY_SLOT, GameTables

__all__ = [
    "EMPTY_SLOT",
    "TRIANGLENGIN_SHAPE_TEMPLATES",
    "GameArrays",
    "GameTables",
    "Outlook",
    "Placement",
    "StepOutcome",
    "Template",
    "afterstate_positions",
    "deal",
    "empty_cells_by_neighbours",
    "encode_states",
    "engine_positions",
    "expected_refill_placements",
    "fits",
    "legal_actions",
    "no_fit_probability",
    "outlook",
    "pack_cells",
    "place",
    "popcount",
    "positions_of",
    "refill_game_over_probability",
    "settle",
    "step",
    "template_fit_counts",
    "template_key",
    "unpack_cells",
    "words_for",
]
