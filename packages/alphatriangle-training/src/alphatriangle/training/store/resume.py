"""What a training checkpoint holds beside the weights, and putting it all back exactly.

Resume must continue the run, not merely reload weights: the optimizer's moments,
the learning-rate schedule, the counters the metrics are indexed by and the random
generators all come back. Everything is stored as tensors and plain values (RNG
states as JSON text) so the checkpoint loads with torch's weights-only loader.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from alphatriangle.config import AlphaTriangleMCTSConfig, EnvConfig, ModelConfig, RunContext
from alphatriangle.nn import (
    BoardMismatchError,
    CheckpointMismatchError,
    NeuralNetwork,
    check_same_board,
)
from alphatriangle.rl import SEARCH_CONFIG_KEY, ExperienceBuffer, Trainer

from .checkpoints import CheckpointStore, ResumeError

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class RunCounters:
    """The run's running totals; metrics are logged against `global_step`."""

    global_step: int = 0
    episodes_played: int = 0
    total_simulations: int = 0
    """Tree-search simulations of every game added (runs before this counter was split
    from the next one counted the turn search's afterstates valued here too)."""
    total_afterstates_valued: int = 0
    """Afterstates the network valued in the turn search's games."""
    moves_played: int = 0
    weight_updates: int = 0
    skipped_updates: int = 0
    worker_restarts: int = 0
    training_seconds: float = 0.0
    """Wall clock the training loop has run, over every process of the run (`RunBudget`)."""
    score_sum: float = 0.0
    scored_games: int = 0
    """The sum of the scores of `scored_games` games: the run's mean score, which the
    progress line shows after a resume (0 for checkpoints written before it was kept)."""

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: object) -> RunCounters:
        """The counters a checkpoint saved; unknown keys are ignored, missing ones are 0."""
        if not isinstance(values, dict):
            return cls()
        counters = cls()
        for name in {f.name for f in fields(cls)} & set(values):
            kind = type(getattr(counters, name))
            setattr(counters, name, kind(values[name]))
        return counters


@dataclass(frozen=True, slots=True)
class ResumedRun:
    """What `restore_run` put back, for the log and the loop."""

    counters: RunCounters
    checkpoint: Path
    buffer: Path | None
    mlflow_run_id: str | None


def rng_state(buffer: ExperienceBuffer) -> dict[str, object]:
    """torch's generator as a tensor; the buffer's numpy and Python's generators as JSON."""
    return {
        "torch": torch.get_rng_state(),
        "buffer": json.dumps(buffer.rng.bit_generator.state),
        "python": json.dumps(random.getstate()),
    }


def restore_rng_state(state: object, buffer: ExperienceBuffer) -> None:
    if not isinstance(state, dict):
        logger.warning("The checkpoint records no random-generator state; continuing without.")
        return
    if isinstance(state.get("torch"), torch.Tensor):
        torch.set_rng_state(state["torch"])
    if isinstance(state.get("buffer"), str):
        buffer.rng.bit_generator.state = json.loads(state["buffer"])
    if isinstance(state.get("python"), str):
        version, internal, gauss = json.loads(state["python"])
        random.setstate((version, tuple(internal), gauss))


def training_extras(
    *,
    counters: RunCounters,
    trainer: Trainer,
    buffer: ExperienceBuffer,
    run_name: str,
    mlflow_run_id: str | None,
    buffer_step: int | None,
    mcts_config: AlphaTriangleMCTSConfig,
) -> dict[str, object]:
    """The checkpoint entries beside the weights (see `CheckpointStore.save_checkpoint`);
    `mcts_config` is the search the weights were trained with, which `apps/eval` plays."""
    return {
        "run_name": run_name,
        SEARCH_CONFIG_KEY: mcts_config.model_dump_json(),
        "mlflow_run_id": mlflow_run_id or "",
        "counters": counters.as_dict(),
        "trainer": trainer.state_dict(),
        "rng": rng_state(buffer),
        "buffer_step": -1 if buffer_step is None else buffer_step,
    }


def check_board(payload: dict[str, object], path: Path, env_config: EnvConfig) -> None:
    """Refuse a checkpoint recorded for another board, naming both boards (ResumeError)."""
    recorded = payload.get("env_config")
    if not isinstance(recorded, str):
        return
    try:
        check_same_board(
            EnvConfig.model_validate_json(recorded),
            env_config,
            recorded_by=f"checkpoint {path}",
            expected_by="this run is configured for",
        )
    except BoardMismatchError as error:
        raise ResumeError(str(error)) from error


def _check_model(payload: dict[str, object], path: Path, model_config: ModelConfig) -> None:
    recorded = payload.get("model_config")
    if not isinstance(recorded, str):
        return
    theirs = ModelConfig.model_validate_json(recorded)
    if theirs != model_config:
        changed = {
            k: (v, getattr(model_config, k))
            for k, v in theirs.model_dump().items()
            if getattr(model_config, k) != v
        }
        names = ", ".join(f"{k}: saved {a!r}, configured {b!r}" for k, (a, b) in changed.items())
        raise ResumeError(f"checkpoint {path} is for another network ({names})")


def restore_run(
    store: CheckpointStore,
    *,
    network: NeuralNetwork,
    trainer: Trainer,
    buffer: ExperienceBuffer,
    run_name: str,
) -> ResumedRun:
    """Load the newest good checkpoint and buffer of the run into the given objects.

    Raises ResumeError (bad input, exit 2) when nothing readable is left or the
    checkpoint is for another board or network; never returns a silent fresh start.
    """
    loaded = store.load_checkpoint()
    payload = loaded.payload
    check_board(payload, loaded.path, network.env_config)
    _check_model(payload, loaded.path, network.model_config)
    weights = payload["model_state"]
    assert isinstance(weights, dict)
    try:
        network.set_weights(weights, source=f"checkpoint {loaded.path}")
        trainer_state: Any = payload.get("trainer")
        if not isinstance(trainer_state, dict):
            raise ResumeError(f"checkpoint {loaded.path} holds no optimizer state")
        trainer.load_state_dict(trainer_state)
    except (CheckpointMismatchError, KeyError, ValueError) as error:
        raise ResumeError(f"cannot resume from checkpoint {loaded.path}: {error}") from error
    counters = RunCounters.from_dict(payload.get("counters"))
    counters.global_step = loaded.step
    if trainer.global_step != loaded.step:
        raise ResumeError(
            f"checkpoint {loaded.path} is inconsistent: step {loaded.step}, "
            f"optimizer at step {trainer.global_step}"
        )
    buffer_file = store.load_buffer(buffer)
    if buffer_file is None:
        logger.warning("No saved replay buffer: the buffer starts empty.")
    restore_rng_state(payload.get("rng"), buffer)
    # Files past the resumed step belong to a timeline that is now abandoned (they
    # were unreadable, or the buffer's content lives on in this run): out of the way.
    store.set_aside("superseded", newer_than=loaded.step)
    saved_run_id = payload.get("mlflow_run_id")
    if payload.get("run_name") != run_name:
        saved_run_id = None  # a copied checkpoint: this run keeps its own MLflow run
    return ResumedRun(
        counters=counters,
        checkpoint=loaded.path,
        buffer=buffer_file,
        mlflow_run_id=saved_run_id if isinstance(saved_run_id, str) and saved_run_id else None,
    )


def restore_or_start(
    run_context: RunContext,
    store: CheckpointStore,
    *,
    network: NeuralNetwork,
    trainer: Trainer,
    buffer: ExperienceBuffer,
) -> ResumedRun | None:
    """Resume the run's own saved state, or start from `--load-checkpoint` weights, or afresh.

    Setup calls it before a private Ray starts, so a checkpoint that cannot be used
    fails fast (ResumeError). A fresh start sets earlier files aside, never deletes them.
    """
    if run_context.resume and store.has_saved_state():
        resumed = restore_run(
            store, network=network, trainer=trainer, buffer=buffer, run_name=run_context.run_name
        )
        logger.info(
            "Restored checkpoint %s (step %d) and %s.",
            resumed.checkpoint,
            resumed.counters.global_step,
            f"buffer {resumed.buffer}" if resumed.buffer else "no buffer",
        )
        if run_context.load_checkpoint is not None:
            logger.warning(
                "Ignoring --load-checkpoint %s: the run resumes from its own checkpoint.",
                run_context.load_checkpoint,
            )
        return resumed
    if store.has_saved_state() or store.step_buffers():
        store.set_aside("replaced")  # a fresh start neither deletes nor mixes with them
    explicit = run_context.load_checkpoint
    if explicit is not None:
        try:
            network.load(explicit)
        except (CheckpointMismatchError, FileNotFoundError) as error:
            raise ResumeError(f"--load-checkpoint: {error}") from error
        logger.info("Loaded network weights from %s.", explicit)
    return None
