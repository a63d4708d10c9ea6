"""Bitboards of W 64-bit words inside the kernels: popcount.

Cell i is bit i % 64 of word i // 64 (as `game.bitboard`).
Every constant is a uint64: numba turns a uint64 mixed with a signed integer into a float.
"""

from __future__ import annotations

import numpy as np

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
