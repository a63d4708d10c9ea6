"""SelfPlayWorker: plays G games at once with the configured search and returns finished games.

The games are the search's (`SelfPlayGames`): with the turn search `TurnSelfPlayGames`,
whose training positions are afterstates; with a tree search (PUCT, Gumbel)
`TreeSelfPlay`, whose training positions are the searched positions. The worker picks
them once, by the class of the search's settings, and otherwise does not know which.

It is a plain class, so it can be used and tested in-process; `SelfPlayWorker.as_remote`
gives the Ray actor class the training pipeline starts one per core. Finished game
slots are refilled at once, so every search round evaluates G leaves in one call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from trianglengin import GameState

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    TrainConfig,
    TurnSearchConfig,
)
from alphatriangle.nn import NeuralNetwork

from .self_play_result import SELF_PLAY_SEED_END, SelfPlayGames, SelfPlayResult
from .tree_self_play import TreeSelfPlay
from .turn_self_play import TurnSelfPlayGames

__all__ = ["SELF_PLAY_SEED_END", "SelfPlayResult", "SelfPlayWorker"]

logger = logging.getLogger(__name__)


class SelfPlayWorker:
    """Plays `games_per_worker` games in lockstep with one network and one batched search."""

    def __init__(
        self,
        *,
        worker_id: int,
        env_config: EnvConfig,
        model_config: ModelConfig,
        mcts_config: AlphaTriangleMCTSConfig,
        train_config: TrainConfig,
        seed: int,
        initial_weights: Mapping[str, torch.Tensor] | None = None,
        initial_step: int = 0,
    ) -> None:
        torch.set_num_threads(train_config.worker_torch_threads)
        self.worker_id = worker_id
        self.env_config = env_config
        self.mcts_config = mcts_config
        self.train_config = train_config
        self.rng = np.random.default_rng([seed, worker_id])
        self.network = NeuralNetwork(
            model_config=model_config,
            env_config=env_config,
            device=train_config.worker_device,
            seed=seed,
        )
        if initial_weights is not None:
            self.network.set_weights(initial_weights)
        self.weights_step = initial_step
        self.num_games = train_config.games_per_worker
        self.games = self._games_of(mcts_config)
        self.moves_played = 0
        self.games_finished = 0

    def _games_of(self, config: AlphaTriangleMCTSConfig) -> SelfPlayGames:
        """The games of the search `config` is the settings of: the one place that picks."""
        if isinstance(config, TurnSearchConfig):
            return TurnSelfPlayGames(
                network=self.network,
                env_config=self.env_config,
                config=config,
                train_config=self.train_config,
                worker_id=self.worker_id,
                new_game=self._new_game,
                num_games=self.num_games,
                start_games=self.train_config.games_per_worker_at_start,
            )
        return TreeSelfPlay(
            network=self.network,
            env_config=self.env_config,
            config=config,
            train_config=self.train_config,
            worker_id=self.worker_id,
            rng=self.rng,
            new_game=self._new_game,
            num_games=self.num_games,
        )

    @classmethod
    def as_remote(cls, *, num_cpus: float = 1, num_gpus: float = 0) -> Any:
        """The Ray actor class for this worker (Ray is imported here, not at module load)."""
        import ray

        return ray.remote(num_cpus=num_cpus, num_gpus=num_gpus)(cls)

    # --- control ---

    def set_weights(self, weights: Mapping[str, torch.Tensor], global_step: int) -> None:
        """Use the trainer's newest weights from now on."""
        self.network.set_weights(weights)
        self.weights_step = global_step

    def ping(self) -> int:
        """Answers with the worker id: a cheap liveness check."""
        return self.worker_id

    def stats(self) -> dict[str, float]:
        """Counters of the search (simulations or afterstates valued, time per phase)."""
        return {
            **self.games.stats(),
            "moves_played": float(self.moves_played),
            "games_finished": float(self.games_finished),
        }

    # --- playing ---

    def play(self, min_results: int = 1, max_moves: int | None = None) -> list[SelfPlayResult]:
        """Play at least one move in every game, until `min_results` results came back
        (finished games, or positions that games in play handed over: `in_play`) or
        `max_moves` moves were played, whichever comes first."""
        finished: list[SelfPlayResult] = []
        rounds = 0
        while True:
            finished.extend(self._play_one_move())
            rounds += 1
            if len(finished) >= min_results or (max_moves is not None and rounds >= max_moves):
                return finished

    def play_counted(
        self, min_results: int = 1, max_moves: int | None = None
    ) -> tuple[list[SelfPlayResult], int]:
        """`play`, also returning how many moves (over all games) the call played."""
        before = self.moves_played
        results = self.play(min_results, max_moves)
        return results, self.moves_played - before

    def _new_game(self) -> tuple[int, GameState]:
        seed = int(self.rng.integers(0, SELF_PLAY_SEED_END))
        state = GameState(self.env_config, initial_seed=seed)
        while state.is_over():  # a board too small for any shape: draw another game
            seed = int(self.rng.integers(0, SELF_PLAY_SEED_END))
            state = GameState(self.env_config, initial_seed=seed)
        return seed, state

    def in_play(self) -> list[tuple[int, GameState]]:
        """(seed, engine state) of each game in play, in slot order."""
        return self.games.in_play()

    def _play_one_move(self) -> list[SelfPlayResult]:
        in_play = len(self.games.in_play())  # fewer than num_games while the turn search starts
        results = self.games.play_round(self.weights_step)
        self.moves_played += in_play
        self.games_finished += sum(not result.in_play for result in results)
        return results
