"""SelfPlayWorker: plays G games at once with the configured search and returns finished games.

With the turn search (`algorithm = "turn"`) the games are played by `TurnSelfPlay` and
their training positions are afterstates; with a tree search (PUCT, Gumbel) by
`BatchedSearch`, and their training positions are the searched positions.

It is a plain class, so it can be used and tested in-process; `SelfPlayWorker.as_remote`
gives the Ray actor class the training pipeline starts one per core. Finished game
slots are refilled at once, so every search round evaluates G leaves in one call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    PuctConfig,
    TrainConfig,
    TreeSearchConfig,
    TurnSearchConfig,
)
from alphatriangle.nn import NeuralNetwork

from .experience import ExperienceBatch, n_step_value_targets
from .game import engine_positions
from .search import BatchedSearch
from .turn_self_play import FinishedTurnGame, TurnGame, TurnSelfPlay

logger = logging.getLogger(__name__)

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


@dataclass(slots=True)
class _GameInProgress:
    seed: int
    started: float
    grids: list[NDArray[np.uint8]] = field(default_factory=list)
    others: list[NDArray[np.float32]] = field(default_factory=list)
    policies: list[NDArray[np.float32]] = field(default_factory=list)
    search_values: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    triangles_cleared: int = 0
    simulations: int = 0

    @property
    def moves(self) -> int:
        return len(self.rewards)


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
        self.turn_self_play: TurnSelfPlay | None = None
        self._turn_games: list[TurnGame] = []
        self._games: list[_GameInProgress] = []
        if isinstance(mcts_config, TurnSearchConfig):
            self.turn_self_play = TurnSelfPlay(
                network=self.network,
                env_config=env_config,
                mcts_config=mcts_config,
                train_config=train_config,
            )
            self._turn_games = [self._start_turn_game() for _ in range(self.num_games)]
        else:
            self.tree_config: TreeSearchConfig = mcts_config
            self.search = BatchedSearch(
                evaluator=self.network,
                env_config=env_config,
                config=mcts_config,
                num_games=self.num_games,
                rng=self.rng,
            )
            self._games = [self._start_game(g) for g in range(self.num_games)]
        self.moves_played = 0
        self.games_finished = 0

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
        """Counters of the search (simulations or network boards, time per phase)."""
        search = (
            self.turn_self_play.stats.as_dict()
            if self.turn_self_play is not None
            else self.search.stats.as_dict()
        )
        return {
            **search,
            "moves_played": float(self.moves_played),
            "games_finished": float(self.games_finished),
        }

    # --- playing ---

    def play(self, min_results: int = 1, max_moves: int | None = None) -> list[SelfPlayResult]:
        """Play at least one move in every game, until `min_results` games have finished
        or `max_moves` moves were played, whichever comes first."""
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

    def _start_game(self, slot: int) -> _GameInProgress:
        seed, state = self._new_game()
        self.search.set_root(slot, state)
        return _GameInProgress(seed=seed, started=time.perf_counter())

    def _start_turn_game(self) -> TurnGame:
        seed, state = self._new_game()
        return TurnGame(
            seed=seed,
            state=state,
            rng=np.random.default_rng([seed, self.worker_id]),
            started=time.perf_counter(),
        )

    def _play_one_move(self) -> list[SelfPlayResult]:
        if self.turn_self_play is not None:
            return self._play_turn_round(self.turn_self_play)
        return self._play_tree_move()

    def _play_turn_round(self, turn_self_play: TurnSelfPlay) -> list[SelfPlayResult]:
        finished = turn_self_play.play_round(self._turn_games)
        self.moves_played += len(self._turn_games)
        done = {id(result.game) for result in finished}
        self._turn_games = [
            game if id(game) not in done else self._start_turn_game() for game in self._turn_games
        ]
        return [self._turn_result(result) for result in finished]

    def _turn_result(self, finished: FinishedTurnGame) -> SelfPlayResult:
        game = finished.game
        self.games_finished += 1
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
            weights_step=self.weights_step,
            truncated=finished.truncated,
            afterstates=True,
        )

    def _play_tree_move(self) -> list[SelfPlayResult]:
        features = self.network.features.extract(self.search.root_positions())
        config = self.tree_config
        temperature = np.array(
            [
                config.temperature
                if isinstance(config, PuctConfig) and game.moves < config.temperature_moves
                else 0.0  # Gumbel plays the best of its halving: its decide ignores it
                for game in self._games
            ]
        )
        result = self.search.run(temperature=temperature, add_noise=True)
        finished: list[SelfPlayResult] = []
        for slot, game in enumerate(self._games):
            # A compact copy: a view would keep the whole batch's float planes alive.
            game.grids.append(features.grid[slot].astype(np.uint8))
            game.others.append(features.other[slot])
            game.policies.append(result.policy_target[slot])
            game.search_values.append(float(result.root_value[slot]))
            game.simulations += int(result.simulations[slot])
            transition = self.search.play(slot, int(result.action[slot]))
            game.rewards.append(transition.reward)
            game.triangles_cleared += transition.cleared_triangles
            self.moves_played += 1
            truncated = not transition.done and game.moves >= self.train_config.max_episode_length
            if transition.done or truncated:
                finished.append(self._finish(game, transition.state, truncated))
                self._games[slot] = self._start_game(slot)
        return finished

    def _finish(
        self, game: _GameInProgress, final_state: GameState, truncated: bool
    ) -> SelfPlayResult:
        bootstrap = 0.0
        if truncated:
            positions = engine_positions(self.search.tables, [final_state])
            bootstrap = float(self.network.evaluate_batch(positions).value[0])
        value_targets = n_step_value_targets(
            np.asarray(game.rewards, np.float64),
            np.asarray(game.search_values, np.float64),
            discount=self.tree_config.discount,
            n_step=self.train_config.value_target_n_step,
            bootstrap_value=bootstrap,
        )
        experiences = ExperienceBatch(
            grid=np.stack(game.grids),
            other=np.stack(game.others),
            policy_target=np.stack(game.policies),
            value_target=value_targets,
        )
        self.games_finished += 1
        return SelfPlayResult(
            experiences=experiences,
            score=float(final_state.game_score()),
            length=game.moves,
            triangles_cleared=game.triangles_cleared,
            simulations=game.simulations,
            seconds=time.perf_counter() - game.started,
            seed=game.seed,
            worker_id=self.worker_id,
            weights_step=self.weights_step,
            truncated=truncated,
        )
