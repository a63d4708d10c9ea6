"""The plans of a turn: every shape in the slots placed, in every order, for B positions at once.

Between two refills the game is deterministic and fully visible; chance enters only
when every slot is empty. A turn is "place every shape left in the slots, in some
order", with line clears in between. `grow_plans` enumerates the turns of B real
positions together, one placement per depth for every partial plan of every
position, so each array operation covers all of them.

Positions reached in several orders are merged (the same board and slots are worth
the same: the reward on the way is fixed by them), and a beam keeps, for each root,
the `beam_width` partial plans whose reward so far plus hand-made board value is
highest at each depth (those holding a shape that fits nowhere go last); the last
placement is tried from every kept plan. A plan that cannot place all its shapes ends
the game on the way: it is worth its reward alone and never reaches an afterstate.

A plan that places every shape ends on an afterstate: the board with empty slots,
before the refill is dealt. What that board is worth is the business of an
`AfterstateValue` (`afterstate_value.py`); `grow_plans` only records the boards and
the reward that led to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..game import EMPTY_SLOT, GameArrays, GameTables, legal_actions, place
from .hand_value import HandWeights, board_value

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

    def __len__(self) -> int:
        return int(self.root.shape[0])

    def take(self, index: NDArray[np.intp]) -> TurnPlans:
        return TurnPlans(
            root=self.root[index],
            first_action=self.first_action[index],
            reward=self.reward[index],
            completes=self.completes[index],
            end_occupied=self.end_occupied[index],
        )


def grow_plans(
    tables: GameTables,
    roots: GameArrays,
    *,
    weights: HandWeights,
    beam_width: int = DEFAULT_BEAM_WIDTH,
) -> TurnPlans:
    """Every (beam-pruned) plan for the shapes in the slots of each of the B `roots`.

    Raises ValueError for a beam below 1 or a root with no legal move (its game is over).
    """
    if beam_width < 1:
        raise ValueError(f"beam_width must be at least 1, got {beam_width}")
    count = len(roots)
    if count and not legal_actions(tables, roots.occupied, roots.shapes).any(axis=1).all():
        raise ValueError("a position has no legal move: its game is over")
    occupied, shapes = roots.occupied, roots.shapes
    root = np.arange(count, dtype=np.int64)
    reward = np.zeros(count, np.float64)  # of the plan's moves so far
    first = np.full(count, -1, np.int64)
    alive_bonus = tables.reward_per_step_alive
    found: list[TurnPlans] = []
    for depth in range(tables.num_slots):
        if root.size == 0:
            break
        legal = legal_actions(tables, occupied, shapes)
        stuck = ~legal.any(axis=1)
        if stuck.any():  # the previous move left no legal move: it ended the game
            found.append(
                TurnPlans(
                    root=root[stuck],
                    first_action=first[stuck],
                    reward=reward[stuck] - alive_bonus,
                    completes=np.zeros(int(stuck.sum()), np.bool_),
                    end_occupied=occupied[stuck],
                )
            )
        parent, action = np.nonzero(legal)
        if parent.size == 0:
            break
        placed = place(tables, GameArrays(occupied[parent], shapes[parent], reward[parent]), action)
        keep = _first_of_each_position(root[parent], placed.states)
        occupied = placed.states.occupied[keep]
        shapes = placed.states.shapes[keep]
        reward = (placed.states.score + placed.base_reward(tables))[keep]
        first = (action if depth == 0 else first[parent])[keep]
        root = root[parent][keep]
        done = (shapes == EMPTY_SLOT).all(axis=1)  # the slots are empty: the refill is unknown
        if done.any():
            found.append(
                TurnPlans(
                    root=root[done],
                    first_action=first[done],
                    reward=reward[done],
                    completes=np.ones(int(done.sum()), np.bool_),
                    end_occupied=occupied[done],
                )
            )
        going = ~done
        occupied, shapes, root = occupied[going], shapes[going], root[going]
        reward, first = reward[going] + alive_bonus, first[going]  # taken back if no move follows
        order = _beam(tables, root, occupied, shapes, reward, weights, beam_width)
        occupied, shapes, root = occupied[order], shapes[order], root[order]
        reward, first = reward[order], first[order]
    return _by_root(found, tables.words)


def _first_of_each_position(root: NDArray[np.int64], states: GameArrays) -> NDArray[np.intp]:
    """Indices of the first state of each distinct (root, board, slots), in batch order."""
    key = np.ascontiguousarray(
        np.concatenate(
            [root[:, None].astype(np.uint64), states.occupied, states.shapes.astype(np.uint64)],
            axis=1,
        )
    )
    rows = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, first = np.unique(rows, return_index=True)
    kept: NDArray[np.intp] = np.sort(first)
    return kept


def _beam(
    tables: GameTables,
    root: NDArray[np.int64],
    occupied: NDArray[np.uint64],
    shapes: NDArray[np.int8],
    reward: NDArray[np.float64],
    weights: HandWeights,
    beam_width: int,
) -> NDArray[np.intp]:
    """For each root, the `beam_width` partial plans to grow: highest reward plus board value
    first, those holding a shape that fits nowhere now last (only a clear can still save them).
    The order within a root is the order a single root would get (the sort is stable)."""
    if root.size == 0:
        return np.zeros(0, np.intp)
    board = board_value(tables, occupied, weights)
    fits_with_empty = np.concatenate(
        [board.fit_counts, np.ones((len(shapes), 1), np.int64)], axis=1
    )
    unplaceable = (np.take_along_axis(fits_with_empty, shapes.astype(np.intp), axis=1) == 0).any(
        axis=1
    )
    order: NDArray[np.intp] = np.lexsort((-(reward + board.value), unplaceable, root))
    sorted_root = root[order]
    group_start = np.searchsorted(sorted_root, sorted_root, side="left")
    rank = np.arange(order.size) - group_start
    kept: NDArray[np.intp] = order[rank < beam_width]
    return kept


def _by_root(found: list[TurnPlans], words: int) -> TurnPlans:
    """The plans of every depth in one `TurnPlans`, grouped by root, each root's plans in the
    order they were found (by depth, then batch order)."""
    if not found:
        return TurnPlans(
            root=np.zeros(0, np.int64),
            first_action=np.zeros(0, np.int64),
            reward=np.zeros(0, np.float64),
            completes=np.zeros(0, np.bool_),
            end_occupied=np.zeros((0, words), np.uint64),
        )
    merged = TurnPlans(
        root=np.concatenate([p.root for p in found]),
        first_action=np.concatenate([p.first_action for p in found]),
        reward=np.concatenate([p.reward for p in found]),
        completes=np.concatenate([p.completes for p in found]),
        end_occupied=np.concatenate([p.end_occupied for p in found]),
    )
    return merged.take(np.argsort(merged.root, kind="stable"))
