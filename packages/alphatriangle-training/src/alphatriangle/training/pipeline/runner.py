"""run_training: logging, setup, the loop, signals, and cleanup whatever went wrong.

Exit codes (`exit_codes`): 0 the run reached its step limit or spent its time budget;
1 it failed (see the log; the last good checkpoint stays); 2 bad input: its saved state
or `--load-checkpoint` cannot be used, or the Ray cluster of `--ray-address` cannot be
joined (nothing was overwritten); 130 stopped by SIGINT (Ctrl-C) and 143 by SIGTERM,
after saving checkpoint and buffer and flushing metrics.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import ray

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
    TurnSearchConfig,
)
from alphatriangle.config.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
)

from ..cluster.connect import ClusterJoinError
from ..store.checkpoints import ResumeError
from ..store.run_settings import StartSettings
from ..telemetry.mlflow_run import mark_mlflow_run_end
from ..telemetry.run_logs import remove_logging_handlers, setup_logging
from ..telemetry.stats_actor import call_stats_actor
from .components import TrainingComponents
from .guidance import next_step_lines, plan_line
from .loop import TrainingLoop
from .setup import setup_training_components

logger = logging.getLogger(__name__)

_EXIT_FOR_SIGNAL = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}


class StopSignals:
    """SIGINT/SIGTERM handlers that only record the signal and ask the loop to stop.

    They never raise, so a signal cannot cut a save in half: the loop finishes its
    iteration, saves and exits; further signals while that happens are logged and
    otherwise ignored.
    """

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self.loop: TrainingLoop | None = None
        self._active = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        received = signal.Signals(signum)
        if self.received is not None:
            logger.warning("%s again: still saving, please wait.", received.name)
            return
        self.received = received
        logger.warning("%s received: stopping, saving checkpoint and buffer.", received.name)
        if self.loop is not None:
            self.loop.request_stop(received.name)

    @property
    def exit_code(self) -> int | None:
        return None if self.received is None else _EXIT_FOR_SIGNAL[self.received]

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Install the handlers (main thread only; elsewhere the caller stops the loop)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {
            s: signal.signal(s, self.handle) for s in _EXIT_FOR_SIGNAL
        }
        self._active = True
        try:
            yield
        finally:
            self._active = False
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def reinstall(self) -> None:
        """Take the signals back after `ray.init`, whose core worker installs its own
        SIGTERM handler (it aborts the process with a stack trace, exit 134)."""
        if self._active and threading.current_thread() is threading.main_thread():
            for signum in _EXIT_FOR_SIGNAL:
                signal.signal(signum, self.handle)


def run_training(
    run_context: RunContext,
    *,
    env_config: EnvConfig | None = None,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    mcts_config: AlphaTriangleMCTSConfig | None = None,
    log_level: str = "INFO",
    start: StartSettings | None = None,
) -> int:
    """Run one training run; returns the exit code (see the module docstring).

    `start` says where the configs came from (the command line passes it): a resumed
    run's saved settings, and the changes this start makes to them, are logged and
    the changes recorded in the MLflow run.
    """
    setup_logging(log_level, run_context.driver_log_path)
    logger.info("Run %s: data under %s", run_context.run_name, run_context.run_dir)
    if start is not None:
        log_start_settings(start)
    logger.info("%s", plan_line(train_config or TrainConfig()))
    signals = StopSignals()
    state = _RunParts()
    exit_code = EXIT_FAILED
    # The handlers stay in place until Ray is down: a second Ctrl-C during the
    # shutdown must not raise KeyboardInterrupt inside Ray's own teardown.
    with signals.installed():
        try:
            exit_code = _train(
                run_context,
                state,
                signals,
                env_config=env_config,
                model_config=model_config,
                train_config=train_config,
                mcts_config=mcts_config,
                setting_changes=start.changes if start is not None else [],
            )
            return exit_code
        finally:
            shutdown_run(state.components, state.owned_ray, exit_code=exit_code)
            if state.trained is not None:
                for line in next_step_lines(run_context, finished=state.trained):
                    logger.info("%s", line)
            remove_logging_handlers()


@dataclass
class _RunParts:
    """What `_train` has started so far, for `shutdown_run` to stop whatever happens."""

    components: TrainingComponents | None = None
    owned_ray: bool = False
    trained: bool | None = None
    """None until the loop ran; then whether it reached its limit (`TrainingLoop.finished`)."""


def _train(
    run_context: RunContext,
    state: _RunParts,
    signals: StopSignals,
    **configs: Any,
) -> int:
    try:
        try:
            state.components, state.owned_ray = setup_training_components(run_context, **configs)
        except ResumeError as error:
            logger.error("Cannot resume run %s: %s", run_context.run_name, error)
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except ClusterJoinError as error:
            logger.error("Cannot start run %s: %s", run_context.run_name, error)
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        signals.reinstall()
        components = state.components
        if components is None:
            return EXIT_FAILED
        if components.resumed_from_step is not None:
            logger.info(
                "Resuming run %s at step %d with %d positions in the buffer.",
                run_context.run_name,
                components.resumed_from_step,
                len(components.buffer),
            )
        loop = TrainingLoop(components)
        signals.loop = loop
        if signals.received is not None:
            logger.warning("Stopped during setup; nothing was trained.")
            return signals.exit_code or EXIT_INTERRUPTED
        try:
            loop.run()
        finally:
            state.trained = loop.finished
        logger.info("Run %s stopped at step %d.", run_context.run_name, loop.global_step)
        if signals.exit_code is not None:
            return signals.exit_code
        return EXIT_OK if loop.finished else EXIT_INTERRUPTED
    except KeyboardInterrupt:
        logger.warning("Interrupted.")
        return EXIT_INTERRUPTED
    except Exception as error:
        logger.exception("Training failed: %s", error)
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED


def log_start_settings(start: StartSettings) -> None:
    """Say that a resumed run trains with its own settings, and each change this start makes."""
    if start.note is not None:
        logger.warning("%s", start.note)
    if start.converted is not None:
        logger.info("%s", start.converted)
    if start.restored_from is None:
        return
    train = start.settings.train
    minutes = "none" if train.max_minutes is None else f"{train.max_minutes:g} minutes"
    mcts = start.settings.mcts
    search = (
        f"{mcts.algorithm} search"
        if isinstance(mcts, TurnSearchConfig)
        else f"{mcts.algorithm} search at {mcts.max_simulations} simulations"
    )
    logger.info(
        "Restored the settings the run was started with from %s (step limit %s, time budget "
        "%s, %s).",
        start.restored_from,
        train.max_training_steps,
        minutes,
        search,
    )
    for change in start.changes:
        logger.info("Changed on resume: %s -> %r.", f"{change.name} {change.saved!r}", change.given)


def shutdown_run(
    components: TrainingComponents | None, owned_ray: bool, *, exit_code: int = EXIT_OK
) -> None:
    """Stop workers, flush and shut down the stats actor, and shut Ray down if this run
    connected it (a private Ray stops; a joined cluster is only left, and keeps running).

    The stats actor ends its MLflow run as FINISHED; a run stopped by a signal is then
    marked KILLED and a failed one FAILED, so the MLflow UI tells them apart.
    """
    if components is not None:
        components.workers.stop()
        if ray.is_initialized():
            try:
                call_stats_actor(components.trieye_actor, "shutdown")
            except Exception:
                logger.warning("The stats actor did not shut down cleanly.", exc_info=True)
            try:
                ray.kill(components.trieye_actor)
            except Exception:
                logger.debug("Stats actor already gone.", exc_info=True)
        mark_mlflow_run_end(components.run_context, components.mlflow_run_id, exit_code)
    if owned_ray and ray.is_initialized():
        ray.shutdown()
