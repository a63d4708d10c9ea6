"""TrainingLoop: self-play results in, training steps out, metrics and checkpoints on cadence.

One driver thread does everything in order: collect finished games from the workers
(waiting briefly only while the buffer is too small to train), add them to the
buffer, take a training step, broadcast weights every `worker_update_freq_steps`,
send metric events to the TrieyeActor, and save on the configured cadence.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from typing import Any

import ray
from trieye import RawMetricEvent

from alphatriangle.nn import FeatureSpec

from .components import TrainingComponents
from .loop_helpers import LoopHelpers, validate_result
from .stats_config import EPISODE_EVENT, SIMULATIONS_EVENT, STEP_EVENT
from .worker_manager import WorkerManager

logger = logging.getLogger(__name__)
RUN_STATE_FILE = "run_state.json"


class TrainingLoop:
    """Runs one training run to its step limit or until `request_stop`."""

    def __init__(self, components: TrainingComponents) -> None:
        self.components = components
        self.train_config = components.train_config
        self.global_step = components.resumed_from_step or 0
        self.episodes_played = components.episodes_played
        self.total_simulations = components.total_simulations
        self.weight_updates = 0
        self.moves_played = 0
        self.stopped_early = False
        self._stop = threading.Event()
        self._saved_at: tuple[int, bool] = (-1, False)
        self._events: list[RawMetricEvent] = []
        spec = FeatureSpec.from_env(components.env_config)
        self._grid_shape = (spec.grid_channels, spec.rows, spec.cols)
        self._action_dim = spec.action_dim
        self.helpers = LoopHelpers(max_steps=self.train_config.max_training_steps)
        self.worker_manager = WorkerManager(
            num_workers=components.num_workers,
            env_config=components.env_config,
            model_config=components.model_config,
            mcts_config=components.mcts_config,
            train_config=self.train_config,
            seed=components.run_context.seed + self.global_step,
            num_gpus_per_worker=components.worker_num_gpus,
        )

    def request_stop(self) -> None:
        """Ask the loop to finish after the current iteration (thread-safe)."""
        self._stop.set()

    @property
    def finished(self) -> bool:
        limit = self.train_config.max_training_steps
        return limit is not None and self.global_step >= limit

    def run(self) -> None:
        """Train until the step limit or a stop request; always saves on the way out."""
        components = self.components
        self.worker_manager.start(components.network.get_weights(), self.global_step)
        self._event("System/num_workers", components.num_workers)
        last_stats = last_progress = time.monotonic()
        self.helpers.record_rates(self.global_step, 0)
        try:
            while not self.finished and not self._stop.is_set():
                can_train = components.buffer.is_ready(self.train_config.min_buffer_size_to_train)
                collected = self.worker_manager.collect(timeout=0.0 if can_train else 0.5)
                self.moves_played += collected.moves_played
                for result in collected.results:
                    self._add_result(result)
                if components.buffer.is_ready(self.train_config.min_buffer_size_to_train):
                    self._train_step()
                now = time.monotonic()
                if now - last_stats >= self.train_config.stats_interval_seconds:
                    self._flush_events()
                    last_stats = now
                if now - last_progress >= self.train_config.progress_interval_seconds:
                    self._log_progress()
                    last_progress = now
        finally:
            self.stopped_early = not self.finished
            self.worker_manager.stop()
        self._log_progress()
        self.save(save_buffer=True)
        self._flush_events(force=True)

    # --- steps ---

    def _add_result(self, result: Any) -> None:
        problem = validate_result(result, grid_shape=self._grid_shape, action_dim=self._action_dim)
        if problem is not None:
            logger.warning("Dropped a game from worker %d: %s.", result.worker_id, problem)
            return
        self.components.buffer.add(result.experiences)
        self.episodes_played += 1
        self.total_simulations += result.simulations
        self.helpers.record_episode(result)
        self._events.append(
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
        outcome = components.trainer.train_step(batch)
        components.buffer.update_priorities(batch.indices, outcome.value_errors)
        self.global_step = components.trainer.global_step
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
        self.helpers.record_rates(self.global_step, self.moves_played)
        _, moves_per_s = self.helpers.rates()
        self._event("Rate/moves_per_sec", moves_per_s)
        if self.global_step % config.worker_update_freq_steps == 0:
            self.worker_manager.update_weights(components.network.get_weights(), self.global_step)
            self.weight_updates += 1
            self._event("Progress/weight_updates", self.weight_updates)
        save_checkpoint = self.global_step % config.checkpoint_save_freq_steps == 0
        save_buffer = self.global_step % config.buffer_save_freq_steps == 0
        if save_checkpoint or save_buffer:
            self.save(save_buffer=save_buffer)

    # --- metrics and saving ---

    def _event(self, name: str, value: float) -> None:
        self._events.append(RawMetricEvent(name=name, value=value, global_step=self.global_step))

    def _flush_events(self, force: bool = False) -> None:
        actor = self.components.trieye_actor
        self._event("Progress/episodes_played", self.episodes_played)
        self._event("Progress/total_simulations", self.total_simulations)
        if self._events:
            actor.log_batch_events.remote(self._events)
            self._events = []
        if force:
            ray.get(actor.force_process_and_log.remote(self.global_step), timeout=120)
        else:
            actor.process_and_log.remote(self.global_step)

    def save(self, *, save_buffer: bool) -> None:
        """Ask trieye to write checkpoint (and buffer), then record the run's state beside them."""
        last_step, buffer_saved = self._saved_at
        if last_step == self.global_step and (buffer_saved or not save_buffer):
            return  # this exact state is already on disk
        self._saved_at = (self.global_step, save_buffer)
        components = self.components
        trainer_state = components.trainer.state_dict()
        optimizer_state = trainer_state.pop("optimizer")
        ray.get(
            components.trieye_actor.save_training_state.remote(
                nn_state_dict=components.network.get_weights(),
                optimizer_state_dict=optimizer_state,
                buffer_content=[components.buffer.state_dict()] if save_buffer else [],
                global_step=self.global_step,
                episodes_played=self.episodes_played,
                total_simulations_run=self.total_simulations,
                save_buffer=save_buffer,
                model_config_dict=components.model_config.model_dump(mode="json"),
                env_config_dict=components.env_config.model_dump(mode="json"),
                user_data={"trainer": trainer_state},
            ),
            timeout=600,
        )
        self._write_run_state()
        logger.info(
            "Saved checkpoint%s at step %d.", " and buffer" if save_buffer else "", self.global_step
        )

    def _write_run_state(self) -> None:
        context = self.components.run_context
        state = {
            "run_name": context.run_name,
            "global_step": self.global_step,
            "max_training_steps": self.train_config.max_training_steps,
            "finished": self.finished,
            "buffer_size": len(self.components.buffer),
            "episodes_played": self.episodes_played,
        }
        target = context.run_dir / RUN_STATE_FILE
        fd, tmp = tempfile.mkstemp(dir=context.run_dir, prefix=f".{RUN_STATE_FILE}.")
        with os.fdopen(fd, "w") as handle:
            json.dump(state, handle, indent=2)
        os.replace(tmp, target)

    def _log_progress(self) -> None:
        components = self.components
        logger.info(
            self.helpers.progress_line(
                global_step=self.global_step,
                games=self.episodes_played,
                buffer_size=len(components.buffer),
                buffer_capacity=components.buffer.capacity,
                min_buffer=self.train_config.min_buffer_size_to_train,
            )
        )
