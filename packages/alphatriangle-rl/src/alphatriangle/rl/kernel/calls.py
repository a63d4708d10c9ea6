"""The kernels called with a board's `GameTables`: what the rest of the package uses.

Each function here unpacks the board's `KernelArrays` into one compiled call, so the
numba signatures (plain arrays and numbers) stay out of sight of the callers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .arrays import kernel_arrays
from .board_inputs import SCALAR_INPUTS, board_value_inputs
from .choice import alive_terms, hand_scores, tied_plans, tied_rows
from .expand import expand
from .features import HAND_WEIGHTS, board_values
from .grow import grow

if TYPE_CHECKING:
    from ..game.tables import GameTables

Children = tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.uint64],
    NDArray[np.int8],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
]
"""(parent, action, occupied, shapes, placed, cleared, lines cleared) of every child."""
Features = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]
"""([B, T] fit counts, [B, 4] empty cells by neighbours, [B] value, [B] refill alive odds)."""
Plans = tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.bool_],
    NDArray[np.uint64],
    NDArray[np.float64],
    NDArray[np.float64],
]
"""(root, first action, reward, completes, end board, its hand-made value, its refill alive
odds) of every plan, grouped by root (the last two NaN where the plan does not complete)."""


def _weights(weights: NDArray[np.float64]) -> NDArray[np.float64]:
    array = np.ascontiguousarray(weights, np.float64)
    if array.shape != (HAND_WEIGHTS,):
        raise ValueError(f"expected {HAND_WEIGHTS} hand-made value weights, got {array.shape}")
    return array


def hand_features(
    tables: GameTables, occupied: NDArray[np.uint64], weights: NDArray[np.float64]
) -> Features:
    """The hand-made value and its features for the [B, words] boards `occupied`."""
    k = kernel_arrays(tables)
    return board_values(
        np.ascontiguousarray(occupied, np.uint64).reshape(-1, tables.words),
        k.shifts,
        k.node_parent,
        k.node_offset,
        k.template_node,
        k.anchor_bits,
        k.playable_bits,
        k.has_left,
        k.has_right,
        k.points_up,
        k.template_entries,
        k.total_entries,
        k.num_slots,
        _weights(weights),
    )


def _board_value_call(
    tables: GameTables,
    occupied: NDArray[np.uint64],
    weights: NDArray[np.float64],
    fit_edges: NDArray[np.int64],
    line_edges: NDArray[np.int64],
    pattern_start: NDArray[np.int64],
    pattern_shifts: NDArray[np.int64],
    pattern_outside: NDArray[np.uint64],
    coefficients: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    k = kernel_arrays(tables)
    return board_value_inputs(
        np.ascontiguousarray(occupied, np.uint64).reshape(-1, tables.words),
        k.shifts,
        k.node_parent,
        k.node_offset,
        k.template_node,
        k.anchor_bits,
        k.playable_bits,
        k.has_left,
        k.has_right,
        k.points_up,
        k.template_entries,
        k.total_entries,
        k.num_slots,
        _weights(weights),
        float(tables.reward_per_step_alive),
        k.line_bits,
        np.ascontiguousarray(fit_edges, np.int64),
        np.ascontiguousarray(line_edges, np.int64),
        k.points_up,
        np.ascontiguousarray(pattern_start, np.int64),
        np.ascontiguousarray(pattern_shifts, np.int64),
        np.ascontiguousarray(pattern_outside, np.uint64),
        np.ascontiguousarray(coefficients, np.float64),
    )


def board_inputs_of(
    tables: GameTables,
    occupied: NDArray[np.uint64],
    weights: NDArray[np.float64],
    fit_edges: NDArray[np.int64],
    line_edges: NDArray[np.int64],
    pattern_start: NDArray[np.int64],
    pattern_shifts: NDArray[np.int64],
    pattern_outside: NDArray[np.uint64],
) -> NDArray[np.float64]:
    """[B, F] the board value's inputs of the [B, words] boards `occupied` (see
    `board_inputs.board_value_inputs`; the patterns' tables: `search.board_inputs`)."""
    inputs, _ = _board_value_call(
        tables,
        occupied,
        weights,
        fit_edges,
        line_edges,
        pattern_start,
        pattern_shifts,
        pattern_outside,
        np.zeros(0, np.float64),
    )
    return inputs


def board_points_of(
    tables: GameTables,
    occupied: NDArray[np.uint64],
    weights: NDArray[np.float64],
    fit_edges: NDArray[np.int64],
    line_edges: NDArray[np.int64],
    pattern_start: NDArray[np.int64],
    pattern_shifts: NDArray[np.int64],
    pattern_outside: NDArray[np.uint64],
    coefficients: NDArray[np.float64],
) -> NDArray[np.float64]:
    """[B] the inputs of `board_inputs_of` times [F] `coefficients`, without the matrix."""
    if coefficients.shape[0] == 0:
        raise ValueError("the board value needs its coefficients, got none")
    _, points = _board_value_call(
        tables,
        occupied,
        weights,
        fit_edges,
        line_edges,
        pattern_start,
        pattern_shifts,
        pattern_outside,
        coefficients,
    )
    return points


def expand_states(
    tables: GameTables, occupied: NDArray[np.uint64], shapes: NDArray[np.int8]
) -> Children:
    """Every legal move of the [B] states played (see `expand.expand`)."""
    k = kernel_arrays(tables)
    return expand(
        np.ascontiguousarray(occupied, np.uint64),
        np.ascontiguousarray(shapes, np.int8),
        k.placement_bits,
        k.anchor_start,
        k.anchor_cell,
        k.line_start,
        k.line_of_placement,
        k.line_bits,
        k.template_size,
        k.num_cells,
    )


def grow_turns(
    tables: GameTables,
    occupied: NDArray[np.uint64],
    shapes: NDArray[np.int8],
    weights: NDArray[np.float64],
    beam_width: int,
) -> Plans:
    """The beam-pruned plans of the [B] positions (see `grow.grow`)."""
    k = kernel_arrays(tables)
    return grow(
        np.ascontiguousarray(occupied, np.uint64),
        np.ascontiguousarray(shapes, np.int8),
        k.placement_bits,
        k.anchor_start,
        k.anchor_cell,
        k.line_start,
        k.line_of_placement,
        k.line_bits,
        k.template_size,
        k.num_cells,
        k.shifts,
        k.node_parent,
        k.node_offset,
        k.template_node,
        k.anchor_bits,
        k.blocked_bits,
        k.placement_near,
        k.playable_bits,
        k.has_left,
        k.has_right,
        k.points_up,
        k.template_entries,
        k.total_entries,
        k.reward_per_placed,
        k.reward_per_cleared,
        k.reward_per_alive,
        _weights(weights),
        int(beam_width),
    )


def alive_bonus_terms(tables: GameTables, alive_odds: NDArray[np.float64]) -> NDArray[np.float64]:
    """[K] the last move's alive bonus in expectation over the refill (`choice.alive_terms`)."""
    return alive_terms(np.ascontiguousarray(alive_odds, np.float64), tables.reward_per_step_alive)


def plan_hand_scores(
    tables: GameTables,
    reward: NDArray[np.float64],
    completes: NDArray[np.bool_],
    end_value: NDArray[np.float64],
    end_alive: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """([K] the plans' scores under the hand-made value, [K] its estimate of their end
    boards) from what `grow_turns` returns (`choice.hand_scores`)."""
    return hand_scores(reward, completes, end_value, end_alive, tables.reward_per_step_alive)


def tied_choices(
    root: NDArray[np.int64],
    completes: NDArray[np.bool_],
    score: NDArray[np.float64],
    first_action: NDArray[np.int64],
    roots: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Each position's plans left by the tie rule (`choice.tied_plans`): ([roots + 1]
    starts, rows, [roots] plans found from each position)."""
    return tied_plans(root, completes, np.ascontiguousarray(score, np.float64), first_action, roots)


def tied_among(score: NDArray[np.float64], first_action: NDArray[np.int64]) -> NDArray[np.int64]:
    """Which of some plans the tie rule leaves, in order of first move (`choice.tied_rows`)."""
    return tied_rows(
        np.ascontiguousarray(score, np.float64), np.ascontiguousarray(first_action, np.int64)
    )


def warm_up(tables: GameTables) -> float:
    """Run every kernel once on `tables`' empty board; the seconds it took (compiling on
    a machine's first run, loading the on-disk cache after)."""
    start = time.perf_counter()
    occupied = np.zeros((1, tables.words), np.uint64)
    shapes = np.full((1, tables.num_slots), -1, np.int8)
    shapes[0, 0] = int(np.argmax(tables.placement_valid[: tables.num_templates].any(axis=1)))
    weights = np.ones(HAND_WEIGHTS, np.float64)
    hand_features(tables, occupied, weights)
    fit_bins, line_bins = np.zeros(1, np.int64), np.ones(1, np.int64)
    first_cell = np.array([0, 1], np.int64)  # one pattern of one cell, the anchor itself
    cell, outside = np.zeros((1, 2, 3), np.int64), np.zeros((1, tables.words), np.uint64)
    board_inputs_of(tables, occupied, weights, fit_bins, line_bins, first_cell, cell, outside)
    columns = np.ones(SCALAR_INPUTS + 1 + 1 + (2 << 1), np.float64)  # a bin each, 2 x 2^1
    board_points_of(
        tables, occupied, weights, fit_bins, line_bins, first_cell, cell, outside, columns
    )
    expand_states(tables, occupied, shapes)
    root, first, reward, completes, _, value, alive = grow_turns(
        tables, occupied, shapes, weights, 1
    )
    score, _ = plan_hand_scores(tables, reward, completes, value, alive)
    tied_choices(root, completes, score, first, 1)
    tied_among(score, first)
    alive_bonus_terms(tables, alive)
    return time.perf_counter() - start
