"""The evaluation's results for people (a rich table) and for programs (a JSON file)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from rich import box
from rich.console import Console
from rich.table import Table

from alphatriangle.nn import write_atomically
from alphatriangle.rl.evaluation import PlayerSummary

from .names import short_name

TABLE_WIDTH = 100
"""The table fits a terminal this wide: long player names are shortened (`short_name`)."""
SHORTEST_NAME = 16
"""Names are never shortened below this many characters."""


def summary_table(
    summaries: Sequence[PlayerSummary], title: str, width: int = TABLE_WIDTH
) -> Table:
    """One row per player, the same seeds for all: scores, length, clears, time per move;
    the names shortened (in the middle) just enough for the table to fit in `width`."""
    limit = max(len(s.name) for s in summaries)
    measuring = Console(width=10 * width)
    while True:
        table = _table(summaries, title, limit)
        over = measuring.measure(table).maximum - width
        if over <= 0 or limit <= SHORTEST_NAME:
            return table
        limit = max(SHORTEST_NAME, limit - over)


def _table(summaries: Sequence[PlayerSummary], title: str, name_limit: int) -> Table:
    shortened = any(short_name(s.name, name_limit) != s.name for s in summaries)
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,  # no column rules, one space between columns: room for names
        collapse_padding=True,
        pad_edge=False,
        caption="long player names are shortened; results.json has them in full"
        if shortened
        else None,
    )
    table.add_column("player", style="bold", overflow="fold")
    for column in ("games", "mean", "median", "p10", "p90", "best", "length", "cleared", "ms/move"):
        table.add_column(column, justify="right", no_wrap=True)
    for s in summaries:
        table.add_row(
            short_name(s.name, name_limit),
            str(len(s.games)),
            f"{s.mean_score:.1f}",
            f"{s.median_score:.1f}",
            f"{s.p10_score:.1f}",
            f"{s.p90_score:.1f}",
            f"{s.best_score:.1f}",
            f"{s.mean_length:.1f}",
            f"{s.mean_triangles_cleared:.1f}",
            f"{1000 * s.seconds_per_move:.2f}",
        )
    return table


def print_table(summaries: Sequence[PlayerSummary], title: str, console: Console) -> None:
    """The table, at most `TABLE_WIDTH` columns wide whatever the console's width."""
    console.print(summary_table(summaries, title), width=min(console.width, TABLE_WIDTH))


def write_json(
    path: Path, summaries: Sequence[PlayerSummary], settings: Mapping[str, object]
) -> Path:
    """`settings` (seeds, board, simulations...) and every player's statistics and games."""
    payload = {"settings": dict(settings), "players": [s.as_dict() for s in summaries]}
    text = json.dumps(payload, indent=2)

    def write(handle: BinaryIO) -> None:
        handle.write(text.encode())

    written = write_atomically(path, write)
    written.chmod(0o644)  # the temporary file was private; the results are not
    return written
