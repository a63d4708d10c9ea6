"""The headless training pipeline of AlphaTriangle: setup, loop, workers, runner.

Statistics and persistence go through trieye, with MLflow tracking to the SQLite
database of the run's `RunContext`.
"""

import os

# Ray reads this when it is imported: its workers then use this interpreter and
# environment instead of one that uv would re-create for them in a temporary
# working directory (which fails when the run starts outside the repository).
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")


from .components import TrainingComponents
from .logging_utils import log_configs_to_mlflow
from .loop import TrainingLoop
from .loop_helpers import LoopHelpers
from .runners import run_training
from .setup import setup_training_components
from .worker_manager import WorkerManager

__all__ = [
    "LoopHelpers",
    "TrainingComponents",
    "TrainingLoop",
    "WorkerManager",
    "log_configs_to_mlflow",
    "run_training",
    "setup_training_components",
]
