"""Bitboards of W 64-bit words inside the kernels: shifted words and popcount.

Cell i is bit i % 64 of word i // 64 (as `game.bitboard`). The kernels read a board
shifted by k cells one word at a time (`shifted_word`), straight from a row of a 2-D
array: no array view is made per word, which in numba would cost a reference count.
Every constant is a uint64: numba turns a uint64 mixed with a signed integer into a float.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .compile import inlined

WORD_BITS = 64
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
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
def shifted_word(source: NDArray[np.uint64], row: int, word: int, cells: int) -> np.uint64:
    """Word `word` of board `source[row]` seen `cells` cells further on (either sign): its
    bit j is cell word * 64 + j + cells of the board (0 beyond either end)."""
    words = source.shape[1]
    value = _ZERO
    if cells >= 0:
        whole, part = cells // WORD_BITS, cells % WORD_BITS
        high = word + whole
        if high < words:
            value = source[row, high] >> np.uint64(part)
            if part and high + 1 < words:
                value |= source[row, high + 1] << np.uint64(WORD_BITS - part)
    else:
        whole, part = (-cells) // WORD_BITS, (-cells) % WORD_BITS
        low = word - whole
        if low >= 0:
            value = source[row, low] << np.uint64(part)
            if part and low >= 1:
                value |= source[row, low - 1] >> np.uint64(WORD_BITS - part)
    return value
