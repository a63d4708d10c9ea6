"""setup_training_components: network, buffer, trainer, resume, then Ray and trieye.

Everything is built in the driver from the `RunContext`'s absolute paths. A cluster
given by `ray_address` is joined first, so an address that cannot be joined raises
ClusterJoinError before the run's saved state is read or set aside; a private local
Ray starts after the saved state is restored, so a checkpoint that cannot be used
(none readable, another board) raises ResumeError at once. The caller exits 2 on
both. On any other failure the actors created so far are killed and Ray is shut down
(or the cluster left) if this setup connected it, so a failed setup leaves no
processes behind.
"""

from __future__ import annotations

import logging
from typing import Any

import ray

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
)
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import ExperienceBuffer, Trainer

from ..cluster.connect import init_ray
from ..cluster.resources import detect_workers, set_trainer_threads
from ..store.checkpoints import CheckpointStore, ResumeError
from ..store.resume import RunCounters, restore_or_start
from ..telemetry.mlflow_run import log_configs_to_mlflow, mlflow_run_for, prepare_mlflow_experiment
from ..telemetry.stats_actor import start_stats_actor
from .components import TrainingComponents

logger = logging.getLogger(__name__)


def setup_training_components(
    run_context: RunContext,
    *,
    env_config: EnvConfig | None = None,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    mcts_config: AlphaTriangleMCTSConfig | None = None,
) -> tuple[TrainingComponents | None, bool]:
    """Build everything a run needs. Returns (components or None on failure, Ray started here).

    Raises ResumeError, before anything is started, when the run's saved state or
    `--load-checkpoint` cannot be used.
    """
    env_config = env_config or EnvConfig()
    model_config = model_config or ModelConfig()
    train_config = (train_config or TrainConfig()).with_updates(random_seed=run_context.seed)
    mcts_config = mcts_config or AlphaTriangleMCTSConfig()
    network = NeuralNetwork(
        model_config=model_config,
        env_config=env_config,
        device=train_config.device,
        seed=run_context.seed,
    )
    buffer = ExperienceBuffer.from_config(train_config, seed=run_context.seed)
    trainer = Trainer(network=network, config=train_config)
    store = CheckpointStore(
        run_context.checkpoints_dir,
        run_context.buffers_dir,
        keep=train_config.checkpoints_to_keep,
    )
    owned_ray = False
    if run_context.ray_address:
        owned_ray = init_ray(run_context)  # ClusterJoinError before the saved state is read
    try:
        resumed = restore_or_start(
            run_context, store, network=network, trainer=trainer, buffer=buffer
        )
    except ResumeError:
        if owned_ray and ray.is_initialized():
            ray.shutdown()
        raise
    actor: Any = None
    try:
        owned_ray = init_ray(run_context) or owned_ray
        num_workers, worker_gpus = detect_workers(train_config)
        set_trainer_threads(train_config, num_workers)
        experiment_id = prepare_mlflow_experiment(run_context)
        mlflow_run_id = mlflow_run_for(
            run_context, experiment_id, resumed.mlflow_run_id if resumed else None
        )
        actor, actor_name = start_stats_actor(run_context, train_config, mlflow_run_id)
        components = TrainingComponents(
            run_context=run_context,
            env_config=env_config,
            model_config=model_config,
            train_config=train_config,
            mcts_config=mcts_config,
            network=network,
            buffer=buffer,
            trainer=trainer,
            store=store,
            trieye_actor=actor,
            trieye_actor_name=actor_name,
            mlflow_run_id=mlflow_run_id,
            num_workers=num_workers,
            worker_num_gpus=worker_gpus,
            owned_ray=owned_ray,
            counters=resumed.counters if resumed else RunCounters(),
            resumed_from_step=resumed.counters.global_step if resumed else None,
        )
        configs = {
            "env": env_config,
            "model": model_config,
            "train": train_config,
            "mcts": mcts_config,
            "run": run_context,
        }
        components.run_config = {k: v.model_dump(mode="json") for k, v in configs.items()}
        ray.get(actor.save_run_config.remote(components.run_config), timeout=120)
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


def _kill_quietly(actor: Any) -> None:
    try:
        ray.kill(actor)
    except Exception:
        logger.debug("Actor already gone.", exc_info=True)
