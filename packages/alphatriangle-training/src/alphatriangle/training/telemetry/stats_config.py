"""The metrics AlphaTriangle logs through trieye, and where trieye keeps its data.

trieye's default MLflow store is a `file://` directory. MLflow 3 no longer accepts a
file store for tracking and raises on it; trieye catches that error, logs it and carries
on, so nothing reaches MLflow and the run does not notice. `AlphaTrianglePersistence`
points it at the SQLite database of the `RunContext` instead, with every path absolute.
"""

from __future__ import annotations

from pathlib import Path

from trieye import MetricConfig, PersistenceConfig, StatsConfig, TrieyeConfig

from alphatriangle.config import AppPaths, RunContext
from alphatriangle.rl import metric_names as names


class AlphaTrianglePersistence(PersistenceConfig):  # type: ignore[misc]
    """trieye persistence rooted at the run context's absolute data root, tracking to SQLite."""

    @property
    def MLFLOW_TRACKING_URI(self) -> str:  # noqa: N802 (trieye's name)
        return self.app_paths.mlflow_tracking_uri

    def get_mlflow_abs_path(self) -> Path:
        """The directory of the MLflow store: the app directory, where the database is.

        trieye creates this directory for its `file://` store; left at trieye's
        `mlruns/`, every run would leave an empty, unused `mlruns/` beside the database.
        """
        return self.app_paths.app_dir

    @property
    def app_paths(self) -> AppPaths:
        """The app's shared paths under trieye's data root (see `AppPaths`)."""
        return AppPaths(Path(self.ROOT_DATA_DIR), self.APP_NAME)


def _each_step(name: str, aggregation: str = "mean", **extra: object) -> MetricConfig:
    return MetricConfig(name=name, aggregation=aggregation, log_frequency_steps=1, **extra)


def alphatriangle_metrics() -> list[MetricConfig]:
    """Losses, learning rate, buffer, episodes, throughput, weight updates and evaluations."""
    episode = {"raw_event_name": names.EPISODE_EVENT}
    return [
        _each_step(names.LOSS_TOTAL),
        _each_step(names.LOSS_POLICY),
        _each_step(names.LOSS_VALUE),
        _each_step(names.LOSS_BOARD_VALUE),
        _each_step(names.LOSS_ENTROPY),
        _each_step(names.GRAD_NORM),
        _each_step(names.LEARNING_RATE, "latest"),
        _each_step(names.PER_BETA, "latest"),
        _each_step(names.BUFFER_SIZE, "latest"),
        _each_step(names.WEIGHT_UPDATES, "latest"),
        _each_step(names.EPISODES_PLAYED, "latest"),
        _each_step(names.TOTAL_SIMULATIONS, "latest"),
        _each_step(names.TOTAL_AFTERSTATES_VALUED, "latest"),
        _each_step(names.NUM_WORKERS, "latest"),
        _each_step(names.WORKER_RESTARTS, "latest"),
        _each_step(names.SECONDS_TO_FIRST_STEP, "latest"),
        _each_step(names.SKIPPED_UPDATES, "latest"),
        _each_step(names.EPISODE_SCORE, context_key="score", **episode),
        _each_step(names.EPISODE_LENGTH, context_key="length", **episode),
        _each_step(names.EPISODE_TRIANGLES_CLEARED, context_key="triangles_cleared", **episode),
        _each_step(names.MOVES_PER_SECOND, "latest"),
        *(_each_step(name, "latest") for name in names.EVAL_METRICS),
        MetricConfig(
            name=names.STEPS_PER_SECOND,
            aggregation="rate",
            rate_numerator_event=names.STEP_EVENT,
            log_frequency_steps=1,
        ),
        MetricConfig(
            name=names.SIMULATIONS_PER_SECOND,
            aggregation="rate",
            rate_numerator_event=names.SIMULATIONS_EVENT,
            log_frequency_steps=1,
        ),
        MetricConfig(
            name=names.AFTERSTATES_VALUED_PER_SECOND,
            aggregation="rate",
            rate_numerator_event=names.AFTERSTATES_VALUED_EVENT,
            log_frequency_steps=1,
        ),
    ]


def build_trieye_config(
    run_context: RunContext,
    *,
    stats_interval_seconds: float,
) -> TrieyeConfig:
    """trieye's config for this run: our names, absolute paths, and no trieye checkpoints.

    Checkpoints and buffers are written by `CheckpointStore` (weights-only torch files
    and pickle-free .npz); trieye never loads or saves training state here.
    """
    # trieye builds the run's paths from the data root and these names: every one of
    # them is the RunContext's, so trieye writes where the rest of the run does.
    persistence = AlphaTrianglePersistence(
        ROOT_DATA_DIR=str(run_context.data_root),
        RUNS_DIR_NAME=run_context.runs_dir.name,
        LOG_DIR_NAME=run_context.logs_dir.name,
        TENSORBOARD_DIR_NAME=run_context.tensorboard_dir.name,
        CHECKPOINT_SAVE_DIR_NAME=run_context.checkpoints_dir.name,
        BUFFER_SAVE_DIR_NAME=run_context.buffers_dir.name,
        CONFIG_FILENAME=run_context.configs_path.name,
        AUTO_RESUME_LATEST=False,
        LOAD_CHECKPOINT_PATH=None,
        LOAD_BUFFER_PATH=None,
        SAVE_BUFFER=False,
        # Nothing is profiled; trieye still creates a directory for profiles, so it is
        # pointed at the run's logs/ rather than left as an empty profile_data/.
        PROFILE_DIR_NAME=run_context.logs_dir.name,
    )
    return TrieyeConfig(
        app_name=run_context.app_name,
        run_name=run_context.run_name,
        persistence=persistence,
        stats=StatsConfig(
            processing_interval_seconds=stats_interval_seconds, metrics=alphatriangle_metrics()
        ),
    )
