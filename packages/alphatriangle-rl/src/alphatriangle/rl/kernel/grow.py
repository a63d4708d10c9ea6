"""The turn's plans, grown and beam-pruned in one compiled call for B positions.

The algorithm and every tie rule are `search.turn_plans`'s (its module docstring); the
numpy reference it must match bit for bit is `search.turn_plans_reference`. Per depth,
in one pass over the kept plans: each plan's children in the order (plan, slot, anchor),
each placed (`expand.place_and_clear`), merged with the positions already reached at
that depth (`expand.is_new`: the first in child order stays) and counted at once, so a
depth's children are never listed whole and then copied. A plan with no move ended the
game; children that emptied the slots end their plans; the rest go to the beam, which
keeps each root's `beam_width` best by reward so far plus hand-made board value
(`features`), plans holding a shape that fits nowhere last, equal keys in child order
(a stable sort). The plans come out grouped by root, each root's in the order they
were found, those that empty the slots with their end board's hand-made value and
refill odds.

Every child is counted (fit counts and empty cells by neighbours) once, as it is
found, into its hand-made value, its refill odds and whether it holds a shape that fits
nowhere (only those three are kept: the counts of thousands of children would be
written and read back for nothing): the value ranks it in the beam or, if it empties
the slots, is its end board's. Each kept
plan carries the anchors where each template fits its board (its fit masks): a plan's
moves are the set bits of its shapes' masks, in anchor order, and a child whose
placement cleared no line only filled cells, so its fits are its parent's less the
anchors the placement blocks (`features.child_fit_counts`, one AND-NOT per template and
word). A child that cleared lines is counted from its whole board. The counts are the
same integers either way.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .bits import WORD_BITS, lowest_bit, popcount
from .compile import compiled, inlined
from .expand import EMPTY, is_new, place_and_clear, position_table
from .features import (
    NEIGHBOUR_KINDS,
    board_features,
    child_fit_counts,
    child_fit_masks,
    fit_masks,
    hand_terms,
    neighbour_counts,
)


@compiled
def beam(
    going: NDArray[np.int64],
    root: NDArray[np.int64],
    reward: NDArray[np.float64],
    reward_per_alive: float,
    value: NDArray[np.float64],
    unplaceable: NDArray[np.bool_],
    beam_width: int,
) -> NDArray[np.int64]:
    """Which of the plans `going` (rows of the other arrays, grouped by root, ascending)
    to grow, as positions in `going`, in order: per root those that can still place every
    shape first, then by reward (plus the alive bonus the move earns if a move follows)
    plus board value, highest first, equal keys by position (a stable sort's order)."""
    count = going.shape[0]
    key = np.empty(count, np.float64)
    hopeless = np.empty(count, np.bool_)
    for plan in range(count):
        row = going[plan]
        key[plan] = -((reward[row] + reward_per_alive) + value[row])
        hopeless[plan] = unplaceable[row]
    kept = np.empty(count, np.int64)
    heap = np.empty(beam_width, np.int64)
    taken = 0
    start = 0
    while start < count:
        end = start
        while end < count and root[going[end]] == root[going[start]]:
            end += 1
        taken = _best(start, end, hopeless, key, heap, kept, taken)
        start = end
    return kept[:taken]


@inlined
def _worse(a: int, b: int, hopeless: NDArray[np.bool_], key: NDArray[np.float64]) -> bool:
    """Whether plan `a` comes after plan `b` in the beam's order: hopeless after hopeful,
    then higher key, then later position."""
    if hopeless[a] != hopeless[b]:
        return bool(hopeless[a])
    if key[a] != key[b]:
        return bool(key[a] > key[b])
    return a > b


@inlined
def _sift_down(
    heap: NDArray[np.int64], size: int, hopeless: NDArray[np.bool_], key: NDArray[np.float64]
) -> None:
    """Restore the heap (the worst plan on top) after its top was replaced."""
    at = 0
    while True:
        child = 2 * at + 1
        if child >= size:
            return
        if child + 1 < size and _worse(heap[child + 1], heap[child], hopeless, key):
            child += 1
        if not _worse(heap[child], heap[at], hopeless, key):
            return
        heap[at], heap[child] = heap[child], heap[at]
        at = child


@compiled
def _best(
    start: int,
    end: int,
    hopeless: NDArray[np.bool_],
    key: NDArray[np.float64],
    heap: NDArray[np.int64],
    kept: NDArray[np.int64],
    taken: int,
) -> int:
    """Append to `kept` (from `taken` on) the best `heap.shape[0]` plans of positions
    `start` to `end`, in the beam's order (`_worse`), and return the new count. One pass
    keeps the best so far in a heap with the worst on top, so a plan worse than all of
    them costs one comparison; the kept few are then sorted by taking the top off."""
    limit = heap.shape[0]
    size = 0
    for plan in range(start, end):
        if size < limit:  # sift up
            at = size
            heap[at] = plan
            size += 1
            while at > 0:
                parent = (at - 1) // 2
                if not _worse(heap[at], heap[parent], hopeless, key):
                    break
                heap[at], heap[parent] = heap[parent], heap[at]
                at = parent
        elif _worse(heap[0], plan, hopeless, key):
            heap[0] = plan
            _sift_down(heap, size, hopeless, key)
    for place in range(size - 1, -1, -1):  # the worst first, to the back
        kept[taken + place] = heap[0]
        heap[0] = heap[place]
        _sift_down(heap, place, hopeless, key)
    return taken + size


@compiled
def _moves(masks: NDArray[np.uint64], shapes: NDArray[np.int8]) -> int:
    """Legal moves of all plans: the set bits of their shapes' fit masks."""
    moves = 0
    for plan in range(shapes.shape[0]):
        for slot in range(shapes.shape[1]):
            template = int(shapes[plan, slot])
            if template != EMPTY:
                for word in range(masks.shape[2]):
                    moves += popcount(masks[plan, template, word])
    return moves


@compiled
def grow(
    root_occupied: NDArray[np.uint64],
    root_shapes: NDArray[np.int8],
    placement_bits: NDArray[np.uint64],
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
    plan that does not complete."""
    count, words = root_occupied.shape
    slots = root_shapes.shape[1]
    templates = anchor_bits.shape[0]
    occupied = root_occupied.copy()
    shapes = root_shapes.copy()
    root = np.arange(count).astype(np.int64)
    reward = np.zeros(count, np.float64)
    first = np.full(count, -1, np.int64)
    scratch = np.empty((1 + shifts.shape[0] + node_parent.shape[0], words), np.uint64)
    union = np.empty(words, np.uint64)
    fit_counts = np.empty((1, templates), np.int64)  # one child's counts at a time
    by_neighbours = np.empty((1, NEIGHBOUR_KINDS), np.int64)
    masks = np.empty((count, templates, words), np.uint64)
    for board in range(count):
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
        plans = root.shape[0]
        if plans == 0:
            break
        bound = _moves(masks, shapes)
        needed = found + plans + bound  # every plan stuck and every child ending, at most
        if needed > capacity:
            capacity = max(needed, 2 * capacity)
            out_root = _grown(out_root, found, capacity)
            out_first = _grown(out_first, found, capacity)
            out_reward = _grown(out_reward, found, capacity)
            out_completes = _grown(out_completes, found, capacity)
            out_occupied = _grown_rows(out_occupied, found, capacity)
            out_value = _grown(out_value, found, capacity)
            out_alive = _grown(out_alive, found, capacity)
        child_root = np.empty(bound, np.int64)
        child_parent = np.empty(bound, np.int64)
        child_first = np.empty(bound, np.int64)
        child_reward = np.empty(bound, np.float64)
        child_occupied = np.empty((bound, words), np.uint64)
        child_shapes = np.empty((bound, slots), np.int8)
        child_placement = np.empty(bound, np.int64)
        child_cleared = np.empty(bound, np.int64)
        child_value = np.empty(bound, np.float64)
        child_alive = np.empty(bound, np.float64)
        child_unplaceable = np.empty(bound, np.bool_)
        table = position_table(bound)
        children = 0
        for plan in range(plans):
            moved = False
            for slot in range(slots):
                template = int(shapes[plan, slot])
                if template == EMPTY:
                    continue
                for word in range(words):
                    bits = masks[plan, template, word]
                    while bits != 0:
                        anchor = word * WORD_BITS + lowest_bit(bits)
                        bits &= bits - np.uint64(1)
                        moved = True
                        removed, _ = place_and_clear(
                            occupied,
                            plan,
                            template,
                            anchor,
                            placement_bits,
                            line_start,
                            line_of_placement,
                            line_bits,
                            num_cells,
                            child_occupied,
                            children,
                            union,
                        )
                        for other in range(slots):
                            child_shapes[children, other] = shapes[plan, other]
                        child_shapes[children, slot] = EMPTY
                        child_root[children] = root[plan]
                        if not is_new(table, child_root, child_occupied, child_shapes, children):
                            continue  # reached before in another order: the first stays
                        child_parent[children] = plan
                        child_first[children] = (
                            slot * num_cells + anchor if depth == 0 else first[plan]
                        )
                        child_reward[children] = reward[plan] + (
                            template_size[template] * reward_per_placed
                            + removed * reward_per_cleared
                        )
                        placement = template * num_cells + anchor
                        child_placement[children] = placement
                        child_cleared[children] = removed
                        if removed == 0:  # cells only filled: fits follow from the parent's
                            child_fit_counts(masks, plan, blocked_bits, placement, fit_counts, 0)
                            neighbour_counts(
                                child_occupied,
                                children,
                                shifts,
                                playable_bits,
                                has_left,
                                has_right,
                                points_up,
                                by_neighbours,
                                0,
                                scratch,
                            )
                        else:
                            board_features(
                                child_occupied,
                                children,
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
                                0,
                                scratch,
                            )
                        child_value[children], child_alive[children] = hand_terms(
                            fit_counts,
                            by_neighbours,
                            0,
                            template_entries,
                            total_entries,
                            slots,
                            weights,
                        )
                        stuck = False  # holds a shape that fits nowhere now
                        for other in range(slots):
                            left = int(child_shapes[children, other])
                            if left != EMPTY and fit_counts[0, left] == 0:
                                stuck = True
                        child_unplaceable[children] = stuck
                        children += 1
            if not moved:  # the previous move left no legal move: it ended the game
                out_root[found] = root[plan]
                out_first[found] = first[plan]
                out_reward[found] = reward[plan] - reward_per_alive
                out_completes[found] = False
                out_occupied[found] = occupied[plan]
                out_value[found] = np.nan
                out_alive[found] = np.nan
                found += 1
        going = np.empty(children, np.int64)
        goes = 0
        for child in range(children):
            done = True
            for slot in range(slots):
                if child_shapes[child, slot] != EMPTY:
                    done = False
            if not done:
                going[goes] = child
                goes += 1
                continue
            out_root[found] = child_root[child]  # the slots are empty: the refill is unknown
            out_first[found] = child_first[child]
            out_reward[found] = child_reward[child]
            out_completes[found] = True
            out_occupied[found] = child_occupied[child]
            out_value[found] = child_value[child]
            out_alive[found] = child_alive[child]
            found += 1
        going = going[:goes]
        chosen = going[
            beam(
                going,
                child_root,
                child_reward,  # the alive bonus is taken back if no move follows
                reward_per_alive,
                child_value,
                child_unplaceable,
                beam_width,
            )
        ]
        parent_masks = masks
        masks = np.empty((chosen.shape[0], templates, words), np.uint64)
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
            else:
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
    if count == 1:  # one root: the plans are grouped already
        return (
            out_root[:found],
            out_first[:found],
            out_reward[:found],
            out_completes[:found],
            out_occupied[:found],
            out_value[:found],
            out_alive[:found],
        )
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
