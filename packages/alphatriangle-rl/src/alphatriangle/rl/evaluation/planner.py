"""The planner: every shape in the slots placed in every order, and the best plan's first move.

Between two refills the game is deterministic and fully known; chance enters only
when the slots run empty and the engine deals new shapes. The planner searches that
known part. From the real position it places the remaining shapes in every order
and at every anchor, line clears in between (the array model's `place`), and scores
each complete plan by its moves' reward plus the value of the board it ends on:

    value = placements x expected legal placements of one shape drawn on the end board
          - refill_risk x probability that a refill holds a shape that fits nowhere
          - isolated x empty cells with no empty neighbour (only a single triangle fits)
          - dead_end x empty cells with one empty neighbour
          - narrow x empty cells with two empty neighbours

Every term is computed exactly from the board and the shape distribution
(`game.template_fit_counts`, `game.empty_cells_by_neighbours`); no shape the game has
not dealt is read, so the planner is as blind to the future as a human player. A plan
that cannot place all its shapes ends the game: it is worth its reward alone and ranks
below every plan that completes, so the planner walks into a game over only when no
plan it finds avoids it, and then takes the one that scores most before the end.

Plans are grown one placement at a time. Positions reached in several orders are
merged (the same board and slots are worth the same: the reward on the way is fixed
by them), and a beam keeps the `beam_width` partial plans whose board value plus
reward so far is highest at each depth; the last placement is tried from every kept
plan. It replans every move and plays the best plan's first move on the real engine,
which then deals the real shapes. Ties are broken by a generator seeded from the
game's seed, as for the other baselines. The weights were tuned on seeds below the
evaluation range (`benchmarks/results/2026-12-01-planner/`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from ..game import (
    EMPTY_SLOT,
    GameArrays,
    GameTables,
    empty_cells_by_neighbours,
    encode_states,
    legal_actions,
    no_fit_probability,
    place,
    refill_game_over_probability,
    template_fit_counts,
)
from .baselines import OneMovePlayer

DEFAULT_BEAM_WIDTH = 100
"""Partial plans kept at each depth: 100 scored 21 points more than 50 on the tuning seeds,
at about 270 moves/s on one core."""
TIE_TOLERANCE = 1e-9
"""Plans whose values differ by less are equally good; the generator picks among them."""


@dataclass(frozen=True, slots=True)
class PlannerWeights:
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


DEFAULT_PLANNER_WEIGHTS = PlannerWeights()


@dataclass(frozen=True, slots=True)
class BoardValue:
    """The value of [B] boards to a player who has not seen the next shapes."""

    value: NDArray[np.float64]  # [B] in points of score
    fit_counts: NDArray[np.int64]  # [B, T] anchors at which each template fits


def board_value(
    tables: GameTables, occupied: NDArray[np.uint64], weights: PlannerWeights
) -> BoardValue:
    """Value the [B] boards `occupied` [B, words] with `weights`."""
    fit_counts = template_fit_counts(tables, occupied)
    expected_placements = fit_counts @ tables.template_probability
    refill_risk = 1.0 - (1.0 - no_fit_probability(tables, fit_counts)) ** tables.num_slots
    by_neighbours = empty_cells_by_neighbours(tables, occupied)
    value = (
        weights.placements * expected_placements
        - weights.refill_risk * refill_risk
        - weights.isolated * by_neighbours[:, 0]
        - weights.dead_end * by_neighbours[:, 1]
        - weights.narrow * by_neighbours[:, 2]
    )
    return BoardValue(value=value, fit_counts=fit_counts)


@dataclass(frozen=True, slots=True)
class Plans:
    """The plans found from one position: each plan's first move and worth."""

    first_action: NDArray[np.int64]  # [K] the move the plan starts with
    value: NDArray[np.float64]  # [K] its moves' reward, plus its end board's value if it completes
    completes: NDArray[np.bool_]  # [K] every shape gets placed; otherwise the game ends on the way

    def best_actions(self) -> NDArray[np.int64]:
        """The first moves of the best plans, sorted: completing plans come first."""
        candidates = self.completes if self.completes.any() else np.ones_like(self.completes)
        value = np.where(candidates, self.value, -np.inf)
        best = value >= value.max() - TIE_TOLERANCE
        actions: NDArray[np.int64] = np.unique(self.first_action[best])
        return actions


def plan(
    tables: GameTables,
    position: GameArrays,
    *,
    weights: PlannerWeights = DEFAULT_PLANNER_WEIGHTS,
    beam_width: int = DEFAULT_BEAM_WIDTH,
) -> Plans:
    """Every plan for the shapes in the slots of the one position `position` (beam-pruned).

    Raises ValueError unless `position` holds exactly one state with a legal move.
    """
    if len(position) != 1:
        raise ValueError(f"plan takes one position, got {len(position)}")
    if beam_width < 1:
        raise ValueError(f"beam_width must be at least 1, got {beam_width}")
    if not legal_actions(tables, position.occupied, position.shapes).any():
        raise ValueError("the position has no legal move: the game is over")
    occupied, shapes = position.occupied, position.shapes
    reward = np.zeros(1, np.float64)  # of the plan's moves so far
    first = np.full(1, -1, np.int64)
    alive_bonus = tables.reward_per_step_alive
    found_first: list[NDArray[np.int64]] = []
    found_value: list[NDArray[np.float64]] = []
    found_completes: list[NDArray[np.bool_]] = []
    remaining = int((shapes[0] != EMPTY_SLOT).sum())
    for depth in range(remaining):
        legal = legal_actions(tables, occupied, shapes)
        stuck = ~legal.any(axis=1)
        if stuck.any():  # the previous move left no legal move: it ended the game
            found_first.append(first[stuck])
            found_value.append(reward[stuck] - alive_bonus)
            found_completes.append(np.zeros(int(stuck.sum()), np.bool_))
        parent, action = np.nonzero(legal)
        if parent.size == 0:
            break
        placed = place(tables, GameArrays(occupied[parent], shapes[parent], reward[parent]), action)
        keep = _first_of_each_position(placed.states)
        occupied = placed.states.occupied[keep]
        shapes = placed.states.shapes[keep]
        reward = (placed.states.score + placed.base_reward(tables))[keep]
        first = (action if depth == 0 else first[parent])[keep]
        board = board_value(tables, occupied, weights)
        if depth == remaining - 1:  # the slots are empty: the refill is unknown
            alive = 1.0 - refill_game_over_probability(tables, board.fit_counts)
            found_first.append(first)
            found_value.append(reward + alive_bonus * alive + board.value)
            found_completes.append(np.ones(first.size, np.bool_))
            break
        reward = reward + alive_bonus  # taken back above if no move follows
        order = _beam(tables, shapes, board, reward, beam_width)
        occupied, shapes = occupied[order], shapes[order]
        reward, first = reward[order], first[order]
    return Plans(
        first_action=np.concatenate(found_first),
        value=np.concatenate(found_value),
        completes=np.concatenate(found_completes),
    )


def _first_of_each_position(states: GameArrays) -> NDArray[np.intp]:
    """Indices of the first state of each distinct (board, slots), in batch order."""
    key = np.ascontiguousarray(
        np.concatenate([states.occupied, states.shapes.astype(np.uint64)], axis=1)
    )
    rows = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, first = np.unique(rows, return_index=True)
    kept: NDArray[np.intp] = np.sort(first)
    return kept


def _beam(
    tables: GameTables,
    shapes: NDArray[np.int8],
    board: BoardValue,
    reward: NDArray[np.float64],
    beam_width: int,
) -> NDArray[np.intp]:
    """The `beam_width` partial plans to grow: highest reward plus board value first,
    those holding a shape that fits nowhere now last (only a clear can still save them)."""
    fits_with_empty = np.concatenate(
        [board.fit_counts, np.ones((len(shapes), 1), np.int64)], axis=1
    )
    unplaceable = (np.take_along_axis(fits_with_empty, shapes.astype(np.intp), axis=1) == 0).any(
        axis=1
    )
    order: NDArray[np.intp] = np.lexsort((-(reward + board.value), unplaceable))
    return order[:beam_width]


class PlannerPlayer(OneMovePlayer):
    """Plans every shape in the slots, replans every move, plays the best plan's first move."""

    name = "planner"
    _salt = 4

    def __init__(
        self,
        weights: PlannerWeights = DEFAULT_PLANNER_WEIGHTS,
        beam_width: int = DEFAULT_BEAM_WIDTH,
    ) -> None:
        if beam_width < 1:
            raise ValueError(f"beam_width must be at least 1, got {beam_width}")
        self.weights = weights
        self.beam_width = beam_width

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        tables = GameTables.for_env(state.env_config)
        position = encode_states(tables, [state])
        plans = plan(tables, position, weights=self.weights, beam_width=self.beam_width)
        best = plans.best_actions()
        return int(best[int(rng.choice(best.size))])
