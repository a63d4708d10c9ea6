"""TrainingLoop: self-play results in, training steps out, metrics and checkpoints on cadence.

One driver thread does everything in order: collect finished games from the workers
(waiting briefly only while the buffer is too small to train), add them to the
buffer, take a training step, broadcast weights every `worker_update_freq_steps`,
send metric events to the TrieyeActor, and save on the configured cadence.

Faults are survived where that is safe: dead workers are replaced (WorkerManager),
a stats actor that is down only costs metrics, and a NaN/inf update is skipped and
counted, until `max_consecutive_bad_updates` in a row stop the run with the last
good checkpoint left as it was.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

import numpy as np
from trieye import RawMetricEvent

from alphatriangle.nn import FeatureSpec, write_atomically
from alphatriangle.rl.metric_names import EPISODE_EVENT, SIMULATIONS_EVENT, STEP_EVENT

from ..roles.periodic_eval import EvaluationOutcome, PeriodicEvaluation
from ..roles.result_intake import validate_result
from ..roles.worker_manager import WorkerManager
from ..store.checkpoints import CheckpointSaveError
from ..store.resume import training_extras
from ..telemetry.progress import LoopHelpers
from ..telemetry.run_logs import seconds_since_process_start
from ..telemetry.stats_actor import StatsSender
from .components import TrainingComponents

logger = logging.getLogger(__name__)
RUN_STATE_FILE = "run_state.json"
FINAL_EVALUATION_WAIT_SECONDS = 300.0
"""How long a run that reached its step limit waits for an evaluation still playing."""
NAN_INJECTION_ENV = "ALPHATRIANGLE_TEST_NAN_UPDATES"
"""Test-only: `STEP:COUNT[,STEP:COUNT]` poisons COUNT updates attempted at STEP with NaN
value targets, so the skip-and-stop path runs through the real trainer."""


class TrainingDivergedError(RuntimeError):
    """Too many NaN/inf updates in a row: the run stops; the last good checkpoint stays."""


def nan_injection_plan(text: str | None) -> dict[int, int]:
    """`"5:3,12:100"` -> `{5: 3, 12: 100}` (see NAN_INJECTION_ENV)."""
    plan: dict[int, int] = {}
    for item in (text or "").split(","):
        if item.strip():
            step, count = item.split(":")
            plan[int(step)] = int(count)
    return plan


class TrainingLoop:
    """Runs one training run to its step limit or until `request_stop`."""

    def __init__(self, components: TrainingComponents) -> None:
        self.components = components
        self.train_config = components.train_config
        self.counters = components.counters
        self._restarts_before = self.counters.worker_restarts
        self.stopped_early = False
        self.stop_reason = ""
        self._stop = threading.Event()
        self._saved_at: tuple[int, bool] = (-1, False)
        self._buffer_step: int | None = None
        self._bad_in_row = 0
        self._first_step_done = False
        self._nan_plan = nan_injection_plan(os.environ.get(NAN_INJECTION_ENV))
        self._stats = StatsSender(components.trieye_actor, components.run_config)
        spec = FeatureSpec.from_env(components.env_config)
        self._grid_shape = (spec.grid_channels, spec.rows, spec.cols)
        self._action_dim = spec.action_dim
        self.helpers = LoopHelpers(
            counters=self.counters, max_steps=self.train_config.max_training_steps
        )
        self.evaluation = PeriodicEvaluation(
            train_config=self.train_config,
            env_config=components.env_config,
            model_config=components.model_config,
            mcts_config=components.mcts_config,
            best_mean_score=self._best_from_run_state(),
        )
        self.worker_manager = WorkerManager(
            num_workers=components.num_workers,
            env_config=components.env_config,
            model_config=components.model_config,
            mcts_config=components.mcts_config,
            train_config=self.train_config,
            seed=components.run_context.seed + self.counters.global_step,
            num_gpus_per_worker=components.worker_num_gpus,
        )

    @property
    def global_step(self) -> int:
        return self.counters.global_step

    def request_stop(self, reason: str = "") -> None:
        """Ask the loop to finish after the current iteration (thread- and signal-safe)."""
        if reason and not self.stop_reason:
            self.stop_reason = reason
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def finished(self) -> bool:
        limit = self.train_config.max_training_steps
        return limit is not None and self.global_step >= limit

    def run(self) -> None:
        """Train until the step limit or a stop request, then save checkpoint and buffer.

        On an error the workers are stopped and, unless the error is about the
        saved state itself (divergence, a failed save), a last save is attempted.
        """
        components = self.components
        self.worker_manager.start(components.network.get_weights(), self.global_step)
        self._event("System/num_workers", components.num_workers)
        last_stats = last_progress = time.monotonic()
        try:
            while not self.finished and not self._stop.is_set():
                can_train = self._may_train()
                collected = self.worker_manager.collect(timeout=0.0 if can_train else 0.5)
                self._note_worker_restarts()
                if self._stop.is_set():
                    break  # stop taking results: what just arrived is not added
                self.counters.moves_played += collected.moves_played
                for result in collected.results:
                    self._add_result(result)
                if self._may_train():
                    self._train_step()
                self._take_evaluation(self.evaluation.poll())
                now = time.monotonic()
                if now - last_stats >= self.train_config.stats_interval_seconds:
                    self._flush_events()
                    last_stats = now
                if now - last_progress >= self.train_config.progress_interval_seconds:
                    self._log_progress()
                    last_progress = now
        except Exception as error:
            self.stopped_early = True
            self.evaluation.cancel()
            self.worker_manager.stop()
            if not isinstance(error, TrainingDivergedError | CheckpointSaveError):
                self._save_after_error()
            self._flush_events(force=True)
            raise
        self.stopped_early = not self.finished
        self.worker_manager.stop()
        if self.finished:
            self._take_evaluation(self.evaluation.poll(timeout=FINAL_EVALUATION_WAIT_SECONDS))
        self.evaluation.cancel()
        self._log_progress()
        self.save(save_buffer=True)
        self._flush_events(force=True)

    def _may_train(self) -> bool:
        """The buffer holds its minimum and training is not ahead of self-play's data."""
        config, buffer = self.train_config, self.components.buffer
        if not buffer.is_ready(config.min_buffer_size_to_train):
            return False
        ratio = config.max_samples_per_position
        if ratio is None:
            return True
        return (self.global_step + 1) * config.batch_size <= ratio * buffer.total_added

    def _save_after_error(self) -> None:
        try:
            self.save(save_buffer=True)
        except Exception:
            logger.exception("Could not save after the error; the previous checkpoint stays.")

    def _note_worker_restarts(self) -> None:
        total = self._restarts_before + self.worker_manager.restarts
        if total != self.counters.worker_restarts:
            self.counters.worker_restarts = total
            self._event("System/worker_restarts", total)

    # --- steps ---

    def _add_result(self, result: Any) -> None:
        problem = validate_result(result, grid_shape=self._grid_shape, action_dim=self._action_dim)
        if problem is not None:
            logger.warning("Dropped a game from worker %d: %s.", result.worker_id, problem)
            return
        self.components.buffer.add(result.experiences)
        self.counters.episodes_played += 1
        self.counters.total_simulations += result.simulations
        self.helpers.record_episode(result)
        self._stats.add(
            RawMetricEvent(
                name=EPISODE_EVENT,
                value=result.score,
                global_step=self.global_step,
                context={
                    "score": result.score,
                    "length": result.length,
                    "triangles_cleared": result.triangles_cleared,
                },
            )
        )
        self._event(SIMULATIONS_EVENT, result.simulations)
        self._event("Buffer/size", len(self.components.buffer))

    def _train_step(self) -> None:
        components, config = self.components, self.train_config
        batch = components.buffer.sample(config.batch_size, global_step=self.global_step)
        if self._nan_plan.get(self.global_step, 0) > 0:
            self._nan_plan[self.global_step] -= 1
            batch.experiences.value_target[:] = np.nan
        outcome = components.trainer.train_step(batch)
        if outcome.skipped:
            self._skip_update(outcome.total_loss, outcome.grad_norm)
            return
        self._bad_in_row = 0
        components.buffer.update_priorities(batch.indices, outcome.value_errors)
        self.counters.global_step = components.trainer.global_step
        if not self._first_step_done:
            self._first_step_done = True
            seconds = seconds_since_process_start()
            logger.info("First training step %.1f s after launch.", seconds)
            self._event("System/seconds_to_first_step", seconds)
        metrics = outcome.as_metrics()
        self.helpers.last_losses = metrics
        for key, name in (
            ("total_loss", "Loss/total"),
            ("policy_loss", "Loss/policy"),
            ("value_loss", "Loss/value"),
            ("entropy", "Loss/entropy"),
            ("grad_norm", "Train/grad_norm"),
            ("learning_rate", "LearningRate"),
        ):
            self._event(name, metrics[key])
        self._event(STEP_EVENT, 1)
        self._event("PER/beta", components.buffer.beta(self.global_step))
        self._event("Buffer/size", len(components.buffer))
        self.helpers.record_rates()
        _, moves_per_s = self.helpers.rates()
        self._event("Rate/moves_per_sec", moves_per_s)
        if self.global_step % config.worker_update_freq_steps == 0:
            self.worker_manager.update_weights(components.network.get_weights(), self.global_step)
            self.counters.weight_updates += 1
            self._event("Progress/weight_updates", self.counters.weight_updates)
        save_checkpoint = self.global_step % config.checkpoint_save_freq_steps == 0
        save_buffer = self.global_step % config.buffer_save_freq_steps == 0
        evaluate = self.evaluation.is_due(self.global_step)
        if save_checkpoint or save_buffer or evaluate:
            # An evaluated step has its checkpoint on disk, to become best.pt if it wins.
            self.save(save_buffer=save_buffer)
        if evaluate:
            self.evaluation.start(self.global_step, components.network.get_weights())

    def _take_evaluation(self, outcome: EvaluationOutcome | None) -> None:
        """Log a finished evaluation at the step it evaluated, dated when that step's
        weights were taken; mark a new best checkpoint."""
        if outcome is None:
            return
        metrics = outcome.summary.as_metrics()
        if outcome.is_best:
            metrics["Eval/best_mean_score"] = outcome.summary.mean_score
        for name, value in metrics.items():
            self._stats.add(
                RawMetricEvent(
                    name=name,
                    value=value,
                    global_step=outcome.step,
                    timestamp=outcome.weights_taken_at,
                )
            )
        if not outcome.is_best:
            return
        try:
            best = self.components.store.mark_best(outcome.step)
        except (FileNotFoundError, CheckpointSaveError) as error:
            logger.warning("Could not mark step %d as best: %s", outcome.step, error)
            return
        self._write_run_state()
        logger.info("Marked the checkpoint of step %d as best (%s).", outcome.step, best)

    def _best_from_run_state(self) -> float | None:
        """The best evaluation score of this run so far, if it is being resumed."""
        path = self.components.run_context.run_dir / RUN_STATE_FILE
        try:
            value = json.loads(path.read_text()).get("best_eval_mean_score")
        except (OSError, ValueError):
            return None
        return float(value) if isinstance(value, int | float) else None

    def _skip_update(self, loss: float, grad_norm: float) -> None:
        """Count a NaN/inf update that the trainer skipped; stop after too many in a row."""
        self._bad_in_row += 1
        self.counters.skipped_updates += 1
        self._event("Train/skipped_updates", self.counters.skipped_updates)
        limit = self.train_config.max_consecutive_bad_updates
        logger.warning(
            "Skipped the update at step %d: loss %s, gradient norm %s (%d in a row, %d in all).",
            self.global_step,
            loss,
            grad_norm,
            self._bad_in_row,
            self.counters.skipped_updates,
        )
        if self._bad_in_row >= limit:
            latest = self.components.store.latest_path
            kept = (
                f"the last good checkpoint {latest} is kept"
                if latest.is_file()
                else "no checkpoint had been saved yet"
            )
            raise TrainingDivergedError(
                f"training diverged: {self._bad_in_row} updates in a row at step "
                f"{self.global_step} had a NaN or infinite loss or gradient "
                f"(max_consecutive_bad_updates = {limit}); {kept}"
            )

    # --- metrics and saving ---

    def _event(self, name: str, value: float) -> None:
        self._stats.add(RawMetricEvent(name=name, value=value, global_step=self.global_step))

    def _flush_events(self, force: bool = False) -> None:
        """Hand buffered events to the stats actor (see StatsSender: restarts lose none)."""
        self._event("Progress/episodes_played", self.counters.episodes_played)
        self._event("Progress/total_simulations", self.counters.total_simulations)
        self._event("System/worker_restarts", self.counters.worker_restarts)
        self._event("Train/skipped_updates", self.counters.skipped_updates)
        if force:
            self._stats.flush_and_wait(self.global_step)
        else:
            self._stats.flush(self.global_step)

    def save(self, *, save_buffer: bool) -> None:
        """Write the checkpoint (and buffer) of this step, then the run's state file.

        Every file is written beside its target and renamed over it, and signal
        handlers only set a flag, so neither a crash nor a second Ctrl-C leaves a
        half-written file. A failed write raises CheckpointSaveError.
        """
        last_step, buffer_saved = self._saved_at
        if last_step == self.global_step and (buffer_saved or not save_buffer):
            return  # this exact state is already on disk
        components = self.components
        step = self.global_step
        if save_buffer:
            components.store.save_buffer(components.buffer, step)
            self._buffer_step = step
        extras = training_extras(
            counters=self.counters,
            trainer=components.trainer,
            buffer=components.buffer,
            run_name=components.run_context.run_name,
            mlflow_run_id=components.mlflow_run_id,
            buffer_step=self._buffer_step,
        )
        components.store.save_checkpoint(components.network, step, extras)
        self._saved_at = (step, save_buffer)
        self._write_run_state()
        logger.info("Saved checkpoint%s at step %d.", " and buffer" if save_buffer else "", step)

    def _write_run_state(self) -> None:
        context = self.components.run_context
        state = {
            "run_name": context.run_name,
            "global_step": self.global_step,
            "max_training_steps": self.train_config.max_training_steps,
            "finished": self.finished,
            "buffer_size": len(self.components.buffer),
            "episodes_played": self.counters.episodes_played,
            "latest_checkpoint": str(self.components.store.latest_path),
            "mlflow_run_id": self.components.mlflow_run_id,
            "counters": self.counters.as_dict(),
            "best_eval_mean_score": self.evaluation.best_mean_score,
        }
        text = json.dumps(state, indent=2).encode()
        write_atomically(context.run_dir / RUN_STATE_FILE, lambda handle: handle.write(text))

    def _log_progress(self) -> None:
        components = self.components
        logger.info(
            self.helpers.progress_line(
                global_step=self.global_step,
                games=self.counters.episodes_played,
                buffer_size=len(components.buffer),
                buffer_capacity=components.buffer.capacity,
                min_buffer=self.train_config.min_buffer_size_to_train,
            )
        )
