"""Sets of board cells as bitboards: W 64-bit words per board, cell i in word i // 64.

A board of ROWS x COLS cells needs ceil(ROWS * COLS / 64) words (two for the default
8 x 15 board). Whole boards are tested, placed and cleared with a few word-wise AND
and OR operations, batched over many boards at once, instead of cell by cell.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

WORD_BITS = 64


def words_for(num_cells: int) -> int:
    """Words a bitboard of `num_cells` cells needs."""
    return max(1, -(-num_cells // WORD_BITS))


def pack_cells(cells: NDArray[np.bool_], words: int) -> NDArray[np.uint64]:
    """[..., num_cells] bool -> [..., words] bitboards (cell i is bit i % 64 of word i // 64)."""
    flat = cells.reshape(-1, cells.shape[-1])
    padded = np.zeros((flat.shape[0], words * WORD_BITS), np.bool_)
    padded[:, : flat.shape[1]] = flat
    packed = np.packbits(padded, axis=1, bitorder="little").view(np.uint64)
    return packed.reshape(*cells.shape[:-1], words)


def unpack_cells(bits: NDArray[np.uint64], num_cells: int) -> NDArray[np.bool_]:
    """[..., words] bitboards -> [..., num_cells] bool; the inverse of `pack_cells`."""
    flat = np.ascontiguousarray(bits.reshape(-1, bits.shape[-1]))
    cells = np.unpackbits(flat.view(np.uint8), axis=1, count=num_cells, bitorder="little")
    return cells.reshape(*bits.shape[:-1], num_cells).astype(np.bool_)


def popcount(bits: NDArray[np.uint64]) -> NDArray[np.int64]:
    """[..., words] -> [...] number of cells in each bitboard."""
    counts: NDArray[np.int64] = np.bitwise_count(bits).sum(axis=-1, dtype=np.int64)
    return counts
