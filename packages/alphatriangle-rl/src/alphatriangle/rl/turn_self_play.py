"""Self-play with the turn search: G games in lockstep, one turn-search call per round.

Each round (the one lockstep round, `acting.play_round`) the turn search chooses a move
for every game in flight (their candidate afterstates valued by the network in one
batch) and each move is played on the game's real trianglengin engine, which deals the
real shapes. The move that empties the slots leaves an afterstate (the board before the
refill); each game keeps its afterstates, the value's own estimate of each when it
played, and what the game scored between them.
When a game ends, its afterstates become training positions: the board shown with empty
slots, and as value target the lambda-return (`afterstate_targets.py`) minus the part of
the value that is not learned (the hand-made baseline of "hand+network"). With
`turn_value_targets = "refill"` the positions are instead every candidate the ply past
the refill valued at each of the game's moves, with that value as target: many boards
per move, each target an expectation over deals rather than one game's luck. The
positions carry no policy rows (a policy target of width 0): an afterstate has no move
to choose, and the turn search reads no policy, so the policy head is not trained by
this search. Under the board value they carry the board's inputs, which it learns from.

A game is cut off at `max_episode_length` moves only at the end of a turn, so the cut
falls on an afterstate whose value the search just gave: earlier targets bootstrap from
it, and it is not itself a training position.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, TrainConfig, TurnSearchConfig
from alphatriangle.nn import BatchEvaluation, NeuralNetwork, Pattern, Positions

from .acting import play_round
from .afterstate_targets import afterstate_value_targets
from .experience import ExperienceBatch
from .game import EMPTY_SLOT, GameArrays, GameTables, afterstate_positions
from .search import (
    BoardPointsValue,
    TurnDecision,
    afterstate_value_of,
    board_inputs,
    refill_ply_for,
    search_turns,
)
from .self_play_result import NewGame, SelfPlayResult

HAND_OVER_POSITIONS = 64
"""Positions from the ply past the refill a game in play gathers before handing them over:
they reach the buffer (and the first training step comes) long before games end."""


@dataclass(slots=True)
class TurnSelfPlayStats:
    """Counters and timers accumulated over every round."""

    decisions: int = 0
    """Moves chosen (one per game per round)."""
    turns: int = 0
    """Moves that emptied the slots: afterstates reached."""
    afterstates_valued: int = 0
    """Afterstates the network valued."""
    network_calls: int = 0
    search_seconds: float = 0.0
    """Growing and scoring plans, the network's share included."""
    network_seconds: float = 0.0
    """Building the network's inputs and its forward passes (inside the search)."""
    play_seconds: float = 0.0
    """Real moves on the engines and reading positions into arrays."""
    finish_seconds: float = 0.0
    """Features and value targets of finished games."""

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in self.__slots__}


class _TimedEvaluator:
    """The network, timed: the share of the search its forward passes take."""

    def __init__(self, network: NeuralNetwork, stats: TurnSelfPlayStats) -> None:
        self.network = network
        self.stats = stats

    def evaluate_batch(self, positions: Positions) -> BatchEvaluation:
        start = time.perf_counter()
        evaluation = self.network.evaluate_batch(positions)
        self.stats.network_seconds += time.perf_counter() - start
        self.stats.network_calls += 1
        return evaluation

    def board_value_coefficients(self) -> NDArray[np.float64]:
        return self.network.board_value_coefficients()

    @property
    def board_value_patterns(self) -> tuple[Pattern, ...]:
        return self.network.board_value_patterns


@dataclass(slots=True)
class TurnGame:
    """One game in flight and what its training positions will be made of."""

    seed: int
    state: GameState
    rng: np.random.Generator
    """Breaks the search's ties (and draws plans under a temperature) for this game alone."""
    started: float
    afterstates: list[NDArray[np.uint64]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    segment_rewards: list[float] = field(default_factory=list)
    moves: int = 0
    triangles_cleared: int = 0
    afterstates_valued: int = 0
    searched_boards: list[NDArray[np.uint64]] = field(default_factory=list)
    """The boards the ply past the refill valued at each move (`turn_value_targets =
    "refill"`), and `searched_values` their values."""
    searched_values: list[NDArray[np.float64]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FinishedTurnGame:
    """A game that ended or was cut off, with its training positions."""

    game: TurnGame
    experiences: ExperienceBatch
    truncated: bool


class TurnSelfPlay:
    """Plays G games with the turn search and the network's value; hands back finished games."""

    def __init__(
        self,
        *,
        network: NeuralNetwork,
        env_config: EnvConfig,
        mcts_config: TurnSearchConfig,
        train_config: TrainConfig,
    ) -> None:
        self.network = network
        self.tables = GameTables.for_env(env_config)
        self.mcts_config = mcts_config
        self.train_config = train_config
        self.stats = TurnSelfPlayStats()
        self.value = afterstate_value_of(mcts_config, _TimedEvaluator(network, self.stats))
        self.refill = refill_ply_for(mcts_config)
        self._searched = 0.0

    def play_round(self, games: list[TurnGame]) -> list[FinishedTurnGame]:
        """One move in every game (the one lockstep round, `acting.play_round`); the
        games that ended (or were cut off) come back."""
        tables = self.tables
        start = time.perf_counter()
        played = play_round(
            tables, [game.state for game in games], [g.rng for g in games], self._choose
        )
        self.stats.decisions += len(games)
        decision = played.moves
        last_of_turn = (played.positions.shapes != EMPTY_SLOT).sum(axis=1) == 1
        finished: list[FinishedTurnGame] = []
        learn_from_search = self.mcts_config.turn_value_targets == "refill"
        for row, game in enumerate(games):
            if learn_from_search:
                mine = decision.refill_root == row
                game.searched_boards.append(decision.refill_boards[mine])
                game.searched_values.append(decision.refill_values[mine])
            game.afterstates_valued += int(decision.afterstates_valued[row])
            self.stats.afterstates_valued += int(decision.afterstates_valued[row])
            reward, done = float(played.reward[row]), bool(played.done[row])
            game.moves += 1
            game.triangles_cleared += int(game.state.get_last_cleared_triangles())
            alive = 0.0 if done else tables.reward_per_step_alive
            if last_of_turn[row]:  # the slots are empty: an afterstate, then the refill
                if game.afterstates:
                    game.segment_rewards[-1] += reward - alive
                # The last shape's plan ends on the real board: no second read of the engine.
                game.afterstates.append(decision.end_occupied[row])
                game.values.append(float(decision.afterstate_value[row]))
                game.segment_rewards.append(alive)
                self.stats.turns += 1
            elif game.afterstates:
                game.segment_rewards[-1] += reward
            truncated = (
                not done
                and last_of_turn[row]
                and game.moves >= self.train_config.max_episode_length
            )
            if done or truncated:
                finished.append(self._finish(game, truncated=bool(truncated)))
        self.stats.play_seconds += time.perf_counter() - start - self._searched
        self._searched = 0.0
        return finished

    def _choose(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> TurnDecision:
        """The turn search's moves for the games of a round (self-play's temperature)."""
        config = self.mcts_config
        start = time.perf_counter()
        decision = search_turns(
            tables,
            positions,
            self.value,
            rngs,
            beam_width=config.turn_beam_width,
            candidates=config.turn_candidates,
            temperature=config.turn_temperature,
            refill=self.refill,
        )
        self._searched = time.perf_counter() - start
        self.stats.search_seconds += self._searched
        return decision

    def _finish(self, game: TurnGame, *, truncated: bool) -> FinishedTurnGame:
        start = time.perf_counter()
        position = None
        if self.mcts_config.turn_value_targets == "refill":
            boards, targets, position = self._searched_targets(game)
        else:
            boards, targets = self._game_targets(game, truncated=truncated)
        experiences = afterstate_experiences(
            self.network,
            self.tables,
            boards,
            targets,
            board_value=isinstance(self.value, BoardPointsValue),
            position=position,
        )
        self.stats.finish_seconds += time.perf_counter() - start
        return FinishedTurnGame(game=game, experiences=experiences, truncated=truncated)

    def hand_over(self, game: TurnGame) -> ExperienceBatch | None:
        """The training positions `game` has gathered from the ply past the refill since
        the last hand-over, once there are `HAND_OVER_POSITIONS` of them (None before, and
        for targets that need the game's end)."""
        if self.mcts_config.turn_value_targets != "refill":
            return None
        if sum(len(values) for values in game.searched_values) < HAND_OVER_POSITIONS:
            return None
        boards, targets, position = self._searched_targets(game)
        return afterstate_experiences(
            self.network,
            self.tables,
            boards,
            targets,
            board_value=isinstance(self.value, BoardPointsValue),
            position=position,
        )

    def _searched_targets(
        self, game: TurnGame
    ) -> tuple[NDArray[np.uint64], NDArray[np.float64], NDArray[np.int64]]:
        """The boards the ply past the refill valued during `game` (since the last
        hand-over), with those values less the part of the value that is not learned, and
        the move each was valued at (numbered from 0); the game's lists are emptied."""
        if not game.searched_boards:
            empty = np.zeros(0, np.int64)
            return np.zeros((0, self.tables.words), np.uint64), np.zeros(0, np.float64), empty
        boards = np.concatenate(game.searched_boards)
        values = np.concatenate(game.searched_values)
        sizes = [len(move) for move in game.searched_values]
        position = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        game.searched_boards.clear()
        game.searched_values.clear()
        return boards, values - self.value.baseline(self.tables, boards), position

    def _game_targets(
        self, game: TurnGame, *, truncated: bool
    ) -> tuple[NDArray[np.uint64], NDArray[np.float64]]:
        """The afterstates `game` played, with their lambda-returns less the part of the
        value that is not learned."""
        boards = (
            np.stack(game.afterstates)
            if game.afterstates
            else np.zeros((0, self.tables.words), np.uint64)
        )
        rewards = np.asarray(game.segment_rewards, np.float64)
        values = np.asarray(game.values, np.float64)
        bootstrap = 0.0
        if truncated:  # the last afterstate is where the game was cut: bootstrap from it
            bootstrap = float(values[-1])
            boards, rewards, values = boards[:-1], rewards[:-1], values[:-1]
        returns = afterstate_value_targets(
            rewards,
            values,
            td_lambda=self.train_config.afterstate_td_lambda,
            bootstrap_value=bootstrap,
        )
        return boards, returns - self.value.baseline(self.tables, boards)


def afterstate_experiences(
    network: NeuralNetwork,
    tables: GameTables,
    boards: NDArray[np.uint64],
    targets: NDArray[np.float64],
    *,
    board_value: bool = False,
    position: NDArray[np.int64] | None = None,
) -> ExperienceBatch:
    """Training positions of [N] afterstate boards: features with empty slots, no policy,
    with `board_value` the board value's inputs, and with `position` the searched
    position each target was measured at (`ExperienceBatch.position`)."""
    count = boards.shape[0]
    features = network.features.extract(afterstate_positions(tables, boards))
    return ExperienceBatch(
        grid=features.grid.astype(np.uint8),
        other=features.other,
        policy_target=np.zeros((count, 0), np.float32),
        value_target=targets.astype(np.float32),
        board_inputs=(
            board_inputs(tables, boards, network.board_value_patterns).astype(np.float32)
            if board_value
            else np.zeros((count, 0), np.float32)
        ),
        position=np.arange(count, dtype=np.int64) if position is None else position,
    )


GAMES_STARTED_PER_FINISHED_GAME = 4
"""While a worker plays fewer than its G games (`games_per_worker_at_start`), each game that
ends starts this many: its own slot anew and three more."""


class TurnSelfPlayGames:
    """G games of turn-search self-play in their slots: a finished game's slot starts anew.

    With `start_games` below G the worker begins with that many, and each game that ends
    starts `GAMES_STARTED_PER_FINISHED_GAME` until G are in play: fewer games in lockstep
    end sooner, so the first positions reach the buffer sooner.
    """

    def __init__(
        self,
        *,
        network: NeuralNetwork,
        env_config: EnvConfig,
        config: TurnSearchConfig,
        train_config: TrainConfig,
        worker_id: int,
        new_game: NewGame,
        num_games: int,
        start_games: int | None = None,
    ) -> None:
        self.worker_id = worker_id
        self.new_game = new_game
        self.self_play = TurnSelfPlay(
            network=network, env_config=env_config, mcts_config=config, train_config=train_config
        )
        self.num_games = num_games
        first = num_games if start_games is None else min(start_games, num_games)
        self._games = [self._start_game() for _ in range(first)]

    def stats(self) -> dict[str, float]:
        return self.self_play.stats.as_dict()

    def in_play(self) -> list[tuple[int, GameState]]:
        return [(game.seed, game.state) for game in self._games]

    def _start_game(self) -> TurnGame:
        seed, state = self.new_game()
        return TurnGame(
            seed=seed,
            state=state,
            rng=np.random.default_rng([seed, self.worker_id]),
            started=time.perf_counter(),
        )

    def play_round(self, weights_step: int) -> list[SelfPlayResult]:
        finished = self.self_play.play_round(self._games)
        done = {id(result.game) for result in finished}
        early = [
            self._in_play_result(game, experiences, weights_step)
            for game in self._games
            if id(game) not in done and (experiences := self.self_play.hand_over(game))
        ]
        self._games = [game if id(game) not in done else self._start_game() for game in self._games]
        more = min(
            self.num_games - len(self._games),
            (GAMES_STARTED_PER_FINISHED_GAME - 1) * len(finished),
        )
        self._games.extend(self._start_game() for _ in range(more))
        return early + [self._result(result, weights_step) for result in finished]

    def _in_play_result(
        self, game: TurnGame, experiences: ExperienceBatch, weights_step: int
    ) -> SelfPlayResult:
        return SelfPlayResult(
            experiences=experiences,
            score=float(game.state.game_score()),
            length=game.moves,
            triangles_cleared=game.triangles_cleared,
            simulations=0,
            seconds=time.perf_counter() - game.started,
            seed=game.seed,
            worker_id=self.worker_id,
            weights_step=weights_step,
            truncated=False,
            afterstates=True,
            in_play=True,
        )

    def _result(self, finished: FinishedTurnGame, weights_step: int) -> SelfPlayResult:
        game = finished.game
        return SelfPlayResult(
            experiences=finished.experiences,
            score=float(game.state.game_score()),
            length=game.moves,
            triangles_cleared=game.triangles_cleared,
            simulations=0,
            afterstates_valued=game.afterstates_valued,
            seconds=time.perf_counter() - game.started,
            seed=game.seed,
            worker_id=self.worker_id,
            weights_step=weights_step,
            truncated=finished.truncated,
            afterstates=True,
        )
