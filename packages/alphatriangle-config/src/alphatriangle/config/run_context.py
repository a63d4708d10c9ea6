"""The identity of one run and every path it uses, resolved once, in the driver.

A Ray worker or actor may run in another working directory than the driver that
started the run (Ray chooses it, not the user's shell), so a relative path would name
another place there: every path here is absolute from construction on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import Field, field_validator

from ._base import StrictConfig

APP_NAME = "AlphaTriangle"
"""Name of the application directory under the data root, and of the MLflow experiment."""
DATA_DIR_NAME = ".alphatriangle_data"
"""Directory created under the starting directory to hold all AlphaTriangle data."""
_RUN_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ADDRESS_PATTERN = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})$")


def default_run_name() -> str:
    """A sortable, filesystem-safe run name from the current local time."""
    return datetime.now().strftime("run_%Y%m%d_%H%M%S")


LATEST_CHECKPOINT = "latest.pt"
"""The newest checkpoint of a run (a copy of its newest step file): what a resume reads."""
BEST_CHECKPOINT = "best.pt"
"""The checkpoint of a run's best evaluation during training."""
RUN_STATE_FILE = "run_state.json"
"""A run's step, whether it reached its limit, its counters and best evaluation score."""


def default_data_root() -> Path:
    """`.alphatriangle_data/` under the current working directory, absolute."""
    return (Path.cwd() / DATA_DIR_NAME).resolve()


@dataclass(frozen=True, slots=True)
class AppPaths:
    """What every run of the app shares under `<data_root>/<app_name>/`: the MLflow
    store, the runs, and the evaluations of `uv run apps/eval`.

    `RunContext` adds the paths of one run to these; code that is about no run in
    particular (finding the newest run, the evaluation app) uses this alone.
    """

    data_root: Path
    """Root of all AlphaTriangle data, made absolute."""
    app_name: str = APP_NAME

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_root", Path(self.data_root).expanduser().resolve())

    @property
    def app_dir(self) -> Path:
        """`<data_root>/<app_name>`: the MLflow store and every run of the app."""
        return self.data_root / self.app_name

    @property
    def runs_dir(self) -> Path:
        """Directory holding one subdirectory per run."""
        return self.app_dir / "runs"

    @property
    def evaluations_dir(self) -> Path:
        """Where `uv run apps/eval` writes its reports, one subdirectory per evaluation."""
        return self.app_dir / "eval"

    @property
    def mlflow_db_path(self) -> Path:
        """SQLite database of the MLflow tracking store (shared by the app's runs)."""
        return self.app_dir / "mlflow.db"

    @property
    def mlflow_tracking_uri(self) -> str:
        """`sqlite:////abs/path/mlflow.db`: the file store silently drops metrics with MLflow 3."""
        return f"sqlite:///{self.mlflow_db_path.as_posix()}"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        """Artifact store of the MLflow experiment, beside the database."""
        return self.app_dir / "mlartifacts"


class RunContext(StrictConfig):
    """Who a run is and where its data lives: `<data_root>/AlphaTriangle/...`."""

    run_name: str = Field(default_factory=default_run_name)
    """Name of the run directory and of the MLflow run."""
    seed: int = Field(default=42, ge=0)
    """Seed of the run's random number generators."""
    data_root: Path = Field(default_factory=default_data_root)
    """Root of all AlphaTriangle data (default: `./.alphatriangle_data`), made absolute."""
    app_name: str = APP_NAME
    """Application directory and MLflow experiment name."""
    resume: bool = True
    """Continue from the run's latest checkpoint and buffer when they exist."""
    load_checkpoint: Path | None = None
    """An explicit checkpoint to start the network from, made absolute."""
    ray_address: str | None = None
    """`HOST:PORT` of a running Ray cluster's head to join (None: start a private local Ray)."""
    ray_connect_timeout: float = Field(default=30.0, gt=0.0, le=3600.0)
    """Seconds the cluster at `ray_address` has to let the driver join, else exit 2."""

    @field_validator("run_name", "app_name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not _RUN_NAME_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not a safe directory name: use letters, digits, '.', '_' or '-', "
                "starting with a letter or digit, at most 128 characters"
            )
        return value

    @field_validator("ray_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _ADDRESS_PATTERN.match(value.strip())
        if not match or not 0 < int(match.group("port")) < 65536:
            raise ValueError(
                f"{value!r} is not HOST:PORT (the address `ray start --head` prints, "
                "for example 10.0.0.5:6379)"
            )
        return value.strip()

    @field_validator("data_root", "load_checkpoint")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else Path(value).expanduser().resolve()

    @property
    def app(self) -> AppPaths:
        """The paths this run shares with the app's other runs."""
        return AppPaths(self.data_root, self.app_name)

    @property
    def app_dir(self) -> Path:
        """`<data_root>/<app_name>`: the MLflow store and every run of the app."""
        return self.app.app_dir

    @property
    def runs_dir(self) -> Path:
        """Directory holding one subdirectory per run."""
        return self.app.runs_dir

    @property
    def run_dir(self) -> Path:
        """This run's directory."""
        return self.runs_dir / self.run_name

    @property
    def checkpoints_dir(self) -> Path:
        """Model and optimiser checkpoints of this run."""
        return self.run_dir / "checkpoints"

    @property
    def latest_checkpoint_path(self) -> Path:
        """The checkpoint a resume (and `run:NAME` in the evaluation app) reads."""
        return self.checkpoints_dir / LATEST_CHECKPOINT

    @property
    def best_checkpoint_path(self) -> Path:
        """The checkpoint of the best evaluation during training (`run:NAME:best`)."""
        return self.checkpoints_dir / BEST_CHECKPOINT

    @property
    def buffers_dir(self) -> Path:
        """Saved replay buffers of this run."""
        return self.run_dir / "buffers"

    @property
    def logs_dir(self) -> Path:
        """Text logs of this run."""
        return self.run_dir / "logs"

    @property
    def driver_log_path(self) -> Path:
        """The log of the training loop's process (the driver), everything at DEBUG level."""
        return self.logs_dir / f"{self.run_name}_driver.log"

    @property
    def tensorboard_dir(self) -> Path:
        """TensorBoard event files of this run."""
        return self.run_dir / "tensorboard"

    @property
    def configs_path(self) -> Path:
        """JSON file with every setting the run used."""
        return self.run_dir / "configs.json"

    @property
    def run_state_path(self) -> Path:
        """The run's state file: step, whether it finished, counters, best evaluation score."""
        return self.run_dir / RUN_STATE_FILE

    @property
    def mlflow_db_path(self) -> Path:
        """SQLite database of the MLflow tracking store (shared by the app's runs)."""
        return self.app.mlflow_db_path

    @property
    def mlflow_tracking_uri(self) -> str:
        """`sqlite:////abs/path/mlflow.db`: the file store silently drops metrics with MLflow 3."""
        return self.app.mlflow_tracking_uri

    @property
    def mlflow_artifacts_dir(self) -> Path:
        """Artifact store of the MLflow experiment, beside the database."""
        return self.app.mlflow_artifacts_dir
