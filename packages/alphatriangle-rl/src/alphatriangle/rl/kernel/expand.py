"""Every legal move of B states, played: placements, line clears and what they scored.

`expand` is the compiled form of `game.rules.legal_actions` followed by `game.rules.place`
on every legal action of every state: children come in the order (state, slot, anchor),
that is by state and then by action index, as `np.nonzero` lists a legal-action mask.
A placement clears every full line through one of its cells (all at once); only the
lines a placement touches are tested (`KernelArrays.line_of_placement`).

`first_of_each` keeps the first child of each distinct (root, board, slots), in order:
positions reached in several orders are the same position.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .bits import WORD_BITS, popcount
from .compile import compiled, inlined

EMPTY = -1
"""Template id of an empty slot (`game.EMPTY_SLOT`)."""
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)


@inlined
def _play(
    occupied: NDArray[np.uint64],
    state: int,
    template: int,
    anchor: int,
    placement_bits: NDArray[np.uint64],
    line_start: NDArray[np.int64],
    line_of_placement: NDArray[np.int64],
    line_bits: NDArray[np.uint64],
    num_cells: int,
    child_occupied: NDArray[np.uint64],
    child: int,
    union: NDArray[np.uint64],
) -> tuple[int, int]:
    """Row `child` of `child_occupied`: the board of `occupied[state]` with `template`
    placed at `anchor` (a legal move) and every full line through it cleared; returns
    (triangles cleared, lines cleared)."""
    words = occupied.shape[1]
    for word in range(words):
        child_occupied[child, word] = occupied[state, word] | placement_bits[template, anchor, word]
        union[word] = 0
    lines = 0
    flat = template * num_cells + anchor
    for index in range(line_start[flat], line_start[flat + 1]):
        line = line_of_placement[index]
        full = True
        for word in range(words):
            bits = line_bits[line, word]
            if child_occupied[child, word] & bits != bits:
                full = False
                break
        if full:
            lines += 1
            for word in range(words):
                union[word] |= line_bits[line, word]
    removed = 0
    for word in range(words):
        child_occupied[child, word] &= ~union[word]
        removed += popcount(union[word])
    return removed, lines


@compiled
def expand(
    occupied: NDArray[np.uint64],
    shapes: NDArray[np.int8],
    placement_bits: NDArray[np.uint64],
    anchor_start: NDArray[np.int64],
    anchor_cell: NDArray[np.int64],
    line_start: NDArray[np.int64],
    line_of_placement: NDArray[np.int64],
    line_bits: NDArray[np.uint64],
    template_size: NDArray[np.int64],
    num_cells: int,
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.uint64],
    NDArray[np.int8],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
]:
    """(parent, action, occupied, shapes, placed, cleared, lines cleared) of every child."""
    count, words = occupied.shape
    slots = shapes.shape[1]
    bound = 0
    for state in range(count):
        for slot in range(slots):
            template = int(shapes[state, slot])
            if template != EMPTY:
                bound += anchor_start[template + 1] - anchor_start[template]
    parent = np.empty(bound, np.int64)
    action = np.empty(bound, np.int64)
    child_occupied = np.empty((bound, words), np.uint64)
    child_shapes = np.empty((bound, slots), np.int8)
    placed = np.empty(bound, np.int64)
    cleared = np.empty(bound, np.int64)
    lines_cleared = np.empty(bound, np.int64)
    union = np.empty(words, np.uint64)
    children = 0
    for state in range(count):
        for slot in range(slots):
            template = int(shapes[state, slot])
            if template == EMPTY:
                continue
            for entry in range(anchor_start[template], anchor_start[template + 1]):
                anchor = anchor_cell[entry]
                free = True
                for word in range(words):
                    if occupied[state, word] & placement_bits[template, anchor, word]:
                        free = False
                        break
                if not free:
                    continue
                cleared[children], lines_cleared[children] = _play(
                    occupied,
                    state,
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
                    child_shapes[children, other] = shapes[state, other]
                child_shapes[children, slot] = EMPTY
                parent[children] = state
                action[children] = slot * num_cells + anchor
                placed[children] = template_size[template]
                children += 1
    return (
        parent[:children],
        action[:children],
        child_occupied[:children],
        child_shapes[:children],
        placed[:children],
        cleared[:children],
        lines_cleared[:children],
    )


@compiled
def expand_fits(
    occupied: NDArray[np.uint64],
    shapes: NDArray[np.int8],
    masks: NDArray[np.uint64],
    placement_bits: NDArray[np.uint64],
    line_start: NDArray[np.int64],
    line_of_placement: NDArray[np.int64],
    line_bits: NDArray[np.uint64],
    template_size: NDArray[np.int64],
    num_cells: int,
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.uint64],
    NDArray[np.int8],
    NDArray[np.int64],
    NDArray[np.int64],
]:
    """(parent, action, placement, occupied, shapes, placed, cleared) of every child:
    `expand`'s, with each child's placement (template * cells + anchor), the legal
    anchors read from each state's fit masks (`masks[state, :, template]`: the anchors where
    the template fits, `features.fit_masks`) instead of tested one by one: the same
    children in the same order (set bits come out in order of the anchor)."""
    count, words = occupied.shape
    slots = shapes.shape[1]
    bound = 0
    for state in range(count):
        for slot in range(slots):
            template = int(shapes[state, slot])
            if template != EMPTY:
                for word in range(words):
                    bound += popcount(masks[state, word, template])
    parent = np.empty(bound, np.int64)
    action = np.empty(bound, np.int64)
    placement = np.empty(bound, np.int64)
    child_occupied = np.empty((bound, words), np.uint64)
    child_shapes = np.empty((bound, slots), np.int8)
    placed = np.empty(bound, np.int64)
    cleared = np.empty(bound, np.int64)
    union = np.empty(words, np.uint64)
    children = 0
    for state in range(count):
        for slot in range(slots):
            template = int(shapes[state, slot])
            if template == EMPTY:
                continue
            for word in range(words):
                bits = masks[state, word, template]
                while bits != _ZERO:
                    lowest = bits & (~bits + _ONE)
                    bits ^= lowest
                    anchor = word * WORD_BITS + popcount(lowest - _ONE)
                    cleared[children], _ = _play(
                        occupied,
                        state,
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
                        child_shapes[children, other] = shapes[state, other]
                    child_shapes[children, slot] = EMPTY
                    parent[children] = state
                    action[children] = slot * num_cells + anchor
                    placement[children] = template * num_cells + anchor
                    placed[children] = template_size[template]
                    children += 1
    return parent, action, placement, child_occupied, child_shapes, placed, cleared


@compiled
def first_of_each(
    root: NDArray[np.int64], occupied: NDArray[np.uint64], shapes: NDArray[np.int8]
) -> NDArray[np.int64]:
    """Indices of the first of each distinct (root, board, slots), in their order."""
    count, words = occupied.shape
    slots = shapes.shape[1]
    size = 1
    bits = 0
    while size < 2 * count:
        size *= 2
        bits += 1
    mask = np.uint64(size - 1)
    high = np.uint64(64 - bits)
    table = np.full(size, -1, np.int64)
    kept = np.empty(count, np.int64)
    found = 0
    for item in range(count):
        key = np.uint64(root[item]) * _HASH_MULTIPLIER
        for word in range(words):
            key = (key ^ occupied[item, word]) * _HASH_MULTIPLIER
        for slot in range(slots):
            key = (key ^ np.uint64(shapes[item, slot] + 1)) * _HASH_MULTIPLIER
        place = (key >> high) & mask  # a product's high bits depend on every input bit
        duplicate = False
        while table[place] != -1:
            other = table[place]
            same = root[other] == root[item]
            for word in range(words):
                same = same and occupied[other, word] == occupied[item, word]
            for slot in range(slots):
                same = same and shapes[other, slot] == shapes[item, slot]
            if same:
                duplicate = True
                break
            place = (place + np.uint64(1)) & mask
        if not duplicate:
            table[place] = item
            kept[found] = item
            found += 1
    return kept[:found]
