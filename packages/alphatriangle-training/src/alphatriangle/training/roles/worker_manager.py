"""WorkerManager: starts the self-play actors, keeps one request in flight per worker,
collects finished games and broadcasts new weights with a single `ray.put`.

A worker whose request fails (its process was killed, it raised inside a game, or its
node left the cluster) is replaced by a fresh actor with the newest weights. Its
unfinished games died with it: results only ever arrive as whole games, so nothing
half-played reaches the buffer. With one request per worker in flight, of at most
`results_per_call_max_moves` moves (the first, until a game ends), the results waiting on
the driver are bounded too.

On a cluster the workers spread over the nodes (Ray's SPREAD strategy), and each says
which node it landed on; the log names it, and names the workers a lost node took
with it (`NodeWatch`). Replacements go wherever a CPU is free on the nodes left.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import ray
import torch

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig, TrainConfig
from alphatriangle.rl import SelfPlayResult, SelfPlayWorker

from ..cluster.nodes import SPREAD, NodeWatch
from .result_intake import CollectedResults

logger = logging.getLogger(__name__)


class LocatedSelfPlayWorker(SelfPlayWorker):
    """A SelfPlayWorker that can say which Ray node it runs on."""

    def node_id(self) -> str:
        return str(ray.get_runtime_context().get_node_id())


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
        self._actor_class = LocatedSelfPlayWorker.as_remote(
            num_cpus=1, num_gpus=num_gpus_per_worker
        ).options(scheduling_strategy=SPREAD)
        self._max_restarts = train_config.max_worker_restarts
        self.workers: list[object] = []
        self.restarts = 0
        """Workers replaced after dying, over the run."""
        self._pending: dict[ray.ObjectRef[Any], int] = {}
        self._weights_ref: ray.ObjectRef[Any] | None = None
        self._weights_step = 0
        self.worker_nodes: dict[int, str] = {}
        """Worker id -> the Ray node it runs on, once it has said so."""
        self._died_on: dict[str, list[int]] = {}
        """Node id -> workers that died there (replaced since), for when the node is lost."""
        self._placements: dict[ray.ObjectRef[Any], tuple[int, object]] = {}
        self._nodes: NodeWatch | None = None
        self._stopped = False

    def _create(self, worker_id: int, seed: int) -> object:
        actor = self._actor_class.remote(
            worker_id=worker_id,
            seed=seed,
            initial_weights=self._weights_ref,
            initial_step=self._weights_step,
            **self._worker_kwargs,
        )
        self.worker_nodes.pop(worker_id, None)
        self._placements[actor.node_id.remote()] = (worker_id, actor)
        return actor

    def start(self, weights: Mapping[str, torch.Tensor], global_step: int) -> None:
        """Create every worker with the current weights and give each its first request.

        Once only: a second call (the loop's, after setup started the workers early) does
        nothing. After `stop` the manager starts no workers again.
        """
        if self.workers or self._stopped:
            return
        self._weights_ref = ray.put(dict(weights))
        self._weights_step = global_step
        self._nodes = NodeWatch()
        for worker_id in range(self.num_workers):
            self.workers.append(self._create(worker_id, self._seed))
        for worker_id in range(self.num_workers):
            self._submit(worker_id, first=True)
        logger.info("Started %d self-play worker(s).", self.num_workers)

    def _submit(self, worker_id: int, *, first: bool = False) -> None:
        """Ask the worker for its next finished games. The first request of a run has no
        move limit: there are no new weights to wait for yet, and the workers, started
        during setup, play on until a game ends instead of idling after
        `results_per_call_max_moves` moves while the driver is still setting up."""
        actor = self.workers[worker_id]
        max_moves = None if first else self._max_moves
        ref = actor.play_counted.remote(min_results=1, max_moves=max_moves)  # type: ignore[attr-defined]
        self._pending[ref] = worker_id

    def collect(self, timeout: float) -> CollectedResults:
        """Finished games from every request that completed within `timeout` seconds."""
        self._note_placements()
        if self._nodes is not None:
            ran_on = self.workers_by_node()
            for node_id, died in self._died_on.items():
                ran_on[node_id] = sorted({*ran_on.get(node_id, []), *died})
            self._nodes.poll(ran_on)
        if not self._pending:
            return CollectedResults([], 0)
        ready, _ = ray.wait(list(self._pending), num_returns=len(self._pending), timeout=timeout)
        results: list[SelfPlayResult] = []
        moves = 0
        for ref in ready:
            worker_id = self._pending.pop(ref)
            try:
                finished, played = ray.get(ref)
            except ray.exceptions.RayError as error:
                self._replace(worker_id, error)
            else:
                results.extend(finished)
                moves += played
            self._submit(worker_id)
        return CollectedResults(results, moves)

    def _note_placements(self) -> None:
        """Log where workers landed, as they answer (never waiting for one)."""
        if not self._placements:
            return
        ready, _ = ray.wait(list(self._placements), num_returns=len(self._placements), timeout=0)
        for ref in ready:
            worker_id, actor = self._placements.pop(ref)
            if worker_id >= len(self.workers) or self.workers[worker_id] is not actor:
                continue  # an answer from a worker replaced since
            try:
                node_id = str(ray.get(ref))
            except ray.exceptions.RayError:
                continue  # it died first; its request fails and it is replaced
            self.worker_nodes[worker_id] = node_id
            where = self._nodes.describe(node_id) if self._nodes else node_id
            logger.info("Self-play worker %d runs on node %s.", worker_id, where)

    def workers_by_node(self) -> dict[str, list[int]]:
        """Node id -> the ids of the workers known to run there."""
        placement: dict[str, list[int]] = {}
        for worker_id, node_id in sorted(self.worker_nodes.items()):
            placement.setdefault(node_id, []).append(worker_id)
        return placement

    def _replace(self, worker_id: int, error: Exception) -> None:
        """Swap a dead or failing worker for a fresh one; its unfinished games are lost.

        `restarts` counts up only once the replacement is in `workers`, so whoever
        watches the count never sees the dead actor still listed.
        """
        attempt = self.restarts + 1
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        node_id = self.worker_nodes.get(worker_id)
        where = f" on node {self._nodes.describe(node_id)}" if node_id and self._nodes else ""
        if node_id is not None:
            self._died_on.setdefault(node_id, []).append(worker_id)
        logger.warning(
            "Self-play worker %d%s died (%s): %s; replacing it (restart %d of at most %d).",
            worker_id,
            where,
            type(error).__name__,
            reason[:300],
            attempt,
            self._max_restarts,
        )
        if attempt > self._max_restarts:
            self.restarts = attempt
            raise RuntimeError(
                f"self-play workers died {attempt} times, more than "
                f"max_worker_restarts ({self._max_restarts}); last error: {reason[:300]}"
            ) from error
        try:
            ray.kill(self.workers[worker_id])  # type: ignore[arg-type]
        except Exception:
            logger.debug("Worker %d was already gone.", worker_id, exc_info=True)
        # A new seed, so the replacement does not replay the games its predecessor began.
        self.workers[worker_id] = self._create(worker_id, self._seed + 7919 * attempt)
        self.restarts = attempt

    def update_weights(self, weights: Mapping[str, torch.Tensor], global_step: int) -> None:
        """Broadcast new weights: one object in the store, a reference to every worker."""
        self._weights_ref = ray.put(dict(weights))
        self._weights_step = global_step
        for actor in self.workers:
            actor.set_weights.remote(self._weights_ref, global_step)  # type: ignore[attr-defined]

    @property
    def pending_requests(self) -> int:
        return len(self._pending)

    def stop(self) -> None:
        """Kill every worker; unfinished games are discarded."""
        self._stopped = True
        if self.workers:
            nodes = self.workers_by_node()
            where = ", ".join(
                f"{len(ids)} on node {self._nodes.describe(node) if self._nodes else node}"
                for node, ids in nodes.items()
            )
            logger.info(
                "Stopping %d self-play worker(s)%s.",
                len(self.workers),
                f" ({where})" if where else "",
            )
        for actor in self.workers:
            try:
                ray.kill(actor)  # type: ignore[arg-type]
            except Exception:
                logger.debug("Worker was already gone.", exc_info=True)
        self.workers.clear()
        self._pending.clear()
        self._placements.clear()
