"""Chance in the turn search: one expectimax ply at the refill.

The turn search values the board a plan leaves with an afterstate value and stops
there, yet the refill that follows is where a board shows what it is worth: a board
that takes any three shapes is better than one that takes most of them. This ply looks
at it. For each position, its `candidates` best complete plans (the plan the one-ply
search would play first, then the next best by one-ply score) are each followed by the
same `deals` refills, drawn from the search's own generator with trianglengin's shape
distribution (never the game's: the engine's next shapes are never read). Each
(candidate, deal) position is planned again by the same turn search and value; a
candidate is worth

    its reward + mean over the deals of (alive bonus + the best next plan's score)

where the best next plan is chosen as the one-ply search chooses. A deal that leaves no
legal move, or whose shapes cannot all be placed, ends the game: it is worth what the
value says an ended game is worth (`AfterstateValue.game_over_value`: 0 for a value in
points; for the hand-made value, whose units are relative, the board's one-ply value
less its price of a refill that fits nowhere). Counting such a deal at the few points
scored before the end would rank dying above most live boards, whose hand-made values
are negative. The position plays the candidate with the best expectimax score; ties go
to the position's generator, as the one-ply search breaks them. With one candidate the
ply plays the one-ply move.

Every candidate of a position sees the same deals (common random numbers): their
difference measures the boards, not the luck of the draw. The deals come from a child
of the position's generator (`SeedSequence.spawn`), so the generator's own stream, which
breaks ties, is the one-ply search's: a game's moves depend on its seed and moves alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import TurnSearchConfig

from ..game import GameArrays, GameTables, legal_actions
from .game_generators import draw_refills
from .turn_plans import TurnPlans

NextTurnScores = Callable[[GameArrays], tuple[NDArray[np.float64], NDArray[np.int64]]]
"""Plans B positions as the turn search does: [B] each one's best complete plan's score
(NaN where no plan places every shape: the game ends in that turn), and [B] the boards
the network valued for each."""


@dataclass(frozen=True, slots=True)
class RefillPly:
    """How far the turn search looks past the refill."""

    candidates: int
    """Complete plans per position followed past the refill (C)."""
    deals: int
    """Refills drawn per position, the same for each of its candidates (K)."""

    def __post_init__(self) -> None:
        if self.candidates < 1:
            raise ValueError(f"refill candidates must be at least 1, got {self.candidates}")
        if self.deals < 1:
            raise ValueError(f"refill deals must be at least 1, got {self.deals}")


def refill_ply_for(config: TurnSearchConfig) -> RefillPly | None:
    """The ply past the refill that the settings ask for (None: the search stops there)."""
    if config.turn_refill_candidates == 0:
        return None
    return RefillPly(candidates=config.turn_refill_candidates, deals=config.turn_refill_deals)


def draw_deals(
    tables: GameTables, rngs: Sequence[np.random.Generator], deals: int
) -> NDArray[np.int8]:
    """[B, deals, S] refills for each position, drawn from a child of its generator."""
    dealt = np.empty((len(rngs), deals, tables.num_slots), np.int8)
    for position, rng in enumerate(rngs):
        dealt[position] = draw_refills(tables, rng.spawn(1)[0], deals)
    return dealt


def refill_candidates(
    plans: TurnPlans,
    one_ply_score: NDArray[np.float64],
    one_ply_pick: NDArray[np.intp],
    candidates: int,
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Rows and positions of each position's candidates: its one-ply pick first, then the
    best other complete plans by one-ply score (a pick that ends the game stands alone)."""
    rows: list[NDArray[np.intp]] = []
    bounds = np.searchsorted(plans.root, np.arange(one_ply_pick.size + 1))
    for position, pick in enumerate(one_ply_pick):
        if not plans.completes[pick] or candidates == 1:
            rows.append(np.array([pick], np.intp))
            continue
        own = np.arange(bounds[position], bounds[position + 1])
        others = own[plans.completes[own] & (own != pick)]
        best = others[np.argsort(-one_ply_score[others], kind="stable")[: candidates - 1]]
        rows.append(np.concatenate(([pick], best)).astype(np.intp))
    row = np.concatenate(rows) if rows else np.zeros(0, np.intp)
    return row, plans.root[row]


def expected_after_refill(
    tables: GameTables,
    plans: TurnPlans,
    row: NDArray[np.intp],
    root: NDArray[np.int64],
    dealt: NDArray[np.int8],
    next_turn_scores: NextTurnScores,
    game_over: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """[M] each candidate's mean over its position's deals of (alive bonus + the best next
    plan's score), and [B] the boards the network valued for each of the B positions on
    the way. A deal with no legal move, or whose next turn cannot be completed, is worth
    `game_over` [M] (the value's price of an ended game); rows that do not complete (the
    game ends this turn) are worth 0 after it."""
    count, deals = row.size, dealt.shape[1]
    expected = np.zeros(count, np.float64)
    valued = np.zeros(dealt.shape[0], np.int64)
    complete = plans.completes[row]
    if not complete.any():
        return expected, valued
    which = np.flatnonzero(complete)
    boards = np.repeat(plans.end_occupied[row[which]], deals, axis=0)
    shapes = dealt[root[which]].reshape(-1, tables.num_slots)
    alive = legal_actions(tables, boards, shapes).any(axis=1)
    after = np.repeat(game_over[which], deals)
    if alive.any():
        nexts = GameArrays(
            occupied=boards[alive],
            shapes=shapes[alive],
            score=np.zeros(int(alive.sum()), np.float64),
        )
        best, boards_valued = next_turn_scores(nexts)
        lives = np.flatnonzero(alive)[~np.isnan(best)]  # NaN: the next turn cannot be completed
        after[lives] = tables.reward_per_step_alive + best[~np.isnan(best)]
        owner = np.repeat(root[which], deals)[alive]
        valued = np.bincount(owner, weights=boards_valued, minlength=valued.size).astype(np.int64)
    expected[which] = after.reshape(which.size, deals).mean(axis=1)
    return expected, valued
