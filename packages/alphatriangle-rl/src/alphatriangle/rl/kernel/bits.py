"""Bitboards of W 64-bit words inside the kernels: shifts across words and popcount.

Cell i is bit i % 64 of word i // 64 (as `game.bitboard`). Shifting a whole board by k
cells moves every cell to index i + k (`shift_up`) or i - k (`shift_down`); bits shifted
past either end are lost, zeros come in. Every constant is a uint64: numba turns a
uint64 mixed with a signed integer into a float.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .compile import inlined

WORD_BITS = 64
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
def popcount_words(words: NDArray[np.uint64]) -> int:
    """Set bits of a whole board."""
    total = 0
    for word in words:
        total += popcount(word)
    return total


@inlined
def shift_up(source: NDArray[np.uint64], cells: int, out: NDArray[np.uint64]) -> None:
    """out[i + cells] = source[i] for every cell (cells >= 0)."""
    count = source.shape[0]
    whole, part = cells // WORD_BITS, cells % WORD_BITS
    for word in range(count - 1, -1, -1):
        value = np.uint64(0)
        low = word - whole
        if low >= 0:
            value = source[low] << np.uint64(part)
            if part and low >= 1:
                value |= source[low - 1] >> np.uint64(WORD_BITS - part)
        out[word] = value


@inlined
def shift_down(source: NDArray[np.uint64], cells: int, out: NDArray[np.uint64]) -> None:
    """out[i - cells] = source[i] for every cell (cells >= 0)."""
    count = source.shape[0]
    whole, part = cells // WORD_BITS, cells % WORD_BITS
    for word in range(count):
        value = np.uint64(0)
        high = word + whole
        if high < count:
            value = source[high] >> np.uint64(part)
            if part and high + 1 < count:
                value |= source[high + 1] << np.uint64(WORD_BITS - part)
        out[word] = value


@inlined
def shift(source: NDArray[np.uint64], cells: int, out: NDArray[np.uint64]) -> None:
    """out[i] = source[i + cells]: the cell `cells` further on (either sign) seen from i."""
    if cells >= 0:
        shift_down(source, cells, out)
    else:
        shift_up(source, -cells, out)
