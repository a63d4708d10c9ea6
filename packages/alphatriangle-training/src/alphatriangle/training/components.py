"""TrainingComponents: everything `setup_training_components` built, handed to the loop."""

from __future__ import annotations

from dataclasses import dataclass
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
    trieye_actor: Any
    """Handle of the `TrieyeActor` (a Ray actor)."""
    trieye_actor_name: str
    num_workers: int
    """Self-play workers to start (from the config, capped by the CPUs found)."""
    worker_num_gpus: float = 0.0
    episodes_played: int = 0
    total_simulations: int = 0
    resumed_from_step: int | None = None
    owned_ray: bool = False
