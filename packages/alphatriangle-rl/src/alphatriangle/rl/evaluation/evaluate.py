"""Play the same fixed seeds with every player and summarise each: the yardstick of strength.

Seeds: self-play draws its game seeds from `[0, SELF_PLAY_SEED_END)` (2**31 - 1, see
`SelfPlayWorker`); evaluation seeds start at `EVAL_SEED_BASE = 2**31`, so no evaluation
game is ever a game the network trained on. The engine takes seeds below 2**32.

`evaluate_network` is the call for the training loop: a few games on fixed seeds
with the current network, noise off, returning a `PlayerSummary` whose `as_metrics()`
gives the `Eval/*` metrics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig
from alphatriangle.nn import NeuralNetwork

from .. import metric_names as names
from ..search import Evaluator
from ..self_play import SELF_PLAY_SEED_END
from .network_players import DEFAULT_BATCH_GAMES, PolicyPlayer, search_player
from .records import GameRecord

EVAL_SEED_BASE = 2**31
"""First evaluation seed; self-play seeds are all below it."""
ENGINE_SEED_END = 2**32
"""The engine refuses seeds from here on."""
assert EVAL_SEED_BASE >= SELF_PLAY_SEED_END


def evaluation_seeds(count: int, *, first: int = EVAL_SEED_BASE) -> list[int]:
    """`count` consecutive seeds from `first` (default: the range self-play never uses)."""
    if count < 1:
        raise ValueError(f"the number of games must be at least 1, got {count}")
    if first < 0 or first + count > ENGINE_SEED_END:
        raise ValueError(
            f"seeds {first}..{first + count - 1} are outside the engine's range "
            f"0..{ENGINE_SEED_END - 1}"
        )
    return list(range(first, first + count))


class Player(Protocol):
    """Anything that plays games on given seeds: a baseline or a network player."""

    name: str

    def play(
        self,
        env_config: EnvConfig,
        seeds: Sequence[int],
        *,
        max_moves: int | None = None,
        record_games: int = 0,
    ) -> list[GameRecord]: ...


@dataclass(frozen=True, slots=True)
class PlayerSummary:
    """One player's games on the evaluation seeds, and their statistics."""

    name: str
    games: tuple[GameRecord, ...]
    seconds: float
    """Wall-clock time of all the player's games."""
    mean_score: float = field(init=False)
    median_score: float = field(init=False)
    p10_score: float = field(init=False)
    p90_score: float = field(init=False)
    best_score: float = field(init=False)
    mean_length: float = field(init=False)
    mean_triangles_cleared: float = field(init=False)
    seconds_per_move: float = field(init=False)
    truncated_games: int = field(init=False)

    def __post_init__(self) -> None:
        if not self.games:
            raise ValueError(f"player {self.name} played no games")
        scores = np.array([g.score for g in self.games], np.float64)
        moves = sum(g.length for g in self.games)
        values = {
            "mean_score": float(scores.mean()),
            "median_score": float(np.median(scores)),
            "p10_score": float(np.percentile(scores, 10)),
            "p90_score": float(np.percentile(scores, 90)),
            "best_score": float(scores.max()),
            "mean_length": moves / len(self.games),
            "mean_triangles_cleared": sum(g.triangles_cleared for g in self.games)
            / len(self.games),
            "seconds_per_move": self.seconds / moves if moves else 0.0,
            "truncated_games": sum(g.truncated for g in self.games),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def scores(self) -> list[float]:
        return [g.score for g in self.games]

    @property
    def seeds(self) -> list[int]:
        return [g.seed for g in self.games]

    def as_metrics(self) -> dict[str, float]:
        """`Eval/mean_score`, `Eval/median_score`, ...: what the training loop logs."""
        return {
            names.EVAL_MEAN_SCORE: self.mean_score,
            names.EVAL_MEDIAN_SCORE: self.median_score,
            names.EVAL_P10_SCORE: self.p10_score,
            names.EVAL_P90_SCORE: self.p90_score,
            names.EVAL_BEST_SCORE: self.best_score,
            names.EVAL_MEAN_LENGTH: self.mean_length,
            names.EVAL_TRIANGLES_CLEARED: self.mean_triangles_cleared,
            names.EVAL_SECONDS_PER_MOVE: self.seconds_per_move,
            names.EVAL_SECONDS: self.seconds,
        }

    def as_dict(self) -> dict[str, object]:
        """Statistics and per-game outcomes, JSON-ready (no frames)."""
        return {
            "name": self.name,
            "games": len(self.games),
            "mean_score": self.mean_score,
            "median_score": self.median_score,
            "p10_score": self.p10_score,
            "p90_score": self.p90_score,
            "best_score": self.best_score,
            "mean_length": self.mean_length,
            "mean_triangles_cleared": self.mean_triangles_cleared,
            "seconds_per_move": self.seconds_per_move,
            "seconds": self.seconds,
            "truncated_games": self.truncated_games,
            "per_game": [
                {
                    "seed": g.seed,
                    "score": g.score,
                    "length": g.length,
                    "triangles_cleared": g.triangles_cleared,
                    "truncated": g.truncated,
                }
                for g in self.games
            ],
        }


def play_player(
    player: Player,
    seeds: Sequence[int],
    env_config: EnvConfig,
    *,
    max_moves: int | None = None,
    record_games: int = 0,
) -> PlayerSummary:
    """One player's games on `seeds`, timed."""
    start = time.perf_counter()
    games = player.play(env_config, seeds, max_moves=max_moves, record_games=record_games)
    return PlayerSummary(player.name, tuple(games), time.perf_counter() - start)


def evaluate(
    players: Sequence[Player],
    seeds: Sequence[int],
    env_config: EnvConfig,
    *,
    max_moves: int | None = None,
    record_games: int = 0,
) -> list[PlayerSummary]:
    """Every player on the same `seeds`, in order; `record_games` keeps the first games' frames."""
    if not seeds:
        raise ValueError("evaluate needs at least one seed")
    return [
        play_player(p, seeds, env_config, max_moves=max_moves, record_games=record_games)
        for p in players
    ]


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with `threads` intra-op torch threads (None: unchanged), then restore.

    Measured on the shared 2-core machine: 8 games at 16 simulations took 5 s with one
    thread and 169 s with two while other processes were busy; the small batches of
    evaluation gain nothing from more threads and lose much to contention.
    """
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def evaluate_network(
    evaluator: Evaluator,
    env_config: EnvConfig,
    mcts_config: AlphaTriangleMCTSConfig,
    seeds: Sequence[int],
    *,
    simulations: int | None = None,
    max_moves: int | None = None,
    batch_games: int = DEFAULT_BATCH_GAMES,
    threads: int | None = 1,
) -> PlayerSummary:
    """The network on `seeds`, noise off: with the search `mcts_config` names (a tree search
    at `simulations` per move, None: `mcts_config.max_simulations`; the turn search with
    the network in its `turn_value`), or by its raw policy when `simulations` is 0.

    Cheap enough to call between training steps with a few seeds; the network is only
    read (inference mode), never changed. Torch runs on `threads` threads meanwhile.
    """
    player: Player
    if simulations == 0:
        player = PolicyPlayer(evaluator, batch_games=batch_games, name="policy")
    else:
        player = search_player(
            evaluator, mcts_config, simulations=simulations, batch_games=batch_games
        )
    with torch_threads(threads):
        return play_player(player, seeds, env_config, max_moves=max_moves)


def evaluate_weights(
    weights: Mapping[str, torch.Tensor],
    model_config: ModelConfig,
    env_config: EnvConfig,
    mcts_config: AlphaTriangleMCTSConfig,
    seeds: Sequence[int],
    *,
    simulations: int | None = None,
    max_moves: int | None = None,
    batch_games: int = DEFAULT_BATCH_GAMES,
    threads: int | None = 1,
) -> PlayerSummary:
    """`evaluate_network` on a fresh CPU network holding `weights` (from `get_weights`).

    For evaluating away from the trainer, e.g. as a Ray task
    (`ray.remote(evaluate_weights).remote(ray_weights_ref, ...)`): only plain configs and
    CPU tensors cross the process boundary, and the trainer's network is never touched.
    """
    with torch_threads(threads):
        network = NeuralNetwork(model_config=model_config, env_config=env_config, device="cpu")
        network.set_weights(weights)
    return evaluate_network(
        network,
        env_config,
        mcts_config,
        seeds,
        simulations=simulations,
        max_moves=max_moves,
        batch_games=batch_games,
        threads=threads,
    )
