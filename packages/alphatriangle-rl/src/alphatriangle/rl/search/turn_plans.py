"""The plans of a turn: every shape in the slots placed, in every order, for B positions at once.

Between two refills the game is deterministic and fully visible; chance enters only
when every slot is empty. A turn is "place every shape left in the slots, in some
order", with line clears in between. `grow_plans` enumerates the turns of B real
positions together, one placement per depth for every partial plan of every
position, so each array operation covers all of them.

Positions reached in several orders are merged (the same board and slots are worth
the same: the reward on the way is fixed by them; the first reached, in the order
(parent plan, slot, anchor), stays), and a beam keeps, for each root, the `beam_width`
partial plans whose reward so far plus hand-made board value is highest at each depth
(those holding a shape that fits nowhere go last). Ties keep the order the plans were
found in: every sort is stable, and the board value is a function of the board's integer
counts alone (`kernel.features`), so equal boards get equal keys in any batch. The last
placement is tried from every kept plan. A plan that cannot place all its shapes ends
the game on the way: it is worth its reward alone and never reaches an afterstate.

A plan that places every shape ends on an afterstate: the board with empty slots,
before the refill is dealt. What that board is worth is the business of an
`AfterstateValue` (`afterstate_value.py`); `grow_plans` records the boards, the reward
that led to them, and the two hand-made terms of each board (its value and the refill's
odds of leaving a move), which the kernel counts anyway as it goes: the planner's value
and the choice of candidates read them instead of counting the boards again.

The work is done by compiled kernels (`rl.kernel`); the numpy version of the same
search is `turn_plans_reference`, the reference the kernels are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..game import GameArrays, GameTables
from ..kernel import grow_turns
from .hand_value import HandWeights

DEFAULT_BEAM_WIDTH = 100
"""Partial plans kept per position at each depth: 100 scored 21 points more than 50 on the
planner's tuning seeds, at about 270 moves/s on one core."""


@dataclass(frozen=True, slots=True)
class TurnPlans:
    """The plans found from B positions, K in all, grouped by root in root order."""

    root: NDArray[np.int64]  # [K] which position the plan starts from
    first_action: NDArray[np.int64]  # [K] the move the plan starts with
    reward: NDArray[np.float64]  # [K] the plan's reward, without the last move's alive bonus
    completes: NDArray[np.bool_]  # [K] every shape is placed; else the game ends on the way
    end_occupied: NDArray[np.uint64]  # [K, words] the board the plan ends on
    end_hand_value: NDArray[np.float64]  # [K] its hand-made value (NaN if not complete)
    end_alive_odds: NDArray[np.float64]  # [K] its odds that a refill leaves a move (NaN: idem)

    def __len__(self) -> int:
        return int(self.root.shape[0])

    def take(self, index: NDArray[np.intp]) -> TurnPlans:
        return TurnPlans(
            root=self.root[index],
            first_action=self.first_action[index],
            reward=self.reward[index],
            completes=self.completes[index],
            end_occupied=self.end_occupied[index],
            end_hand_value=self.end_hand_value[index],
            end_alive_odds=self.end_alive_odds[index],
        )


def grow_plans(
    tables: GameTables,
    roots: GameArrays,
    *,
    weights: HandWeights,
    beam_width: int = DEFAULT_BEAM_WIDTH,
) -> TurnPlans:
    """Every (beam-pruned) plan for the shapes in the slots of each of the B `roots`.

    Compiled (`rl.kernel.grow_turns`); `turn_plans_reference.reference_grow_plans` is the
    same search in numpy, which the tests hold it to. Raises ValueError for a beam below 1
    or a root with no legal move (its game is over).
    """
    if beam_width < 1:
        raise ValueError(f"beam_width must be at least 1, got {beam_width}")
    root, first, reward, completes, end, end_value, end_alive = grow_turns(
        tables, roots.occupied, roots.shapes, weights.as_array(), beam_width
    )  # raises the ValueError itself for a root with no legal move
    return TurnPlans(
        root=root,
        first_action=first,
        reward=reward,
        completes=completes,
        end_occupied=end,
        end_hand_value=end_value,
        end_alive_odds=end_alive,
    )
