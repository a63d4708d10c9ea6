"""Network players: the search guided by a network, or the network's raw policy alone.

Both play many games at once through the one lockstep loop (`acting.play_seeds`), as
self-play does, so each search round or policy step is one `evaluate_batch` call over
every game in flight; a finished game's place goes to the next seed. Evaluation is
deterministic: no Dirichlet or Gumbel noise, greedy move choice (temperature 0), and
ties go to the lowest action. The refills a search draws inside its trees come from a
generator of the game's own, derived from its seed (`search_generator`), so a seed
plays the same game alone, in a batch of any size and beside any other seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import (
    EnvConfig,
    GumbelConfig,
    SearchConfig,
    TreeSearchConfig,
    TurnSearchConfig,
)
from alphatriangle.nn import check_same_board

from ..acting import ChosenMoves, play_seeds
from ..game import GameArrays, GameTables, legal_actions, positions_of
from ..search import BatchedSearch, Evaluator, TreeDecision, afterstate_value_of
from .records import GameRecord, GameTracker
from .turn_player import TurnSearchPlayer

DEFAULT_BATCH_GAMES = 32
"""Games played at once by a network player: one network call evaluates this many leaves."""
SEARCH_STREAM = 0x5EA2C4
"""Mixed with a game's seed into the generator of its search, so the search's draws are
not the engine's own stream for that seed."""


def search_generator(seed: int) -> np.random.Generator:
    """The generator of the search that plays the game of `seed`: its seed's alone."""
    return np.random.default_rng([int(seed), SEARCH_STREAM])


def _check_board(evaluator: Evaluator, env_config: EnvConfig) -> None:
    """A network plays only the board shape it was built for (rewards may differ):
    BoardMismatchError otherwise."""
    own = getattr(evaluator, "env_config", None)
    if isinstance(own, EnvConfig):
        check_same_board(
            own, env_config, recorded_by="the network", expected_by="it is asked to play"
        )


class SearchPlayer:
    """Plays with a tree search (`BatchedSearch`) at `simulations` per move, noise off, greedy
    choice, through the lockstep loop."""

    def __init__(
        self,
        evaluator: Evaluator,
        mcts_config: TreeSearchConfig,
        *,
        simulations: int | None = None,
        batch_games: int = DEFAULT_BATCH_GAMES,
        name: str = "search",
    ) -> None:
        if batch_games < 1:
            raise ValueError(f"batch_games must be at least 1, got {batch_games}")
        noise_off = "gumbel_scale" if isinstance(mcts_config, GumbelConfig) else "dirichlet_epsilon"
        updates: dict[str, object] = {noise_off: 0.0}
        if simulations is not None:
            updates["max_simulations"] = simulations
        self.evaluator = evaluator
        self.mcts_config = mcts_config.with_updates(**updates)
        self.batch_games = batch_games
        self.name = name

    def play(
        self,
        env_config: EnvConfig,
        seeds: Sequence[int],
        *,
        max_moves: int | None = None,
        record_games: int = 0,
    ) -> list[GameRecord]:
        _check_board(self.evaluator, env_config)
        search = BatchedSearch(
            env_config=env_config,
            config=self.mcts_config,
            num_games=max(1, min(self.batch_games, len(seeds))),
        )

        def choose(
            tables: GameTables,
            positions: GameArrays,
            states: Sequence[GameState],
            rngs: Sequence[np.random.Generator],
        ) -> TreeDecision:
            return search.run(positions, self.evaluator, rngs, temperature=0.0, add_noise=False)

        return play_seeds(
            env_config,
            seeds,
            choose,
            recorder_of=lambda index, seed: GameTracker(seed=seed, record=index < record_games),
            generator_of=search_generator,
            batch_games=self.batch_games,
            max_moves=max_moves,
        )


class PolicyPlayer:
    """Plays the most probable legal move of the network's policy: no search at all."""

    def __init__(
        self,
        evaluator: Evaluator,
        *,
        batch_games: int = DEFAULT_BATCH_GAMES,
        name: str = "policy",
    ) -> None:
        if batch_games < 1:
            raise ValueError(f"batch_games must be at least 1, got {batch_games}")
        self.evaluator = evaluator
        self.batch_games = batch_games
        self.name = name

    def play(
        self,
        env_config: EnvConfig,
        seeds: Sequence[int],
        *,
        max_moves: int | None = None,
        record_games: int = 0,
    ) -> list[GameRecord]:
        _check_board(self.evaluator, env_config)
        return play_seeds(
            env_config,
            seeds,
            self._choose,
            recorder_of=lambda index, seed: GameTracker(seed=seed, record=index < record_games),
            generator_of=np.random.default_rng,  # unused: the argmax draws nothing
            batch_games=self.batch_games,
            max_moves=max_moves,
        )

    def _choose(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> ChosenMoves:
        legal = legal_actions(tables, positions.occupied, positions.shapes)
        evaluation = self.evaluator.evaluate_batch(
            positions_of(tables, positions.occupied, positions.shapes, legal)
        )
        actions: NDArray[np.int64] = np.argmax(evaluation.policy, axis=1).astype(np.int64)
        for row, action in enumerate(actions):
            if not evaluation.legal_mask[row, action]:  # all-zero policy row
                actions[row] = int(np.flatnonzero(evaluation.legal_mask[row])[0])
        return ChosenMoves(actions)


def search_player(
    evaluator: Evaluator,
    mcts_config: SearchConfig,
    *,
    simulations: int | None = None,
    batch_games: int = DEFAULT_BATCH_GAMES,
    label: str | None = None,
) -> TurnSearchPlayer | SearchPlayer:
    """The network playing with the search `mcts_config` is the settings of: the turn search
    with the network in its `turn_value`, or a tree search at `simulations` per move (None:
    its `max_simulations`), noise off. The one place that picks the player by the search:
    the in-training evaluation and `apps/eval` both call it. `label` (a `--player` text)
    names the player after it and its search."""
    if isinstance(mcts_config, TurnSearchConfig):
        return TurnSearchPlayer(
            afterstate_value_of(mcts_config, evaluator),
            mcts_config,
            batch_games=batch_games,
            name=f"{label} (turn search, {mcts_config.turn_value})" if label else "turn",
        )
    player = SearchPlayer(evaluator, mcts_config, simulations=simulations, batch_games=batch_games)
    if label:
        player.name = f"{label} (search {player.mcts_config.max_simulations})"
    return player
