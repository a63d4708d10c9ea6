"""WorkerManager: starts the self-play actors, keeps one request in flight per worker,
collects finished games and broadcasts new weights with a single `ray.put`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ray
import torch

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig, TrainConfig
from alphatriangle.rl import SelfPlayResult, SelfPlayWorker

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectedResults:
    results: list[SelfPlayResult]
    moves_played: int


class WorkerManager:
    """Owns the worker actors and their outstanding `play` requests."""

    def __init__(
        self,
        *,
        num_workers: int,
        env_config: EnvConfig,
        model_config: ModelConfig,
        mcts_config: AlphaTriangleMCTSConfig,
        train_config: TrainConfig,
        seed: int,
        num_gpus_per_worker: float = 0.0,
    ) -> None:
        self.num_workers = num_workers
        self._worker_kwargs = dict(
            env_config=env_config,
            model_config=model_config,
            mcts_config=mcts_config,
            train_config=train_config,
        )
        self._seed = seed
        self._max_moves = train_config.results_per_call_max_moves
        self._actor_class = SelfPlayWorker.as_remote(num_cpus=1, num_gpus=num_gpus_per_worker)
        self.workers: list[object] = []
        self._pending: dict[ray.ObjectRef[Any], int] = {}

    def start(self, weights: Mapping[str, torch.Tensor], global_step: int) -> None:
        """Create every worker with the current weights and give each its first request."""
        weights_ref = ray.put(dict(weights))
        for worker_id in range(self.num_workers):
            actor = self._actor_class.remote(
                worker_id=worker_id,
                seed=self._seed,
                initial_weights=weights_ref,
                initial_step=global_step,
                **self._worker_kwargs,
            )
            self.workers.append(actor)
        for worker_id in range(self.num_workers):
            self._submit(worker_id)
        logger.info("Started %d self-play worker(s).", self.num_workers)

    def _submit(self, worker_id: int) -> None:
        actor = self.workers[worker_id]
        ref = actor.play_counted.remote(min_results=1, max_moves=self._max_moves)  # type: ignore[attr-defined]
        self._pending[ref] = worker_id

    def collect(self, timeout: float) -> CollectedResults:
        """Finished games from every request that completed within `timeout` seconds."""
        if not self._pending:
            return CollectedResults([], 0)
        ready, _ = ray.wait(list(self._pending), num_returns=len(self._pending), timeout=timeout)
        results: list[SelfPlayResult] = []
        moves = 0
        for ref in ready:
            worker_id = self._pending.pop(ref)
            finished, played = ray.get(ref)
            results.extend(finished)
            moves += played
            self._submit(worker_id)
        return CollectedResults(results, moves)

    def update_weights(self, weights: Mapping[str, torch.Tensor], global_step: int) -> None:
        """Broadcast new weights: one object in the store, a reference to every worker."""
        weights_ref = ray.put(dict(weights))
        for actor in self.workers:
            actor.set_weights.remote(weights_ref, global_step)  # type: ignore[attr-defined]

    @property
    def pending_requests(self) -> int:
        return len(self._pending)

    def stop(self) -> None:
        """Kill every worker; unfinished games are discarded."""
        for actor in self.workers:
            try:
                ray.kill(actor)  # type: ignore[arg-type]
            except Exception:
                logger.debug("Worker was already gone.", exc_info=True)
        self.workers.clear()
        self._pending.clear()
