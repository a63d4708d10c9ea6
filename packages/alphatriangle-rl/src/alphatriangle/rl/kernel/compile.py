"""How the kernels are compiled: numba, with its on-disk cache.

`compiled` is numba's `njit(cache=True)` with a type that mypy can follow. The first
call of a kernel on a machine compiles it (a few seconds for all of them) and writes
the machine code next to the source (`rl/kernel/__pycache__/*.nbi, *.nbc`; under
`NUMBA_CACHE_DIR` when that is set, in the user's cache folder when the package folder
is read-only); every later process (each Ray worker included) loads it from there in a
second or two.
`warm_up` runs every kernel once on a small board and says how long that took: the
cold start that `benchmarks/selfplay.py` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba

Function = TypeVar("Function", bound=Callable[..., object])


def compiled(function: Function) -> Function:
    """`function` compiled to machine code on first call, cached on disk (see the module)."""
    return cast(Function, numba.njit(cache=True, nogil=True)(function))


def inlined(function: Function) -> Function:
    """A small function compiled into every kernel that calls it (no call per use)."""
    return cast(Function, numba.njit(cache=True, nogil=True, inline="always")(function))
