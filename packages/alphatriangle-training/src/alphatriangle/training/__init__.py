"""The headless training pipeline of AlphaTriangle, in folders by role:

    pipeline/    setup builds every part of a run, the loop keeps the schedule, the
                 runner wraps them in logging, signals and cleanup
    roles/       what works beside the loop: self-play workers, periodic evaluation,
                 the intake of finished games
    store/       checkpoints, buffers, resume and the run-state file
    telemetry/   metric events to trieye (MLflow, TensorBoard), logs, the progress line
    cluster/     Ray: its environment, joining a cluster or a private Ray, nodes, CPUs
    cli.py       the command line of `uv run apps/train`

Statistics go through trieye, with MLflow tracking to the SQLite database of the
run's `RunContext`. The seed's module names (`setup`, `loop`, `runner`, ...) still
import, handing on the names they documented.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .cluster.environment import set_ray_environment

# Before any module of this package imports Ray, which reads them when it is imported.
set_ray_environment()

if TYPE_CHECKING:
    from .pipeline.components import TrainingComponents
    from .pipeline.loop import TrainingLoop
    from .pipeline.runner import run_training
    from .pipeline.setup import setup_training_components
    from .roles.worker_manager import WorkerManager
    from .telemetry.mlflow_run import log_configs_to_mlflow
    from .telemetry.progress import LoopHelpers

_EXPORTS = {
    "LoopHelpers": ".telemetry.progress",
    "TrainingComponents": ".pipeline.components",
    "TrainingLoop": ".pipeline.loop",
    "WorkerManager": ".roles.worker_manager",
    "log_configs_to_mlflow": ".telemetry.mlflow_run",
    "run_training": ".pipeline.runner",
    "setup_training_components": ".pipeline.setup",
}


def __getattr__(name: str) -> Any:
    """Import the pipeline on first use (PEP 562).

    The command line (`cli`) lives in this package too; loading torch, Ray, trieye and
    MLflow with it would make `--help` and a bad argument take seconds.
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
