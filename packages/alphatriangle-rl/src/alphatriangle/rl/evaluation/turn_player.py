"""The turn-search player: many games at once, each move chosen by the turn search.

It plays through the one lockstep loop (`acting.play_seeds`): every round the turn
search grows and scores the plans of all games in flight in one `search_turns` call
(the network values every game's candidate afterstates in one batch), and the loop
plays each game's move on its real engine. Each game breaks ties with
its own generator, seeded from its seed as the planner's is, so a seed replays the same
game alone or in a batch of any size, and with the hand-made value it replays the
planner's game move for move.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from trianglengin import GameState

from alphatriangle.config import EnvConfig, TurnSearchConfig

from ..acting import play_seeds
from ..game import GameArrays, GameTables
from ..search import AfterstateValue, TurnDecision, refill_ply_for, search_turns
from .planner import PLANNER_SALT
from .records import GameRecord, GameTracker

DEFAULT_TURN_BATCH_GAMES = 32
"""Games played at once: their candidate afterstates share one network call."""


class TurnSearchPlayer:
    """Plays with the turn search and `value`, greedy (temperature 0)."""

    def __init__(
        self,
        value: AfterstateValue,
        mcts_config: TurnSearchConfig,
        *,
        batch_games: int = DEFAULT_TURN_BATCH_GAMES,
        name: str = "turn",
    ) -> None:
        if batch_games < 1:
            raise ValueError(f"batch_games must be at least 1, got {batch_games}")
        self.value = value
        self.mcts_config = mcts_config
        self.refill = refill_ply_for(mcts_config)
        self.batch_games = batch_games
        self.name = name
        self.afterstates_valued = 0
        """Afterstates the network valued over every game this player played."""

    def play(
        self,
        env_config: EnvConfig,
        seeds: Sequence[int],
        *,
        max_moves: int | None = None,
        record_games: int = 0,
    ) -> list[GameRecord]:
        return play_seeds(
            env_config,
            seeds,
            self._choose,
            recorder_of=lambda index, seed: GameTracker(seed=seed, record=index < record_games),
            generator_of=lambda seed: np.random.default_rng([seed, PLANNER_SALT]),
            batch_games=self.batch_games,
            max_moves=max_moves,
        )

    def _choose(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> TurnDecision:
        decision = search_turns(
            tables,
            positions,
            self.value,
            rngs,
            beam_width=self.mcts_config.turn_beam_width,
            candidates=self.mcts_config.turn_candidates,
            refill=self.refill,
        )
        self.afterstates_valued += int(decision.afterstates_valued.sum())
        return decision
