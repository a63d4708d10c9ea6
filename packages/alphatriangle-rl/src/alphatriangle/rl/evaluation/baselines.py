"""The one-move baseline players: one move ahead at most, no network.

- `random`: a uniform legal move.
- `greedy`: the move with the best expected immediate reward.
- `mobility`: one move ahead on `10 x reward + 0.01 x legal moves in the next position`:
  it prefers clearing lines and keeping the board open.

They look ahead in the array model of the game, every legal move of a position in
one batched `place`, and see only what a player sees: when a move empties the slots
the next shapes are unknown, so its alive bonus and the moves that follow are
expectations over trianglengin's shape distribution (`game.outlook`), never the
shapes the game will deal. Ties are broken at random by a generator seeded from the
game's seed, so a player replays exactly the same game on the same seed, whatever
order seeds come in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig

from ..acting import ChosenMoves, play_seeds
from ..game import GameArrays, GameTables, Outlook, encode_states, legal_actions, outlook, place
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
        return play_seeds(
            env_config,
            seeds,
            self._choose_each,
            recorder_of=lambda index, seed: GameTracker(seed=seed, record=index < record_games),
            generator_of=lambda seed: np.random.default_rng([seed, self._salt]),
            batch_games=1,  # each game alone: nothing is batched across games
            max_moves=max_moves,
        )

    def _choose_each(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> ChosenMoves:
        return ChosenMoves(
            np.array(
                [self.choose(state, rng) for state, rng in zip(states, rngs, strict=True)],
                np.int64,
            )
        )


class RandomPlayer(OneMovePlayer):
    """A uniform legal move."""

    name = "random"
    _salt = 1

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        return int(rng.choice(sorted(state.valid_actions())))


class _LookaheadPlayer(OneMovePlayer):
    """The legal move whose outlook `value`s highest, all legal moves placed at once."""

    def value(self, outlook: Outlook) -> NDArray[np.float64]:
        raise NotImplementedError

    def choose(self, state: GameState, rng: np.random.Generator) -> int:
        tables = GameTables.for_env(state.env_config)
        position = encode_states(tables, [state])
        actions = np.flatnonzero(legal_actions(tables, position.occupied, position.shapes)[0])
        repeated = GameArrays(
            occupied=np.repeat(position.occupied, actions.size, axis=0),
            shapes=np.repeat(position.shapes, actions.size, axis=0),
            score=np.repeat(position.score, actions.size),
        )
        values = self.value(outlook(tables, place(tables, repeated, actions)))
        best = np.flatnonzero(values >= values.max() - 1e-12)
        return int(actions[int(rng.choice(best))])


class GreedyPlayer(_LookaheadPlayer):
    """The best expected immediate reward."""

    name = "greedy"
    _salt = 2

    def value(self, outlook: Outlook) -> NDArray[np.float64]:
        return outlook.expected_reward


class MobilityPlayer(_LookaheadPlayer):
    """The best `10 x reward + 0.01 x legal moves in the next position`, in expectation."""

    name = "mobility"
    _salt = 3

    def value(self, outlook: Outlook) -> NDArray[np.float64]:
        value: NDArray[np.float64] = (
            MOBILITY_REWARD_WEIGHT * outlook.expected_reward
            + MOBILITY_MOVES_WEIGHT * outlook.expected_moves
        )
        return value
