"""Self-play core of AlphaTriangle: batched tree search, self-play worker, replay buffer, trainer.

Installable alone by other projects: it depends on alphatriangle-config,
alphatriangle-nn, numpy, torch and ray, never on trieye, mlflow or
alphatriangle-training.
"""

from .buffer import (
    BufferFileError,
    BufferStateError,
    ExperienceBuffer,
    SampledBatch,
    stored_bytes_per_position,
)
from .experience import ExperienceBatch, n_step_value_targets
from .search import BatchedSearch, Evaluator, SearchResult, SearchStats, Transition
from .self_play import SelfPlayResult, SelfPlayWorker
from .sum_tree import SumTree
from .trainer import Trainer, TrainStepResult, learning_rate_factor

__all__ = [
    "BatchedSearch",
    "BufferFileError",
    "BufferStateError",
    "Evaluator",
    "ExperienceBatch",
    "ExperienceBuffer",
    "SampledBatch",
    "SearchResult",
    "SearchStats",
    "SelfPlayResult",
    "SelfPlayWorker",
    "SumTree",
    "TrainStepResult",
    "Trainer",
    "Transition",
    "learning_rate_factor",
    "n_step_value_targets",
    "stored_bytes_per_position",
]
