"""Self-play, replay and optimisation settings of one training run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from ._base import StrictConfig


class TrainConfig(StrictConfig):
    """Everything the trainer, the replay buffer and the self-play workers need to know."""

    # --- run length and devices ---
    max_training_steps: int | None = Field(default=None, ge=1)
    """Stop after this many optimiser steps (None: no step limit). Given without
    `max_minutes`, the run has no time budget: the step count alone ends it."""
    max_minutes: float | None = Field(default=60.0, gt=0.0)
    """Stop after this many minutes of training-loop wall clock, summed over resumes (None:
    no time limit). The learning-rate cosine and PER beta then anneal over the budget. Given
    without `max_training_steps`, the run has no step limit: the clock alone ends it.

    The default run is an hour: what a newcomer can wait for, and on 2 CPU cores the
    turn search's agent plays about as well as the planner after it (the README's
    results). 20,000 steps, the default before, took about a day there."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Trainer device; "auto" takes a GPU when one is visible and falls back to the CPU."""
    worker_device: Literal["auto", "cpu", "cuda"] = "cpu"
    """Device for self-play inference in each worker."""

    # --- self-play ---
    num_self_play_workers: int | None = Field(default=None, ge=1, le=1024)
    """Self-play workers at most (None: one per CPU of the Ray cluster, see below); the
    pipeline never starts more workers than the cluster has CPUs."""
    reserve_cpu_for_trainer: bool = False
    """Start one self-play worker fewer than there are CPUs, leaving a core to the trainer.

    Off by default: the replay cap (`max_samples_per_position`) holds the trainer to a
    fraction of a core (2.5 steps/s of 60 ms on 2 cores), so on 2 cores a second worker
    raised self-play while training from 79 to 109 moves/s. Turn it on for an uncapped
    trainer, or to save the memory of one worker process (about 500 MB)."""
    games_per_worker: int = Field(default=32, ge=1, le=4096)
    """Games a worker plays at once; their search leaves share one network call."""
    games_per_worker_at_start: int | None = Field(default=8, ge=1, le=4096)
    """Turn search: games a worker starts with (None: all `games_per_worker` at once); each
    game that ends then starts four in its place until the worker plays `games_per_worker`.

    A round costs about as much per game whatever their number, so 32 games in lockstep
    all end after 20-30 s of self-play on 2 cores, and the buffer waited that long for its
    first position; 8 end about four times sooner, and the worker reaches 32 once its
    first few games have ended. Tree searches start all their games at once."""
    worker_torch_threads: int = Field(default=1, ge=1, le=256)
    """torch intra-op threads per worker, so workers do not fight over cores."""
    trainer_torch_threads: int | None = Field(default=None, ge=1, le=256)
    """torch intra-op threads of the trainer (None: the CPUs the workers leave, at least 1).

    A trainer on every core steals the workers' cores and self-play stalls while it trains."""
    max_episode_length: int = Field(default=500, ge=1)
    """Moves after which a game is cut off (its value target then bootstraps)."""
    worker_update_freq_steps: int = Field(default=20, ge=1)
    """Send new weights to the workers every this many training steps."""
    value_target_n_step: int | None = Field(default=20, ge=1)
    """Tree searches: bootstrap value targets from the search value this many moves ahead
    (None: Monte Carlo)."""
    afterstate_td_lambda: float = Field(default=1.0, ge=0.0, le=1.0)
    """Turn search: lambda of the afterstate value targets, the TD(lambda) return over turns
    bootstrapped from the next afterstate's value (1, the default: the score the game went
    on to make). With 0.8, bootstrapping from the hand-made baseline (far below the returns)
    taught the network to cancel that baseline and self-play fell from 160 to 47 in ten
    minutes."""

    # --- replay buffer ---
    buffer_capacity: int = Field(default=50_000, ge=1)
    """Positions the replay buffer keeps; the oldest are overwritten first."""
    min_buffer_size_to_train: int = Field(default=256, ge=1)
    """Positions the buffer must hold before training starts.

    The replay cap (`max_samples_per_position`), not this warm-up, bounds how often a
    position is trained on: at 4 samples per position and batches of 128, step k waits
    for 32k positions, so a warm-up of W only lets the first W/32 steps run at once on
    the first W positions, each drawn about 4 times whatever W is. What a larger warm-up
    buys is first batches drawn from more games (256 is about 15 of the first games,
    two batches); 1,000 kept the first step 10-25 s later on 2 cores."""
    max_samples_per_position: float | None = Field(default=4.0, gt=0.0)
    """Train only while samples trained <= this x positions self-play has added (None: no cap).

    Without a cap a fast trainer samples each position dozens of times (about 27 on 2 cores)
    and fits the few games it has: on 2 cores the uncapped default run's evaluation score
    stayed near 9 for 4,000 steps, while with 4 it reached 20 by step 500."""
    use_per: bool = True
    """Prioritised experience replay instead of uniform sampling."""
    per_alpha: float = Field(default=0.6, ge=0.0, le=1.0)
    """How strongly priorities shape sampling (0 = uniform)."""
    per_beta_initial: float = Field(default=0.4, ge=0.0, le=1.0)
    """Importance-sampling correction at step 0."""
    per_beta_final: float = Field(default=1.0, ge=0.0, le=1.0)
    """Importance-sampling correction once annealing ends."""
    per_beta_anneal_steps: int | None = Field(default=None, ge=1)
    """Training steps over which beta anneals (None: `max_training_steps`)."""
    per_epsilon: float = Field(default=1e-5, gt=0.0)
    """Added to every priority so no position is never sampled again."""

    # --- persistence and statistics ---
    checkpoint_save_freq_steps: int = Field(default=500, ge=1)
    """Save a checkpoint (and the run state) every this many training steps, and at the end."""
    buffer_save_freq_steps: int = Field(default=2_000, ge=1)
    """Save the replay buffer every this many training steps, and at the end."""
    stats_interval_seconds: float = Field(default=10.0, gt=0.0)
    """How often buffered metric events are aggregated and written to MLflow and TensorBoard.

    Each pass costs the stats actor MLflow and TensorBoard writes: every 2 s it took about
    a quarter of a core on a 2-core machine, which self-play needs more."""
    progress_interval_seconds: float = Field(default=5.0, gt=0.0)
    """How often the console progress line is printed."""
    checkpoints_to_keep: int = Field(default=3, ge=1)
    """Step checkpoints and step buffers kept on disk; older ones are deleted after a save."""
    results_per_call_max_moves: int = Field(default=8, ge=1)
    """Moves a worker plays per request, so results and new weights flow without long waits."""

    # --- evaluation during training ---
    eval_interval_steps: int = Field(default=100, ge=0)
    """Consider an evaluation of the trainer's weights every this many training steps (0:
    never); one starts only when `eval_cpu_share` allows."""
    eval_cpu_share: float = Field(default=0.05, gt=0.0, le=1.0)
    """Most of the run's CPU time evaluations may take: after an evaluation that played for
    d seconds on one core, the next starts no sooner than d / (share x the run's CPUs)
    seconds after it started, so evaluations are paced by the clock, not the step count."""
    eval_games: int = Field(default=16, ge=1, le=1024)
    """Games per evaluation, on fixed seeds self-play never uses, with noise off."""
    eval_max_moves: int | None = Field(default=300, ge=1)
    """Moves after which an evaluation game is cut off, so one evaluation's cost is bounded."""

    # --- faults ---
    max_consecutive_bad_updates: int = Field(default=20, ge=1)
    """Stop the run (keeping the last good checkpoint) after this many NaN/inf updates in a row."""
    max_worker_restarts: int = Field(default=100, ge=0)
    """Stop the run after replacing dead self-play workers this many times in all."""

    # --- optimisation ---
    batch_size: int = Field(default=128, ge=1)
    """Positions per training step."""
    learning_rate: float = Field(default=1e-3, gt=0.0, le=1.0)
    """Peak learning rate of AdamW."""
    weight_decay: float = Field(default=1e-4, ge=0.0)
    """AdamW decoupled weight decay."""
    lr_warmup_steps: int = Field(default=100, ge=0)
    """Linear warm-up steps before the cosine decay."""
    lr_min_factor: float = Field(default=0.05, ge=0.0, le=1.0)
    """The cosine schedule ends at `learning_rate * lr_min_factor`."""
    gradient_clip_norm: float | None = Field(default=5.0, gt=0.0)
    """Clip the global gradient norm to this (None: no clipping)."""
    value_loss_weight: float = Field(default=1.0, ge=0.0)
    """Weight of the value cross-entropy in the total loss."""
    board_value_fit: Literal["least_squares", "within_positions", "optimiser"] = "least_squares"
    """How the trainer fits the turn search's board value: "least_squares" solves for its
    coefficients after every step over the levels of the batches it has trained on
    lately; "within_positions" the same over the targets that arrived lately, fitted to
    the differences between the boards of each searched position (the search compares
    those), the level set by the mean residual (offline far better at one ply; in a
    60-minute run it did no better, `benchmarks/results/2026-12-07-learned-value/`);
    "optimiser" moves them with AdamW beside the network (which, in every case, takes
    optimiser steps)."""
    board_value_memory_steps: int = Field(default=500, ge=1)
    """Least-squares board value: the steps over which a batch's weight in the fit fades
    by a factor e (targets move as the value they bootstrap from moves)."""
    board_value_ridge: float = Field(default=1e-3, gt=0.0)
    """Least-squares board value: how hard each coefficient is pulled towards the untrained
    value's, as a share of its input's second moment."""
    board_value_prior_boards: float = Field(default=10.0, ge=0.0)
    """Least-squares board value: the untrained value's coefficients also count as this
    many boards whose every scaled input is 1, so the first batches (opening boards only)
    cannot give rarely seen inputs wild weights; data soon outweighs it."""
    entropy_bonus_weight: float = Field(default=0.0, ge=0.0)
    """Weight of the policy-entropy bonus subtracted from the loss."""

    @classmethod
    def from_recorded(cls, values: Mapping[str, Any]) -> TrainConfig:
        """The settings a run-state file recorded: a field it lacks was not there when it
        was written, and takes the value the run trained with then
        (`TRAIN_RECORDED_BEFORE_THE_FIELD`), not today's default."""
        return cls.model_validate({**TRAIN_RECORDED_BEFORE_THE_FIELD, **values})

    @model_validator(mode="before")
    @classmethod
    def _one_limit_given_replaces_the_other(cls, data: Any) -> Any:
        """To train for an hour means an hour, and to train 20,000 steps means 20,000
        steps: a time budget given without a step limit lifts any default step limit,
        and a step limit given without a time budget lifts the default budget, at which
        the run would otherwise stop first."""
        if not isinstance(data, dict):
            return data
        if data.get("max_minutes") is not None and "max_training_steps" not in data:
            return {**data, "max_training_steps": None}
        if data.get("max_training_steps") is not None and "max_minutes" not in data:
            return {**data, "max_minutes": None}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if self.min_buffer_size_to_train > self.buffer_capacity:
            raise ValueError(
                f"min_buffer_size_to_train ({self.min_buffer_size_to_train}) must not exceed "
                f"buffer_capacity ({self.buffer_capacity})"
            )
        if self.batch_size > self.buffer_capacity:
            raise ValueError(
                f"batch_size ({self.batch_size}) must not exceed buffer_capacity "
                f"({self.buffer_capacity})"
            )
        if self.per_beta_final < self.per_beta_initial:
            raise ValueError(
                f"per_beta_final ({self.per_beta_final}) must be >= per_beta_initial "
                f"({self.per_beta_initial})"
            )
        return self

    @property
    def beta_anneal_steps(self) -> int:
        """Steps over which PER beta anneals (falls back to the run length, then 100k)."""
        return self.per_beta_anneal_steps or self.max_training_steps or 100_000


TRAIN_RECORDED_BEFORE_THE_FIELD: dict[str, Any] = {"board_value_fit": "optimiser"}
"""What a run did before these `[train]` fields existed: it trained the board value with
the optimiser, and resumes doing so."""
