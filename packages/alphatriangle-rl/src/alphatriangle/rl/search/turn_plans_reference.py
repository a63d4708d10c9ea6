"""The turn search's hot path in numpy: the reference the compiled kernels must match.

This is the turn search as it was written before `rl.kernel` compiled it, kept for two
jobs only: the tests check the kernels against it plan for plan and bit for bit (every
plan's root, first move, reward, end board, in the same order), and
`benchmarks/selfplay.py` times it beside them. Nothing plays with it.

- `reference_template_fit_counts`, `reference_empty_cells_by_neighbours`: the hand-made
  value's features, over the placements that fit the empty board and the cells' edge
  neighbours (see `game.board_features`).
- `reference_board_values`: the hand-made value's formula on those features, with the
  chance terms from integer counts of the shape table (see `kernel.features`).
- `reference_hand_afterstate_terms`: the planner's afterstate terms from those.
- `reference_grow_plans`: `search.turn_plans.grow_plans` with numpy's `legal_actions`
  and `place` (`game.rules`), `np.unique` to merge repeated positions and a stable
  `np.lexsort` for the beam.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ..game import EMPTY_SLOT, GameArrays, GameTables, legal_actions, place, unpack_cells
from .hand_value import HandWeights
from .turn_plans import TurnPlans

EDGE_NEIGHBOURS = 3
"""A triangle shares an edge with at most three others: left, right, and above or below."""
FIT_CHUNK = 4096
"""Boards per pass of the fit counts: keeps the [boards, placements] temporaries small."""


@dataclass(frozen=True, slots=True, eq=False)
class _BoardIndex:
    """Static lists of one board, derived from its `GameTables` once."""

    fitting_bits: NDArray[np.uint64]  # [words, P] cells of each placement that fits the empty board
    template_start: NDArray[np.intp]  # [T'] first placement of each template with any placement
    templates_present: NDArray[np.intp]  # [T'] those templates' ids
    neighbours: NDArray[np.intp]  # [cells, 3] edge neighbours; `cells` where there is none


@lru_cache(maxsize=16)
def _index_for(tables: GameTables) -> _BoardIndex:
    template, anchor = np.nonzero(tables.placement_valid[: tables.num_templates])
    present = np.unique(template)
    neighbours = np.full((tables.num_cells, EDGE_NEIGHBOURS), tables.num_cells, np.intp)
    playable = tables.playable.reshape(tables.rows, tables.cols)
    for row in range(tables.rows):
        for col in range(tables.cols):
            points_up = (row + col) % 2 != 0
            vertical = (row + 1, col) if points_up else (row - 1, col)
            for slot, (r, c) in enumerate([(row, col - 1), (row, col + 1), vertical]):
                if 0 <= r < tables.rows and 0 <= c < tables.cols and playable[r, c]:
                    neighbours[row * tables.cols + col, slot] = r * tables.cols + c
    return _BoardIndex(
        fitting_bits=np.ascontiguousarray(tables.placement_bits[:, template, anchor]),
        template_start=np.searchsorted(template, present).astype(np.intp),
        templates_present=present.astype(np.intp),
        neighbours=neighbours,
    )


def reference_template_fit_counts(
    tables: GameTables, occupied: NDArray[np.uint64]
) -> NDArray[np.int64]:
    """[B, T] anchors at which each distinct template fits on each of the [B] boards."""
    index = _index_for(tables)
    counts = np.zeros((occupied.shape[0], tables.num_templates), np.int64)
    if index.templates_present.size == 0 or occupied.shape[0] == 0:
        return counts
    bits = index.fitting_bits
    for start in range(0, occupied.shape[0], FIT_CHUNK):
        boards = occupied[start : start + FIT_CHUNK]
        overlap = boards[:, 0, None] & bits[0][None, :]
        for word in range(1, tables.words):
            overlap |= boards[:, word, None] & bits[word][None, :]
        free = overlap == 0
        counts[start : start + FIT_CHUNK, index.templates_present] = np.add.reduceat(
            free.view(np.uint8), index.template_start, axis=1, dtype=np.int64
        )
    return counts


def reference_empty_cells_by_neighbours(
    tables: GameTables, occupied: NDArray[np.uint64]
) -> NDArray[np.int64]:
    """[B, 4] playable empty cells with 0, 1, 2 and 3 empty edge neighbours."""
    index = _index_for(tables)
    empty = ~unpack_cells(occupied, tables.num_cells) & tables.playable
    padded = np.zeros((empty.shape[0], tables.num_cells + 1), np.bool_)
    padded[:, : tables.num_cells] = empty
    empty_neighbours = padded[:, index.neighbours].sum(axis=2, dtype=np.int64)
    kinds = EDGE_NEIGHBOURS + 2  # 0..3 empty neighbours, and "not an empty cell"
    by_count = np.where(empty, empty_neighbours, kinds - 1)
    boards = by_count.shape[0]
    flat = (np.arange(boards, dtype=np.int64)[:, None] * kinds + by_count).ravel()
    counts: NDArray[np.int64] = (
        np.bincount(flat, minlength=boards * kinds)
        .reshape(boards, kinds)[:, : EDGE_NEIGHBOURS + 1]
        .astype(np.int64)
    )
    return counts


def reference_board_values(
    tables: GameTables, occupied: NDArray[np.uint64], weights: HandWeights
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """([B, T] fit counts, [B] hand-made value, [B] probability a refill leaves a move)."""
    fit_counts = reference_template_fit_counts(tables, occupied)
    by_neighbours = reference_empty_cells_by_neighbours(tables, occupied)
    entries = np.bincount(tables.template_of_entry, minlength=tables.num_templates)
    total = int(tables.template_of_entry.size)
    placements = (fit_counts * entries).sum(axis=1)
    fit_nowhere = ((fit_counts == 0) * entries).sum(axis=1)
    slots = tables.num_slots
    every_refill = total**slots
    refill_risk = 1.0 - (total - fit_nowhere) ** slots / every_refill
    value = (
        weights.placements * (placements / total)
        - weights.refill_risk * refill_risk
        - weights.isolated * by_neighbours[:, 0]
        - weights.dead_end * by_neighbours[:, 1]
        - weights.narrow * by_neighbours[:, 2]
    )
    alive: NDArray[np.float64] = 1.0 - fit_nowhere**slots / every_refill
    return fit_counts, value, alive


def reference_grow_plans(
    tables: GameTables, roots: GameArrays, *, weights: HandWeights, beam_width: int
) -> TurnPlans:
    """`search.turn_plans.grow_plans`, in numpy (see the module docstring)."""
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
                    end_hand_value=np.full(int(stuck.sum()), np.nan),
                    end_alive_odds=np.full(int(stuck.sum()), np.nan),
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
            _, end_value, end_alive = reference_board_values(tables, occupied[done], weights)
            found.append(
                TurnPlans(
                    root=root[done],
                    first_action=first[done],
                    reward=reward[done],
                    completes=np.ones(int(done.sum()), np.bool_),
                    end_occupied=occupied[done],
                    end_hand_value=end_value,
                    end_alive_odds=end_alive,
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
    first, those holding a shape that fits nowhere now last (the sort is stable)."""
    if root.size == 0:
        return np.zeros(0, np.intp)
    fit_counts, value, _ = reference_board_values(tables, occupied, weights)
    fits_with_empty = np.concatenate([fit_counts, np.ones((len(shapes), 1), np.int64)], axis=1)
    unplaceable = (np.take_along_axis(fits_with_empty, shapes.astype(np.intp), axis=1) == 0).any(
        axis=1
    )
    order: NDArray[np.intp] = np.lexsort((-(reward + value), unplaceable, root))
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
            end_hand_value=np.zeros(0, np.float64),
            end_alive_odds=np.zeros(0, np.float64),
        )
    merged = TurnPlans(
        root=np.concatenate([p.root for p in found]),
        first_action=np.concatenate([p.first_action for p in found]),
        reward=np.concatenate([p.reward for p in found]),
        completes=np.concatenate([p.completes for p in found]),
        end_occupied=np.concatenate([p.end_occupied for p in found]),
        end_hand_value=np.concatenate([p.end_hand_value for p in found]),
        end_alive_odds=np.concatenate([p.end_alive_odds for p in found]),
    )
    return merged.take(np.argsort(merged.root, kind="stable"))


def reference_hand_afterstate_terms(
    tables: GameTables, occupied: NDArray[np.uint64], weights: HandWeights
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`search.hand_value.hand_afterstate_terms`, in numpy."""
    _, value, alive = reference_board_values(tables, occupied, weights)
    return tables.reward_per_step_alive * alive, value
