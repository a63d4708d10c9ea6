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
import os
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
from alphatriangle.nn import CheckpointMismatchError, NeuralNetwork
from alphatriangle.rl import ExperienceBuffer, Trainer

from .checkpoints import CheckpointStore, ResumeError
from .cluster_nodes import alive_nodes, driver_node_id, on_driver_node, short_id
from .components import TrainingComponents
from .logging_utils import log_configs_to_mlflow
from .ray_cluster import join_cluster, start_private_ray
from .resume import ResumedRun, RunCounters, restore_run
from .stats_config import build_trieye_config

logger = logging.getLogger(__name__)
STATS_ACTOR_MAX_RESTARTS = 20
"""Ray restarts a dead stats actor this often; training goes on without metrics after that."""


def init_ray(run_context: RunContext) -> bool:
    """Join `run_context.ray_address`, or start a private local Ray; True if this call
    connected Ray (shutting it down then stops the private Ray, or leaves the cluster).

    Workers use the driver's interpreter and environment rather than one uv would
    re-create for them in a temporary directory (shared/FACTS.md). A cluster that
    cannot be joined within `ray_connect_timeout` raises ClusterJoinError.
    """
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    # Ray starts its workers at niceness 15 below the driver; the trainer in the driver
    # would then starve self-play of its cores. Workers and trainer get equal priority.
    os.environ.setdefault("RAY_worker_niceness", "0")
    if ray.is_initialized():
        return False
    if run_context.ray_address:
        join_cluster(run_context.ray_address, run_context.ray_connect_timeout)
    else:
        start_private_ray()
    return True


def detect_workers(train_config: TrainConfig) -> tuple[int, float]:
    """(self-play workers, GPUs per worker): one worker per CPU, or one fewer when
    `reserve_cpu_for_trainer` keeps a core for the trainer."""
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cpus = int(resources.get("CPU", 1))
    gpus = float(resources.get("GPU", 0.0))
    available = cpus - 1 if train_config.reserve_cpu_for_trainer else cpus
    workers = max(1, min(train_config.num_self_play_workers, available))
    worker_gpus = 0.0
    if train_config.worker_device != "cpu" and gpus > 0:
        worker_gpus = min(1.0, gpus / (workers + 1))
    logger.info(
        "Ray sees %d node(s) with %d CPU(s) and %g GPU(s): %d self-play worker(s).",
        len(alive_nodes()),
        cpus,
        gpus,
        workers,
    )
    return workers, worker_gpus


def set_trainer_threads(train_config: TrainConfig, num_workers: int) -> int:
    """Give the trainer the cores the workers leave (or `trainer_torch_threads`); returns it.

    On a cluster only the driver's own node counts: other machines' cores are no use to
    the trainer, and its node keeps its share of the workers (they spread evenly).
    """
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    cluster_cpus = int(resources.get("CPU", 1))
    node = alive_nodes().get(driver_node_id())
    node_cpus = int(node.cpus) if node is not None else cluster_cpus
    workers_here = -(-num_workers * node_cpus // max(1, cluster_cpus))
    threads = train_config.trainer_torch_threads or max(1, node_cpus - workers_here)
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


def mlflow_run_for(run_context: RunContext, experiment_id: str, saved_run_id: str | None) -> str:
    """The MLflow run this run logs to: the saved one when it still exists, else a new one.

    The driver creates the run and hands its id to the stats actor, so a restarted
    actor and a resumed run keep logging into the same MLflow run.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=run_context.mlflow_tracking_uri)
    if saved_run_id:
        try:
            run = client.get_run(saved_run_id)
            if run.info.lifecycle_stage == "active":
                return saved_run_id
        except MlflowException:
            pass
        logger.warning(
            "MLflow run %s of the checkpoint is gone; logging to a new MLflow run.", saved_run_id
        )
    run = client.create_run(experiment_id, run_name=run_context.run_name)
    return str(run.info.run_id)


def start_stats_actor(
    run_context: RunContext, train_config: TrainConfig, mlflow_run_id: str
) -> tuple[Any, str]:
    """The TrieyeActor of the run, restarted by Ray if it dies, always on `mlflow_run_id`.

    trieye's `mlflow.start_run` picks the run up from MLFLOW_RUN_ID, which the
    actor's runtime environment sets again for every restart. The actor is trieye's,
    dating metrics by their events (see event_times).
    """
    from .event_times import EventTimeTrieyeActor

    trieye_config = build_trieye_config(
        run_context, stats_interval_seconds=train_config.stats_interval_seconds
    )
    name = f"trieye_actor_{run_context.run_name}"
    # It writes MLflow, TensorBoard and configs.json at the driver's paths: on the
    # driver's node only, also when Ray restarts it.
    actor = EventTimeTrieyeActor.options(
        name=name,
        num_cpus=0,
        max_restarts=STATS_ACTOR_MAX_RESTARTS,
        runtime_env={"env_vars": {"MLFLOW_RUN_ID": mlflow_run_id}},
        scheduling_strategy=on_driver_node(),
    ).remote(trieye_config)
    started = ray.get(actor.get_mlflow_run_id.remote(), timeout=120)
    if started != mlflow_run_id:
        raise RuntimeError(
            f"MLflow tracking did not start on run {mlflow_run_id} at "
            f"{run_context.mlflow_tracking_uri} (got {started}); "
            f"see {run_context.logs_dir} for trieye's log"
        )
    logger.info("The stats actor runs on the driver's node %s.", short_id(driver_node_id()))
    return actor, name


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
        resumed = _restore(run_context, store, network=network, trainer=trainer, buffer=buffer)
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


def _restore(
    run_context: RunContext,
    store: CheckpointStore,
    *,
    network: NeuralNetwork,
    trainer: Trainer,
    buffer: ExperienceBuffer,
) -> ResumedRun | None:
    """Resume the run's own saved state, or start from `--load-checkpoint` weights, or afresh.

    Runs before Ray starts, so a checkpoint that cannot be used fails fast (ResumeError).
    """
    if run_context.resume and store.has_saved_state():
        resumed = restore_run(
            store, network=network, trainer=trainer, buffer=buffer, run_name=run_context.run_name
        )
        logger.info(
            "Restored checkpoint %s (step %d) and %s.",
            resumed.checkpoint,
            resumed.counters.global_step,
            f"buffer {resumed.buffer}" if resumed.buffer else "no buffer",
        )
        if run_context.load_checkpoint is not None:
            logger.warning(
                "Ignoring --load-checkpoint %s: the run resumes from its own checkpoint.",
                run_context.load_checkpoint,
            )
        return resumed
    if store.has_saved_state() or store.step_buffers():
        store.set_aside("replaced")  # a fresh start neither deletes nor mixes with them
    explicit = run_context.load_checkpoint
    if explicit is not None:
        try:
            network.load(explicit)
        except (CheckpointMismatchError, FileNotFoundError) as error:
            raise ResumeError(f"--load-checkpoint: {error}") from error
        logger.info("Loaded network weights from %s.", explicit)
    return None


def _kill_quietly(actor: Any) -> None:
    try:
        ray.kill(actor)
    except Exception:
        logger.debug("Actor already gone.", exc_info=True)
