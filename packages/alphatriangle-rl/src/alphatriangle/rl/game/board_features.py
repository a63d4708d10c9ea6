"""What a board offers the shapes still to come, for players that judge boards.

A board's worth to a player who does not know the next shapes is what any shape
drawn from trianglengin's distribution could do on it. Two views, both cheap for
thousands of boards at once:

- **Fits**: at how many anchors each template fits (`template_fit_counts`). Only the
  placements that fit the empty board can fit any board, so the test runs over that
  list (910 placements on the default board) instead of every template at every cell.
- **Empty cells by empty neighbours**: an empty cell whose three edge neighbours are all
  filled (or off the board) takes only a single triangle; one with a single empty
  neighbour only shapes that enter it through that edge. Such cells are the holes
  that end games of this kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .bitboard import unpack_cells
from .tables import GameTables

EDGE_NEIGHBOURS = 3
"""A triangle shares an edge with at most three others: left, right, and above or below."""


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


FIT_CHUNK = 4096
"""Boards per pass of `template_fit_counts`: keeps its [boards, placements] temporaries small
enough for the caches (the turn search asks for hundreds of thousands of boards at once)."""


def template_fit_counts(tables: GameTables, occupied: NDArray[np.uint64]) -> NDArray[np.int64]:
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


def empty_cells_by_neighbours(
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
