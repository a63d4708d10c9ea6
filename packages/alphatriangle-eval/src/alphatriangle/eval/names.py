"""Player names short enough for a table of 100 columns, a progress bar and a GIF.

A checkpoint player is named by its spec (`ckpt:/a/long/path/to/run/checkpoints/
latest.pt (turn search, learned)`), which can take a line by itself. Where space is
short the middle of the name gives way to `...`: its start (`ckpt:`, `run:NAME`) and
its end (the file and the search) say which player it is. `results.json` keeps the
full names.
"""

from __future__ import annotations

SHORT_NAME_CHARS = 24
"""The most characters a shortened name takes: the table then fits in 100 columns."""
ELLIPSIS = "..."


def short_name(name: str, limit: int = SHORT_NAME_CHARS) -> str:
    """`name` itself when it fits in `limit` characters, else its start and end."""
    if len(name) <= limit:
        return name
    keep = limit - len(ELLIPSIS)
    head = (keep + 1) // 2
    return f"{name[:head]}{ELLIPSIS}{name[len(name) - (keep - head) :]}"
