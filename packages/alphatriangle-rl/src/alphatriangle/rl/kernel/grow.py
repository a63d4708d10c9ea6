"""The turn's plans, grown and beam-pruned in one compiled call for B positions.

The algorithm and every tie rule are `search.turn_plans`'s (its module docstring); the
numpy reference it must match bit for bit is `search.turn_plans_reference`. Per depth:
expand every kept plan (`expand`), merge positions reached in several orders (the first
in child order stays), set aside plans that ended the game (no move from the plan) or
emptied the slots, then keep each root's `beam_width` best plans by reward so far plus
hand-made board value (`features`), plans holding a shape that fits nowhere last, equal
keys in child order (a stable sort). The plans come out grouped by root, each root's in
the order they were found, those that empty the slots with their end board's hand-made
value and refill odds.

Every child is counted (fit counts and empty cells by neighbours) once: its hand-made
value ranks it in the beam or, if it empties the slots, is its end board's. A child
whose placement cleared no line only filled cells, so its fits are its parent's less
the anchors the placement blocks (`features.child_fit_counts`, one AND-NOT per template
and word): each kept plan carries its fit masks to the next depth. A child that cleared
lines is counted from its whole board. The counts are the same integers either way.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .compile import compiled
from .expand import EMPTY, expand_fits, first_of_each
from .features import (
    NEAR_ROWS,
    NEIGHBOUR_KINDS,
    board_features,
    child_fit_counts,
    child_fit_masks,
    child_near_rows,
    child_neighbour_counts,
    fit_masks,
    fit_totals,
    hand_value,
    near_rows,
    refill_odds_table,
)


@compiled
def beam(
    root: NDArray[np.int64],
    shapes: NDArray[np.int8],
    reward: NDArray[np.float64],
    rows: NDArray[np.int64],
    fit_counts: NDArray[np.int64],
    value: NDArray[np.float64],
    beam_width: int,
) -> NDArray[np.int64]:
    """The plans to grow, in order: per root (roots come grouped, ascending), those that
    can still place every shape first, then by reward plus board value, highest first.
    Plan i's fit counts are row `rows[i]` of `fit_counts`, its board's value `value[rows[i]]`."""
    count = root.shape[0]
    slots = shapes.shape[1]
    key = np.empty(count, np.float64)
    unplaceable = np.zeros(count, np.bool_)
    for plan in range(count):
        row = rows[plan]
        key[plan] = -(reward[plan] + value[row])
        for slot in range(slots):
            template = int(shapes[plan, slot])
            if template != EMPTY and fit_counts[row, template] == 0:
                unplaceable[plan] = True
    kept = np.empty(count, np.int64)
    taken = 0
    start = 0
    while start < count:
        end = start
        while end < count and root[end] == root[start]:
            end += 1
        group = np.arange(start, end)
        hopeful = group[~unplaceable[start:end]]
        hopeless = group[unplaceable[start:end]]
        before = taken
        taken = _best(hopeful, key, beam_width, kept, taken)
        taken = _best(hopeless, key, beam_width - (taken - before), kept, taken)
        start = end
    return kept[:taken]


@compiled
def _best(
    plans: NDArray[np.int64],
    key: NDArray[np.float64],
    limit: int,
    kept: NDArray[np.int64],
    taken: int,
) -> int:
    """Append to `kept` (from `taken` on) the `limit` `plans` of lowest `key`, in order of
    key and then of position in `plans` (a stable sort), and return the new count. Only
    the plans whose key is within the `limit` lowest are sorted (a selection first)."""
    if limit <= 0 or plans.shape[0] == 0:
        return taken
    keys = key[plans]
    if plans.shape[0] > limit:
        threshold = np.partition(keys.copy(), limit - 1)[limit - 1]
        within = np.flatnonzero(keys <= threshold)
        plans = plans[within]
        keys = keys[within]
    order = np.argsort(keys, kind="mergesort")
    for index in range(min(limit, order.shape[0])):
        kept[taken] = plans[order[index]]
        taken += 1
    return taken


@compiled
def grow(
    root_occupied: NDArray[np.uint64],
    root_shapes: NDArray[np.int8],
    placement_bits: NDArray[np.uint64],
    anchor_start: NDArray[np.int64],
    anchor_cell: NDArray[np.int64],
    line_start: NDArray[np.int64],
    line_of_placement: NDArray[np.int64],
    line_bits: NDArray[np.uint64],
    template_size: NDArray[np.int64],
    num_cells: int,
    shifts: NDArray[np.int64],
    node_parent: NDArray[np.int64],
    node_offset: NDArray[np.int64],
    template_node: NDArray[np.int64],
    anchor_bits: NDArray[np.uint64],
    blocked_bits: NDArray[np.uint64],
    placement_near: NDArray[np.uint64],
    playable_bits: NDArray[np.uint64],
    has_left: NDArray[np.uint64],
    has_right: NDArray[np.uint64],
    points_up: NDArray[np.uint64],
    template_entries: NDArray[np.int64],
    total_entries: int,
    reward_per_placed: float,
    reward_per_cleared: float,
    reward_per_alive: float,
    weights: NDArray[np.float64],
    beam_width: int,
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.bool_],
    NDArray[np.uint64],
    NDArray[np.float64],
    NDArray[np.float64],
]:
    """(root, first action, reward, completes, end board, end board's hand-made value,
    its refill alive odds) of every plan, grouped by root; the last two are NaN for a
    plan that does not complete. Raises ValueError if a root has no legal move."""
    count, words = root_occupied.shape
    slots = root_shapes.shape[1]
    templates = anchor_bits.shape[0]
    occupied = root_occupied.copy()
    shapes = root_shapes.copy()
    root = np.arange(count).astype(np.int64)
    reward = np.zeros(count, np.float64)
    first = np.full(count, -1, np.int64)
    scratch = np.empty((1 + shifts.shape[0] + node_parent.shape[0], words), np.uint64)
    refill = refill_odds_table(total_entries, slots)
    masks = np.empty((count, words, templates), np.uint64)
    near = np.empty((count, NEAR_ROWS, words), np.uint64)
    for board in range(count):
        near_rows(occupied, board, shifts, playable_bits, near, board, scratch)
        fit_masks(
            occupied,
            board,
            shifts,
            node_parent,
            node_offset,
            template_node,
            anchor_bits,
            playable_bits,
            masks,
            board,
            scratch,
        )
    capacity = max(count, 16)
    out_root = np.empty(capacity, np.int64)
    out_first = np.empty(capacity, np.int64)
    out_reward = np.empty(capacity, np.float64)
    out_completes = np.empty(capacity, np.bool_)
    out_occupied = np.empty((capacity, words), np.uint64)
    out_value = np.empty(capacity, np.float64)
    out_alive = np.empty(capacity, np.float64)
    found = 0
    for depth in range(slots):
        if root.shape[0] == 0:
            break
        parent, action, placement, child_occupied, child_shapes, placed, cleared = expand_fits(
            occupied,
            shapes,
            masks,
            placement_bits,
            line_start,
            line_of_placement,
            line_bits,
            template_size,
            num_cells,
        )
        moves = np.zeros(root.shape[0], np.bool_)
        for index in parent:
            moves[index] = True
        stuck = np.flatnonzero(~moves)
        if depth == 0 and stuck.shape[0]:
            raise ValueError("a position has no legal move: its game is over")
        kept = first_of_each(root[parent], child_occupied, child_shapes)
        children = kept.shape[0]
        child_parent = np.empty(children, np.int64)
        child_reward = np.empty(children, np.float64)
        child_first = np.empty(children, np.int64)
        child_root = np.empty(children, np.int64)
        child_cleared = np.empty(children, np.int64)
        child_placement = np.empty(children, np.int64)
        for plan in range(children):  # the kept children, moved up in place (kept[plan] >= plan)
            index = kept[plan]
            before = parent[index]
            child_parent[plan] = before
            child_reward[plan] = reward[before] + (
                placed[index] * reward_per_placed + cleared[index] * reward_per_cleared
            )
            child_first[plan] = action[index] if depth == 0 else first[before]
            child_root[plan] = root[before]
            child_cleared[plan] = cleared[index]
            child_placement[plan] = placement[index]
            for word in range(words):
                child_occupied[plan, word] = child_occupied[index, word]
            for slot in range(slots):
                child_shapes[plan, slot] = child_shapes[index, slot]
        child_occupied = child_occupied[:children]
        child_shapes = child_shapes[:children]
        fit_counts = np.empty((kept.shape[0], templates), np.int64)
        by_neighbours = np.empty((kept.shape[0], NEIGHBOUR_KINDS), np.int64)
        child_value = np.empty(kept.shape[0], np.float64)
        child_alive = np.empty(kept.shape[0], np.float64)
        for plan in range(kept.shape[0]):
            if child_cleared[plan] == 0:  # cells only filled: fits follow from the parent's
                child_fit_counts(
                    masks,
                    child_parent[plan],
                    blocked_bits,
                    child_placement[plan],
                    fit_counts,
                    plan,
                )
                child_neighbour_counts(
                    near,
                    child_parent[plan],
                    placement_near,
                    child_placement[plan],
                    shifts,
                    has_left,
                    has_right,
                    points_up,
                    by_neighbours,
                    plan,
                    scratch,
                )
            else:
                board_features(
                    child_occupied,
                    plan,
                    shifts,
                    node_parent,
                    node_offset,
                    template_node,
                    anchor_bits,
                    playable_bits,
                    has_left,
                    has_right,
                    points_up,
                    fit_counts,
                    by_neighbours,
                    plan,
                    scratch,
                )
            placements, fit_nowhere = fit_totals(fit_counts, plan, template_entries)
            child_value[plan] = hand_value(
                placements,
                refill[fit_nowhere, 0],
                by_neighbours,
                plan,
                total_entries,
                weights,
            )
            child_alive[plan] = refill[fit_nowhere, 1]
        done = np.ones(kept.shape[0], np.bool_)
        for plan in range(kept.shape[0]):
            for slot in range(slots):
                if child_shapes[plan, slot] != EMPTY:
                    done[plan] = False
        ended = np.flatnonzero(done)
        going = np.flatnonzero(~done)
        needed = found + stuck.shape[0] + ended.shape[0]
        if needed > capacity:
            capacity = max(needed, 2 * capacity)
            out_root = _grown(out_root, found, capacity)
            out_first = _grown(out_first, found, capacity)
            out_reward = _grown(out_reward, found, capacity)
            out_completes = _grown(out_completes, found, capacity)
            out_occupied = _grown_rows(out_occupied, found, capacity)
            out_value = _grown(out_value, found, capacity)
            out_alive = _grown(out_alive, found, capacity)
        for index in stuck:  # the previous move left no legal move: it ended the game
            out_root[found] = root[index]
            out_first[found] = first[index]
            out_reward[found] = reward[index] - reward_per_alive
            out_completes[found] = False
            out_occupied[found] = occupied[index]
            out_value[found] = np.nan
            out_alive[found] = np.nan
            found += 1
        for index in ended:  # the slots are empty: the refill is unknown
            out_root[found] = child_root[index]
            out_first[found] = child_first[index]
            out_reward[found] = child_reward[index]
            out_completes[found] = True
            out_occupied[found] = child_occupied[index]
            out_value[found] = child_value[index]
            out_alive[found] = child_alive[index]
            found += 1
        order = beam(
            child_root[going],
            child_shapes[going],
            child_reward[going] + reward_per_alive,  # taken back if no move follows
            going,
            fit_counts,
            child_value,
            beam_width,
        )
        chosen = going[order]
        parent_masks = masks
        parent_near = near
        masks = np.empty((chosen.shape[0], words, templates), np.uint64)
        near = np.empty((chosen.shape[0], NEAR_ROWS, words), np.uint64)
        for plan in range(chosen.shape[0]):
            index = chosen[plan]
            if child_cleared[index] == 0:
                child_fit_masks(
                    parent_masks,
                    child_parent[index],
                    blocked_bits,
                    child_placement[index],
                    masks,
                    plan,
                )
                child_near_rows(
                    parent_near,
                    child_parent[index],
                    placement_near,
                    child_placement[index],
                    near,
                    plan,
                )
            else:
                near_rows(child_occupied, index, shifts, playable_bits, near, plan, scratch)
                fit_masks(
                    child_occupied,
                    index,
                    shifts,
                    node_parent,
                    node_offset,
                    template_node,
                    anchor_bits,
                    playable_bits,
                    masks,
                    plan,
                    scratch,
                )
        root = child_root[chosen]
        occupied = child_occupied[chosen]
        shapes = child_shapes[chosen]
        reward = child_reward[chosen] + reward_per_alive
        first = child_first[chosen]
    by_root = _stable_order_by_root(out_root[:found], count)
    return (
        out_root[by_root],
        out_first[by_root],
        out_reward[by_root],
        out_completes[by_root],
        out_occupied[by_root],
        out_value[by_root],
        out_alive[by_root],
    )


@compiled
def _stable_order_by_root(root: NDArray[np.int64], roots: int) -> NDArray[np.int64]:
    """The order that groups `root` by value, ascending, keeping the order within a group
    (a counting sort: what `np.argsort(kind="stable")` gives, in one pass)."""
    start = np.zeros(roots + 1, np.int64)
    for value in root:
        start[value + 1] += 1
    for value in range(roots):
        start[value + 1] += start[value]
    order = np.empty(root.shape[0], np.int64)
    for index in range(root.shape[0]):
        order[start[root[index]]] = index
        start[root[index]] += 1
    return order


@compiled
def _grown(values: NDArray[np.generic], used: int, capacity: int) -> NDArray[np.generic]:
    grown = np.empty(capacity, values.dtype)
    grown[:used] = values[:used]
    return grown


@compiled
def _grown_rows(values: NDArray[np.uint64], used: int, capacity: int) -> NDArray[np.uint64]:
    grown = np.empty((capacity, values.shape[1]), values.dtype)
    grown[:used] = values[:used]
    return grown
