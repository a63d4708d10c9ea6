"""Bitboards of W 64-bit words inside the kernels: popcount, shifting a board by cells.

Cell i is bit i % 64 of word i // 64 (as `game.bitboard`).
Every constant is a uint64: numba turns a uint64 mixed with a signed integer into a float.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .compile import inlined

WORD_BITS = 64
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@inlined
def popcount(word: np.uint64) -> int:
    """Set bits of one word (LLVM turns this into the popcnt instruction)."""
    x = word - ((word >> _ONE) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return int((x * _H01) >> np.uint64(56))


@inlined
def shift_row(
    rows: NDArray[np.uint64], source: int, target: int, cells: int, whole: int, part: int
) -> None:
    """`rows[target]` = `rows[source]` seen from `cells` cells on: bit j of word w is cell
    64 w + j + `cells` of the source, 0 past either end (`whole`, `part`: |cells| // 64
    and |cells| % 64, from a table). Written word by word in line: a view per row would
    cost more than the shift."""
    words = rows.shape[1]
    up = np.uint64(part)
    rest = np.uint64(WORD_BITS - part)
    carry = part != 0
    if cells >= 0:
        for word in range(words):
            high = word + whole
            value = _ZERO
            if high < words:
                value = rows[source, high] >> up
                if carry and high + 1 < words:
                    value |= rows[source, high + 1] << rest
            rows[target, word] = value
    else:
        for word in range(words):
            low = word - whole
            value = _ZERO
            if low >= 0:
                value = rows[source, low] << up
                if carry and low >= 1:
                    value |= rows[source, low - 1] >> rest
            rows[target, word] = value
