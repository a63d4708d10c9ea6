"""The run's MLflow run: its experiment in the SQLite store, the one run every metric of
the run goes to (across restarts and resumes), our configs as its params, and its end
status.

trieye logs its own config; `log_configs_to_mlflow` adds AlphaTriangle's model,
train, search and board settings to the same MLflow run, flattened to
`<section>.<field>` params. MLflow is imported only inside the functions: it takes
seconds, and the command line answers before anything needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from alphatriangle.config import RunContext
from alphatriangle.config.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED

from ..store.run_settings import SettingChange

logger = logging.getLogger(__name__)


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


def flatten_configs(configs: Mapping[str, BaseModel]) -> dict[str, str]:
    """`{"train": TrainConfig(...)}` -> `{"train.batch_size": "128", ...}`."""
    params: dict[str, str] = {}
    for section, config in configs.items():
        for key, value in config.model_dump(mode="json").items():
            params[f"{section}.{key}"] = str(value)[:500]
    return params


def log_configs_to_mlflow(
    *, tracking_uri: str, run_id: str | None, configs: Mapping[str, BaseModel]
) -> int:
    """Log every config field as an MLflow param of run `run_id`; returns how many were logged."""
    if run_id is None:
        logger.warning("No MLflow run to log configs to; MLflow tracking is not active.")
        return 0
    from mlflow.entities import Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    existing: dict[str, Any] = client.get_run(run_id).data.params
    params = [
        Param(key, value)
        for key, value in flatten_configs(configs).items()
        if existing.get(key, value) == value and key not in existing
    ]
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100])
    return len(params)


SETTING_CHANGE_TAG = "resume/step_{step:08d}/{name}"
"""The MLflow tag that records a setting a resume changed (its params keep the first
value: MLflow params cannot change); its value is `old -> new`."""


def record_setting_changes(
    *, tracking_uri: str, run_id: str, changes: Sequence[SettingChange], step: int
) -> None:
    """Tag MLflow run `run_id` with each setting a resume at `step` changed."""
    if not changes:
        return
    from mlflow.entities import RunTag
    from mlflow.tracking import MlflowClient

    tags = [
        RunTag(SETTING_CHANGE_TAG.format(step=step, name=c.name), f"{c.saved!r} -> {c.given!r}")
        for c in changes
    ]
    MlflowClient(tracking_uri=tracking_uri).log_batch(run_id, tags=tags)


def mark_mlflow_run_end(run_context: RunContext, run_id: str, exit_code: int) -> None:
    """Mark MLflow run `run_id` KILLED (stopped by a signal) or FAILED; a run that reached
    its limit keeps the FINISHED status the stats actor gave it."""
    status = {EXIT_INTERRUPTED: "KILLED", EXIT_TERMINATED: "KILLED", EXIT_FAILED: "FAILED"}
    if exit_code not in status:
        return
    from mlflow.tracking import MlflowClient

    try:
        client = MlflowClient(tracking_uri=run_context.mlflow_tracking_uri)
        client.set_terminated(run_id, status=status[exit_code])
    except Exception:
        logger.warning("Could not mark MLflow run %s as %s.", run_id, status[exit_code])
