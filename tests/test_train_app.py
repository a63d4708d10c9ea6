"""`uv run apps/train` as a user starts it: in a fresh directory, as a subprocess.

One run reaches its step limit; the next runs of the same name resume at the saved
step with the saved buffer and optimizer, and are stopped by SIGINT (exit 130) and
SIGTERM (exit 143) after saving; a `--no-resume` run starts from zero; bad input exits
2 and leaves nothing behind. A run with a time budget: test_resume_settings.py.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mlflow.tracking import MlflowClient

from alphatriangle.nn import read_checkpoint

if TYPE_CHECKING:
    from conftest import TrainApp  # the fixture's type (conftest is not importable)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def run_state(workdir: Path, name: str) -> dict[str, object]:
    path = workdir / ".alphatriangle_data" / "AlphaTriangle" / "runs" / name / "run_state.json"
    state: dict[str, object] = json.loads(path.read_text())
    return state


def adam_step(checkpoint: dict[str, object]) -> int:
    """How many updates the optimizer's moments have seen (AdamW's per-parameter step)."""
    trainer = checkpoint["trainer"]
    assert isinstance(trainer, dict)
    return int(trainer["optimizer"]["state"][0]["step"].item())


def test_train_interrupt_resume_and_start_fresh(
    tmp_path: Path, train_app: TrainApp, tiny_toml: str
) -> None:
    (tmp_path / "tiny.toml").write_text(tiny_toml)
    base = ["--config", "tiny.toml", "--run-name", "e2e", "--seed", "3"]

    launched_ms = [now_ms()]  # before each launch, and after the last
    first = train_app.run(tmp_path, *base, "--max-training-steps", "20")
    assert first.returncode == 0, first.stdout + first.stderr
    app_dir = tmp_path / ".alphatriangle_data" / "AlphaTriangle"
    run_dir = app_dir / "runs" / "e2e"
    assert (run_dir / "checkpoints" / "latest.pt").is_file()
    assert (run_dir / "buffers" / "buffer_step_00000020.npz").is_file()
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert json.loads((run_dir / "configs.json").read_text())["train"]["batch_size"] == 16
    first_state = run_state(tmp_path, "e2e")
    assert first_state["global_step"] == 20
    assert "step 20/20" in first.stdout + first.stderr

    # Ctrl-C (twice: the second lands while it saves), then resume and SIGTERM.
    longer = [*base, "--max-training-steps", "5000"]
    launched_ms.append(now_ms())
    second = train_app.start(tmp_path, *longer)
    second.wait_for(f"Resuming run e2e at step 20 with {first_state['buffer_size']} positions")
    # The larger step limit applies, and the log names the change.
    assert "Changed on resume: train.max_training_steps 20 -> 5000." in second.output
    second.wait_for_step(23)
    second.process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    second.process.send_signal(signal.SIGINT)
    assert second.finish() == 130, second.output
    assert "SIGINT received" in second.output
    # The last lines name the run's folder and the commands that go on from there.
    last = [line.split(" ", 1)[-1].strip() for line in second.output.splitlines()[-3:]]
    assert last == [
        f"The run's data (checkpoints, buffer, logs): {run_dir}",
        "Resume it:   uv run apps/train --run-name e2e",
        "Evaluate it: uv run apps/eval --player run:e2e --player planner --run e2e",
    ], second.output
    saved = read_checkpoint(run_dir / "checkpoints" / "latest.pt")
    step = saved["global_step"]
    assert isinstance(step, int)
    assert step >= 23
    assert adam_step(saved) == step
    state = run_state(tmp_path, "e2e")
    assert state["global_step"] == step
    assert not [p for p in run_dir.rglob(".*") if p.is_file()]  # no half-written file

    launched_ms.append(now_ms())
    third = train_app.start(tmp_path, *longer)
    third.wait_for(f"Resuming run e2e at step {step} with {state['buffer_size']} positions")
    third.wait_for_step(step + 3)
    third.process.send_signal(signal.SIGTERM)
    assert third.finish() == 143, third.output
    launched_ms.append(now_ms())
    assert "SIGTERM received" in third.output
    resumed = read_checkpoint(run_dir / "checkpoints" / "latest.pt")
    new_step = resumed["global_step"]
    assert isinstance(new_step, int)
    assert new_step > step
    # Moments and schedule continued from the saved optimizer, not from a fresh one.
    assert adam_step(resumed) == new_step
    assert resumed["trainer"]["scheduler"]["last_epoch"] == new_step  # type: ignore[index]
    counters = resumed["counters"]
    assert isinstance(counters, dict)
    assert counters["episodes_played"] >= state["episodes_played"]

    client = MlflowClient(tracking_uri=f"sqlite:///{app_dir / 'mlflow.db'}")
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
    for loss in losses:
        launch = 0 if loss.step <= 20 else 1 if loss.step <= step else 2
        assert launched_ms[launch] <= loss.timestamp <= launched_ms[launch + 1], (
            loss.step,
            loss.timestamp,
            launched_ms,
        )
    assert client.get_metric_history(runs[0].info.run_id, "Episode/score")

    fresh = train_app.run(tmp_path, *base, "--max-training-steps", "10", "--no-resume")
    output = fresh.stdout + fresh.stderr
    assert fresh.returncode == 0, output
    assert "Resuming" not in output
    assert "step 10/10" in output
    assert run_state(tmp_path, "e2e")["global_step"] == 10
    # The earlier files were set aside, not deleted.
    assert list((run_dir / "checkpoints").glob(f"replaced_*/step_{new_step:08d}.pt"))


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
