"""Expectations over the next refill, computed exactly from the tables.

A player who empties the slots does not know the shapes the refill will bring; it
knows their distribution. These give what such a player can know about a board
after a refill: how many placements to expect and how likely the refill ends the
game. Baselines and planners score afterstates with them instead of peeking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .rules import Placement, fits, legal_actions
from .tables import GameTables


def template_fit_counts(tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.int64]:
    """[B, T] anchors at which each distinct template fits on each of the [B] boards."""
    every_template = np.broadcast_to(
        np.arange(tables.num_templates, dtype=np.int64), (occupied.shape[0], tables.num_templates)
    )
    counts: NDArray[np.int64] = fits(tables, occupied, every_template).sum(axis=2, dtype=np.int64)
    return counts


def expected_refill_placements(
    tables: GameTables, fit_counts: NDArray[np.int64]
) -> NDArray[np.float64]:
    """[B] expected legal actions right after a refill of every slot.

    Each slot is drawn independently, so the expectation is the number of slots times
    the expected placements of one drawn shape (zero placements when none fits, so a
    refill that ends the game counts as no moves).
    """
    per_shape: NDArray[np.float64] = fit_counts @ tables.template_probability
    expected: NDArray[np.float64] = tables.num_slots * per_shape
    return expected


def refill_game_over_probability(
    tables: GameTables, fit_counts: NDArray[np.int64]
) -> NDArray[np.float64]:
    """[B] probability that no shape of a fresh refill fits: the game would end."""
    no_fit: NDArray[np.float64] = (fit_counts == 0) @ tables.template_probability
    probability: NDArray[np.float64] = no_fit**tables.num_slots
    return probability


@dataclass(frozen=True, slots=True)
class Outlook:
    """What a player can know, right after placing, about the position the move leads to."""

    alive_probability: NDArray[np.float64]  # [B] chance the game goes on after the move
    expected_moves: NDArray[np.float64]  # [B] expected legal actions in the next position
    expected_reward: NDArray[np.float64]  # [B] the move's reward, alive bonus in expectation


def outlook(tables: GameTables, placement: Placement) -> Outlook:
    """The [B] afterstates' outlook without the refill they may be waiting for.

    Where shapes remain in the slots, the next position is known exactly. Where the
    move emptied the slots, the refill is unknown: the figures are expectations over
    trianglengin's shape distribution, never the shapes the game will in fact deal.
    """
    states = placement.states
    known_moves = legal_actions(tables, states.occupied, states.shapes).sum(axis=1)
    moves = known_moves.astype(np.float64)
    alive = (known_moves > 0).astype(np.float64)
    refill = placement.needs_refill
    if refill.any():
        counts = template_fit_counts(tables, states.occupied[refill])
        moves[refill] = expected_refill_placements(tables, counts)
        alive[refill] = 1.0 - refill_game_over_probability(tables, counts)
    reward = placement.base_reward(tables) + tables.reward_per_step_alive * alive
    return Outlook(alive_probability=alive, expected_moves=moves, expected_reward=reward)
