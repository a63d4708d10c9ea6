"""TrainingComponents: everything `setup_training_components` built, handed to the loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
)
from alphatriangle.nn import NeuralNetwork
from alphatriangle.rl import ExperienceBuffer, Trainer

from ..store.checkpoints import CheckpointStore
from ..store.resume import RunCounters


@dataclass(slots=True)
class TrainingComponents:
    """The run's identity, configs, learner-side objects and the stats actor handle."""

    run_context: RunContext
    env_config: EnvConfig
    model_config: ModelConfig
    train_config: TrainConfig
    mcts_config: AlphaTriangleMCTSConfig
    network: NeuralNetwork
    buffer: ExperienceBuffer
    trainer: Trainer
    store: CheckpointStore
    """Where checkpoints and buffers are written and read back."""
    trieye_actor: Any
    """Handle of the `TrieyeActor` (a Ray actor)."""
    trieye_actor_name: str
    mlflow_run_id: str
    """The MLflow run every metric of this run goes to, across restarts and resumes."""
    num_workers: int
    """Self-play workers to start (from the config, capped by the CPUs found)."""
    worker_num_gpus: float = 0.0
    run_config: dict[str, Any] = field(default_factory=dict)
    """Every config of the run as JSON-ready dicts (what `configs.json` holds)."""
    counters: RunCounters = field(default_factory=RunCounters)
    """Totals to continue from (zero for a fresh run)."""
    resumed_from_step: int | None = None
    owned_ray: bool = False
