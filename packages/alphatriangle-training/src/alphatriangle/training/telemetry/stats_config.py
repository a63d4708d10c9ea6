"""The metrics AlphaTriangle logs through trieye, and where trieye keeps its data.

trieye's default MLflow store is a `file://` directory, which MLflow 3 refuses while
trieye only logs the error and carries on (nothing reaches MLflow, silently; see
shared/FACTS.md). `AlphaTrianglePersistence` points it at the SQLite database of the
`RunContext` instead, with every path absolute.
"""

from __future__ import annotations

from pathlib import Path

from trieye import MetricConfig, PersistenceConfig, StatsConfig, TrieyeConfig

from alphatriangle.config import RunContext

EPISODE_EVENT = "episode_end"
STEP_EVENT = "step_completed"
SIMULATIONS_EVENT = "simulations"
EVAL_METRICS = (
    "mean_score",
    "median_score",
    "p10_score",
    "p90_score",
    "best_score",
    "mean_length",
    "triangles_cleared",
    "seconds_per_move",
    "seconds",
    "best_mean_score",
)
"""`Eval/<name>` metrics of the evaluation during training (see PeriodicEvaluation)."""


class AlphaTrianglePersistence(PersistenceConfig):  # type: ignore[misc]
    """trieye persistence rooted at the run context's absolute data root, tracking to SQLite."""

    @property
    def MLFLOW_TRACKING_URI(self) -> str:  # noqa: N802 (trieye's name)
        database = Path(self.ROOT_DATA_DIR) / self.APP_NAME / "mlflow.db"
        return f"sqlite:///{database.as_posix()}"

    def get_mlflow_abs_path(self) -> Path:
        """The directory of the MLflow store: the app directory, where the database is.

        trieye creates this directory for its `file://` store; left at trieye's
        `mlruns/`, every run would leave an empty, unused `mlruns/` beside the database.
        """
        return Path(self.get_app_root_dir())


def _each_step(name: str, aggregation: str = "mean", **extra: object) -> MetricConfig:
    return MetricConfig(name=name, aggregation=aggregation, log_frequency_steps=1, **extra)


def alphatriangle_metrics() -> list[MetricConfig]:
    """Losses, learning rate, buffer, episodes, throughput, weight updates and evaluations."""
    episode = {"raw_event_name": EPISODE_EVENT}
    return [
        _each_step("Loss/total"),
        _each_step("Loss/policy"),
        _each_step("Loss/value"),
        _each_step("Loss/entropy"),
        _each_step("Train/grad_norm"),
        _each_step("LearningRate", "latest"),
        _each_step("PER/beta", "latest"),
        _each_step("Buffer/size", "latest"),
        _each_step("Progress/weight_updates", "latest"),
        _each_step("Progress/episodes_played", "latest"),
        _each_step("Progress/total_simulations", "latest"),
        _each_step("System/num_workers", "latest"),
        _each_step("System/worker_restarts", "latest"),
        _each_step("System/seconds_to_first_step", "latest"),
        _each_step("Train/skipped_updates", "latest"),
        _each_step("Episode/score", context_key="score", **episode),
        _each_step("Episode/length", context_key="length", **episode),
        _each_step("Episode/triangles_cleared", context_key="triangles_cleared", **episode),
        _each_step("Rate/moves_per_sec", "latest"),
        *(_each_step(f"Eval/{name}", "latest") for name in EVAL_METRICS),
        MetricConfig(
            name="Rate/steps_per_sec",
            aggregation="rate",
            rate_numerator_event=STEP_EVENT,
            log_frequency_steps=1,
        ),
        MetricConfig(
            name="Rate/simulations_per_sec",
            aggregation="rate",
            rate_numerator_event=SIMULATIONS_EVENT,
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
    persistence = AlphaTrianglePersistence(
        ROOT_DATA_DIR=str(run_context.data_root),
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
