"""Faults caused for real in tiny in-process runs (real Ray, trieye, MLflow on SQLite).

A self-play worker and the stats actor are killed with `ray.kill` mid-run; the newest
checkpoint and buffer are truncated before a resume; NaN losses come from a trainer
whose batches carry NaN value targets at chosen steps. Signals are in
tests/test_train_app.py, on the real subprocess.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import ray
from mlflow.tracking import MlflowClient

from alphatriangle.config import RunContext
from alphatriangle.nn import read_checkpoint
from alphatriangle.rl import ExperienceBuffer, SampledBatch, Trainer, TrainStepResult
from alphatriangle.training import TrainingLoop, run_training, setup_training_components
from alphatriangle.training.pipeline import setup
from alphatriangle.training.pipeline.runner import shutdown_run


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def metric_history(context: RunContext, name: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in logged_metrics(context, name))


def metric_dates(context: RunContext, name: str) -> list[tuple[int, int]]:
    """(epoch milliseconds, step) of each value of `name`, oldest first."""
    return sorted((m.timestamp, m.step) for m in logged_metrics(context, name))


def logged_metrics(context: RunContext, name: str) -> list[Any]:
    client = MlflowClient(tracking_uri=context.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])  # one MLflow run, always
    return list(client.get_metric_history(run.info.run_id, name))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def steps_by_launch(dates: list[tuple[int, int]], bounds_ms: tuple[int, ...]) -> list[list[int]]:
    """The steps of `dates` logged between each two consecutive `bounds_ms`, oldest first.

    Fails if a value is dated outside them all (before the first launch, after the last).
    """
    launches: list[list[int]] = [[] for _ in bounds_ms[1:]]
    for ms, step in dates:
        within = [i for i, end in enumerate(bounds_ms[1:]) if bounds_ms[i] <= ms <= end]
        assert within, f"step {step} is dated {ms} ms, outside every launch {bounds_ms}"
        launches[within[0]].append(step)
    return launches


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def test_killed_worker_and_stats_actor_are_replaced_then_resume_survives_truncation(
    tmp_path: Path, tiny_configs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    context = RunContext(run_name="faults", seed=2, data_root=tmp_path / "data")
    started_ms = now_ms()
    # Training waits for 1,500 positions; the worker is killed before they are there (its
    # first games, played from setup on, bring about 700: tiny.toml's search learns from
    # up to 2 candidates per move past the refill), so the step limit is reachable only
    # through the games of its replacement.
    components, owned_ray = setup_training_components(
        context, **tiny_configs(max_training_steps=30, min_buffer_size_to_train=1_500)
    )
    assert components is not None
    loop = TrainingLoop(components)
    failures: list[BaseException] = []

    def train() -> None:
        try:
            loop.run()
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    thread = threading.Thread(target=train)
    try:
        thread.start()
        # The workers play from setup on, so the first game can arrive before the stats
        # actor has written anything: it is killed only once the count at step 0 is logged.
        wait_for(
            lambda: bool(metric_history(context, "Progress/episodes_played")), "the first metrics"
        )
        wait_for(lambda: loop.counters.episodes_played >= 1, "the first game")
        assert len(components.buffer) < 1_500
        workers = components.workers
        victim = workers.workers[0]  # type: ignore[attr-defined]
        ray.kill(victim)  # type: ignore[arg-type]
        ray.kill(components.trieye_actor, no_restart=False)
        wait_for(lambda: workers.restarts >= 1, "the worker to be replaced")
        actors = list(workers.workers)  # type: ignore[attr-defined]
        assert len(actors) == components.num_workers
        assert victim not in actors
        alive = ray.get([w.ping.remote() for w in actors], timeout=120)
        assert alive == list(range(components.num_workers))
        thread.join(timeout=300)
        assert not thread.is_alive()
    finally:
        loop.request_stop()
        thread.join(timeout=120)
        shutdown_run(components, owned_ray)
    first_ended_ms = now_ms()
    assert not failures, failures
    assert loop.finished
    assert loop.global_step == 30
    assert loop.counters.worker_restarts == 1
    assert read_checkpoint(components.store.latest_path)["counters"]["worker_restarts"] >= 1  # type: ignore[index]
    assert metric_history(context, "System/worker_restarts")[-1][1] >= 1
    loss_steps = [step for step, _ in metric_history(context, "Loss/total")]
    assert loss_steps[-1] == 30  # the restarted stats actor logs into the same MLflow run
    # trieye rewrites configs.json when it restarts; the run's configs are sent again.
    configs = json.loads(context.configs_path.read_text())
    assert configs["train"]["min_buffer_size_to_train"] == 1_500

    # The newest checkpoint (both names) and buffer are truncated: resume falls back.
    store = components.store
    assert [s for s, _ in store.step_checkpoints()] == [30, 20, 10]
    for path in (store.latest_path, store.checkpoint_path(30), store.buffer_path(30)):
        truncate(path)
    fallback_buffer = ExperienceBuffer.from_config(components.train_config, seed=0)
    fallback_buffer.load(store.buffer_path(20))
    with caplog.at_level(logging.INFO):
        exit_code = run_training(context, **tiny_configs(max_training_steps=24))
    resumed_ended_ms = now_ms()
    assert exit_code == 0
    assert f"Skipping checkpoint {store.latest_path}" in caplog.text
    assert f"Skipping checkpoint {store.checkpoint_path(30)}" in caplog.text
    assert f"Falling back to checkpoint {store.checkpoint_path(20)}" in caplog.text
    assert f"Skipping buffer {store.buffer_path(30)}" in caplog.text
    assert f"at step 20 with {len(fallback_buffer)} positions" in caplog.text
    assert read_checkpoint(store.latest_path)["global_step"] == 24
    assert [s for s, _ in store.step_checkpoints()] == [24, 20, 10]
    (aside,) = store.checkpoints_dir.glob("superseded_*")  # set aside, not deleted
    assert [p.name for p in aside.iterdir()] == ["step_00000030.pt"]
    assert not ray.is_initialized()
    # Dated by the driver's clock through the stats actor's restart (the events it lost
    # were sent again) and the resume: each launch's values lie within its own time, in
    # step order, and the resumed launch logged steps from 20 on anew.
    launches = (started_ms, first_ended_ms, resumed_ended_ms)
    loss_first, loss_resumed = steps_by_launch(metric_dates(context, "Loss/total"), launches)
    assert loss_first == sorted(loss_first)
    assert loss_first[-1] == 30
    assert loss_resumed == sorted(loss_resumed)
    assert loss_resumed, "the resumed launch logged no loss"
    assert loss_resumed[0] > 20
    assert loss_resumed[-1] == 24
    counted = metric_dates(context, "Progress/episodes_played")  # logged at every flush
    games_first, games_resumed = steps_by_launch(counted, launches)
    assert games_first == sorted(games_first)
    assert games_first[0] == 0  # counted before training began
    assert games_resumed == sorted(games_resumed)
    assert games_resumed, "the resumed launch logged no episode count"
    assert games_resumed[0] >= 20

    # Nothing readable left: refuse (exit 2) and leave every file as it was.
    for _, path in store.step_checkpoints():
        truncate(path)
    truncate(store.latest_path)
    before = {p: p.read_bytes() for p in context.run_dir.rglob("*.pt")}
    assert run_training(context, **tiny_configs(max_training_steps=40)) == 2
    assert {p: p.read_bytes() for p in context.run_dir.rglob("*.pt")} == before
    assert not ray.is_initialized()


class PoisonedTrainer(Trainer):
    """The real trainer, whose batches carry NaN value targets for the first COUNT updates
    attempted at each STEP of `POISON` (so the loss is NaN and the update is skipped)."""

    POISON: ClassVar[dict[int, int]] = {}

    def train_step(self, batch: SampledBatch) -> TrainStepResult:
        if self.POISON.get(self.global_step, 0) > 0:
            self.POISON[self.global_step] -= 1
            batch.experiences.value_target[:] = np.nan
        return super().train_step(batch)


def test_nan_updates_are_skipped_and_counted_and_a_streak_stops_the_run(
    tmp_path: Path,
    tiny_configs: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Three poisoned updates at step 5 are skipped; at step 14 they never stop.
    monkeypatch.setattr(PoisonedTrainer, "POISON", {5: 3, 14: 1000})
    monkeypatch.setattr(setup, "Trainer", PoisonedTrainer)
    context = RunContext(run_name="nan", seed=4, data_root=tmp_path / "data")
    configs = tiny_configs(max_training_steps=30, max_consecutive_bad_updates=6)
    exit_code = run_training(context, **configs)

    assert exit_code == 1
    assert "training diverged: 6 updates in a row at step 14" in capsys.readouterr().err
    log = context.driver_log_path.read_text()
    assert "Skipped the update at step 5: loss nan" in log
    assert "(3 in a row, 3 in all)" in log
    latest = read_checkpoint(context.checkpoints_dir / "latest.pt")
    assert latest["global_step"] == 10  # the last good checkpoint, not overwritten
    assert latest["counters"]["skipped_updates"] == 3  # type: ignore[index]
    assert json.loads((context.run_dir / "run_state.json").read_text())["global_step"] == 10
    skipped = metric_history(context, "Train/skipped_updates")
    assert skipped[-1] == (14, 9.0)
    assert not ray.is_initialized()
