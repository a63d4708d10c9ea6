"""run_training: logging, setup, the loop, and cleanup that happens whatever went wrong."""

from __future__ import annotations

import logging

import ray

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
)

from .logging_utils import remove_logging_handlers, setup_logging
from .loop import TrainingLoop
from .setup import setup_training_components

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def run_training(
    run_context: RunContext,
    *,
    env_config: EnvConfig | None = None,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    mcts_config: AlphaTriangleMCTSConfig | None = None,
    log_level: str = "INFO",
) -> int:
    """Run one training run; returns 0 at its end, 130 if interrupted (after saving), 1 on error."""
    setup_logging(log_level, run_context.logs_dir / f"{run_context.run_name}_driver.log")
    logger.info("Run %s: data under %s", run_context.run_name, run_context.run_dir)
    components, owned_ray = None, False
    loop: TrainingLoop | None = None
    exit_code = EXIT_FAILED
    try:
        components, owned_ray = setup_training_components(
            run_context,
            env_config=env_config,
            model_config=model_config,
            train_config=train_config,
            mcts_config=mcts_config,
        )
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
        try:
            loop.run()
        except KeyboardInterrupt:
            logger.warning("Interrupted: saving before exit.")
            loop.request_stop()
            loop.save(save_buffer=True)
            return EXIT_INTERRUPTED
        exit_code = EXIT_OK if loop.finished else EXIT_INTERRUPTED
        logger.info("Run %s stopped at step %d.", run_context.run_name, loop.global_step)
        return exit_code
    except KeyboardInterrupt:
        logger.warning("Interrupted during setup.")
        return EXIT_INTERRUPTED
    except Exception:
        logger.exception("Training failed.")
        return EXIT_FAILED
    finally:
        _cleanup(components, loop, owned_ray)
        remove_logging_handlers()


def _cleanup(components: object, loop: TrainingLoop | None, owned_ray: bool) -> None:
    """Stop workers, flush and shut down the stats actor, and shut Ray down if we started it."""
    if loop is not None:
        loop.worker_manager.stop()
    actor = getattr(components, "trieye_actor", None)
    if actor is not None and ray.is_initialized():
        try:
            ray.get(actor.shutdown.remote(), timeout=120)
        except Exception:
            logger.warning("The stats actor did not shut down cleanly.", exc_info=True)
        try:
            ray.kill(actor)
        except Exception:
            logger.debug("Stats actor already gone.", exc_info=True)
    if owned_ray and ray.is_initialized():
        ray.shutdown()
