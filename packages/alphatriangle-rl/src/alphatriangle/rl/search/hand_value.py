"""The hand-made value of a board whose next shapes are unknown (the planner's judgement).

    value = placements x expected legal placements of one shape drawn on the board
          - refill_risk x probability that a refill holds a shape that fits nowhere
          - isolated x empty cells with no empty neighbour (only a single triangle fits)
          - dead_end x empty cells with one empty neighbour
          - narrow x empty cells with two empty neighbours

Every term is computed exactly from the board and the shape distribution
(`game.template_fit_counts`, `game.empty_cells_by_neighbours`); no shape the game has
not dealt is read. The two chance terms are ratios of integer counts of trianglengin's
shape table, each one division, so a board's value depends on its counts alone. The
value is compiled (`kernel.features.hand_terms`); `search.turn_plans_reference` holds
the same formula in numpy for the tests. The weights were tuned on seeds below the evaluation range
(`benchmarks/results/2026-12-01-planner/`). The turn search uses it to prune partial
plans and, as one choice of `AfterstateValue`, to value the boards plans end on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..game import GameTables
from ..kernel import alive_bonus_terms, hand_features


@dataclass(frozen=True, slots=True)
class HandWeights:
    """What the board a plan ends on is worth, in points of score per unit of each feature."""

    placements: float = 0.01
    """Per expected legal placement of one shape drawn from the shape distribution."""
    refill_risk: float = 10.0
    """Per unit of probability that a refill holds a shape that fits nowhere."""
    isolated: float = 6.0
    """Per empty cell whose edge neighbours are all filled or off the board."""
    dead_end: float = 3.0
    """Per empty cell with exactly one empty edge neighbour."""
    narrow: float = 1.0
    """Per empty cell with exactly two empty edge neighbours."""

    def as_array(self) -> NDArray[np.float64]:
        """The weights in the order the compiled value reads them (`kernel.features`)."""
        return np.array(
            [self.placements, self.refill_risk, self.isolated, self.dead_end, self.narrow],
            np.float64,
        )


DEFAULT_HAND_WEIGHTS = HandWeights()


@dataclass(frozen=True, slots=True)
class BoardValue:
    """The value of [B] boards to a player who has not seen the next shapes."""

    value: NDArray[np.float64]  # [B] in points of score
    fit_counts: NDArray[np.int64]  # [B, T] anchors at which each template fits


def board_value(
    tables: GameTables, occupied: NDArray[np.uint64], weights: HandWeights
) -> BoardValue:
    """Value the [B] boards `occupied` [B, words] with `weights`."""
    fit_counts, _, value, _ = hand_features(tables, occupied, weights.as_array())
    return BoardValue(value=value, fit_counts=fit_counts)


def hand_afterstate_terms(
    tables: GameTables, occupied: NDArray[np.uint64], weights: HandWeights
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """([B] the last move's alive bonus in expectation over the refill, [B] `board_value`).

    Kept as two terms so a plan's score adds them in the planner's order, bit for bit.
    """
    _, _, value, alive = hand_features(tables, occupied, weights.as_array())
    return afterstate_terms(tables, value, alive)


def afterstate_terms(
    tables: GameTables, value: NDArray[np.float64], alive_odds: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`hand_afterstate_terms` of boards whose hand-made value and refill alive odds are
    known already (the turn search's kernel counts them as it grows the plans). The alive
    term is the kernel's (`kernel.choice`), which scores the planner's plans with it."""
    return alive_bonus_terms(tables, alive_odds), value
