"""The loop's schedule, fast and without Ray: the replay-ratio gate, the save, broadcast and
evaluation cadence, skipping then stopping on NaN updates, and a time budget (on a fake
clock) that ends the run, anneals its schedule and carries over a resume.

The loop is built from the parts `setup_training_components` would hand it, with the
Ray roles replaced by fakes: workers that hand in prepared games, a stats sender that
records every event, an evaluation that finishes at once with given scores. The
network, buffer, trainer and checkpoint store are the real ones, on a small board, in
a temporary directory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from trieye import RawMetricEvent

from alphatriangle.config import (
    EnvConfig,
    ModelConfig,
    RunContext,
    TrainConfig,
    search_config,
)
from alphatriangle.nn import FeatureSpec, NeuralNetwork, StateDict, read_checkpoint
from alphatriangle.rl import (
    ExperienceBatch,
    ExperienceBuffer,
    SampledBatch,
    SelfPlayResult,
    Trainer,
    TrainStepResult,
)
from alphatriangle.rl import metric_names as names
from alphatriangle.rl.evaluation import GameRecord, PlayerSummary
from alphatriangle.training import TrainingComponents, TrainingLoop
from alphatriangle.training.pipeline.loop import TrainingDivergedError
from alphatriangle.training.roles.periodic_eval import EvaluationOutcome
from alphatriangle.training.roles.result_intake import CollectedResults
from alphatriangle.training.store.checkpoints import CheckpointStore
from alphatriangle.training.store.resume import restore_run

BOARD = EnvConfig(
    ROWS=6,
    COLS=9,
    PLAYABLE_RANGE_PER_ROW=[(1, 8), (0, 9), (0, 9), (0, 9), (0, 9), (1, 8)],
    NUM_SHAPE_SLOTS=2,
)
TINY_MODEL = ModelConfig(trunk_channels=8, num_residual_blocks=1, value_hidden_dim=16)
GAME_LENGTH = 6
"""Positions in each prepared game."""
BATCH = 8


@pytest.fixture(autouse=True)
def one_trainer_thread() -> Iterator[None]:
    """The trainer's threads, as setup sets them for a run (`set_trainer_threads`): here one,
    so a tiny network's steps are not slowed by threads waiting for each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def prepared_game(spec: FeatureSpec, rng: np.random.Generator, seed: int) -> SelfPlayResult:
    """A finished game of GAME_LENGTH positions that passes the loop's intake."""
    policy = rng.random((GAME_LENGTH, spec.action_dim)).astype(np.float32)
    experiences = ExperienceBatch(
        grid=rng.integers(0, 2, (GAME_LENGTH, spec.grid_channels, spec.rows, spec.cols)).astype(
            np.uint8
        ),
        other=rng.random((GAME_LENGTH, spec.other_dim)).astype(np.float32),
        policy_target=policy / policy.sum(axis=1, keepdims=True),
        value_target=rng.random(GAME_LENGTH).astype(np.float32),
    )
    return SelfPlayResult(
        experiences=experiences,
        score=float(seed),
        length=GAME_LENGTH,
        triangles_cleared=0,
        simulations=4 * GAME_LENGTH,
        seconds=0.01,
        seed=seed,
        worker_id=0,
        weights_step=0,
        truncated=False,
    )


class FakeWorkers:
    """Hands in `games` prepared games, one per collect, then none; once the loop has
    collected `idle_collects` times in a row without taking a step (it waits for games
    that never come), it asks the loop to stop."""

    def __init__(self, games: int, idle_collects: int = 30) -> None:
        self.spec = FeatureSpec.from_env(BOARD)
        self.rng = np.random.default_rng(0)
        self.games_left = games
        self.idle_collects = idle_collects
        self.idle = 0
        self.restarts = 0
        self.loop: TrainingLoop | None = None
        self.buffer: ExperienceBuffer | None = None
        self.seen: list[tuple[int, int]] = []
        """(global step, positions ever added to the buffer) at each collect."""
        self.broadcasts: list[int] = []
        self.started_at: int | None = None
        self.stopped = False

    def start(self, weights: StateDict, global_step: int) -> None:
        self.started_at = global_step

    def collect(self, timeout: float) -> CollectedResults:
        loop, buffer = self.loop, self.buffer
        assert loop is not None
        assert buffer is not None
        stuck = bool(self.seen) and self.seen[-1][0] == loop.global_step
        self.seen.append((loop.global_step, buffer.total_added))
        if self.games_left == 0:
            self.idle = self.idle + 1 if stuck else 0
            if self.idle >= self.idle_collects:
                loop.request_stop("self-play has no more games")
            return CollectedResults([], 0)
        self.games_left -= 1
        game = prepared_game(self.spec, self.rng, seed=self.games_left)
        return CollectedResults([game], GAME_LENGTH)

    def update_weights(self, weights: StateDict, global_step: int) -> None:
        self.broadcasts.append(global_step)

    def stop(self) -> None:
        self.stopped = True


class RecordingStats:
    """The stats sender's place: keeps every event."""

    def __init__(self) -> None:
        self.events: list[RawMetricEvent] = []
        self.waited = False

    def add(self, event: RawMetricEvent) -> None:
        self.events.append(event)

    def flush(self, global_step: int) -> None:
        pass

    def flush_and_wait(self, global_step: int, timeout: float = 120.0) -> None:
        self.waited = True

    def values(self, name: str) -> list[tuple[int, float]]:
        return [(e.global_step, e.value) for e in self.events if e.name == name]


class InstantEvaluation:
    """Evaluates every `interval` steps, finishing at once; the i-th evaluation's mean
    score is `scores[i]`."""

    def __init__(self, interval: int = 0, scores: Sequence[float] = ()) -> None:
        self.interval = interval
        self.scores = list(scores)
        self.best_mean_score: float | None = None
        self.started: list[int] = []
        self._pending: int | None = None

    def is_due(self, step: int) -> bool:
        return self.interval > 0 and step % self.interval == 0 and self._pending is None

    def start(self, step: int, weights: StateDict) -> None:
        self.started.append(step)
        self._pending = step

    def poll(self, timeout: float = 0.0) -> EvaluationOutcome | None:
        if self._pending is None:
            return None
        step, self._pending = self._pending, None
        score = self.scores[len(self.started) - 1]
        game = GameRecord(seed=0, score=score, length=3, triangles_cleared=0, truncated=False)
        summary = PlayerSummary(name="search", games=(game,), seconds=0.1)
        is_best = self.best_mean_score is None or score > self.best_mean_score
        if is_best:
            self.best_mean_score = score
        return EvaluationOutcome(step=step, summary=summary, is_best=is_best, weights_taken_at=1.0)

    def cancel(self) -> None:
        self._pending = None


class NanTrainer(Trainer):
    """A trainer whose first COUNT updates attempted at each STEP of `nan_at` come out with
    NaN losses, skipped as the real trainer skips them: nothing is updated."""

    def __init__(self, *, nan_at: dict[int, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nan_at = dict(nan_at)

    def train_step(self, batch: SampledBatch) -> TrainStepResult:
        if self.nan_at.get(self.global_step, 0) == 0:
            return super().train_step(batch)
        self.nan_at[self.global_step] -= 1
        return TrainStepResult(
            total_loss=math.nan,
            policy_loss=math.nan,
            value_loss=math.nan,
            entropy=math.nan,
            learning_rate=0.0,
            grad_norm=math.nan,
            value_errors=np.zeros(len(batch.indices), np.float32),
            skipped=True,
        )


def build_loop(
    tmp_path: Path,
    workers: FakeWorkers,
    *,
    evaluation: InstantEvaluation | None = None,
    nan_at: dict[int, int] | None = None,
    clock: Callable[[], float] | None = None,
    resume: bool = False,
    **train: Any,
) -> tuple[TrainingLoop, TrainingComponents, RecordingStats]:
    """The loop on real learner parts; `resume` restores the run's saved state first."""
    settings: dict[str, Any] = {
        "batch_size": BATCH,
        "buffer_capacity": 500,
        "min_buffer_size_to_train": BATCH,
        "max_training_steps": 100,
        "lr_warmup_steps": 2,
        "stats_interval_seconds": 0.01,
    }
    train_config = TrainConfig(**{**settings, **train})
    run_context = RunContext(run_name="schedule", data_root=tmp_path)
    network = NeuralNetwork(model_config=TINY_MODEL, env_config=BOARD, device="cpu", seed=0)
    trainer = (
        NanTrainer(network=network, config=train_config, nan_at=nan_at)
        if nan_at
        else Trainer(network=network, config=train_config)
    )
    stats = RecordingStats()
    components = TrainingComponents(
        run_context=run_context,
        env_config=BOARD,
        model_config=TINY_MODEL,
        train_config=train_config,
        mcts_config=search_config(algorithm="gumbel"),
        network=network,
        buffer=ExperienceBuffer.from_config(train_config, seed=0),
        trainer=trainer,
        store=CheckpointStore(run_context, keep=train_config.checkpoints_to_keep),
        workers=workers,
        stats=stats,
        evaluation=evaluation or InstantEvaluation(),
        trieye_actor=None,
        trieye_actor_name="none",
        mlflow_run_id="none",
        num_workers=1,
    )
    if resume:
        resumed = restore_run(
            components.store,
            network=network,
            trainer=trainer,
            buffer=components.buffer,
            run_name=run_context.run_name,
        )
        components.counters = resumed.counters
    loop = TrainingLoop(components) if clock is None else TrainingLoop(components, clock=clock)
    workers.loop, workers.buffer = loop, components.buffer
    return loop, components, stats


@pytest.mark.parametrize(
    ("ratio", "games", "steps"),
    [
        (1.0, 5, 3),  # 30 positions, at most one sample each: 3 batches of 8
        (2.0, 5, 7),  # two samples each: 7 batches
        (None, 2, 100),  # no cap: training runs to its limit on 12 positions
    ],
)
def test_training_never_gets_ahead_of_self_play(
    tmp_path: Path, ratio: float | None, games: int, steps: int
) -> None:
    workers = FakeWorkers(games=games)
    loop, components, _ = build_loop(tmp_path, workers, max_samples_per_position=ratio)
    loop.run()

    assert loop.global_step == steps
    assert loop.finished == (ratio is None)
    assert components.buffer.total_added == games * GAME_LENGTH
    if ratio is not None:
        # At every moment: the samples drawn are within the cap of the positions added.
        assert all(step * BATCH <= ratio * added for step, added in workers.seen)
    # Nothing trains before the buffer holds its minimum (the first game alone is short).
    first_trained = next(i for i, (step, _) in enumerate(workers.seen) if step > 0)
    assert workers.seen[first_trained][1] >= BATCH
    assert workers.stopped


def test_checkpoints_buffers_weights_and_evaluations_on_their_cadence(tmp_path: Path) -> None:
    workers = FakeWorkers(games=3)
    evaluation = InstantEvaluation(interval=5, scores=[2.0, 1.0])
    loop, components, stats = build_loop(
        tmp_path,
        workers,
        evaluation=evaluation,
        max_training_steps=12,
        max_samples_per_position=None,
        checkpoint_save_freq_steps=3,
        buffer_save_freq_steps=4,
        worker_update_freq_steps=5,
        checkpoints_to_keep=20,
    )
    loop.run()

    store, context = components.store, components.run_context
    assert loop.finished
    # Every 3 steps, every 4 (with the buffer), each evaluated step, and the end.
    assert sorted(step for step, _ in store.step_checkpoints()) == [3, 4, 5, 6, 8, 9, 10, 12]
    assert sorted(step for step, _ in store.step_buffers()) == [4, 8, 12]
    assert read_checkpoint(store.latest_path)["global_step"] == 12
    assert workers.broadcasts == [5, 10]
    assert loop.counters.weight_updates == 2
    assert stats.values(names.WEIGHT_UPDATES) == [(5, 1.0), (10, 2.0)]
    # Evaluated at 5 and 10; step 5 scored best, so its checkpoint is best.pt.
    assert evaluation.started == [5, 10]
    assert read_checkpoint(store.best_path)["global_step"] == 5
    assert stats.values(names.EVAL_MEAN_SCORE) == [(5, 2.0), (10, 1.0)]
    assert stats.values(names.EVAL_BEST_MEAN_SCORE) == [(5, 2.0)]
    state = json.loads(context.run_state_path.read_text())
    assert (state["global_step"], state["finished"]) == (12, True)
    assert state["best_eval_mean_score"] == 2.0
    assert state["counters"]["weight_updates"] == 2
    # One loss per applied update, at its step; every game is counted.
    assert [step for step, _ in stats.values(names.LOSS_TOTAL)] == list(range(1, 13))
    assert stats.values(names.EPISODES_PLAYED)[-1] == (12, 3.0)
    assert stats.waited  # the last metrics were delivered before the run ended


def test_nan_updates_are_skipped_and_a_streak_stops_the_run(tmp_path: Path) -> None:
    # Two bad updates at step 4 (the streak then breaks), and from step 7 on only bad ones.
    workers = FakeWorkers(games=3)
    loop, components, stats = build_loop(
        tmp_path,
        workers,
        nan_at={4: 2, 7: 1_000},
        max_samples_per_position=None,
        max_consecutive_bad_updates=3,
        checkpoint_save_freq_steps=2,
        buffer_save_freq_steps=100,
    )
    with pytest.raises(TrainingDivergedError, match="3 updates in a row at step 7") as caught:
        loop.run()

    assert "max_consecutive_bad_updates = 3" in str(caught.value)
    # Skips do not count as steps: the trainer and the loop stand at step 7.
    assert loop.global_step == components.trainer.global_step == 7
    # 2 at step 4 and 3 at step 7: the good updates between reset the streak.
    assert loop.counters.skipped_updates == 5
    skipped = [value for _, value in stats.values(names.SKIPPED_UPDATES)]
    assert set(skipped) == {0, 1, 2, 3, 4, 5}  # each skip, and the totals at each flush
    assert skipped == sorted(skipped)
    assert [step for step, _ in stats.values(names.LOSS_TOTAL)] == list(range(1, 8))
    # The last good checkpoint (step 6) is left as it was: nothing is saved on divergence.
    store = components.store
    assert sorted(step for step, _ in store.step_checkpoints()) == [2, 4, 6]
    latest = read_checkpoint(store.latest_path)
    assert latest["global_step"] == 6
    assert latest["counters"]["skipped_updates"] == 2  # type: ignore[index]
    assert json.loads(components.run_context.run_state_path.read_text())["global_step"] == 6
    assert workers.stopped


class StepClock:
    """A training clock on which each update takes one second."""

    def __init__(self) -> None:
        self.loop: TrainingLoop | None = None

    def __call__(self) -> float:
        return 0.0 if self.loop is None else float(self.loop.global_step)


def test_a_time_budget_ends_the_run_anneals_its_schedule_and_survives_a_resume(
    tmp_path: Path,
) -> None:
    budget = {
        "max_training_steps": None,
        "max_samples_per_position": None,
        "learning_rate": 1e-3,
        "lr_min_factor": 0.05,
        "per_beta_initial": 0.4,
        "per_beta_final": 1.0,
        "checkpoint_save_freq_steps": 10,
    }
    clock = StepClock()
    loop, components, stats = build_loop(
        tmp_path, FakeWorkers(games=4), clock=clock, max_minutes=0.5, **budget
    )
    clock.loop = loop
    loop.run()

    # Half a minute at a second per update: 30 updates, then a clean, finished stop.
    assert (loop.global_step, loop.finished, loop.stopped_early) == (30, True, False)
    rates = [rate for _, rate in stats.values(names.LEARNING_RATE)]
    after_warm_up = rates[2:]
    assert after_warm_up == sorted(after_warm_up, reverse=True)
    # The cosine ran over the budget: near its floor at the end, not at the peak as it
    # would be 30 steps into the default 20,000-step schedule.
    assert rates[-1] < 0.07 * 1e-3  # (the rate of an update is set one update ahead)
    betas = [beta for _, beta in stats.values(names.PER_BETA)]
    assert betas[-1] > 0.95
    assert betas == sorted(betas)
    state = json.loads(components.run_context.run_state_path.read_text())
    assert (state["finished"], state["max_minutes"]) == (True, 0.5)
    assert state["counters"]["training_seconds"] == 30.0
    assert read_checkpoint(components.store.latest_path)["counters"]["training_seconds"] == 30.0  # type: ignore[index]

    # Resumed with the budget raised to a minute: 30 more seconds, not a minute more,
    # and the schedule continues from half-way instead of starting over.
    clock = StepClock()
    loop, components, stats = build_loop(
        tmp_path, FakeWorkers(games=4), clock=clock, max_minutes=1.0, resume=True, **budget
    )
    clock.loop = loop
    assert loop.budget.progress(loop.global_step) == 0.5
    loop.run()
    assert (loop.global_step, loop.finished) == (60, True)
    rates = [rate for _, rate in stats.values(names.LEARNING_RATE)]
    assert rates[0] < 0.6 * 1e-3  # the cosine's middle, not a fresh warm-up
    assert rates[-1] < 0.07 * 1e-3  # (the rate of an update is set one update ahead)
    state = json.loads(components.run_context.run_state_path.read_text())
    assert state["counters"]["training_seconds"] == 60.0


def test_a_step_limit_nearer_than_the_budget_ends_the_run_and_its_schedule(
    tmp_path: Path,
) -> None:
    clock = StepClock()
    loop, _, stats = build_loop(
        tmp_path,
        FakeWorkers(games=3),
        clock=clock,
        max_minutes=10.0,
        max_training_steps=20,
        max_samples_per_position=None,
        lr_min_factor=0.05,
    )
    clock.loop = loop
    loop.run()

    assert (loop.global_step, loop.finished) == (20, True)
    rates = [rate for _, rate in stats.values(names.LEARNING_RATE)]
    assert rates[-1] < 0.1 * 1e-3  # the step limit came first, and the cosine followed it
