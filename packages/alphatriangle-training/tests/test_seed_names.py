"""Every name the seed documents imports from the module the seed documents it in, and is
the very object that now lives in the package's folders by role."""

from __future__ import annotations

import importlib
import inspect

import pytest

import alphatriangle.training as training

SEED_NAMES = [
    # (the seed's module, the name it documents, where the name lives now)
    ("setup", "setup_training_components", "pipeline.setup"),
    ("components", "TrainingComponents", "pipeline.components"),
    ("loop", "TrainingLoop", "pipeline.loop"),
    ("worker_manager", "WorkerManager", "roles.worker_manager"),
    ("loop_helpers", "LoopHelpers", "telemetry.progress"),
    ("loop_helpers", "validate_result", "roles.result_intake"),
    ("runner", "run_training", "pipeline.runner"),
    ("runners", "run_training", "pipeline.runner"),
    ("logging_utils", "log_configs_to_mlflow", "telemetry.mlflow_run"),
]


@pytest.mark.parametrize(("seed_module", "name", "home"), SEED_NAMES)
def test_each_seed_name_imports_from_its_seed_module(
    seed_module: str, name: str, home: str
) -> None:
    old = importlib.import_module(f"alphatriangle.training.{seed_module}")
    new = importlib.import_module(f"alphatriangle.training.{home}")
    assert getattr(old, name) is getattr(new, name)
    assert name in old.__all__


def test_the_seed_interfaces_are_the_package_exports() -> None:
    exported = {
        "TrainingLoop",
        "TrainingComponents",
        "WorkerManager",
        "LoopHelpers",
        "run_training",
        "setup_training_components",
        "log_configs_to_mlflow",
    }
    assert exported == set(training.__all__)
    for name in exported:
        value = getattr(training, name)
        home = next(h for _, n, h in SEED_NAMES if n == name)
        assert value is getattr(importlib.import_module(f"alphatriangle.training.{home}"), name)
    assert inspect.isclass(training.TrainingLoop)
    assert inspect.isclass(training.TrainingComponents)
    assert inspect.isclass(training.WorkerManager)
    assert inspect.isclass(training.LoopHelpers)
    # The seed's signatures: a run context in, an exit code (or the components) out.
    for function in (training.run_training, training.setup_training_components):
        assert next(iter(inspect.signature(function).parameters)) == "run_context"
