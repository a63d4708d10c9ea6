"""The static arrays the kernels index, derived once from a board's `GameTables`.

Nothing in the kernels knows the board's size: the number of words, cells, slots,
templates and lines, every placement and line, come in through these arrays, so any
board `EnvConfig` describes works as the default 8 x 15 one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .features import placement_near_bits

if TYPE_CHECKING:
    from ..game.tables import GameTables

INT64_LIMIT = 2**63


@dataclass(frozen=True, slots=True, eq=False)
class KernelArrays:
    """One board's tables laid out for the kernels (C-contiguous, fixed dtypes)."""

    cols: int
    num_cells: int
    num_slots: int
    num_templates: int
    placement_bits: NDArray[np.uint64]  # [T + 1, cells, words] cells a placement covers
    anchor_start: NDArray[np.int64]  # [T + 2] first entry of each template in `anchor_cell`
    anchor_cell: NDArray[np.int64]  # [P] the anchors where a template fits the empty board
    line_start: NDArray[np.int64]  # [(T + 1) * cells + 1] first line each placement touches
    line_of_placement: NDArray[np.int64]  # the lines a placement touches, placement by placement
    line_bits: NDArray[np.uint64]  # [L, words] the cells of each line
    template_size: NDArray[np.int64]  # [T + 1] triangles of each template (0: the empty slot)
    shifts: NDArray[np.int64]  # [U + 4, 3] (cells, |cells| // 64, |cells| % 64) of each shift
    """The distinct offsets (cell index - anchor index) of the templates' cells, then the
    four neighbour shifts: left (-1), right (+1), below (+cols), above (-cols)."""
    node_parent: NDArray[np.int64]  # [N] the prefix each prefix extends (-1: none), see below
    node_offset: NDArray[np.int64]  # [N] the offset (row of `shifts`) it adds
    template_node: NDArray[np.int64]  # [T] the prefix that is the template's whole offset list
    anchor_bits: NDArray[np.uint64]  # [T, words] where each template fits the empty board
    blocked_bits: NDArray[np.uint64]  # [T * cells, words, T], see `_blocked_anchors`
    placement_near: NDArray[np.uint64]  # [T * cells, 5, words] a placement's cells and their
    # neighbour shifts (`features.placement_near_bits`)
    template_entries: NDArray[np.int64]  # [T] entries of trianglengin's shape table
    total_entries: int  # entries in the table (a refill draws each with equal chance)
    playable_bits: NDArray[np.uint64]  # [words] the board's cells
    has_left: NDArray[np.uint64]  # [words] cells with a cell to their left in the same row
    has_right: NDArray[np.uint64]  # [words] cells with a cell to their right in the same row
    points_up: NDArray[np.uint64]  # [words] up-pointing cells (their vertical edge is below)
    reward_per_placed: float
    reward_per_cleared: float
    reward_per_alive: float


def kernel_arrays(tables: GameTables) -> KernelArrays:
    """The kernels' arrays of `tables`' board, built once per board."""
    return _arrays_for(tables)


def _bits(cells: NDArray[np.bool_], words: int) -> NDArray[np.uint64]:
    from ..game.bitboard import pack_cells

    return np.ascontiguousarray(pack_cells(cells, words))


@lru_cache(maxsize=16)
def _arrays_for(tables: GameTables) -> KernelArrays:
    words, cells, templates = tables.words, tables.num_cells, tables.num_templates
    total = int(tables.template_of_entry.size)
    if total**tables.num_slots >= INT64_LIMIT:
        raise ValueError(
            f"NUM_SHAPE_SLOTS={tables.num_slots} is too many for the exact refill odds "
            f"({total} table entries to the power of the slots must stay below 2**63)"
        )
    placement_bits = np.ascontiguousarray(np.moveaxis(tables.placement_bits, 0, -1))
    valid = tables.placement_valid
    counts = valid.sum(axis=1)
    anchor_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    anchor_cell = np.nonzero(valid)[1].astype(np.int64)
    line_bits = np.ascontiguousarray(tables.line_bits.T)  # [L, words]
    touches = (placement_bits[:, :, None, :] & line_bits[None, None, :, :] != 0).any(axis=3)
    flat = touches.reshape((templates + 1) * cells, -1)
    line_start = np.concatenate([[0], np.cumsum(flat.sum(axis=1))]).astype(np.int64)
    line_of_placement = np.nonzero(flat)[1].astype(np.int64)
    offsets, node_parent, node_offset, template_node = _prefixes(tables)
    shifts = np.concatenate([offsets, [-1, 1, tables.cols, -tables.cols]]).astype(np.int64)
    shifts_table = np.stack([shifts, np.abs(shifts) // 64, np.abs(shifts) % 64], axis=1)
    grid = np.arange(cells)
    row, col = np.divmod(grid, tables.cols)
    return KernelArrays(
        cols=tables.cols,
        num_cells=cells,
        num_slots=tables.num_slots,
        num_templates=templates,
        placement_bits=placement_bits,
        anchor_start=anchor_start,
        anchor_cell=anchor_cell,
        line_start=line_start,
        line_of_placement=line_of_placement,
        line_bits=line_bits,
        template_size=np.ascontiguousarray(tables.template_size, np.int64),
        shifts=shifts_table,
        node_parent=node_parent,
        node_offset=node_offset,
        template_node=template_node,
        anchor_bits=_bits(valid[:templates], words),
        blocked_bits=_blocked_anchors(tables),
        placement_near=placement_near_bits(placement_bits, templates, shifts_table),
        template_entries=np.bincount(tables.template_of_entry, minlength=templates).astype(
            np.int64
        ),
        total_entries=total,
        playable_bits=_bits(tables.playable, words),
        has_left=_bits(col > 0, words),
        has_right=_bits(col < tables.cols - 1, words),
        points_up=_bits((row + col) % 2 != 0, words),
        reward_per_placed=tables.reward_per_placed_triangle,
        reward_per_cleared=tables.reward_per_cleared_triangle,
        reward_per_alive=tables.reward_per_step_alive,
    )


def _prefixes(
    tables: GameTables,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(distinct offsets, and the prefix tree of the templates' sorted offset lists: each
    prefix's parent and added offset, each template's full list).

    A template fits at anchor a when every cell a + offset is empty: the AND over its
    offsets of the empty cells shifted by each. Templates share prefixes of their sorted
    offsets (up and down versions of a shape have the same offsets), so the kernels AND
    each distinct prefix once: 25 prefixes for the 23 templates' 79 cells on 8 x 15.
    """
    lists = [
        tuple(sorted(r * tables.cols + c for r, c, _ in template)) for template in tables.templates
    ]
    offsets = sorted({offset for cells in lists for offset in cells})
    prefixes = sorted(
        {cells[:length] for cells in lists for length in range(1, len(cells) + 1)},
        key=lambda prefix: (len(prefix), prefix),
    )
    index = {prefix: number for number, prefix in enumerate(prefixes)}
    return (
        np.asarray(offsets, np.int64),
        np.asarray([index.get(prefix[:-1], -1) for prefix in prefixes], np.int64),
        np.asarray([offsets.index(prefix[-1]) for prefix in prefixes], np.int64),
        np.asarray([index[cells] for cells in lists], np.int64),
    )


def _blocked_anchors(tables: GameTables) -> NDArray[np.uint64]:
    """[T * cells, words, T]: row `template * cells + anchor` holds, for each template u,
    the anchors where u would cover a cell that placing `template` at `anchor` covers
    (word by word, each word's templates side by side: the kernels' loop over the
    templates reads them in a row).

    A placement that clears no line only fills cells, so where u fits afterwards is
    where it fitted before, less these anchors: the kernels count a child's fits from
    its parent's in one AND-NOT per word (`features.child_fit_counts`) instead of from
    its whole board. Rows of placements that are not legal on the empty board stay 0.
    """
    templates, cells, words = tables.num_templates, tables.num_cells, tables.words
    valid = tables.placement_valid[:templates]  # [T, cells]
    footprint = np.moveaxis(tables.placement_bits, 0, -1)[:templates]  # [T, cells, words]
    blocked = np.zeros((templates * cells, words, templates), np.uint64)
    for template, anchor in zip(*np.nonzero(valid), strict=True):
        meets = (footprint & footprint[template, anchor]).any(axis=-1) & valid
        blocked[template * cells + anchor] = _bits(meets, words).T
    return np.ascontiguousarray(blocked)
