"""`uv run apps/train` as a user starts it: in a fresh directory, as a subprocess.

One run reaches its step limit; the next runs of the same name resume at the saved
step with the saved buffer and optimizer, and are stopped by SIGINT (exit 130) and
SIGTERM (exit 143) after saving; a `--no-resume` run starts from zero (the launches
are the `resumed_run` fixture's); bad input exits 2 and leaves nothing behind. A run
with a time budget: test_resume_settings.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mlflow.tracking import MlflowClient

if TYPE_CHECKING:
    from conftest import (  # the fixtures' types (conftest is not importable)
        ResumedRun,
        TrainApp,
    )


def adam_step(checkpoint: dict[str, object]) -> int:
    """How many updates the optimizer's moments have seen (AdamW's per-parameter step)."""
    trainer = checkpoint["trainer"]
    assert isinstance(trainer, dict)
    return int(trainer["optimizer"]["state"][0]["step"].item())


def test_train_interrupt_resume_and_start_fresh(resumed_run: ResumedRun) -> None:
    run_dir = resumed_run.run_dir
    first = resumed_run.first
    assert first.code == 0, first.output
    assert "checkpoints/latest.pt" in first.files
    assert "buffers/buffer_step_00000020.npz" in first.files
    assert first.glob("tensorboard/events.out.tfevents.*")
    train = first.configs["train"]
    assert isinstance(train, dict)
    assert train["batch_size"] == 16
    assert first.state["global_step"] == 20
    assert "step 20/20" in first.output

    # Ctrl-C (twice: the second lands while it saves), then resume and SIGTERM.
    second = resumed_run.interrupted
    # The larger step limit applies, and the log names the change.
    assert "Changed on resume: train.max_training_steps 20 -> 5000." in second.output
    assert second.code == 130, second.output
    assert "SIGINT received" in second.output
    # The last lines name the run's folder and the commands that go on from there.
    last = [line.split(" ", 1)[-1].strip() for line in second.output.splitlines()[-3:]]
    assert last == [
        f"The run's data (checkpoints, buffer, logs): {run_dir}",
        "Resume it:   uv run apps/train --run-name e2e",
        "Evaluate it: uv run apps/eval --player run:e2e --player planner --run e2e",
    ], second.output
    saved = second.latest
    step = saved["global_step"]
    assert isinstance(step, int)
    assert step >= 23
    assert adam_step(saved) == step
    state = second.state
    assert state["global_step"] == step
    assert not [f for f in second.files if Path(f).name.startswith(".")]  # no half-written file

    third = resumed_run.terminated
    assert third.code == 143, third.output
    assert "SIGTERM received" in third.output
    resumed = third.latest
    new_step = resumed["global_step"]
    assert isinstance(new_step, int)
    assert new_step > step
    # Moments and schedule continued from the saved optimizer, not from a fresh one.
    assert adam_step(resumed) == new_step
    assert resumed["trainer"]["scheduler"]["last_epoch"] == new_step  # type: ignore[index]
    counters = resumed["counters"]
    assert isinstance(counters, dict)
    assert counters["episodes_played"] >= state["episodes_played"]

    # The MLflow database as the three launches left it (the fresh start adds a run).
    client = MlflowClient(tracking_uri=f"sqlite:///{resumed_run.mlflow_before_fresh}")
    experiment = client.get_experiment_by_name("AlphaTriangle")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.run_name for r in runs] == ["e2e"]  # every resume logs into the same run
    assert runs[0].info.status == "KILLED"  # the last launch was stopped by SIGTERM
    assert runs[0].data.tags["resume/step_00000020/train.max_training_steps"] == "20 -> 5000"
    losses = client.get_metric_history(runs[0].info.run_id, "Loss/total")
    loss_steps = sorted(m.step for m in losses)
    assert loss_steps[0] <= 20 < step < loss_steps[-1] == new_step
    # Each loss is dated on the wall clock within the launch that trained its step.
    launched_ms = resumed_run.launched_ms
    for loss in losses:
        launch = 0 if loss.step <= 20 else 1 if loss.step <= step else 2
        assert launched_ms[launch] <= loss.timestamp <= launched_ms[launch + 1], (
            loss.step,
            loss.timestamp,
            launched_ms,
        )
    assert client.get_metric_history(runs[0].info.run_id, "Episode/score")

    fresh = resumed_run.fresh
    assert fresh.code == 0, fresh.output
    assert "Resuming" not in fresh.output
    assert "step 10/10" in fresh.output
    assert fresh.state["global_step"] == 10
    # The earlier files were set aside, not deleted.
    assert fresh.glob(f"checkpoints/replaced_*/step_{new_step:08d}.pt")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--max-training-steps", "0"], "max_training_steps"),
        (["--max-minutes", "0"], "max_minutes"),
        (["--games-per-worker", "many"], "--games-per-worker"),
    ],
)
def test_bad_arguments_exit_2_and_create_nothing(
    tmp_path: Path, train_app: TrainApp, args: list[str], expected: str
) -> None:
    result = train_app.run(tmp_path, *args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert not (tmp_path / ".alphatriangle_data").exists()
