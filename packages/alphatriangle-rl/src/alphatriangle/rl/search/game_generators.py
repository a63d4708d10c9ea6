"""One random generator per game slot of a search: a game's draws are its own.

Every random draw a search makes for a game (the refills of its tree, its root noise,
a move sampled at a temperature) comes from that game's generator, so a game played
from a seed with a generator derived from that seed makes the same moves alone or in
a batch of any size and company. A generator shared by the batch would hand each game
the draws its batch-mates left over.

Refills are drawn often (a tree's simulated moves empty the slots), one per game at a
time: each game's generator deals them in blocks of `REFILL_BLOCK` refills, and a
round takes the next one of every game that needs one with one array lookup, not a
draw per game.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..game import GameTables

REFILL_BLOCK = 64
"""Refills a game's generator deals at once, kept until that game uses them."""


def draw_refills(tables: GameTables, rng: np.random.Generator, count: int) -> NDArray[np.int8]:
    """[count, S] refills drawn from `rng` with trianglengin's shape distribution: each slot
    an entry of the shape table, uniform (a template listed twice comes twice as often)."""
    entries = rng.integers(0, tables.template_of_entry.size, size=(count, tables.num_slots))
    dealt: NDArray[np.int8] = tables.template_of_entry[entries]
    return dealt


class GameGenerators:
    """The generators of G game slots, and each slot's refills dealt from its own."""

    def __init__(self, tables: GameTables, generators: Sequence[np.random.Generator]) -> None:
        self.tables = tables
        self._generators = list(generators)
        count = len(self._generators)
        self._dealt = np.zeros((count, REFILL_BLOCK, tables.num_slots), np.int8)
        """[G, REFILL_BLOCK, S] refills dealt ahead, per game."""
        self._next = np.full(count, REFILL_BLOCK, np.int64)
        """[G] the next unused refill of each game's block (REFILL_BLOCK: none left)."""

    @classmethod
    def spawned(
        cls, tables: GameTables, rng: np.random.Generator, num_games: int
    ) -> GameGenerators:
        """Independent generators for `num_games` slots, spawned from `rng`."""
        return cls(tables, rng.spawn(num_games))

    def __len__(self) -> int:
        return len(self._generators)

    def __getitem__(self, game: int) -> np.random.Generator:
        """The generator of slot `game`."""
        return self._generators[int(game)]

    def assign(self, game: int, generator: np.random.Generator) -> None:
        """Give slot `game` its own generator (a new game); refills dealt ahead are dropped."""
        self._generators[game] = generator
        self._next[game] = REFILL_BLOCK

    def deal(self, games: NDArray[np.int64]) -> NDArray[np.int8]:
        """[len(games), S] one refill for each of `games` (distinct slots), each drawn
        from its own game's generator with trianglengin's shape distribution."""
        games = np.asarray(games, np.int64)
        if np.unique(games).size != games.size:
            raise ValueError(f"deal takes each game once per call, got {games.tolist()}")
        for game in games[self._next[games] >= REFILL_BLOCK]:
            self._dealt[game] = draw_refills(self.tables, self._generators[game], REFILL_BLOCK)
            self._next[game] = 0
        dealt: NDArray[np.int8] = self._dealt[games, self._next[games]]
        self._next[games] += 1
        return dealt
