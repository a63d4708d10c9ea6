"""Self-play with a tree search (PUCT, Gumbel): G games in lockstep, one search call per round.

Each round (the one lockstep round, `acting.play_round`) the search runs its simulations
from every game's position (one network call per simulation round over all games), each
game's move is played on its real trianglengin engine, which deals the real shapes, and
each position becomes a training position: its features, the search's policy target and
an n-step value target. A finished game's slot starts a new game at once.

Each slot keeps one generator from game to game (spawned from the worker's generator):
the search knows a game by it, and a slot's next game draws on where the last left off.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from trianglengin import GameState

from alphatriangle.config import EnvConfig, PuctConfig, TrainConfig, TreeSearchConfig
from alphatriangle.nn import NeuralNetwork

from .acting import play_round
from .experience import ExperienceBatch, n_step_value_targets
from .game import GameArrays, GameTables, engine_positions, legal_actions, positions_of
from .search import BatchedSearch, TreeDecision
from .self_play_result import NewGame, SelfPlayResult


@dataclass(slots=True)
class _GameInProgress:
    seed: int
    state: GameState
    rng: np.random.Generator
    """The slot's generator: the search's draws for this game, and its name for it."""
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
    """Plays G games with `BatchedSearch` through the lockstep loop; makes training positions."""

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
        self.tables = GameTables.for_env(env_config)
        self.search = BatchedSearch(env_config=env_config, config=config, num_games=num_games)
        self._slot_generators = rng.spawn(num_games)
        """One generator per slot, kept by every game the slot plays."""
        self._play_seconds = 0.0
        """Real moves on the engines and reading positions into arrays."""
        self._searched = 0.0
        self._games = [self._start_game(slot) for slot in range(num_games)]

    def stats(self) -> dict[str, float]:
        return {**self.search.stats.as_dict(), "play_seconds": self._play_seconds}

    def in_play(self) -> list[tuple[int, GameState]]:
        return [(game.seed, game.state) for game in self._games]

    def _start_game(self, slot: int) -> _GameInProgress:
        seed, state = self.new_game()
        if state.is_over():
            raise ValueError(f"cannot play game {seed}: its state is already over")
        return _GameInProgress(
            seed=seed, state=state, rng=self._slot_generators[slot], started=time.perf_counter()
        )

    def play_round(self, weights_step: int) -> list[SelfPlayResult]:
        """One move in every game (the one lockstep round, `acting.play_round`); the
        finished games' results."""
        start = time.perf_counter()
        games = self._games
        played = play_round(
            self.tables, [game.state for game in games], [game.rng for game in games], self._choose
        )
        result = played.moves
        positions = played.positions
        legal = legal_actions(self.tables, positions.occupied, positions.shapes)
        features = self.network.features.extract(
            positions_of(self.tables, positions.occupied, positions.shapes, legal)
        )
        finished: list[SelfPlayResult] = []
        for slot, game in enumerate(games):
            # A compact copy: a view would keep the whole batch's float planes alive.
            game.grids.append(features.grid[slot].astype(np.uint8))
            game.others.append(features.other[slot])
            game.policies.append(result.policy_target[slot])
            game.search_values.append(float(result.root_value[slot]))
            game.simulations += int(result.simulations[slot])
            game.rewards.append(float(played.reward[slot]))
            game.triangles_cleared += int(game.state.get_last_cleared_triangles())
            done = bool(played.done[slot])
            truncated = not done and game.moves >= self.train_config.max_episode_length
            if done or truncated:
                finished.append(self._finish(game, truncated, weights_step))
                self._games[slot] = self._start_game(slot)
        self._play_seconds += time.perf_counter() - start - self._searched
        self._searched = 0.0
        return finished

    def _choose(
        self,
        tables: GameTables,
        positions: GameArrays,
        states: Sequence[GameState],
        rngs: Sequence[np.random.Generator],
    ) -> TreeDecision:
        """The search's moves for the games of a round, with self-play's noise and
        temperature."""
        config = self.tree_config
        temperature = np.array(
            [
                config.temperature
                if isinstance(config, PuctConfig) and game.moves < config.temperature_moves
                else 0.0  # Gumbel plays the best of its halving: its decide ignores it
                for game in self._games
            ]
        )
        start = time.perf_counter()
        decision = self.search.run(
            positions, self.network, rngs, temperature=temperature, add_noise=True
        )
        self._searched = time.perf_counter() - start
        return decision

    def _finish(self, game: _GameInProgress, truncated: bool, weights_step: int) -> SelfPlayResult:
        final_state = game.state
        bootstrap = 0.0
        if truncated:
            positions = engine_positions(self.tables, [final_state])
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
