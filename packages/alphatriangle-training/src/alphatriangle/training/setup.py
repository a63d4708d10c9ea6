"""setup_training_components: Ray, resources, configs, network, buffer, trainer, trieye.

Everything is built in the driver from the `RunContext`'s absolute paths. On any
failure the actors created so far are killed and Ray is shut down if we started it,
so a failed setup leaves no processes behind.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import ray
import torch

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
)
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import ExperienceBuffer, Trainer

from .components import TrainingComponents
from .logging_utils import log_configs_to_mlflow
from .stats_config import build_trieye_config

logger = logging.getLogger(__name__)
LATEST_CHECKPOINT = "latest.pkl"
LATEST_BUFFER = "buffer.pkl"


def init_ray(run_context: RunContext) -> bool:
    """Join `run_context.ray_address` or start a local Ray; True if this call started it.

    Workers use the driver's interpreter and environment rather than one uv would
    re-create for them in a temporary directory (shared/FACTS.md).
    """
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    # Ray starts its workers at niceness 15 below the driver; the trainer in the driver
    # would then starve self-play of its cores. Workers and trainer get equal priority.
    os.environ.setdefault("RAY_worker_niceness", "0")
    if ray.is_initialized():
        return False
    if run_context.ray_address:
        ray.init(address=run_context.ray_address, log_to_driver=False)
    else:
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    return True


def detect_workers(train_config: TrainConfig) -> tuple[int, float]:
    """(self-play workers, GPUs per worker): one worker per CPU, one CPU left for the trainer."""
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cpus = int(resources.get("CPU", 1))
    gpus = float(resources.get("GPU", 0.0))
    workers = max(1, min(train_config.num_self_play_workers, cpus - 1))
    worker_gpus = 0.0
    if train_config.worker_device != "cpu" and gpus > 0:
        worker_gpus = min(1.0, gpus / (workers + 1))
    logger.info("Ray sees %d CPU(s) and %g GPU(s): %d self-play worker(s).", cpus, gpus, workers)
    return workers, worker_gpus


def set_trainer_threads(train_config: TrainConfig, num_workers: int) -> int:
    """Give the trainer the cores the workers leave (or `trainer_torch_threads`); returns it."""
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    spare = int(resources.get("CPU", 1)) - num_workers
    threads = train_config.trainer_torch_threads or max(1, spare)
    torch.set_num_threads(threads)
    logger.info("The trainer uses %d torch thread(s).", threads)
    return threads


def prepare_mlflow_experiment(run_context: RunContext) -> str:
    """Create the MLflow experiment with an absolute artifact location before trieye uses it."""
    import mlflow

    run_context.app_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(run_context.mlflow_tracking_uri)
    experiment = mlflow.get_experiment_by_name(run_context.app_name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(
        mlflow.create_experiment(
            run_context.app_name, artifact_location=run_context.mlflow_artifacts_dir.as_uri()
        )
    )


def _resume_paths(run_context: RunContext) -> tuple[Path | None, Path | None]:
    checkpoint = run_context.checkpoints_dir / LATEST_CHECKPOINT
    buffer = run_context.buffers_dir / LATEST_BUFFER
    if run_context.resume and checkpoint.is_file():
        return checkpoint, buffer if buffer.is_file() else None
    explicit = run_context.load_checkpoint
    if explicit is not None and explicit.suffix == ".pkl":
        return explicit, None
    return None, None


def setup_training_components(
    run_context: RunContext,
    *,
    env_config: EnvConfig | None = None,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    mcts_config: AlphaTriangleMCTSConfig | None = None,
) -> tuple[TrainingComponents | None, bool]:
    """Build everything a run needs. Returns (components or None on failure, Ray started here)."""
    env_config = env_config or EnvConfig()
    model_config = model_config or ModelConfig()
    train_config = (train_config or TrainConfig()).with_updates(random_seed=run_context.seed)
    mcts_config = mcts_config or AlphaTriangleMCTSConfig()
    owned_ray = False
    actor: Any = None
    try:
        owned_ray = init_ray(run_context)
        num_workers, worker_gpus = detect_workers(train_config)
        set_trainer_threads(train_config, num_workers)
        prepare_mlflow_experiment(run_context)
        load_checkpoint, load_buffer = _resume_paths(run_context)
        trieye_config = build_trieye_config(
            run_context,
            stats_interval_seconds=train_config.stats_interval_seconds,
            load_checkpoint=load_checkpoint,
            load_buffer=load_buffer,
        )
        from trieye import TrieyeActor

        actor_name = f"trieye_actor_{run_context.run_name}"
        actor = TrieyeActor.options(name=actor_name, num_cpus=0, max_restarts=0).remote(
            trieye_config
        )
        mlflow_run_id = ray.get(actor.get_mlflow_run_id.remote(), timeout=120)
        if mlflow_run_id is None:
            raise RuntimeError(
                f"MLflow tracking did not start at {run_context.mlflow_tracking_uri}; "
                f"see {run_context.logs_dir} for trieye's log"
            )
        network = NeuralNetwork(
            model_config=model_config,
            env_config=env_config,
            device=train_config.device,
            seed=run_context.seed,
        )
        buffer = ExperienceBuffer.from_config(train_config, seed=run_context.seed)
        trainer = Trainer(network=network, config=train_config)
        components = TrainingComponents(
            run_context=run_context,
            env_config=env_config,
            model_config=model_config,
            train_config=train_config,
            mcts_config=mcts_config,
            network=network,
            buffer=buffer,
            trainer=trainer,
            trieye_actor=actor,
            trieye_actor_name=actor_name,
            num_workers=num_workers,
            worker_num_gpus=worker_gpus,
            owned_ray=owned_ray,
        )
        _restore(components, actor)
        configs = {
            "env": env_config,
            "model": model_config,
            "train": train_config,
            "mcts": mcts_config,
            "run": run_context,
        }
        ray.get(
            actor.save_run_config.remote(
                {k: v.model_dump(mode="json") for k, v in configs.items()}
            ),
            timeout=120,
        )
        log_configs_to_mlflow(
            tracking_uri=run_context.mlflow_tracking_uri, run_id=mlflow_run_id, configs=configs
        )
        return components, owned_ray
    except Exception:
        logger.exception("Setting up the training run failed.")
        if actor is not None:
            _kill_quietly(actor)
        if owned_ray and ray.is_initialized():
            ray.shutdown()
        return None, owned_ray


def _restore(components: TrainingComponents, actor: Any) -> None:
    """Load the checkpoint and buffer trieye found, or the explicit `.pt` weights."""
    context = components.run_context
    explicit = context.load_checkpoint
    if explicit is not None and explicit.suffix != ".pkl":
        components.network.load(explicit)
        logger.info("Loaded network weights from %s.", explicit)
    loaded = ray.get(actor.load_initial_state.remote(), timeout=600)
    checkpoint = loaded.checkpoint_data
    if checkpoint is not None:
        components.network.set_weights(checkpoint.model_state_dict)
        resuming_own = checkpoint.run_name == context.run_name
        if resuming_own:
            trainer_state = dict(checkpoint.user_data.get("trainer", {}))
            trainer_state["optimizer"] = checkpoint.optimizer_state_dict
            components.trainer.load_state_dict(trainer_state)
            components.episodes_played = checkpoint.episodes_played
            components.total_simulations = checkpoint.total_simulations_run
            components.resumed_from_step = checkpoint.global_step
        logger.info(
            "Restored %s checkpoint at step %d (run %s).",
            "the run's" if resuming_own else "weights from a",
            checkpoint.global_step,
            checkpoint.run_name,
        )
    if loaded.buffer_data is not None and loaded.buffer_data.buffer_list:
        components.buffer.load_state_dict(loaded.buffer_data.buffer_list[0])
        logger.info("Restored the replay buffer with %d positions.", len(components.buffer))


def _kill_quietly(actor: Any) -> None:
    try:
        ray.kill(actor)
    except Exception:
        logger.debug("Actor already gone.", exc_info=True)
