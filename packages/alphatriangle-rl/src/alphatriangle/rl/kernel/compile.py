"""How the kernels are compiled: numba, with its on-disk cache.

`compiled` is numba's `njit(cache=True)` with a type that mypy can follow. The first
call of a kernel on a machine compiles it (a few seconds for all of them) and writes
the machine code next to the source (`rl/kernel/__pycache__/*.nbi, *.nbc`; under
`NUMBA_CACHE_DIR` when that is set, in the user's cache folder when the package folder
is read-only); every later process (each Ray worker included) loads it from there in a
second or two.
`warm_up` runs every kernel once on a small board and says how long that took: the
cold start that `benchmarks/selfplay.py` prints.

numba checks a cached kernel against its own source file only: a kernel whose callee
in another file changed would load machine code compiled with the old callee. So this
package's cache next to the source is dropped whenever any of its sources changed
(`drop_stale_cache`, run when the package is imported); an install writes every file
anew, so only an edited checkout ever drops it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import numba

Function = TypeVar("Function", bound=Callable[..., object])
SOURCES_STAMP = "kernel-sources.sha256"
"""The file, beside the cached kernels, naming the sources they were compiled from."""


def compiled(function: Function) -> Function:
    """`function` compiled to machine code on first call, cached on disk (see the module)."""
    return cast(Function, numba.njit(cache=True, nogil=True)(function))


def inlined(function: Function) -> Function:
    """A small function compiled into every kernel that calls it (no call per use)."""
    return cast(Function, numba.njit(cache=True, nogil=True, inline="always")(function))


def drop_stale_cache(package: Path) -> bool:
    """Delete the cached kernels in `package/__pycache__` unless they were compiled from
    the `*.py` sources `package` holds now; True if it deleted them. A folder it cannot
    write is left as it is (an installed package: numba caches elsewhere)."""
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    cache = package / "__pycache__"
    stamp = cache / SOURCES_STAMP
    try:
        if stamp.read_text() == digest.hexdigest():
            return False
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for pattern in ("*.nbi", "*.nbc"):
            for cached in cache.glob(pattern):
                cached.unlink(missing_ok=True)
        fresh = stamp.with_name(f"{stamp.name}.{os.getpid()}")
        fresh.write_text(digest.hexdigest())
        fresh.replace(stamp)  # whole or not at all: Ray workers import this together
    except OSError:
        return False
    return True


drop_stale_cache(Path(__file__).parent)
