"""The names of every metric a run logs, in one place.

The training loop sends events under these names, its stats configuration tells trieye
how to aggregate each, `PlayerSummary.as_metrics` names the evaluation's figures with
them, and the evaluation app reads learning curves back from MLflow by them: renaming
one here renames it everywhere. They live in alphatriangle-rl, the lowest package that
produces metrics (the `Eval/*` figures), which imports neither trieye nor MLflow.
"""

from __future__ import annotations

# --- training steps ---
LOSS_TOTAL = "Loss/total"
LOSS_POLICY = "Loss/policy"
LOSS_VALUE = "Loss/value"
LOSS_ENTROPY = "Loss/entropy"
LOSS_BOARD_VALUE = "Loss/board_value"
GRAD_NORM = "Train/grad_norm"
SKIPPED_UPDATES = "Train/skipped_updates"
"""Updates skipped for a NaN or infinite loss or gradient, over the run."""
LEARNING_RATE = "LearningRate"
PER_BETA = "PER/beta"
"""The prioritised replay's importance-sampling exponent."""
BUFFER_SIZE = "Buffer/size"

# --- self-play ---
EPISODE_SCORE = "Episode/score"
EPISODE_LENGTH = "Episode/length"
EPISODE_TRIANGLES_CLEARED = "Episode/triangles_cleared"

# --- throughput and progress ---
STEPS_PER_SECOND = "Rate/steps_per_sec"
SIMULATIONS_PER_SECOND = "Rate/simulations_per_sec"
"""Tree searches' simulations a second (0 under the turn search, which runs none)."""
AFTERSTATES_VALUED_PER_SECOND = "Rate/afterstates_valued_per_sec"
"""Turn search: afterstates the network valued a second (0 under the tree searches)."""
MOVES_PER_SECOND = "Rate/moves_per_sec"
WEIGHT_UPDATES = "Progress/weight_updates"
EPISODES_PLAYED = "Progress/episodes_played"
TOTAL_SIMULATIONS = "Progress/total_simulations"
TOTAL_AFTERSTATES_VALUED = "Progress/total_afterstates_valued"

# --- the system ---
NUM_WORKERS = "System/num_workers"
WORKER_RESTARTS = "System/worker_restarts"
SECONDS_TO_FIRST_STEP = "System/seconds_to_first_step"

# --- evaluation during training (PlayerSummary.as_metrics, and the best so far) ---
EVAL_MEAN_SCORE = "Eval/mean_score"
EVAL_MEDIAN_SCORE = "Eval/median_score"
EVAL_P10_SCORE = "Eval/p10_score"
EVAL_P90_SCORE = "Eval/p90_score"
EVAL_BEST_SCORE = "Eval/best_score"
EVAL_MEAN_LENGTH = "Eval/mean_length"
EVAL_TRIANGLES_CLEARED = "Eval/triangles_cleared"
EVAL_SECONDS_PER_MOVE = "Eval/seconds_per_move"
EVAL_SECONDS = "Eval/seconds"
EVAL_BEST_MEAN_SCORE = "Eval/best_mean_score"
"""Logged when an evaluation's mean score is the best of the run so far."""
EVAL_METRICS = (
    EVAL_MEAN_SCORE,
    EVAL_MEDIAN_SCORE,
    EVAL_P10_SCORE,
    EVAL_P90_SCORE,
    EVAL_BEST_SCORE,
    EVAL_MEAN_LENGTH,
    EVAL_TRIANGLES_CLEARED,
    EVAL_SECONDS_PER_MOVE,
    EVAL_SECONDS,
    EVAL_BEST_MEAN_SCORE,
)
"""Every `Eval/*` metric."""

# --- raw events the stats actor turns into metrics (not metrics themselves) ---
EPISODE_EVENT = "episode_end"
"""One per finished game, its score, length and triangles cleared in its context."""
STEP_EVENT = "step_completed"
"""One per training step: the numerator of `Rate/steps_per_sec`."""
SIMULATIONS_EVENT = "simulations"
"""A game's tree-search simulations: the numerator of `Rate/simulations_per_sec`."""
AFTERSTATES_VALUED_EVENT = "afterstates_valued"
"""A game's afterstates valued by the network (turn search): the numerator of
`Rate/afterstates_valued_per_sec`."""
