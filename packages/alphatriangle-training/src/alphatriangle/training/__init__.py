"""The headless training pipeline of AlphaTriangle: setup, loop, workers, runner.

Statistics and persistence go through trieye, with MLflow tracking to the SQLite
database of the run's `RunContext`.
"""

import os

# Ray reads this when it is imported: its workers then use this interpreter and
# environment instead of one that uv would re-create for them in a temporary
# working directory (which fails when the run starts outside the repository).
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")


from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .components import TrainingComponents
    from .logging_utils import log_configs_to_mlflow
    from .loop import TrainingLoop
    from .loop_helpers import LoopHelpers
    from .runners import run_training
    from .setup import setup_training_components
    from .worker_manager import WorkerManager

_EXPORTS = {
    "LoopHelpers": ".loop_helpers",
    "TrainingComponents": ".components",
    "TrainingLoop": ".loop",
    "WorkerManager": ".worker_manager",
    "log_configs_to_mlflow": ".logging_utils",
    "run_training": ".runners",
    "setup_training_components": ".setup",
}


def __getattr__(name: str) -> Any:
    """Import the pipeline on first use (PEP 562).

    The command lines (`cli`, `evaluation_cli`) live in this package too; loading
    torch, Ray, trieye and MLflow with it would make `--help` take seconds.
    """
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "LoopHelpers",
    "TrainingComponents",
    "TrainingLoop",
    "WorkerManager",
    "log_configs_to_mlflow",
    "run_training",
    "setup_training_components",
]
