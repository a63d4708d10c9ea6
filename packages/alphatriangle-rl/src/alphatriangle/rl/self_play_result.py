"""What self-play hands back: one finished game's training positions and how it went
(or, for targets complete before the game ends, positions of a game still in play),
and the protocol of a search's games in play (`SelfPlayGames`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from trianglengin import GameState

from .experience import ExperienceBatch

SELF_PLAY_SEED_END = 2**31 - 1
"""Self-play game seeds are drawn from [0, SELF_PLAY_SEED_END); evaluation uses seeds above."""


@dataclass(frozen=True, slots=True)
class SelfPlayResult:
    """One finished game: its training positions and how it went."""

    experiences: ExperienceBatch
    score: float
    length: int
    triangles_cleared: int
    simulations: int
    """Tree-search simulations run for the game's moves (0 under the turn search)."""
    seconds: float
    seed: int
    worker_id: int
    weights_step: int
    """`global_step` of the weights that played the game's last move."""
    truncated: bool
    """The game hit `max_episode_length` rather than ending."""
    afterstates: bool = False
    """The positions are the game's afterstates (turn search), one per turn, not one per
    move, and carry no policy target (`experiences.policy_target` is None)."""
    afterstates_valued: int = 0
    """Turn search: afterstates the network valued for the game's moves (0 for a tree search)."""
    in_play: bool = False
    """Positions of a game still in play, handed over before it ends (the turn search's
    targets from the ply past the refill are complete when the move is searched): the
    loop stores them and counts no game; score and length are the game's so far, and its
    own result, with the positions after these, follows when it ends."""


NewGame = Callable[[], tuple[int, GameState]]
"""Starts a self-play game: its seed and its engine state (the worker draws the seeds)."""


class SelfPlayGames(Protocol):
    """G self-play games of one search, one move in each per round."""

    def play_round(self, weights_step: int) -> list[SelfPlayResult]:
        """One move in every game; the finished games' results (their slots start anew)."""
        ...

    def stats(self) -> dict[str, float]:
        """Counters and timers of the search."""
        ...

    def in_play(self) -> list[tuple[int, GameState]]:
        """(seed, engine state) of each game in play, in slot order."""
        ...
