"""The loop that plays G real games in lockstep, for whatever chooses their moves.

It owns the real trianglengin games: it starts one per seed (up to `batch_games` at
once, the next seed taking a finished game's place), reads the positions in play into
arrays once per round (`encode_states`), asks a `MoveChooser` for every game's move in
one call, plays the moves on the engines (which deal the real shapes) and hands each
game to its `GameRecorder`, which keeps what the caller wants of it (evaluation: a
score record, frames when asked). A chooser sees the positions, the engine states and
one generator per game, seeded from the game's seed alone: a seed plays the same game
alone or in any batch, whoever else plays beside it.

`play_round` is the loop's body, one move in every game; `play_seeds` runs it over a
list of seeds (evaluation: the baselines, the turn-search, tree-search and policy
players), and self-play with either search runs it once per call of its worker,
refilling finished games itself. Every search is a function of these positions (a tree
search knows a game by its generator, so its trees follow the games from round to
round); no search steps a real game.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig

from ..game import GameArrays, GameTables, encode_states

RecordT = TypeVar("RecordT", covariant=True)


class GameRecorder(Protocol[RecordT]):
    """Follows one game and makes its record when it ends."""

    @property
    def length(self) -> int:
        """Moves played so far."""
        ...

    def before_move(self, state: GameState, action: int) -> None: ...

    def after_move(self, state: GameState) -> None: ...

    def finish(self, state: GameState, *, truncated: bool) -> RecordT: ...


class Moves(Protocol):
    """What a chooser decided: at least one move per game (a search may say more)."""

    @property
    def action(self) -> NDArray[np.int64]:
        """[B] one legal move per game."""
        ...


MovesT = TypeVar("MovesT", bound=Moves)
MovesT_co = TypeVar("MovesT_co", bound=Moves, covariant=True)


@dataclass(frozen=True, slots=True)
class ChosenMoves:
    """Moves and nothing more (a baseline's, a raw policy's)."""

    action: NDArray[np.int64]  # [B]


class MoveChooser(Protocol[MovesT_co]):
    """Chooses a move for each of B games in play (a search with its value, a baseline)."""

    def __call__(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> MovesT_co:
        """One legal move per game: `positions` are `states` read into arrays."""
        ...


@dataclass(frozen=True, slots=True)
class Round(Generic[MovesT]):
    """One move played in each of B games."""

    positions: GameArrays  # [B] where the moves were chosen
    moves: MovesT  # what the chooser decided
    reward: NDArray[np.float64]  # [B] the engine's reward for each move
    done: NDArray[np.bool_]  # [B] the move ended its game


def play_round(
    tables: GameTables,
    states: Sequence[GameState],
    rngs: Sequence[np.random.Generator],
    choose: MoveChooser[MovesT],
    *,
    before_move: Callable[[int, int], None] | None = None,
) -> Round[MovesT]:
    """Read the B `states` into arrays, ask `choose` for their moves and play them on the
    engines. `before_move(row, action)` sees each game before its move is played."""
    positions = encode_states(tables, states)
    moves = choose(tables, positions, states, rngs)
    reward = np.zeros(len(states), np.float64)
    done = np.zeros(len(states), np.bool_)
    for row, state in enumerate(states):
        action = int(moves.action[row])
        if before_move is not None:
            before_move(row, action)
        reward[row], done[row] = state.step(action)
    return Round(positions, moves, reward, done)


R = TypeVar("R")


@dataclass(slots=True)
class _Playing(Generic[R]):
    index: int
    state: GameState
    recorder: GameRecorder[R]
    rng: np.random.Generator


def play_seeds(
    env_config: EnvConfig,
    seeds: Sequence[int],
    choose: MoveChooser[Moves],
    *,
    recorder_of: Callable[[int, int], GameRecorder[R]],
    generator_of: Callable[[int], np.random.Generator],
    batch_games: int,
    max_moves: int | None = None,
) -> list[R]:
    """The record of each seed's game, in the order of `seeds`.

    `recorder_of(index, seed)` follows game `index`; `generator_of(seed)` is its
    chooser's generator. A game ends when the engine says so, or is cut (`truncated`)
    after `max_moves` moves. Raises ValueError when `batch_games` is below 1.
    """
    if batch_games < 1:
        raise ValueError(f"batch_games must be at least 1, got {batch_games}")
    tables = GameTables.for_env(env_config)
    records: dict[int, R] = {}
    queue = deque(enumerate(seeds))
    playing: list[_Playing[R]] = []
    while queue or playing:
        while queue and len(playing) < batch_games:
            index, seed = queue.popleft()
            state = GameState(env_config, initial_seed=int(seed))
            recorder = recorder_of(index, int(seed))
            if state.is_over() or max_moves == 0:
                records[index] = recorder.finish(state, truncated=not state.is_over())
                continue
            playing.append(_Playing(index, state, recorder, generator_of(int(seed))))
        if not playing:
            break
        games = playing
        played = play_round(
            tables,
            [game.state for game in games],
            [game.rng for game in games],
            choose,
            before_move=_recording_moves_of(games),
        )
        still = []
        for game, done in zip(games, played.done, strict=True):
            game.recorder.after_move(game.state)
            truncated = not done and max_moves is not None and game.recorder.length >= max_moves
            if done or truncated:
                records[game.index] = game.recorder.finish(game.state, truncated=truncated)
            else:
                still.append(game)
        playing = still
    return [records[i] for i in range(len(seeds))]


def _recording_moves_of(games: Sequence[_Playing[R]]) -> Callable[[int, int], None]:
    """`before_move` for `play_round`: each game's recorder sees the move before it is played."""

    def before_move(row: int, action: int) -> None:
        games[row].recorder.before_move(games[row].state, action)

    return before_move
