"""Playing the players with progress on the console: games done, running mean, time left.

A player's `play` returns only when all its games are over (59 s for 10 games of the
planner on 2 cores; minutes for 100), so the games are handed to it in chunks and the
console is told after each: a player that plays games at once (a network player's
`batch_games`) gets chunks of that size, the very batches it would play anyway; a
player that plays one game after another gets one game at a time. Every game draws
its shapes and its search's chance from its own seed, so chunking changes no result.

On a terminal the figures are `rich.progress` bars, one per player; elsewhere (a pipe,
a log file) plain lines, which stay readable in a file: after a player's first chunk,
then at most every `LINE_SECONDS`, and when its games are done.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from alphatriangle.config import EnvConfig
from alphatriangle.rl.evaluation import GameRecord, Player, PlayerSummary

from .names import short_name

LINE_SECONDS = 5.0
"""Least seconds between two plain progress lines of one player (not on a terminal)."""


def chunk_size(player: Player) -> int:
    """Games per `play` call: the player's own batch when it plays games at once."""
    return max(1, int(getattr(player, "batch_games", 1)))


class GamesProgress:
    """The console's view of the games: a bar per player on a terminal, lines elsewhere."""

    def __init__(self, console: Console, games: int, line_seconds: float = LINE_SECONDS) -> None:
        self.console = console
        self.games = games
        self.line_seconds = line_seconds
        self._last_line: dict[str, float] = {}
        self._bars: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._started: dict[str, float] = {}
        if console.is_terminal:
            self._bars = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TextColumn("games, mean {task.fields[mean]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
            )

    def __enter__(self) -> GamesProgress:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def start(self, name: str) -> None:
        self._started[name] = time.monotonic()
        if self._bars is not None:
            self._tasks[name] = self._bars.add_task(short_name(name), total=self.games, mean="-")

    def advance(self, name: str, games: Sequence[GameRecord]) -> None:
        """`games`: every game of player `name` finished so far."""
        mean = f"{np.mean([g.score for g in games]):.1f}"
        if self._bars is not None:
            self._bars.update(self._tasks[name], completed=len(games), mean=mean)
            return
        now = time.monotonic()
        last = self._last_line.get(name)
        if last is not None and now - last < self.line_seconds and len(games) < self.games:
            return
        self._last_line[name] = now
        elapsed = now - self._started[name]
        left = elapsed / len(games) * (self.games - len(games))
        self.console.print(
            f"{short_name(name)}: {len(games)}/{self.games} games, mean {mean}, "
            f"{elapsed:.0f}s so far, about {left:.0f}s left",
            soft_wrap=True,
            highlight=False,
        )


def play_all(
    players: Sequence[Player],
    seeds: Sequence[int],
    env_config: EnvConfig,
    console: Console,
    *,
    max_moves: int | None = None,
    record_games: int = 0,
    line_seconds: float = LINE_SECONDS,
) -> list[PlayerSummary]:
    """Every player on the same `seeds`, in order (as `evaluate` plays them), saying how
    far each has got; `record_games` keeps the frames of each player's first games."""
    if not seeds:
        raise ValueError("the evaluation needs at least one seed")
    summaries = []
    with GamesProgress(console, len(seeds), line_seconds) as progress:
        for player in players:
            progress.start(player.name)
            games: list[GameRecord] = []
            size = chunk_size(player)
            start = time.perf_counter()
            for first in range(0, len(seeds), size):
                chunk = seeds[first : first + size]
                record = min(len(chunk), max(0, record_games - len(games)))
                games += player.play(env_config, chunk, max_moves=max_moves, record_games=record)
                progress.advance(player.name, games)
            seconds = time.perf_counter() - start
            summaries.append(PlayerSummary(player.name, tuple(games), seconds))
    return summaries
