"""run_training in-process with real Ray, trieye, MLflow on SQLite and TensorBoard files."""

from __future__ import annotations

import json
from pathlib import Path

import ray
from mlflow.tracking import MlflowClient

from alphatriangle.config import RunContext
from alphatriangle.training import run_training
from alphatriangle.training.config_file import read_config_file


def tiny_configs(tiny_config: Path, **train: object) -> dict[str, object]:
    """The model, train and search configs of tiny.toml, with `train` overrides."""
    overrides = read_config_file(tiny_config)
    for key, value in train.items():
        overrides.set("train", key, value)
    return {
        f"{name}_config": overrides.build(name, str(tiny_config))
        for name in ("model", "train", "mcts")
    }


def test_a_tiny_run_reaches_its_limit_and_everything_arrives(
    tmp_path: Path, tiny_config: Path
) -> None:
    context = RunContext(run_name="inproc", seed=1, data_root=tmp_path / "data")
    exit_code = run_training(context, **tiny_configs(tiny_config, max_training_steps=12))
    assert exit_code == 0
    assert not ray.is_initialized()
    assert (context.checkpoints_dir / "latest.pkl").is_file()
    assert (context.buffers_dir / "buffer.pkl").is_file()
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


def test_setup_failure_still_shuts_down_ray_and_actors(tmp_path: Path, tiny_config: Path) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    context = RunContext(
        run_name="broken", data_root=tmp_path / "data", load_checkpoint=broken, resume=False
    )
    exit_code = run_training(context, **tiny_configs(tiny_config))
    assert exit_code == 1
    assert not ray.is_initialized()
    log = (context.logs_dir / "broken_driver.log").read_text()
    assert "broken.pt" in log
