"""Atomic file writes: write beside the target, then rename over it.

A crash or a full disk mid-write leaves the previous file whole; readers never see
a half-written checkpoint or buffer. The data is synced before the rename, so a
power loss cannot leave the new name pointing at unwritten blocks either.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path | str, write: Callable[[BinaryIO], object]) -> Path:
    """Call `write` on a temporary file beside `path`, then rename it to `path`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before the rename makes it the file
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
