"""The hand-made value of boards, compiled: fit counts, empty cells by neighbours, value.

Per board, with E the empty playable cells as a bitboard:

- **fit counts**: template t fits at anchor a when every cell a + offset of t is empty and
  a is one of t's anchors on the empty board: the AND of E shifted by each offset, masked
  by those anchors; its popcount is the count. The ANDs follow the templates' shared
  prefixes (`arrays._prefixes`), each prefix once.
- **empty neighbours**: a cell's left, right and vertical neighbours as three shifted
  copies of E (masked where the neighbour is not in the row, or points the other way);
  their bitwise sum splits E by neighbour count 0..3 with a few ANDs and XORs.
- **value**: the hand-made value's formula (`search.hand_value`), with its two chance
  terms from integer counts of trianglengin's shape table (`n` entries; `k` of them fit
  nowhere; S slots): expected placements of one drawn shape = (sum of fits x entries) / n,
  refill risk = 1 - (n - k)^S / n^S, refill ends the game = k^S / n^S. Each is one
  division of exact integers, so a board's value is a function of its counts alone, the
  same bits in every batch and on every machine; the weighted sum is added left to
  right, as `search.turn_plans_reference.reference_board_values` adds it.

The shifted copies of E are read from one table per board size (`KernelArrays.shifts`)
and written in line, word by word, into rows of a scratch array: a function call or an
array view per word would cost more than the bit logic itself.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .bits import popcount, shift_row
from .compile import compiled, inlined

NEIGHBOUR_KINDS = 4
"""Empty cells with 0, 1, 2 and 3 empty edge neighbours."""
NEIGHBOUR_SHIFTS = 4
"""The last rows of `KernelArrays.shifts`: left, right, below, above."""
NEAR_ROWS = 1 + NEIGHBOUR_SHIFTS
"""The empty cells and their four neighbour shifts (`near_rows`)."""
HAND_WEIGHTS = 5
"""placements, refill_risk, isolated, dead_end, narrow: `HandWeights` in order."""


@inlined
def _shifted_rows(
    occupied: NDArray[np.uint64],
    board: int,
    shifts: NDArray[np.int64],
    first: int,
    playable_bits: NDArray[np.uint64],
    scratch: NDArray[np.uint64],
) -> None:
    """Row 0 of `scratch`: the empty cells of `occupied[board]`; row 1 + k for each shift
    k from `first` on: the empty cells seen from that shift."""
    words = occupied.shape[1]
    for word in range(words):
        scratch[0, word] = playable_bits[word] & ~occupied[board, word]
    for index in range(first, shifts.shape[0]):
        shift_row(scratch, 0, 1 + index, shifts[index, 0], shifts[index, 1], shifts[index, 2])


@compiled
def _fit_prefixes(
    occupied: NDArray[np.uint64],
    board: int,
    shifts: NDArray[np.int64],
    node_parent: NDArray[np.int64],
    node_offset: NDArray[np.int64],
    playable_bits: NDArray[np.uint64],
    scratch: NDArray[np.uint64],
) -> int:
    """Fill `scratch` for board `occupied[board]`: the empty cells, every shift of them,
    then one row per prefix: the anchors where its cells are empty. Returns the first
    prefix row."""
    words = occupied.shape[1]
    _shifted_rows(occupied, board, shifts, 0, playable_bits, scratch)
    nodes = 1 + shifts.shape[0]
    for node in range(node_parent.shape[0]):
        seen = 1 + node_offset[node]
        parent = node_parent[node]
        for word in range(words):
            if parent < 0:
                scratch[nodes + node, word] = scratch[seen, word]
            else:
                scratch[nodes + node, word] = scratch[nodes + parent, word] & scratch[seen, word]
    return int(nodes)


@inlined
def _neighbour_counts(
    scratch: NDArray[np.uint64],
    shifts: NDArray[np.int64],
    has_left: NDArray[np.uint64],
    has_right: NDArray[np.uint64],
    points_up: NDArray[np.uint64],
    by_neighbours: NDArray[np.int64],
    row: int,
) -> None:
    """Row `row` of `by_neighbours` from the empty cells and their four neighbour shifts
    in `scratch` (rows 0 and the last four shift rows)."""
    left = 1 + shifts.shape[0] - NEIGHBOUR_SHIFTS
    for kind in range(NEIGHBOUR_KINDS):
        by_neighbours[row, kind] = 0
    for word in range(scratch.shape[1]):
        up = points_up[word]
        a = scratch[left, word] & has_left[word]
        b = scratch[left + 1, word] & has_right[word]
        c = (scratch[left + 2, word] & up) | (scratch[left + 3, word] & ~up)
        ones = a ^ b ^ c
        twos = (a & b) | (a & c) | (b & c)
        cell = scratch[0, word]
        by_neighbours[row, 0] += popcount(cell & ~ones & ~twos)
        by_neighbours[row, 1] += popcount(cell & ones & ~twos)
        by_neighbours[row, 2] += popcount(cell & ~ones & twos)
        by_neighbours[row, 3] += popcount(cell & ones & twos)


@compiled
def board_features(
    occupied: NDArray[np.uint64],
    board: int,
    shifts: NDArray[np.int64],
    node_parent: NDArray[np.int64],
    node_offset: NDArray[np.int64],
    template_node: NDArray[np.int64],
    anchor_bits: NDArray[np.uint64],
    playable_bits: NDArray[np.uint64],
    has_left: NDArray[np.uint64],
    has_right: NDArray[np.uint64],
    points_up: NDArray[np.uint64],
    fit_counts: NDArray[np.int64],
    by_neighbours: NDArray[np.int64],
    row: int,
    scratch: NDArray[np.uint64],
) -> None:
    """Fill row `row` of `fit_counts` [., T] and `by_neighbours` [., 4] for board
    `occupied[board]`; `scratch` is [1 + shifts + prefixes, words] of any content."""
    nodes = _fit_prefixes(occupied, board, shifts, node_parent, node_offset, playable_bits, scratch)
    for template in range(anchor_bits.shape[0]):
        count = 0
        source = nodes + template_node[template]
        for word in range(occupied.shape[1]):
            count += popcount(anchor_bits[template, word] & scratch[source, word])
        fit_counts[row, template] = count
    _neighbour_counts(scratch, shifts, has_left, has_right, points_up, by_neighbours, row)


@compiled
def fit_masks(
    occupied: NDArray[np.uint64],
    board: int,
    shifts: NDArray[np.int64],
    node_parent: NDArray[np.int64],
    node_offset: NDArray[np.int64],
    template_node: NDArray[np.int64],
    anchor_bits: NDArray[np.uint64],
    playable_bits: NDArray[np.uint64],
    masks: NDArray[np.uint64],
    row: int,
    scratch: NDArray[np.uint64],
) -> None:
    """`masks[row]` [words, T]: the anchors where each template fits board
    `occupied[board]`, from its whole board (the parent of `child_fit_counts`)."""
    nodes = _fit_prefixes(occupied, board, shifts, node_parent, node_offset, playable_bits, scratch)
    for template in range(anchor_bits.shape[0]):
        source = nodes + template_node[template]
        for word in range(occupied.shape[1]):
            masks[row, word, template] = anchor_bits[template, word] & scratch[source, word]


@inlined
def child_fit_counts(
    masks: NDArray[np.uint64],
    parent: int,
    blocked_bits: NDArray[np.uint64],
    placement: int,
    fit_counts: NDArray[np.int64],
    row: int,
) -> None:
    """Row `row` of `fit_counts`: where each template fits once `placement` (template *
    cells + anchor) is placed, with no line cleared, on the board of `masks[parent]`.
    Word by word, the templates in a row (the layout of `masks` and `blocked_bits`), so
    the loop over them is vectorised."""
    templates = masks.shape[2]
    for template in range(templates):
        fit_counts[row, template] = 0
    for word in range(masks.shape[1]):
        for template in range(templates):
            blocked = blocked_bits[placement, word, template]
            fit_counts[row, template] += popcount(masks[parent, word, template] & ~blocked)


@inlined
def child_fit_masks(
    masks: NDArray[np.uint64],
    parent: int,
    blocked_bits: NDArray[np.uint64],
    placement: int,
    child_masks: NDArray[np.uint64],
    row: int,
) -> None:
    """`child_masks[row]`: the masks behind `child_fit_counts`, for the plans kept."""
    for word in range(masks.shape[1]):
        for template in range(masks.shape[2]):
            child_masks[row, word, template] = (
                masks[parent, word, template] & ~blocked_bits[placement, word, template]
            )


@inlined
def near_rows(
    occupied: NDArray[np.uint64],
    board: int,
    shifts: NDArray[np.int64],
    playable_bits: NDArray[np.uint64],
    near: NDArray[np.uint64],
    row: int,
    scratch: NDArray[np.uint64],
) -> None:
    """`near[row]` [NEAR_ROWS, words]: the empty cells of board `occupied[board]`, then
    the empty cells seen from each neighbour shift (left, right, below, above): what the
    neighbour counts read, kept for a plan's children (`child_neighbour_counts`)."""
    first = shifts.shape[0] - NEIGHBOUR_SHIFTS
    _shifted_rows(occupied, board, shifts, first, playable_bits, scratch)
    for word in range(occupied.shape[1]):
        near[row, 0, word] = scratch[0, word]
        for shift in range(NEIGHBOUR_SHIFTS):
            near[row, 1 + shift, word] = scratch[1 + first + shift, word]


@inlined
def child_neighbour_counts(
    near: NDArray[np.uint64],
    parent: int,
    placement_near: NDArray[np.uint64],
    placement: int,
    shifts: NDArray[np.int64],
    has_left: NDArray[np.uint64],
    has_right: NDArray[np.uint64],
    points_up: NDArray[np.uint64],
    by_neighbours: NDArray[np.int64],
    row: int,
    scratch: NDArray[np.uint64],
) -> None:
    """Row `row` of `by_neighbours` once `placement` is placed, with no line cleared, on
    the board of `near[parent]`: a shift of the empty cells less the placement's cells is
    the shift of the empty cells less the shift of its cells, so each row is one AND-NOT
    against `placement_near[placement]` (the same rows of the placement's own cells)."""
    left = 1 + shifts.shape[0] - NEIGHBOUR_SHIFTS
    for word in range(near.shape[2]):
        scratch[0, word] = near[parent, 0, word] & ~placement_near[placement, 0, word]
        for shift in range(NEIGHBOUR_SHIFTS):
            scratch[left + shift, word] = (
                near[parent, 1 + shift, word] & ~placement_near[placement, 1 + shift, word]
            )
    _neighbour_counts(scratch, shifts, has_left, has_right, points_up, by_neighbours, row)


@inlined
def child_near_rows(
    near: NDArray[np.uint64],
    parent: int,
    placement_near: NDArray[np.uint64],
    placement: int,
    child_near: NDArray[np.uint64],
    row: int,
) -> None:
    """`child_near[row]`: the rows behind `child_neighbour_counts`, for the plans kept."""
    for shift in range(NEAR_ROWS):
        for word in range(near.shape[2]):
            child_near[row, shift, word] = (
                near[parent, shift, word] & ~placement_near[placement, shift, word]
            )


@compiled
def placement_near_bits(
    placement_bits: NDArray[np.uint64], templates: int, shifts: NDArray[np.int64]
) -> NDArray[np.uint64]:
    """[templates * cells, NEAR_ROWS, words]: row `template * cells + anchor` holds the
    cells of that placement (`placement_bits[template, anchor]`), then those cells seen
    from each neighbour shift, as `near_rows` shifts the empty cells."""
    cells, words = placement_bits.shape[1], placement_bits.shape[2]
    first = shifts.shape[0] - NEIGHBOUR_SHIFTS
    rows = np.zeros((1 + NEIGHBOUR_SHIFTS, words), np.uint64)
    table = np.zeros((templates * cells, NEAR_ROWS, words), np.uint64)
    for template in range(templates):
        for anchor in range(cells):
            for word in range(words):
                rows[0, word] = placement_bits[template, anchor, word]
            for shift in range(NEIGHBOUR_SHIFTS):
                index = first + shift
                shift_row(rows, 0, 1 + shift, shifts[index, 0], shifts[index, 1], shifts[index, 2])
            table[template * cells + anchor] = rows
    return table


@inlined
def fit_totals(
    fit_counts: NDArray[np.int64], row: int, template_entries: NDArray[np.int64]
) -> tuple[int, int]:
    """(placements of every table entry summed, entries that fit nowhere) of the board
    whose fit counts are row `row` of `fit_counts`: the integers the value's chance
    terms divide."""
    placements = 0
    fit_nowhere = 0
    for template in range(fit_counts.shape[1]):
        placements += fit_counts[row, template] * template_entries[template]
        if fit_counts[row, template] == 0:
            fit_nowhere += template_entries[template]
    return placements, fit_nowhere


@inlined
def refill_odds(fit_nowhere: int, total_entries: int, num_slots: int) -> tuple[float, float]:
    """(refill risk: the odds that a refill deals a shape that fits nowhere, the odds that
    it leaves a move) when `fit_nowhere` of the `total_entries` table entries fit nowhere
    and `num_slots` shapes are dealt."""
    every_refill = 1
    refills_that_fit = 1
    refills_that_end = 1
    for _ in range(num_slots):
        every_refill *= total_entries
        refills_that_fit *= total_entries - fit_nowhere
        refills_that_end *= fit_nowhere
    return 1.0 - refills_that_fit / every_refill, 1.0 - refills_that_end / every_refill


@compiled
def refill_odds_table(total_entries: int, num_slots: int) -> NDArray[np.float64]:
    """[entries + 1, 2] `refill_odds` of every number of entries that fit nowhere: what a
    kernel valuing many boards looks up instead of dividing for each."""
    table = np.empty((total_entries + 1, 2), np.float64)
    for fit_nowhere in range(total_entries + 1):
        table[fit_nowhere, 0], table[fit_nowhere, 1] = refill_odds(
            fit_nowhere, total_entries, num_slots
        )
    return table


@inlined
def hand_value(
    placements: int,
    refill_risk: float,
    by_neighbours: NDArray[np.int64],
    row: int,
    total_entries: int,
    weights: NDArray[np.float64],
) -> float:
    """The hand-made value's formula, its terms added left to right, of the board with
    those `fit_totals` placements and refill risk and row `row` of `by_neighbours`."""
    expected_placements = placements / total_entries
    value: float = (
        weights[0] * expected_placements
        - weights[1] * refill_risk
        - weights[2] * by_neighbours[row, 0]
        - weights[3] * by_neighbours[row, 1]
        - weights[4] * by_neighbours[row, 2]
    )
    return value


@compiled
def hand_terms(
    fit_counts: NDArray[np.int64],
    by_neighbours: NDArray[np.int64],
    row: int,
    template_entries: NDArray[np.int64],
    total_entries: int,
    num_slots: int,
    weights: NDArray[np.float64],
) -> tuple[float, float]:
    """(the hand-made value, the probability that a refill leaves a move) of the board
    whose counts are row `row` of `fit_counts` and `by_neighbours`."""
    placements, fit_nowhere = fit_totals(fit_counts, row, template_entries)
    refill_risk, alive = refill_odds(fit_nowhere, total_entries, num_slots)
    value = hand_value(placements, refill_risk, by_neighbours, row, total_entries, weights)
    return value, alive


@compiled
def board_values(
    occupied: NDArray[np.uint64],
    shifts: NDArray[np.int64],
    node_parent: NDArray[np.int64],
    node_offset: NDArray[np.int64],
    template_node: NDArray[np.int64],
    anchor_bits: NDArray[np.uint64],
    playable_bits: NDArray[np.uint64],
    has_left: NDArray[np.uint64],
    has_right: NDArray[np.uint64],
    points_up: NDArray[np.uint64],
    template_entries: NDArray[np.int64],
    total_entries: int,
    num_slots: int,
    weights: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """([B, T] fit counts, [B, 4] empty cells by neighbours, [B] value, [B] refill alive
    probability) of the [B, words] boards `occupied`."""
    count = occupied.shape[0]
    fit_counts = np.zeros((count, anchor_bits.shape[0]), np.int64)
    by_neighbours = np.zeros((count, NEIGHBOUR_KINDS), np.int64)
    value = np.zeros(count, np.float64)
    alive = np.zeros(count, np.float64)
    scratch = np.empty((1 + shifts.shape[0] + node_parent.shape[0], occupied.shape[1]), np.uint64)
    for board in range(count):
        board_features(
            occupied,
            board,
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
            board,
            scratch,
        )
        value[board], alive[board] = hand_terms(
            fit_counts,
            by_neighbours,
            board,
            template_entries,
            total_entries,
            num_slots,
            weights,
        )
    return fit_counts, by_neighbours, value, alive
