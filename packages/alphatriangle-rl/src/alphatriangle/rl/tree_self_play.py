"""Self-play with a tree search (PUCT, Gumbel): G games in lockstep in one `BatchedSearch`.

Each round the search runs its simulations for every game's root (one network call
per simulation round over all games), each game's move is played on its real engine
through the search (`BatchedSearch.play`), and each position becomes a training
position: its features, the search's policy target and an n-step value target. A
finished game's slot starts a new game at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, PuctConfig, TrainConfig, TreeSearchConfig
from alphatriangle.nn import NeuralNetwork

from .experience import ExperienceBatch, n_step_value_targets
from .game import engine_positions
from .search import BatchedSearch
from .self_play_result import NewGame, SelfPlayResult


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


class TreeSelfPlay:
    """Plays G games with `BatchedSearch` and makes their training positions."""

    def __init__(
        self,
        *,
        network: NeuralNetwork,
        env_config: EnvConfig,
        config: TreeSearchConfig,
        train_config: TrainConfig,
        worker_id: int,
        rng: np.random.Generator,
        new_game: NewGame,
        num_games: int,
    ) -> None:
        self.network = network
        self.tree_config = config
        self.train_config = train_config
        self.worker_id = worker_id
        self.new_game = new_game
        self.search = BatchedSearch(
            evaluator=network,
            env_config=env_config,
            config=config,
            num_games=num_games,
            rng=rng,
        )
        self._games = [self._start_game(g) for g in range(num_games)]

    def stats(self) -> dict[str, float]:
        return self.search.stats.as_dict()

    def in_play(self) -> list[tuple[int, GameState]]:
        return [(game.seed, self.search.root_state(s)) for s, game in enumerate(self._games)]

    def _start_game(self, slot: int) -> _GameInProgress:
        seed, state = self.new_game()
        self.search.set_root(slot, state)
        return _GameInProgress(seed=seed, started=time.perf_counter())

    def play_round(self, weights_step: int) -> list[SelfPlayResult]:
        """One move in every game; the finished games' results."""
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
            truncated = not transition.done and game.moves >= self.train_config.max_episode_length
            if transition.done or truncated:
                finished.append(self._finish(game, transition.state, truncated, weights_step))
                self._games[slot] = self._start_game(slot)
        return finished

    def _finish(
        self, game: _GameInProgress, final_state: GameState, truncated: bool, weights_step: int
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
        return SelfPlayResult(
            experiences=experiences,
            score=float(final_state.game_score()),
            length=game.moves,
            triangles_cleared=game.triangles_cleared,
            simulations=game.simulations,
            seconds=time.perf_counter() - game.started,
            seed=game.seed,
            worker_id=self.worker_id,
            weights_step=weights_step,
            truncated=truncated,
        )
