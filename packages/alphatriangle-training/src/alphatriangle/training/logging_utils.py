"""The seed's `logging_utils` module: `log_configs_to_mlflow` now lives in
`telemetry/mlflow_run.py`; this name hands it on."""

from .telemetry.mlflow_run import log_configs_to_mlflow

__all__ = ["log_configs_to_mlflow"]
