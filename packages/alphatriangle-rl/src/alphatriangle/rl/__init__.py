"""Self-play core of AlphaTriangle: the game as arrays (`game`), the searches (`search`), the
one lockstep loop that plays real games (`acting`), self-play, replay buffer, trainer and
evaluation players (`evaluation`).

Installable alone by other projects: it depends on alphatriangle-config,
alphatriangle-nn, numpy, torch and ray, never on trieye, mlflow or
alphatriangle-training.
"""

from .afterstate_targets import afterstate_value_targets
from .buffer import (
    BufferFileError,
    BufferStateError,
    ExperienceBuffer,
    SampledBatch,
    stored_bytes_per_position,
)
from .checkpoint_search import SEARCH_CONFIG_KEY, trained_search_config
from .experience import ExperienceBatch, n_step_value_targets
from .search import BatchedSearch, Evaluator, SearchStats, TreeDecision
from .self_play import SelfPlayResult, SelfPlayWorker
from .sum_tree import SumTree
from .trainer import Trainer, TrainStepResult, learning_rate_factor
from .turn_self_play import TurnSelfPlay, TurnSelfPlayStats

__all__ = [
    "SEARCH_CONFIG_KEY",
    "BatchedSearch",
    "BufferFileError",
    "BufferStateError",
    "Evaluator",
    "ExperienceBatch",
    "ExperienceBuffer",
    "SampledBatch",
    "SearchStats",
    "SelfPlayResult",
    "SelfPlayWorker",
    "SumTree",
    "TrainStepResult",
    "Trainer",
    "TreeDecision",
    "TurnSelfPlay",
    "TurnSelfPlayStats",
    "afterstate_value_targets",
    "learning_rate_factor",
    "n_step_value_targets",
    "stored_bytes_per_position",
    "trained_search_config",
]
