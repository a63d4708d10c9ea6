"""The one interface through which an algorithm steers the search at its roots.

`BatchedSearch` only simulates, expands and backs up; everything that differs
between AlphaZero's PUCT and Gumbel AlphaZero sits behind `RootRule`: how many
simulations a move gets, how the roots are prepared (Dirichlet noise, or Gumbel
samples and a sequential-halving schedule), which child a simulation walks into, and
how the move and the policy target are decided once the simulations are spent.
`root_rule_for` picks the implementation (`puct.PuctRule`, `gumbel.GumbelRule`).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from alphatriangle.config import TreeSearchConfig

from .game_generators import GameGenerators
from .tree import Tree


class RootRule(Protocol):
    """Prepare the roots, select during simulations, decide the move."""

    keeps_subtree: bool
    """After a move, keep the played child's subtree (True) or only its evaluation (False)."""

    def simulation_budget(self, tree: Tree, games: NDArray[np.int64]) -> NDArray[np.int64]:
        """[G] simulations each searched game runs in this call."""
        ...

    def prepare(self, tree: Tree, games: NDArray[np.int64], *, add_noise: bool) -> None:
        """Ready the evaluated roots of `games` for this call's simulations."""
        ...

    def select(
        self, tree: Tree, games: NDArray[np.int64], nodes: NDArray[np.int64], simulation: int
    ) -> NDArray[np.int64]:
        """[L] the action to walk from node `nodes[i]` of tree `games[i]` in simulation
        number `simulation` of this call."""
        ...

    def decide(
        self,
        tree: Tree,
        games: NDArray[np.int64],
        *,
        temperature: NDArray[np.float64],
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """([G] move to play, [G, A] policy target) once the simulations are spent;
        `temperature` [G] applies where the rule samples its move (PUCT)."""
        ...


def root_rule_for(config: TreeSearchConfig, generators: GameGenerators) -> RootRule:
    """The rule `config.algorithm` names, drawing each game's noise from its generator."""
    from .gumbel import GumbelRule  # the rules import this module's types
    from .puct import PuctRule

    if config.algorithm == "gumbel":
        return GumbelRule(config, generators)
    return PuctRule(config, generators)
