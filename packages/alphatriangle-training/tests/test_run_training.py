"""run_training in-process with real Ray, trieye, MLflow on SQLite and TensorBoard files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ray
from mlflow.tracking import MlflowClient

from alphatriangle.config import RunContext
from alphatriangle.nn import read_checkpoint
from alphatriangle.training import run_training
from alphatriangle.training.logging_utils import seconds_since_process_start


def test_a_tiny_run_reaches_its_limit_and_everything_arrives(
    tmp_path: Path, tiny_configs: Any
) -> None:
    context = RunContext(run_name="inproc", seed=1, data_root=tmp_path / "data")
    configs = tiny_configs(
        max_training_steps=12,
        eval_interval_steps=6,
        eval_games=2,
        eval_max_moves=12,
        max_samples_per_position=1.0,
    )
    launched_before = seconds_since_process_start()
    exit_code = run_training(context, **configs)
    assert exit_code == 0
    assert not ray.is_initialized()
    checkpoints = sorted(p.name for p in context.checkpoints_dir.iterdir())
    # Steps 6 and 12 were evaluated (so saved); 10 is the checkpoint cadence; best is one of them.
    assert checkpoints == [
        "best.pt",
        "latest.pt",
        "step_00000006.pt",
        "step_00000010.pt",
        "step_00000012.pt",
    ]
    assert sorted(p.name for p in context.buffers_dir.iterdir()) == [
        "buffer_step_00000010.npz",
        "buffer_step_00000012.npz",
    ]
    latest = read_checkpoint(context.checkpoints_dir / "latest.pt")  # weights-only loader
    assert latest["global_step"] == 12
    assert not list(context.run_dir.rglob("*.pkl"))
    assert list(context.tensorboard_dir.glob("events.out.tfevents.*"))
    # The app directory holds the MLflow store and the runs, and no empty leftovers.
    assert sorted(p.name for p in context.app_dir.iterdir()) == ["mlartifacts", "mlflow.db", "runs"]
    assert not [p for p in context.app_dir.rglob("*") if p.is_dir() and not any(p.iterdir())]
    configs = json.loads(context.configs_path.read_text())
    assert configs["train"]["max_training_steps"] == 12
    assert configs["mcts"]["max_simulations"] == 4
    state = json.loads((context.run_dir / "run_state.json").read_text())
    assert state["global_step"] == 12
    assert state["finished"] is True
    # One sample per position at most: 12 steps of 16 need 192 positions of self-play.
    assert state["buffer_size"] >= 12 * 16
    best = read_checkpoint(context.checkpoints_dir / "best.pt")
    assert best["global_step"] in (6, 12)

    client = MlflowClient(tracking_uri=context.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    assert experiment.artifact_location.startswith("file://" + str(context.app_dir))
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "inproc"
    assert run.info.status == "FINISHED"
    assert run.data.params["train.batch_size"] == "16"
    loss_steps = [m.step for m in client.get_metric_history(run.info.run_id, "Loss/total")]
    assert len(loss_steps) >= 2
    assert loss_steps == sorted(loss_steps)
    assert max(loss_steps) == 12
    assert client.get_metric_history(run.info.run_id, "Episode/score")
    assert client.get_metric_history(run.info.run_id, "Buffer/size")
    (first_step,) = client.get_metric_history(run.info.run_id, "System/seconds_to_first_step")
    assert first_step.step == 1
    # Counted from the process's start (imports included), not from the run's.
    assert launched_before <= first_step.value <= seconds_since_process_start()
    evaluated = client.get_metric_history(run.info.run_id, "Eval/mean_score")
    assert evaluated, "the evaluation during training logged nothing"
    best_scores = client.get_metric_history(run.info.run_id, "Eval/best_mean_score")
    assert max(m.value for m in best_scores) == state["best_eval_mean_score"]
    assert state["best_eval_mean_score"] == max(m.value for m in evaluated)


def test_a_bad_load_checkpoint_exits_2_before_starting_anything(
    tmp_path: Path, tiny_configs: Any
) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    context = RunContext(
        run_name="broken", data_root=tmp_path / "data", load_checkpoint=broken, resume=False
    )
    exit_code = run_training(context, **tiny_configs())
    assert exit_code == 2  # a bad --load-checkpoint is bad input
    assert not ray.is_initialized()
    log = (context.logs_dir / "broken_driver.log").read_text()
    assert "broken.pt" in log
