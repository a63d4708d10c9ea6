"""The evaluation's results for people (a rich table) and for programs (a JSON file)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from rich.console import Console
from rich.table import Table

from alphatriangle.nn import write_atomically
from alphatriangle.rl.evaluation import PlayerSummary


def summary_table(summaries: Sequence[PlayerSummary], title: str) -> Table:
    """One row per player, the same seeds for all: scores, length, clears, time per move."""
    table = Table(title=title)
    table.add_column("player", style="bold", overflow="fold")
    for column in ("games", "mean", "median", "p10", "p90", "best", "length", "cleared", "ms/move"):
        table.add_column(column, justify="right", no_wrap=True)
    for s in summaries:
        table.add_row(
            s.name,
            str(len(s.games)),
            f"{s.mean_score:.2f}",
            f"{s.median_score:.2f}",
            f"{s.p10_score:.2f}",
            f"{s.p90_score:.2f}",
            f"{s.best_score:.2f}",
            f"{s.mean_length:.1f}",
            f"{s.mean_triangles_cleared:.1f}",
            f"{1000 * s.seconds_per_move:.2f}",
        )
    return table


def print_table(summaries: Sequence[PlayerSummary], title: str, console: Console) -> None:
    console.print(summary_table(summaries, title))


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
