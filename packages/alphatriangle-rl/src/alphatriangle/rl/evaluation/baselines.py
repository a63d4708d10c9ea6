"""Baseline players: one move ahead at most, no network. A trained agent is judged against them.

- `random`: a uniform legal move.
- `greedy`: the move with the best immediate reward (engine copies, one move ahead).
- `mobility`: one move ahead on `10 x reward + 0.01 x legal moves left after it`: it
  prefers clearing lines and keeping the board open (shared/FACTS.md: mean about 25.8
  on seeds 0-49 of the default board, against 2.1 for random and 6.1 for greedy).

Ties are broken at random by a generator seeded from the game's seed, so a player
replays exactly the same game on the same seed, whatever order seeds come in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from trianglengin import GameState

from alphatriangle.config import EnvConfig

from .records import GameRecord, GameTracker

MOBILITY_REWARD_WEIGHT = 10.0
MOBILITY_MOVES_WEIGHT = 0.01


class OneMovePlayer:
    """Plays each game alone, choosing every move with `choose`."""

    name = "one-move"
    _salt = 0

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        raise NotImplementedError

    def play(
        self,
        env_config: EnvConfig,
        seeds: Sequence[int],
        *,
        max_moves: int | None = None,
        record_games: int = 0,
    ) -> list[GameRecord]:
        records = []
        for index, seed in enumerate(seeds):
            rng = np.random.default_rng([int(seed), self._salt])
            state = GameState(env_config, initial_seed=int(seed))
            tracker = GameTracker(seed=int(seed), record=index < record_games)
            truncated = False
            while not state.is_over():
                if max_moves is not None and tracker.length >= max_moves:
                    truncated = True
                    break
                action = self.choose(state, rng)
                tracker.before_move(state, action)
                state.step(action)
                tracker.after_move(state)
            records.append(tracker.finish(state, truncated=truncated))
        return records


class RandomPlayer(OneMovePlayer):
    """A uniform legal move."""

    name = "random"
    _salt = 1

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        return int(rng.choice(sorted(state.valid_actions())))


class _LookaheadPlayer(OneMovePlayer):
    """The legal move whose outcome `value`s highest, one engine copy per legal move."""

    def value(self, reward: float, after: GameState, done: bool) -> float:
        raise NotImplementedError

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        actions = sorted(state.valid_actions())
        values = np.empty(len(actions))
        for i, action in enumerate(actions):
            after = state.copy()
            reward, done = after.step(action)
            values[i] = self.value(float(reward), after, bool(done))
        best = np.flatnonzero(values >= values.max() - 1e-12)
        return actions[int(rng.choice(best))]


class GreedyPlayer(_LookaheadPlayer):
    """The best immediate reward."""

    name = "greedy"
    _salt = 2

    def value(self, reward: float, after: GameState, done: bool) -> float:
        return reward


class MobilityPlayer(_LookaheadPlayer):
    """The best `10 x reward + 0.01 x legal moves left` one move ahead."""

    name = "mobility"
    _salt = 3

    def value(self, reward: float, after: GameState, done: bool) -> float:
        moves_left = 0 if done else len(after.valid_actions())
        return MOBILITY_REWARD_WEIGHT * reward + MOBILITY_MOVES_WEIGHT * moves_left


BASELINES: dict[str, type[OneMovePlayer]] = {
    "random": RandomPlayer,
    "greedy": GreedyPlayer,
    "mobility": MobilityPlayer,
}
"""The baseline players by name."""
