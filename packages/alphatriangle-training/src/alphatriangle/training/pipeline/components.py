"""TrainingComponents: every part of a run that `setup_training_components` built, handed
to the loop; and the little the loop needs of each role, as protocols.

The loop only calls the roles through these few methods, so a test can hand it fakes
(a worker manager that hands in prepared games, a recording stats sender) and run the
loop's schedule without Ray.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from alphatriangle.config import (
    AlphaTriangleMCTSConfig,
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
)
from alphatriangle.nn import NeuralNetwork, StateDict
from alphatriangle.rl import ExperienceBuffer, Trainer

from ..roles.periodic_eval import EvaluationOutcome
from ..roles.result_intake import CollectedResults
from ..store.checkpoints import CheckpointStore
from ..store.resume import RunCounters
from ..telemetry.events import EventSink


class SelfPlay(Protocol):
    """The self-play workers, as the loop drives them (`WorkerManager`)."""

    restarts: int
    """Workers replaced after dying, since `start`."""

    def start(self, weights: StateDict, global_step: int) -> None: ...

    def collect(self, timeout: float) -> CollectedResults: ...

    def update_weights(self, weights: StateDict, global_step: int) -> None: ...

    def stop(self) -> None: ...


class Evaluation(Protocol):
    """The evaluation during training, as the loop drives it (`PeriodicEvaluation`)."""

    best_mean_score: float | None

    def is_due(self, step: int) -> bool: ...

    def start(self, step: int, weights: StateDict) -> None: ...

    def poll(self, timeout: float = 0.0) -> EvaluationOutcome | None: ...

    def cancel(self) -> None: ...


@dataclass(slots=True)
class TrainingComponents:
    """The run's identity and configs, the learner's objects, and every role."""

    run_context: RunContext
    env_config: EnvConfig
    model_config: ModelConfig
    train_config: TrainConfig
    mcts_config: AlphaTriangleMCTSConfig
    network: NeuralNetwork
    buffer: ExperienceBuffer
    trainer: Trainer
    store: CheckpointStore
    """Where checkpoints, buffers and the run-state file are written and read back."""
    workers: SelfPlay
    """The self-play workers (created by `start`, at the top of the loop)."""
    stats: EventSink
    """Where the run's metric events go (the stats actor's `StatsSender`)."""
    evaluation: Evaluation
    """The evaluation every `eval_interval_steps` (`PeriodicEvaluation`)."""
    trieye_actor: Any
    """Handle of the `TrieyeActor` (a Ray actor), for shutting it down."""
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
