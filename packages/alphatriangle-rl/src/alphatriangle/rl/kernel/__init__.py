"""The turn search's hot path, compiled with numba: expansion, merging, beam, hand value,
the plans' scores under it and the tie rule.

The turn search spends its time on a few small loops over bitboards: legal placements,
placing and clearing lines, merging positions reached in several orders, the beam, and
the hand-made board value; and, once per decision, on scoring the plans and finding the
tied best (`choice`), which as numpy calls on small arrays cost more than their work.
Here they are compiled to machine code (numba, cached on disk: see `compile`), over the
same bitboards as `game` (uint64 words), with every size taken from the board's
`GameTables` (`arrays`). Each rule is implemented once here; `game.rules` stays the
batched numpy model the tree search and the baselines step with, and
`search.turn_plans_reference` is the numpy turn search these kernels are tested
against, plan for plan and bit for bit.
"""

from .arrays import KernelArrays, kernel_arrays
from .calls import (
    Children,
    Features,
    Plans,
    alive_bonus_terms,
    board_inputs_of,
    board_points_of,
    expand_states,
    grow_turns,
    hand_features,
    plan_hand_scores,
    tied_among,
    tied_choices,
    warm_up,
)
from .choice import TIE_TOLERANCE
from .features import HAND_WEIGHTS, NEIGHBOUR_KINDS

__all__ = [
    "HAND_WEIGHTS",
    "NEIGHBOUR_KINDS",
    "TIE_TOLERANCE",
    "Children",
    "Features",
    "KernelArrays",
    "Plans",
    "alive_bonus_terms",
    "board_inputs_of",
    "board_points_of",
    "expand_states",
    "grow_turns",
    "hand_features",
    "kernel_arrays",
    "plan_hand_scores",
    "tied_among",
    "tied_choices",
    "warm_up",
]
