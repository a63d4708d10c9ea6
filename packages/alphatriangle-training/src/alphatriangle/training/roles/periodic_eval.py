"""PeriodicEvaluation: the trainer's weights play fixed seeds, paced by the clock, off the hot path.

An evaluation is considered every `eval_interval_steps` steps and starts only when the
CPU it has taken so far allows: after one that played for d seconds (on one core), the
next waits until d / (`eval_cpu_share` x the run's CPUs) seconds after that one started.
So evaluations take about that share of the run's CPU whatever the machine's speed or
the steps per second, and the log says the share each time. Every evaluation still
feeds the best-checkpoint choice.

Each evaluation is a Ray task holding a copy of the weights, so self-play and training
go on while it plays; the loop polls for the result without waiting. One evaluation
runs at a time: if the previous one is still playing when the next is due, that one
is skipped rather than queued, so evaluation can never pile up behind a slow machine.
The task asks Ray for no CPU; it shares the trainer's core for the few seconds it takes
(on a cluster it is pinned to the driver's node, whose core that is), and its process
exits afterwards, so an idle evaluator holds no memory. The best-checkpoint copy is the
driver's own (`CheckpointStore.mark_best`), on the driver's disk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ray

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig, TrainConfig
from alphatriangle.nn import StateDict
from alphatriangle.rl.evaluation import PlayerSummary, evaluate_weights, evaluation_seeds

from ..cluster.nodes import on_driver_node

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EvaluationOutcome:
    """A finished evaluation of the weights of `step`."""

    step: int
    summary: PlayerSummary
    is_best: bool
    weights_taken_at: float
    """Wall-clock time (seconds) the weights were taken: its metrics are dated by it, as
    the weights' step is, whenever the games finish."""


class PeriodicEvaluation:
    """Starts an evaluation every `eval_interval_steps` and reports each as it finishes."""

    def __init__(
        self,
        *,
        train_config: TrainConfig,
        env_config: EnvConfig,
        model_config: ModelConfig,
        mcts_config: AlphaTriangleMCTSConfig,
        best_mean_score: float | None = None,
        run_cpus: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = train_config.eval_interval_steps
        self.cpu_share = train_config.eval_cpu_share
        self.run_cpus = max(1, run_cpus)
        self._clock = clock
        self._created = clock()
        self._next_start = self._created
        self.seconds_evaluating = 0.0
        """Wall-clock seconds of every finished evaluation (each on one core)."""
        self.max_moves = train_config.eval_max_moves
        self.seeds = evaluation_seeds(train_config.eval_games)
        self.env_config = env_config
        self.model_config = model_config
        self.mcts_config = mcts_config
        self.best_mean_score = best_mean_score
        self._pending: tuple[int, float, float, Any] | None = None
        # max_calls=1: the process exits after each evaluation instead of holding ~450 MB.
        self._task: Any = ray.remote(num_cpus=0, max_retries=0, max_calls=1)(evaluate_weights)

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def is_due(self, step: int) -> bool:
        """An evaluation should start at `step`: none is playing and the CPU share allows."""
        if not self.enabled or step <= 0 or step % self.interval != 0:
            return False
        return self._pending is None and self._clock() >= self._next_start

    def cpu_share_so_far(self) -> float:
        """The fraction of the run's CPU time (since this object was made) evaluations took."""
        elapsed = max(1e-9, self._clock() - self._created)
        return self.seconds_evaluating / (elapsed * self.run_cpus)

    def start(self, step: int, weights: StateDict) -> None:
        """Start evaluating `weights`, the trainer's weights at `step`."""
        ref = self._task.options(scheduling_strategy=on_driver_node()).remote(
            weights,
            self.model_config,
            self.env_config,
            self.mcts_config,
            self.seeds,
            max_moves=self.max_moves,
            threads=1,
        )
        self._pending = (step, time.time(), self._clock(), ref)

    def poll(self, timeout: float = 0.0) -> EvaluationOutcome | None:
        """The finished evaluation, if one finished (waiting up to `timeout` seconds)."""
        if self._pending is None:
            return None
        step, weights_taken_at, started, ref = self._pending
        ready, _ = ray.wait([ref], timeout=timeout)
        if not ready:
            return None
        self._pending = None
        seconds = self._clock() - started
        self.seconds_evaluating += seconds
        self._next_start = started + seconds / (self.cpu_share * self.run_cpus)
        try:
            summary: PlayerSummary = ray.get(ref)
        except Exception:
            logger.exception("Evaluation of step %d failed; training goes on.", step)
            return None
        is_best = self.best_mean_score is None or summary.mean_score > self.best_mean_score
        if is_best:
            self.best_mean_score = summary.mean_score
        logger.info(
            "Evaluation of step %d: mean score %.2f over %d games%s; it took %.0f s, "
            "evaluations have taken %.1f%% of the run's CPU.",
            step,
            summary.mean_score,
            len(summary.games),
            " (best so far)" if is_best else "",
            seconds,
            100 * self.cpu_share_so_far(),
        )
        return EvaluationOutcome(
            step=step, summary=summary, is_best=is_best, weights_taken_at=weights_taken_at
        )

    def cancel(self) -> None:
        """Drop an unfinished evaluation (the run is stopping)."""
        if self._pending is not None:
            ray.cancel(self._pending[-1], force=True)
            self._pending = None
