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


def test_a_tiny_run_reaches_its_limit_and_everything_arrives(
    tmp_path: Path, tiny_configs: Any
) -> None:
    context = RunContext(run_name="inproc", seed=1, data_root=tmp_path / "data")
    exit_code = run_training(context, **tiny_configs(max_training_steps=12))
    assert exit_code == 0
    assert not ray.is_initialized()
    checkpoints = sorted(p.name for p in context.checkpoints_dir.iterdir())
    assert checkpoints == ["latest.pt", "step_00000010.pt", "step_00000012.pt"]
    assert sorted(p.name for p in context.buffers_dir.iterdir()) == [
        "buffer_step_00000010.npz",
        "buffer_step_00000012.npz",
    ]
    latest = read_checkpoint(context.checkpoints_dir / "latest.pt")  # weights-only loader
    assert latest["global_step"] == 12
    assert not list(context.run_dir.rglob("*.pkl"))
    assert list(context.tensorboard_dir.glob("events.out.tfevents.*"))
    configs = json.loads(context.configs_path.read_text())
    assert configs["train"]["max_training_steps"] == 12
    assert configs["mcts"]["max_simulations"] == 4
    state = json.loads((context.run_dir / "run_state.json").read_text())
    assert state["global_step"] == 12
    assert state["finished"] is True

    client = MlflowClient(tracking_uri=context.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    assert experiment.artifact_location.startswith("file://" + str(context.app_dir))
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "inproc"
    assert run.data.params["train.batch_size"] == "16"
    loss_steps = [m.step for m in client.get_metric_history(run.info.run_id, "Loss/total")]
    assert len(loss_steps) >= 2
    assert loss_steps == sorted(loss_steps)
    assert max(loss_steps) == 12
    assert client.get_metric_history(run.info.run_id, "Episode/score")
    assert client.get_metric_history(run.info.run_id, "Buffer/size")


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
