"""The turn-search player: many games at once, each move chosen by the turn search.

Every round encodes the positions of all games in flight, grows and scores their plans
in one `search_turns` call (the network values every game's candidate afterstates in
one batch) and plays each game's move on its real engine. Each game breaks ties with
its own generator, seeded from its seed as the planner's is, so a seed replays the same
game alone or in a batch of any size, and with the hand-made value it replays the
planner's game move for move.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from trianglengin import GameState

from alphatriangle.config import EnvConfig, TurnSearchConfig

from ..game import GameTables, encode_states
from ..search import AfterstateValue, search_turns
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
        tables = GameTables.for_env(env_config)
        records: dict[int, GameRecord] = {}
        queue = list(enumerate(seeds))
        playing: list[tuple[int, GameState, GameTracker, np.random.Generator]] = []
        while queue or playing:
            while queue and len(playing) < self.batch_games:
                index, seed = queue.pop(0)
                state = GameState(env_config, initial_seed=int(seed))
                tracker = GameTracker(seed=int(seed), record=index < record_games)
                if state.is_over() or max_moves == 0:
                    records[index] = tracker.finish(state, truncated=not state.is_over())
                    continue
                playing.append((index, state, tracker, np.random.default_rng([seed, PLANNER_SALT])))
            if not playing:
                break
            decision = search_turns(
                tables,
                encode_states(tables, [game[1] for game in playing]),
                self.value,
                [game[3] for game in playing],
                beam_width=self.mcts_config.turn_beam_width,
                candidates=self.mcts_config.turn_candidates,
            )
            self.afterstates_valued += int(decision.afterstates_valued.sum())
            still = []
            for row, (index, state, tracker, rng) in enumerate(playing):
                action = int(decision.action[row])
                tracker.before_move(state, action)
                _, done = state.step(action)
                tracker.after_move(state)
                truncated = not done and max_moves is not None and tracker.length >= max_moves
                if done or truncated:
                    records[index] = tracker.finish(state, truncated=truncated)
                else:
                    still.append((index, state, tracker, rng))
            playing = still
        return [records[i] for i in range(len(seeds))]
