"""setup_training_components: builds every part of a run and hands them to the loop.

In this order: network, buffer, trainer and store; the run's saved state put back (or
`--load-checkpoint` weights); Ray; the worker count and the trainer's threads; the
self-play workers (`WorkerManager`), started at once with the network's weights so they
load and play while the rest is set up; the MLflow run and the stats actor; then the
other roles the loop drives: the stats sender and the periodic evaluation. The loop
builds nothing itself.

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
from collections.abc import Sequence
from typing import Any

import ray

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
    search_config,
)
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import ExperienceBuffer, Trainer

from ..cluster.connect import init_ray
from ..cluster.resources import detect_workers, set_trainer_threads
from ..roles.periodic_eval import PeriodicEvaluation
from ..roles.worker_manager import WorkerManager
from ..store.checkpoints import CheckpointStore, ResumeError
from ..store.resume import RunCounters, restore_or_start
from ..store.run_settings import SettingChange
from ..telemetry.mlflow_run import (
    log_configs_to_mlflow,
    mlflow_run_for,
    prepare_mlflow_experiment,
    record_setting_changes,
)
from ..telemetry.stats_actor import StatsSender, start_stats_actor
from .components import TrainingComponents

logger = logging.getLogger(__name__)


def setup_training_components(
    run_context: RunContext,
    *,
    env_config: EnvConfig | None = None,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
    mcts_config: AlphaTriangleMCTSConfig | None = None,
    setting_changes: Sequence[SettingChange] = (),
) -> tuple[TrainingComponents | None, bool]:
    """Build everything a run needs. Returns (components or None on failure, Ray started here).

    Raises ResumeError, before anything is started, when the run's saved state or
    `--load-checkpoint` cannot be used, and ClusterJoinError when the cluster of
    `ray_address` cannot be joined. `setting_changes` (what a resume changed of the run's
    saved settings) are recorded in the MLflow run.
    """
    env_config = env_config or EnvConfig()
    model_config = model_config or ModelConfig()
    train_config = train_config or TrainConfig()
    mcts_config = mcts_config or search_config()
    network = NeuralNetwork(
        model_config=model_config,
        env_config=env_config,
        device=train_config.device,
        seed=run_context.seed,
    )
    buffer = ExperienceBuffer.from_config(
        train_config,
        seed=run_context.seed,
        board_input_count=network.board_value_input_count,
    )
    trainer = Trainer(network=network, config=train_config)
    store = CheckpointStore(run_context, keep=train_config.checkpoints_to_keep)
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
    counters = resumed.counters if resumed else RunCounters()
    configs = {
        "env": env_config,
        "model": model_config,
        "train": train_config,
        "mcts": mcts_config,
        "run": run_context,
    }
    run_config = {name: config.model_dump(mode="json") for name, config in configs.items()}
    actor: Any = None
    workers: WorkerManager | None = None
    try:
        owned_ray = init_ray(run_context) or owned_ray
        num_workers, worker_gpus = detect_workers(train_config)
        set_trainer_threads(train_config, num_workers)
        workers = WorkerManager(
            num_workers=num_workers,
            env_config=env_config,
            model_config=model_config,
            mcts_config=mcts_config,
            train_config=train_config,
            # Resumed runs draw new games, not the ones the interrupted run had begun.
            seed=run_context.seed + counters.global_step,
            num_gpus_per_worker=worker_gpus,
        )
        # Started before the MLflow run and the stats actor: the workers' processes start
        # and begin playing while those are set up (several seconds), so the first games
        # reach the buffer that much sooner. The loop's own `start` is then a no-op.
        workers.start(network.get_weights(), counters.global_step)
        experiment_id = prepare_mlflow_experiment(run_context)
        mlflow_run_id = mlflow_run_for(
            run_context, experiment_id, resumed.mlflow_run_id if resumed else None
        )
        actor, actor_name = start_stats_actor(run_context, train_config, mlflow_run_id)
        ray.get(actor.save_run_config.remote(run_config), timeout=120)
        log_configs_to_mlflow(
            tracking_uri=run_context.mlflow_tracking_uri, run_id=mlflow_run_id, configs=configs
        )
        record_setting_changes(
            tracking_uri=run_context.mlflow_tracking_uri,
            run_id=mlflow_run_id,
            changes=setting_changes,
            step=counters.global_step,
        )
        evaluation = PeriodicEvaluation(
            train_config=train_config,
            env_config=env_config,
            model_config=model_config,
            mcts_config=mcts_config,
            best_mean_score=store.saved_best_score(),
            run_cpus=int(ray.cluster_resources().get("CPU", 1)),  # type: ignore[no-untyped-call]
        )
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
            workers=workers,
            stats=StatsSender(actor, run_config),
            evaluation=evaluation,
            trieye_actor=actor,
            trieye_actor_name=actor_name,
            mlflow_run_id=mlflow_run_id,
            num_workers=num_workers,
            worker_num_gpus=worker_gpus,
            run_config=run_config,
            owned_ray=owned_ray,
            counters=counters,
            resumed_from_step=counters.global_step if resumed else None,
        )
        return components, owned_ray
    except Exception:
        logger.exception("Setting up the training run failed.")
        if workers is not None:
            workers.stop()
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
