"""TrainingLoop: the schedule of a run, top to bottom.

One driver thread repeats, in this order:

1. collect finished games from the workers (waiting briefly only while training
   must wait for data), and take the ones that pass the intake;
2. add them to the replay buffer;
3. train: once the buffer holds `min_buffer_size_to_train` positions and training is
   not ahead of self-play (`max_samples_per_position`), sample a batch, take one
   update and send the new priorities back;
4. broadcast the weights to the workers every `worker_update_freq_steps` updates;
5. save the checkpoint every `checkpoint_save_freq_steps` and the buffer every
   `buffer_save_freq_steps` updates (and the checkpoint of every evaluated step);
6. evaluate every `eval_interval_steps` updates, off the hot path, and take finished
   evaluations (a new best becomes `best.pt`);

and sends metric events and a progress line on their intervals. At the end (step
limit, time budget or stop request) it saves checkpoint and buffer. With a time budget
(`max_minutes`) the trainer's learning-rate cosine and the buffer's PER beta follow the
budget's spent fraction (`RunBudget.progress`) instead of the step count.

Every role was built by `setup_training_components` and comes in with the components:
the loop only drives them. Faults are survived where that is safe: dead workers are
replaced (WorkerManager), a stats actor that is down only costs metrics, and a NaN/inf
update is skipped and counted, until `max_consecutive_bad_updates` in a row stop the
run with the last good checkpoint left as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from alphatriangle.nn import FeatureSpec
from alphatriangle.rl import metric_names as names

from ..roles.periodic_eval import EvaluationOutcome
from ..roles.result_intake import (
    CollectedResults,
    search_positions_per_move,
    validate_result,
)
from ..store.checkpoints import CheckpointSaveError
from ..store.resume import training_extras
from ..store.run_settings import RunSettings
from ..store.run_state import RunState
from ..telemetry.events import RunMetrics
from ..telemetry.progress import LoopHelpers, trainer_wait_reason
from ..telemetry.run_logs import seconds_since_process_start
from .budget import RunBudget
from .components import TrainingComponents

logger = logging.getLogger(__name__)
FINAL_EVALUATION_WAIT_SECONDS = 300.0
"""How long a run that reached its step limit or budget waits for an evaluation still playing."""
COLLECT_WAIT_SECONDS = 0.5
"""How long a collect waits for games while training cannot go on without them."""


class TrainingDivergedError(RuntimeError):
    """Too many NaN/inf updates in a row: the run stops; the last good checkpoint stays."""


class TrainingLoop:
    """Runs one training run to its step limit or time budget, or until `request_stop`."""

    def __init__(
        self, components: TrainingComponents, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`clock` times the budget (tests pass a fake one)."""
        self.components = components
        self.train_config = components.train_config
        self.counters = components.counters
        self.budget = RunBudget.of(
            max_steps=self.train_config.max_training_steps,
            max_minutes=self.train_config.max_minutes,
            seconds_before=self.counters.training_seconds,
            clock=clock,
        )
        self.workers = components.workers
        self.evaluation = components.evaluation
        self.store = components.store
        self.metrics = RunMetrics(components.stats)
        self.helpers = LoopHelpers(counters=self.counters, budget=self.budget)
        self.stopped_early = False
        self.stop_reason = ""
        self._stop = threading.Event()
        self._restarts_before = self.counters.worker_restarts
        self._saved_at: tuple[int, bool, float] = (-1, False, -1.0)
        """(step, with its buffer, training seconds) of the last save."""
        self._buffer_step: int | None = None
        self._bad_in_row = 0
        self._first_step_done = False
        spec = FeatureSpec.from_env(components.env_config)
        self._grid_shape = (spec.grid_channels, spec.rows, spec.cols)
        self._action_dim = spec.action_dim
        self._positions_per_move = search_positions_per_move(components.mcts_config)
        self._board_input_count = components.network.board_value_input_count

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
        """The step limit is reached or the time budget spent."""
        return self.budget.finished(self.global_step)

    def run(self) -> None:
        """Train until the step limit, the time budget or a stop request; then save checkpoint
        and buffer.

        On an error the workers are stopped and, unless the error is about the
        saved state itself (divergence, a failed save), a last save is attempted.
        """
        network = self.components.network
        self.workers.start(network.get_weights(), self.global_step)
        self.budget.start()
        self.metrics.value(names.NUM_WORKERS, self.components.num_workers, self.global_step)
        last_stats = last_progress = time.monotonic()
        try:
            while not self.finished and not self.stop_requested:
                self.counters.training_seconds = self.budget.elapsed_seconds
                # 1. Collect.
                wait = 0.0 if self._may_train() else COLLECT_WAIT_SECONDS
                collected = self.workers.collect(timeout=wait)
                self._note_worker_restarts()
                if self.stop_requested:
                    break  # stop taking results: what just arrived is not added
                # 2. Add.
                self._add_games(collected)
                # 3. Train; then 4. broadcast, 5. save and 6. evaluate, on their cadence.
                if self._may_train() and self._update():
                    if self.global_step % self.train_config.worker_update_freq_steps == 0:
                        self._broadcast_weights()
                    self._save_and_evaluate_when_due()
                self._take_evaluation(self.evaluation.poll())
                # Metrics and the progress line, on their intervals.
                now = time.monotonic()
                if now - last_stats >= self.train_config.stats_interval_seconds:
                    self._flush_metrics()
                    last_stats = now
                if now - last_progress >= self.train_config.progress_interval_seconds:
                    self._log_progress()
                    last_progress = now
        except Exception as error:
            self.stopped_early = True
            self.evaluation.cancel()
            self.workers.stop()
            if not isinstance(error, TrainingDivergedError | CheckpointSaveError):
                self._save_after_error()
            self._flush_metrics(wait=True)
            raise
        self.counters.training_seconds = self.budget.elapsed_seconds
        self.stopped_early = not self.finished
        if self.budget.time_spent():
            logger.info(
                "The time budget of %s minutes is spent.", f"{self.train_config.max_minutes:g}"
            )
        self.workers.stop()
        if self.finished:
            self._take_evaluation(self.evaluation.poll(timeout=FINAL_EVALUATION_WAIT_SECONDS))
        self.evaluation.cancel()
        self._log_progress(final=True)
        self.save(save_buffer=True)
        self._flush_metrics(wait=True)

    # --- 1. collect and 2. add ---

    def _note_worker_restarts(self) -> None:
        total = self._restarts_before + self.workers.restarts
        if total != self.counters.worker_restarts:
            self.counters.worker_restarts = total
            self.metrics.value(names.WORKER_RESTARTS, total, self.global_step)

    def _add_games(self, collected: CollectedResults) -> None:
        """Add every sound game to the buffer; a malformed one is dropped, with its reason."""
        self.counters.moves_played += collected.moves_played
        buffer = self.components.buffer
        for result in collected.results:
            problem = validate_result(
                result,
                grid_shape=self._grid_shape,
                action_dim=self._action_dim,
                afterstates_per_move=self._positions_per_move,
                board_input_count=self._board_input_count,
            )
            if problem is not None:
                logger.warning("Dropped a game from worker %d: %s.", result.worker_id, problem)
                continue
            buffer.add(result.experiences)
            self.components.trainer.observe(result.experiences)
            if result.in_play:  # positions of a game still going: its result comes later
                continue
            self.counters.episodes_played += 1
            self.counters.total_simulations += result.simulations
            self.counters.total_afterstates_valued += result.afterstates_valued
            self.counters.score_sum += result.score
            self.counters.scored_games += 1
            self.helpers.record_episode(result)
            self.metrics.game_added(result, step=self.global_step, buffer_size=len(buffer))

    # --- 3. train ---

    def _may_train(self) -> bool:
        """The buffer holds its minimum and training is not ahead of self-play's data:
        after the next update, at most `max_samples_per_position` samples per position
        added so far."""
        return self._trainer_wait() is None

    def _trainer_wait(self) -> str | None:
        """Why the next update must wait, in the progress line's words; None: it may run."""
        config, buffer = self.train_config, self.components.buffer
        return trainer_wait_reason(
            buffer_size=len(buffer),
            min_buffer=config.min_buffer_size_to_train,
            next_step=self.global_step + 1,
            batch_size=config.batch_size,
            positions_added=buffer.total_added,
            max_samples_per_position=config.max_samples_per_position,
        )

    def _update(self) -> bool:
        """Sample a batch, take one update, send its priorities back; False if the trainer
        skipped it (NaN or infinite loss or gradient)."""
        components = self.components
        buffer, trainer = components.buffer, components.trainer
        progress = self.budget.progress(self.global_step)
        trainer.schedule_progress = progress
        batch = buffer.sample(
            self.train_config.batch_size, global_step=self.global_step, progress=progress
        )
        outcome = trainer.train_step(batch)
        if outcome.skipped:
            self._skip_update(outcome.total_loss, outcome.grad_norm)
            return False
        self._bad_in_row = 0
        buffer.update_priorities(batch.indices, outcome.value_errors)
        self.counters.global_step = trainer.global_step
        if not self._first_step_done:
            self._first_step_done = True
            seconds = seconds_since_process_start()
            logger.info("First training step %.1f s after launch.", seconds)
            self.metrics.value(names.SECONDS_TO_FIRST_STEP, seconds, self.global_step)
        losses = outcome.as_metrics()
        self.helpers.last_losses = losses
        self.helpers.record_rates()
        _, moves_per_second = self.helpers.rates()
        self.metrics.update_applied(
            losses,
            step=self.global_step,
            beta=buffer.beta(self.global_step, progress),
            buffer_size=len(buffer),
            moves_per_second=moves_per_second,
        )
        return True

    def _skip_update(self, loss: float, grad_norm: float) -> None:
        """Count a NaN/inf update that the trainer skipped; stop after too many in a row."""
        self._bad_in_row += 1
        self.counters.skipped_updates += 1
        self.metrics.value(names.SKIPPED_UPDATES, self.counters.skipped_updates, self.global_step)
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
            latest = self.store.latest_path
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

    # --- 4. broadcast ---

    def _broadcast_weights(self) -> None:
        self.workers.update_weights(self.components.network.get_weights(), self.global_step)
        self.counters.weight_updates += 1
        self.metrics.value(names.WEIGHT_UPDATES, self.counters.weight_updates, self.global_step)

    # --- 5. save and 6. evaluate ---

    def _save_and_evaluate_when_due(self) -> None:
        config, step = self.train_config, self.global_step
        save_checkpoint = step % config.checkpoint_save_freq_steps == 0
        save_buffer = step % config.buffer_save_freq_steps == 0
        evaluate = self.evaluation.is_due(step)
        if save_checkpoint or save_buffer or evaluate:
            # An evaluated step has its checkpoint on disk, to become best.pt if it wins.
            self.save(save_buffer=save_buffer)
        if evaluate:
            self.evaluation.start(step, self.components.network.get_weights())

    def _take_evaluation(self, outcome: EvaluationOutcome | None) -> None:
        """Log a finished evaluation at the step it evaluated, dated when that step's
        weights were taken; mark a new best checkpoint."""
        if outcome is None:
            return
        self.metrics.evaluation(
            outcome.summary,
            step=outcome.step,
            weights_taken_at=outcome.weights_taken_at,
            is_best=outcome.is_best,
        )
        if not outcome.is_best:
            return
        try:
            best = self.store.mark_best(outcome.step)
        except (FileNotFoundError, CheckpointSaveError) as error:
            logger.warning("Could not mark step %d as best: %s", outcome.step, error)
            return
        self.store.write_run_state(self._run_state())
        logger.info("Marked the checkpoint of step %d as best (%s).", outcome.step, best)

    def save(self, *, save_buffer: bool) -> None:
        """Write the checkpoint (and buffer) of this step, then the run-state file.

        Every file is written beside its target and renamed over it, and signal
        handlers only set a flag, so neither a crash nor a second Ctrl-C leaves a
        half-written file. A failed write raises CheckpointSaveError.
        """
        last_step, buffer_saved, seconds = self._saved_at
        buffer_on_disk = last_step == self.global_step and buffer_saved
        save_buffer = save_buffer and not buffer_on_disk  # a buffer is saved once per step
        unchanged = seconds == self.counters.training_seconds  # else the clock moved on
        if last_step == self.global_step and not save_buffer and unchanged:
            return  # this exact state is already on disk
        components, step = self.components, self.global_step
        if save_buffer:
            self.store.save_buffer(components.buffer, step)
            self._buffer_step = step
        extras = training_extras(
            counters=self.counters,
            trainer=components.trainer,
            buffer=components.buffer,
            run_name=components.run_context.run_name,
            mlflow_run_id=components.mlflow_run_id,
            buffer_step=self._buffer_step,
            mcts_config=components.mcts_config,
        )
        self.store.save_checkpoint(components.network, step, extras)
        self._saved_at = (step, save_buffer or buffer_on_disk, self.counters.training_seconds)
        self.store.write_run_state(self._run_state())
        logger.info("Saved checkpoint%s at step %d.", " and buffer" if save_buffer else "", step)

    def _save_after_error(self) -> None:
        try:
            self.save(save_buffer=True)
        except Exception:
            logger.exception("Could not save after the error; the previous checkpoint stays.")

    def _run_state(self) -> RunState:
        components = self.components
        return RunState(
            run_name=components.run_context.run_name,
            global_step=self.global_step,
            max_training_steps=self.train_config.max_training_steps,
            max_minutes=self.train_config.max_minutes,
            finished=self.finished,
            buffer_size=len(components.buffer),
            episodes_played=self.counters.episodes_played,
            latest_checkpoint=str(self.store.latest_path),
            mlflow_run_id=components.mlflow_run_id,
            counters=self.counters.as_dict(),
            best_eval_mean_score=self.evaluation.best_mean_score,
            settings=RunSettings(
                seed=components.run_context.seed,
                env=components.env_config,
                model=components.model_config,
                train=self.train_config,
                mcts=components.mcts_config,
            ).to_json(),
        )

    # --- metrics and the progress line ---

    def _flush_metrics(self, *, wait: bool = False) -> None:
        """The totals, then every event to the stats actor (StatsSender: restarts lose none)."""
        self.metrics.totals(self.counters)
        self.metrics.flush(self.global_step, wait=wait)

    def _log_progress(self, *, final: bool = False) -> None:
        """The progress line; the `final` one at the end only if it shows something new."""
        buffer = self.components.buffer
        figures = {
            "global_step": self.global_step,
            "games": self.counters.episodes_played,
            "buffer_size": len(buffer),
        }
        if final and not self.helpers.has_news(**figures):
            return
        waiting = None if final else self._trainer_wait()
        logger.info(
            self.helpers.progress_line(**figures, buffer_capacity=buffer.capacity, waiting=waiting)
        )
