"""Which of a search's trees holds which game, when the games come as positions.

A tree search is called with positions, not games, yet its trees outlive a call: a
move's search may start from the subtree the last one grew, and a game's refills come
from the block its generator dealt ahead (`GameGenerators`). The search knows a game
by its generator, the one object a game keeps from call to call (the lockstep loop in
`acting` gives each game its own): the same generator again is the same game going on
(or the next game of a caller that keeps one generator per slot, drawing on where the
last left off), a new one is a new game. Holding every slot's generator keeps it
alive, so no new object can share its identity while the slot remembers it.

A new game takes the lowest slot no game of the call holds, so games that start
together fill the trees in the order they were given, and a finished game's tree
goes to the next one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .game_generators import GameGenerators


class TreeSlots:
    """The game (its generator) in each tree slot, and the move decided there last."""

    def __init__(self, generators: GameGenerators) -> None:
        self.generators = generators
        count = len(generators)
        self._held: list[np.random.Generator | None] = [None] * count
        self.last_action = np.full(count, -1, np.int64)
        """[G] the move the search chose in each slot last call, -1 before any."""

    def claim(
        self, rngs: Sequence[np.random.Generator]
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """The slot of each game of a call, and whether it held that game before (its tree
        may carry over). Raises ValueError for more games than slots, or one generator
        given to two games."""
        count = len(rngs)
        if count > len(self._held):
            raise ValueError(f"{count} games but room for {len(self._held)} trees")
        if len({id(rng) for rng in rngs}) != count:
            raise ValueError("each game needs its own generator; one was given twice")
        held = {id(rng): slot for slot, rng in enumerate(self._held) if rng is not None}
        slots = np.full(count, -1, np.int64)
        continuing = np.zeros(count, np.bool_)
        for row, rng in enumerate(rngs):
            slot = held.get(id(rng))
            if slot is not None:
                slots[row], continuing[row] = slot, True
        taken = set(slots[continuing].tolist())
        free = (slot for slot in range(len(self._held)) if slot not in taken)
        for row in np.flatnonzero(~continuing).tolist():
            slot = next(free)
            slots[row] = slot
            self._held[slot] = rngs[row]
            self.generators.assign(slot, rngs[row])
            self.last_action[slot] = -1
        return slots, continuing

    def decided(self, slots: NDArray[np.int64], actions: NDArray[np.int64]) -> None:
        """Remember the move chosen in each of `slots`: the next call looks for its child."""
        self.last_action[slots] = actions
